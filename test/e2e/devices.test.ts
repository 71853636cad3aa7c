// The device actions end to end: the built processes (Isolate Device, Release Device From Isolation, Run Antivirus
// Scan, Restrict App Execution, Remove App Restriction, Collect Investigation Package, Stop And Quarantine File, Get
// Machine Action, Get Device, Ping's check_endpoint_api) against the emulator's Defender for Endpoint face. What reached
// the service is read from the emulator's request log; the state of a device from em.machine(). Machine actions run
// on the emulator's service clock (timeScale 60: a Pending and InProgress of 6 service seconds each take 0.2 s), so a
// wait ends at the follower's first read.
import { expect } from 'chai';
import type { Emulator, RequestLogEntry } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { entryOf, expectContract, runEntry, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';
import { envelopeValidator, validatorFor } from '../support/schemas';

const ids = ['isolate-device', 'release-device-from-isolation', 'run-antivirus-scan', 'restrict-app-execution', 'remove-app-restriction', 'collect-investigation-package', 'stop-and-quarantine-file', 'get-machine-action', 'get-device', 'ping'] as const;
type Id = (typeof ids)[number];
const ENTRY = Object.fromEntries(ids.map((id) => [id, entryOf(id, repoRoot)])) as Record<Id, string>;
const validators = Object.fromEntries(ids.map((id) => [id, validatorFor(`schemas/actions/${id}.result.schema.json`)])) as Record<Id, ReturnType<typeof validatorFor>>;
const validateEnvelope = envelopeValidator();
const CONTEXT = { case_id: 'devices-case', alert_group_identifiers: [] };
type Json = Record<string, any>;
const SHA1 = '3395856ce81f2b7382dee72602f798b642f14140';
const SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';

describe('The device actions against the emulator (Defender for Endpoint API)', function () {
  this.timeout(120_000);
  const emulator = useEmulator({ seed: 15, incidents: 10, quotas: false, timeScale: 60, machineActionSeconds: { pending: 6, running: 6 } }, 'devices');
  let em: Emulator;
  let state: string;
  before(() => {
    em = emulator.em;
    state = emulator.freshState();
  });
  const env = (extra: Record<string, string | undefined> = {}) => ({ ...em.env, M365D_STATE_DIR: state, ...extra });
  const app = (name: 'readonly' | 'nohunting') => ({ M365D_CLIENT_ID: em.app(name).clientId, M365D_CLIENT_SECRET: em.app(name).clientSecret, M365D_STATE_DIR: emulator.freshState() });

  async function run(id: Id, input: Record<string, unknown>, extraEnv: Record<string, string | undefined> = {}): Promise<RunResult> {
    const r = await runEntry(ENTRY[id], { env: env(extraEnv), input: { ...CONTEXT, ...input }, timeoutMs: 60_000 });
    expectContract(r);
    expect(validateEnvelope(r.result), JSON.stringify(validateEnvelope.errors)).to.equal(true);
    if (r.result['status'] === 'completed') expect(validators[id](r.result['json_result']), JSON.stringify(validators[id].errors)).to.equal(true);
    return r;
  }
  const completed = (r: RunResult): Json => {
    expect(r.result['status'], r.stdout.slice(0, 800) + r.stderr.slice(-800)).to.equal('completed');
    expect(r.code).to.equal(0);
    return r.result['json_result'] as Json;
  };
  const failed = (r: RunResult, code: string, exit: number, message: RegExp): void => {
    expect(r.result['status'], r.stdout.slice(0, 800)).to.equal('failed');
    expect([r.result['error'].code, r.code], r.result['error'].message).to.deep.equal([code, exit]);
    expect(r.result['error'].message).to.match(message);
  };
  const mde = (since: number): RequestLogEntry[] => em.requests(since).filter((q) => q.path.startsWith('/api/'));
  const posts = (since: number): RequestLogEntry[] => mde(since).filter((q) => q.method === 'POST');
  const host = (e: string) => ({ Identifier: e, EntityType: 'HOSTNAME' });
  const rows = (json: Json) => (json['devices'] as Json[]).map((d) => [d['given'], d['outcome']]);
  let n = 0;
  const add = (name: string, extra: Record<string, unknown> = {}) => em.addMachine({ computerDnsName: `${name}-${++n}.contoso.com`, ...extra } as never) as unknown as Json;

  it('isolates the devices named by host name, address and id; reports the unknown and the ambiguous names; then finds them already isolated and releases them', async () => {
    const a = add('mde-ws');
    const b = add('mde-db', { lastIpAddress: '10.77.0.5' });
    const c = add('mde-app');
    em.addMachine({ computerDnsName: 'mde-twin.contoso.com' });
    em.addMachine({ computerDnsName: 'MDE-TWIN.fabrikam.com' });
    const shortA = String(a['computerDnsName']).split('.')[0]!.toUpperCase();
    const entities = [host(shortA), { Identifier: '10.77.0.5', EntityType: 'ADDRESS' }, host('mde-ghost'), host('mde-twin'), { Identifier: 'someone@contoso.com', EntityType: 'USERUNIQNAME' }];
    const since = emulator.lastSeq();
    const r = await run('isolate-device', { comment: 'Isolated by case 15', isolation_type: 'selective', device_ids: String(c['id']).toUpperCase(), target_entities: entities });
    const json = completed(r);
    expect(rows(json)).to.have.deep.members([[String(c['id']), 'succeeded'], [shortA, 'succeeded'], ['10.77.0.5', 'succeeded'], ['mde-ghost', 'not_found'], ['mde-twin', 'ambiguous']]);
    expect(r.result['result_value']).to.equal(false);
    expect(posts(since).map((q) => q.path).sort()).to.deep.equal([a, b, c].map((m) => `/api/machines/${m['id']}/isolate`).sort());
    for (const m of [a, b, c]) expect(em.machine(String(m['id']))!['isolation']).to.equal('Selective');
    const outcomes = Object.fromEntries((r.result['entities'] as Json[]).map((e) => [e['Identifier'], [e['status'], e['message']]]));
    expect(outcomes[shortA][0]).to.equal('success');
    expect(outcomes['mde-ghost']).to.deep.equal(['not_found', 'No device is named mde-ghost.']);
    expect(outcomes['mde-twin'][0]).to.equal('failed');
    expect(outcomes['mde-twin'][1]).to.match(/mde-twin names 2 devices .*none was chosen/);
    expect(outcomes['someone@contoso.com'][0]).to.equal('skipped');
    const twin = (json['devices'] as Json[]).find((d) => d['given'] === 'mde-twin')!;
    expect(twin['candidates']).to.have.length(2);
    expect(r.result['output_message']).to.match(/^3 of 5 devices isolated \(3 succeeded, 1 not found, 1 ambiguous\)\. Machine actions: /);

    // the same run again: every device is already isolated (its latest Isolate succeeded), nothing is sent
    const again = emulator.lastSeq();
    const r2 = await run('isolate-device', { comment: 'Isolated by case 15', isolation_type: 'Selective', device_ids: String(c['id']), target_entities: entities.slice(0, 2) });
    expect(rows(completed(r2))).to.have.deep.members([[String(c['id']), 'already'], [shortA, 'already'], ['10.77.0.5', 'already']]);
    expect(r2.result['result_value']).to.equal(true);
    expect(posts(again)).to.deep.equal([]);

    // Get Device tells the isolation state from the latest Isolate
    const d = completed(await run('get-device', { device_id: String(a['id']), target_entities: [host('mde-ghost')] }));
    expect((d['devices'] as Json[]).map((x) => [x['outcome'], x['isolation_state'], x['device']?.['id'] ?? null])).to.deep.equal([['not_found', 'unknown', null], ['found', 'isolated', a['id']]]);

    // released (waiting), and Get Device says so
    const rel = await run('release-device-from-isolation', { comment: 'Released by case 15', device_ids: `${a['id']},${b['id']}` });
    expect(rows(completed(rel))).to.deep.equal([[a['id'], 'succeeded'], [b['id'], 'succeeded']]);
    expect(em.machine(String(a['id']))!['isolation']).to.equal('None');
    const d2 = completed(await run('get-device', { device_id: String(a['id']) }));
    expect((d2['devices'] as Json[])[0]!['isolation_state']).to.equal('not isolated');
  });

  it('without waiting reports the request; a second request while it is pending is Microsoft\'s duplicate, followed and not a failure; Get Machine Action follows it', async () => {
    const s = add('mde-stuck', { behaviour: 'stuck' });
    const id = String(s['id']);
    const first = await run('run-antivirus-scan', { comment: 'scan 1', scan_type: 'Full', device_ids: id, wait_for_completion: false });
    const j1 = completed(first);
    expect(rows(j1)).to.deep.equal([[id, 'requested']]);
    expect(first.result['result_value']).to.equal(true);
    const actionId = j1['machine_action_ids'][0] as string;
    expect((j1['devices'] as Json[])[0]!['machine_action']['status']).to.equal('Pending');
    expect(em.machineActions(id).map((x) => [x['id'], x['scope']])).to.deep.equal([[actionId, 'Full']]);

    const since = emulator.lastSeq();
    const second = await run('run-antivirus-scan', { comment: 'scan 2', device_ids: id, wait_for_completion: false });
    const j2 = completed(second);
    expect(j2['machine_action_ids']).to.deep.equal([actionId]);
    expect((j2['devices'] as Json[])[0]!['message']).to.match(/already in progress .*Action is already in progress.*the pending action .* is followed/);
    expect(posts(since).map((q) => q.status)).to.deep.equal([400]);
    expect(em.machineActions(id)).to.have.length(1);

    const byId = completed(await run('get-machine-action', { machine_action_id: actionId.toUpperCase() }));
    expect([byId['machine_action']['id'], byId['machine_action']['status'], byId['package_uri']]).to.deep.equal([actionId, 'Pending', null]);
    const byDevice = completed(await run('get-machine-action', { target_entities: [host(String(s['computerDnsName']))] }));
    expect((byDevice['devices'] as Json[])[0]!['machine_actions'].map((x: Json) => x['id'])).to.deep.equal([actionId]);
    failed(await run('get-machine-action', { machine_action_id: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND', 1, /no machine action 00000000-0000-4000-8000-000000000000/);
  });

  it('a device whose action fails is that device\'s failure; the deadline (M365D_ACTION_TIMEOUT) reached while pending is reported with the action\'s id', async () => {
    const bad = add('mde-fails', { behaviour: 'fails' });
    const good = add('mde-ok');
    const r = await run('restrict-app-execution', { comment: 'restrict', device_ids: `${bad['id']},${good['id']}` });
    expect(rows(completed(r))).to.deep.equal([[bad['id'], 'failed'], [good['id'], 'succeeded']]);
    expect(r.result['result_value']).to.equal(false);
    expect((r.result['json_result']['devices'] as Json[])[0]!['message']).to.match(/RestrictCodeExecution .* ended Failed\./);
    expect(em.machine(String(good['id']))!['restricted']).to.equal(true);
    const lifted = await run('remove-app-restriction', { comment: 'lift', device_ids: String(good['id']) });
    expect(rows(completed(lifted))).to.deep.equal([[good['id'], 'succeeded']]);
    expect(em.machine(String(good['id']))!['restricted']).to.equal(false);

    const stuck = add('mde-stuck', { behaviour: 'stuck' });
    const from = emulator.lastSeq();
    const late = await run('isolate-device', { comment: 'isolate before the engine kills us', device_ids: String(stuck['id']) }, { M365D_ACTION_TIMEOUT: '6' });
    const json = completed(late);
    expect(rows(json)).to.deep.equal([[stuck['id'], 'pending']]);
    expect(late.result['result_value']).to.equal(false);
    const row = (json['devices'] as Json[])[0]!;
    expect(row['message']).to.equal(`Isolate ${row['machine_action']['id']} on ${stuck['computerDnsName']} is still Pending at the end of the wait; follow it with Get Machine Action (machine_action_id ${row['machine_action']['id']}).`);
    // the deadline held, on the emulator's own clock (no wall-clock bound on a loaded machine): the process followed the
    // action (read it again at least once) and made its last call less than the 6 s of M365D_ACTION_TIMEOUT after its
    // first (the deadline counts from the process's start, before its first call), leaving time for the result
    const calls = mde(from);
    const actionId = String(row['machine_action']['id']);
    expect(calls.filter((q) => q.method === 'GET' && q.path === `/api/machineactions/${actionId}`).length).to.be.at.least(1);
    const t = (q: RequestLogEntry) => Date.parse(q.time);
    expect(t(calls.at(-1)!) + (calls.at(-1)!.durationMs ?? 0) - t(calls[0]!)).to.be.below(6_000);
  });

  it('PERMISSION names the permission and creates nothing; Ping checks the Defender for Endpoint API on request', async () => {
    const m = add('mde-perm');
    const since = emulator.lastSeq();
    failed(await run('isolate-device', { comment: 'c', device_ids: String(m['id']) }, app('readonly')), 'PERMISSION', 1, /Machine\.Isolate .*the Defender for Endpoint API/);
    expect(em.machineActions(String(m['id']))).to.deep.equal([]);
    expect(posts(since).map((q) => q.status)).to.deep.equal([403]);

    const ping = completed(await run('ping', { check_endpoint_api: true }));
    expect(ping['confirmed_permissions']).to.include('Machine.Read.All');
    expect(ping['checks'].map((c: Json) => c['name'])).to.deep.equal(['token', 'incident_read', 'endpoint_token', 'endpoint_read']);
    expect(ping['endpoint_api_url']).to.equal(em.origin);
    failed(await run('ping', { check_endpoint_api: true }, app('nohunting')), 'PERMISSION', 1, /Machine\.Read\.All .*reading one device .*the Defender for Endpoint API.*Confirmed before this: token, SecurityIncident\.Read\.All, endpoint_token/);
    // without the check, Ping does not touch the Defender for Endpoint API
    const before = emulator.lastSeq();
    completed(await run('ping', {}, app('nohunting')));
    expect(mde(before).filter((q) => q.path.startsWith('/api/machines'))).to.deep.equal([]);
  });

  it('throttling mid-run: a 429 with Retry-After on one device\'s POST is waited out (it was not applied); a device still throttled is its own failure', async () => {
    const m1 = add('mde-t1');
    const m2 = add('mde-t2');
    em.addFault({ kind: 'status', status: 429, retryAfter: 1, count: 1, match: { method: 'POST', path: `/api/machines/${m2['id']}/` } });
    const since = emulator.lastSeq();
    const r = await run('collect-investigation-package', { comment: 'collect', device_ids: `${m1['id']},${m2['id']}` });
    const json = completed(r);
    expect(rows(json)).to.deep.equal([[m1['id'], 'succeeded'], [m2['id'], 'succeeded']]);
    expect(posts(since).map((q) => [q.path.split('/')[3], q.status])).to.deep.equal([[m1['id'], 201], [m2['id'], 429], [m2['id'], 201]]);
    for (const d of json['devices'] as Json[]) expect(d['package_uri']).to.be.a('string').and.match(/WDATP_Investigation_Package\.zip/);

    em.addFault({ kind: 'status', status: 429, retryAfter: 1, count: 50, match: { method: 'POST', path: `/api/machines/${m2['id']}/` } });
    const r2 = await run('stop-and-quarantine-file', { comment: 'quarantine', sha1: SHA1.toUpperCase(), device_ids: `${m1['id']},${m2['id']}` }, { M365D_ACTION_TIMEOUT: '8' });
    const j2 = completed(r2);
    expect(rows(j2)).to.deep.equal([[m1['id'], 'succeeded'], [m2['id'], 'failed']]);
    expect((j2['devices'] as Json[])[1]!['message']).to.match(/throttled .*\(429\)/);
    expect((j2['devices'] as Json[])[0]!['machine_action']['relatedFileInfo']['fileIdentifier']).to.equal(SHA1);
  });

  it('stops and quarantines the file of a FILEHASH entity on the device of a HOSTNAME entity: one outcome per entity; a scan runs as asked', async () => {
    const m = add('mde-file');
    const r = await run('stop-and-quarantine-file', { comment: 'quarantine it', target_entities: [host(String(m['computerDnsName'])), { Identifier: SHA1.toUpperCase(), EntityType: 'FILEHASH' }] });
    const json = completed(r);
    expect(rows(json)).to.deep.equal([[m['computerDnsName'], 'succeeded']]);
    expect((r.result['entities'] as Json[]).map((e) => [e['EntityType'], e['status']])).to.deep.equal([['HOSTNAME', 'success'], ['FILEHASH', 'success']]);
    expect(em.machineActions(String(m['id'])).map((a) => [a['type'], a['status'], (a['relatedFileInfo'] as Json)['fileIdentifier']])).to.deep.equal([['StopAndQuarantineFile', 'Succeeded', SHA1]]);
    const scan = await run('run-antivirus-scan', { comment: 'scan it', device_ids: String(m['id']) });
    expect((completed(scan)['devices'] as Json[]).map((d) => [d['outcome'], d['machine_action']['scope']])).to.deep.equal([['succeeded', 'Quick']]);
  });

  it('refuses bad input with exit 2 and sends nothing: no comment, a SHA-256 for Stop And Quarantine File, a bad isolation type, a bad device id, no device, only malformed entities', async () => {
    const m = add('mde-input');
    const since = emulator.lastSeq();
    const id = String(m['id']);
    failed(await run('isolate-device', { device_ids: id }), 'INVALID_INPUT', 2, /comment/);
    failed(await run('isolate-device', { comment: '   ', device_ids: id }), 'INVALID_INPUT', 2, /Parameter 'comment' is required/);
    failed(await run('isolate-device', { comment: 'c', device_ids: id, isolation_type: 'Partial' }), 'INVALID_INPUT', 2, /isolation_type/);
    failed(await run('run-antivirus-scan', { comment: 'c', device_ids: id, scan_type: 'Deep' }), 'INVALID_INPUT', 2, /scan_type/);
    failed(await run('stop-and-quarantine-file', { comment: 'c', device_ids: id, target_entities: [{ Identifier: SHA256, EntityType: 'FILEHASH' }] }), 'INVALID_INPUT', 2, /^FILEHASH entity "275a021b[0-9a-f]+" is a SHA-256 hash \(64 hexadecimal digits\); Stop And Quarantine File takes SHA-1 hashes of 40 hexadecimal digits\.$/);
    failed(await run('stop-and-quarantine-file', { comment: 'c', device_ids: id }), 'INVALID_INPUT', 2, /No file to stop and quarantine/);
    failed(await run('release-device-from-isolation', { comment: 'c', device_ids: 'ws-01' }), 'INVALID_INPUT', 2, /'device_ids' must hold Defender for Endpoint machine ids/);
    failed(await run('restrict-app-execution', { comment: 'c' }), 'INVALID_INPUT', 2, /No device given/);
    // only malformed entities: no target is usable
    failed(await run('isolate-device', { comment: 'c', target_entities: [host('not a host!'), { Identifier: '10.0.0.999', EntityType: 'ADDRESS' }] }), 'INVALID_INPUT', 2, /^No usable device: HOSTNAME entity "not a host!" is not a host name .* ADDRESS entity "10\.0\.0\.999" is not an IPv4 or IPv6 address\. Give 'device_ids'/);
    expect(mde(since)).to.deep.equal([]);
  });

  it('a reset or a 504 on the POST is never followed by a second POST; the outcome is unknown unless the action is found by its comment', async () => {
    for (const [fault, said] of [[{ kind: 'reset' }, /unknown: .*(closed|failed|reset)/i], [{ kind: 'status', status: 504 }, /unknown: .*\(HTTP 504\)/]] as const) {
      const m = add('mde-lost');
      em.addFault({ ...fault, count: 3, match: { method: 'POST', path: '/api/machines/' } } as never);
      const since = emulator.lastSeq();
      const r = await run('isolate-device', { comment: 'lost answer', device_ids: String(m['id']) });
      const row = (completed(r)['devices'] as Json[])[0]!;
      expect(row['outcome']).to.equal('unknown');
      expect(row['message'], row['message']).to.match(said);
      expect(row['message']).to.match(/check with Get Machine Action .* before asking again/);
      expect(posts(since)).to.have.length(1);
      expect(r.result['result_value']).to.equal(false);
      em.clearFaults();
    }
    // the answer cut short after the action was made: the action is found by its comment and followed
    const m = add('mde-cut');
    em.addFault({ kind: 'truncate', count: 1, match: { method: 'POST', path: `/api/machines/${m['id']}/` } });
    const since = emulator.lastSeq();
    const r = await run('isolate-device', { comment: 'cut answer', device_ids: String(m['id']) });
    const row = (completed(r)['devices'] as Json[])[0]!;
    expect([row['outcome'], row['machine_action']['requestorComment']]).to.deep.equal(['succeeded', 'cut answer']);
    expect(posts(since)).to.have.length(1);
    expect(em.machineActions(String(m['id']))).to.have.length(1);
  });
});
