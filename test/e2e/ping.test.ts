// Ping end to end: the built action process against the emulator, as an engine runs it. Covers tokens (secret and
// certificate, the cache, renewal), transport (proxy, CA, verification, timeouts, retries) and error mapping.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Emulator } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { startProxy } from '../support/proxy';
import { entryOf, expectContract, runEntry, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';
import { envelopeValidator, validatorFor } from '../support/schemas';

const PING = entryOf('ping', repoRoot);
const INPUT = { case_id: 'ping-case', alert_group_identifiers: [] };
const validateEnvelope = envelopeValidator();
const validateResult = validatorFor('schemas/actions/ping.result.schema.json');

describe('Ping against the emulator', function () {
  this.timeout(60_000);
  const emulator = useEmulator({ seed: 4, incidents: 20, quotas: false }, 'ping');
  const freshState = emulator.freshState;
  const lastSeq = emulator.lastSeq;
  let em: Emulator;
  before(() => (em = emulator.em));

  const graphEnv = (extra: Record<string, string | undefined> = {}) => ({ ...em.env, M365D_STATE_DIR: freshState(), ...extra });
  const defenderEnv = (extra: Record<string, string | undefined> = {}) => ({ ...em.legacyEnv, M365D_STATE_DIR: freshState(), ...extra });
  const tokenRequests = (since: number) => em.requests(since).filter((r) => r.method === 'POST' && /\/oauth2\/v2\.0\/token$/.test(r.path));

  async function ping(env: Record<string, string | undefined>, input: Record<string, unknown> = INPUT): Promise<RunResult> {
    const run = await runEntry(PING, { env, input });
    expectContract(run);
    expect(validateEnvelope(run.result), JSON.stringify(validateEnvelope.errors)).to.equal(true);
    if (run.result['status'] === 'completed') expect(validateResult(run.result['json_result']), JSON.stringify(validateResult.errors)).to.equal(true);
    return run;
  }
  const expectFailure = (run: RunResult, code: string, message: RegExp) => {
    expect(run.result['status'], run.stdout).to.equal('failed');
    expect(run.result['error'].code).to.equal(code);
    expect(run.result['error'].message).to.match(message);
  };

  describe('both API families', () => {
    it('Graph: a token, one incident read and hunting, confirmed by name', async () => {
      const run = await ping(graphEnv(), { ...INPUT, check_hunting: 'true' });
      expect(run.code).to.equal(0);
      expect(run.result['result_value']).to.equal(true);
      expect(run.result['json_result']).to.deep.include({ api_family: 'graph', api_url: em.origin, login_url: em.origin, tenant_id: em.tenantId, credential: 'secret', confirmed_permissions: ['SecurityIncident.Read.All', 'ThreatHunting.Read.All'] });
      expect(run.result['json_result'].checks.map((c: { name: string; ok: boolean }) => `${c.name}:${c.ok}`)).to.deep.equal(['token:true', 'incident_read:true', 'hunting:true']);
      expect(run.result['output_message']).to.equal(`Connected to Microsoft Graph at ${em.origin} for tenant ${em.tenantId}; confirmed SecurityIncident.Read.All and ThreatHunting.Read.All.`);
    });

    it('Defender XDR: the same checks with its own paths and permissions', async () => {
      const seq = lastSeq();
      const run = await ping(defenderEnv(), { ...INPUT, check_hunting: true });
      expect(run.result['json_result']).to.deep.include({ api_family: 'defender', confirmed_permissions: ['Incident.Read.All', 'AdvancedHunting.Read.All'] });
      const paths = em.requests(seq).map((r) => `${r.method} ${r.path}`);
      expect(paths).to.include.members(['GET /api/incidents', 'POST /api/advancedhunting/run']);
      expect(paths.some((p) => p.includes('/v1.0/'))).to.equal(false);
    });

    it('asks for a token for the API root\'s origin, and sends nothing to Entra ID but the token request', async () => {
      const seq = lastSeq();
      await ping(graphEnv());
      const identity = em.requests(seq).filter((r) => r.path.startsWith(`/${em.tenantId}/`) || r.path.startsWith('/common/'));
      expect(identity.map((r) => `${r.method} ${r.path} ${r.grantType} ${r.scope}`)).to.deep.equal([`POST /${em.tenantId}/oauth2/v2.0/token client_credentials ${em.origin}/.default`]);
    });
  });

  describe('credentials', () => {
    const cert = () => {
      const app = em.app('certonly');
      return { M365D_CLIENT_ID: app.clientId, M365D_CLIENT_SECRET: undefined, M365D_CLIENT_CERTIFICATE: `${app.privateKeyPem}\n${app.certificatePem}` };
    };

    it('a certificate as PEM text', async () => {
      const run = await ping(graphEnv(cert()));
      expect(run.result['json_result'].credential).to.equal('certificate');
      expect(run.result['result_value']).to.equal(true);
    });

    it('a certificate from a file, and one whose newlines a form turned into spaces', async () => {
      const c = cert();
      const dir = freshState();
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, 'app.pem');
      fs.writeFileSync(file, c.M365D_CLIENT_CERTIFICATE, { mode: 0o600 });
      expect((await ping(graphEnv({ ...c, M365D_CLIENT_CERTIFICATE: file }))).result['status']).to.equal('completed');
      const mangled = c.M365D_CLIENT_CERTIFICATE.replace(/\n/g, ' ');
      expect((await ping(graphEnv({ ...c, M365D_CLIENT_CERTIFICATE: mangled }))).result['status']).to.equal('completed');
    });

    it('a certificate that is not the app\'s: AUTHENTICATION naming the setting; a broken one: CONFIGURATION before any request', async () => {
      const other = em.app('full');
      const wrong = await ping(graphEnv({ M365D_CLIENT_ID: em.app('certonly').clientId, M365D_CLIENT_SECRET: undefined, M365D_CLIENT_CERTIFICATE: `${other.privateKeyPem}\n${other.certificatePem}` }));
      expectFailure(wrong, 'AUTHENTICATION', /M365D_CLIENT_CERTIFICATE was not accepted .* AADSTS700027/);
      const seq = lastSeq();
      const broken = await ping(graphEnv({ M365D_CLIENT_SECRET: undefined, M365D_CLIENT_CERTIFICATE: `${other.certificatePem}\n${em.app('certonly').privateKeyPem}` }));
      expect(broken.code).to.equal(2);
      expectFailure(broken, 'CONFIGURATION', /M365D_CLIENT_CERTIFICATE/);
      expect(em.requests(seq)).to.deep.equal([]);
    });

    it('a wrong secret: AUTHENTICATION naming M365D_CLIENT_SECRET, and the secret never printed', async () => {
      const run = await ping(graphEnv({ M365D_CLIENT_SECRET: 'Wrong~Secret~Value~123456789' }));
      expect(run.code).to.equal(1);
      expectFailure(run, 'AUTHENTICATION', /^M365D_CLIENT_SECRET is not a valid secret of app .* Entra ID said: AADSTS7000215/);
      expect(run.stdout + run.stderr).not.to.include('Wrong~Secret~Value~123456789');
    });

    it('an unknown tenant and an unknown client', async () => {
      expectFailure(await ping(graphEnv({ M365D_TENANT_ID: '00000000-0000-0000-0000-00000000abcd' })), 'AUTHENTICATION', /^M365D_TENANT_ID 00000000-0000-0000-0000-00000000abcd is not a tenant .* AADSTS90002/);
      expectFailure(await ping(graphEnv({ M365D_CLIENT_ID: '00000000-0000-0000-0000-00000000beef' })), 'AUTHENTICATION', /^M365D_CLIENT_ID 00000000-0000-0000-0000-00000000beef is not an application .* AADSTS700016/);
    });
  });

  describe('permissions', () => {
    it('a read-only app passes Ping (it reads incidents and hunts)', async () => {
      const ro = em.app('readonly');
      const run = await ping(graphEnv({ M365D_CLIENT_ID: ro.clientId, M365D_CLIENT_SECRET: ro.clientSecret }), { ...INPUT, check_hunting: true });
      expect(run.result['result_value']).to.equal(true);
    });

    it('an app without hunting: PERMISSION naming the permission on each API family, and what was confirmed', async () => {
      const app = em.app('nohunting');
      const creds = { M365D_CLIENT_ID: app.clientId, M365D_CLIENT_SECRET: app.clientSecret };
      const g = await ping(graphEnv(creds), { ...INPUT, check_hunting: true });
      expect(g.code).to.equal(1);
      expectFailure(g, 'PERMISSION', /^The app lacks the ThreatHunting\.Read\.All application permission .* \(Confirmed before this: token, SecurityIncident\.Read\.All\.\)$/);
      const d = await ping(defenderEnv(creds), { ...INPUT, check_hunting: true });
      expectFailure(d, 'PERMISSION', /^The app lacks the AdvancedHunting\.Read\.All application permission .* \(Confirmed before this: token, Incident\.Read\.All\.\)$/);
      expect((await ping(graphEnv(creds))).result['result_value']).to.equal(true);
    });
  });

  describe('the token cache', () => {
    it('makes one token request for many sequential runs, in a 0600 file', async () => {
      const env = graphEnv();
      const seq = lastSeq();
      for (let i = 0; i < 5; i++) expect((await ping(env)).result['status']).to.equal('completed');
      expect(tokenRequests(seq)).to.have.length(1);
      const files = fs.readdirSync(path.join(env.M365D_STATE_DIR!, 'tokens')).filter((f) => f.endsWith('.json'));
      expect(files).to.have.length(1);
      expect(fs.statSync(path.join(env.M365D_STATE_DIR!, 'tokens', files[0]!)).mode & 0o777).to.equal(0o600);
    });

    it('is shared by parallel processes: none fails, the file stays whole, one token request', async () => {
      const env = graphEnv();
      const seq = lastSeq();
      const runs = await Promise.all(Array.from({ length: 12 }, () => ping(env)));
      for (const run of runs) expect(run.result['status'], run.stdout).to.equal('completed');
      expect(tokenRequests(seq)).to.have.length(1);
      const dir = path.join(env.M365D_STATE_DIR!, 'tokens');
      for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) expect(() => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))).not.to.throw();
    });

    it('drops a token the API refuses (401) and retries once with a new one', async () => {
      const env = graphEnv();
      await ping(env);
      em.revokeTokens();
      const seq = lastSeq();
      const run = await ping(env);
      expect(run.result['status'], run.stdout).to.equal('completed');
      expect(tokenRequests(seq)).to.have.length(1);
      expect(run.logs.some((l) => /refused the cached access token/.test(l['msg']))).to.equal(true);
    });

    it('asks again when the secret changes, rather than trusting a token the old one got', async () => {
      const env = graphEnv();
      await ping(env);
      const run = await ping({ ...env, M365D_CLIENT_SECRET: 'Changed~Secret~000000000' });
      expectFailure(run, 'AUTHENTICATION', /AADSTS7000215/);
    });

    it('never prints the access token', async () => {
      const env = graphEnv({ M365D_LOG_LEVEL: 'debug' });
      const run = await ping(env);
      const dir = path.join(env.M365D_STATE_DIR!, 'tokens');
      const token = JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.json'))!), 'utf8')).accessToken as string;
      expect(token.length).to.be.greaterThan(20);
      expect(run.stdout + run.stderr).not.to.include(token);
      expect(run.stdout + run.stderr).not.to.include(token.split('.')[2]!);
    });
  });

  describe('transport', () => {
    it('goes through an HTTPS proxy with credentials, the CA applied through the tunnel, the password never printed', async () => {
      const proxy = await startProxy({ auth: { user: 'proxyuser', password: 'Proxy-P@ss-Planted-9' } });
      try {
        const url = proxy.url.replace('://', `://proxyuser:${encodeURIComponent('Proxy-P@ss-Planted-9')}@`);
        const run = await ping(graphEnv({ M365D_PROXY_URL: url }), { ...INPUT, check_hunting: true });
        expect(run.result['status'], run.stdout).to.equal('completed');
        expect(proxy.connects.length).to.be.greaterThan(0);
        for (const c of proxy.connects) expect([c.target, c.authorized]).to.deep.equal([`127.0.0.1:${em.port}`, true]);
        expect(run.stdout + run.stderr).not.to.include('Proxy-P@ss-Planted-9');
        const denied = await ping(graphEnv({ M365D_PROXY_URL: proxy.url.replace('://', '://proxyuser:wrong-password@') }));
        expectFailure(denied, 'NETWORK', /asks for credentials \(407 Proxy Authentication Required\)/);
      } finally {
        await proxy.close();
      }
    });

    it('a proxy that will not open the tunnel is NETWORK naming the proxy (not an answer of Entra ID), nothing sent', async () => {
      // 403: not retried, so the run ends at once; a 502 is tried again like a refused connection, and then ends the
      // same way (test/unit/http/tunnel.test.ts)
      const proxy = await startProxy({ connectStatus: 403, auth: { user: 'proxyuser', password: 'Proxy-P@ss-Planted-9' } });
      try {
        const seq = lastSeq();
        const run = await ping(graphEnv({ M365D_PROXY_URL: proxy.url.replace('://', `://proxyuser:${encodeURIComponent('Proxy-P@ss-Planted-9')}@`) }));
        expect(run.code).to.equal(1);
        // the proxy as configured, password hidden (the redactor of messages may hide more of it: not this test's concern)
        expectFailure(run, 'NETWORK', new RegExp(`^The proxy http://proxyuser:\\S*127\\.0\\.0\\.1:${proxy.port} refused a tunnel to 127\\.0\\.0\\.1:${em.port} for the token request \\(it answered CONNECT with 403 Forbidden\\)\\.$`));
        expect(proxy.connects.map((c) => c.status)).to.deep.equal([403]);
        expect(em.requests(seq)).to.deep.equal([]);
        expect(run.stdout + run.stderr).not.to.include('Proxy-P@ss-Planted-9');
      } finally {
        await proxy.close();
      }
    });

    it('honours HTTPS_PROXY and NO_PROXY when M365D_PROXY_URL is unset', async () => {
      const proxy = await startProxy();
      try {
        expect((await ping(graphEnv({ HTTPS_PROXY: proxy.url }))).result['status']).to.equal('completed');
        const through = proxy.connects.length;
        expect(through).to.be.greaterThan(0);
        expect((await ping(graphEnv({ HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }))).result['status']).to.equal('completed');
        expect(proxy.connects.length).to.equal(through);
      } finally {
        await proxy.close();
      }
    });

    it('needs the CA for a server it does not know, unless verification is off (with a warning)', async () => {
      const run = await ping(graphEnv({ M365D_CA_CERTIFICATE: undefined }));
      expectFailure(run, 'NETWORK', /TLS certificate of 127\.0\.0\.1:\d+ was not accepted .* M365D_CA_CERTIFICATE/);
      const off = await ping(graphEnv({ M365D_CA_CERTIFICATE: undefined, M365D_VERIFY_SSL: 'false' }));
      expect(off.result['status']).to.equal('completed');
      expect(off.logs.some((l) => l['level'] === 'warn' && /not verified/.test(l['msg']))).to.equal(true);
    });

    it('a garbage M365D_CA_CERTIFICATE is CONFIGURATION with exit 2 before any connection, the value not echoed', async () => {
      // a TCP listener stands in for the API and login hosts: it counts every connection made to it
      const sockets: net.Socket[] = [];
      const server = net.createServer((s) => sockets.push(s.on('error', () => {})));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const origin = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      try {
        const garbage = '-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUPlantedGarbage0123456789AB\n-----END CERTIFICATE-----\n';
        const run = await ping(graphEnv({ M365D_API_URL: origin, M365D_LOGIN_URL: origin, M365D_API_FLAVOR: 'graph', M365D_CA_CERTIFICATE: garbage, M365D_TIMEOUT: '2' }));
        expect(run.code).to.equal(2);
        expectFailure(run, 'CONFIGURATION', /^M365D_CA_CERTIFICATE has a certificate that cannot be read: .* give the path of the file\.$/);
        expect(run.stdout + run.stderr).not.to.include('PlantedGarbage');
        expect(sockets, 'connections made').to.have.length(0);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    const faults: Array<[string, Parameters<Emulator['addFault']>[0]]> = [
      ['429 with Retry-After', { kind: 'status', status: 429, retryAfter: 1, count: 2 }],
      ['429 with an HTTP-date Retry-After', { kind: 'status', status: 429, retryAfter: 'http-date', retryAfterSeconds: 1, count: 1 }],
      ['429 without Retry-After', { kind: 'status', status: 429, retryAfter: null, count: 2 }],
      ['503', { kind: 'status', status: 503, count: 2 }],
      ['504', { kind: 'status', status: 504, count: 1 }],
      ['a reset connection', { kind: 'reset', count: 2 }],
      ['a truncated body', { kind: 'truncate', count: 1 }],
    ];
    for (const [what, fault] of faults) {
      it(`retries ${what} on the API and on the token request, logging each retry`, async () => {
        em.addFault({ ...fault, match: { path: '/v1.0/security/incidents' } });
        em.addFault({ ...fault, match: { path: `/${em.tenantId}/oauth2/v2.0/token` } });
        const run = await ping(graphEnv());
        expect(run.result['status'], run.stdout).to.equal('completed');
        const retries = run.logs.filter((l) => / retrying in \d+ ms$/.test(l['msg']));
        expect(retries.length).to.equal(2 * (fault.count ?? 1));
        expect(em.faults().every((f) => f.remaining === 0)).to.equal(true);
      });
    }

    it('fails THROTTLED at once when Retry-After is past the deadline, saying when to try again', async () => {
      em.addFault({ kind: 'status', status: 429, retryAfter: 900, count: 1, match: { path: '/v1.0/security/incidents' } });
      const started = Date.now();
      const run = await ping(graphEnv());
      expectFailure(run, 'THROTTLED', /throttled reading one incident \(429\).*accepts calls again in 900 s/);
      expect(Date.now() - started).to.be.lessThan(30_000);
    });

    it('times a slow request out (M365D_TIMEOUT) and tries again', async () => {
      em.addFault({ kind: 'delay', delayMs: 3000, count: 1, match: { path: '/v1.0/security/incidents' } });
      const run = await ping(graphEnv({ M365D_TIMEOUT: '1' }));
      expect(run.result['status'], run.stdout).to.equal('completed');
      expect(run.logs.some((l) => /retrying/.test(l['msg']) && l['error'] === 'ETIMEDOUT')).to.equal(true);
    });

    it('reports a server that is not there as NETWORK', async () => {
      const run = await ping(graphEnv({ M365D_API_URL: 'https://127.0.0.1:9', M365D_LOGIN_URL: 'https://127.0.0.1:9', M365D_TIMEOUT: '2' }));
      expectFailure(run, 'NETWORK', /Could not connect to 127\.0\.0\.1:9 \(ECONNREFUSED\)/);
    });
  });
});
