import { expect } from 'chai';
import { startEmulator, type Emulator } from '../emulator';
import { bucketFor } from '../quotas';
import { request, type HttpResult } from '../test-support';

const MDE = 'https://api.securitycenter.microsoft.com';
const SHA1 = '87662bc3d60e4200ceaf7aae249d1c343f4b83c9';
// Service-clock seconds an action stays Pending, then InProgress; the tests move the clock by whole phases plus a margin
// far larger than a test's own run time, so the status they see never depends on the machine's speed.
const PENDING = 600, RUNNING = 1200;

describe('emulator: REAL TENANT Defender for Endpoint response actions over HTTPS', function () {
  this.timeout(60_000);
  let em: Emulator;
  const call = (path: string, o: { method?: string; json?: unknown; body?: string; app?: 'full' | 'readonly' } = {}): Promise<HttpResult> =>
    request(`${em.origin}${path}`, {
      method: o.method ?? (o.json !== undefined || o.body !== undefined ? 'POST' : 'GET'), json: o.json, body: o.body, ca: em.caPem,
      headers: { authorization: `Bearer ${em.issueToken(o.app ?? 'full', MDE)}`, ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    });
  const post = (id: string, action: string, json: unknown): Promise<HttpResult> => call(`/api/machines/${id}/${action}`, { method: 'POST', json });
  const action = async (id: string): Promise<Record<string, unknown>> => {
    const r = await call(`/api/machineactions/${id}`);
    expect(r.status, r.text).to.equal(200);
    return r.json;
  };
  const phase = (s: number): void => { em.advanceClock(s * 1000); };

  before(async () => {
    em = await startEmulator({ seed: 8, incidents: 30, huntingRowsPerTable: 20, quotas: false, machineActionSeconds: { pending: PENDING, running: RUNNING } });
  });
  after(() => em?.stop());

  it('REAL TENANT: isolate answers 201 + machineAction; the status moves Pending -> InProgress -> Succeeded on the service clock', async () => {
    const m = em.addMachine({ computerDnsName: 'iso-1.contoso.com' });
    const r = await post(m.id, 'isolate', { Comment: 'Isolate machine due to alert 1234', IsolationType: 'Selective' });
    expect(r.status, r.text).to.equal(201);
    expect(r.json['@odata.context']).to.equal(`${em.origin}/api/$metadata#MachineActions/$entity`);
    expect(r.json).to.include({ type: 'Isolate', scope: 'Selective', requestorComment: 'Isolate machine due to alert 1234', status: 'Pending',
      machineId: m.id, computerDnsName: 'iso-1.contoso.com', relatedFileInfo: null, cancellationRequestor: null });
    expect(r.json.id).to.match(/^[0-9a-f-]{36}$/);
    expect(r.json.requestor).to.equal(em.app('full').clientId);
    expect(r.json.creationDateTimeUtc).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
    expect(r.json.lastUpdateDateTimeUtc).to.equal(r.json.creationDateTimeUtc);
    expect(em.machine(m.id)?.isolation).to.equal('None');
    phase(PENDING + 60);
    const running = await action(String(r.json.id));
    expect(running.status).to.equal('InProgress');
    expect(String(running.lastUpdateDateTimeUtc) > String(r.json.creationDateTimeUtc)).to.equal(true);
    expect(em.machine(m.id)?.isolation).to.equal('None');
    phase(RUNNING);
    const done = await action(String(r.json.id));
    expect(done.status).to.equal('Succeeded');
    expect(String(done.lastUpdateDateTimeUtc) > String(running.lastUpdateDateTimeUtc)).to.equal(true);
    expect(em.machine(m.id)).to.include({ isolation: 'Selective', restricted: false });
    // the API's machine record does not tell isolation (machine.md documents no such property)
    const rec = await call(`/api/machines/${m.id}`);
    expect(JSON.stringify(rec.json)).to.not.match(/isolat/i);
    expect(em.machineActions(m.id).map((a) => a.status)).to.deep.equal(['Succeeded']);
  });

  it('REAL TENANT: every action, with its body rules; nothing is created by a refused request', async () => {
    const m = em.addMachine({ computerDnsName: 'all-1.contoso.com' });
    const cases: Array<[string, Record<string, unknown>, string, string | null]> = [
      ['isolate', { Comment: 'c' }, 'Isolate', 'Full'], // IsolationType defaults to Full
      ['unisolate', { Comment: 'c' }, 'Unisolate', null],
      ['runAntiVirusScan', { Comment: 'c', ScanType: 'Quick' }, 'RunAntiVirusScan', 'Quick'],
      ['collectInvestigationPackage', { Comment: 'c' }, 'CollectInvestigationPackage', null],
      ['restrictCodeExecution', { Comment: 'c' }, 'RestrictCodeExecution', null],
      ['unrestrictCodeExecution', { Comment: 'c' }, 'UnrestrictCodeExecution', null],
      ['StopAndQuarantineFile', { Comment: 'c', Sha1: SHA1.toUpperCase() }, 'StopAndQuarantineFile', null],
    ];
    for (const [path, body, type, scope] of cases) {
      const r = await post(m.id, path, body);
      expect(r.status, `${path}: ${r.text}`).to.equal(201);
      expect(r.json, path).to.include({ type, scope, status: 'Pending' });
    }
    const saq = em.machineActions(m.id).find((a) => a.type === 'StopAndQuarantineFile');
    expect(saq?.relatedFileInfo).to.deep.equal({ fileIdentifier: SHA1, fileIdentifierType: 'Sha1' });
    // path segments are matched case-insensitively, as the service routes them
    const other = em.addMachine({ computerDnsName: 'all-2.contoso.com' });
    expect((await post(other.id, 'stopandquarantinefile', { Comment: 'c', Sha1: SHA1 })).status).to.equal(201);
    const before = em.machineActions().length;
    const refused: Array<[string, unknown, number, string, RegExp?]> = [
      ['isolate', { comment: 'lower-case name' }, 400, 'MissingRequiredParameter', /Parameter Comment is missing/],
      ['isolate', {}, 400, 'MissingRequiredParameter'],
      ['isolate', { Comment: '' }, 400, 'MissingRequiredParameter'],
      ['isolate', { Comment: 7 }, 400, 'InvalidRequestBody'],
      ['isolate', { Comment: 'c', IsolationType: 'Partial' }, 400, 'InvalidRequestBody', /IsolationType must be one of Full, Selective, UnManagedDevice/],
      ['isolate', { Comment: 'c', IsolationType: 'full' }, 400, 'InvalidRequestBody'],
      ['runAntiVirusScan', { Comment: 'c' }, 400, 'MissingRequiredParameter', /ScanType/],
      ['runAntiVirusScan', { Comment: 'c', scanType: 'Quick' }, 400, 'MissingRequiredParameter'],
      ['runAntiVirusScan', { Comment: 'c', ScanType: 'Deep' }, 400, 'InvalidRequestBody'],
      ['StopAndQuarantineFile', { Comment: 'c' }, 400, 'MissingRequiredParameter', /Sha1/],
      ['StopAndQuarantineFile', { Comment: 'c', Sha1: 'a'.repeat(64) }, 400, 'InvalidHashValue', /^Hash value a{64} is invalid\.$/],
      ['StopAndQuarantineFile', { Comment: 'c', sha1: SHA1 }, 400, 'MissingRequiredParameter'],
      ['restrictCodeExecution', [], 400, 'InvalidRequestBody'],
    ];
    const fresh = em.addMachine({ computerDnsName: 'refused.contoso.com' });
    for (const [path, body, status, code, msg] of refused) {
      const r = await post(fresh.id, path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}: ${r.text}`).to.equal(status);
      expect(r.json.error.code, JSON.stringify(body)).to.equal(code);
      expect(r.json.error.target).to.be.a('string');
      if (msg) expect(r.json.error.message).to.match(msg);
    }
    const notJson = await call(`/api/machines/${fresh.id}/isolate`, { body: '{"Comment": ' });
    expect(notJson.json.error.code).to.equal('InvalidRequestBody');
    const nf = await post('ffffffffffffffffffffffffffffffffffffffff', 'isolate', { Comment: 'c' });
    expect(nf.status).to.equal(404);
    expect(nf.json.error).to.include({ code: 'ResourceNotFound', message: 'Machine ffffffffffffffffffffffffffffffffffffffff was not found' });
    expect(em.machineActions().length).to.equal(before);
  });

  it('REAL TENANT: a device seeded to fail ends Failed (and is not isolated); a stuck one stays Pending', async () => {
    const bad = em.addMachine({ computerDnsName: 'bad.contoso.com', behaviour: 'fails' });
    const stuck = em.addMachine({ computerDnsName: 'stuck.contoso.com', behaviour: 'stuck' });
    const a = await post(bad.id, 'isolate', { Comment: 'c' });
    const b = await post(stuck.id, 'runAntiVirusScan', { Comment: 'c', ScanType: 'Full' });
    phase(PENDING + 60);
    expect((await action(String(a.json.id))).status).to.equal('InProgress');
    phase(RUNNING + 86_400);
    expect((await action(String(a.json.id))).status).to.equal('Failed');
    expect(em.machine(bad.id)?.isolation).to.equal('None');
    const s = await action(String(b.json.id));
    expect(s).to.include({ status: 'Pending', scope: 'Full' });
    expect(s.lastUpdateDateTimeUtc).to.equal(s.creationDateTimeUtc);
  });

  it('REAL TENANT: the same action already pending on the device: 400 ActiveRequestAlreadyExists, nothing created; an isolated device isolates again', async () => {
    const m = em.addMachine({ computerDnsName: 'dup.contoso.com' });
    const first = await post(m.id, 'isolate', { Comment: 'first' });
    expect(first.status).to.equal(201);
    const dup = await post(m.id, 'isolate', { Comment: 'again', IsolationType: 'Selective' });
    expect(dup.status, dup.text).to.equal(400);
    expect(dup.json.error).to.include({ code: 'ActiveRequestAlreadyExists', message: 'Action is already in progress' });
    phase(PENDING + 60); // InProgress is still active
    expect((await post(m.id, 'isolate', { Comment: 'again' })).status).to.equal(400);
    // another action type is not a duplicate; another file is not either, the same file is
    expect((await post(m.id, 'runAntiVirusScan', { Comment: 'c', ScanType: 'Quick' })).status).to.equal(201);
    expect((await post(m.id, 'StopAndQuarantineFile', { Comment: 'c', Sha1: SHA1 })).status).to.equal(201);
    expect((await post(m.id, 'StopAndQuarantineFile', { Comment: 'c', Sha1: 'b'.repeat(40) })).status).to.equal(201);
    expect((await post(m.id, 'StopAndQuarantineFile', { Comment: 'c', Sha1: SHA1.toUpperCase() })).status).to.equal(400);
    expect(em.machineActions(m.id).filter((a) => a.type === 'Isolate')).to.have.length(1);
    phase(PENDING + RUNNING);
    expect(em.machine(m.id)?.isolation).to.equal('Full');
    // isolating an isolated device is a new action that succeeds and changes nothing
    const again = await post(m.id, 'isolate', { Comment: 'once more' });
    expect(again.status).to.equal(201);
    phase(PENDING + RUNNING + 60);
    expect((await action(String(again.json.id))).status).to.equal('Succeeded');
    expect(em.machine(m.id)?.isolation).to.equal('Full');
    const rel = await post(m.id, 'unisolate', { Comment: 'release' });
    phase(PENDING + RUNNING + 60);
    expect((await action(String(rel.json.id))).status).to.equal('Succeeded');
    expect(em.machine(m.id)?.isolation).to.equal('None');
    // releasing a device that is not isolated: accepted, succeeds, still not isolated
    const rel2 = await post(m.id, 'unisolate', { Comment: 'release again' });
    expect(rel2.status).to.equal(201);
    phase(PENDING + RUNNING + 60);
    expect((await action(String(rel2.json.id))).status).to.equal('Succeeded');
    expect(em.machine(m.id)?.isolation).to.equal('None');
    // restriction follows its own pair of actions
    await post(m.id, 'restrictCodeExecution', { Comment: 'c' });
    phase(PENDING + RUNNING + 60);
    expect(em.machine(m.id)?.restricted).to.equal(true);
  });

  it('REAL TENANT: GET /api/machineactions with $filter, $top and $skip, newest first; 404 for an unknown id', async () => {
    const m = em.addMachine({ computerDnsName: 'list.contoso.com' });
    const ids: string[] = [];
    for (const [p, b] of [['runAntiVirusScan', { Comment: '1', ScanType: 'Quick' }], ['collectInvestigationPackage', { Comment: '2' }], ['isolate', { Comment: '3' }]] as const) {
      ids.push(String((await post(m.id, p, b)).json.id));
      phase(1);
    }
    const list = async (f: string, extra = ''): Promise<Array<Record<string, unknown>>> => {
      const r = await call(`/api/machineactions?$filter=${encodeURIComponent(f)}${extra}`);
      expect(r.status, `${f}: ${r.text}`).to.equal(200);
      expect(r.json['@odata.context']).to.equal(`${em.origin}/api/$metadata#MachineActions`);
      return r.json.value;
    };
    expect((await list(`machineId eq '${m.id}'`)).map((a) => a.id)).to.deep.equal([...ids].reverse());
    expect((await list(`machineId eq '${m.id}'`, '&$top=2')).map((a) => a.id)).to.deep.equal([ids[2], ids[1]]);
    expect((await list(`machineId eq '${m.id}'`, '&$top=2&$skip=2')).map((a) => a.id)).to.deep.equal([ids[0]]);
    expect((await list(`machineId eq '${m.id}' and type eq 'Isolate'`)).map((a) => a.id)).to.deep.equal([ids[2]]);
    // the typed filter the device actions send (or and parentheses on type), paged with $top and $skip, no nextLink
    const typed = `machineId eq '${m.id}' and (type eq 'Isolate' or type eq 'RunAntiVirusScan')`;
    expect((await list(typed, '&$top=1')).map((a) => a.id)).to.deep.equal([ids[2]]);
    expect((await list(typed, '&$top=1&$skip=1')).map((a) => a.id)).to.deep.equal([ids[0]]);
    expect(await list(typed, '&$top=1&$skip=2')).to.deep.equal([]);
    expect((await call(`/api/machineactions?$filter=${encodeURIComponent(typed)}&$top=1`)).json).to.not.have.property('@odata.nextLink');
    expect((await list(`id eq '${ids[1]}'`)).map((a) => a.type)).to.deep.equal(['CollectInvestigationPackage']);
    expect(await list(`machineId eq '${m.id}' and status eq 'Pending'`)).to.have.length(3);
    expect(await list(`requestor eq '${em.app('full').clientId}' and machineId eq '${m.id}'`)).to.have.length(3);
    const created = String((await action(ids[1])).creationDateTimeUtc);
    expect((await list(`machineId eq '${m.id}' and creationDateTimeUtc ge ${created}`)).map((a) => a.id)).to.deep.equal([ids[2], ids[1]]);
    phase(PENDING + RUNNING + 60);
    expect(await list(`machineId eq '${m.id}' and status eq 'Pending'`)).to.have.length(0);
    expect(await list(`machineId eq '${m.id}' and status eq 'Succeeded'`)).to.have.length(3);
    const bad = await call(`/api/machineactions?$filter=${encodeURIComponent("scope eq 'Full'")}`);
    expect(bad.status).to.equal(400);
    expect(bad.json.error.code).to.equal('ODataError');
    expect((await call('/api/machineactions?$top=10001')).status).to.equal(400);
    const nf = await call('/api/machineactions/5382f7ea-7557-4ab7-9782-d50480024a4e');
    expect(nf.status).to.equal(404);
    expect(nf.json.error.code).to.equal('ResourceNotFound');
    // readonly may read actions
    expect((await call(`/api/machineactions/${ids[0]}`, { app: 'readonly' })).status).to.equal(200);
  });

  it('REAL TENANT: the investigation package link: 404 until the collection has Succeeded, then 200 {value}', async () => {
    const m = em.addMachine({ computerDnsName: 'pkg.contoso.com' });
    const c = await post(m.id, 'collectInvestigationPackage', { Comment: 'collect' });
    const id = String(c.json.id);
    const early = await call(`/api/machineactions/${id}/GetPackageUri`);
    expect(early.status, early.text).to.equal(404);
    phase(PENDING + 60);
    expect((await call(`/api/machineactions/${id}/getPackageUri`)).status).to.equal(404);
    phase(RUNNING);
    const r = await call(`/api/machineactions/${id}/GetPackageUri`);
    expect(r.status, r.text).to.equal(200);
    expect(r.json['@odata.context']).to.equal(`${em.origin}/api/$metadata#Edm.String`);
    // as the page's example shows it: the link quoted inside the string
    expect(r.json.value).to.match(/^"https:\/\/.+WDATP_Investigation_Package\.zip\?token=[\w-]+"$/);
    const scan = await post(m.id, 'runAntiVirusScan', { Comment: 'c', ScanType: 'Quick' });
    phase(PENDING + RUNNING + 60);
    expect((await call(`/api/machineactions/${String(scan.json.id)}/GetPackageUri`)).status).to.equal(404);
    const failing = em.addMachine({ computerDnsName: 'pkg-fail.contoso.com', behaviour: 'fails' });
    const f = await post(failing.id, 'collectInvestigationPackage', { Comment: 'collect' });
    phase(PENDING + RUNNING + 60);
    expect((await call(`/api/machineactions/${String(f.json.id)}/GetPackageUri`)).status).to.equal(404);
  });

  it('REAL TENANT: cancel: a pending action becomes Cancelled and takes no effect; a final one cannot be cancelled', async () => {
    const m = em.addMachine({ computerDnsName: 'cancel.contoso.com' });
    const a = await post(m.id, 'isolate', { Comment: 'c' });
    const id = String(a.json.id);
    const c = await call(`/api/machineactions/${id}/cancel`, { method: 'POST', json: { Comment: 'Machine action was canceled by automation' } });
    expect(c.status, c.text).to.equal(200);
    expect(c.json).to.include({ status: 'Cancelled', cancellationComment: 'Machine action was canceled by automation', cancellationRequestor: em.app('full').clientId });
    expect(c.json.cancellationDateTimeUtc).to.equal(c.json.lastUpdateDateTimeUtc);
    phase(PENDING + RUNNING + 60);
    expect((await action(id)).status).to.equal('Cancelled');
    expect(em.machine(m.id)?.isolation).to.equal('None');
    const again = await call(`/api/machineactions/${id}/cancel`, { method: 'POST', json: { Comment: 'x' } });
    expect(again.status).to.equal(400);
    // a new isolate is not a duplicate of a cancelled one
    expect((await post(m.id, 'isolate', { Comment: 'c' })).status).to.equal(201);
    expect((await call('/api/machineactions/5382f7ea-7557-4ab7-9782-d50480024a4e/cancel', { method: 'POST', json: {} })).status).to.equal(404);
    const ro = await call(`/api/machineactions/${id}/cancel`, { method: 'POST', json: {}, app: 'readonly' });
    expect(ro.status).to.equal(403);
  });

  it('REAL TENANT: injected faults and the request log cover the MDE paths; reset re-seeds machines and forgets actions', async () => {
    const m = em.endpoint.store.machines[0];
    em.addFault({ kind: 'status', status: 503, count: 1, match: { path: '/api/machines' } });
    const r = await post(m.id, 'isolate', { Comment: 'c' });
    expect(r.status).to.equal(503);
    expect(r.json.error).to.have.keys(['code', 'message', 'target']);
    expect(em.machineActions(m.id)).to.have.length(0);
    em.addFault({ kind: 'reset', count: 1, match: { method: 'POST', path: '/api/machines' } });
    let reset = false;
    try { await post(m.id, 'isolate', { Comment: 'c' }); } catch { reset = true; }
    expect(reset).to.equal(true);
    expect((await post(m.id, 'isolate', { Comment: 'c' })).status).to.equal(201);
    const log = em.requests().filter((e) => e.path === `/api/machines/${m.id}/isolate`);
    expect(log.map((e) => e.status)).to.deep.equal([503, null, 201]);
    const ctl = await request(`${em.origin}/_emulator/machineactions?machineId=${m.id}`, { ca: em.caPem });
    expect(ctl.json.value).to.have.length(1);
    const seeded = em.endpoint.store.machines.length;
    em.addMachine({ computerDnsName: 'gone-after-reset.contoso.com' });
    em.reset();
    expect(em.machineActions()).to.have.length(0);
    expect(em.machine('gone-after-reset.contoso.com')).to.equal(undefined);
    expect(em.endpoint.store.machines.length).to.be.lessThan(seeded + 1);
    expect(em.machine(m.id)?.computerDnsName).to.equal(m.computerDnsName);
  });
});

describe('emulator: machineActionSeconds', function () {
  this.timeout(30_000);
  it('REAL TENANT: is in service-clock seconds divided by the time scale; defaults 15 and 45; refuses negatives', async () => {
    const a = await startEmulator({ seed: 3, incidents: 3, huntingRowsPerTable: 5, timeScale: 60, machineActionSeconds: { pending: 60, running: 120 } });
    const b = await startEmulator({ seed: 3, incidents: 3, huntingRowsPerTable: 5 });
    try {
      expect(a.endpoint.store.timing).to.deep.equal({ pendingMs: 1000, runningMs: 2000 });
      expect(b.endpoint.store.timing).to.deep.equal({ pendingMs: 15_000, runningMs: 45_000 });
    } finally { await a.stop(); await b.stop(); }
    let err: unknown;
    try { await startEmulator({ machineActionSeconds: { pending: -1, running: 0 } }); } catch (e) { err = e; }
    expect(String(err)).to.match(/machineActionSeconds/);
  });
});

describe('emulator: REAL TENANT Defender for Endpoint quotas', function () {
  this.timeout(60_000);
  let em: Emulator;
  let qt = 0;
  const call = (path: string, method = 'GET', json?: unknown): Promise<HttpResult> =>
    request(`${em.origin}${path}`, { method, json, ca: em.caPem, headers: { authorization: `Bearer ${em.issueToken('full', MDE)}` } });

  before(async () => { em = await startEmulator({ seed: 9, incidents: 10, huntingRowsPerTable: 10, quotaClock: () => qt, machineActionSeconds: { pending: 0, running: 0 } }); });
  after(() => em?.stop());

  it('maps each MDE API to its own bucket: 100/min and 1,500/h; GetPackageUri 2/min and 120/h', () => {
    const rules = [{ limit: 100, windowMs: 60_000 }, { limit: 1500, windowMs: 3_600_000 }];
    const cases: Array<[string, string, string]> = [
      ['GET', '/api/machines', 'endpoint.machines.list'], ['GET', '/api/machines/abc', 'endpoint.machines.get'],
      ['GET', "/api/machines/findbyip(ip='10.0.0.1',timestamp=2025-01-01T00:00:00Z)", 'endpoint.machines.findbyip'],
      ['POST', '/api/machines/abc/isolate', 'endpoint.isolate'], ['POST', '/api/machines/abc/unisolate', 'endpoint.unisolate'],
      ['POST', '/api/machines/abc/runAntiVirusScan', 'endpoint.runantivirusscan'], ['POST', '/api/machines/abc/collectInvestigationPackage', 'endpoint.collectinvestigationpackage'],
      ['POST', '/api/machines/abc/restrictCodeExecution', 'endpoint.restrictcodeexecution'], ['POST', '/api/machines/abc/unrestrictCodeExecution', 'endpoint.unrestrictcodeexecution'],
      ['POST', '/api/machines/abc/StopAndQuarantineFile', 'endpoint.stopandquarantinefile'],
      ['GET', '/api/machineactions', 'endpoint.machineactions.list'], ['GET', '/api/machineactions/x', 'endpoint.machineactions.get'],
      ['POST', '/api/machineactions/x/cancel', 'endpoint.machineactions.cancel'],
      ['POST', '/api/indicators', 'endpoint.indicators.submit'], ['DELETE', '/api/indicators/12', 'endpoint.indicators.delete'],
    ];
    for (const [method, path, name] of cases) {
      const b = bucketFor(method, path);
      expect(b?.name, path).to.equal(name);
      expect(b?.rules, path).to.deep.equal(rules);
    }
    expect(bucketFor('GET', '/api/machineactions/x/GetPackageUri')?.rules).to.deep.equal([{ limit: 2, windowMs: 60_000 }, { limit: 120, windowMs: 3_600_000 }]);
  });

  it('REAL TENANT: the 101st call of a minute to one API gets 429 + Retry-After; another API is not counted; a minute later it passes', async () => {
    const id = em.endpoint.store.machines[0].id;
    for (let i = 0; i < 100; i++) {
      const r = await call(`/api/machines/${id}`);
      if (r.status !== 200) throw new Error(`call ${i}: ${r.status} ${r.text}`);
    }
    const t = await call(`/api/machines/${id}`);
    expect(t.status).to.equal(429);
    expect(Number(t.headers['retry-after'])).to.be.within(1, 60);
    expect(t.json.error.code).to.equal('TooManyRequests');
    expect(t.json.error.message).to.contain('maximum allowed 100 per 00:01:00');
    expect(em.requests().at(-1)?.throttled).to.equal('endpoint.machines.get');
    expect((await call('/api/machines?$top=1')).status).to.equal(200);
    const iso = await call(`/api/machines/${id}/isolate`, 'POST', { Comment: 'c' });
    expect(iso.status, iso.text).to.equal(201);
    qt += 60_001;
    expect((await call(`/api/machines/${id}`)).status).to.equal(200);
    // GetPackageUri: 2 a minute
    const c = await call(`/api/machines/${id}/collectInvestigationPackage`, 'POST', { Comment: 'c' });
    em.advanceClock(1000);
    const pkg = `/api/machineactions/${String(c.json.id)}/GetPackageUri`;
    expect((await call(pkg)).status).to.equal(200);
    expect((await call(pkg)).status).to.equal(200);
    expect((await call(pkg)).status).to.equal(429);
  });
});
