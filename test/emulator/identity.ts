// Entra ID as the emulator models it: registered apps, the v2.0 token endpoint for client credentials
// (secret or certificate assertion), the tenant's OpenID configuration and JWKS, and validation of the
// access tokens it issues.
//
// Microsoft sources for what is modelled here:
// - Client credentials, v2 endpoint, `scope=<resource>/.default`, response {token_type, expires_in: 3599,
//   ext_expires_in, access_token}: defender-xdr/api-create-app-web.md (reference §1.2), tooling-notes §2.
// - Certificate assertion: `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, header
//   `x5t` (base64url SHA-1 thumbprint, RS256) or `x5t#S256` (base64url SHA-256 thumbprint, PS256), `aud` = the token
//   endpoint, `iss` = `sub` = client id: learn.microsoft.com/entra/identity-platform/certificate-credentials, and what
//   MSAL node 7 sends (tooling-notes §2).
// - AADSTS codes and wording (all from real responses quoted in GitHub issues):
//     7000215 invalid_client 401  "Invalid client secret provided. Ensure the secret being sent ..." (OfficeDev/microsoft-365-agents-toolkit#8621)
//     700016  unauthorized_client 400 "Application with identifier '...' was not found in the directory '...'. ..." (donwa/oneindex#621)
//     90002   invalid_tenant 400 "Tenant '...' not found. Check to make sure ..." (microsoftgraph/windowsupdates-webapplication-sample#6)
//     1002012 invalid_scope 400 "The provided value for scope X is not valid. Client credential flows must have a scope value
//             with /.default suffixed to the resource identifier (application ID URI)." (microsoftgraph/msgraph-sdk-python#181)
//     500011  invalid_resource 400 "The resource principal named X was not found in the tenant named Y. ..." (rootinc/laravel-azure-middleware#51)
//     7000218 invalid_client 401 "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." (MicrosoftDocs/azure-docs#25959)
//     700027  invalid_client 401 "Client assertion contains an invalid signature. [Reason - ...]" (pnp/cli-microsoft365#1621;
//             "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key
//             was not found., ...]" in AzureAD/microsoft-authentication-library-for-js#8339)
//     700024  invalid_client 401 "Client assertion is not within its valid time range. Current time: ..., assertion valid from ...,
//             expiry time of assertion .... Review the documentation at ..." (AzureAD/microsoft-authentication-library-for-dotnet#4951)
//     70003   unsupported_grant_type 400 "The app requested an unsupported grant type '...'." (AzureAD/microsoft-authentication-library-for-dotnet#3023)
//     900144  invalid_request 400 "The request body must contain the following parameter: 'grant_type'." (MicrosoftDocs/azure-docs#43780)
//     700021  invalid_client 401 assertion iss/sub not the client id, 50027 invalid_request 400 malformed assertion/audience: modelled,
//             wording not confirmed.
// - Resource ids: Graph global/US Gov L4/L5, Defender XDR API hosts incl. regional and GCC/GCC High/DoD (reference §1.1, §3).
import * as crypto from 'node:crypto';
import { entraError, type HttpAnswer } from './errors';
import { b64url, decodeJwt, isObject, signJwt, verifyJwtSignature, type JsonObject } from './jwt';
import type { IssuedCertificate, Pki } from './pki';
import { checkFederatedAssertion, type FederatedCredential, type OidcIssuer } from './platform/federation';
import type { ManagedIdentityName } from './platform/managed-identity';

/** Defender for Identity's identity accounts on Graph: reading them (security-identitycontainer-list-identityaccounts.md,
 * security-identityaccounts-get.md) and invokeAction (security-identityaccounts-invokeaction.md). */
export const IDENTITY_ACCOUNT_ROLES = ['SecurityIdentitiesAccount.Read.All', 'SecurityIdentitiesActions.ReadWrite.All'];
export const GRAPH_ROLES = ['SecurityIncident.ReadWrite.All', 'SecurityIncident.Read.All', 'SecurityAlert.ReadWrite.All', 'SecurityAlert.Read.All', 'ThreatHunting.Read.All',
  ...IDENTITY_ACCOUNT_ROLES];
