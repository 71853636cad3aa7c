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
    // quota time is the test's own clock: a burst fits in one window however slow the machine, and a window passes
    // when the test says so (a minute lasts 250 ms of it, timeScale 240)
    let now = 0;
    const hunt = (path: string): Promise<HttpResult> => request(`${em.origin}${path}`, { json: { Query: 'DeviceInfo' }, ca: em.caPem, headers: { authorization: `Bearer ${token}` } });
    before(async () => { em = await startEmulator({ incidents: 2, timeScale: 240, quotaClock: () => now, tenantFactory: fakeTenantFactory, huntingFactory: fakeHuntingFactory }); token = em.issueToken('full'); });
    after(() => em.stop());
    beforeEach(() => em.setQuotas(true)); // on, and every count cleared

    /** `count` calls in one instant of quota time; their statuses */
    async function burst(path: string, count: number): Promise<number[]> {
      const statuses: number[] = [];
      for (let i = 0; i < count; i++) statuses.push((await hunt(path)).status);
      return statuses;
    }

    it('answers the 46th hunting call in a minute with 429, Retry-After and the legacy message, then recovers', async () => {
      expect(await burst('/api/advancedhunting/run', 45)).to.deep.equal(Array(45).fill(200));
      const refused = await hunt('/api/advancedhunting/run');
      expect(refused.status).to.equal(429);
      expect(refused.json.error.code).to.equal('TooManyRequests');
      expect(refused.json.error.message).to.equal('API calls quota exceeded! maximum allowed 45 per 00:01:00. Try again in 1 seconds.');
      expect(refused.headers['retry-after']).to.equal('1'); // the scaled minute, 250 ms, rounded up to whole seconds
      expect(em.requests().filter((e) => e.throttled === 'defender.hunting').length).to.equal(1);
      now += 249; // the first call is still in the window
      expect((await hunt('/api/advancedhunting/run')).status).to.equal(429);
      now += 1; // a (scaled) minute after the burst: the window has moved past it
      expect(await burst('/api/advancedhunting/run', 45)).to.deep.equal(Array(45).fill(200));
      expect((await hunt('/api/advancedhunting/run')).status).to.equal(429);
    });

    it('throttles Graph runHuntingQuery in Graph\'s shape, in a bucket of its own', async () => {
      expect(await burst('/v1.0/security/runHuntingQuery', 45)).to.deep.equal(Array(45).fill(200));
      const refused = await hunt('/v1.0/security/runHuntingQuery');
      expect(refused.status).to.equal(429);
      expect(refused.json.error.code).to.equal('TooManyRequests');
      expect(refused.json.error.innerError).to.be.an('object');
      expect(refused.headers['retry-after']).to.equal('1');
      expect((await hunt('/api/advancedhunting/run')).status, 'the legacy API counts apart').to.equal(200);
      now += 250;
      expect((await hunt('/v1.0/security/runHuntingQuery')).status).to.equal(200);
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
