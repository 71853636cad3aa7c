import { expect } from 'chai';
import { startEmulator, type Emulator } from './emulator';
import { fakeHuntingFactory, fakeTenantFactory, request, type HttpResult } from './test-support';
import { BUCKETS, bucketFor, formatWindow, Quotas } from './quotas';

describe('emulator core: quotas', () => {
  it('maps Microsoft paths to the documented buckets', () => {
    expect(bucketFor('GET', '/api/incidents')?.rules).to.deep.equal([{ limit: 50, windowMs: 60_000 }, { limit: 1500, windowMs: 3_600_000 }]);
    expect(bucketFor('GET', '/api/incidents/12')?.rules[0].limit).to.equal(100);
    expect(bucketFor('PATCH', '/api/incidents/12')?.rules[0].limit).to.equal(50);
    expect(bucketFor('POST', '/api/advancedhunting/run')?.rules[0].limit).to.equal(45);
    expect(bucketFor('POST', '/v1.0/security/runHuntingQuery')?.rules[0].limit).to.equal(45);
    expect(bucketFor('GET', '/v1.0/security/incidents')?.name).to.equal('graph.security');
    expect(bucketFor('GET', '/v1.0/security/alerts_v2/x')?.name).to.equal('graph.security');
    expect(bucketFor('GET', '/_emulator/health')).to.equal(undefined);
    expect(formatWindow(60_000)).to.equal('00:01:00');
    expect(formatWindow(3_600_000)).to.equal('01:00:00');
  });

  it('counts in a sliding window, refuses without counting, and names when a call is allowed again', () => {
    let t = 0;
    const q = new Quotas(1, true, () => t);
    const b = BUCKETS['defender.incidents.list'];
    for (let i = 0; i < 50; i++) { expect(q.take(b, 'a').ok).to.equal(true); t += 100; } // 50 calls over 5 s
    const refused = q.take(b, 'a');
    expect(refused.ok).to.equal(false);
    expect(refused.rule?.limit).to.equal(50);
    expect(refused.retryAfterSeconds).to.equal(55); // the first call (t=0) leaves the window at t=60 s
    t = 60_001;
    expect(q.take(b, 'a').ok).to.equal(true);
    expect(q.take(b, 'a').ok).to.equal(false); // the second call (t=0.1 s) is still in the window
    t = 60_101;
    expect(q.take(b, 'a').ok).to.equal(true);
  });

  it('holds the hourly limit too, and a time scale shortens every window', () => {
    let t = 0;
    const q = new Quotas(60, true, () => t); // a minute lasts 1 s, an hour 60 s
    const b = BUCKETS['defender.hunting'];
    let accepted = 0;
    for (let i = 0; i < 2000; i++) { if (q.take(b, 'a').ok) accepted++; t += 25; } // 40 calls per (scaled) minute, 50 s in all
    expect(accepted).to.equal(1500);
    const r = q.take(b, 'a');
    expect(r.ok).to.equal(false);
    expect(r.rule?.limit).to.equal(1500);
    q.reset();
    expect(q.take(b, 'a').ok).to.equal(true);
    const off = new Quotas(1, false, () => 0);
    for (let i = 0; i < 100; i++) expect(off.take(b, 'a').ok).to.equal(true);
  });

  it('counts Graph security calls per app', () => {
    const q = new Quotas(1, true, () => 0);
    const b = BUCKETS['graph.security'];
    for (let i = 0; i < 150; i++) q.take(b, 'app1');
    expect(q.take(b, 'app1').ok).to.equal(false);
    expect(q.take(b, 'app2').ok).to.equal(true);
  });

  describe('over HTTPS with a time scale', () => {
    let em: Emulator;
    let token: string;
    const hunt = (path: string): Promise<HttpResult> => request(`${em.origin}${path}`, { json: { Query: 'DeviceInfo' }, ca: em.caPem, headers: { authorization: `Bearer ${token}` } });
    // a minute lasts 0.25 s
    before(async () => { em = await startEmulator({ incidents: 2, timeScale: 240, tenantFactory: fakeTenantFactory, huntingFactory: fakeHuntingFactory }); token = em.issueToken('full'); });
    after(() => em.stop());

    async function untilAllowed(path: string): Promise<HttpResult> {
      for (let i = 0; i < 200; i++) {
        const r = await hunt(path);
        if (r.status !== 429) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error('still throttled');
    }

    it('answers the 46th hunting call in a minute with 429, Retry-After and the legacy message, then recovers', async () => {
      em.setQuotas(true);
      // a burst: 45 calls fit; on a slow machine a burst may straddle a scaled minute, so count until the first 429
      let ok = 0;
      let refused: HttpResult | undefined;
      for (let i = 0; i < 200 && !refused; i++) {
        const r = await hunt('/api/advancedhunting/run');
        if (r.status === 429) refused = r; else { expect(r.status, r.text).to.equal(200); ok++; }
      }
      expect(refused, 'expected a 429').to.not.equal(undefined);
      expect(ok).to.be.at.least(45);
      expect(refused!.json.error.code).to.equal('TooManyRequests');
      expect(refused!.json.error.message).to.match(/^API calls quota exceeded! maximum allowed 45 per 00:01:00\. Try again in \d+ seconds\.$/);
      expect(Number(refused!.headers['retry-after'])).to.be.at.least(1);
      expect(em.requests().filter((e) => e.throttled === 'defender.hunting').length).to.be.at.least(1);
      const again = await untilAllowed('/api/advancedhunting/run');
      expect(again.status).to.equal(200);
    });

    it('throttles Graph runHuntingQuery in Graph\'s shape', async () => {
      let refused: HttpResult | undefined;
      for (let i = 0; i < 200 && !refused; i++) {
        const r = await hunt('/v1.0/security/runHuntingQuery');
        if (r.status === 429) refused = r;
      }
      expect(refused, 'expected a 429').to.not.equal(undefined);
      expect(refused!.json.error.code).to.equal('TooManyRequests');
      expect(refused!.json.error.innerError).to.be.an('object');
      expect(refused!.headers['retry-after']).to.match(/^\d+$/);
      expect((await untilAllowed('/v1.0/security/runHuntingQuery')).status).to.equal(200);
    });

    it('can be switched off (and on) through the control endpoint', async () => {
      const off = await request(`${em.origin}/_emulator/quotas`, { json: { enabled: false }, ca: em.caPem });
      expect(off.json.enabled).to.equal(false);
      for (let i = 0; i < 60; i++) expect((await hunt('/api/advancedhunting/run')).status).to.equal(200);
      await request(`${em.origin}/_emulator/quotas`, { json: { enabled: true }, ca: em.caPem });
    });
  });

  it('startEmulator({quotas: false}) never throttles', async () => {
    const em = await startEmulator({ incidents: 1, quotas: false, tenantFactory: fakeTenantFactory, huntingFactory: fakeHuntingFactory });
    try {
      const token = em.issueToken('full');
      for (let i = 0; i < 55; i++) {
        const r = await request(`${em.origin}/api/incidents`, { ca: em.caPem, headers: { authorization: `Bearer ${token}` } });
        expect(r.status).to.equal(200);
      }
    } finally { await em.stop(); }
  });
});
