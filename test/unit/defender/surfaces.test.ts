import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheKey } from '../../../lib/auth';
import { TokenCache } from '../../../lib/auth/cache';
import { createDefenderApi, PERMISSIONS } from '../../../lib/defender/api';
import { cloudOfEndpointHost, configuredSurface, endpointSurface, graphSurface, permissionFor, RESOURCE_OF, surfaceFor, SURFACE_PERMISSIONS, type Capability, type Resource } from '../../../lib/defender/surfaces';
import { loadConfig, type Env } from '../../../lib/runtime/config';
import type { Logger } from '../../../lib/runtime/log';
import type { HttpRequest, Transport } from '../../../lib/http';

const BASE: Env = { M365D_TENANT_ID: '11111111-2222-3333-4444-555555555555', M365D_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', M365D_CLIENT_SECRET: 'surfaces-test-secret' };
const config = (env: Env) => loadConfig({ ...BASE, ...env });
const where = (env: Env, resource: Resource) => {
  const s = surfaceFor(config(env), resource);
  return [s.id, s.root, s.scope];
};

describe('API surfaces (lib/defender/surfaces.ts)', () => {
  it('on Graph, the configured API serves incidents, hunting and alerts', () => {
    for (const resource of ['incidents', 'hunting', 'alerts'] as const) {
      expect(where({}, resource)).to.deep.equal(['graph', 'https://graph.microsoft.com', 'https://graph.microsoft.com/.default']);
      expect(where({ M365D_CLOUD: 'GCC High' }, resource)).to.deep.equal(['graph', 'https://graph.microsoft.us', 'https://graph.microsoft.us/.default']);
      // a custom host the configuration calls Graph (a reverse proxy, the emulator) serves everything, alerts too
      expect(where({ M365D_API_URL: 'https://proxy.corp.example/graph', M365D_API_FLAVOR: 'graph' }, resource)).to.deep.equal(['graph', 'https://proxy.corp.example/graph', 'https://proxy.corp.example/.default']);
    }
  });

  it('with the Defender XDR API configured, incidents and hunting stay there and alerts go to the cloud\'s Graph host', () => {
    for (const resource of ['incidents', 'hunting'] as const) {
      expect(where({ M365D_API_URL: 'api.security.microsoft.com' }, resource)).to.deep.equal(['defender', 'https://api.security.microsoft.com', 'https://api.security.microsoft.com/.default']);
    }
    expect(where({ M365D_API_URL: 'api.security.microsoft.com' }, 'alerts')).to.deep.equal(['graph', 'https://graph.microsoft.com', 'https://graph.microsoft.com/.default']);
    expect(where({ M365D_CLOUD: 'GCC', M365D_API_URL: 'api-gcc.security.microsoft.us' }, 'alerts')).to.deep.equal(['graph', 'https://graph.microsoft.com', 'https://graph.microsoft.com/.default']);
    expect(where({ M365D_CLOUD: 'GCC High', M365D_API_URL: 'api-gov.security.microsoft.us' }, 'alerts')).to.deep.equal(['graph', 'https://graph.microsoft.us', 'https://graph.microsoft.us/.default']);
    expect(where({ M365D_CLOUD: 'DoD', M365D_API_URL: 'api-gov.security.microsoft.us' }, 'alerts')).to.deep.equal(['graph', 'https://dod-graph.microsoft.us', 'https://dod-graph.microsoft.us/.default']);
    // a custom host said to be Defender XDR is never sent a Graph token: alerts go to Microsoft's Graph host
    expect(where({ M365D_API_URL: 'https://proxy.corp.example/defender', M365D_API_FLAVOR: 'defender' }, 'alerts')).to.deep.equal(['graph', 'https://graph.microsoft.com', 'https://graph.microsoft.com/.default']);
  });

  it('machines and indicators go to the Defender for Endpoint API whatever the family, with its own audience per cloud', () => {
    const worldwide = ['endpoint', 'https://api.security.microsoft.com', 'https://api.securitycenter.microsoft.com/.default'];
    for (const resource of ['machines', 'indicators'] as const) {
      expect(where({}, resource)).to.deep.equal(worldwide);
      expect(where({ M365D_API_URL: 'api.security.microsoft.com' }, resource)).to.deep.equal(worldwide);
      expect(where({ M365D_CLOUD: 'GCC' }, resource)).to.deep.equal(['endpoint', 'https://api-gcc.securitycenter.microsoft.us', 'https://api-gcc.securitycenter.microsoft.us/.default']);
      expect(where({ M365D_CLOUD: 'GCC High' }, resource)).to.deep.equal(['endpoint', 'https://api-gov.securitycenter.microsoft.us', 'https://api-gov.securitycenter.microsoft.us/.default']);
      expect(where({ M365D_CLOUD: 'DoD' }, resource)).to.deep.equal(['endpoint', 'https://api-gov.securitycenter.microsoft.us', 'https://api-gov.securitycenter.microsoft.us/.default']);
    }
    // a known Microsoft host decides its cloud's audience, whatever M365D_CLOUD says
    expect(where({ M365D_ENDPOINT_API_URL: 'eu.api.security.microsoft.com', M365D_CLOUD: 'GCC' }, 'machines')).to.deep.equal(['endpoint', 'https://eu.api.security.microsoft.com', 'https://api.securitycenter.microsoft.com/.default']);
    expect(where({ M365D_ENDPOINT_API_URL: 'https://api.securitycenter.microsoft.com/api' }, 'machines')).to.deep.equal(['endpoint', 'https://api.securitycenter.microsoft.com', 'https://api.securitycenter.microsoft.com/.default']);
    expect(where({ M365D_ENDPOINT_API_URL: 'api-gcc.securitycenter.microsoft.us' }, 'machines')[2]).to.equal('https://api-gcc.securitycenter.microsoft.us/.default');
    expect(where({ M365D_ENDPOINT_API_URL: 'api-gov.security.microsoft.us' }, 'machines')[2]).to.equal('https://api-gov.securitycenter.microsoft.us/.default');
    // a custom host (a proxy, the emulator) takes the configured cloud's audience, never its own
    expect(where({ M365D_ENDPOINT_API_URL: 'https://127.0.0.1:8443' }, 'machines')).to.deep.equal(['endpoint', 'https://127.0.0.1:8443', 'https://api.securitycenter.microsoft.com/.default']);
    expect(where({ M365D_ENDPOINT_API_URL: 'https://mde.proxy.example/x', M365D_CLOUD: 'GCC High' }, 'machines')).to.deep.equal(['endpoint', 'https://mde.proxy.example/x', 'https://api-gov.securitycenter.microsoft.us/.default']);
    expect([cloudOfEndpointHost('us.api.security.microsoft.com'), cloudOfEndpointHost('api-us.security.microsoft.com'), cloudOfEndpointHost('api.securitycenter.windows.com'), cloudOfEndpointHost('graph.microsoft.com'), cloudOfEndpointHost('api.security.microsoft.com.evil.example')])
      .to.deep.equal(['Worldwide', 'Worldwide', 'Worldwide', undefined, undefined]);
    expect(endpointSurface(config({})).name).to.equal('the Defender for Endpoint API');
    expect(endpointSurface(config({})).permissions).to.deep.equal({
      readMachines: 'Machine.Read.All', isolate: 'Machine.Isolate', scan: 'Machine.Scan', restrict: 'Machine.RestrictExecution',
      collect: 'Machine.CollectForensics', stopAndQuarantine: 'Machine.StopAndQuarantine', indicators: 'Ti.ReadWrite.All',
    });
    expect(permissionFor('isolate', 'graph')).to.deep.equal({ permission: 'Machine.Isolate', surface: 'endpoint' });
    expect(permissionFor('isolate', 'defender')).to.deep.equal({ permission: 'Machine.Isolate', surface: 'endpoint' });
  });

  it('names each capability\'s permission on the surface that serves it', () => {
    const graph = config({});
    const defender = config({ M365D_API_URL: 'api.security.microsoft.com' });
    expect(configuredSurface(defender).permissions.readIncidents).to.equal('Incident.Read.All');
    expect(graphSurface(defender).permissions.writeAlerts).to.equal('SecurityAlert.ReadWrite.All');
    expect(graphSurface(graph)).to.deep.equal(configuredSurface(graph));
    for (const capability of Object.keys(RESOURCE_OF) as Capability[]) {
      for (const family of ['graph', 'defender'] as const) {
        const { permission, surface } = permissionFor(capability, family);
        expect(surfaceFor(family === 'graph' ? graph : defender, RESOURCE_OF[capability]).permissions[capability]).to.equal(permission);
        expect(SURFACE_PERMISSIONS[surface][capability]).to.equal(permission);
        expect(PERMISSIONS[capability][family]).to.equal(permission);
      }
    }
    expect(PERMISSIONS.readAlerts).to.deep.equal({ graph: 'SecurityAlert.Read.All', defender: 'SecurityAlert.Read.All' });
    expect(PERMISSIONS.writeAlerts).to.deep.equal({ graph: 'SecurityAlert.ReadWrite.All', defender: 'SecurityAlert.ReadWrite.All' });
    expect(PERMISSIONS.readIncidents).to.deep.equal({ graph: 'SecurityIncident.Read.All', defender: 'Incident.Read.All' });
    expect(permissionFor('readAlerts', 'defender').surface).to.equal('graph');
    expect(permissionFor('hunting', 'defender').surface).to.equal('defender');
  });

  describe('createDefenderApi sends each resource\'s calls to its surface with that surface\'s token', () => {
    const silent: Logger = { error() {}, warn() {}, info() {}, debug() {}, enabled: () => false };
    const setup = (env: Env) => {
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'surfaces-'));
      const c = config({ ...env, M365D_STATE_DIR: stateDir });
      // one cached token per audience: the cache key includes the scope
      for (const scope of ['https://graph.microsoft.com/.default', 'https://api.security.microsoft.com/.default']) {
        new TokenCache(stateDir, cacheKey(c, scope)).write({ accessToken: `token-for-${scope}`, expiresOn: Math.floor(Date.now() / 1000) + 3600, scope, tokenType: 'Bearer' });
      }
      const sent: HttpRequest[] = [];
      const transport: Transport = { send: async (r) => (sent.push(r), { status: 200, headers: {}, body: '{"value":[]}' }) };
      const api = (resource: Resource) => createDefenderApi({ config: c, log: silent, deadline: Date.now() + 10_000, addSecret() {}, transport, resource });
      return { api, sent };
    };

    it('Defender XDR configured: incidents to api.security.microsoft.com, alerts to graph.microsoft.com with the Graph token and the Prefer header', async () => {
      const { api, sent } = setup({ M365D_API_URL: 'api.security.microsoft.com' });
      await api('incidents').call({ method: 'GET', path: '/api/incidents?$top=1', label: 'reading', capability: 'readIncidents' });
      await api('alerts').call({ method: 'GET', path: '/v1.0/security/alerts_v2?$top=1', label: 'reading', capability: 'readAlerts' });
      expect(sent.map((r) => r.url)).to.deep.equal(['https://api.security.microsoft.com/api/incidents?$top=1', 'https://graph.microsoft.com/v1.0/security/alerts_v2?$top=1']);
      expect(sent.map((r) => r.headers?.['Authorization'])).to.deep.equal(['Bearer token-for-https://api.security.microsoft.com/.default', 'Bearer token-for-https://graph.microsoft.com/.default']);
      expect(sent.map((r) => r.headers?.['Prefer'])).to.deep.equal([undefined, 'include-unknown-enum-members']);
      expect(api('alerts').tokens.scope).to.equal('https://graph.microsoft.com/.default');
    });

    it('machines: the Defender for Endpoint host with the token of its audience (one token per audience in the cache), no Prefer header', async () => {
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'surfaces-'));
      const c = config({ M365D_STATE_DIR: stateDir });
      const scopes = ['https://graph.microsoft.com/.default', 'https://api.securitycenter.microsoft.com/.default'];
      // the cache keys differ by scope: two tokens, one per audience, side by side
      expect(new Set(scopes.map((scope) => cacheKey(c, scope))).size).to.equal(2);
      for (const scope of scopes) {
        new TokenCache(stateDir, cacheKey(c, scope)).write({ accessToken: `token-for-${scope}`, expiresOn: Math.floor(Date.now() / 1000) + 3600, scope, tokenType: 'Bearer' });
      }
      const sent: HttpRequest[] = [];
      const transport: Transport = { send: async (r) => (sent.push(r), { status: 200, headers: {}, body: '{"value":[]}' }) };
      const api = (resource: Resource) => createDefenderApi({ config: c, log: silent, deadline: Date.now() + 10_000, addSecret() {}, transport, resource });
      await api('machines').call({ method: 'GET', path: '/api/machines?$top=1', label: 'reading', capability: 'readMachines' });
      await api('incidents').call({ method: 'GET', path: '/v1.0/security/incidents?$top=1', label: 'reading', capability: 'readIncidents' });
      expect(sent.map((r) => r.url)).to.deep.equal(['https://api.security.microsoft.com/api/machines?$top=1', 'https://graph.microsoft.com/v1.0/security/incidents?$top=1']);
      expect(sent.map((r) => r.headers?.['Authorization'])).to.deep.equal(['Bearer token-for-https://api.securitycenter.microsoft.com/.default', 'Bearer token-for-https://graph.microsoft.com/.default']);
      expect(sent[0]!.headers?.['Prefer']).to.equal(undefined);
      expect(api('machines').name).to.equal('the Defender for Endpoint API');
    });

    it('a 403 on the Defender for Endpoint API names the Machine permission the call needs', async () => {
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'surfaces-'));
      const c = config({ M365D_STATE_DIR: stateDir });
      const scope = 'https://api.securitycenter.microsoft.com/.default';
      new TokenCache(stateDir, cacheKey(c, scope)).write({ accessToken: 'mde-token-value', expiresOn: Math.floor(Date.now() / 1000) + 3600, scope, tokenType: 'Bearer' });
      const transport: Transport = { send: async () => ({ status: 403, headers: {}, body: '{"error":{"code":"Forbidden","message":"The application does not have any of the required application roles","target":"x"}}' }) };
      const api = createDefenderApi({ config: c, log: silent, deadline: Date.now() + 10_000, addSecret() {}, transport, resource: 'machines' });
      let error: { code?: string; message?: string } = {};
      await api.call({ method: 'POST', path: '/api/machines/x/isolate', body: {}, label: 'isolating device x', capability: 'isolate', idempotent: false }).catch((e: { code?: string; message?: string }) => (error = e));
      expect(error.code).to.equal('PERMISSION');
      expect(error.message).to.match(/Machine\.Isolate .*the Defender for Endpoint API/);
    });

    it('a capability its surface does not serve is a bug (INTERNAL), never a call', async () => {
      const { api, sent } = setup({ M365D_API_URL: 'api.security.microsoft.com' });
      let error: unknown;
      await api('incidents').call({ method: 'GET', path: '/api/alerts', label: 'reading', capability: 'readAlerts' }).catch((e: unknown) => (error = e));
      expect((error as { code?: string }).code).to.equal('INTERNAL');
      expect(sent).to.deep.equal([]);
    });

    it('a 403 on Graph names the SecurityAlert permission the call needs', async () => {
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'surfaces-'));
      const c = config({ M365D_API_URL: 'api.security.microsoft.com', M365D_STATE_DIR: stateDir });
      const scope = 'https://graph.microsoft.com/.default';
      new TokenCache(stateDir, cacheKey(c, scope)).write({ accessToken: 'graph-token-value', expiresOn: Math.floor(Date.now() / 1000) + 3600, scope, tokenType: 'Bearer' });
      const transport: Transport = { send: async () => ({ status: 403, headers: {}, body: '{"error":{"code":"Forbidden","message":"Missing application roles."}}' }) };
      const api = createDefenderApi({ config: c, log: silent, deadline: Date.now() + 10_000, addSecret() {}, transport, resource: 'alerts' });
      let error: { code?: string; message?: string } = {};
      await api.call({ method: 'PATCH', path: '/v1.0/security/alerts_v2/x', body: {}, label: 'updating alert x', capability: 'writeAlerts' }).catch((e: { code?: string; message?: string }) => (error = e));
      expect(error.code).to.equal('PERMISSION');
      expect(error.message).to.match(/SecurityAlert\.ReadWrite\.All .*Microsoft Graph/);
    });
  });
});
