// Alerts Daemon end to end: the built action process against the emulator's alerts face, with the engine keeping the
// state and without it (the fallback file in M365D_STATE_DIR), the Incidents Daemon's guarantees and chaos harness
// (test/support/daemon-chaos.ts), and with the Defender XDR API configured (alerts still read from Graph).
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Emulator } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { entryOf, expectContract, runEntry, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';
import { envelopeValidator, validatorFor } from '../support/schemas';
import { canon, chaos, endedOf, versionKey as key } from '../support/daemon-chaos';
import { startProxy } from '../support/proxy';

const DAEMON = entryOf('alerts-daemon', repoRoot);
const INCIDENTS_DAEMON = entryOf('incidents-daemon', repoRoot);
const CONTEXT = { case_id: 'alerts-daemon-case', alert_group_identifiers: [] };
const validateEnvelope = envelopeValidator();
const validateResult = validatorFor('schemas/actions/alerts-daemon.result.schema.json');
type Json = Record<string, any>;

const callsOf = (r: RunResult): number => r.logs.find((l) => l['msg'] === 'Daemon run')?.['api_calls'];

async function daemon(env: Record<string, string>, input: Json, options: { killAfterMs?: number; entry?: string } = {}): Promise<RunResult> {
  const r = await runEntry(options.entry ?? DAEMON, { env, input: { ...CONTEXT, ...input }, timeoutMs: 120_000, ...(options.killAfterMs !== undefined ? { killAfterMs: options.killAfterMs } : {}) });
  if (r.signal) return r;
  expectContract(r);
  expect(validateEnvelope(r.result), JSON.stringify(validateEnvelope.errors)).to.equal(true);
  if (r.result['status'] === 'completed' && (options.entry ?? DAEMON) === DAEMON) {
    expect(validateResult(r.result['json_result']), JSON.stringify(validateResult.errors)).to.equal(true);
    expect(JSON.stringify(r.result['state']).length, 'state size').to.be.below(64 * 1024);
  }
  return r;
}

/** Every alert version the emulator holds now, changed at or after `since` (in the checkpoint's form). */
function currentVersions(em: Emulator, since = ''): Set<string> {
  const out = new Set<string>();
  for (let skip = 0; ; skip += 2000) {
    const r = em.tenant.graph({ method: 'GET', path: '/v1.0/security/alerts_v2', rawQuery: `$top=2000&$skip=${skip}`, rawBody: '', headers: { prefer: 'include-unknown-enum-members' }, origin: em.origin, caller: { clientId: 't', appDisplayName: 't', roles: new Set(['SecurityAlert.Read.All']), tenantId: em.tenantId }, now: em.now() });
    const items = ((r?.body as Json)['value'] as Json[]) ?? [];
    for (const a of items) if (canon(a['lastUpdateDateTime']) >= since) out.add(key(a['id'], a['lastUpdateDateTime']));
    if (items.length < 2000) return out;
  }
}

describe('Alerts Daemon against the emulator', function () {
  this.timeout(600_000);
  const emulator = useEmulator({ seed: 16, incidents: 120, quotas: false }, 'alerts-daemon');
  let em: Emulator;
  before(() => (em = emulator.em));
  const envOf = (state: string, extra: Record<string, string> = {}): Record<string, string> => ({ ...em.env, M365D_STATE_DIR: state, ...extra });

  it('hands over every alert version once, oldest first, across runs that each stop at max_alerts_per_run (engine state)', async () => {
    const state = emulator.freshState();
    const expected = currentVersions(em);
    expect(expected.size, 'alerts in the seed').to.be.above(150);
    const taken: string[] = [];
    let checkpoint: Json | undefined;
    for (let runs = 0; ; runs++) {
      expect(runs).to.be.below(30);
      const r = await daemon(envOf(state), { first_fetch: '90d', max_alerts_per_run: '37', ...(checkpoint ? { state: checkpoint } : {}) });
      expect(r.code, r.stdout.slice(0, 400)).to.equal(0);
      const items = r.result['json_result'] as Json[];
      for (let k = 1; k < items.length; k++) expect(canon(items[k - 1]!['lastUpdateDateTime']) <= canon(items[k]!['lastUpdateDateTime']), 'oldest first').to.equal(true);
      for (const a of items) {
        taken.push(key(a['id'], a['lastUpdateDateTime']));
        expect(a['evidence'], `alert ${a['id']} comes with its evidence`).to.be.an('array');
        expect(a).to.have.property('comments');
      }
      checkpoint = r.result['state'];
      expect(checkpoint).to.include({ version: 1, kind: 'alerts', field: 'lastUpdateDateTime' });
      expect(items.length).to.be.at.most(37);
      if (endedOf(r) === 'caught-up') break;
    }
    expect(new Set(taken).size, 'no version twice').to.equal(taken.length);
    expect(new Set(taken)).to.deep.equal(expected);
    // a caught-up daemon's next run hands over nothing; a change is handed over as a new version
    const quiet = await daemon(envOf(state), { first_fetch: '90d', state: checkpoint });
    expect(quiet.result['json_result']).to.deep.equal([]);
    expect(quiet.result['result_value']).to.equal(false);
    expect(quiet.result['output_message']).to.match(/^No new or changed alerts\./);
    const id = [...expected][5]!.split('@')[0]!;
    const changed = em.updateAlert(id, { assignedTo: 'daemon@contoso.com' })!;
    const again = await daemon(envOf(state), { first_fetch: '90d', state: quiet.result['state'] });
    expect((again.result['json_result'] as Json[]).map((a) => key(a['id'], a['lastUpdateDateTime']))).to.deep.equal([key(id, changed['lastUpdateDateTime'] as string)]);
    expect(again.result['output_message']).to.match(/^Handed over 1 alert version, oldest first\. Checkpoint: /);
  });

  it('a change made through the incident is seen through its alerts (one store), even after an alert stamped in the future', async () => {
    const state = emulator.freshState();
    const first = await daemon(envOf(state), { first_fetch: '1m', max_alerts_per_run: '10000' });
    const inc = em.addIncident({ displayName: 'Two alerts', alerts: 2 });
    const ids = (inc['alerts'] as Json[]).map((a) => String(a['id']));
    const seen = await daemon(envOf(state), { first_fetch: '1m', state: first.result['state'] });
    expect((seen.result['json_result'] as Json[]).map((a) => a['id']).sort()).to.deep.equal([...ids].sort());
    em.updateIncident(String(inc['id']), { status: 'resolved' });
    const after = await daemon(envOf(state), { first_fetch: '1m', state: seen.result['state'] });
    const items = after.result['json_result'] as Json[];
    expect(items.map((a) => a['id']).sort()).to.deep.equal([...ids].sort());
    for (const a of items) expect(a['status']).to.equal('resolved');
  });

  it('without engine state keeps the checkpoint in M365D_STATE_DIR, a file of its own beside the Incidents Daemon\'s, written only after the result', async () => {
    const state = emulator.freshState();
    const input = { first_fetch: '90d', max_alerts_per_run: '500' };
    const taken: string[] = [];
    for (let k = 0; k < 20; k++) {
      const r = await daemon(envOf(state), input);
      expect(r.code).to.equal(0);
      for (const a of r.result['json_result'] as Json[]) taken.push(key(a['id'], a['lastUpdateDateTime']));
      if (endedOf(r) === 'caught-up') break;
    }
    expect(new Set(taken).size).to.equal(taken.length);
    expect(new Set(taken)).to.deep.equal(currentVersions(em));
    const dir = path.join(state, 'daemon');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files).to.have.length(1);
    expect((fs.statSync(path.join(dir, files[0]!)).mode & 0o777).toString(8)).to.equal('600');
    // the Incidents Daemon of the same instance keeps its own file: the action id is part of the key
    const incidents = await daemon(envOf(state), { first_fetch: '90d', max_incidents_per_run: '1' }, { entry: INCIDENTS_DAEMON });
    expect(incidents.code).to.equal(0);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.json'))).to.have.length(2);
    // a run killed after printing its result but before exiting hands nothing over: the checkpoint stays
    const before = fs.readFileSync(path.join(dir, files[0]!), 'utf8');
    em.updateAlert([...currentVersions(em)][0]!.split('@')[0]!, { severity: 'high' });
    const killed = await daemon(envOf(state), input, { killAfterMs: 1 });
    expect(killed.signal).to.equal('SIGKILL');
    expect(fs.readFileSync(path.join(dir, files[0]!), 'utf8')).to.equal(before);
    const next = await daemon(envOf(state), input);
    expect((next.result['json_result'] as Json[]).length).to.equal(1);
  });

  it('reads a burst of alerts sharing one timestamp, larger than a page, each once', async () => {
    const state = emulator.freshState();
    const first = await daemon(envOf(state), { first_fetch: '1m', max_alerts_per_run: '10000' });
    let checkpoint = first.result['state'];
    const at = new Date(em.now().getTime() + 5).toISOString();
    const ids = [...currentVersions(em)].slice(0, 130).map((v) => v.split('@')[0]!);
    for (const id of ids) em.updateAlert(id, { lastUpdateDateTime: at, assignedTo: 'burst@contoso.com' });
    const taken: string[] = [];
    for (let k = 0; k < 12; k++) {
      const r = await daemon(envOf(state), { first_fetch: '1m', max_alerts_per_run: '45', state: checkpoint });
      expect(r.code, r.stdout.slice(0, 300)).to.equal(0);
      for (const a of r.result['json_result'] as Json[]) taken.push(key(a['id'], a['lastUpdateDateTime']));
      checkpoint = r.result['state'];
    }
    expect(new Set(taken).size).to.equal(taken.length);
    expect(new Set(taken)).to.deep.equal(new Set(ids.map((id) => key(id, at))));
  });

  it('takes only the statuses, the minimum severity and the service sources asked for', async () => {
    const state = emulator.freshState();
    const since = emulator.lastSeq();
    const r = await daemon(envOf(state), { first_fetch: '90d', max_alerts_per_run: '1000', status: 'New, In Progress', min_severity: 'Medium', service_source: 'Microsoft Defender for Endpoint, microsoftDefenderForOffice365' });
    const items = r.result['json_result'] as Json[];
    expect(items.length).to.be.above(0);
    for (const a of items) {
      expect(['new', 'inProgress']).to.include(a['status']);
      expect(['medium', 'high']).to.include(a['severity']);
      expect(['microsoftDefenderForEndpoint', 'microsoftDefenderForOffice365']).to.include(a['serviceSource']);
    }
    const q = decodeURIComponent(em.requests(since).find((e) => e.path === '/v1.0/security/alerts_v2')!.query);
    expect(q).to.contain("(status eq 'new' or status eq 'inProgress') and (severity eq 'medium' or severity eq 'high') and (serviceSource eq 'microsoftDefenderForEndpoint' or serviceSource eq 'microsoftDefenderForOffice365')");
    expect(q).to.contain('$orderby=lastUpdateDateTime asc');
  });

  it('refuses a state it did not write (the Incidents Daemon\'s included), a bad first_fetch and bad filters, with exit 2 and no request', async () => {
    const state = emulator.freshState();
    const incidentState = (await daemon(envOf(state), { first_fetch: '1d', max_incidents_per_run: '1' }, { entry: INCIDENTS_DAEMON })).result['state'];
    const since = emulator.lastSeq();
    const cases: Array<[Json, RegExp]> = [
      [{ state: { version: 9, cursor: 'x' } }, /^Parameter 'state' is not a checkpoint of this daemon/],
      [{ state: incidentState }, /^Parameter 'state' is not a checkpoint of this daemon \(it is the Incidents Daemon's\)/],
      [{ first_fetch: 'yesterday' }, /first_fetch/],
      [{ min_severity: 'Severe' }, /min_severity/],
      [{ status: 'Active' }, /^Parameter 'status' must be a status: one of New, In Progress, Resolved; got 'Active'\.$/],
      [{ service_source: 'Toasters' }, /^Parameter 'service_source' must be a service source/],
      [{ max_alerts_per_run: '0' }, /max_alerts_per_run/],
    ];
    for (const [input, message] of cases) {
      const r = await daemon(envOf(state), input);
      expect(r.code, JSON.stringify(input).slice(0, 80)).to.equal(2);
      expect(r.result['error']['code']).to.equal('INVALID_INPUT');
      expect(r.result['error']['message']).to.match(message);
    }
    expect(em.requests(since).filter((q) => !q.path.startsWith('/_emulator'))).to.deep.equal([]);
  });

  it('a failed run (API_ERROR, THROTTLED) returns no state; the next run starts from the old checkpoint and loses nothing', async () => {
    const state = emulator.freshState();
    const first = await daemon(envOf(state), { first_fetch: '1m', max_alerts_per_run: '10000' });
    const inc = em.addIncident({ displayName: 'after', alerts: 3 });
    em.addFault({ kind: 'status', status: 500, count: 1, match: { path: '/v1.0/security/alerts_v2' } });
    const failed = await daemon(envOf(state), { first_fetch: '1m', state: first.result['state'] });
    expect(failed.code).to.equal(1);
    expect(failed.result['error']['code']).to.equal('API_ERROR');
    expect(failed.result).not.to.have.property('state');
    em.addFault({ kind: 'status', status: 429, retryAfter: 3600, count: 1, match: { path: '/v1.0/security/alerts_v2' } });
    const throttled = await daemon(envOf(state), { first_fetch: '1m', state: first.result['state'] });
    expect(throttled.result['error']['code']).to.equal('THROTTLED');
    const ok = await daemon(envOf(state), { first_fetch: '1m', state: first.result['state'] });
    expect((ok.result['json_result'] as Json[]).map((a) => a['id']).sort()).to.deep.equal((inc['alerts'] as Json[]).map((a) => String(a['id'])).sort());
  });

  it('chaos: scheduled runs while alerts change, with faults and kills; the engine takes every version once', async () => {
    await chaos({
      em,
      seed: 303,
      daemon,
      env: (dir, extra) => envOf(dir, extra),
      freshState: emulator.freshState,
      maxParam: 'max_alerts_per_run',
      ids: () => [...currentVersions(em)].map((v) => v.split('@')[0]!),
      change(add, pick, rand) {
        const alert = add ? ((em.addIncident({ displayName: 'chaos', severity: 'low', alerts: 1 })['alerts'] as Json[])[0] as Json) : em.updateAlert(pick(), { assignedTo: `analyst${Math.floor(rand() * 1e6)}@contoso.com` })!;
        return { id: String(alert['id']), lastUpdateDateTime: alert['lastUpdateDateTime'] as string };
      },
      faultPath: '/v1.0/security/alerts_v2',
    });
  });
});

describe('Alerts Daemon: a first sync, and the Defender XDR API configured', function () {
  this.timeout(300_000);
  const emulator = useEmulator({ seed: 17, alerts: 2500, quotas: false }, 'alerts-daemon-sync');

  it('a first sync takes the least calls there are: pages of 1000, each asking for the alert it reads again on top', async () => {
    const em = emulator.em;
    const r = await daemon({ ...em.env, M365D_STATE_DIR: emulator.freshState() }, { first_fetch: '90d', max_alerts_per_run: '10000' });
    const n = (r.result['json_result'] as Json[]).length;
    expect(n).to.equal(currentVersions(em).size);
    expect(callsOf(r)).to.equal(Math.ceil(n / 1000));
  });

  it('with the Defender XDR API configured, reads alerts from graph.microsoft.com with a Graph token', async () => {
    const em = emulator.em;
    const proxy = await startProxy({ hosts: { 'graph.microsoft.com:443': em.port } });
    try {
      const since = emulator.lastSeq();
      const env = {
        M365D_API_URL: 'https://api.security.microsoft.com', M365D_LOGIN_URL: em.origin, M365D_PROXY_URL: proxy.url, M365D_TENANT_ID: em.tenantId,
        M365D_CLIENT_ID: em.env.M365D_CLIENT_ID, M365D_CLIENT_SECRET: em.env.M365D_CLIENT_SECRET, M365D_CA_CERTIFICATE: em.caPem, M365D_STATE_DIR: emulator.freshState(),
      };
      const r = await daemon(env, { first_fetch: '90d', max_alerts_per_run: '100' });
      expect(r.code, r.stdout.slice(0, 300)).to.equal(0);
      expect((r.result['json_result'] as Json[]).length).to.equal(100);
      const sent = em.requests(since);
      expect(sent.filter((q) => q.grantType).map((q) => q.scope)).to.deep.equal(['https://graph.microsoft.com/.default']);
      expect([...new Set(sent.filter((q) => !q.grantType).map((q) => q.path))]).to.deep.equal(['/v1.0/security/alerts_v2']);
      expect(proxy.connects.map((c) => c.target)).to.include('graph.microsoft.com:443');
    } finally {
      await proxy.close();
    }
  });
});
