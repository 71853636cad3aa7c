import { expect } from 'chai';
import { startEmulator, type Emulator } from './emulator';
import { request, type HttpResult } from './test-support';

// REAL TENANT: the alerts face through the server core: tokens of the registered apps, the quota, the control API.
describe('emulator: REAL TENANT alerts_v2 over HTTPS', function () {
  this.timeout(60_000);
  let em: Emulator;
  const call = (path: string, o: { method?: string; json?: unknown; token?: string; prefer?: boolean } = {}): Promise<HttpResult> =>
    request(`${em.origin}${path}`, {
      method: o.method, json: o.json, ca: em.caPem,
      headers: { authorization: `Bearer ${o.token ?? em.issueToken('full')}`, ...(o.prefer ? { prefer: 'include-unknown-enum-members' } : {}) },
    });
  const ctl = (method: string, path: string, json?: unknown): Promise<HttpResult> => request(`${em.origin}/_emulator${path}`, { method, json, ca: em.caPem });

  // timeScale 1: a quota minute is a real minute, so 150 quick calls always fall inside one window
  before(async () => { em = await startEmulator({ seed: 21, alerts: 300, huntingRowsPerTable: 20 }); });
  after(() => em?.stop());

  it('REAL TENANT: alerts: 300 seeds 300 alerts over 120 incidents; health counts them', async () => {
    expect(em.health()).to.include({ incidents: 120, alerts: 300 });
    expect((await ctl('GET', '/health')).json).to.include({ alerts: 300 });
    const r = await call('/v1.0/security/alerts_v2?$count=true&$top=1');
    expect(r.status, r.text).to.equal(200);
    expect(r.json['@odata.count']).to.equal(300);
    expect(r.json['@odata.nextLink']).to.equal(`${em.origin}/v1.0/security/alerts_v2?$count=true&$top=1&$skip=1`);
  });

  it('REAL TENANT: the read-only app reads alerts but gets 403 on update and comments; the full app may', async () => {
    const ro = em.issueToken('readonly');
    const list = await call('/v1.0/security/alerts_v2?$top=2', { token: ro });
    expect(list.status, list.text).to.equal(200);
    const id = String(list.json.value[0].id);
    expect((await call(`/v1.0/security/alerts_v2/${id}`, { token: ro })).status).to.equal(200);
    const p = await call(`/v1.0/security/alerts_v2/${id}`, { method: 'PATCH', json: { status: 'inProgress' }, token: ro });
    expect(p.status, p.text).to.equal(403);
    expect(p.json.error.code).to.equal('Forbidden');
    expect(p.json.error.message).to.match(/^Missing application roles\. API required roles: SecurityAlert\.ReadWrite\.All, application roles: .*SecurityAlert\.Read\.All/);
    const c = await call(`/v1.0/security/alerts_v2/${id}/comments`, { method: 'POST', json: { comment: 'x' }, token: ro });
    expect(c.status, c.text).to.equal(403);
    const ok = await call(`/v1.0/security/alerts_v2/${id}`, { method: 'PATCH', json: { status: 'inProgress' } });
    expect(ok.status, ok.text).to.equal(200);
    expect(ok.json.status).to.equal('inProgress');
    const posted = await call(`/v1.0/security/alerts_v2/${id}/comments`, { method: 'POST', json: { '@odata.type': 'microsoft.graph.security.alertComment', comment: 'From the full app' } });
    expect(posted.status, posted.text).to.equal(200);
    expect(posted.json.value.at(-1)).to.include({ comment: 'From the full app', createdByDisplayName: 'M365D emulator (full)' });
  });

  it('REAL TENANT: Prefer over HTTP: hidden members and Preference-Applied', async () => {
    const plain = await call("/v1.0/security/alerts_v2?$filter=serviceSource+eq+'unknownFutureValue'&$top=2000");
    expect(plain.status, plain.text).to.equal(200);
    expect(plain.json.value.length).to.be.greaterThan(0);
    expect(plain.headers['preference-applied']).to.equal(undefined);
    const id = String(plain.json.value[0].id);
    const full = await call(`/v1.0/security/alerts_v2/${id}`, { prefer: true });
    expect(full.headers['preference-applied']).to.equal('include-unknown-enum-members');
    expect(full.json.serviceSource).to.equal('microsoftDefenderForCloud');
    expect((await call("/v1.0/security/alerts_v2?$filter=serviceSource+eq+'microsoftDefenderForCloud'")).status).to.equal(400);
  });

  it('REAL TENANT: the control API changes an alert (GET/PATCH /_emulator/alerts/{id}, em.updateAlert, em.alert)', async () => {
    const id = String((await call('/v1.0/security/alerts_v2?$top=1&$skip=5')).json.value[0].id);
    const before = em.now().getTime();
    const u = await ctl('PATCH', `/alerts/${encodeURIComponent(id)}`, { status: 'resolved', classification: 'falsePositive', determination: 'notMalicious', comment: 'control' });
    expect(u.status, u.text).to.equal(200);
    expect(u.json).to.include({ id, status: 'resolved', classification: 'falsePositive', determination: 'notMalicious' });
    expect(Date.parse(u.json.lastUpdateDateTime)).to.be.at.least(before);
    const seen = await call(`/v1.0/security/alerts_v2/${id}`);
    expect(seen.json).to.include({ status: 'resolved', lastUpdateDateTime: u.json.lastUpdateDateTime });
    expect((await ctl('GET', `/alerts/${encodeURIComponent(id)}`)).json).to.deep.equal(em.alert(id));
    expect(em.updateAlert(id, { lastUpdateDateTime: '2025-01-01T00:00:00.0000001Z' })?.lastUpdateDateTime).to.equal('2025-01-01T00:00:00.0000001Z');
    expect((await ctl('PATCH', '/alerts/nope', { status: 'new' })).status).to.equal(404);
    expect((await ctl('GET', '/alerts/nope')).status).to.equal(404);
    const bad = await ctl('PATCH', `/alerts/${encodeURIComponent(id)}`, { status: 'closed' });
    expect(bad.status).to.equal(400);
    expect(bad.json.error.message).to.match(/Invalid status 'closed'/);
    expect(em.alert('nope')).to.equal(undefined);
  });

  it('REAL TENANT: 150 calls a minute per app on alerts (reads, updates and comments alike), then 429 with Retry-After; another app is not throttled', async () => {
    em.setQuotas(true); // starts the windows afresh
    const token = em.issueToken('full');
    const id = String((await call('/v1.0/security/alerts_v2?$top=1', { token })).json.value[0].id);
    const answers: number[] = [];
    for (let k = 1; k < 148; k++) answers.push((await call('/v1.0/security/alerts_v2?$top=1', { token })).status);
    answers.push((await call(`/v1.0/security/alerts_v2/${id}`, { method: 'PATCH', json: { assignedTo: 'q@contoso.com' }, token })).status);
    answers.push((await call(`/v1.0/security/alerts_v2/${id}/comments`, { method: 'POST', json: { comment: 'q' }, token })).status);
    expect(answers.filter((s) => s !== 200), 'the first 150 calls').to.deep.equal([]);
    const refused = await call(`/v1.0/security/alerts_v2/${id}`, { token });
    expect(refused.status, refused.text).to.equal(429);
    expect(refused.json.error.code).to.equal('TooManyRequests');
    expect(refused.json.error.message).to.match(/^Too many requests: the limit is 150 per 00:01:00\. Retry after \d+ seconds\.$/);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    expect(em.requests().at(-1)).to.include({ status: 429, throttled: 'graph.security' });
    const refusedWrite = await call(`/v1.0/security/alerts_v2/${id}`, { method: 'PATCH', json: { assignedTo: 'r@contoso.com' }, token });
    expect(refusedWrite.status).to.equal(429);
    expect(em.alert(id)?.assignedTo).to.equal('q@contoso.com');
    expect((await call('/v1.0/security/alerts_v2?$top=1', { token: em.issueToken('readonly') })).status).to.equal(200);
    em.setQuotas(true);
  });
});
