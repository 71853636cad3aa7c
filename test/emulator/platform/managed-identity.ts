// Azure's managed identity endpoints as the emulator plays them, on a plain-HTTP listener on 127.0.0.1 only (as the
// real ones are plain http on the host or link-local): the Instance Metadata Service (IMDS) token endpoint and the
// App Service identity endpoint. The host has a system-assigned identity and two user-assigned ones; each is a
// service principal carrying app roles like the apps (identity.ts issues and checks their tokens).
//
// Microsoft sources:
// - IMDS: GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=<resource>
//   [&client_id|object_id|msi_res_id=...], header `Metadata: true` (required); answer {access_token, client_id,
//   expires_in, expires_on, ext_expires_in, not_before, resource, token_type} with the numbers as strings of seconds;
//   errors 400 {"error":"invalid_request","error_description":"Required metadata header not specified"} and
//   {"error":"invalid_request","error_description":"Identity not found"}:
//   learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token ("Get a token using
//   HTTP", "Error handling"). MSAL points at another host with AZURE_POD_IDENTITY_AUTHORITY_HOST
//   (msal-node src/client/ManagedIdentitySources/Imds.ts), which is how tests reach this listener.
// - App Service: GET {IDENTITY_ENDPOINT}?resource=<resource>&api-version=2019-08-01[&client_id|principal_id|
//   mi_res_id=...], header X-IDENTITY-HEADER = IDENTITY_HEADER; answer {access_token, expires_on (seconds since the
//   epoch, a string), resource, token_type, client_id}: learn.microsoft.com/azure/app-service/overview-managed-identity
//   ("REST endpoint reference"). MSAL sends object_id for an object id (msal-node BaseManagedIdentitySource.ts); both
//   names are taken. The wording of App Service's refusals is modelled, not confirmed.
import * as crypto from 'node:crypto';
import type { HttpAnswer } from '../errors';
import type { JsonObject } from '../jwt';

export type ManagedIdentityName = 'mi-system' | 'mi-user' | 'mi-user-readonly';

export interface ManagedIdentityInfo {
  name: ManagedIdentityName;
  kind: 'system' | 'user';
  /** the service principal's application (client) id */
  clientId: string;
  /** the service principal's object (principal) id */
  objectId: string;
  /** the Azure resource id (user-assigned only) */
  resourceId?: string;
  roles: string[];
}

export const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token';
export const APP_SERVICE_TOKEN_PATH = '/msi/token';
const IMDS_API_VERSION = '2018-02-01';
const APP_SERVICE_API_VERSION = '2019-08-01';

export interface PlatformOptions {
  identities: ManagedIdentityInfo[];
  /** App Service's IDENTITY_HEADER (a secret) */
  identityHeader: string;
  /** which audience a resource is (identity.ts), undefined for an unknown resource */
  classifyResource(resource: string): string | undefined;
  /** signs an access token for the identity (identity.ts), with the managed identity token lifetime */
  issue(identity: ManagedIdentityInfo, resource: string): { accessToken: string; lifetime: number };
  tenantId: string;
  now(): Date;
}

export interface PlatformRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
}

const json = (status: number, body: JsonObject): HttpAnswer => ({ status, headers: { 'content-type': 'application/json; charset=utf-8' }, body });

