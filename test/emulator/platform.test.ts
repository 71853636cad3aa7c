// The platforms the emulator plays (platform/): the IMDS and App Service managed identity endpoints on a plain-HTTP
// loopback listener, and Entra ID's exchange of a federated (workload identity) token for an access token.
import { expect } from 'chai';
import * as http from 'node:http';
import { startEmulator, type Emulator } from './emulator';
import { fakeHuntingFactory, fakeTenantFactory, request } from './test-support';
import { decodeJwt } from './jwt';

interface Plain { status: number; json: Record<string, any> }

function get(url: string, headers: Record<string, string> = {}): Promise<Plain> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
    }).on('error', reject);
  });
}

describe('emulator platforms: managed identity endpoints and workload identity federation', () => {
  let em: Emulator;
  const imds = (query: string, headers: Record<string, string> = { Metadata: 'true' }) => get(`${em.platformUrl}/metadata/identity/oauth2/token/?${query}`, headers);
  const graph = `resource=${encodeURIComponent('https://graph.microsoft.com')}`;

  before(async () => {
    em = await startEmulator({ seed: 3, incidents: 2, tenantFactory: fakeTenantFactory, huntingFactory: fakeHuntingFactory, managedIdentityTokenLifetimeSeconds: 1234 });
  });
  after(() => em.stop());

  it('listens on plain http on 127.0.0.1 only, and says which variables point MSAL at it', () => {
    expect(em.platformUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(em.platformEnv.imds).to.deep.equal({ AZURE_POD_IDENTITY_AUTHORITY_HOST: em.platformUrl });
    expect(em.platformEnv.appService).to.deep.equal({ IDENTITY_ENDPOINT: `${em.platformUrl}/msi/token`, IDENTITY_HEADER: em.identityHeader });
    expect(em.managedIdentities.map((m) => [m.name, m.kind])).to.deep.equal([['mi-system', 'system'], ['mi-user', 'user'], ['mi-user-readonly', 'user']]);
    expect(em.managedIdentity('mi-user-readonly').roles).to.not.include('SecurityIncident.ReadWrite.All');
  });

  it('IMDS: needs Metadata: true; answers as IMDS does (strings of seconds), with the configured lifetime', async () => {
    const refused = await imds(`api-version=2018-02-01&${graph}`, {});
    expect([refused.status, refused.json]).to.deep.equal([400, { error: 'invalid_request', error_description: 'Required metadata header not specified' }]);
    const r = await imds(`api-version=2018-02-01&${graph}`);
    expect(r.status).to.equal(200);
    expect(Object.keys(r.json).sort()).to.deep.equal(['access_token', 'client_id', 'expires_in', 'expires_on', 'ext_expires_in', 'not_before', 'resource', 'token_type']);
    expect(r.json.expires_in).to.equal('1234');
    expect(Number(r.json.expires_on) - Number(r.json.not_before)).to.equal(1234);
    expect(r.json.client_id).to.equal(em.managedIdentity('mi-system').clientId);
    const claims = decodeJwt(r.json.access_token)!.payload;
    expect([claims.appid, claims.aud, claims.exp as number - (claims.iat as number)]).to.deep.equal([em.managedIdentity('mi-system').clientId, 'https://graph.microsoft.com', 1234]);
  });

  it('IMDS: a user-assigned identity by client_id, object_id or msi_res_id; an unknown one is "Identity not found"', async () => {
    const mi = em.managedIdentity('mi-user');
    for (const q of [`client_id=${mi.clientId}`, `object_id=${mi.objectId}`, `msi_res_id=${encodeURIComponent(mi.resourceId!)}`]) {
      const r = await imds(`api-version=2018-02-01&${graph}&${q}`);
      expect([r.status, r.json.client_id], q).to.deep.equal([200, mi.clientId]);
    }
    const unknown = await imds(`api-version=2018-02-01&${graph}&client_id=00000000-0000-4000-8000-000000000000`);
    expect([unknown.status, unknown.json]).to.deep.equal([400, { error: 'invalid_request', error_description: 'Identity not found' }]);
    const resource = await imds('api-version=2018-02-01&resource=https%3A%2F%2Fnot.a.resource');
    expect([resource.status, resource.json.error, resource.json.error_codes]).to.deep.equal([400, 'invalid_resource', [500011]]);
  });

  it('App Service: checks X-IDENTITY-HEADER and the api-version; answers expires_on and client_id', async () => {
    const url = `${em.platformEnv.appService.IDENTITY_ENDPOINT}?api-version=2019-08-01&${graph}`;
    expect((await get(url)).status).to.equal(400);
    expect((await get(url, { 'X-IDENTITY-HEADER': 'wrong' })).status).to.equal(400);
    expect((await get(url.replace('2019-08-01', '2017-09-01'), { 'X-IDENTITY-HEADER': em.identityHeader })).status).to.equal(400);
    const r = await get(url, { 'X-IDENTITY-HEADER': em.identityHeader });
    expect(r.status).to.equal(200);
    expect(Object.keys(r.json).sort()).to.deep.equal(['access_token', 'client_id', 'expires_on', 'resource', 'token_type']);
    expect(Number(r.json.expires_on) - Math.floor(Date.now() / 1000)).to.be.within(1230, 1235);
  });

  it('a managed identity\'s token is accepted by the API faces with its roles; the request log names no secret', async () => {
    const token = (await imds(`api-version=2018-02-01&resource=${encodeURIComponent(em.origin)}`)).json.access_token as string;
    const r = await request(`${em.origin}/v1.0/security/_echo`, { ca: em.caPem, headers: { authorization: `Bearer ${token}` } });
    expect(r.status).to.equal(200);
    expect((r.json as any).caller.clientId).to.equal(em.managedIdentity('mi-system').clientId);
    expect(JSON.stringify(em.requests())).to.not.include(em.identityHeader);
    expect(em.requests().some((e) => e.path === '/metadata/identity/oauth2/token/' && e.status === 200)).to.equal(true);
  });

  describe('Entra ID: a federated token as the client assertion', () => {
    const exchange = (assertion: string, clientId = em.federation.clientId) =>
      request(`${em.origin}/${em.tenantId}/oauth2/v2.0/token`, {
        ca: em.caPem,
        form: { grant_type: 'client_credentials', client_id: clientId, scope: 'https://graph.microsoft.com/.default', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion },
      });
    const code = (r: { json?: any }) => (r.json.error_codes as number[])[0];

    it('accepts the registered issuer, subject and audience api://AzureADTokenExchange', async () => {
      const t = em.issueFederatedToken();
      expect(decodeJwt(t)!.payload).to.include({ iss: em.federation.issuer, sub: 'system:serviceaccount:soar:m365d-engine' });
      const r = await exchange(t);
      expect(r.status, r.text).to.equal(200);
      expect(decodeJwt((r.json as any).access_token)!.payload.appid).to.equal(em.federation.clientId);
    });

    it('refuses a wrong audience (700212), subject (700213), issuer (700211), signature (50013) and an expired token (700024), as Entra words them', async () => {
      const audience = await exchange(em.issueFederatedToken({ audience: 'api://wrong' }));
      expect([audience.status, code(audience)]).to.deep.equal([401, 700212]);
      expect((audience.json as any).error_description).to.match(/^AADSTS700212: No matching federated identity record found for presented assertion audience 'api:\/\/wrong'\./);
      const subject = await exchange(em.issueFederatedToken({ subject: 'system:serviceaccount:other:sa' }));
      expect((subject.json as any).error_description).to.match(/^AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:other:sa'\. Check your federated identity credential Subject, Audience and Issuer against the presented assertion\./);
      expect(code(await exchange(em.issueFederatedToken({ issuer: 'https://issuer.example/' })))).to.equal(700211);
      expect(code(await exchange(em.issueFederatedToken({ badSignature: true })))).to.equal(50013);
      const expired = await exchange(em.issueFederatedToken({ expiresIn: -10 }));
      expect([expired.status, code(expired)]).to.deep.equal([401, 700024]);
      expect((expired.json as any).error_description).to.match(/^AADSTS700024: Client assertion is not within its valid time range\./);
    });

    it('an app without a federated credential does not take one (the assertion is checked as a certificate\'s)', async () => {
      const r = await exchange(em.issueFederatedToken(), em.app('readonly').clientId);
      expect(r.status).to.equal(401);
      expect(code(r)).to.equal(700027);
    });
  });
});
