import { expect } from 'chai';
import { backoffMs, retryAfterMs, sendWithRetries, type RetryOptions } from '../../../lib/http/retry';
import { TransportError, type HttpRequest, type HttpResponse, type Transport } from '../../../lib/http/transport';
import { bypassesProxy, proxyFor } from '../../../lib/http/proxy';
import type { Logger } from '../../../lib/runtime/log';

type Step = HttpResponse | TransportError;
const res = (status: number, headers: Record<string, string> = {}, body = ''): HttpResponse => ({ status, headers, body });
const GET: HttpRequest = { method: 'GET', url: 'https://graph.example/x', label: 'list incidents' };
const POST: HttpRequest = { method: 'POST', url: 'https://graph.example/c', label: 'add a comment', body: '{}' };

/** A fake transport that plays the steps, a fake clock that sleeps instantly, and a log that records. */
function harness(steps: Step[], overrides: Partial<RetryOptions> = {}) {
  let clock = 1_000_000;
  const sent: HttpRequest[] = [];
  const waits: number[] = [];
  const logs: Array<[string, string, Record<string, unknown> | undefined]> = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => void logs.push([level, msg, fields]);
  const logger: Logger = { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), enabled: () => true };
  const transport: Transport = {
    async send(request) {
      sent.push(request);
      const step = steps.shift();
      if (!step) throw new Error('no more steps');
      if (step instanceof TransportError) throw step;
      return step;
    },
  };
  const options: RetryOptions = {
    maxAttempts: 5,
    baseDelayMs: 1000,
    maxDelayMs: 60_000,
    reserveMs: 1000,
    deadline: clock + 120_000,
    log: logger,
    now: () => clock,
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...overrides,
  };
  return { transport, options, sent, waits, logs, send: (r: HttpRequest) => sendWithRetries(transport, r, options) };
}

