import { expect } from 'chai';
import * as crypto from 'node:crypto';
import { startEmulator, type Emulator } from './emulator';
import { fakeHuntingFactory, fakeTenantFactory, request, type HttpResult } from './test-support';
import { decodeJwt, signJwt, verifyJwtSignature } from './jwt';

/** A client assertion built the way MSAL node builds it (tooling-notes §2). */
function assertion(o: { clientId: string; aud: string; privateKeyPem: string; certDer?: Buffer; alg: 'PS256' | 'RS256'; x5tHex?: string; iat?: number; exp?: number }): string {
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  const header: Record<string, unknown> = { alg: o.alg, typ: 'JWT' };
  if (o.alg === 'PS256') header['x5t#S256'] = Buffer.from(o.x5tHex ?? '', 'hex').toString('base64url');
  else header.x5t = Buffer.from(o.x5tHex ?? '', 'hex').toString('base64url');
  return signJwt(header, { aud: o.aud, iss: o.clientId, sub: o.clientId, jti: crypto.randomUUID(), nbf: iat, iat, exp: o.exp ?? iat + 600 },
    crypto.createPrivateKey(o.privateKeyPem));
}

function aadsts(r: HttpResult): number {
  expect(r.json, r.text).to.be.an('object');
  const code = (r.json.error_codes as number[])[0];
  expect(r.json.error_description).to.match(new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`, 's'));
  expect(r.json).to.include.keys('error', 'timestamp', 'trace_id', 'correlation_id', 'error_uri');
  expect(r.json.error_uri).to.equal(`https://login.microsoftonline.com/error?code=${code}`);
  return code;
}

describe('emulator core: identity (Entra ID token endpoint, OpenID configuration, API authentication)', () => {
  let em: Emulator;
  let tokenUrl: string;
  const post = (form: Record<string, string>, url = tokenUrl): Promise<HttpResult> => request(url, { form, ca: em.caPem });
  const get = (path: string, token?: string): Promise<HttpResult> => request(`${em.origin}${path}`, { ca: em.caPem, headers: token ? { authorization: `Bearer ${token}` } : {} });

  before(async () => {
    em = await startEmulator({ seed: 7, incidents: 3, tenantFactory: fakeTenantFactory, huntingFactory: fakeHuntingFactory });
    // MSAL adds ?client-request-id=...; the endpoint must ignore the query string
    tokenUrl = `${em.origin}/${em.tenantId}/oauth2/v2.0/token?client-request-id=${crypto.randomUUID()}`;
  });
  after(() => em.stop());

  it('derives a GUID tenant id and GUID client ids from the seed; secrets are random per start', async () => {
    expect(em.tenantId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(em.apps.map((a) => a.name)).to.deep.equal(['full', 'readonly', 'nohunting', 'certonly']);
    for (const a of em.apps) expect(a.clientId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(em.app('certonly').clientSecret).to.equal(undefined);
    expect(em.app('full').certificatePem).to.match(/BEGIN CERTIFICATE/);
    const other = await startEmulator({ seed: 7, incidents: 1, tenantFactory: fakeTenantFactory, huntingFactory: fakeHuntingFactory });
    try {
      expect(other.tenantId).to.equal(em.tenantId);
      expect(other.app('full').clientId).to.equal(em.app('full').clientId);
      expect(other.app('full').clientSecret).to.not.equal(em.app('full').clientSecret);
    } finally { await other.stop(); }
  });

  it('env and legacyEnv are the M365D_* variables for the full app', () => {
    expect(Object.keys(em.env).sort()).to.deep.equal(['M365D_API_FLAVOR', 'M365D_API_URL', 'M365D_CA_CERTIFICATE', 'M365D_CLIENT_ID', 'M365D_CLIENT_SECRET', 'M365D_ENDPOINT_API_URL', 'M365D_LOGIN_URL', 'M365D_TENANT_ID']);
    expect(em.env.M365D_API_URL).to.equal(em.origin);
    expect(em.env.M365D_LOGIN_URL).to.equal(em.origin);
    expect(em.env.M365D_ENDPOINT_API_URL).to.equal(em.origin);
    expect(em.legacyEnv.M365D_ENDPOINT_API_URL).to.equal(em.origin);
    expect(em.env.M365D_API_FLAVOR).to.equal('graph');
    expect(em.legacyEnv.M365D_API_FLAVOR).to.equal('defender');
    expect(em.env.M365D_CLIENT_ID).to.equal(em.app('full').clientId);
    expect(em.env.M365D_CLIENT_SECRET).to.equal(em.app('full').clientSecret);
    expect(em.env.M365D_CA_CERTIFICATE).to.equal(em.caPem);
    expect(em.origin).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('issues a token with a client secret for the origin scope, with the claims and response shape of Entra', async () => {
    const full = em.app('full');
    const r = await post({ client_id: full.clientId, client_secret: full.clientSecret ?? '', scope: `${em.origin}/.default`, grant_type: 'client_credentials' });
    expect(r.status, r.text).to.equal(200);
    expect(r.json.token_type).to.equal('Bearer');
    expect(r.json.expires_in).to.equal(3599);
    expect(r.json.ext_expires_in).to.equal(3599);
    const jwt = decodeJwt(r.json.access_token);
    expect(jwt?.header.alg).to.equal('RS256');
    const p = jwt?.payload ?? {};
    expect(p.aud).to.equal(em.origin);
    expect(p.tid).to.equal(em.tenantId);
    expect(p.appid).to.equal(full.clientId);
    expect(p.iss).to.equal(`${em.origin}/${em.tenantId}/v2.0`);
    expect(p.exp).to.equal((p.iat as number) + 3599);
    expect(p.nbf).to.equal(p.iat);
    expect(p.roles).to.have.members(full.roles);
    const who = await get('/v1.0/security/_echo', r.json.access_token);
    expect(who.status).to.equal(200);
    expect(who.json.caller.clientId).to.equal(full.clientId);
    expect(who.json.caller.roles).to.have.members(full.roles);
  });

  it('issues tokens for Microsoft resource ids, with that API\'s roles only', async () => {
    const full = em.app('full');
    const graph = await post({ client_id: full.clientId, client_secret: full.clientSecret ?? '', scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' });
    expect(graph.status, graph.text).to.equal(200);
    const gp = decodeJwt(graph.json.access_token)?.payload ?? {};
    expect(gp.aud).to.equal('https://graph.microsoft.com');
    expect(gp.roles).to.have.members(['SecurityIncident.ReadWrite.All', 'SecurityAlert.ReadWrite.All', 'ThreatHunting.Read.All',
      'SecurityIdentitiesAccount.Read.All', 'SecurityIdentitiesActions.ReadWrite.All']);
    for (const res of ['https://api.security.microsoft.com', 'https://api-gov.security.microsoft.us', 'https://eu.api.security.microsoft.com']) {
      const d = await post({ client_id: full.clientId, client_secret: full.clientSecret ?? '', scope: `${res}/.default`, grant_type: 'client_credentials' });
      expect(d.status, d.text).to.equal(200);
      const dp = decodeJwt(d.json.access_token)?.payload ?? {};
      expect(dp.aud).to.equal(res);
      expect(dp.roles).to.have.members(['Incident.ReadWrite.All', 'AdvancedHunting.Read.All']);
    }
    const us = await post({ client_id: full.clientId, client_secret: full.clientSecret ?? '', scope: 'https://graph.microsoft.us/.default', grant_type: 'client_credentials' });
    expect(us.status).to.equal(200);
  });

  it('gives the readonly app read roles and hunting, and the nohunting app no hunting role', async () => {
    const ro = em.app('readonly');
    const r = await post({ client_id: ro.clientId, client_secret: ro.clientSecret ?? '', scope: `${em.origin}/.default`, grant_type: 'client_credentials' });
    expect(r.status).to.equal(200);
    expect(decodeJwt(r.json.access_token)?.payload.roles).to.have.members(['SecurityIncident.Read.All', 'SecurityAlert.Read.All', 'ThreatHunting.Read.All', 'Incident.Read.All', 'AdvancedHunting.Read.All',
      'SecurityIdentitiesAccount.Read.All', 'Machine.Read.All']);
    // the fake tenant answers 403 to a write without the ReadWrite role: the roles reach the face
    const patch = await request(`${em.origin}/v1.0/security/incidents/1`, { method: 'PATCH', json: { status: 'resolved' }, ca: em.caPem, headers: { authorization: `Bearer ${r.json.access_token}` } });
    expect(patch.status).to.equal(403);
    const nh = em.app('nohunting');
    const n = await post({ client_id: nh.clientId, client_secret: nh.clientSecret ?? '', scope: `${em.origin}/.default`, grant_type: 'client_credentials' });
    const roles = decodeJwt(n.json.access_token)?.payload.roles as string[];
    expect(roles).to.include('SecurityIncident.ReadWrite.All');
    expect(roles).to.not.include('ThreatHunting.Read.All');
    expect(roles).to.not.include('AdvancedHunting.Read.All');
    expect(roles).to.not.include('SecurityIdentitiesAccount.Read.All');
    expect(roles).to.not.include('SecurityIdentitiesActions.ReadWrite.All');
  });

  for (const alg of ['PS256', 'RS256'] as const) {
    it(`accepts a certificate assertion signed ${alg} with ${alg === 'PS256' ? 'x5t#S256' : 'x5t'}, as MSAL sends it`, async () => {
      for (const name of ['full', 'certonly'] as const) {
        const app = em.app(name);
        const a = assertion({
          alg, clientId: app.clientId, aud: `${em.origin}/${em.tenantId}/oauth2/v2.0/token`, privateKeyPem: app.privateKeyPem ?? '',
          x5tHex: alg === 'PS256' ? app.thumbprintSha256 : app.thumbprintSha1,
        });
        const r = await post({
          client_id: app.clientId, scope: 'https://api.security.microsoft.com/.default', grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a,
        });
        expect(r.status, r.text).to.equal(200);
        expect(decodeJwt(r.json.access_token)?.payload.appid).to.equal(app.clientId);
      }
    });
  }

  describe('AADSTS errors, each with its status, error and code', () => {
    const cases: Array<{ what: string; status: number; error: string; code: number; form: () => Record<string, string>; url?: () => string; text?: RegExp }> = [
      { what: 'wrong secret', status: 401, error: 'invalid_client', code: 7000215, text: /Invalid client secret provided/,
        form: () => ({ client_id: em.app('full').clientId, client_secret: 'nope', scope: `${em.origin}/.default`, grant_type: 'client_credentials' }) },
      { what: 'a secret for the certificate-only app', status: 401, error: 'invalid_client', code: 7000215,
        form: () => ({ client_id: em.app('certonly').clientId, client_secret: 'x', scope: `${em.origin}/.default`, grant_type: 'client_credentials' }) },
      { what: 'unknown client', status: 400, error: 'unauthorized_client', code: 700016, text: /Application with identifier '00000000-1111-2222-3333-444444444444' was not found in the directory/,
        form: () => ({ client_id: '00000000-1111-2222-3333-444444444444', client_secret: 'x', scope: `${em.origin}/.default`, grant_type: 'client_credentials' }) },
      { what: 'unknown tenant', status: 400, error: 'invalid_tenant', code: 90002, text: /Tenant 'aaaaaaaa-0000-0000-0000-000000000000' not found/,
        url: () => `${em.origin}/aaaaaaaa-0000-0000-0000-000000000000/oauth2/v2.0/token`,
        form: () => ({ client_id: em.app('full').clientId, client_secret: em.app('full').clientSecret ?? '', scope: `${em.origin}/.default`, grant_type: 'client_credentials' }) },
      { what: 'a scope without /.default', status: 400, error: 'invalid_scope', code: 1002012, text: /Client credential flows must have a scope value with \/.default/,
        form: () => ({ client_id: em.app('full').clientId, client_secret: em.app('full').clientSecret ?? '', scope: 'https://graph.microsoft.com/SecurityIncident.Read.All', grant_type: 'client_credentials' }) },
      { what: 'an unknown resource', status: 400, error: 'invalid_resource', code: 500011, text: /The resource principal named https:\/\/example.com was not found/,
        form: () => ({ client_id: em.app('full').clientId, client_secret: em.app('full').clientSecret ?? '', scope: 'https://example.com/.default', grant_type: 'client_credentials' }) },
      { what: 'no credential', status: 401, error: 'invalid_client', code: 7000218, text: /'client_assertion' or 'client_secret'/,
        form: () => ({ client_id: em.app('full').clientId, scope: `${em.origin}/.default`, grant_type: 'client_credentials' }) },
      { what: 'an unsupported grant type', status: 400, error: 'unsupported_grant_type', code: 70003, text: /unsupported grant type 'password'/,
        form: () => ({ client_id: em.app('full').clientId, client_secret: em.app('full').clientSecret ?? '', scope: `${em.origin}/.default`, grant_type: 'password' }) },
      { what: 'no grant type', status: 400, error: 'invalid_request', code: 900144,
        form: () => ({ client_id: em.app('full').clientId, client_secret: em.app('full').clientSecret ?? '', scope: `${em.origin}/.default` }) },
      { what: 'an assertion signed by another key', status: 401, error: 'invalid_client', code: 700027, text: /Client assertion contains an invalid signature/,
        form: () => {
          const app = em.app('full');
          const stranger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
          return { client_id: app.clientId, scope: `${em.origin}/.default`, grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion({ alg: 'PS256', clientId: app.clientId, aud: `${em.origin}/${em.tenantId}/oauth2/v2.0/token`, privateKeyPem: stranger, x5tHex: app.thumbprintSha256 }) };
        } },
      { what: 'an assertion naming an unregistered certificate', status: 401, error: 'invalid_client', code: 700027, text: /not registered on application. \[Reason - The key was not found./,
        form: () => {
          const app = em.app('readonly'); const full = em.app('full');
          return { client_id: app.clientId, scope: `${em.origin}/.default`, grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion({ alg: 'RS256', clientId: app.clientId, aud: `${em.origin}/${em.tenantId}/oauth2/v2.0/token`, privateKeyPem: full.privateKeyPem ?? '', x5tHex: full.thumbprintSha1 }) };
        } },
      { what: 'an expired assertion', status: 401, error: 'invalid_client', code: 700024, text: /Client assertion is not within its valid time range/,
        form: () => {
          const app = em.app('full');
          const iat = Math.floor(Date.now() / 1000) - 3600;
          return { client_id: app.clientId, scope: `${em.origin}/.default`, grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion({ alg: 'PS256', clientId: app.clientId, aud: `${em.origin}/${em.tenantId}/oauth2/v2.0/token`, privateKeyPem: app.privateKeyPem ?? '', x5tHex: app.thumbprintSha256, iat, exp: iat + 600 }) };
        } },
      { what: 'an assertion for another audience', status: 400, error: 'invalid_request', code: 50027,
        form: () => {
          const app = em.app('full');
          return { client_id: app.clientId, scope: `${em.origin}/.default`, grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion({ alg: 'PS256', clientId: app.clientId, aud: 'https://login.microsoftonline.com/other/oauth2/v2.0/token', privateKeyPem: app.privateKeyPem ?? '', x5tHex: app.thumbprintSha256 }) };
        } },
    ];
    for (const c of cases) {
      it(`${c.what} → ${c.status} ${c.error} AADSTS${c.code}`, async () => {
        const corr = crypto.randomUUID();
        const r = await request(c.url ? c.url() : tokenUrl, { form: { ...c.form(), 'client-request-id': corr }, ca: em.caPem, headers: { 'client-request-id': corr } });
        expect(r.status, r.text).to.equal(c.status);
        expect(r.json.error).to.equal(c.error);
        expect(aadsts(r)).to.equal(c.code);
        expect(r.json.correlation_id).to.equal(corr);
        if (c.text) expect(r.json.error_description).to.match(c.text);
      });
    }
  });

  it('serves the tenant\'s OpenID configuration and the JWKS that verifies its tokens', async () => {
    const cfg = await get(`/${em.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(cfg.status).to.equal(200);
    expect(cfg.json.issuer).to.equal(`${em.origin}/${em.tenantId}/v2.0`);
    expect(cfg.json.token_endpoint).to.equal(`${em.origin}/${em.tenantId}/oauth2/v2.0/token`);
    expect(cfg.json.token_endpoint_auth_methods_supported).to.include('private_key_jwt');
    const keys = await request(cfg.json.jwks_uri, { ca: em.caPem });
    expect(keys.status).to.equal(200);
    const jwk = keys.json.keys[0];
    const token = em.issueToken('full');
    const decoded = decodeJwt(token);
    expect(decoded?.header.kid).to.equal(jwk.kid);
    expect(verifyJwtSignature(decoded!, crypto.createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' }))).to.equal(true);
    const x5c = new crypto.X509Certificate(Buffer.from(jwk.x5c[0], 'base64'));
    expect(x5c.checkIssued(new crypto.X509Certificate(em.caPem))).to.equal(true);
    const bad = await get('/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration');
    expect(bad.status).to.equal(400);
    expect(aadsts(bad)).to.equal(90002);
  });

  describe('401 on the faces, in each flavour', () => {
    it('missing token: Graph InvalidAuthenticationToken, Defender Unauthorized', async () => {
      const g = await get('/v1.0/security/incidents');
      expect(g.status).to.equal(401);
      expect(g.json.error.code).to.equal('InvalidAuthenticationToken');
      expect(g.json.error.message).to.equal('Access token is empty.');
      expect(g.json.error.innerError).to.include.keys('date', 'request-id', 'client-request-id');
      expect(g.headers['www-authenticate']).to.match(/^Bearer /);
      const d = await get('/api/incidents');
      expect(d.status).to.equal(401);
      expect(d.json.error.code).to.equal('Unauthorized');
      expect(d.json.error).to.include.keys('message', 'target');
      const junk = await get('/v1.0/security/incidents', 'not-a-jwt');
      expect(junk.status).to.equal(401);
      const forged = em.issueToken('full').replace(/\.[^.]+$/, '.AAAA');
      expect((await get('/api/incidents', forged)).status).to.equal(401);
    });

    it('wrong audience: a Graph token on the Defender face and back; the origin token works on both', async () => {
      const graphToken = em.issueToken('full', 'https://graph.microsoft.com');
      const defToken = em.issueToken('full', 'https://api.security.microsoft.com');
      const a = await get('/api/incidents', graphToken);
      expect(a.status).to.equal(401);
      expect(a.json.error.code).to.equal('Unauthorized');
      const b = await get('/v1.0/security/incidents', defToken);
      expect(b.status).to.equal(401);
      expect(b.json.error.message).to.match(/Invalid audience/);
      expect((await get('/v1.0/security/incidents', graphToken)).status).to.equal(200);
      expect((await get('/api/incidents', defToken)).status).to.equal(200);
      const originToken = em.issueToken('full');
      expect((await get('/v1.0/security/incidents', originToken)).status).to.equal(200);
      expect((await get('/api/incidents', originToken)).status).to.equal(200);
    });

    it('expired token (short lifetime), and expiry by moving the service clock', async () => {
      const short = await startEmulator({ incidents: 1, tokenLifetimeSeconds: 1, tenantFactory: fakeTenantFactory, huntingFactory: fakeHuntingFactory });
      try {
        const full = short.app('full');
        const r = await request(`${short.origin}/${short.tenantId}/oauth2/v2.0/token`, { ca: short.caPem, form: { client_id: full.clientId, client_secret: full.clientSecret ?? '', scope: `${short.origin}/.default`, grant_type: 'client_credentials' } });
        expect(r.json.expires_in).to.equal(1);
        const token = r.json.access_token as string;
        short.advanceClock(2000);
        const g = await request(`${short.origin}/v1.0/security/incidents`, { ca: short.caPem, headers: { authorization: `Bearer ${token}` } });
        expect(g.status).to.equal(401);
        expect(g.json.error.message).to.equal('Access token has expired or is not yet valid.');
      } finally { await short.stop(); }
      // the default lifetime also runs out when the clock moves an hour
      const token = em.issueToken('full');
      expect((await get('/v1.0/security/incidents', token)).status).to.equal(200);
      em.advanceClock(3600_000);
      expect((await get('/v1.0/security/incidents', token)).status).to.equal(401);
      em.reset();
    });

    it('revoked tokens: every token issued so far gets 401, new ones work', async () => {
      const before = em.issueToken('full');
      expect((await get('/api/incidents', before)).status).to.equal(200);
      const rev = await request(`${em.origin}/_emulator/tokens/revoke`, { method: 'POST', ca: em.caPem });
      expect(rev.status).to.equal(200);
      expect(rev.json.revoked).to.be.greaterThan(0);
      const r = await get('/api/incidents', before);
      expect(r.status).to.equal(401);
      expect(r.json.error.code).to.equal('Unauthorized');
      expect((await get('/v1.0/security/incidents', before)).status).to.equal(401);
      expect((await get('/api/incidents', em.issueToken('full'))).status).to.equal(200);
    });
  });

  it('answers unknown Microsoft paths with the flavour\'s 404 after authentication', async () => {
    const t = em.issueToken('full');
    const g = await get('/v1.0/security/nothing', t);
    expect(g.status).to.equal(404);
    expect(g.json.error.code).to.be.a('string');
    expect(g.json.error.innerError).to.be.an('object');
    const d = await get('/api/nothing', t);
    expect(d.status).to.equal(404);
    expect(d.json.error).to.include.keys('code', 'message', 'target');
    expect((await get('/api/nothing')).status).to.equal(401);
  });
});
