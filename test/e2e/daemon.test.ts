// Incidents Daemon end to end: the built action process against the emulator, on both API families, with the
// engine keeping the state and without it (the fallback file in M365D_STATE_DIR). The chaos suite runs the daemon on
// a schedule while incidents are created and changed, with random faults and runs killed at random points, and
// checks the union of what the engine took against every version that existed.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Emulator } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { entryOf, expectContract, runEntry, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';
import { envelopeValidator, validatorFor } from '../support/schemas';
import { canon, chaos, endedOf, versionKey as key } from '../support/daemon-chaos';

const DAEMON = entryOf('incidents-daemon', repoRoot);
const CONTEXT = { case_id: 'daemon-case', alert_group_identifiers: [] };
const validateEnvelope = envelopeValidator();
const validateResult = validatorFor('schemas/actions/incidents-daemon.result.schema.json');

type Flavor = 'graph' | 'defender';
type Json = Record<string, any>;

const versionOf = (i: Json): string => `${i['id']}@${i['lastUpdateDateTime']}`;

describe('Incidents Daemon against the emulator', function () {
  this.timeout(600_000);
  const emulator = useEmulator({ seed: 11, incidents: 260, quotas: false }, 'daemon');
  let em: Emulator;
  before(() => (em = emulator.em));

  const envOf = (flavor: Flavor, state: string, extra: Record<string, string> = {}): Record<string, string> => ({ ...(flavor === 'graph' ? em.env : em.legacyEnv), M365D_STATE_DIR: state, ...extra });

  async function daemon(env: Record<string, string>, input: Json, options: { killAfterMs?: number } = {}): Promise<RunResult> {
    const r = await runEntry(DAEMON, { env, input: { ...CONTEXT, ...input }, timeoutMs: 120_000, ...options });
    if (r.signal) return r;
    expectContract(r);
    expect(validateEnvelope(r.result), JSON.stringify(validateEnvelope.errors)).to.equal(true);
    if (r.result['status'] === 'completed') {
      expect(validateResult(r.result['json_result']), JSON.stringify(validateResult.errors)).to.equal(true);
      expect(JSON.stringify(r.result['state']).length, 'state size').to.be.below(64 * 1024);
    }
    return r;
  }
  const callsOf = (r: RunResult): number => r.logs.find((l) => l['msg'] === 'Daemon run')?.['api_calls'];

  /** Every incident version the emulator holds now, changed at or after `since` (in the checkpoint's form). */
  const currentVersions = (since = ''): Set<string> => {
    const out = new Set<string>();
    const page = (skip: number) => em.tenant.graph({ method: 'GET', path: '/v1.0/security/incidents', rawQuery: `$top=50&$skip=${skip}`, rawBody: '', headers: {}, origin: em.origin, caller: { clientId: 't', appDisplayName: 't', roles: new Set(['SecurityIncident.Read.All']), tenantId: em.tenantId }, now: em.now() });
    for (let skip = 0; ; skip += 50) {
      const items = ((page(skip)?.body as Json)['value'] as Json[]) ?? [];
      for (const i of items) if (canon(i['lastUpdateDateTime']) >= since) out.add(key(i['id'], i['lastUpdateDateTime']));
      if (items.length < 50) return out;
    }
  };

  for (const flavor of ['graph', 'defender'] as Flavor[]) {
    describe(flavor === 'graph' ? 'Microsoft Graph' : 'Defender XDR', () => {
      it('hands over every incident once, oldest first, across runs that each stop at max_incidents_per_run (engine state)', async () => {
        const state = emulator.freshState();
        const expected = currentVersions();
        const taken: string[] = [];
        let checkpoint: Json | undefined;
        let runs = 0;
        for (;;) {
          const r = await daemon(envOf(flavor, state), { first_fetch: '90d', max_incidents_per_run: '37', ...(checkpoint ? { state: checkpoint } : {}) });
          expect(r.code, r.stdout.slice(0, 400)).to.equal(0);
          runs++;
          const items = r.result['json_result'] as Json[];
          for (let k = 1; k < items.length; k++) expect(canon(items[k - 1]!['lastUpdateDateTime']) <= canon(items[k]!['lastUpdateDateTime']), 'oldest first').to.equal(true);
          for (const i of items) {
            taken.push(key(i['id'], i['lastUpdateDateTime']));
            expect(i['alerts'], `incident ${i['id']} comes with its alerts`).to.be.an('array').that.is.not.empty;
          }
          checkpoint = r.result['state'];
          expect(checkpoint!['version']).to.equal(1);
          expect(items.length).to.be.at.most(37);
          if (endedOf(r) === 'caught-up') break;
          expect(runs).to.be.below(30);
        }
        expect(new Set(taken).size, 'no version twice').to.equal(taken.length);
        expect(new Set(taken)).to.deep.equal(expected);
        // a caught-up daemon's next run hands over nothing, and a change is handed over as a new version
        const quiet = await daemon(envOf(flavor, state), { first_fetch: '90d', state: checkpoint });
        expect(quiet.result['json_result']).to.deep.equal([]);
        expect(quiet.result['result_value']).to.equal(false);
        const id = [...expected][5]!.split('@')[0]!;
        const changed = em.updateIncident(id, { assignedTo: `daemon-${flavor}@contoso.com` })!;
        const again = await daemon(envOf(flavor, state), { first_fetch: '90d', state: quiet.result['state'] });
        expect((again.result['json_result'] as Json[]).map((i) => key(i['id'], i['lastUpdateDateTime']))).to.deep.equal([key(id, changed['lastUpdateDateTime'] as string)]);
      });

      it('without engine state keeps the checkpoint in M365D_STATE_DIR, written only after the result', async () => {
        const state = emulator.freshState();
        const input = { first_fetch: '90d', max_incidents_per_run: '120' };
        const taken: string[] = [];
        for (let k = 0; k < 20; k++) {
          const r = await daemon(envOf(flavor, state), input);
          expect(r.code).to.equal(0);
          for (const i of r.result['json_result'] as Json[]) taken.push(versionOf(i));
          if (endedOf(r) === 'caught-up') break;
        }
        expect(new Set(taken).size).to.equal(taken.length);
        expect(taken.length).to.equal(currentVersions().size);
        const files = fs.readdirSync(path.join(state, 'daemon')).filter((f) => f.endsWith('.json'));
        expect(files).to.have.length(1);
        expect((fs.statSync(path.join(state, 'daemon', files[0]!)).mode & 0o777).toString(8)).to.equal('600');
        // a run killed after printing its result but before exiting hands nothing over: the checkpoint stays
        const before = fs.readFileSync(path.join(state, 'daemon', files[0]!), 'utf8');
        em.updateIncident([...currentVersions()][0]!.split('@')[0]!, { severity: 'high' });
        const killed = await daemon(envOf(flavor, state), input, { killAfterMs: 1 });
        expect(killed.signal).to.equal('SIGKILL');
        expect(fs.readFileSync(path.join(state, 'daemon', files[0]!), 'utf8')).to.equal(before);
        const next = await daemon(envOf(flavor, state), input);
        expect((next.result['json_result'] as Json[]).length).to.equal(1);
      });

      it('reads a burst of incidents sharing one timestamp, larger than a page, each once', async () => {
        const state = emulator.freshState();
        // start after everything there is, then change 130 incidents at one and the same instant
        const first = await daemon(envOf(flavor, state), { first_fetch: '1m', max_incidents_per_run: '10000' });
        let checkpoint = first.result['state'];
        const at = new Date(em.now().getTime() + 5).toISOString();
        const ids = [...currentVersions()].slice(0, 130).map((v) => v.split('@')[0]!);
        for (const id of ids) em.updateIncident(id, { lastUpdateDateTime: at, assignedTo: 'burst@contoso.com' });
        const taken: string[] = [];
        for (let k = 0; k < 12; k++) {
          const r = await daemon(envOf(flavor, state), { first_fetch: '1m', max_incidents_per_run: '45', state: checkpoint });
          expect(r.code, r.stdout.slice(0, 300)).to.equal(0);
          for (const i of r.result['json_result'] as Json[]) taken.push(key(i['id'], i['lastUpdateDateTime']));
          checkpoint = r.result['state'];
        }
        expect(new Set(taken).size).to.equal(taken.length);
        expect(new Set(taken)).to.deep.equal(new Set(ids.map((id) => key(id, at))));
      });

      it('refuses a state it did not write, and a bad first_fetch, with exit 2 and no request', async () => {
        const state = emulator.freshState();
        const since = emulator.lastSeq();
        const bad = await daemon(envOf(flavor, state), { state: { version: 9, cursor: 'x' } });
        expect(bad.code).to.equal(2);
        expect(bad.result['error']['code']).to.equal('INVALID_INPUT');
        expect(bad.result['error']['message']).to.match(/'state'/);
        const fetch = await daemon(envOf(flavor, state), { first_fetch: 'yesterday' });
        expect(fetch.code).to.equal(2);
        expect(fetch.result['error']['message']).to.match(/first_fetch/);
        const sev = await daemon(envOf(flavor, state), { min_severity: 'Severe' });
        expect(sev.code).to.equal(2);
        expect(sev.result['error']['message']).to.match(/min_severity/);
        expect(em.requests(since).filter((r) => !r.path.startsWith('/_emulator'))).to.deep.equal([]);
      });

      it('refuses states it never writes: {}, from the future, high before from (exit 2, no request)', async () => {
        const state = emulator.freshState();
        const since = emulator.lastSeq();
        const future = new Date(Date.now() + 3 * 3600_000).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
        const cases: Array<[unknown, RegExp]> = [
          [{}, /\(an empty object\)/],
          [{ version: 1, field: 'lastUpdateDateTime', from: future, high: future, seen: {} }, /\(from .* is in the future/],
          [{ version: 1, field: 'lastUpdateDateTime', from: '2026-01-02T00:00:00.0000000Z', high: '2026-01-01T00:00:00.0000000Z', seen: {} }, /\(high 2026-01-01T00:00:00\.0000000Z is before from 2026-01-02T00:00:00\.0000000Z\)/],
        ];
        for (const [cp, why] of cases) {
          const r = await daemon(envOf(flavor, state), { state: cp });
          expect(r.code, JSON.stringify(cp)).to.equal(2);
          expect(r.result['error']['code']).to.equal('INVALID_INPUT');
          expect(r.result['error']['message']).to.match(/^Parameter 'state' is not a checkpoint of this daemon /).and.to.match(why);
          expect(r.result).not.to.have.property('state');
        }
        expect(em.requests(since).filter((r) => !r.path.startsWith('/_emulator'))).to.deep.equal([]);
      });

      it('takes only the statuses and the minimum severity asked for', async () => {
        const state = emulator.freshState();
        const r = await daemon(envOf(flavor, state), { first_fetch: '90d', max_incidents_per_run: '1000', statuses: 'Active, In Progress', min_severity: 'Medium' });
        const items = r.result['json_result'] as Json[];
        expect(items.length).to.be.above(0);
        for (const i of items) {
          expect(['active', 'inProgress']).to.include(i['status']);
          expect(['medium', 'high']).to.include(i['severity']);
        }
      });

      if (flavor === 'graph') {
        it('falls back to reading alerts per incident when $expand=alerts fails, and hands over an incident whose alerts fail without them', async () => {
          const state = emulator.freshState();
          em.addFault({ kind: 'status', status: 500, count: 1000, match: { path: '/v1.0/security/incidents', exact: true, query: '$expand=alerts' } });
          const victim = [...currentVersions()].map((v) => v.split('@')[0]!).at(-1)!;
          em.addFault({ kind: 'status', status: 500, count: 1000, match: { path: `/v1.0/security/incidents/${victim}`, exact: true } });
          const r = await daemon(envOf(flavor, state), { first_fetch: '90d', max_incidents_per_run: '1000' });
          em.clearFaults();
          expect(r.code, r.stdout.slice(0, 300)).to.equal(0);
          const items = r.result['json_result'] as Json[];
          expect(new Set(items.map(versionOf)).size).to.equal(currentVersions().size);
          for (const i of items) {
            if (i['id'] === victim) expect(i['alerts']).to.equal(undefined);
            else expect(i['alerts'], i['id']).to.be.an('array').that.is.not.empty;
          }
          expect(r.result['output_message']).to.match(/1 without their alerts/);
        });
      }

      it('chaos: scheduled runs while incidents change, with faults and kills; the engine takes every version once', async () => {
        await chaos({
          em,
          seed: flavor === 'graph' ? 101 : 202,
          daemon,
          env: (dir, extra) => envOf(flavor, dir, extra),
          freshState: emulator.freshState,
          maxParam: 'max_incidents_per_run',
          ids: () => [...currentVersions()].map((v) => v.split('@')[0]!),
          change(add, pick, rand) {
            const inc = add ? em.addIncident({ displayName: 'chaos', severity: 'low', alerts: 1 }) : em.updateIncident(pick(), { assignedTo: `analyst${Math.floor(rand() * 1e6)}@contoso.com` })!;
            return { id: String(inc['id']), lastUpdateDateTime: inc['lastUpdateDateTime'] as string };
          },
          faultPath: flavor === 'graph' ? '/v1.0/' : '/api/',
        });
      });
    });
  }

  it('a first sync on Graph makes at most one call per 49 incidents (pages of 50 that start again at the last timestamp)', async () => {
    const state = emulator.freshState();
    const r = await daemon(envOf('graph', state), { first_fetch: '90d', max_incidents_per_run: '10000' });
    const n = (r.result['json_result'] as Json[]).length;
    // pages of 50 that each start again at the last timestamp of the one before: ceil(n / 49) at most
    expect(callsOf(r)).to.be.at.most(Math.ceil(n / 49) + 1);
  });
});
