import { expect } from 'chai';
import { startEmulator, type Emulator } from './emulator';
import { fakeHuntingFactory, fakeTenantFactory, request, type HttpResult } from './test-support';
import { Faults, parseFault, retryAfterHeader } from './faults';

describe('emulator core: injected faults', () => {
  let em: Emulator;
  let token: string;
  const get = (path: string): Promise<HttpResult> => request(`${em.origin}${path}`, { ca: em.caPem, headers: { authorization: `Bearer ${token}` } });
  const addFault = (spec: unknown): Promise<HttpResult> => request(`${em.origin}/_emulator/faults`, { json: spec, ca: em.caPem });

  before(async () => {
    em = await startEmulator({ incidents: 120, tenantFactory: fakeTenantFactory, huntingFactory: fakeHuntingFactory });
    token = em.issueToken('full');
  });
  after(() => em.stop());
  beforeEach(() => { em.clearFaults(); });

  it('validates fault specs with messages a person can act on', async () => {
    expect(() => parseFault({ kind: 'status', status: 418 })).to.throw(/429, 500, 503 or 504/);
    expect(() => parseFault({ kind: 'nope' })).to.throw(/kind must be/);
    expect(() => parseFault({ kind: 'delay' })).to.throw(/delayMs/);
    expect(() => parseFault({ kind: 'reset', count: 0 })).to.throw(/count/);
    expect(() => parseFault({ kind: 'reset', match: { path: 'api' } })).to.throw(/match.path/);
    const r = await addFault({ kind: 'status', status: 302 });
    expect(r.status).to.equal(400);
    expect(r.json.error.message).to.match(/status must be/);
  });

  it('status 429 with Retry-After applies to exactly N matching requests, in the Defender flavour', async () => {
    const r = await addFault({ kind: 'status', status: 429, retryAfter: 7, count: 2, match: { method: 'GET', path: '/api/incidents' } });
    expect(r.status).to.equal(201);
    expect((await get('/v1.0/security/incidents')).status).to.equal(200); // does not match
    for (let i = 0; i < 2; i++) {
      const f = await get('/api/incidents');
      expect(f.status).to.equal(429);
      expect(f.headers['retry-after']).to.equal('7');
      expect(f.json.error.code).to.equal('TooManyRequests');
      expect(f.json.error).to.include.keys('message', 'target');
    }
    expect((await get('/api/incidents')).status).to.equal(200);
    expect(em.faults()).to.have.length(0);
  });

  it('status without Retry-After, and with an HTTP-date, in the Graph flavour', async () => {
    em.addFault({ kind: 'status', status: 503, count: 1 });
    const a = await get('/v1.0/security/incidents');
    expect(a.status).to.equal(503);
    expect(a.headers['retry-after']).to.equal(undefined);
    expect(a.json.error.code).to.be.a('string');
    expect(a.json.error.innerError).to.include.keys('date', 'request-id');
    em.addFault({ kind: 'status', status: 429, retryAfter: 'http-date', retryAfterSeconds: 5, count: 1 });
    const b = await get('/v1.0/security/incidents');
    expect(b.status).to.equal(429);
    const when = Date.parse(String(b.headers['retry-after']));
    expect(String(b.headers['retry-after'])).to.match(/GMT$/);
    expect(when).to.be.greaterThan(Date.now());
    for (const status of [500, 504] as const) {
      em.addFault({ kind: 'status', status });
      expect((await get('/api/incidents')).status).to.equal(status);
    }
    expect((await get('/v1.0/security/incidents')).status).to.equal(200);
    expect(retryAfterHeader({ kind: 'status', retryAfter: null })).to.equal(undefined);
  });

  it('matches token requests too, answering in Entra\'s shape', async () => {
    em.addFault({ kind: 'status', status: 500, match: { path: `/${em.tenantId}/oauth2` } });
    const full = em.app('full');
    const form = { client_id: full.clientId, client_secret: full.clientSecret ?? '', scope: `${em.origin}/.default`, grant_type: 'client_credentials' };
    const r = await request(`${em.origin}/${em.tenantId}/oauth2/v2.0/token`, { form, ca: em.caPem });
    expect(r.status).to.equal(500);
    expect(r.json.error).to.equal('temporarily_unavailable');
    expect(r.json.error_codes).to.be.an('array');
    expect(r.json.error_description).to.match(/^AADSTS\d+: /);
    expect((await request(`${em.origin}/${em.tenantId}/oauth2/v2.0/token`, { form, ca: em.caPem })).status).to.equal(200);
  });

  it('delay holds the answer and then answers normally (logged as a delay)', async () => {
    em.addFault({ kind: 'delay', delayMs: 150, count: 1 });
    const since = em.requests().at(-1)?.seq ?? 0;
    const r = await get('/api/incidents/1');
    expect(r.status).to.equal(200);
    expect(r.json.incidentId).to.equal(1);
    const log = em.requests(since);
    expect(log).to.have.length(1);
    expect(log[0].fault).to.equal('delay 150ms');
    expect((await get('/api/incidents/1')).status).to.equal(200);
    expect(em.requests(since)[1].fault).to.equal(undefined);
  });

  it('reset destroys the connection without an answer, for exactly N requests', async () => {
    em.addFault({ kind: 'reset', count: 2, match: { path: '/api/' } });
    for (let i = 0; i < 2; i++) {
      let err: (Error & { code?: string }) | undefined;
      try { await get('/api/incidents'); } catch (e) { err = e as Error & { code?: string }; }
      expect(err, 'the request should fail').to.not.equal(undefined);
      expect(err?.code ?? err?.message).to.match(/ECONNRESET|socket hang up/);
    }
    expect((await get('/api/incidents')).status).to.equal(200);
    const last = em.requests().filter((e) => e.fault === 'reset');
    expect(last).to.have.length(2);
    expect(last[0].status).to.equal(null);
  });

  it('truncate announces the full Content-Length and sends half the body', async () => {
    const full = await get('/v1.0/security/incidents?$top=50');
    const fullLength = Number(full.headers['content-length']);
    expect(fullLength).to.be.greaterThan(1000);
    em.addFault({ kind: 'truncate', count: 1 });
    // read raw bytes to see exactly what arrived
    const https = await import('node:https');
    const got = await new Promise<{ announced: number; received: number; error?: string }>((resolve) => {
      const req = https.request(`${em.origin}/v1.0/security/incidents?$top=50`, { ca: em.caPem, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
        let received = 0;
        const announced = Number(res.headers['content-length']);
        res.on('data', (c: Buffer) => { received += c.length; });
        res.on('error', (e) => resolve({ announced, received, error: e.message }));
        res.on('close', () => resolve({ announced, received, error: res.complete ? undefined : 'incomplete' }));
      });
      req.on('error', (e) => resolve({ announced: -1, received: -1, error: e.message }));
      req.end();
    });
    expect(got.announced).to.equal(fullLength);
    expect(got.received).to.equal(Math.floor(fullLength / 2));
    expect(got.error).to.be.a('string');
    // and our ordinary client sees it as a failure
    em.addFault({ kind: 'truncate', count: 1 });
    let err: Error | undefined;
    try { await get('/v1.0/security/incidents'); } catch (e) { err = e as Error; }
    expect(err).to.not.equal(undefined);
    expect((await get('/v1.0/security/incidents')).status).to.equal(200);
  });

  it('body replaces the answer with the given text, status and content type, for exactly N requests', async () => {
    expect(() => parseFault({ kind: 'body' })).to.throw(/body must be/);
    expect(() => parseFault({ kind: 'body', body: '', status: 600 })).to.throw(/200 to 599/);
    expect(() => parseFault({ kind: 'body', body: '', contentType: 'a\r\nx: y' })).to.throw(/contentType/);
    em.addFault({ kind: 'body', body: '{"value":null}', count: 2, match: { path: '/v1.0/security/incidents' } });
    for (let i = 0; i < 2; i++) {
      const r = await get('/v1.0/security/incidents?$top=5');
      expect(r.status).to.equal(200);
      expect(r.text).to.equal('{"value":null}');
      expect(r.headers['content-type']).to.match(/^application\/json/);
    }
    expect((await get('/v1.0/security/incidents?$top=5')).json.value).to.have.length(5);
    em.addFault({ kind: 'body', body: '', count: 1 });
    const empty = await get('/api/incidents');
    expect([empty.status, empty.text, empty.headers['content-length']]).to.deep.equal([200, '', '0']);
    em.addFault({ kind: 'body', body: '<html>gateway</html>', status: 502, contentType: 'text/html', count: 1 });
    const html = await get('/api/incidents');
    expect([html.status, html.text, html.headers['content-type']]).to.deep.equal([502, '<html>gateway</html>', 'text/html']);
    // the token endpoint too: a gateway in front of Entra ID
    em.addFault({ kind: 'body', body: '{"access_token":5}', match: { path: `/${em.tenantId}/oauth2` } });
    const full = em.app('full');
    const form = { client_id: full.clientId, client_secret: full.clientSecret ?? '', scope: `${em.origin}/.default`, grant_type: 'client_credentials' };
    const t = await request(`${em.origin}/${em.tenantId}/oauth2/v2.0/token`, { form, ca: em.caPem });
    expect([t.status, t.text]).to.deep.equal([200, '{"access_token":5}']);
    expect(em.requests().at(-1)?.fault).to.equal('body');
  });

  it('never applies to /_emulator/ paths, and the first matching fault wins', () => {
    const f = new Faults();
    f.add({ kind: 'reset', count: 1 });
    expect(f.take('GET', '/_emulator/health')).to.equal(undefined);
    f.add({ kind: 'status', status: 500, count: 1, match: { method: 'POST' } });
    expect(f.take('POST', '/x')?.kind).to.equal('reset');
    expect(f.take('GET', '/x')).to.equal(undefined);
    expect(f.take('POST', '/x')?.status).to.equal(500);
    expect(f.pending()).to.have.length(0);
  });
});
