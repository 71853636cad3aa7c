// The emulator's server core: HTTPS on 127.0.0.1, identity (Entra ID), authentication of every Microsoft-path
// request, quotas, injected faults, the request log and the /_emulator/ control endpoints. The tenant model
// (tenant/) answers the Graph and Defender XDR faces; the hunting engine (hunting/) is built here and attached to it;
// the Defender for Endpoint face (endpoint/) is built from the same seeded devices.
// Imports nothing from lib/, actions/ or scripts/.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type AlertPatch, createTenant, type FaceRequest, type FaceResponse, type IncidentPatch, type Tenant, type TenantOptions } from './tenant/index';
import { createHuntingEngine, HuntingError, type HuntingEngine, type HuntingEngineOptions } from './hunting/index';
import { createEndpoint, type Endpoint, type MachineRecord } from './endpoint/index';
import type { MachineInput } from './endpoint/model';
import { addIndicator, indicatorJson, indicatorStoreOf, type IndicatorInput } from './endpoint/indicators';
import { createPki, type Pki } from './pki';
import { appInfo, derivedGuid, Identity, registerApps, unauthorizedMessage, type AppInfo, type AppName, type FaceName, type RegisteredApp, type TokenRequestInfo } from './identity';
import { defenderError, faultAnswer, graphError, notFound, type ErrorFlavor, type HttpAnswer } from './errors';
import { Faults, FaultError, parseFault, retryAfterHeader, type Fault, type FaultSpec } from './faults';
import { bucketFor, formatWindow, Quotas } from './quotas';
import { isObject } from './jwt';
import { OidcIssuer, TOKEN_EXCHANGE_AUDIENCE, type FederatedTokenRequest } from './platform/federation';
import { APP_SERVICE_TOKEN_PATH, platformRoute, type ManagedIdentityInfo, type ManagedIdentityName, type PlatformOptions } from './platform/managed-identity';
import type { AccountActionRecord, IdentityAccountInput } from './tenant/identities';

export interface EmulatorOptions {
  /** 0 (default) = any free port */
  port?: number;
  /** seeds the tenant id, client ids, incidents and hunting rows (default 1) */
  seed?: number;
  /** number of seeded incidents (default 100, or alerts / 2.5 when `alerts` is given) */
  incidents?: number;
  /** number of seeded alerts, at least one per incident (default: 1 to 4 per incident) */
  alerts?: number;
  /** a minute of quota time lasts 60/timeScale seconds (default 1) */
  timeScale?: number;
  /** false switches quotas off (default on) */
  quotas?: boolean;
  /** the clock quota windows are counted on, in milliseconds (default: the real monotonic clock, performance.now);
   * a test passes its own to throttle and release calls deterministically, whatever the machine's speed */
  quotaClock?: () => number;
  /** access-token lifetime (default 3599 s, as Entra answers) */
  tokenLifetimeSeconds?: number;
  /** lifetime of the tokens the managed identity endpoints issue (default 86399 s: IMDS tokens live about a day) */
  managedIdentityTokenLifetimeSeconds?: number;
  /** rows generated per hunting event table */
  huntingRowsPerTable?: number;
  /** builds the tenant (default: createTenant from tenant/) — tests pass a small fake */
  tenantFactory?: (options: TenantOptions) => Tenant;
  /** builds the hunting engine (default: createHuntingEngine from hunting/) */
  huntingFactory?: (options: HuntingEngineOptions) => HuntingEngine;
  /** called when a request has been answered (the CLI logs one line per request to stderr) */
  onRequest?: (entry: RequestLogEntry) => void;
  /** called with unexpected errors (a face that throws); default: ignored (the answer is a 500) */
  onError?: (error: unknown) => void;
  /** how many request-log entries are kept (default 10,000) */
  logLimit?: number;
  /** service-clock seconds a machine action stays Pending, then InProgress, before it ends (default 15 and 45; divided
   * by timeScale, so that `advanceClock` moves it on deterministically) */
  machineActionSeconds?: { pending: number; running: number };
}

export interface RequestLogEntry {
  seq: number;
  /** service-clock time the request arrived */
  time: string;
  method: string;
  path: string;
  /** the query string without "?", with any secret-bearing parameter removed */
  query: string;
  /** null when the connection was reset without an answer */
  status: number | null;
  clientId?: string;
  grantType?: string;
  scope?: string;
  fault?: string;
  /** the quota bucket that refused the call */
  throttled?: string;
  durationMs?: number;
}

export type M365dEnv = Record<'M365D_API_URL' | 'M365D_API_FLAVOR' | 'M365D_LOGIN_URL' | 'M365D_TENANT_ID' | 'M365D_CLIENT_ID' | 'M365D_CLIENT_SECRET' | 'M365D_CA_CERTIFICATE'
  | 'M365D_ENDPOINT_API_URL', string>;

export type { MachineInput, MachineRecord };