function headerEquals(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Which identity the query names: the system-assigned one when it names none. */
function pick(o: PlatformOptions, q: URLSearchParams, resourceKey: 'msi_res_id' | 'mi_res_id'): ManagedIdentityInfo | undefined | 'none-assigned' {
  const clientId = q.get('client_id') ?? q.get('clientid');
  const objectId = q.get('object_id') ?? q.get('principal_id');
  const resourceId = q.get(resourceKey);
  const users = o.identities.filter((i) => i.kind === 'user');
  if (clientId) return users.find((i) => i.clientId.toLowerCase() === clientId.toLowerCase());
  if (objectId) return users.find((i) => i.objectId.toLowerCase() === objectId.toLowerCase());
  if (resourceId) return users.find((i) => i.resourceId?.toLowerCase() === resourceId.toLowerCase());
  return o.identities.find((i) => i.kind === 'system') ?? 'none-assigned';
}

function unknownResource(o: PlatformOptions, resource: string): HttpAnswer {
  return json(400, {
    error: 'invalid_resource',
    error_description: `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${o.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    error_codes: [500011],
  });
}

/** GET /metadata/identity/oauth2/token (IMDS). */
export function imdsToken(o: PlatformOptions, req: PlatformRequest): HttpAnswer {
  if (req.method !== 'GET') return json(405, { error: 'invalid_request', error_description: 'Only GET is supported' });
  if ((req.headers['metadata'] ?? '').toLowerCase() !== 'true') return json(400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
  if (req.headers['x-forwarded-for'] !== undefined) return json(400, { error: 'invalid_request', error_description: 'Request contains X-Forwarded-For header' });
  if (req.query.get('api-version') !== IMDS_API_VERSION) return json(400, { error: 'invalid_request', error_description: `Unsupported api-version; this endpoint supports ${IMDS_API_VERSION}` });
  const resource = req.query.get('resource');
  if (!resource) return json(400, { error: 'invalid_request', error_description: 'Required audience parameter not specified' });
  const identity = pick(o, req.query, 'msi_res_id');
  if (identity === undefined || identity === 'none-assigned') return json(400, { error: 'invalid_request', error_description: 'Identity not found' });
  if (!o.classifyResource(resource)) return unknownResource(o, resource);
  const { accessToken, lifetime } = o.issue(identity, resource);
  const now = Math.floor(o.now().getTime() / 1000);
  return json(200, {
    access_token: accessToken,
    client_id: identity.clientId,
    expires_in: String(lifetime),
    expires_on: String(now + lifetime),
    ext_expires_in: String(lifetime),
    not_before: String(now),
    resource,
    token_type: 'Bearer',
  });
}

/** GET {IDENTITY_ENDPOINT} (App Service, api-version 2019-08-01). */
export function appServiceToken(o: PlatformOptions, req: PlatformRequest): HttpAnswer {
  if (req.method !== 'GET') return json(405, { statusCode: 405, message: 'Only GET is supported.' });
  if (!headerEquals(req.headers['x-identity-header'], o.identityHeader)) {
    return json(400, { statusCode: 400, message: 'The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.' });
  }
  if (req.query.get('api-version') !== APP_SERVICE_API_VERSION) return json(400, { statusCode: 400, message: `Unsupported api-version; use ${APP_SERVICE_API_VERSION}.` });
  const resource = req.query.get('resource');
  if (!resource) return json(400, { statusCode: 400, message: 'The resource parameter is required.' });
  const identity = pick(o, req.query, 'mi_res_id');
  if (identity === undefined || identity === 'none-assigned') return json(400, { statusCode: 400, message: 'No managed identity found for the specified client_id, principal_id or mi_res_id (Identity not found).' });
  if (!o.classifyResource(resource)) return unknownResource(o, resource);
  const { accessToken, lifetime } = o.issue(identity, resource);
  const now = Math.floor(o.now().getTime() / 1000);
  return json(200, { access_token: accessToken, expires_on: String(now + lifetime), resource, token_type: 'Bearer', client_id: identity.clientId });
}

/** The route of a platform listener request, or undefined (404). */
export function platformRoute(o: PlatformOptions, req: PlatformRequest): HttpAnswer | undefined {
  // MSAL sends the IMDS path with a trailing slash (its UrlString canonicalises the URL): both forms are the endpoint
  const path = req.path.replace(/\/+$/, '');
  if (path === IMDS_TOKEN_PATH) return imdsToken(o, req);
  if (path === APP_SERVICE_TOKEN_PATH) return appServiceToken(o, req);
  return undefined;
}