export const DEFENDER_ROLES = ['Incident.ReadWrite.All', 'Incident.Read.All', 'AdvancedHunting.Read.All'];

export const GRAPH_RESOURCES = [
  'https://graph.microsoft.com', 'https://graph.microsoft.us', 'https://dod-graph.microsoft.us',
  '00000003-0000-0000-c000-000000000000', // Microsoft Graph's application id
];
export const DEFENDER_RESOURCES = [
  'https://api.security.microsoft.com',
  'https://api-us.security.microsoft.com', 'https://api-eu.security.microsoft.com', 'https://api-uk.security.microsoft.com',
  ...['us', 'eu', 'uk', 'au', 'swa', 'ina', 'aea'].map((r) => `https://${r}.api.security.microsoft.com`),
  'https://api-gcc.security.microsoft.us', 'https://api-gov.security.microsoft.us',
  '8ee8fdad-f234-4243-8f3b-15c294843740', // "Microsoft Threat Protection" application id
];
// Defender for Endpoint ("WindowsDefenderATP"): "Some Microsoft Defender for Endpoint APIs continue to require access
// tokens issued for the legacy resource https://api.securitycenter.microsoft.com ... requests fail with 403 Forbidden,
// even if the API endpoint uses https://api.security.microsoft.com" (defender-endpoint/api/exposed-apis-create-app-webapp.md,
// reference §2.1); US Gov hosts from defender-endpoint/gov.md. The MDE paths accept only these audiences.
export const ENDPOINT_RESOURCES = [
  'https://api.securitycenter.microsoft.com',
  'https://api-gcc.securitycenter.microsoft.us', 'https://api-gov.securitycenter.microsoft.us',
  'fc780465-2017-40d4-a0c5-307022471b92', // "WindowsDefenderATP" application id
];
// WindowsDefenderATP application permissions the MDE face checks (isolate-machine.md, run-av-scan.md,
// restrict-code-execution.md, collect-investigation-package.md, stop-and-quarantine-file.md, get-machines.md,
// post-ti-indicator.md).
export const ENDPOINT_ROLES = ['Machine.Read.All', 'Machine.ReadWrite.All', 'Machine.Isolate', 'Machine.Scan', 'Machine.RestrictExecution',
  'Machine.CollectForensics', 'Machine.StopAndQuarantine', 'Ti.ReadWrite.All'];

export type AppName = 'full' | 'readonly' | 'nohunting' | 'certonly';

export interface RegisteredApp {
  /** an app registration, or a managed identity's service principal (platform/managed-identity.ts) */
  name: AppName | ManagedIdentityName;
  displayName: string;
  clientId: string;
  clientSecret?: string;
  certificate?: IssuedCertificate;
  /** workload identity federation: the external tokens this app accepts as client assertions (platform/federation.ts) */
  federatedCredentials?: FederatedCredential[];
  roles: string[];
}

export interface AppInfo {
  name: string;
  clientId: string;
  clientSecret?: string;
  certificatePem?: string;
  privateKeyPem?: string;
  /** hex thumbprints of the certificate */
  thumbprintSha1?: string;
  thumbprintSha256?: string;
  roles: string[];
}