export interface Emulator {
  /** "https://127.0.0.1:PORT" (same as origin) */
  url: string;
  origin: string;
  port: number;
  tenantId: string;
  /** the CA certificate (PEM) that signed the server certificate: trust only this */
  caPem: string;
  /** M365D_* variables for the Graph flavour (the `full` app) */
  env: M365dEnv;
  /** the same for the Defender XDR flavour */
  legacyEnv: M365dEnv;
  apps: AppInfo[];
  app(name: AppName): AppInfo;
  /** the current tenant model and hunting engine (replaced by reset()) */
  readonly tenant: Tenant;
  readonly hunting: HuntingEngine;
  /** the Defender for Endpoint face and its store (replaced by reset()) */
  readonly endpoint: Endpoint;
  /** the service clock */
  now(): Date;

  addFault(spec: FaultSpec): Fault;
  faults(): Fault[];
  clearFaults(): void;
  requests(since?: number): RequestLogEntry[];
  addIncident(input: Record<string, unknown>): Record<string, unknown>;
  updateIncident(id: string, patch: IncidentPatch): Record<string, unknown> | undefined;
  addAlert(incidentId: string, input: Record<string, unknown>): Record<string, unknown> | undefined;
  /** changes one alert as the service would (lastUpdateDateTime moves to now, or as given); undefined when there is no such alert */
  updateAlert(id: string, patch: AlertPatch): Record<string, unknown> | undefined;
  /** one alert in Graph's shape with every enum member shown, read without a request (no quota, no log entry) */
  alert(id: string): Record<string, unknown> | undefined;
  addHuntingRows(table: string, rows: Array<Record<string, unknown>>): void;
  /** one identity account in Graph's shape (its accounts and the actions each offers now), or undefined (no quota, no log entry) */
  identityAccount(id: string): Record<string, unknown> | undefined;
  /** every identity account in Graph's shape */
  identityAccounts(): Array<Record<string, unknown>>;
  /** adds an identity account (userPrincipalName required; providers default ['entraID']); returns it in Graph's shape */
  addIdentityAccount(input: IdentityAccountInput): Record<string, unknown>;
  /** the invokeAction calls the service accepted, oldest first (of one identity account when given) */
  accountActions(identityAccountId?: string): AccountActionRecord[];
  /** a Defender for Endpoint machine (computerDnsName required); returns em.machine()'s record */
  addMachine(input: MachineInput): MachineRecord;
  /** a machine by id or computer name, with its isolation/restriction state and behaviour, or undefined */
  machine(id: string): MachineRecord | undefined;
  /** machine actions (all, or one machine's), newest first, as GET /api/machineactions/{id} shows them now; no quota, no log */
  machineActions(machineId?: string): Array<Record<string, unknown>>;
  /** the active custom indicators as GET /api/indicators shows them to an app with Ti.ReadWrite.All (no quota, no log entry) */
  indicators(): Array<Record<string, unknown>>;
  /** adds an indicator as a portal user would (validated as the POST is; throws the API's message); returns it */
  addIndicator(input: IndicatorInput): Record<string, unknown>;
  revokeTokens(): number;
  advanceClock(ms: number): Date;
  setQuotas(enabled: boolean): void;
  reset(): void;
  health(): Record<string, unknown>;
  /** an access token issued in-process (no HTTP), for `resource` (default: the emulator's origin) */
  issueToken(app?: AppName, resource?: string): string;
  /** the plain-HTTP loopback listener of the managed identity endpoints: "http://127.0.0.1:PORT" */
  platformUrl: string;
  /** the host's managed identities: system-assigned `mi-system`, user-assigned `mi-user` (every role) and `mi-user-readonly` (read roles only) */
  managedIdentities: ManagedIdentityInfo[];
  managedIdentity(name: ManagedIdentityName): ManagedIdentityInfo;
  /** App Service's IDENTITY_HEADER (a secret the client must send as X-IDENTITY-HEADER) */
  identityHeader: string;
  /** the platform variables MSAL reads: IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST, App Service through IDENTITY_ENDPOINT + IDENTITY_HEADER */
  platformEnv: { imds: Record<string, string>; appService: Record<string, string> };
  /** the whole environment of a run signing in with a managed identity (Graph flavour): M365D_AUTH=managed_identity, the platform's variables, and the identity named (default: system-assigned) */
  managedIdentityEnv(platform: 'imds' | 'appService', name?: ManagedIdentityName): Record<string, string>;
  /** workload identity: the cluster's OIDC issuer and the federated credential registered on the `full` app */
  federation: { issuer: string; subject: string; audience: string; clientId: string };
  /** a service-account token signed by the cluster's issuer (defaults: the registered subject, api://AzureADTokenExchange, one hour) */
  issueFederatedToken(request?: FederatedTokenRequest): string;
  stop(): Promise<void>;
}

const BODY_LIMIT = 20 * 1024 * 1024;
const SECRET_PARAMS = /^(client_secret|client_assertion|access_token|refresh_token|code|password|assertion)$/i;

/** The Defender for Endpoint paths (machines, machine actions, indicators; with or without the optional version segment
 * `/api/v1.0/`, defender-endpoint/api/exposed-apis-list.md); the rest of /api/ is the Defender XDR face. */
