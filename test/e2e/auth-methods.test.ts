// The four sign-in methods end to end (M365D_AUTH): the built Ping, Get Incident and Add Comment to Incident processes,
// as an engine runs them, against the emulator's Entra ID, its managed identity endpoints (IMDS through
// AZURE_POD_IDENTITY_AUTHORITY_HOST, App Service through IDENTITY_ENDPOINT + IDENTITY_HEADER) and a federated credential.
// Secrets scans: the federated token, the access tokens and the App Service identity header never reach stdout or
// stderr, and the token and the header never reach the state folder (the access tokens stay in its 0600 cache).
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Emulator } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { entryOf, expectContract, runEntry, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';
import { validatorFor } from '../support/schemas';

const PING = entryOf('ping', repoRoot);
const GET = entryOf('get-incident', repoRoot);
const COMMENT = entryOf('add-comment-to-incident', repoRoot);
const CONTEXT = { case_id: 'auth-case', alert_group_identifiers: [] };
const validatePing = validatorFor('schemas/actions/ping.result.schema.json');

type Env = Record<string, string | undefined>;

/** Every file's text under `dir`. */
function folderText(dir: string): string {
  if (!fs.existsSync(dir)) return '';
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(e.isDirectory() ? folderText(p) : fs.readFileSync(p, 'utf8'));
  }
  return out.join('\n');
}

/** The access tokens in a state folder's token cache. */
function cachedTokens(state: string): string[] {
  const dir = path.join(state, 'tokens');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { accessToken: string }).accessToken);
}

function expectNoLeak(run: RunResult, secrets: string[]): void {
  for (const s of secrets) {
    expect(s.length, 'a secret to look for').to.be.greaterThan(10);
    expect(run.stdout, 'stdout').to.not.include(s);
    expect(run.stderr, 'stderr').to.not.include(s);
  }
}