describe('retry policy', () => {
  it('reads Retry-After in seconds and as an HTTP date', () => {
    expect(retryAfterMs({ 'retry-after': '7' }, 0)).to.equal(7000);
    expect(retryAfterMs({ 'retry-after': '0.5' }, 0)).to.equal(500);
    const now = Date.parse('2026-11-21T10:00:00Z');
    expect(retryAfterMs({ 'retry-after': 'Sat, 21 Nov 2026 10:00:30 GMT' }, now)).to.equal(30_000);
    expect(retryAfterMs({ 'retry-after': 'Saturday, 21-Nov-26 10:00:02 GMT' }, now)).to.equal(2_000);
    expect(retryAfterMs({ 'retry-after': 'Sat Nov 21 10:00:03 2026' }, now)).to.equal(3_000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).to.equal(undefined);
    expect(retryAfterMs({}, now)).to.equal(undefined);
  });

  it('takes a Retry-After that asks for no wait (0, -0, negative, a list, a date past or now) as no advice', () => {
    const now = Date.parse('2026-11-21T10:00:00Z');
    for (const v of ['0', '-0', '-5', '-1.5', '0.0', '0.0001', '2, 3', '1,2', '+3', '3s', 'Sat, 21 Nov 2026 09:00:00 GMT', 'Sat, 21 Nov 2026 10:00:00 GMT', '2026-11-21T11:00:00Z', '-1e3']) {
      expect(retryAfterMs({ 'retry-after': v }, now), v).to.equal(undefined);
    }
  });

  it('against a service that throttles with Retry-After: 0 (or -0, a negative, a list, a past date), the attempts keep to the back-off', async () => {
    for (const value of ['0', '-0', '-3', '2, 3', 'Thu, 01 Jan 1970 00:00:00 GMT']) {
      const h = harness([1, 2, 3, 4].map(() => res(429, { 'retry-after': value })).concat([res(200)]));
      expect((await h.send(GET)).status, value).to.equal(200);
      expect(h.sent, value).to.have.length(5);
      // the back-off with random() = 0.5: 750, 1500, 3000, 6000 ms, not four waits of nothing
      expect(h.waits, value).to.deep.equal([750, 1500, 3000, 6000]);
      expect(h.waits.reduce((a, b) => a + b, 0), value).to.be.greaterThan(200);
    }
  });

  it('backs off exponentially with jitter, capped', () => {
    const o = { baseDelayMs: 1000, maxDelayMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, o, () => 0))).to.deep.equal([500, 1000, 2000, 4000, 5000, 5000]);
    expect([1, 2, 3].map((a) => backoffMs(a, o, () => 1))).to.deep.equal([1000, 2000, 4000]);
  });

  it('waits for Retry-After on 429 and 503, then returns the answer; each retry is logged', async () => {
    const h = harness([res(429, { 'retry-after': '3' }), res(503, { 'retry-after': '1' }), res(200, {}, 'ok')]);
    const r = await h.send(GET);
    expect(r.status).to.equal(200);
    expect(h.waits).to.deep.equal([3000, 1000]);
    expect(h.logs.filter(([l]) => l === 'warn').map(([, m, f]) => [m, f?.['status'], f?.['attempt']])).to.deep.equal([
      ['list incidents: retrying in 3000 ms', 429, 1],
      ['list incidents: retrying in 1000 ms', 503, 2],
    ]);
  });

  it('backs off without Retry-After, on 504 too', async () => {
    const h = harness([res(429), res(504), res(503), res(200)]);
    expect((await h.send(GET)).status).to.equal(200);
    expect(h.waits).to.deep.equal([750, 1500, 3000]);
  });

  it('does not retry other statuses', async () => {
    for (const status of [200, 201, 400, 401, 403, 404, 500, 502]) {
      const h = harness([res(status)]);
      expect((await h.send(GET)).status).to.equal(status);
      expect(h.sent).to.have.length(1);
    }
  });

  it('stops after maxAttempts and returns the last answer', async () => {
    const h = harness([res(429), res(429), res(429)], { maxAttempts: 3 });
    expect((await h.send(GET)).status).to.equal(429);
    expect(h.sent).to.have.length(3);
    expect(h.waits).to.have.length(2);
    expect(h.logs.some(([l, m]) => l === 'warn' && /giving up after 3 attempt/.test(m))).to.equal(true);
  });

  it('never starts a wait that would pass the deadline', async () => {
    const h = harness([res(429, { 'retry-after': '600' }), res(200)]);
    const r = await h.send(GET);
    expect(r.status).to.equal(429);
    expect(h.waits).to.deep.equal([]);
    const tight = harness([res(503), res(503), res(200)], { deadline: 1_000_000 + 3_000 });
    expect((await tight.send(GET)).status).to.equal(503);
    expect(tight.waits).to.deep.equal([750]); // 750 + 1000 reserve fits in 3 s; then 1500 more does not
  });

  it('retries a connection that never carried the request, for any method', async () => {
    const h = harness([new TransportError('network', 'refused', false, 'ECONNREFUSED'), res(201)]);
    expect((await h.send(POST)).status).to.equal(201);
    expect(h.sent).to.have.length(2);
  });

  it('retries a reset, a truncated body or a timeout only for requests that are safe to repeat', async () => {
    for (const err of [new TransportError('network', 'reset', true, 'ECONNRESET'), new TransportError('network', 'cut', true, 'ERR_STREAM_PREMATURE_CLOSE'), new TransportError('timeout', 'slow', true, 'ETIMEDOUT')]) {
      const get = harness([err, res(200)]);
      expect((await get.send(GET)).status).to.equal(200);
      const post = harness([err, res(201)]);
      let thrown: unknown;
      await post.send(POST).catch((e: unknown) => (thrown = e));
      expect(thrown).to.equal(err);
      expect(post.sent).to.have.length(1);
      const marked = harness([err, res(200)]);
      expect((await marked.send({ ...POST, idempotent: true })).status).to.equal(200);
    }
  });

  it('does not repeat a POST after a 504, which may have been applied', async () => {
    const h = harness([res(504), res(201)]);
    expect((await h.send(POST)).status).to.equal(504);
    expect(h.sent).to.have.length(1);
    const throttled = harness([res(429, { 'retry-after': '1' }), res(201)]);
    expect((await throttled.send(POST)).status).to.equal(201);
  });

  it('retries a 503 on a POST only when it carries Retry-After (the documented "come back later"); without one it is returned at once', async () => {
    const later = harness([res(503, { 'retry-after': '2' }), res(201)]);
    expect((await later.send(POST)).status).to.equal(201);
    expect(later.sent).to.have.length(2);
    expect(later.waits).to.deep.equal([2000]);
    const asDate = harness([res(503, { 'retry-after': 'Thu, 01 Jan 1970 00:16:43 GMT' }), res(201)]); // the clock is at 1,000 s
    expect((await asDate.send(POST)).status).to.equal(201);
    const bare = harness([res(503), res(201)]);
    expect((await bare.send(POST)).status).to.equal(503);
    expect(bare.sent).to.have.length(1);
    expect(bare.waits).to.deep.equal([]);
    const notMarked = harness([res(503), res(201)]);
    expect((await notMarked.send({ ...POST, method: 'PATCH', idempotent: false })).status).to.equal(503);
    expect(notMarked.sent).to.have.length(1);
    // a request safe to repeat is retried after a bare 503, with the back-off
    const get = harness([res(503), res(200)]);
    expect((await get.send(GET)).status).to.equal(200);
    expect(get.waits).to.deep.equal([750]);
    const marked = harness([res(503), res(200)]);
    expect((await marked.send({ ...POST, idempotent: true })).status).to.equal(200);
  });

  it('does not retry a certificate error, and stops when cancelled', async () => {
    const tls = harness([new TransportError('tls', 'bad cert', false, 'SELF_SIGNED_CERT_IN_CHAIN'), res(200)]);
    let thrown: unknown;
    await tls.send(GET).catch((e: unknown) => (thrown = e));
    expect((thrown as TransportError).kind).to.equal('tls');
    const controller = new AbortController();
    const cancelled = harness([res(503), res(200)], { signal: controller.signal, sleep: async () => controller.abort() });
    thrown = undefined;
    await cancelled.send(GET).catch((e: unknown) => (thrown = e));
    expect((thrown as TransportError).kind).to.equal('aborted');
    expect(cancelled.sent).to.have.length(1);
  });
});