const ENDPOINT_PATH = /^\/api\/(v1\.0\/)?(machines|machineactions|indicators)(?=$|[/(])/i;

function flavorOf(path: string): ErrorFlavor {
  if (path.startsWith('/v1.0/') || path === '/v1.0') return 'graph';
  if (path.startsWith('/api/') || path === '/api') return 'defender';
  return 'entra';
}

function faceOf(path: string): FaceName | undefined {
  if (ENDPOINT_PATH.test(path)) return 'endpoint';
  const f = flavorOf(path);
  return f === 'entra' ? undefined : f;
}

function sanitizeQuery(raw: string): string {
  if (!raw) return '';
  return raw.split('&').filter((kv) => {
    const k = kv.split('=')[0];
    let name = k;
    try { name = decodeURIComponent(k.replace(/\+/g, ' ')); } catch { /* keep raw */ }
    return !SECRET_PARAMS.test(name);
  }).join('&');
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) tooBig = true; else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function headerMap(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function controlError(status: number, code: string, message: string): HttpAnswer {
  return { status, headers: {}, body: { error: { code, message } } };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const seed = options.seed ?? 1;
  const alerts = options.alerts;
  if (alerts !== undefined && !(Number.isSafeInteger(alerts) && alerts >= 0)) throw new Error('alerts must be a whole number >= 0');
  const incidents = options.incidents ?? (alerts !== undefined ? Math.ceil(alerts / 2.5) : 100);
  const timeScale = options.timeScale ?? 1;
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3599;
  const miTokenLifetimeSeconds = options.managedIdentityTokenLifetimeSeconds ?? 86_399;
  const rowsPerTable = options.huntingRowsPerTable;
  const tenantFactory = options.tenantFactory ?? createTenant;
  const huntingFactory = options.huntingFactory ?? createHuntingEngine;
  const logLimit = options.logLimit ?? 10_000;
  if (!(timeScale > 0)) throw new Error('timeScale must be a number > 0');
  if (!(tokenLifetimeSeconds > 0)) throw new Error('tokenLifetimeSeconds must be > 0');
  const actionSeconds = options.machineActionSeconds ?? { pending: 15, running: 45 };
  if (!(actionSeconds.pending >= 0 && actionSeconds.running >= 0)) throw new Error('machineActionSeconds: pending and running must be numbers >= 0');
  const timing = { pendingMs: (actionSeconds.pending * 1000) / timeScale, runningMs: (actionSeconds.running * 1000) / timeScale };
  if (!(miTokenLifetimeSeconds > 0)) throw new Error('managedIdentityTokenLifetimeSeconds must be > 0');
  const tenantId = derivedGuid(seed, 'tenant');

  // ---- service clock
  let clockOffsetMs = 0;
  const now = (): Date => new Date(Date.now() + clockOffsetMs);

  // ---- tenant + hunting
  let tenant!: Tenant;
  let hunting!: HuntingEngine;
  let endpoint!: Endpoint;
  const build = (): void => {
    const t = now();
    const nextTenant = tenantFactory({ seed, incidents, alerts, tenantId, now: t, hunting: { rowsPerTable } });
    const nextHunting = huntingFactory({ seed, now: t, entities: nextTenant.seedEntities(), alerts: nextTenant.seedAlerts(), rowsPerTable });
    nextTenant.attachHunting(nextHunting);
    const seeded = nextTenant.seedEntities();
    endpoint = createEndpoint({ seed, now: t, devices: seeded.devices, entities: seeded, timing });
    tenant = nextTenant;
    hunting = nextHunting;
  };
  build();

  // ---- PKI, apps
  const pki: Pki = await createPki(['full', 'certonly']);
  const apps: RegisteredApp[] = registerApps(seed, pki);

  // ---- workload identity federation: a cluster's OIDC issuer, and a federated credential on the full app
  const cluster = new OidcIssuer(`https://westeurope.oic.prod-aks.azure.com/${tenantId}/${derivedGuid(seed, 'cluster')}/`);
  const ficSubject = 'system:serviceaccount:soar:m365d-engine';
  const fullApp = apps.find((a) => a.name === 'full');
  if (fullApp) fullApp.federatedCredentials = [{ name: 'soar-engine', issuer: cluster.issuer, subject: ficSubject, audiences: [TOKEN_EXCHANGE_AUDIENCE] }];

  // ---- managed identities of the host (service principals with app roles, as the apps)
  const allRoles = fullApp?.roles ?? [];
  const readRoles = apps.find((a) => a.name === 'readonly')?.roles ?? [];
  const userResourceId = (name: string): string => `/subscriptions/${derivedGuid(seed, 'subscription')}/resourceGroups/soar/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
  const managedIdentities: ManagedIdentityInfo[] = [
    { name: 'mi-system', kind: 'system', clientId: derivedGuid(seed, 'mi:system:client'), objectId: derivedGuid(seed, 'mi:system:object'), roles: [...allRoles] },
    { name: 'mi-user', kind: 'user', clientId: derivedGuid(seed, 'mi:user:client'), objectId: derivedGuid(seed, 'mi:user:object'), resourceId: userResourceId('soar-engine'), roles: [...allRoles] },
    { name: 'mi-user-readonly', kind: 'user', clientId: derivedGuid(seed, 'mi:readonly:client'), objectId: derivedGuid(seed, 'mi:readonly:object'), resourceId: userResourceId('soar-reader'), roles: [...readRoles] },
  ];
  const miPrincipals: RegisteredApp[] = managedIdentities.map((mi) => ({ name: mi.name, displayName: `M365D emulator managed identity (${mi.name})`, clientId: mi.clientId, roles: mi.roles }));
  const identityHeader = crypto.randomBytes(24).toString('base64url');

  const faults = new Faults();
  const quotas = new Quotas(timeScale, options.quotas !== false, options.quotaClock);
  let log: RequestLogEntry[] = [];
  let seq = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let identity!: Identity;
  let origin = '';

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
    timers.add(t);
  });

  // ---- control
  const control = (method: string, path: string, rawQuery: string, body: Buffer): HttpAnswer => {
    let json: unknown = undefined;
    if (body.length > 0) {
      try { json = JSON.parse(body.toString('utf8')); } catch { return controlError(400, 'BadRequest', 'The body is not valid JSON.'); }
    }
    const obj = isObject(json) ? json : {};
    const ok = (status: number, b: unknown): HttpAnswer => ({ status, headers: {}, body: b });
    const sub = path.slice('/_emulator'.length).replace(/\/+$/, '') || '/';
    try {
      if (sub === '/health' && method === 'GET') return ok(200, api.health());
      if (sub === '/faults') {
        if (method === 'POST') return ok(201, api.addFault(parseFault(json)));
        if (method === 'GET') return ok(200, { value: faults.pending() });
        if (method === 'DELETE') { faults.clear(); return ok(200, { value: [] }); }
      }
      if (sub === '/requests' && method === 'GET') {
        const since = Number(new URLSearchParams(rawQuery).get('since') ?? '0');
        return ok(200, { value: api.requests(Number.isFinite(since) ? since : 0) });
      }
      if (sub === '/incidents' && method === 'POST') {
        if (!isObject(json)) return controlError(400, 'BadRequest', 'The body must be a JSON object describing the incident.');
        return ok(201, api.addIncident(obj));
      }
      let m = /^\/incidents\/([^/]+)$/.exec(sub);
      if (m && method === 'PATCH') {
        const r = api.updateIncident(decodeURIComponent(m[1]), obj as IncidentPatch);
        return r ? ok(200, r) : controlError(404, 'NotFound', `Incident ${m[1]} was not found.`);
      }
      m = /^\/incidents\/([^/]+)\/alerts$/.exec(sub);
      if (m && method === 'POST') {
        const r = api.addAlert(decodeURIComponent(m[1]), obj);
        return r ? ok(201, r) : controlError(404, 'NotFound', `Incident ${m[1]} was not found.`);
      }
      m = /^\/alerts\/([^/]+)$/.exec(sub);
      if (m && (method === 'GET' || method === 'PATCH')) {
        const id = decodeURIComponent(m[1]);
        const r = method === 'GET' ? api.alert(id) : api.updateAlert(id, obj as AlertPatch);
        return r ? ok(200, r) : controlError(404, 'NotFound', `Alert ${m[1]} was not found.`);
      }
      if (sub === '/hunting/rows' && method === 'POST') {
        if (typeof obj.table !== 'string' || !Array.isArray(obj.rows) || !obj.rows.every(isObject)) {
          return controlError(400, 'BadRequest', 'The body must be {"table": "<name>", "rows": [{...}, ...]}.');
        }
        api.addHuntingRows(obj.table, obj.rows as Array<Record<string, unknown>>);
        return ok(200, { table: obj.table, added: obj.rows.length });
      }
      if (sub === '/identityAccounts') {
        if (method === 'GET') return ok(200, { value: api.identityAccounts() });
        if (method === 'POST') {
          if (!isObject(json)) return controlError(400, 'BadRequest', 'The body must be a JSON object describing the identity account ({"userPrincipalName": ...}).');
          return ok(201, api.addIdentityAccount(obj as unknown as IdentityAccountInput));
        }
      }
      m = /^\/identityAccounts\/([^/]+)$/.exec(sub);
      if (m && method === 'GET') {
        const r = api.identityAccount(decodeURIComponent(m[1]));
        return r ? ok(200, r) : controlError(404, 'NotFound', `Identity account ${m[1]} was not found.`);
      }
      if (sub === '/accountActions' && method === 'GET') {
        const id = new URLSearchParams(rawQuery).get('identityAccountId') ?? undefined;
        return ok(200, { value: api.accountActions(id) });
      }
      if (sub === '/machines' && method === 'POST') {
        if (!isObject(json)) return controlError(400, 'BadRequest', 'The body must be a JSON object describing the machine ({"computerDnsName": …}).');
        return ok(201, api.addMachine(obj as unknown as MachineInput));
      }
      m = /^\/machines\/([^/]+)$/.exec(sub);
      if (m && method === 'GET') {
        const r = api.machine(decodeURIComponent(m[1]));
        return r ? ok(200, r) : controlError(404, 'NotFound', `Machine ${m[1]} was not found.`);
      }
      if (sub === '/machineactions' && method === 'GET') {
        const id = new URLSearchParams(rawQuery).get('machineId') ?? undefined;
        return ok(200, { value: api.machineActions(id) });
      }
      if (sub === '/indicators') {
        if (method === 'GET') return ok(200, { value: api.indicators() });
        if (method === 'POST') {
          if (!isObject(json)) return controlError(400, 'BadRequest', 'The body must be a JSON object describing the indicator ({"indicatorValue", "indicatorType", "action", ...}).');
          return ok(201, api.addIndicator(obj as unknown as IndicatorInput));
        }
      }
      if (sub === '/tokens/revoke' && method === 'POST') return ok(200, { revoked: api.revokeTokens() });
      if (sub === '/clock') {
        if (method === 'GET') return ok(200, { now: now().toISOString(), offsetMs: clockOffsetMs });
        if (method === 'POST') {
          if (typeof obj.advanceMs !== 'number' || !Number.isFinite(obj.advanceMs) || obj.advanceMs < 0) {
            return controlError(400, 'BadRequest', 'The body must be {"advanceMs": <milliseconds >= 0>}.');
          }
          return ok(200, { now: api.advanceClock(obj.advanceMs).toISOString(), offsetMs: clockOffsetMs });
        }
      }
      if (sub === '/quotas' && method === 'POST') {
        if (typeof obj.enabled !== 'boolean') return controlError(400, 'BadRequest', 'The body must be {"enabled": true|false}.');
        api.setQuotas(obj.enabled);
        return ok(200, { enabled: quotas.enabled });
      }
      if (sub === '/reset' && method === 'POST') { api.reset(); return ok(200, { reset: true, now: now().toISOString() }); }
    } catch (e) {
      if (e instanceof FaultError) return controlError(400, 'BadRequest', e.message);
      if (e instanceof HuntingError) return controlError(e.status, e.code, e.message);
      return controlError(400, 'BadRequest', e instanceof Error ? e.message : String(e));
    }
    return controlError(404, 'NotFound', `No control endpoint ${method} ${path}. See test/emulator/README.md.`);
  };

  // ---- Microsoft faces
  const face = (kind: FaceName, req: IncomingMessage, method: string, path: string, rawQuery: string, body: Buffer, entry: RequestLogEntry): HttpAnswer => {
    const headers = headerMap(req);
    const t = now();
    // the MDE face answers in the legacy (Defender) error shape (defender-endpoint/api/common-errors.md)
    const flavor: 'graph' | 'defender' = kind === 'graph' ? 'graph' : 'defender';
    const check = identity.checkBearer(headers.authorization, kind);
    const freqOf = (clientId: string, appDisplayName: string, roles: string[]): FaceRequest => ({
      // the origin the caller reached (nextLinks and @odata.context name it): 127.0.0.1:PORT, or a host a test's proxy
      // maps to the emulator (graph.microsoft.com)
      method, path, rawQuery, rawBody: body.toString('utf8'), headers, origin: requestOrigin(req),
      caller: { clientId, appDisplayName, roles: new Set(roles), tenantId },
      now: t,
    });
    if (!check.ok && kind === 'endpoint' && check.reason === 'audience') {
      // A valid token for another API: "If the token audience doesn't match… requests fail with 403 Forbidden"
      // (defender-endpoint/api/exposed-apis-create-app-webapp.md, reference §2.1). It carries none of WindowsDefenderATP's
      // roles, so the 403 is the missing-roles one; the wording for this case is not documented.
      const a = endpoint.refuseAudience(freqOf('', '', []));
      return { status: a.status, headers: { ...(a.headers ?? {}) }, body: a.body };
    }
    if (!check.ok) {
      const message = unauthorizedMessage(check.reason, flavor);
      if (flavor === 'graph') {
        const a = graphError(401, 'InvalidAuthenticationToken', message, t, headers['client-request-id']);
        // Graph sends a Bearer challenge with 401 (seen in microsofthackathons/tdi#24)
        a.headers['www-authenticate'] = `Bearer realm="", authorization_uri="${origin}/${tenantId}/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`;
        return a;
      }
      const a = defenderError(401, 'Unauthorized', message);
      a.headers['www-authenticate'] = 'Bearer';
      return a;
    }
    const token = check.token;
    entry.clientId = token.app.clientId;
    const bucket = bucketFor(method, path);
    if (bucket) {
      const verdict = quotas.take(bucket, token.app.clientId);
      if (!verdict.ok && verdict.rule) {
        entry.throttled = bucket.name;
        const retry = String(verdict.retryAfterSeconds ?? 1);
        if (flavor === 'graph') {
          const a = graphError(429, 'TooManyRequests', `Too many requests: the limit is ${verdict.rule.limit} per ${formatWindow(verdict.rule.windowMs)}. Retry after ${retry} seconds.`, t, headers['client-request-id']);
          a.headers['retry-after'] = retry;
          return a;
        }
        const a = defenderError(429, 'TooManyRequests', `API calls quota exceeded! maximum allowed ${verdict.rule.limit} per ${formatWindow(verdict.rule.windowMs)}. Try again in ${retry} seconds.`);
        a.headers['retry-after'] = retry;
        return a;
      }
    }
    const freq = freqOf(token.app.clientId, token.app.displayName, token.roles);
    let r: FaceResponse | undefined;
    try {
      r = kind === 'graph' ? tenant.graph(freq) : kind === 'endpoint' ? endpoint.handle(freq) : tenant.defender(freq);
    } catch (e) {
      if (e instanceof HuntingError) {
        return flavor === 'graph' ? graphError(e.status, e.code, e.message, t) : defenderError(e.status, e.code, e.message);
      }
      options.onError?.(e);
      const msg = e instanceof Error ? e.message : String(e);
      return flavor === 'graph' ? graphError(500, 'UnknownError', msg, t) : defenderError(500, 'InternalServerError', msg);
    }
    if (!r) return notFound(flavor, method, path, t);
    return { status: r.status, headers: { ...(r.headers ?? {}) }, body: r.body };
  };

  // ---- identity routes
  const identityRoute = (req: IncomingMessage, method: string, path: string, body: Buffer, entry: RequestLogEntry): HttpAnswer | undefined => {
    const seg = path.split('/').filter(Boolean);
    if (seg.length === 4 && seg[1] === 'oauth2' && seg[2] === 'v2.0' && seg[3] === 'token' && method === 'POST') {
      const info: TokenRequestInfo = {};
      const answer = identity.token(seg[0], new URLSearchParams(body.toString('utf8')), requestOrigin(req), info,
        typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : undefined);
      entry.clientId = info.clientId; entry.grantType = info.grantType; entry.scope = info.scope;
      return answer;
    }
    if (method === 'GET' && seg.length >= 3 && seg[seg.length - 2] === '.well-known' && seg[seg.length - 1] === 'openid-configuration'
      && (seg.length === 3 ? true : seg.length === 4 && seg[1] === 'v2.0')) {
      return identity.openidConfiguration(seg[0]);
    }
    if (method === 'GET' && ((seg.length === 4 && seg[1] === 'discovery' && seg[2] === 'v2.0' && seg[3] === 'keys')
      || (seg.length === 3 && seg[1] === 'discovery' && seg[2] === 'keys'))) {
      return identity.jwks(seg[0]);
    }
    if (method === 'GET' && path === '/common/discovery/instance') return identity.instanceDiscovery();
    return undefined;
  };

  const requestOrigin = (req: IncomingMessage): string => {
    const host = req.headers.host;
    return host ? `https://${host}` : origin;
  };

  // ---- sending
  const send = (res: ServerResponse, answer: HttpAnswer, truncate: boolean): void => {
    const headers: Record<string, string | number> = { ...answer.headers };
    let payload: Buffer | undefined;
    if (answer.body !== undefined) {
      payload = Buffer.from(JSON.stringify(answer.body), 'utf8');
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json; charset=utf-8';
    }
    headers['content-length'] = payload ? payload.length : 0;
    if (truncate) {
      // headers announce the full length, then half the body, then the connection closes
      res.writeHead(answer.status, headers);
      const half = payload ? payload.subarray(0, Math.floor(payload.length / 2)) : Buffer.alloc(0);
      res.write(half, () => { res.socket?.destroy(); });
      if (half.length === 0) res.socket?.destroy();
      return;
    }
    res.writeHead(answer.status, headers);
    res.end(payload);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const qi = rawUrl.indexOf('?');
    const rawPath = qi >= 0 ? rawUrl.slice(0, qi) : rawUrl;
    const rawQuery = qi >= 0 ? rawUrl.slice(qi + 1) : '';
    let path = rawPath;
    try { path = decodeURI(rawPath); } catch { /* keep raw */ }
    const entry: RequestLogEntry = { seq: ++seq, time: now().toISOString(), method, path, query: sanitizeQuery(rawQuery), status: null };
    log.push(entry);
    if (log.length > logLimit) log = log.slice(log.length - logLimit);
    const finish = (status: number | null): void => {
      entry.status = status;
      entry.durationMs = Math.round((performance.now() - started) * 10) / 10;
      options.onRequest?.(entry);
    };

    const body = await readBody(req);
    const flavor = flavorOf(path);
    if (body === undefined) {
      const t = now();
      const a = flavor === 'graph' ? graphError(413, 'RequestEntityTooLarge', 'The request body is too large.', t)
        : flavor === 'defender' ? defenderError(413, 'BadRequest', 'The request body is too large.') : controlError(413, 'RequestEntityTooLarge', 'The request body is too large.');
      send(res, a, false); finish(413); return;
    }

    if (path === '/_emulator' || path.startsWith('/_emulator/')) {
      const a = control(method, path, rawQuery, body);
      send(res, a, false); finish(a.status); return;
    }

    const fault = faults.take(method, path, rawQuery);
    if (fault) entry.fault = fault.kind === 'status' ? `status ${fault.status}` : fault.kind === 'delay' ? `delay ${fault.delayMs}ms` : fault.kind;
    if (fault?.kind === 'reset') { req.socket.destroy(); finish(null); return; }
    if (fault?.kind === 'delay') await sleep(fault.delayMs ?? 0);
    if (fault?.kind === 'body') {
      // the answer replaced as a broken gateway would: the text as given, nothing of the service's
      const payload = Buffer.from(fault.body ?? '', 'utf8');
      const status = fault.status ?? 200;
      res.writeHead(status, { 'content-type': fault.contentType ?? 'application/json; charset=utf-8', 'content-length': payload.length });
      res.end(payload);
      finish(status); return;
    }
    if (fault?.kind === 'status') {
      const a = faultAnswer(flavor, fault.status ?? 500, now(), typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : undefined);
      const ra = retryAfterHeader(fault);
      if (ra !== undefined) a.headers['retry-after'] = ra;
      send(res, a, false); finish(a.status); return;
    }

    let answer: HttpAnswer;
    const kind = faceOf(path);
    if (kind) {
      answer = face(kind, req, method, path, rawQuery, body, entry);
    } else {
      answer = identityRoute(req, method, path, body, entry) ?? notFound('entra', method, path, now());
    }
    send(res, answer, fault?.kind === 'truncate');
    finish(answer.status);
  };

  // ---- server
  const server = https.createServer({
    key: pki.server.privateKeyPem,
    cert: pki.server.pem,
    keepAlive: true,
  }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      options.onError?.(e);
      if (!res.headersSent) { res.writeHead(500, { 'content-type': 'application/json' }); res.end(JSON.stringify({ error: { code: 'InternalServerError', message: String(e) } })); }
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('tlsClientError', () => { /* a client that does not trust the CA: nothing to answer */ });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  origin = `https://127.0.0.1:${port}`;
  identity = new Identity({
    tenantId, apps: [...apps, ...miPrincipals], signing: pki.signing, origins: [origin, `https://localhost:${port}`], tokenLifetimeSeconds, now,
    issuerOf: (iss) => (iss === cluster.issuer ? cluster : undefined),
  });

  // ---- the managed identity endpoints: plain HTTP, loopback only
  const platform: PlatformOptions = {
    identities: managedIdentities, identityHeader, tenantId, now,
    classifyResource: (r) => identity.classifyResource(r),
    issue(mi, resource) {
      const principal = miPrincipals.find((p) => p.clientId === mi.clientId)!;
      const audience = identity.classifyResource(resource)!;
      return { accessToken: String(identity.issue(principal, resource, audience, miTokenLifetimeSeconds).access_token), lifetime: miTokenLifetimeSeconds };
    },
  };
  const platformServer = http.createServer((req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: RequestLogEntry = { seq: ++seq, time: now().toISOString(), method, path: url.pathname, query: sanitizeQuery(url.search.slice(1)), status: null };
    log.push(entry);
    if (log.length > logLimit) log = log.slice(log.length - logLimit);
    const started = performance.now();
    req.resume();
    req.on('end', () => {
      const answer = platformRoute(platform, { method, path: url.pathname, query: url.searchParams, headers: headerMap(req) })
        ?? { status: 404, headers: {}, body: { error: 'not_found', error_description: `No managed identity endpoint ${url.pathname}` } };
      entry.clientId = url.searchParams.get('client_id') ?? undefined;
      send(res, answer, false);
      entry.status = answer.status;
      entry.durationMs = Math.round((performance.now() - started) * 10) / 10;
      options.onRequest?.(entry);
    });
  });
  platformServer.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve, reject) => {
    platformServer.once('error', reject);
    platformServer.listen(0, '127.0.0.1', () => { platformServer.off('error', reject); resolve(); });
  });
  const platformAddr = platformServer.address();
  const platformUrl = `http://127.0.0.1:${typeof platformAddr === 'object' && platformAddr ? platformAddr.port : 0}`;
  const platformEnv = {
    imds: { AZURE_POD_IDENTITY_AUTHORITY_HOST: platformUrl },
    appService: { IDENTITY_ENDPOINT: `${platformUrl}${APP_SERVICE_TOKEN_PATH}`, IDENTITY_HEADER: identityHeader },
  };

  const full = apps.find((a) => a.name === 'full');
  if (!full?.clientSecret) throw new Error('internal: the full app has no secret');
  const env: M365dEnv = {
    M365D_API_URL: origin,
    M365D_API_FLAVOR: 'graph',
    M365D_LOGIN_URL: origin,
    M365D_TENANT_ID: tenantId,
    M365D_CLIENT_ID: full.clientId,
    M365D_CLIENT_SECRET: full.clientSecret,
    M365D_CA_CERTIFICATE: pki.ca.pem,
    M365D_ENDPOINT_API_URL: origin,
  };
  const appInfos = apps.map(appInfo);
  let stopped = false;
  const miByName = (name: ManagedIdentityName): ManagedIdentityInfo => {
    const mi = managedIdentities.find((m) => m.name === name);
    if (!mi) throw new Error(`no managed identity named ${name}`);
    return mi;
  };

  const api: Emulator = {
    url: origin, origin, port, tenantId, caPem: pki.ca.pem,
    env, legacyEnv: { ...env, M365D_API_FLAVOR: 'defender' },
    apps: appInfos,
    app(name: AppName): AppInfo {
      const a = appInfos.find((x) => x.name === name);
      if (!a) throw new Error(`no app named ${name}`);
      return a;
    },
    get tenant() { return tenant; },
    get hunting() { return hunting; },
    get endpoint() { return endpoint; },
    now,
    addFault: (spec) => faults.add(parseFault(spec)),
    faults: () => faults.pending(),
    clearFaults: () => faults.clear(),
    requests: (since = 0) => log.filter((e) => e.seq > since).map((e) => ({ ...e })),
    addIncident: (input) => tenant.control.addIncident(input, now()),
    updateIncident: (id, patch) => tenant.control.updateIncident(id, patch, now()),
    addAlert: (id, input) => tenant.control.addAlert(id, input, now()),
    updateAlert: (id, patch) => tenant.control.updateAlert(id, patch, now()),
    alert: (id) => tenant.control.alert(id),
    addHuntingRows: (table, rows) => hunting.addRows(table, rows),
    identityAccount: (id) => tenant.control.identityAccount?.(id),
    identityAccounts: () => tenant.control.identityAccounts?.() ?? [],
    addIdentityAccount(input) {
      if (!tenant.control.addIdentityAccount) throw new Error('this tenant has no identity accounts');
      return tenant.control.addIdentityAccount(input);
    },
    accountActions: (id) => tenant.control.accountActions?.(id) ?? [],
    addMachine: (input) => endpoint.control.addMachine(input, now()),
    machine: (id) => endpoint.control.machine(id, now()),
    machineActions: (machineId) => endpoint.control.machineActions(machineId, now()),
    indicators: () => indicatorStoreOf(endpoint.store).active(now()).map(indicatorJson),
    addIndicator: (input) => addIndicator(indicatorStoreOf(endpoint.store), input, now()),
    revokeTokens: () => identity.revokeAll(),
    advanceClock(ms: number): Date {
      if (!Number.isFinite(ms) || ms < 0) throw new Error('advanceClock: ms must be >= 0');
      clockOffsetMs += ms;
      return now();
    },
    setQuotas(enabled: boolean) { quotas.enabled = enabled; quotas.reset(); },
    reset() {
      faults.clear();
      log = [];
      quotas.reset();
      clockOffsetMs = 0;
      build();
    },
    health: () => ({
      status: 'ok', origin, tenantId, seed, incidents: tenant.control.incidentCount(), alerts: tenant.control.alertCount(), machines: endpoint.control.machineCount(),
      indicators: indicatorStoreOf(endpoint.store).active(now()).length, identityAccounts: tenant.control.identityAccounts?.().length ?? 0, now: now().toISOString(),
      timeScale, quotas: quotas.enabled, pendingFaults: faults.pending().length, requests: seq,
    }),
    issueToken(name: AppName = 'full', resource?: string): string {
      const app = apps.find((a) => a.name === name);
      if (!app) throw new Error(`no app named ${name}`);
      const res = resource ?? origin;
      const audience = identity.classifyResource(res);
      if (!audience) throw new Error(`unknown resource ${res}`);
      return String(identity.issue(app, res, audience).access_token);
    },
    platformUrl,
    managedIdentities: managedIdentities.map((m) => ({ ...m, roles: [...m.roles] })),
    managedIdentity: (name) => ({ ...miByName(name) }),
    identityHeader,
    platformEnv,
    managedIdentityEnv(which, name = 'mi-system') {
      const mi = miByName(name);
      return {
        M365D_API_URL: origin, M365D_API_FLAVOR: 'graph', M365D_ENDPOINT_API_URL: origin, M365D_CA_CERTIFICATE: pki.ca.pem, M365D_AUTH: 'managed_identity',
        ...(mi.kind === 'user' ? { M365D_CLIENT_ID: mi.clientId } : {}),
        ...platformEnv[which],
      };
    },
    federation: { issuer: cluster.issuer, subject: ficSubject, audience: TOKEN_EXCHANGE_AUDIENCE, clientId: full.clientId },
    issueFederatedToken: (request = {}) => cluster.issue({ ...request, subject: request.subject ?? ficSubject }),
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        new Promise<void>((resolve) => platformServer.close(() => resolve())),
      ]);
      server.closeAllConnections();
      platformServer.closeAllConnections();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
  return api;
}
