import { expect } from 'chai';
import { startEmulator, type Emulator } from './emulator';
import { request, type HttpResult } from './test-support';

// REAL TENANT: these use the real tenant model (createTenant) and hunting engine (createHuntingEngine) through the
// server core; they pass once both have landed.
describe('emulator core: REAL TENANT through the server core', function () {
  this.timeout(60_000);
  let em: Emulator;
  let token: string;
  const call = (path: string, o: { method?: string; json?: unknown; token?: string } = {}): Promise<HttpResult> =>
    request(`${em.origin}${path}`, { method: o.method, json: o.json, ca: em.caPem, headers: { authorization: `Bearer ${o.token ?? token}` } });

  before(async () => {
    em = await startEmulator({ seed: 11, incidents: 12, huntingRowsPerTable: 50 });
    const full = em.app('full');
    const r = await request(`${em.origin}/${em.tenantId}/oauth2/v2.0/token`, {
      ca: em.caPem, form: { client_id: full.clientId, client_secret: full.clientSecret ?? '', scope: `${em.origin}/.default`, grant_type: 'client_credentials' },
    });
    expect(r.status, r.text).to.equal(200);
    token = r.json.access_token;
  });
  after(() => em?.stop());

  it('REAL TENANT: lists incidents on both faces with a token from the token endpoint', async () => {
    const g = await call('/v1.0/security/incidents?$top=5');
    expect(g.status, g.text).to.equal(200);
    expect(g.json.value).to.be.an('array').with.length(5);
    expect(g.json['@odata.nextLink']).to.be.a('string').and.satisfy((s: string) => s.startsWith(em.origin));
    const d = await call('/api/incidents?$top=100');
    expect(d.status, d.text).to.equal(200);
    expect(d.json.value).to.be.an('array');
    expect(em.health().incidents).to.equal(em.tenant.control.incidentCount());
  });

  it('REAL TENANT: runs a hunting query on both faces', async () => {
    const g = await call('/v1.0/security/runHuntingQuery', { method: 'POST', json: { Query: 'DeviceInfo | take 3' } });
    expect(g.status, g.text).to.equal(200);
    expect(g.json.results).to.be.an('array').with.length(3);
    const d = await call('/api/advancedhunting/run', { method: 'POST', json: { Query: 'DeviceInfo | take 3' } });
    expect(d.status, d.text).to.equal(200);
    expect(d.json.Results).to.be.an('array').with.length(3);
  });

  it('REAL TENANT: the read-only app gets 403 on a write; the control API changes what the faces show', async () => {
    const ro = em.issueToken('readonly');
    const list = await call('/v1.0/security/incidents?$top=1');
    const id = String(list.json.value[0].id);
    const w = await call(`/v1.0/security/incidents/${id}`, { method: 'PATCH', json: { assignedTo: 'someone@contoso.com' }, token: ro });
    expect(w.status, w.text).to.equal(403);
    const added = await request(`${em.origin}/_emulator/incidents`, { json: { displayName: 'Added through control' }, ca: em.caPem });
    expect(added.status, added.text).to.equal(201);
    const got = await call(`/v1.0/security/incidents/${String(added.json.id)}`);
    expect(got.status, got.text).to.equal(200);
    expect(got.json.displayName).to.equal('Added through control');
  });
});
