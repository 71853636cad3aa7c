// The secretless sign-in methods in lib/auth: the federated token read at EACH token request (a callback, not a
// string read once), its checks, the managed identity request through our transport (resource without /.default,
// loopback http, the answer's shape), the cache key per method and identity, and the AADSTS codes of federation.
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheKey } from '../../../lib/auth';
import { errorForTokenResponse } from '../../../lib/auth/errors';
import { readFederatedToken } from '../../../lib/auth/federated';
import { checkManagedIdentityAnswer, resourceOfScope } from '../../../lib/auth/managed-identity';
import { fetchWithMsal } from '../../../lib/auth/msal';
import { createTransport, isLocalHost } from '../../../lib/http/transport';
import { ActionError } from '../../../lib/runtime/errors';
import { loadConfig, type Config } from '../../../lib/runtime/config';
import type { Logger } from '../../../lib/runtime/log';
import type { HttpRequest } from '../../../lib/http';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const log: Logger = { error() {}, warn() {}, info() {}, debug() {}, enabled: () => false };
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (payload: Record<string, unknown>) => `${b64({ alg: 'RS256', kid: 'k' })}.${b64(payload)}.${crypto.randomBytes(32).toString('base64url')}`;
const answer = (body: unknown, status = 200) => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('secretless sign-in (lib/auth)', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secretless-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('workload identity', () => {
    it('reads the token file at each token request: a rotated file is what the next request sends', async () => {
      const file = path.join(dir, 'token');
      const config = loadConfig({ M365D_TENANT_ID: TENANT, M365D_CLIENT_ID: CLIENT, M365D_FEDERATED_TOKEN_FILE: file, M365D_STATE_DIR: dir });
      const sent: string[] = [];
      const secrets: string[] = [];
      const client = {
        send: async (request: HttpRequest) => {
          if (request.method === 'POST') sent.push(String(new URLSearchParams(String(request.body)).get('client_assertion')));
          return answer({ token_type: 'Bearer', expires_in: 3599, access_token: `eyJ0eXAiOiJKV1QifQ.eyJ4IjoxfQ.${sent.length}` });
        },
      };
      const first = jwt({ iss: 'https://issuer', sub: 'system:serviceaccount:a:b', aud: ['api://AzureADTokenExchange'], exp: Math.floor(Date.now() / 1000) + 600 });
      const second = jwt({ iss: 'https://issuer', sub: 'system:serviceaccount:a:b', aud: ['api://AzureADTokenExchange'], exp: Math.floor(Date.now() / 1000) + 900 });
      fs.writeFileSync(file, `${first}\n`);
      await fetchWithMsal(config, 'https://graph.microsoft.com/.default', { http: client, log, addSecret: (s) => void secrets.push(s) });
      fs.writeFileSync(file, second);
      await fetchWithMsal(config, 'https://graph.microsoft.com/.default', { http: client, log, addSecret: (s) => void secrets.push(s) });
      expect(sent).to.deep.equal([first, second]);
      expect(secrets).to.include.members([first, second]);
    });

    it('an expired token fails before anything is sent, naming the file and not the token', async () => {
      const file = path.join(dir, 'expired');
      const token = jwt({ iss: 'i', sub: 's', aud: 'a', exp: Math.floor(Date.now() / 1000) - 5 });
      fs.writeFileSync(file, token);
      const config = loadConfig({ M365D_TENANT_ID: TENANT, M365D_CLIENT_ID: CLIENT, M365D_FEDERATED_TOKEN_FILE: file });
      const sent: HttpRequest[] = [];
      let error: unknown;
      try {
        await fetchWithMsal(config, 'https://graph.microsoft.com/.default', { http: { send: async (r: HttpRequest) => (sent.push(r), answer({})) }, log });
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(ActionError);
      expect((error as ActionError).code).to.equal('AUTHENTICATION');
      expect((error as ActionError).message).to.match(new RegExp(`^The federated token file ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(M365D_FEDERATED_TOKEN_FILE\\) holds a token that expired at `));
      expect((error as ActionError).message).to.not.include(token);
      expect(sent).to.deep.equal([]);
    });

    it('checks the file: a token without exp, a non-JSON part, a folder', () => {
      const credential = { kind: 'workload_identity' as const, tokenFile: path.join(dir, 'f'), tokenFileVariable: 'AZURE_FEDERATED_TOKEN_FILE' as const };
      const failing = (text: string | undefined): string => {
        if (text !== undefined) fs.writeFileSync(credential.tokenFile, text);
        try {
          readFederatedToken(credential, () => undefined);
        } catch (err) {
          return (err as ActionError).message;
        }
        return 'no error';
      };
      expect(failing(jwt({ iss: 'i' }))).to.match(/\(AZURE_FEDERATED_TOKEN_FILE\) holds a token without an expiry/);
      expect(failing('a.b.c')).to.match(/does not hold a JWT/);
      const good = jwt({ iss: 'https://issuer', sub: 'system:serviceaccount:ns:sa', aud: ['api://AzureADTokenExchange'], exp: 2_000_000_000 });
      fs.writeFileSync(credential.tokenFile, `\n${good}\n`);
      const registered: string[] = [];
      expect(readFederatedToken(credential, (s) => void registered.push(s), 0)).to.deep.equal({ token: good, claims: { iss: 'https://issuer', sub: 'system:serviceaccount:ns:sa', aud: ['api://AzureADTokenExchange'], exp: 2_000_000_000 } });
      expect(registered).to.deep.equal([good]);
      const folder = { ...credential, tokenFile: dir };
      expect(() => readFederatedToken(folder, () => undefined)).to.throw(/is a folder, not a file \(EISDIR\)/);
    });

    it('maps the federation AADSTS codes to the federated credential to fix', () => {
      const config = loadConfig({ M365D_TENANT_ID: TENANT, M365D_CLIENT_ID: CLIENT, M365D_FEDERATED_TOKEN_FILE: '/var/run/t' });
      for (const code of [70021, 700211, 700212, 700213]) {
        const e = errorForTokenResponse(401, { error: 'invalid_client', error_description: `AADSTS${code}: No matching federated identity record found.`, error_codes: [code] }, config, 'https://graph.microsoft.com/.default');
        expect([e.code, e.message.split(':')[0]]).to.deep.equal(['AUTHENTICATION', `No federated credential of app ${CLIENT} matches the federated token in /var/run/t (M365D_FEDERATED_TOKEN_FILE)`]);
        expect(e.message).to.include("the federated credential's issuer, subject or audience does not match");
      }
      const expired = errorForTokenResponse(401, { error_description: 'AADSTS700024: Client assertion is not within its valid time range.', error_codes: [700024] }, config, 's');
      expect(expired.message).to.match(/^Entra ID found the federated token in \/var\/run\/t \(M365D_FEDERATED_TOKEN_FILE\) outside its valid time/);
    });
  });

  describe('managed identity', () => {
    it('asks the endpoint for the resource (the scope without /.default) over loopback http, with Metadata: true, never through the proxy', async () => {
      const config = loadConfig({ M365D_AUTH: 'managed_identity', M365D_PROXY_URL: 'http://proxy.example:3128' });
      const sent: HttpRequest[] = [];
      const saved = process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'];
      process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = 'http://127.0.0.1:1';
      try {
        const client = { send: async (r: HttpRequest) => (sent.push(r), answer({ access_token: 'eyJ0eXAiOiJKV1QifQ.eyJ4IjoxfQ.mi', expires_in: '3599', expires_on: String(Math.floor(Date.now() / 1000) + 3599), resource: 'https://api.security.microsoft.com', token_type: 'Bearer' })) };
        const token = await fetchWithMsal(config, 'https://api.security.microsoft.com/.default', { http: client, log });
        expect(token.accessToken).to.equal('eyJ0eXAiOiJKV1QifQ.eyJ4IjoxfQ.mi');
        expect(token.expiresOn - Date.now() / 1000).to.be.within(3590, 3600);
      } finally {
        if (saved === undefined) delete process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'];
        else process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = saved;
      }
      expect(sent).to.have.length(1);
      const url = new URL(sent[0]!.url);
      expect([sent[0]!.method, url.origin, url.pathname.replace(/\/$/, ''), url.searchParams.get('resource'), url.searchParams.get('api-version'), sent[0]!.local]).to.deep.equal(['GET', 'http://127.0.0.1:1', '/metadata/identity/oauth2/token', 'https://api.security.microsoft.com', '2018-02-01', true]);
      expect(Object.entries(sent[0]!.headers ?? {}).find(([k]) => k.toLowerCase() === 'metadata')?.[1]).to.equal('true');
      expect(resourceOfScope('https://api.securitycenter.microsoft.com/.default')).to.equal('https://api.securitycenter.microsoft.com');
    });

    it('checks the endpoint\'s answer: IMDS and App Service shapes pass; a missing token or expiry is API_ERROR', () => {
      const at = { api: 'the managed identity endpoint', label: 'the managed identity token request' };
      expect(checkManagedIdentityAnswer({ access_token: 't', expires_in: '3599', expires_on: '1700000000', token_type: 'Bearer' }, at)).to.equal(undefined);
      expect(checkManagedIdentityAnswer({ access_token: 't', expires_on: '1700000000', client_id: 'c' }, at)).to.equal(undefined);
      expect(checkManagedIdentityAnswer({ expires_on: '1' }, at)?.code).to.equal('API_ERROR');
      expect(checkManagedIdentityAnswer({ access_token: 't', expires_on: 'soon' }, at)?.message).to.match(/'expires_on' that is not a time/);
      expect(checkManagedIdentityAnswer([], at)?.code).to.equal('API_ERROR');
    });

    it('the transport sends a managed identity request over plain http to loopback directly, past a configured proxy', async () => {
      const server = http.createServer((req, res) => res.end(JSON.stringify({ path: req.url, metadata: req.headers['metadata'] })));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      try {
        // the proxy is a closed port: a request through it would fail
        const config = loadConfig({ M365D_AUTH: 'managed_identity', M365D_PROXY_URL: 'http://127.0.0.1:9' });
        const transport = createTransport(config);
        const r = await transport.send({ method: 'GET', url: `http://127.0.0.1:${port}/metadata/identity/oauth2/token`, headers: { Metadata: 'true' }, local: true, label: 'mi' });
        expect([r.status, JSON.parse(r.body)]).to.deep.equal([200, { path: '/metadata/identity/oauth2/token', metadata: 'true' }]);
        let refused: unknown;
        await transport.send({ method: 'GET', url: `http://127.0.0.1:${port}/x`, label: 'not local' }).catch((e: unknown) => (refused = e));
        expect((refused as Error).message).to.equal('Refusing to send not local over http://.');
        await transport.send({ method: 'GET', url: 'http://10.1.2.3/x', local: true, label: 'mi' }).catch((e: unknown) => (refused = e));
        expect((refused as Error).message).to.match(/^Refusing to send mi to 10\.1\.2\.3: a managed identity endpoint must be on this host/);
      } finally {
        server.close();
      }
    });

    it('plain http goes only to loopback and link-local hosts', () => {
      for (const h of ['127.0.0.1', 'localhost', '169.254.169.254', '[::1]', 'fe80::1']) expect(isLocalHost(h), h).to.equal(true);
      for (const h of ['10.0.0.1', 'graph.microsoft.com', '169.255.0.1', 'localhost.example.com']) expect(isLocalHost(h), h).to.equal(false);
    });
  });

  describe('the token cache key', () => {
    const scope = 'https://graph.microsoft.com/.default';
    const key = (env: Record<string, string>, platform: NodeJS.ProcessEnv = {}): string => cacheKey(loadConfig({ M365D_STATE_DIR: dir, ...env }) as Config, scope, platform);
    it('differs for every method and identity, and not for a rotated federated token', () => {
      const keys = [
        key({ M365D_TENANT_ID: TENANT, M365D_CLIENT_ID: CLIENT, M365D_CLIENT_SECRET: 's' }),
        key({ M365D_TENANT_ID: TENANT, M365D_CLIENT_ID: CLIENT, M365D_CLIENT_SECRET: 's2' }),
        key({ M365D_TENANT_ID: TENANT, M365D_CLIENT_ID: CLIENT, M365D_FEDERATED_TOKEN_FILE: '/a' }),
        key({ M365D_TENANT_ID: TENANT, M365D_CLIENT_ID: CLIENT, M365D_FEDERATED_TOKEN_FILE: '/b' }),
        key({ M365D_AUTH: 'managed_identity' }),
        key({ M365D_AUTH: 'managed_identity', M365D_CLIENT_ID: CLIENT }),
        key({ M365D_MANAGED_IDENTITY_OBJECT_ID: CLIENT }),
        key({ M365D_AUTH: 'managed_identity' }, { IDENTITY_ENDPOINT: 'http://127.0.0.1:1/msi/token' }),
      ];
      expect(new Set(keys).size).to.equal(keys.length);
      // the App Service header is not part of it (it is a secret and may change on restart); the token file's content neither
      expect(key({ M365D_AUTH: 'managed_identity' }, { IDENTITY_HEADER: 'a' })).to.equal(key({ M365D_AUTH: 'managed_identity' }, { IDENTITY_HEADER: 'b' }));
      expect(key({ M365D_TENANT_ID: TENANT, M365D_CLIENT_ID: CLIENT, M365D_FEDERATED_TOKEN_FILE: '/a' })).to.equal(keys[2]);
    });
  });
});
