// How the package signs in (M365D_AUTH): with an app registration's client secret or certificate, with an Azure
// managed identity, or with workload identity federation (a Kubernetes service-account token exchanged at Entra ID).
// The method is M365D_AUTH when set, else inferred from the one credential that is set; a contradiction (credentials
// of two methods, or one the chosen method does not use) is CONFIGURATION naming the variables. Pure, as config.ts:
// every problem is found before any network call, and no message carries a secret.
//
// The AZURE_* variables the Azure Workload Identity webhook injects (AZURE_CLIENT_ID, AZURE_TENANT_ID,
// AZURE_AUTHORITY_HOST, AZURE_FEDERATED_TOKEN_FILE; Azure/azure-workload-identity, docs "Concepts") are read only as
// fallbacks of blank M365D_* fields, and only for workload identity; they never make a contradiction: a pod with the
// webhook's variables may still sign in with a secret. CONTRACT.md section 9 lists them as the one exception to
// "exactly the manifest's variables"; the managed identity platforms' variables are read by MSAL itself.

import * as path from 'node:path';
import { configurationError } from './errors';
import { readPem, show, value, type Env } from './config';

export const AUTH_METHODS = ['secret', 'certificate', 'managed_identity', 'workload_identity'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** Which managed identity: the system-assigned one, or a user-assigned one by one of its three ids. */
export type ManagedIdentityId =
  | { kind: 'system' }
  | { kind: 'client_id' | 'resource_id' | 'object_id'; value: string; variable: string };

export type Credential =
  | { kind: 'secret'; secret: string }
  | { kind: 'certificate'; pem: string; source: 'text' | 'file' }
  | { kind: 'managed_identity'; identity: ManagedIdentityId }
  | { kind: 'workload_identity'; tokenFile: string; tokenFileVariable: 'M365D_FEDERATED_TOKEN_FILE' | 'AZURE_FEDERATED_TOKEN_FILE' };

export interface AuthConfig {
  credential: Credential;
  /** the tenant ('' for a managed identity given none: it does not need one) */
  tenantId: string;
  /** the app's client id; for a managed identity its client id when given that way, else '' */
  clientId: string;
  /** the authority host to use when M365D_LOGIN_URL is blank (workload identity: AZURE_AUTHORITY_HOST) */
  loginFallback?: { variable: string; raw: string };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** an Azure resource id of a user-assigned identity (learn.microsoft.com, managed identities: "resource ID") */
const MI_RESOURCE_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourcegroups\/[^/]{1,90}\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]{1,128}$/i;

/** The credential variables and the method each belongs to. */
const CREDENTIAL_VARIABLES: ReadonlyArray<readonly [string, AuthMethod]> = [
  ['M365D_CLIENT_SECRET', 'secret'],
  ['M365D_CLIENT_CERTIFICATE', 'certificate'],
  ['M365D_MANAGED_IDENTITY_RESOURCE_ID', 'managed_identity'],
  ['M365D_MANAGED_IDENTITY_OBJECT_ID', 'managed_identity'],
  ['M365D_FEDERATED_TOKEN_FILE', 'workload_identity'],
];

const NOTHING_SET =
  'No credential is configured: set M365D_CLIENT_SECRET or M365D_CLIENT_CERTIFICATE (an app registration), M365D_FEDERATED_TOKEN_FILE (workload identity federation), or M365D_AUTH=managed_identity (an Azure managed identity).';

export function parseAuthMethod(raw: string | undefined): AuthMethod | undefined {
  if (raw === undefined) return undefined;
  const v = raw.toLowerCase().replace(/[\s-]+/g, '_');
  if ((AUTH_METHODS as readonly string[]).includes(v)) return v as AuthMethod;
  throw configurationError(`M365D_AUTH ${show(raw)} is not a sign-in method; valid: ${AUTH_METHODS.join(', ')} (or leave it blank to infer it from the credential that is set).`);
}

/** The method: M365D_AUTH, or the one the set credential variables belong to. */
export function inferAuthMethod(env: Env): AuthMethod {
  const explicit = parseAuthMethod(value(env, 'M365D_AUTH'));
  const set = CREDENTIAL_VARIABLES.filter(([name]) => value(env, name) !== undefined);
  if (explicit) {
    const foreign = set.find(([, method]) => method !== explicit);
    if (foreign) {
      throw configurationError(`M365D_AUTH is ${explicit}, which does not use ${foreign[0]} (a ${foreign[1]} credential): remove ${foreign[0]}, or set M365D_AUTH to ${foreign[1]}.`);
    }
    return explicit;
  }
  const methods = [...new Set(set.map(([, method]) => method))];
  if (methods.length > 1) {
    const a = set.find(([, m]) => m === methods[0])![0];
    const b = set.find(([, m]) => m === methods[1])![0];
    throw configurationError(`${a} and ${b} are both set, credentials of two sign-in methods (${methods[0]} and ${methods[1]}): keep the one to use and clear the other.`);
  }
  if (methods.length === 1) return methods[0]!;
  // the environment the Azure Workload Identity webhook makes, with no M365D_* credential
  if (value(env, 'AZURE_FEDERATED_TOKEN_FILE') !== undefined) return 'workload_identity';
  throw configurationError(NOTHING_SET);
}

function tenantFrom(name: string, raw: string): string {
  if (!GUID.test(raw) && !DOMAIN.test(raw)) throw configurationError(`${name} ${show(raw)} is neither a GUID nor a domain name such as contoso.onmicrosoft.com.`);
  return raw;
}

function appTenantAndClient(env: Env, fallbacks: boolean): { tenantId: string; clientId: string } {
  const either = (m365d: string, azure: string): { name: string; raw: string } | undefined => {
    const own = value(env, m365d);
    if (own !== undefined) return { name: m365d, raw: own };
    const az = fallbacks ? value(env, azure) : undefined;
    return az !== undefined ? { name: azure, raw: az } : undefined;
  };
  const alsoAzure = (azure: string) => (fallbacks ? ` (or ${azure}, as the Azure Workload Identity webhook sets it)` : '');
  const tenant = either('M365D_TENANT_ID', 'AZURE_TENANT_ID');
  if (!tenant) throw configurationError(`M365D_TENANT_ID${alsoAzure('AZURE_TENANT_ID')} is required: the directory (tenant) id of the Entra ID tenant, a GUID or a domain such as contoso.onmicrosoft.com.`);
  const tenantId = tenantFrom(tenant.name, tenant.raw);
  const client = either('M365D_CLIENT_ID', 'AZURE_CLIENT_ID');
  if (!client) throw configurationError(`M365D_CLIENT_ID${alsoAzure('AZURE_CLIENT_ID')} is required: the application (client) id of the app registration, a GUID.`);
  if (!GUID.test(client.raw)) throw configurationError(`${client.name} ${show(client.raw)} is not a GUID; copy the Application (client) ID from the app registration's overview.`);
  return { tenantId, clientId: client.raw };
}

function managedIdentity(env: Env): AuthConfig {
  const clientId = value(env, 'M365D_CLIENT_ID');
  const resourceId = value(env, 'M365D_MANAGED_IDENTITY_RESOURCE_ID');
  const objectId = value(env, 'M365D_MANAGED_IDENTITY_OBJECT_ID');
  const given = [
    ['M365D_CLIENT_ID', clientId],
    ['M365D_MANAGED_IDENTITY_RESOURCE_ID', resourceId],
    ['M365D_MANAGED_IDENTITY_OBJECT_ID', objectId],
  ].filter(([, v]) => v !== undefined) as Array<[string, string]>;
  if (given.length > 1) {
    const names = given.map(([n]) => n).join(' and ');
    throw configurationError(`${names} are ${given.length === 2 ? 'both' : 'all'} set, but a user-assigned managed identity is named by one id only: keep one (or none, for the system-assigned identity).`);
  }
  let identity: ManagedIdentityId = { kind: 'system' };
  if (clientId !== undefined) {
    if (!GUID.test(clientId)) throw configurationError(`M365D_CLIENT_ID ${show(clientId)} is not a GUID; for a user-assigned managed identity give its Client ID (a GUID), or leave it blank for the system-assigned identity.`);
    identity = { kind: 'client_id', value: clientId, variable: 'M365D_CLIENT_ID' };
  } else if (resourceId !== undefined) {
    if (!MI_RESOURCE_ID.test(resourceId)) {
      throw configurationError(`M365D_MANAGED_IDENTITY_RESOURCE_ID ${show(resourceId)} is not the resource id of a user-assigned identity; valid: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>.`);
    }
    identity = { kind: 'resource_id', value: resourceId, variable: 'M365D_MANAGED_IDENTITY_RESOURCE_ID' };
  } else if (objectId !== undefined) {
    if (!GUID.test(objectId)) throw configurationError(`M365D_MANAGED_IDENTITY_OBJECT_ID ${show(objectId)} is not a GUID; give the identity's Object (principal) ID.`);
    identity = { kind: 'object_id', value: objectId, variable: 'M365D_MANAGED_IDENTITY_OBJECT_ID' };
  }
  // no tenant is needed (the platform's endpoint knows it); one given is checked and reported, never sent
  const tenant = value(env, 'M365D_TENANT_ID');
  return { credential: { kind: 'managed_identity', identity }, tenantId: tenant === undefined ? '' : tenantFrom('M365D_TENANT_ID', tenant), clientId: clientId ?? '' };
}

function workloadIdentity(env: Env): AuthConfig {
  const own = value(env, 'M365D_FEDERATED_TOKEN_FILE');
  const azure = value(env, 'AZURE_FEDERATED_TOKEN_FILE');
  const tokenFileVariable = own !== undefined ? 'M365D_FEDERATED_TOKEN_FILE' : 'AZURE_FEDERATED_TOKEN_FILE';
  const tokenFile = own ?? azure;
  if (tokenFile === undefined) {
    throw configurationError('M365D_AUTH is workload_identity, but neither M365D_FEDERATED_TOKEN_FILE nor AZURE_FEDERATED_TOKEN_FILE is set: give the path of the projected service-account token file.');
  }
  if (!path.isAbsolute(tokenFile) || tokenFile.includes('\n')) {
    throw configurationError(`${tokenFileVariable} ${show(tokenFile)} is not an absolute file path; give the path of the projected service-account token file (e.g. /var/run/secrets/azure/tokens/azure-identity-token).`);
  }
  const { tenantId, clientId } = appTenantAndClient(env, true);
  const host = value(env, 'M365D_LOGIN_URL') === undefined ? value(env, 'AZURE_AUTHORITY_HOST') : undefined;
  return {
    credential: { kind: 'workload_identity', tokenFile, tokenFileVariable },
    tenantId,
    clientId,
    ...(host !== undefined ? { loginFallback: { variable: 'AZURE_AUTHORITY_HOST', raw: host } } : {}),
  };
}

/** The sign-in method, its credential, and the tenant and client it signs in as. */
export function parseAuth(env: Env, readFile: (p: string) => string): AuthConfig {
  const method = inferAuthMethod(env);
  if (method === 'managed_identity') return managedIdentity(env);
  if (method === 'workload_identity') return workloadIdentity(env);
  const { tenantId, clientId } = appTenantAndClient(env, false);
  if (method === 'secret') {
    const secret = value(env, 'M365D_CLIENT_SECRET');
    if (secret === undefined) throw configurationError('M365D_AUTH is secret, but M365D_CLIENT_SECRET is not set: give the app registration\'s client secret (its Value).');
    return { credential: { kind: 'secret', secret }, tenantId, clientId };
  }
  const cert = readPem(env, 'M365D_CLIENT_CERTIFICATE', readFile);
  if (!cert) throw configurationError('M365D_AUTH is certificate, but M365D_CLIENT_CERTIFICATE is not set: give the PEM with the private key and its certificate, or the path of such a file.');
  if (!/PRIVATE KEY-----/.test(cert.pem)) throw configurationError('M365D_CLIENT_CERTIFICATE holds no private key: give the PEM with both the private key and its certificate.');
  if (!/BEGIN CERTIFICATE-----/.test(cert.pem)) throw configurationError('M365D_CLIENT_CERTIFICATE holds no certificate: give the PEM with both the private key and its certificate.');
  return { credential: { kind: 'certificate', pem: cert.pem, source: cert.source }, tenantId, clientId };
}

/** The secrets of the managed identity platforms, which MSAL sends as headers (App Service, Machine Learning). */
export const PLATFORM_SECRET_VARIABLES = ['IDENTITY_HEADER', 'MSI_SECRET'] as const;