describe('sign-in methods end to end: managed identity and workload identity federation', function () {
  this.timeout(90_000);
  const emulator = useEmulator({ seed: 17, incidents: 6, quotas: false }, 'auth-methods');
  let em: Emulator;
  let incidentId: string;
  let work: string;
  before(() => {
    em = emulator.em;
    incidentId = String(em.addIncident({ displayName: 'Sign-in methods', alerts: 1 })['id']);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-methods-'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const run = async (entry: string, env: Env, input: Record<string, unknown> = {}): Promise<RunResult> => {
    const r = await runEntry(entry, { env, input: { ...CONTEXT, ...input } });
    expectContract(r);
    return r;
  };
  const miRequests = (since: number) => em.requests(since).filter((e) => /^\/(metadata\/identity\/oauth2\/token|msi\/token)\/?$/.test(e.path));
  const entraRequests = (since: number) => em.requests(since).filter((e) => e.method === 'POST' && /\/oauth2\/v2\.0\/token$/.test(e.path));
  const failure = (r: RunResult) => [r.result['status'], r.result['error']?.code, r.result['error']?.message];

  describe('an app registration: secret and certificate, as before', () => {
    for (const method of ['secret', 'certificate'] as const) {
      it(`${method}: Ping reports it; a read and a write on the cached token`, async () => {
        const certonly = em.app('certonly');
        const env: Env = method === 'secret'
          ? { ...em.env, M365D_STATE_DIR: emulator.freshState() }
          : { ...em.env, M365D_CLIENT_ID: certonly.clientId, M365D_CLIENT_SECRET: '', M365D_CLIENT_CERTIFICATE: `${certonly.privateKeyPem}\n${certonly.certificatePem}`, M365D_AUTH: 'certificate', M365D_STATE_DIR: emulator.freshState() };
        const seq = emulator.lastSeq();
        const ping = await run(PING, env);
        expect(ping.result['json_result']?.credential, ping.stdout).to.equal(method);
        const read = await run(GET, env, { incident_id: incidentId });
        const write = await run(COMMENT, env, { incident_id: incidentId, comment: `signed in with a ${method}` });
        expect([read.result['status'], write.result['status']]).to.deep.equal(['completed', 'completed']);
        expect(entraRequests(seq)).to.have.length(1);
        expect(miRequests(seq)).to.deep.equal([]);
      });
    }
  });

  describe('managed identity', () => {
    const sources = [
      { platform: 'imds' as const, identity: 'mi-system' as const, source: 'DefaultToImds', path: '/metadata/identity/oauth2/token/', query: /^api-version=2018-02-01&resource=/ },
      { platform: 'appService' as const, identity: 'mi-system' as const, source: 'AppService', path: '/msi/token', query: /^api-version=2019-08-01&resource=/ },
      { platform: 'imds' as const, identity: 'mi-user' as const, source: 'DefaultToImds', path: '/metadata/identity/oauth2/token/', query: /&client_id=/ },
      { platform: 'appService' as const, identity: 'mi-user' as const, source: 'AppService', path: '/msi/token', query: /&client_id=/ },
    ];
    for (const s of sources) {
      it(`${s.platform}, ${s.identity}: Ping reports the method and MSAL's source, then a read and a write on the cached token; nothing goes to Entra ID`, async () => {
        const state = emulator.freshState();
        const env = { ...em.managedIdentityEnv(s.platform, s.identity), M365D_STATE_DIR: state };
        const seq = emulator.lastSeq();
        const ping = await run(PING, env);
        expect(ping.result['status'], ping.stdout).to.equal('completed');
        expect(validatePing(ping.result['json_result']), JSON.stringify(validatePing.errors)).to.equal(true);
        const mi = em.managedIdentity(s.identity);
        expect(ping.result['json_result']).to.deep.include({
          credential: 'managed_identity', managed_identity_source: s.source, tenant_id: '',
          managed_identity: s.identity === 'mi-system' ? 'system-assigned' : `user-assigned ${mi.clientId} (M365D_CLIENT_ID)`,
          confirmed_permissions: ['SecurityIncident.Read.All'],
        });
        expect(ping.result['output_message']).to.equal(`Connected to Microsoft Graph at ${em.origin} with ${s.identity === 'mi-system' ? 'the system-assigned managed identity' : `the user-assigned managed identity ${mi.clientId}`} (MSAL chose ${s.source}); confirmed SecurityIncident.Read.All.`);
        const asked = miRequests(seq);
        expect(asked.map((e) => [e.method, e.path, e.status])).to.deep.equal([['GET', s.path, 200]]);
        expect(asked[0]!.query).to.match(s.query);
        if (s.identity === 'mi-user') expect(asked[0]!.query).to.include(`client_id=${mi.clientId}`);
        else expect(asked[0]!.query).to.not.match(/client_id|object_id|res_id/);

        const read = await run(GET, env, { incident_id: incidentId });
        expect(read.result['status'], read.stdout).to.equal('completed');
        expect(read.result['json_result'].incident.id).to.equal(incidentId);
        const write = await run(COMMENT, env, { incident_id: incidentId, comment: `signed in as ${s.identity} via ${s.platform}` });
        expect(write.result['status'], write.stdout).to.equal('completed');
        expect(miRequests(seq), 'the read and the write used the cached token').to.have.length(1);
        expect(entraRequests(seq)).to.deep.equal([]);

        const tokens = cachedTokens(state);
        expect(tokens).to.have.length(1);
        for (const r of [ping, read, write]) expectNoLeak(r, [...tokens, em.identityHeader]);
        expect(folderText(state)).to.not.include(em.identityHeader);
      });
    }

    it('a user-assigned identity that lacks a role: the read works, the write is PERMISSION naming the permission', async () => {
      const env = { ...em.managedIdentityEnv('imds', 'mi-user-readonly'), M365D_STATE_DIR: emulator.freshState() };
      const read = await run(GET, env, { incident_id: incidentId });
      expect(read.result['status'], read.stdout).to.equal('completed');
      const write = await run(COMMENT, env, { incident_id: incidentId, comment: 'not allowed' });
      expect(write.code).to.equal(1);
      expect(write.result['error'].code).to.equal('PERMISSION');
      expect(write.result['error'].message).to.include('SecurityIncident.ReadWrite.All');
    });

    it('a user-assigned identity by resource id and by object id; one not assigned to this host names what to fix', async () => {
      const mi = em.managedIdentity('mi-user');
      const base = em.managedIdentityEnv('appService');
      const seq = emulator.lastSeq();
      for (const extra of [{ M365D_MANAGED_IDENTITY_RESOURCE_ID: mi.resourceId }, { M365D_MANAGED_IDENTITY_OBJECT_ID: mi.objectId }]) {
        const r = await run(PING, { ...base, ...extra, M365D_STATE_DIR: emulator.freshState() });
        expect(r.result['status'], r.stdout).to.equal('completed');
      }
      expect(miRequests(seq).map((e) => /mi_res_id=|object_id=/.exec(e.query)?.[0])).to.deep.equal(['mi_res_id=', 'object_id=']);
      const unknown = '0badc0de-0000-4000-8000-000000000000';
      const r = await run(PING, { ...base, M365D_CLIENT_ID: unknown, M365D_STATE_DIR: emulator.freshState() });
      expect(failure(r)).to.deep.equal(['failed', 'AUTHENTICATION', r.result['error']?.message]);
      expect(r.result['error'].message).to.match(new RegExp(`^The user-assigned managed identity ${unknown} \\(M365D_CLIENT_ID\\) is not assigned to this resource \\(AppService\\): assign it`));
      expectNoLeak(r, [em.identityHeader]);
    });

    it('no managed identity endpoint reachable from this host: AUTHENTICATION saying so, at once (no retries)', async () => {
      const r = await run(PING, { M365D_AUTH: 'managed_identity', M365D_API_URL: em.origin, M365D_API_FLAVOR: 'graph', M365D_CA_CERTIFICATE: em.caPem, AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9', M365D_STATE_DIR: emulator.freshState() });
      expect(r.result['error']?.code, r.stdout).to.equal('AUTHENTICATION');
      expect(r.result['error'].message).to.match(/^No managed identity endpoint is reachable from this host: MSAL chose DefaultToImds \(http:\/\/127\.0\.0\.1:9\/metadata\/identity\/oauth2\/token\/?\), and Could not connect to 127\.0\.0\.1:9 \(ECONNREFUSED\)\. Run the package where /);
      // not asked again: no retry was logged (a retried refusal would log "retrying in N ms" before each attempt)
      expect(r.logs.filter((l) => /retrying/i.test(String(l['msg']))), r.stderr).to.deep.equal([]);
    });

    it('20 parallel runs on an empty cache make exactly one managed identity token request', async () => {
      const env = { ...em.managedIdentityEnv('imds'), M365D_STATE_DIR: emulator.freshState() };
      const seq = emulator.lastSeq();
      const runs = await Promise.all(Array.from({ length: 20 }, () => runEntry(PING, { env, input: CONTEXT, timeoutMs: 60_000 })));
      for (const r of runs) expect(r.result['status'], r.stdout).to.equal('completed');
      expect(miRequests(seq)).to.have.length(1);
    });
  });

  describe('workload identity federation', () => {
    const wiEnv = (file: string, extra: Env = {}): Env => ({ ...em.env, M365D_CLIENT_SECRET: '', M365D_FEDERATED_TOKEN_FILE: file, M365D_STATE_DIR: emulator.freshState(), ...extra });

    it('Ping, a read and a write; the file rotated between runs is read again; no token or assertion leaks', async () => {
      const file = path.join(work, 'rotating-token');
      const first = em.issueFederatedToken();
      fs.writeFileSync(file, `${first}\n`);
      const env = wiEnv(file);
      const seq = emulator.lastSeq();
      const ping = await run(PING, env);
      expect(ping.result['status'], ping.stdout).to.equal('completed');
      expect(validatePing(ping.result['json_result']), JSON.stringify(validatePing.errors)).to.equal(true);
      expect(ping.result['json_result']).to.deep.include({ credential: 'workload_identity', federated_token_file: file, client_id: em.federation.clientId, tenant_id: em.tenantId });
      expect(ping.result['output_message']).to.include(`with workload identity federation (the token file ${file})`);
      expect(entraRequests(seq).map((e) => e.clientId)).to.deep.equal([em.federation.clientId]);

      // the kubelet rotates the file; a run with an empty cache reads the new token
      const second = em.issueFederatedToken({ expiresIn: 7200 });
      fs.writeFileSync(file, second);
      const state2 = emulator.freshState();
      const read = await run(GET, { ...env, M365D_STATE_DIR: state2 }, { incident_id: incidentId });
      expect(read.result['status'], read.stdout).to.equal('completed');
      const write = await run(COMMENT, { ...env, M365D_STATE_DIR: state2 }, { incident_id: incidentId, comment: 'signed in with a federated token' });
      expect(write.result['status'], write.stdout).to.equal('completed');
      expect(entraRequests(seq), 'one token request per empty cache').to.have.length(2);

      // a rotated file that is no longer accepted proves it is read at the run's token request, not cached
      fs.writeFileSync(file, em.issueFederatedToken({ audience: 'api://not-the-exchange' }));
      const refused = await run(PING, { ...env, M365D_STATE_DIR: emulator.freshState() });
      expect(refused.result['error']?.code).to.equal('AUTHENTICATION');
      expect(refused.result['error'].message).to.match(new RegExp(`^No federated credential of app ${em.federation.clientId} matches the federated token in ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(M365D_FEDERATED_TOKEN_FILE\\): the federated credential's issuer, subject or audience does not match .* Entra ID said: AADSTS700212: No matching federated identity record found for presented assertion audience 'api://not-the-exchange'\\.`));

      const tokens = [...cachedTokens(env.M365D_STATE_DIR!), ...cachedTokens(state2)];
      expect(tokens).to.have.length(2);
      for (const r of [ping, read, write, refused]) expectNoLeak(r, [first, second, ...tokens]);
      for (const state of [env.M365D_STATE_DIR!, state2]) {
        const text = folderText(state);
        expect(text).to.not.include(first);
        expect(text).to.not.include(second);
      }
    });

    it('an expired, empty, missing or unparsable token file: AUTHENTICATION naming the file and what is wrong; nothing is sent to Entra ID', async () => {
      const expired = path.join(work, 'expired-token');
      const expiredToken = em.issueFederatedToken({ expiresIn: -60 });
      fs.writeFileSync(expired, expiredToken);
      const empty = path.join(work, 'empty-token');
      fs.writeFileSync(empty, '\n');
      const garbage = path.join(work, 'garbage-token');
      fs.writeFileSync(garbage, 'not-a-jwt-at-all-but-secret-looking');
      const missing = path.join(work, 'no-such-token');
      const seq = emulator.lastSeq();
      const cases: Array<[string, RegExp, string?]> = [
        [expired, /holds a token that expired at \d{4}-\d\d-\d\dT[\d:.]+Z: the kubelet did not rotate it/, expiredToken],
        [empty, /is empty: the projected service-account token has not been written/],
        [garbage, /does not hold a JWT/, 'not-a-jwt-at-all-but-secret-looking'],
        [missing, /does not exist \(ENOENT\): check that the pod's service account uses workload identity/],
      ];
      for (const [file, why, secret] of cases) {
        const r = await run(PING, wiEnv(file));
        expect(r.code).to.equal(1);
        expect(r.result['error'].code).to.equal('AUTHENTICATION');
        expect(r.result['error'].message).to.include(`The federated token file ${file} (M365D_FEDERATED_TOKEN_FILE) `);
        expect(r.result['error'].message).to.match(why);
        if (secret) expectNoLeak(r, [secret]);
      }
      expect(entraRequests(seq)).to.deep.equal([]);
    });

    it('the Azure Workload Identity webhook\'s AZURE_* variables stand in for blank M365D_* fields', async () => {
      const file = path.join(work, 'webhook-token');
      fs.writeFileSync(file, em.issueFederatedToken());
      const r = await run(PING, {
        M365D_API_URL: em.origin, M365D_API_FLAVOR: 'graph', M365D_CA_CERTIFICATE: em.caPem, M365D_STATE_DIR: emulator.freshState(),
        AZURE_FEDERATED_TOKEN_FILE: file, AZURE_CLIENT_ID: em.federation.clientId, AZURE_TENANT_ID: em.tenantId, AZURE_AUTHORITY_HOST: `${em.origin}/`,
      });
      expect(r.result['status'], r.stdout).to.equal('completed');
      expect(r.result['json_result']).to.deep.include({ credential: 'workload_identity', login_url: em.origin, client_id: em.federation.clientId });
    });
  });

  it('every audience with every secretless method: Graph, the Defender XDR API and the Defender for Endpoint API, one cached token each', async () => {
    const file = path.join(work, 'audiences-token');
    fs.writeFileSync(file, em.issueFederatedToken());
    const methods: Array<[string, Env]> = [
      ['managed identity (IMDS)', em.managedIdentityEnv('imds')],
      ['managed identity (App Service)', em.managedIdentityEnv('appService', 'mi-user')],
      ['workload identity', { ...em.env, M365D_CLIENT_SECRET: '', M365D_FEDERATED_TOKEN_FILE: file }],
    ];
    for (const [label, base] of methods) {
      for (const flavor of ['graph', 'defender']) {
        const state = emulator.freshState();
        const env: Env = { ...base, M365D_API_FLAVOR: flavor, M365D_STATE_DIR: state };
        const seq = emulator.lastSeq();
        const ping = await run(PING, env, { check_hunting: true, check_endpoint_api: true });
        expect(ping.result['status'], `${label}, ${flavor}: ${ping.stdout}`).to.equal('completed');
        expect(ping.result['json_result'].confirmed_permissions, label).to.include('Machine.Read.All');
        // each token check says how the run signed in; a managed identity asks no Entra ID
        const details = Object.fromEntries((ping.result['json_result'].checks as Array<{ name: string; detail: string }>).map((c) => [c.name, c.detail]));
        expect(details['endpoint_token'], label).to.equal(String(details['token']).replace(/^token for \S+/, 'token for https://api.securitycenter.microsoft.com/.default'));
        if (label.startsWith('managed')) expect(details['endpoint_token'], label).to.match(/managed identity/).and.not.match(/login|https:\/\/(?!api\.securitycenter)/);
        // the Defender for Endpoint API was read with a token for its own audience, and Microsoft's API with the configured one
        const endpointCalls = em.requests(seq).filter((e) => e.path.startsWith('/api/machines'));
        expect(endpointCalls.map((e) => e.status), label).to.deep.equal([200]);
        const scopes = [...entraRequests(seq).map((e) => e.scope), ...miRequests(seq).map((e) => new URLSearchParams(e.query).get('resource'))];
        expect(scopes.map((x) => String(x).replace(/\/\.default$/, '')).sort(), `${label}, ${flavor}`).to.deep.equal([em.origin, 'https://api.securitycenter.microsoft.com'].sort());
        expect(cachedTokens(state), `${label}, ${flavor}: one token per audience`).to.have.length(2);
      }
    }
  });

  it('a contradiction is CONFIGURATION naming the variables, exit 2, and nothing is sent', async () => {
    const seq = emulator.lastSeq();
    const r = await run(PING, { ...em.env, M365D_CLIENT_CERTIFICATE: `${em.app('full').privateKeyPem}\n${em.app('full').certificatePem}`, M365D_STATE_DIR: emulator.freshState() });
    expect(r.code).to.equal(2);
    expect(r.result['error'].message).to.match(/^M365D_CLIENT_SECRET and M365D_CLIENT_CERTIFICATE are both set/);
    const r2 = await run(PING, { ...em.managedIdentityEnv('imds'), M365D_CLIENT_SECRET: 'x', M365D_STATE_DIR: emulator.freshState() });
    expect([r2.code, r2.result['error'].message]).to.deep.equal([2, 'M365D_AUTH is managed_identity, which does not use M365D_CLIENT_SECRET (a secret credential): remove M365D_CLIENT_SECRET, or set M365D_AUTH to secret.']);
    expect(em.requests(seq)).to.deep.equal([]);
  });
});

describe('managed identity token lifetime and the token cache', function () {
  this.timeout(60_000);
  // a token living less than the cache's five-minute margin is fetched again by every run; one living a day is reused
  const short = useEmulator({ seed: 18, incidents: 2, quotas: false, managedIdentityTokenLifetimeSeconds: 200 }, 'auth-mi-short');
  it('the emulator\'s lifetime is what the cache sees: 200 s tokens are asked again on every run, MSAL being told to refresh', async () => {
    const em = short.em;
    const env = { ...em.managedIdentityEnv('imds'), M365D_STATE_DIR: short.freshState() };
    const seq = short.lastSeq();
    for (let i = 0; i < 2; i++) {
      const r = await runEntry(PING, { env, input: CONTEXT });
      expect(r.result['status'], r.stdout).to.equal('completed');
    }
    const asked = em.requests(seq).filter((e) => e.path.startsWith('/metadata/identity/oauth2/token'));
    expect(asked.length, 'each run asked the endpoint again').to.be.at.least(2);
    const [cached] = fs.readdirSync(path.join(env.M365D_STATE_DIR, 'tokens')).filter((f) => f.endsWith('.json'));
    const token = JSON.parse(fs.readFileSync(path.join(env.M365D_STATE_DIR, 'tokens', cached!), 'utf8')) as { expiresOn: number };
    expect(token.expiresOn - Date.now() / 1000).to.be.within(150, 201);
  });
});
