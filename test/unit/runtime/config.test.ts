import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCertificate, KeyUsage, toPem } from '../../emulator/pki';
import { syncActionErrorOf } from '../../support/errors';
import { CLOUD_PRESETS, defaultStateDir, describeConfig, flavorOfHost, loadConfig, runSeconds, secretsIn, type Env } from '../../../lib/runtime/config';

const BASE: Env = {
  M365D_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  M365D_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  M365D_CLIENT_SECRET: 'the-client-secret',
};
const CERT_PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUJ\n-----END CERTIFICATE-----\n';
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUCA\n-----END CERTIFICATE-----\n';

/** The CONFIGURATION error loadConfig throws for `env`. */
const configError = (env: Env, deps = {}): string => syncActionErrorOf('CONFIGURATION', () => loadConfig(env, deps));

describe('configuration (M365D_* variables)', () => {
  it('defaults to the worldwide Graph API, with every contract default', () => {
    const c = loadConfig(BASE, { platform: 'linux', home: '/home/u' });
    expect(c).to.deep.include({
      cloud: 'Worldwide',
      apiUrl: 'https://graph.microsoft.com',
      apiFlavor: 'graph',
      loginUrl: 'https://login.microsoftonline.com',
      verifySsl: true,
      timeoutMs: 60_000,
      logLevel: 'info',
      stateDir: '/home/u/.cache/m365d-soar',
      noProxy: [],
    });
    expect(c.credential).to.deep.equal({ kind: 'secret', secret: 'the-client-secret' });
    expect(c.proxy).to.equal(undefined);
    expect(c.caCertificates).to.equal(undefined);
  });

  describe('clouds', () => {
    const cases: Array<[string, keyof typeof CLOUD_PRESETS, string, string]> = [
      ['Worldwide', 'Worldwide', 'https://graph.microsoft.com', 'https://login.microsoftonline.com'],
      ['gcc', 'GCC', 'https://graph.microsoft.com', 'https://login.microsoftonline.com'],
      ['GCC High', 'GCC High', 'https://graph.microsoft.us', 'https://login.microsoftonline.us'],
      ['gcchigh', 'GCC High', 'https://graph.microsoft.us', 'https://login.microsoftonline.us'],
      [' gcc  HIGH ', 'GCC High', 'https://graph.microsoft.us', 'https://login.microsoftonline.us'],
      ['DoD', 'DoD', 'https://dod-graph.microsoft.us', 'https://login.microsoftonline.us'],
      ['dod', 'DoD', 'https://dod-graph.microsoft.us', 'https://login.microsoftonline.us'],
    ];
    for (const [raw, cloud, api, login] of cases) {
      it(`M365D_CLOUD=${JSON.stringify(raw)} is ${cloud}: ${api}, ${login}`, () => {
        const c = loadConfig({ ...BASE, M365D_CLOUD: raw });
        expect([c.cloud, c.apiUrl, c.loginUrl, c.apiFlavor]).to.deep.equal([cloud, api, login, 'graph']);
      });
    }
    it('refuses an unknown cloud and lists the valid ones', () => {
      expect(configError({ ...BASE, M365D_CLOUD: 'China' })).to.match(/M365D_CLOUD "China" is not a cloud; valid: Worldwide, GCC, GCC High, DoD/);
    });
    it('lets explicit URLs override the cloud presets', () => {
      const c = loadConfig({ ...BASE, M365D_CLOUD: 'DoD', M365D_API_URL: 'api-gov.security.microsoft.us', M365D_LOGIN_URL: 'login.microsoftonline.us/' });
      expect([c.apiUrl, c.apiFlavor, c.loginUrl]).to.deep.equal(['https://api-gov.security.microsoft.us', 'defender', 'https://login.microsoftonline.us']);
    });
  });

  describe('the Defender for Endpoint API (M365D_ENDPOINT_API_URL) and the engine\'s time (M365D_ACTION_TIMEOUT)', () => {
    it('defaults to each cloud\'s Defender for Endpoint host', () => {
      const roots = (['Worldwide', 'GCC', 'GCC High', 'DoD'] as const).map((cloud) => loadConfig({ ...BASE, M365D_CLOUD: cloud }).endpointApiUrl);
      expect(roots).to.deep.equal(['https://api.security.microsoft.com', 'https://api-gcc.securitycenter.microsoft.us', 'https://api-gov.securitycenter.microsoft.us', 'https://api-gov.securitycenter.microsoft.us']);
    });
    for (const raw of ['us.api.security.microsoft.com', 'https://us.api.security.microsoft.com/', 'https://us.api.security.microsoft.com/api', 'https://US.api.security.microsoft.com/API/', 'https://us.api.security.microsoft.com/api/v1.0']) {
      it(`reads ${JSON.stringify(raw)} as the root https://us.api.security.microsoft.com (a pasted /api dropped)`, () => {
        const c = loadConfig({ ...BASE, M365D_ENDPOINT_API_URL: raw });
        expect([c.endpointApiUrl, c.endpointApiOrigin]).to.deep.equal(['https://us.api.security.microsoft.com', 'https://us.api.security.microsoft.com']);
      });
    }
    it('keeps a custom host\'s path prefix, and the Graph API as configured', () => {
      const c = loadConfig({ ...BASE, M365D_ENDPOINT_API_URL: 'https://proxy.corp.example:8443/mde/api/' });
      expect([c.endpointApiUrl, c.endpointApiOrigin, c.apiUrl]).to.deep.equal(['https://proxy.corp.example:8443/mde', 'https://proxy.corp.example:8443', 'https://graph.microsoft.com']);
    });
    it('refuses plain http, credentials and a query, naming M365D_ENDPOINT_API_URL', () => {
      expect(configError({ ...BASE, M365D_ENDPOINT_API_URL: 'http://api.security.microsoft.com' })).to.match(/^M365D_ENDPOINT_API_URL .* must use https:\/\//);
      expect(configError({ ...BASE, M365D_ENDPOINT_API_URL: 'https://u:p@api.security.microsoft.com' })).to.match(/^M365D_ENDPOINT_API_URL must not carry a user name or password/);
      expect(configError({ ...BASE, M365D_ENDPOINT_API_URL: 'https://api.security.microsoft.com/api?x=1' })).to.match(/^M365D_ENDPOINT_API_URL .* must not have a query/);
    });
    it('takes M365D_ACTION_TIMEOUT as positive whole seconds, unset when blank', () => {
      expect(loadConfig({ ...BASE, M365D_ACTION_TIMEOUT: '300' }).actionTimeoutSeconds).to.equal(300);
      expect(loadConfig({ ...BASE, M365D_ACTION_TIMEOUT: ' 1 ' }).actionTimeoutSeconds).to.equal(1);
      expect(loadConfig({ ...BASE, M365D_ACTION_TIMEOUT: '' }).actionTimeoutSeconds).to.equal(undefined);
      expect(loadConfig(BASE).actionTimeoutSeconds).to.equal(undefined);
      expect(describeConfig(loadConfig({ ...BASE, M365D_ACTION_TIMEOUT: '45' }))).to.deep.include({ action_timeout_seconds: 45, endpoint_api_url: 'https://api.security.microsoft.com' });
    });
    it('gives a run the lesser of the manifest\'s timeout_seconds and M365D_ACTION_TIMEOUT, naming the variable when it is the lesser', () => {
      expect(runSeconds(120, undefined)).to.deep.equal({ seconds: 120 });
      expect(runSeconds(120, 600)).to.deep.equal({ seconds: 120 });
      // equal: the engine's timer is the one that runs from the process's start, so it decides
      expect(runSeconds(120, 120)).to.deep.equal({ seconds: 120, because: 'M365D_ACTION_TIMEOUT' });
      expect(runSeconds(600, 30)).to.deep.equal({ seconds: 30, because: 'M365D_ACTION_TIMEOUT' });
    });
    for (const raw of ['0', '-5', '1.5', '30s', 'ten', '1e3', '99999999999999999999']) {
      it(`refuses M365D_ACTION_TIMEOUT=${JSON.stringify(raw)} by name`, () => {
        expect(configError({ ...BASE, M365D_ACTION_TIMEOUT: raw })).to.equal(`M365D_ACTION_TIMEOUT ${JSON.stringify(raw)} is not a positive whole number of seconds (the time the engine gives this run, e.g. 300).`);
      });
    }
  });

  describe('API URL and family', () => {
    const forms = ['graph.microsoft.com', 'graph.microsoft.com/', 'https://graph.microsoft.com', 'https://graph.microsoft.com/', 'https://graph.microsoft.com/v1.0', 'https://GRAPH.microsoft.com/v1.0/'];
    for (const raw of forms) {
      it(`accepts ${JSON.stringify(raw)} as the Graph root`, () => {
        const c = loadConfig({ ...BASE, M365D_API_URL: raw });
        expect([c.apiUrl, c.apiFlavor, c.apiOrigin]).to.deep.equal(['https://graph.microsoft.com', 'graph', 'https://graph.microsoft.com']);
      });
    }
    const defenderHosts = ['api.security.microsoft.com', 'api-us.security.microsoft.com', 'api-eu.security.microsoft.com', 'us.api.security.microsoft.com', 'api-gcc.security.microsoft.us', 'api-gov.security.microsoft.us'];
    for (const host of defenderHosts) {
      it(`takes ${host} for the Defender XDR API`, () => {
        expect(flavorOfHost(host)).to.equal('defender');
        const c = loadConfig({ ...BASE, M365D_API_URL: `https://${host}/api/` });
        expect([c.apiUrl, c.apiFlavor]).to.deep.equal([`https://${host}`, 'defender']);
      });
    }
    it('takes every Graph host for Graph and nothing look-alike for either', () => {
      for (const host of ['graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us']) expect(flavorOfHost(host)).to.equal('graph');
      for (const host of ['graph.microsoft.com.evil.example', 'security.microsoft.com', 'api.security.microsoft.com.example.org', 'evilapi.security.microsoft.org']) expect(flavorOfHost(host)).to.equal(undefined);
    });
    it('needs M365D_API_FLAVOR for any other host, and then keeps the port and path', () => {
      expect(configError({ ...BASE, M365D_API_URL: 'https://127.0.0.1:8443' })).to.match(/neither a Microsoft Graph host .* set M365D_API_FLAVOR to graph or defender/);
      const g = loadConfig({ ...BASE, M365D_API_URL: 'https://127.0.0.1:8443', M365D_API_FLAVOR: 'graph' });
      expect([g.apiUrl, g.apiFlavor, g.apiHost]).to.deep.equal(['https://127.0.0.1:8443', 'graph', '127.0.0.1:8443']);
      const d = loadConfig({ ...BASE, M365D_API_URL: 'proxy.corp.example/defender/', M365D_API_FLAVOR: 'Defender' });
      expect([d.apiUrl, d.apiFlavor]).to.deep.equal(['https://proxy.corp.example/defender', 'defender']);
    });
    it('refuses a flavour that contradicts a known host, and an unknown flavour', () => {
      expect(configError({ ...BASE, M365D_API_URL: 'graph.microsoft.com', M365D_API_FLAVOR: 'defender' })).to.match(/graph\.microsoft\.com is a Microsoft Graph host; leave M365D_API_FLAVOR empty or set it to graph/);
      expect(configError({ ...BASE, M365D_API_FLAVOR: 'beta' })).to.match(/M365D_API_FLAVOR "beta" is not an API family; valid: graph, defender/);
    });
    it('refuses http, Graph beta, queries, credentials and garbage', () => {
      expect(configError({ ...BASE, M365D_API_URL: 'http://graph.microsoft.com' })).to.match(/M365D_API_URL .* must use https:\/\//);
      expect(configError({ ...BASE, M365D_API_URL: 'https://graph.microsoft.com/beta' })).to.match(/Graph \/beta; this package uses Graph v1\.0/);
      expect(configError({ ...BASE, M365D_API_URL: 'https://graph.microsoft.com/?x=1' })).to.match(/must not have a query/);
      expect(configError({ ...BASE, M365D_API_URL: 'https://u:p@graph.microsoft.com' })).to.match(/must not carry a user name or password/);
      expect(configError({ ...BASE, M365D_API_URL: 'https://exa mple.com' })).to.match(/M365D_API_URL "https:\/\/exa mple\.com" is not a URL/);
    });
    it('refuses a login URL with a path (the tenant is added by the package)', () => {
      expect(configError({ ...BASE, M365D_LOGIN_URL: 'https://login.microsoftonline.com/contoso.onmicrosoft.com' })).to.match(/authority host only, without the tenant/);
    });
  });

  describe('tenant and client', () => {
    it('requires both, naming the variable', () => {
      expect(configError({ ...BASE, M365D_TENANT_ID: undefined })).to.match(/^M365D_TENANT_ID is required/);
      expect(configError({ ...BASE, M365D_TENANT_ID: '   ' })).to.match(/^M365D_TENANT_ID is required/);
      expect(configError({ ...BASE, M365D_CLIENT_ID: undefined })).to.match(/^M365D_CLIENT_ID is required/);
    });
    it('takes a GUID or a domain for the tenant, a GUID for the client', () => {
      expect(loadConfig({ ...BASE, M365D_TENANT_ID: 'contoso.onmicrosoft.com' }).tenantId).to.equal('contoso.onmicrosoft.com');
      expect(configError({ ...BASE, M365D_TENANT_ID: 'not a tenant' })).to.match(/M365D_TENANT_ID "not a tenant" is neither a GUID nor a domain/);
      expect(configError({ ...BASE, M365D_TENANT_ID: '../../x' })).to.match(/M365D_TENANT_ID/);
      expect(configError({ ...BASE, M365D_CLIENT_ID: 'my-app' })).to.match(/M365D_CLIENT_ID "my-app" is not a GUID/);
    });
  });

  describe('credentials', () => {
    it('needs a secret or a certificate', () => {
      expect(configError({ ...BASE, M365D_CLIENT_SECRET: '' })).to.match(/^No credential is configured: set M365D_CLIENT_SECRET or M365D_CLIENT_CERTIFICATE/);
    });
    it('takes a certificate as PEM text; with a secret too it is a contradiction, not a preference', () => {
      const c = loadConfig({ ...BASE, M365D_CLIENT_SECRET: undefined, M365D_CLIENT_CERTIFICATE: CERT_PEM });
      expect(c.credential).to.deep.equal({ kind: 'certificate', pem: CERT_PEM.trim(), source: 'text' });
      expect(configError({ ...BASE, M365D_CLIENT_CERTIFICATE: CERT_PEM })).to.equal(
        'M365D_CLIENT_SECRET and M365D_CLIENT_CERTIFICATE are both set, credentials of two sign-in methods (secret and certificate): keep the one to use and clear the other.',
      );
    });
    it('takes a certificate from a file', () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'app.pem');
      fs.writeFileSync(file, CERT_PEM);
      const c = loadConfig({ ...BASE, M365D_CLIENT_SECRET: undefined, M365D_CLIENT_CERTIFICATE: file });
      expect(c.credential).to.deep.equal({ kind: 'certificate', pem: CERT_PEM, source: 'file' });
      expect(c.warnings).to.deep.equal([]);
    });
    it('does not echo a certificate value that is neither PEM nor a readable file', () => {
      const secretish = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7-not-a-path';
      const msg = configError({ ...BASE, M365D_CLIENT_SECRET: undefined, M365D_CLIENT_CERTIFICATE: secretish });
      expect(msg).to.match(/M365D_CLIENT_CERTIFICATE is not PEM text, and the file it names cannot be read \(ENOENT\)/);
      expect(msg).not.to.include(secretish);
    });
    it('needs both the private key and the certificate in the PEM', () => {
      expect(configError({ ...BASE, M365D_CLIENT_SECRET: undefined, M365D_CLIENT_CERTIFICATE: CA_PEM })).to.match(/holds no private key/);
      expect(configError({ ...BASE, M365D_CLIENT_SECRET: undefined, M365D_CLIENT_CERTIFICATE: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----' })).to.match(/holds no certificate/);
    });
  });

  describe('TLS, proxy, timeout, state, log level', () => {
    it('parses M365D_VERIFY_SSL and warns when it is off', () => {
      expect(loadConfig({ ...BASE, M365D_VERIFY_SSL: 'FALSE' })).to.deep.include({ verifySsl: false });
      expect(loadConfig({ ...BASE, M365D_VERIFY_SSL: 'false' }).warnings.join()).to.match(/server certificates are not verified/);
      expect(loadConfig({ ...BASE, M365D_VERIFY_SSL: 'True' }).verifySsl).to.equal(true);
      expect(configError({ ...BASE, M365D_VERIFY_SSL: 'maybe' })).to.match(/M365D_VERIFY_SSL "maybe" is not a boolean; valid: true, false/);
    });
    describe('M365D_CA_CERTIFICATE', () => {
      // two real certificates (a CA and another), made here with the emulator's PKI code
      let ca = '';
      let other = '';
      before(() => {
        const made = (cn: string): string => {
          const keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
          const now = Date.now();
          return toPem(buildCertificate({ subjectCN: cn, publicKey: keys.publicKey, selfPrivateKey: keys.privateKey, ca: true, keyUsage: [KeyUsage.keyCertSign], notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 86_400_000) }));
        };
        ca = made('Test Proxy CA');
        other = made('Other CA');
      });

      it('reads CA certificates as text or from a file, one or several, repaired when a form mangled them', () => {
        expect(loadConfig({ ...BASE, M365D_CA_CERTIFICATE: ca }).caCertificates).to.equal(ca);
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'ca.pem');
        fs.writeFileSync(file, `Bag Attributes: text outside the blocks\n${ca}${other}`);
        expect(loadConfig({ ...BASE, M365D_CA_CERTIFICATE: file }).caCertificates).to.equal(ca + other);
        expect(loadConfig({ ...BASE, M365D_CA_CERTIFICATE: ca.replace(/\n/g, ' ') }).caCertificates).to.equal(ca);
        expect(loadConfig({ ...BASE, M365D_CA_CERTIFICATE: ca.replace(/\n/g, '\\n') }).caCertificates).to.equal(ca);
        const x509 = ca.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '-----$1 X509 CERTIFICATE-----');
        expect(loadConfig({ ...BASE, M365D_CA_CERTIFICATE: x509 }).caCertificates).to.equal(ca);
      });

      it('refuses garbage before any connection: CONFIGURATION naming the variable and what is valid, never echoing the value', () => {
        const body = ca.split('\n')[1]!;
        const cases: Array<[string, string, RegExp]> = [
          ['a block of base64 that is no certificate', '-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUCAPlantedGarbage0123456789\n-----END CERTIFICATE-----\n', /has a certificate that cannot be read: it may have been damaged when pasted/],
          ['a block that is not base64', '-----BEGIN CERTIFICATE-----\nnot base64 at all! Planted-Garbage\n-----END CERTIFICATE-----', /has a certificate that cannot be read/],
          ['one damaged among good ones', `${ca}-----BEGIN CERTIFICATE-----\n${body.slice(0, 40)}Planted\n-----END CERTIFICATE-----\n`, /has a certificate that cannot be read \(block 2 of 2\)/],
          ['a BEGIN line without its END', `${ca}-----BEGIN CERTIFICATE-----\n${body}Planted`, /is cut short: the -----BEGIN CERTIFICATE----- block has no -----END line/],
          ['a private key', CERT_PEM.split('-----BEGIN CERTIFICATE')[0]!, /holds a private key, which does not belong there/],
          ['another kind of block', '-----BEGIN X509 CRL-----\nMIIBPlanted=\n-----END X509 CRL-----', /holds a -----BEGIN X509 CRL----- block, which is not a certificate/],
          ['an END without BEGIN', 'Planted -----END CERTIFICATE-----', /is not PEM text, and the file it names cannot be read/],
          ['a path that does not exist', '/no/such/Planted-ca.pem', /is not PEM text, and the file it names cannot be read \(ENOENT\)/],
          ['several lines of text', 'Planted\ngarbage', /is neither PEM text \(with -----BEGIN ... lines\) nor a file path/],
        ];
        for (const [what, value, expected] of cases) {
          const message = configError({ ...BASE, M365D_CA_CERTIFICATE: value });
          expect(message, what).to.match(/^M365D_CA_CERTIFICATE /).and.to.match(expected);
          expect(message, what).not.to.include('Planted');
        }
        // what would be valid, said where the text is not a certificate at all
        expect(configError({ ...BASE, M365D_CA_CERTIFICATE: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----' })).to.include('paste it again or give the path of the file');
        expect(configError({ ...BASE, M365D_CA_CERTIFICATE: CERT_PEM.split('-----BEGIN CERTIFICATE')[0]! })).to.include('give the PEM text of the CA certificates to trust (-----BEGIN CERTIFICATE----- blocks), or the path of a file holding them');
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'garbage.pem');
        fs.writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIBPlantedGarbage==\n-----END CERTIFICATE-----\n');
        expect(configError({ ...BASE, M365D_CA_CERTIFICATE: file })).to.match(/^M365D_CA_CERTIFICATE has a certificate that cannot be read/);
      });
    });
    it('takes the proxy from M365D_PROXY_URL before HTTPS_PROXY, and hides its password', () => {
      const c = loadConfig({ ...BASE, M365D_PROXY_URL: 'http://user:p%40ss@proxy.corp:3128', HTTPS_PROXY: 'http://other:8080', NO_PROXY: 'localhost' });
      expect(c.proxy).to.deep.equal({ url: 'http://user:p%40ss@proxy.corp:3128', display: 'http://user:****@proxy.corp:3128', from: 'M365D_PROXY_URL' });
      expect(c.noProxy).to.deep.equal([]);
    });
    it('honours HTTPS_PROXY / https_proxy and NO_PROXY when M365D_PROXY_URL is unset', () => {
      const c = loadConfig({ ...BASE, HTTPS_PROXY: 'proxy.corp:3128', NO_PROXY: 'localhost, .internal.example 10.0.0.1' });
      expect(c.proxy).to.deep.include({ url: 'http://proxy.corp:3128', from: 'HTTPS_PROXY' });
      expect(c.noProxy).to.deep.equal(['localhost', '.internal.example', '10.0.0.1']);
      expect(loadConfig({ ...BASE, https_proxy: 'https://p:443', no_proxy: 'a' })).to.deep.include({ noProxy: ['a'] });
    });
    it('refuses a proxy that is not http(s)://host:port', () => {
      expect(configError({ ...BASE, M365D_PROXY_URL: 'socks5://u:pw@proxy:1080' })).to.match(/must be an http:\/\/ or https:\/\/ proxy URL/);
      const msg = configError({ ...BASE, M365D_PROXY_URL: 'http://u:hunter22@proxy:3128/path' });
      expect(msg).to.match(/without a path \(http:\/\/u:\*\*\*\*@proxy:3128\/path\)/);
      expect(msg).not.to.include('hunter22');
    });
    it('parses M365D_TIMEOUT in seconds, from 1 to 3600', () => {
      expect(loadConfig({ ...BASE, M365D_TIMEOUT: '30' }).timeoutMs).to.equal(30_000);
      expect(loadConfig({ ...BASE, M365D_TIMEOUT: '1.5' }).timeoutMs).to.equal(1_500);
      for (const bad of ['0', '-5', 'abc', '3601', '1e3']) expect(configError({ ...BASE, M365D_TIMEOUT: bad })).to.match(/M365D_TIMEOUT .* is not a number of seconds from 1 to 3600/);
    });
    it('puts the state folder under the user cache folder of each platform, or where told', () => {
      expect(defaultStateDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/home/u')).to.equal('/xdg/m365d-soar');
      expect(defaultStateDir({}, 'linux', '/home/u')).to.equal('/home/u/.cache/m365d-soar');
      expect(defaultStateDir({}, 'darwin', '/Users/u')).to.equal('/Users/u/Library/Caches/m365d-soar');
      expect(defaultStateDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u')).to.include('m365d-soar');
      expect(loadConfig({ ...BASE, M365D_STATE_DIR: 'relative/state' }).stateDir).to.equal(path.resolve('relative/state'));
    });
    it('parses M365D_LOG_LEVEL', () => {
      expect(loadConfig({ ...BASE, M365D_LOG_LEVEL: 'DEBUG' }).logLevel).to.equal('debug');
      expect(loadConfig({ ...BASE, M365D_LOG_LEVEL: 'warning' }).logLevel).to.equal('warn');
      expect(configError({ ...BASE, M365D_LOG_LEVEL: 'verbose' })).to.match(/M365D_LOG_LEVEL "verbose" is not a log level; valid: error, warn, info, debug/);
    });
  });

  describe('secrets', () => {
    it('finds every secret value in the environment, proxy passwords decoded too', () => {
      const s = secretsIn({ ...BASE, M365D_CLIENT_CERTIFICATE: CERT_PEM, M365D_PROXY_URL: 'http://u:p%40ssword@h:1', HTTPS_PROXY: 'user:envpass@h:2' });
      expect(s).to.include.members(['the-client-secret', CERT_PEM.trim(), 'p%40ssword', 'p@ssword', 'envpass']);
    });
    it('describes a configuration without any secret', () => {
      const c = loadConfig({ ...BASE, M365D_PROXY_URL: 'http://u:hunter22@proxy:3128' });
      const text = JSON.stringify(describeConfig(c));
      expect(text).not.to.include('the-client-secret');
      expect(text).not.to.include('hunter22');
      expect(text).to.include('http://u:****@proxy:3128');
    });
  });
});
