import { expect } from 'chai';
import * as https from 'node:https';
import { startEmulator, type Emulator } from './emulator';
import { fakeHuntingFactory, fakeTenantFactory, request, type FakeTenant, type HttpResult } from './test-support';

describe('emulator core: control endpoints, request log, reset', () => {
  let em: Emulator;
  const ctl = (method: string, path: string, json?: unknown): Promise<HttpResult> => request(`${em.origin}/_emulator${path}`, { method, json, ca: em.caPem });
  const api = (path: string, token = em.issueToken('full'), o: { method?: string; json?: unknown } = {}): Promise<HttpResult> =>
    request(`${em.origin}${path}`, { ...o, ca: em.caPem, headers: { authorization: `Bearer ${token}` } });

  before(async () => { em = await startEmulator({ seed: 3, incidents: 5, tenantFactory: fakeTenantFactory, huntingFactory: fakeHuntingFactory }); });
  after(() => em.stop());

  it('health answers without authentication', async () => {
    const h = await ctl('GET', '/health');
    expect(h.status).to.equal(200);
    expect(h.json).to.include({ status: 'ok', tenantId: em.tenantId, incidents: 5, seed: 3 });
    expect((await ctl('GET', '/nothing')).status).to.equal(404);
    expect((await request(`${em.origin}/_emulator/faults`, { method: 'POST', body: '{not json', ca: em.caPem })).status).to.equal(400);
  });

  it('logs every request with seq, time, method, path, query, status, client and token-request fields, never a secret', async () => {
    const full = em.app('full');
    const start = em.requests().at(-1)?.seq ?? 0;
    await request(`${em.origin}/${em.tenantId}/oauth2/v2.0/token?client-request-id=abc&client_secret=leak`, {
      form: { client_id: full.clientId, client_secret: full.clientSecret ?? '', scope: `${em.origin}/.default`, grant_type: 'client_credentials' }, ca: em.caPem,
    });
    const token = em.issueToken('full');
    await api('/v1.0/security/incidents?$top=2&$skip=1', token);
    await api('/api/incidents');
    const r = await ctl('GET', `/requests?since=${start}`);
    expect(r.status).to.equal(200);
    const entries = r.json.value as Array<Record<string, unknown>>;
    // control requests are logged too: the last entry is this very GET /_emulator/requests
    expect(entries.map((e) => e.path)).to.deep.equal([`/${em.tenantId}/oauth2/v2.0/token`, '/v1.0/security/incidents', '/api/incidents', '/_emulator/requests']);
    const [tok, graph, def] = entries;
    expect(tok).to.include({ method: 'POST', status: 200, clientId: full.clientId, grantType: 'client_credentials', scope: `${em.origin}/.default`, query: 'client-request-id=abc' });
    expect(graph).to.include({ method: 'GET', status: 200, clientId: full.clientId, query: '$top=2&$skip=1' });
    expect(def.status).to.equal(200);
    expect((graph.seq as number)).to.equal((tok.seq as number) + 1);
    expect(Date.parse(String(tok.time))).to.be.a('number').and.not.NaN;
    const text = r.text;
    expect(text).to.not.include(full.clientSecret ?? '\u0000');
    expect(text).to.not.include(token);
    expect(text).to.not.include('leak');
    expect(entries[3].status).to.equal(null); // still being answered when the log was read
    expect(em.requests(def.seq as number)[0]).to.include({ path: '/_emulator/requests', status: 200 });
  });

  it('adds and changes incidents and alerts through tenant.control, on the service clock', async () => {
    const tenant = em.tenant as FakeTenant;
    const add = await ctl('POST', '/incidents', { displayName: 'Added by a test', severity: 'high' });
    expect(add.status).to.equal(201);
    expect(add.json.displayName).to.equal('Added by a test');
    expect(tenant.control.incidentCount()).to.equal(6);
    const clock = await ctl('POST', '/clock', { advanceMs: 3_600_000 });
    expect(clock.status).to.equal(200);
    expect(Date.parse(clock.json.now)).to.be.greaterThan(Date.now() + 3_500_000);
    const patch = await ctl('PATCH', `/incidents/${add.json.id as string}`, { status: 'resolved' });
    expect(patch.status).to.equal(200);
    expect(patch.json.status).to.equal('resolved');
    expect(Date.parse(patch.json.lastUpdateDateTime)).to.be.greaterThan(Date.now() + 3_500_000);
    expect((await ctl('PATCH', '/incidents/999', { status: 'resolved' })).status).to.equal(404);
    const alert = await ctl('POST', '/incidents/1/alerts', { title: 'New alert' });
    expect(alert.status).to.equal(201);
    expect(alert.json.alerts).to.have.length(1);
    expect((await ctl('POST', '/incidents/999/alerts', { title: 'x' })).status).to.equal(404);
    expect((await ctl('POST', '/clock', { advanceMs: -5 })).status).to.equal(400);
    // the faces see the service clock
    const echo = await api('/v1.0/security/_echo', em.issueToken('full'));
    expect(Date.parse(echo.json.now)).to.be.greaterThan(Date.now() + 3_500_000);
  });

  it('adds hunting rows through the engine, refusing bad input with its error', async () => {
    const ok = await ctl('POST', '/hunting/rows', { table: 'DeviceInfo', rows: [{ DeviceId: 'dev9', DeviceName: 'h9' }] });
    expect(ok.status).to.equal(200);
    expect(ok.json).to.deep.equal({ table: 'DeviceInfo', added: 1 });
    expect(em.hunting.counts().DeviceInfo).to.equal(2);
    const bad = await ctl('POST', '/hunting/rows', { table: 'Nope', rows: [{}] });
    expect(bad.status).to.equal(400);
    expect(bad.json.error.message).to.match(/Unknown table/);
    expect((await ctl('POST', '/hunting/rows', { table: 'DeviceInfo' })).status).to.equal(400);
    // and the faces reach the same engine
    const h = await api('/api/advancedhunting/run', em.issueToken('full'), { method: 'POST', json: { Query: 'DeviceInfo' } });
    expect(h.json.Results).to.have.length(2);
  });

  it('adds, lists and clears faults through the control endpoint', async () => {
    const f = await ctl('POST', '/faults', { kind: 'status', status: 500, count: 3, match: { path: '/api/' } });
    expect(f.status).to.equal(201);
    expect(f.json).to.include({ kind: 'status', status: 500, count: 3, remaining: 3 });
    expect((await ctl('GET', '/faults')).json.value).to.have.length(1);
    expect((await api('/api/incidents')).status).to.equal(500);
    expect((await ctl('GET', '/faults')).json.value[0].remaining).to.equal(2);
    await ctl('DELETE', '/faults');
    expect((await api('/api/incidents')).status).to.equal(200);
  });

  it('reset clears faults, log, quotas and clock, and re-seeds the tenant', async () => {
    em.addFault({ kind: 'reset', count: 5 });
    em.advanceClock(10_000);
    const before = em.tenant;
    const r = await ctl('POST', '/reset');
    expect(r.status).to.equal(200);
    expect(em.faults()).to.have.length(0);
    expect(em.tenant).to.not.equal(before);
    expect(em.tenant.control.incidentCount()).to.equal(5);
    expect(Math.abs(em.now().getTime() - Date.now())).to.be.below(5_000);
    expect(em.requests()).to.have.length(0);
    expect((await api('/api/incidents')).status).to.equal(200);
    expect(em.requests()).to.have.length(1);
    expect(em.hunting.counts().DeviceInfo).to.equal(1);
  });

  it('keeps connections alive between requests', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: em.caPem });
    try {
      const ports = new Set<number>();
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = https.get(`${em.origin}/_emulator/health`, { agent }, (res) => {
            ports.add(res.socket.localPort ?? -1);
            res.resume();
            res.on('end', () => resolve());
          });
          req.on('error', reject);
        });
      }
      expect(ports.size).to.equal(1);
    } finally { agent.destroy(); }
  });

  it('stop() closes the server and its connections', async () => {
    const other = await startEmulator({ incidents: 1, tenantFactory: fakeTenantFactory, huntingFactory: fakeHuntingFactory });
    const agent = new https.Agent({ keepAlive: true, ca: other.caPem });
    await new Promise<void>((resolve) => https.get(`${other.origin}/_emulator/health`, { agent }, (res) => { res.resume(); res.on('end', resolve); }));
    other.addFault({ kind: 'delay', delayMs: 60_000 });
    const pending = request(`${other.origin}/api/incidents`, { ca: other.caPem }).then(() => 'answered', () => 'failed');
    await new Promise((r) => setTimeout(r, 50));
    await other.stop();
    expect(await pending).to.equal('failed');
    let err: (Error & { code?: string }) | undefined;
    try { await request(`${other.origin}/_emulator/health`, { ca: other.caPem }); } catch (e) { err = e as Error & { code?: string }; }
    expect(err?.code).to.equal('ECONNREFUSED');
    agent.destroy();
  });
});
