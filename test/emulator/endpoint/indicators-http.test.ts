import { expect } from 'chai';
import { startEmulator, type Emulator } from '../emulator';
import { request, type HttpResult } from '../test-support';

const MDE = 'https://api.securitycenter.microsoft.com';
const SHA1 = '0123456789abcdef0123456789abcdef01234567';

// REAL TENANT: the indicators through the server core: the endpoint audience, the apps' roles, quotas, the test API.
describe('emulator: REAL TENANT Defender for Endpoint indicators over HTTPS', function () {
  this.timeout(60_000);
  let em: Emulator;
  let quotaNow = 0;
  const call = (path: string, o: { method?: string; json?: unknown; token?: string } = {}): Promise<HttpResult> =>
    request(`${em.origin}${path}`, { method: o.method, json: o.json, ca: em.caPem, headers: { authorization: `Bearer ${o.token ?? em.issueToken('full', MDE)}` } });
  const submit = (body: unknown, token?: string): Promise<HttpResult> => call('/api/indicators', { method: 'POST', json: body, token });
  const body = { indicatorValue: SHA1, indicatorType: 'FileSha1', action: 'Block', title: 'From the emulator test', description: 'Blocked by a playbook' };

  before(async () => { em = await startEmulator({ seed: 9, incidents: 30, huntingRowsPerTable: 20, quotaClock: () => quotaNow }); });
  after(() => em?.stop());

  it('REAL TENANT: the full app submits, lists and deletes; the seeded portal indicators come from the tenant\'s own entities', async () => {
    const seeded = em.indicators();
    expect(seeded).to.have.length(5);
    expect(em.health()).to.include({ indicators: 5 });
    const files = em.tenant.seedEntities().files;
    expect(seeded[0]).to.include({ indicatorType: 'FileSha256', indicatorValue: files[0].sha256 });
    const r = await submit(body);
    expect(r.status, r.text).to.equal(200);
    expect(r.json).to.include({ indicatorValue: SHA1, createdBy: em.app('full').clientId, source: 'M365D emulator (full)', sourceType: 'AadApp' });
    const again = await submit({ ...body, title: 'Resubmitted' });
    expect(again.json.id).to.equal(r.json.id);
    const list = await call(`/api/indicators?$filter=${encodeURIComponent(`indicatorValue eq '${SHA1}'`)}`);
    expect(list.status, list.text).to.equal(200);
    expect(list.json.value.map((i: Record<string, unknown>) => [i.id, i.title])).to.deep.equal([[r.json.id, 'Resubmitted']]);
    expect(em.indicators()).to.have.length(6);
    const d = await call(`/api/indicators/${r.json.id}`, { method: 'DELETE' });
    expect(d.status).to.equal(204);
    expect(d.text).to.equal('');
    expect((await call(`/api/indicators/${r.json.id}`, { method: 'DELETE' })).status).to.equal(404);
    expect(em.indicators()).to.deep.equal(seeded);
    // the optional version segment reaches the same store
    const v = await call('/api/v1.0/indicators?$top=1');
    expect(v.status, v.text).to.equal(200);
    expect(v.json.value[0].id).to.equal(seeded[0].id);
  });

  it('REAL TENANT: only an endpoint token with a Ti role reaches the store: Graph/XDR audiences and the readonly app get 403', async () => {
    const n = em.indicators().length;
    for (const token of [em.issueToken('full', 'https://graph.microsoft.com'), em.issueToken('full', 'https://api.security.microsoft.com')]) {
      const r = await submit(body, token);
      expect(r.status, r.text).to.equal(403);
      expect(r.json.error.code).to.equal('Forbidden');
    }
    const ro = await call('/api/indicators', { token: em.issueToken('readonly', MDE) });
    expect(ro.status).to.equal(403);
    expect(ro.json.error.message).to.equal('Missing application roles. API required roles: Ti.ReadWrite,Ti.ReadWrite.All, application roles: Machine.Read.All.');
    expect((await submit(body, em.issueToken('nohunting', MDE))).status).to.equal(403);
    expect((await submit(body, em.issueToken('certonly', MDE))).status).to.equal(200);
    expect(em.indicators()).to.have.length(n + 1);
  });

  it('REAL TENANT: submit and list each count 100 a minute (per tenant); a refused call changes nothing', async () => {
    em.setQuotas(true);
    quotaNow = 0;
    const n = em.indicators().length;
    for (let k = 0; k < 100; k++) expect((await call('/api/indicators?$top=1')).status).to.equal(200);
    const list = await call('/api/indicators?$top=1');
    expect(list.status).to.equal(429);
    expect(list.json.error.code).to.equal('TooManyRequests');
    expect(em.requests().at(-1)?.throttled).to.equal('endpoint.indicators.list');
    // the submit bucket is its own
    for (let k = 0; k < 100; k++) {
      const r = await submit({ ...body, indicatorValue: k.toString(16).padStart(40, 'e') });
      expect(r.status, r.text).to.equal(200);
    }
    const t = await submit({ ...body, indicatorValue: 'f'.repeat(40) });
    expect(t.status).to.equal(429);
    expect(Number(t.headers['retry-after'])).to.be.within(1, 60);
    expect(em.indicators()).to.have.length(n + 100);
    quotaNow += 60_000;
    expect((await submit({ ...body, indicatorValue: 'f'.repeat(40) })).status).to.equal(200);
    em.setQuotas(false);
  });

  it('REAL TENANT: the control API adds and lists indicators; reset re-seeds them', async () => {
    const r = await request(`${em.origin}/_emulator/indicators`, { method: 'POST', json: { indicatorValue: 'evil.example.com', indicatorType: 'DomainName', action: 'Block' }, ca: em.caPem });
    expect(r.status, r.text).to.equal(201);
    expect(r.json).to.include({ indicatorValue: 'evil.example.com', createdBy: 'secop@contoso.com', sourceType: 'User' });
    const bad = await request(`${em.origin}/_emulator/indicators`, { method: 'POST', json: { indicatorValue: '10.0.0.1', indicatorType: 'IpAddress', action: 'Block' }, ca: em.caPem });
    expect(bad.status).to.equal(400);
    expect(bad.json.error.message).to.match(/InvalidIpAddress/);
    const all = await request(`${em.origin}/_emulator/indicators`, { ca: em.caPem });
    expect(all.json.value.map((i: Record<string, unknown>) => i.indicatorValue)).to.include('evil.example.com');
    em.reset();
    expect(em.indicators()).to.have.length(5);
  });
});