/** A GUID-shaped id derived from the seed and a label (stable across starts with the same seed). */
export function derivedGuid(seed: number, label: string): string {
  const h = crypto.createHash('sha256').update(`m365d-emulator:${seed}:${label}`).digest();
  h[6] = (h[6] & 0x0f) | 0x40; // version 4 layout
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function newSecret(): string {
  // Entra secrets are 40 characters with a "~" at position 4 (e.g. "abc8Q~..."); the shape does not matter here.
  return crypto.randomBytes(30).toString('base64url');
}

export function registerApps(seed: number, pki: Pki): RegisteredApp[] {
  const all = [...GRAPH_ROLES.filter((r) => (r.includes('ReadWrite') || r.startsWith('ThreatHunting')) && !IDENTITY_ACCOUNT_ROLES.includes(r)), 'Incident.ReadWrite.All', 'AdvancedHunting.Read.All',
    ...IDENTITY_ACCOUNT_ROLES, ...ENDPOINT_ROLES];
  return [
    { name: 'full', displayName: 'M365D emulator (full)', clientId: derivedGuid(seed, 'app:full'), clientSecret: newSecret(), certificate: pki.clients.full, roles: all },
    {
      name: 'readonly', displayName: 'M365D emulator (read-only)', clientId: derivedGuid(seed, 'app:readonly'), clientSecret: newSecret(),
      roles: ['SecurityIncident.Read.All', 'SecurityAlert.Read.All', 'ThreatHunting.Read.All', 'Incident.Read.All', 'AdvancedHunting.Read.All', 'SecurityIdentitiesAccount.Read.All', 'Machine.Read.All'],
    },
    {
      name: 'nohunting', displayName: 'M365D emulator (no hunting)', clientId: derivedGuid(seed, 'app:nohunting'), clientSecret: newSecret(),
      roles: ['SecurityIncident.ReadWrite.All', 'SecurityAlert.ReadWrite.All', 'Incident.ReadWrite.All'],
    },
    { name: 'certonly', displayName: 'M365D emulator (certificate only)', clientId: derivedGuid(seed, 'app:certonly'), certificate: pki.clients.certonly, roles: all },
  ];
}

export function appInfo(app: RegisteredApp): AppInfo {
  return {
    name: app.name, clientId: app.clientId, clientSecret: app.clientSecret,
    certificatePem: app.certificate?.pem, privateKeyPem: app.certificate?.privateKeyPem,
    thumbprintSha1: app.certificate?.sha1Thumbprint, thumbprintSha256: app.certificate?.sha256Thumbprint,
    roles: [...app.roles],
  };
}

export type Audience = 'graph' | 'defender' | 'endpoint' | 'origin';
/** the faces that check a bearer token */
export type FaceName = 'graph' | 'defender' | 'endpoint';

export interface TokenRequestInfo { clientId?: string; grantType?: string; scope?: string }

export interface VerifiedToken {
  app: RegisteredApp;
  aud: string;
  audience: Audience;
  roles: string[];
}

export type TokenCheck =
  | { ok: true; token: VerifiedToken }
  | { ok: false; reason: 'missing' | 'malformed' | 'signature' | 'expired' | 'revoked' | 'audience' | 'tenant' };

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** clock skew allowed on client assertions' nbf/exp (Entra allows a few minutes; 5 is the usual figure) */
const ASSERTION_SKEW_S = 300;

function normResource(r: string): string {
  return r.replace(/\/+$/, '').toLowerCase();
}

export interface IdentityOptions {
  tenantId: string;
  apps: RegisteredApp[];
  signing: IssuedCertificate;
  /** origins the emulator answers on ("https://127.0.0.1:PORT", "https://localhost:PORT") — the first is canonical */
  origins: string[];
  tokenLifetimeSeconds: number;
  /** the service clock */
  now: () => Date;
  /** the external OIDC issuers federated credentials may name (platform/federation.ts) */
  issuerOf?: (iss: string) => OidcIssuer | undefined;
}

export class Identity {
  private readonly issuedIds = new Set<string>();
  private readonly revokedIds = new Set<string>();
  private readonly kid: string;

  constructor(private readonly o: IdentityOptions) {
    this.kid = b64url(crypto.createHash('sha1').update(o.signing.der).digest());
  }

  get origin(): string { return this.o.origins[0]; }
  get issuer(): string { return `${this.origin}/${this.o.tenantId}/v2.0`; }

  appByClientId(id: string): RegisteredApp | undefined {
    return this.o.apps.find((a) => a.clientId.toLowerCase() === id.toLowerCase());
  }

  /** Which audience a resource id (scope without "/.default") is, or undefined for an unknown resource. */
  classifyResource(resource: string): Audience | undefined {
    const r = normResource(resource);
    if (GRAPH_RESOURCES.includes(r)) return 'graph';
    if (DEFENDER_RESOURCES.includes(r)) return 'defender';
    if (ENDPOINT_RESOURCES.includes(r)) return 'endpoint';
    if (this.o.origins.some((o) => normResource(o) === r)) return 'origin';
    return undefined;
  }

  openidConfiguration(tenant: string): HttpAnswer {
    const now = this.o.now();
    if (tenant.toLowerCase() !== this.o.tenantId) return this.unknownTenant(tenant, now);
    const base = `${this.origin}/${this.o.tenantId}`;
    // Field set of https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration
    return {
      status: 200, headers: {},
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: this.issuer,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.origin}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: 'NA',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
    };
  }

  jwks(tenant: string): HttpAnswer {
    if (tenant.toLowerCase() !== this.o.tenantId) return this.unknownTenant(tenant, this.o.now());
    const jwk = this.o.signing.publicKey.export({ format: 'jwk' });
    return {
      status: 200, headers: {},
      body: {
        keys: [{
          kty: 'RSA', use: 'sig', kid: this.kid, x5t: this.kid, n: jwk.n, e: jwk.e,
          x5c: [this.o.signing.der.toString('base64')], issuer: this.issuer,
        }],
      },
    };
  }

  /** MSAL's instance discovery (GET /common/discovery/instance): tells it this host is its own authority. */
  instanceDiscovery(): HttpAnswer {
    const hosts = this.o.origins.map((o) => new URL(o).host);
    return {
      status: 200, headers: {},
      body: {
        tenant_discovery_endpoint: `${this.origin}/${this.o.tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: hosts[0], preferred_cache: hosts[0], aliases: hosts }],
      },
    };
  }

  private unknownTenant(tenant: string, now: Date, corr?: string): HttpAnswer {
    return entraError(400, 'invalid_tenant', 90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      now, corr);
  }

  /**
   * POST /{tenant}/oauth2/v2.0/token. `form` is the parsed form body; `requestOrigin` the origin the client
   * reached us on (for the assertion's aud). Fills `info` for the request log (never a secret or assertion).
   */
  token(tenant: string, form: URLSearchParams, requestOrigin: string, info: TokenRequestInfo, correlationId?: string): HttpAnswer {
    const now = this.o.now();
    const corr = correlationId ?? form.get('client-request-id') ?? undefined;
    const err = (status: number, error: string, code: number, msg: string): HttpAnswer => entraError(status, error, code, msg, now, corr);
    const clientId = form.get('client_id') ?? undefined;
    const grantType = form.get('grant_type') ?? undefined;
    const scope = form.get('scope') ?? undefined;
    Object.assign(info, { clientId, grantType, scope });

    if (tenant.toLowerCase() !== this.o.tenantId) return this.unknownTenant(tenant, now, corr);
    if (!grantType) return err(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    if (grantType !== 'client_credentials') return err(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
    if (!clientId) return err(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    const app = this.appByClientId(clientId);
    if (!app) {
      return err(400, 'unauthorized_client', 700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.o.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }
    if (!scope) return err(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    const scopes = scope.split(/\s+/).filter((s) => s && !['openid', 'profile', 'offline_access', 'email'].includes(s));
    if (scopes.length !== 1 || !scopes[0].endsWith('/.default')) {
      const bad = scopes.find((s) => !s.endsWith('/.default')) ?? scope;
      return err(400, 'invalid_scope', 1002012,
        `The provided value for scope ${bad} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    const resource = scopes[0].slice(0, -'/.default'.length);
    const audience = this.classifyResource(resource);
    if (!audience) {
      return err(400, 'invalid_resource', 500011,
        `The resource principal named ${resource} was not found in the tenant named ${this.o.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
    }

    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      const failure = this.checkAssertion(app, assertion, form.get('client_assertion_type'), tenant, requestOrigin, err);
      if (failure) return failure;
    } else if (secret !== null) {
      if (!app.clientSecret || !timingSafeEqualStr(secret, app.clientSecret)) {
        return err(401, 'invalid_client', 7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
      }
    } else {
      return err(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    return { status: 200, headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' }, body: this.issue(app, resource, audience) };
  }

  private checkAssertion(app: RegisteredApp, assertion: string, type: string | null, tenant: string, requestOrigin: string,
    err: (status: number, error: string, code: number, msg: string) => HttpAnswer): HttpAnswer | undefined {
    if (type !== ASSERTION_TYPE) {
      return err(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_assertion_type'.");
    }
    const jwt = decodeJwt(assertion);
    if (!jwt) return err(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
    // not signed by the app itself (iss is not its client id): a federated token, checked against the app's
    // federated credentials (learn.microsoft.com/entra/workload-id/workload-identity-federation)
    if (jwt.payload.iss !== app.clientId && app.federatedCredentials?.length) {
      return checkFederatedAssertion(app.federatedCredentials, (iss) => this.o.issuerOf?.(iss), jwt, err);
    }
    const h = jwt.header;
    const x5t = typeof h.x5t === 'string' ? h.x5t : undefined;
    const x5tS256 = typeof h['x5t#S256'] === 'string' ? (h['x5t#S256'] as string) : undefined;
    const used = x5tS256 ? Buffer.from(x5tS256, 'base64url').toString('hex').toUpperCase()
      : x5t ? Buffer.from(x5t, 'base64url').toString('hex').toUpperCase() : '';
    const cert = app.certificate;
    const registered = cert && ((x5tS256 && used === cert.sha256Thumbprint) || (!x5tS256 && x5t && used === cert.sha1Thumbprint));
    if (!cert || !registered) {
      return err(401, 'invalid_client', 700027,
        `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${used}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`);
    }
    if (!verifyJwtSignature(jwt, cert.publicKey)) {
      return err(401, 'invalid_client', 700027,
        `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${used}', Found key 'Start=${fmtCertDate(cert.notBefore)}, End=${fmtCertDate(cert.notAfter)}']`);
    }
    const p = jwt.payload;
    if (p.iss !== app.clientId || p.sub !== app.clientId) {
      return err(401, 'invalid_client', 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .");
    }
    const auds = Array.isArray(p.aud) ? p.aud : [p.aud];
    const okAud = new Set<string>();
    for (const o of [requestOrigin, ...this.o.origins]) {
      for (const t of [tenant, this.o.tenantId]) {
        okAud.add(`${o}/${t}/oauth2/v2.0/token`.toLowerCase());
        okAud.add(`${o}/${t}/oauth2/token`.toLowerCase());
        okAud.add(`${o}/${t}/v2.0`.toLowerCase());
      }
    }
    if (!auds.some((a) => typeof a === 'string' && okAud.has(a.toLowerCase()))) {
      return err(400, 'invalid_request', 50027, `JWT token is invalid or malformed. The audience '${String(p.aud)}' of the client assertion is not the token endpoint.`);
    }
    // Assertions are checked against the real clock: a client builds them with its own (real) clock, and moving the
    // service clock (POST /_emulator/clock) must not make every assertion look stale.
    const nowS = Math.floor(Date.now() / 1000);
    const exp = typeof p.exp === 'number' ? p.exp : undefined;
    const nbf = typeof p.nbf === 'number' ? p.nbf : 0;
    if (exp === undefined || nowS > exp + ASSERTION_SKEW_S || nowS + ASSERTION_SKEW_S < nbf) {
      const iso = (s: number): string => new Date(s * 1000).toISOString().replace('Z', '0000Z');
      return err(401, 'invalid_client', 700024,
        `Client assertion is not within its valid time range. Current time: ${new Date().toISOString().replace('Z', '0000Z')}, assertion valid from ${iso(nbf)}, expiry time of assertion ${exp === undefined ? 'none' : iso(exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`);
    }
    return undefined;
  }

  /** Issues an access token (RS256 JWT signed by the emulator). */
  issue(app: RegisteredApp, resource: string, audience: Audience, lifetimeSeconds?: number): JsonObject {
    const now = Math.floor(this.o.now().getTime() / 1000);
    const life = lifetimeSeconds ?? this.o.tokenLifetimeSeconds;
    const roles = app.roles.filter((r) => audience === 'origin'
      || (audience === 'graph' ? GRAPH_ROLES.includes(r) : audience === 'endpoint' ? ENDPOINT_ROLES.includes(r) : DEFENDER_ROLES.includes(r)));
    const uti = b64url(crypto.randomBytes(16));
    this.issuedIds.add(uti);
    const payload: JsonObject = {
      aud: audience === 'origin' ? this.origin : resource.replace(/\/+$/, ''),
      iss: this.issuer,
      iat: now, nbf: now, exp: now + life,
      aio: b64url(crypto.randomBytes(24)),
      app_displayname: app.displayName,
      appid: app.clientId,
      appidacr: '1',
      idp: this.issuer,
      idtyp: 'app',
      oid: derivedGuid(0, `sp:${app.clientId}`),
      roles,
      sub: derivedGuid(0, `sp:${app.clientId}`),
      tid: this.o.tenantId,
      uti,
      ver: '1.0',
    };
    const header = { typ: 'JWT', alg: 'RS256', x5t: this.kid, kid: this.kid };
    const accessToken = signJwt(header, payload, this.o.signing.privateKey);
    return { token_type: 'Bearer', expires_in: life, ext_expires_in: life, access_token: accessToken };
  }

  /** Validates `Authorization: Bearer ...` for a face: signature, tenant, lifetime (service clock), revocation, audience. */
  checkBearer(authorization: string | undefined, face: FaceName): TokenCheck {
    if (!authorization || /^(Bearer)?\s*$/i.test(authorization.trim())) return { ok: false, reason: 'missing' };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return { ok: false, reason: 'malformed' };
    const jwt = decodeJwt(m[1]);
    if (!jwt || jwt.header.alg !== 'RS256') return { ok: false, reason: 'malformed' };
    if (!verifyJwtSignature(jwt, this.o.signing.publicKey)) return { ok: false, reason: 'signature' };
    const p = jwt.payload;
    if (p.tid !== this.o.tenantId) return { ok: false, reason: 'tenant' };
    const now = this.o.now().getTime() / 1000;
    if (typeof p.exp !== 'number' || typeof p.nbf !== 'number' || now >= p.exp || now < p.nbf) return { ok: false, reason: 'expired' };
    if (typeof p.uti === 'string' && this.revokedIds.has(p.uti)) return { ok: false, reason: 'revoked' };
    const aud = typeof p.aud === 'string' ? p.aud : '';
    const audience = this.classifyResource(aud);
    // The MDE face takes only its own audiences (not the emulator's origin): a client must ask for the WindowsDefenderATP
    // resource, as against Microsoft (reference §2.1).
    if (!audience || (face === 'endpoint' ? audience !== 'endpoint' : audience !== 'origin' && audience !== face)) return { ok: false, reason: 'audience' };
    const app = typeof p.appid === 'string' ? this.appByClientId(p.appid) : undefined;
    if (!app) return { ok: false, reason: 'signature' };
    const roles = Array.isArray(p.roles) ? p.roles.filter((r): r is string => typeof r === 'string') : [];
    return { ok: true, token: { app, aud, audience, roles } };
  }

  /** Every token issued so far is refused from now on. Returns how many were revoked. */
  revokeAll(): number {
    let n = 0;
    for (const id of this.issuedIds) { if (!this.revokedIds.has(id)) { this.revokedIds.add(id); n++; } }
    return n;
  }
}

function timingSafeEqualStr(a: string, b: string): boolean {
  const x = Buffer.from(a); const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function fmtCertDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** The 401 messages per reason, per face. */
export function unauthorizedMessage(reason: Exclude<TokenCheck, { ok: true }>['reason'], face: FaceName): string {
  if (face === 'graph') {
    // Graph wording from real responses: "Access token is empty.", "Access token has expired or is not yet valid."
    // (besscroft/diyfile#1), "Access token validation failure. Invalid audience.", "CompactToken parsing failed ...".
    switch (reason) {
      case 'missing': return 'Access token is empty.';
      case 'expired': return 'Access token has expired or is not yet valid.';
      case 'audience': return 'Access token validation failure. Invalid audience.';
      case 'revoked': return 'Access token validation failure. The token has been revoked.';
      case 'malformed': return 'CompactToken parsing failed with error code: 80049217';
      default: return 'Access token validation failure.';
    }
  }
  switch (reason) {
    case 'missing': return 'Authorization header is missing or empty.';
    case 'expired': return 'The access token has expired.';
    case 'audience': return 'The access token audience is not valid for this API.';
    case 'revoked': return 'The access token has been revoked.';
    default: return 'The access token is invalid.';
  }
}

export function isJsonObject(v: unknown): v is JsonObject { return isObject(v); }