describe('proxy selection', () => {
  const u = (s: string) => new URL(s);
  it('applies NO_PROXY as curl does: *, hosts, suffixes, ports, IPs', () => {
    expect(bypassesProxy(['*'], u('https://graph.microsoft.com'))).to.equal(true);
    expect(bypassesProxy(['graph.microsoft.com'], u('https://graph.microsoft.com'))).to.equal(true);
    expect(bypassesProxy(['microsoft.com'], u('https://graph.microsoft.com'))).to.equal(true);
    expect(bypassesProxy(['.microsoft.com'], u('https://graph.microsoft.com'))).to.equal(true);
    expect(bypassesProxy(['*.microsoft.com'], u('https://login.microsoftonline.com'))).to.equal(false);
    expect(bypassesProxy(['soft.com'], u('https://graph.microsoft.com'))).to.equal(false);
    expect(bypassesProxy(['127.0.0.1'], u('https://127.0.0.1:8443/x'))).to.equal(true);
    expect(bypassesProxy(['127.0.0.1:9999'], u('https://127.0.0.1:8443/x'))).to.equal(false);
    expect(bypassesProxy(['127.0.0.1:8443'], u('https://127.0.0.1:8443/x'))).to.equal(true);
    expect(bypassesProxy(['::1'], u('https://[::1]:8443/'))).to.equal(true);
    expect(bypassesProxy([], u('https://graph.microsoft.com'))).to.equal(false);
  });
  it('uses M365D_PROXY_URL for everything, HTTPS_PROXY except NO_PROXY', () => {
    const explicit = { proxy: { url: 'http://p:1', display: 'http://p:1', from: 'M365D_PROXY_URL' as const }, noProxy: ['graph.microsoft.com'] };
    expect(proxyFor(explicit, u('https://graph.microsoft.com'))).to.equal('http://p:1');
    const env = { proxy: { url: 'http://p:1', display: 'http://p:1', from: 'HTTPS_PROXY' as const }, noProxy: ['graph.microsoft.com'] };
    expect(proxyFor(env, u('https://graph.microsoft.com'))).to.equal(undefined);
    expect(proxyFor(env, u('https://login.microsoftonline.com'))).to.equal('http://p:1');
    expect(proxyFor({ noProxy: [] }, u('https://graph.microsoft.com'))).to.equal(undefined);
  });
});
