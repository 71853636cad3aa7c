// Managed identity through msal-node's ManagedIdentityApplication (msal-node docs/managed-identity.md; source
// src/client/ManagedIdentityClient.ts): MSAL picks the platform's endpoint from the environment (Service Fabric,
// App Service, Machine Learning, Cloud Shell, Azure Arc, else IMDS) and asks it for a token for a RESOURCE (the scope
// without /.default). No request goes to Entra ID. MSAL's network client is our transport with `local`: these
// endpoints are plain http on this host or its link-local address (IMDS 169.254.169.254), and never go through the
// proxy. MSAL's own retries are off (our retry policy applies), and every miss of our persistent cache asks the
// endpoint (forceRefresh): MSAL's in-memory cache would hand back a token the API has just refused.

import { ActionError } from '../runtime/errors';
import type { Config, ManagedIdentityId } from '../runtime/config';
import type { Logger } from '../runtime/log';
import { describeAnswer, isJsonObject, keysOf, kindOf, shapeError, type Answered } from '../runtime/shape';
import { errorForTransport, TransportError, type HttpClient } from '../http';
import type { CachedToken } from './cache';

export interface ManagedIdentityDeps {
  http: HttpClient;
  log: Logger;
  addSecret?(secret: string): void;
}

type NetworkOptions = { headers?: Record<string, string>; body?: string };

/** The resource MSAL asks a managed identity endpoint for: the scope without /.default (any audience, generic). */
export const resourceOfScope = (scope: string): string => scope.replace(/\/\.default$/, '');

const MI_ANSWER = "a JSON object with a string 'access_token' and 'expires_on' (or 'expires_in') in seconds (a managed identity endpoint's token answer)";

/**
 * A managed identity endpoint's success answer: IMDS sends access_token, expires_in and expires_on as strings of
 * seconds (learn.microsoft.com, how-to-use-vm-token); App Service (2019-08-01) sends expires_on in seconds since the
 * epoch and no expires_in (learn.microsoft.com/azure/app-service/overview-managed-identity). MSAL takes expires_on.
 */
export function checkManagedIdentityAnswer(parsed: unknown, at: Answered): ActionError | undefined {
  if (!isJsonObject(parsed)) return shapeError(at, describeAnswer(parsed), MI_ANSWER);
  const token = parsed['access_token'];
  if (!Object.prototype.hasOwnProperty.call(parsed, 'access_token')) return shapeError(at, `an object without 'access_token' (it has ${keysOf(parsed)})`, MI_ANSWER);
  if (typeof token !== 'string' || token.trim() === '') return shapeError(at, `an 'access_token' that is ${typeof token === 'string' ? 'empty' : kindOf(token)}`, MI_ANSWER);
  const on = parsed['expires_on'];
  const seconds = (v: unknown): boolean => (typeof v === 'number' && v > 0) || (typeof v === 'string' && /^\d{1,12}$/.test(v.trim()));
  const iso = typeof on === 'string' && !Number.isNaN(Date.parse(on)) && /^\d{4}-\d{2}-\d{2}T/.test(on);
  if (!seconds(on) && !iso) return shapeError(at, `an 'expires_on' that is not a time (${kindOf(on)})`, MI_ANSWER);
  return undefined;
}

function idParams(id: ManagedIdentityId): Record<string, string> {
  switch (id.kind) {
    case 'client_id':
      return { userAssignedClientId: id.value };
    case 'resource_id':
      return { userAssignedResourceId: id.value };
    case 'object_id':
      return { userAssignedObjectId: id.value };
    default:
      return {};
  }
}

export const describeIdentity = (id: ManagedIdentityId): string => (id.kind === 'system' ? 'the system-assigned managed identity' : `the user-assigned managed identity ${id.value} (${id.variable})`);

/** What each source's endpoint is, for messages (MSAL's source names, utils/Constants.ts ManagedIdentitySourceNames). */
const SOURCE_HINTS: Record<string, string> = {
  AppService: 'the App Service identity endpoint (IDENTITY_ENDPOINT, IDENTITY_HEADER): turn on the app\'s identity (Identity → System assigned, or add the user-assigned identity)',
  ServiceFabric: 'the Service Fabric identity endpoint (IDENTITY_ENDPOINT, IDENTITY_HEADER, IDENTITY_SERVER_THUMBPRINT)',
  MachineLearning: 'the Azure Machine Learning identity endpoint (MSI_ENDPOINT, MSI_SECRET)',
  CloudShell: 'the Cloud Shell identity endpoint (MSI_ENDPOINT)',
  AzureArc: 'the Azure Arc agent (IDENTITY_ENDPOINT, IMDS_ENDPOINT, or /opt/azcmagent/bin/himds)',
  Imds: 'the Azure Instance Metadata Service (AZURE_POD_IDENTITY_AUTHORITY_HOST)',
  DefaultToImds: 'the Azure Instance Metadata Service at 169.254.169.254: run on an Azure VM or scale set with a managed identity',
};

async function loadApp(config: Config, deps: ManagedIdentityDeps, send?: (url: string, options?: NetworkOptions) => Promise<unknown>) {
  const msal = await import('@azure/msal-node');
  if (config.credential.kind !== 'managed_identity') throw new ActionError('INTERNAL', 'not a managed identity configuration');
  const unused = async (): Promise<never> => {
    throw new ActionError('INTERNAL', 'MSAL tried a request the managed identity flow does not make');
  };
  return new msal.ManagedIdentityApplication({
    managedIdentityIdParams: idParams(config.credential.identity),
    system: {
      networkClient: { sendGetRequestAsync: send ?? unused, sendPostRequestAsync: send ?? unused } as never,
      disableInternalRetries: true,
      loggerOptions: { piiLoggingEnabled: false, logLevel: msal.LogLevel.Warning, loggerCallback: (_level, message) => deps.log.debug('MSAL', { message }) },
    },
  });
}

/** The source MSAL chooses on this host (no request is made). */
export async function managedIdentitySource(config: Config, deps: ManagedIdentityDeps): Promise<string> {
  const app = await loadApp(config, deps);
  return app.getManagedIdentitySource();
}

/** One token request to the platform's managed identity endpoint, through MSAL. */
export async function fetchWithManagedIdentity(config: Config, scope: string, deps: ManagedIdentityDeps): Promise<CachedToken> {
  if (config.credential.kind !== 'managed_identity') throw new ActionError('INTERNAL', 'not a managed identity configuration');
  const identity = config.credential.identity;
  const resource = resourceOfScope(scope);
  let lastTransportError: TransportError | undefined;
  let lastErrorResponse: { status: number; body: unknown } | undefined;
  let lastShapeError: ActionError | undefined;
  let endpoint = '';
  const at: Answered = { api: 'the managed identity endpoint', label: 'the managed identity token request' };
  const send = async (url: string, options?: NetworkOptions) => {
    endpoint = new URL(url).origin + new URL(url).pathname;
    // the App Service / Service Fabric identity header and Machine Learning's secret are registered at startup
    // (secretsIn) and again here in case the platform set them under another name; Azure Arc's key (read by MSAL from
    // the file the Arc agent names, sent as `Authorization: Basic <key>`) is registered here, header value and key
    for (const [name, v] of Object.entries(options?.headers ?? {})) {
      if (!v || !/^(x-identity-header|secret|authorization)$/i.test(name)) continue;
      deps.addSecret?.(v);
      const key = /^basic\s+(\S+)$/i.exec(v)?.[1];
      if (key) deps.addSecret?.(key);
    }
    try {
      const res = await deps.http.send({ method: options?.body !== undefined ? 'POST' : 'GET', url, ...(options?.headers ? { headers: options.headers } : {}), ...(options?.body !== undefined ? { body: options.body } : {}), idempotent: true, local: true, label: 'the managed identity token request' });
      let parsed: unknown;
      try {
        parsed = res.body.trim() === '' ? undefined : JSON.parse(res.body);
      } catch {
        parsed = undefined;
      }
      if (res.status >= 400) lastErrorResponse = { status: res.status, body: parsed ?? res.body.slice(0, 200) };
      else {
        lastShapeError = checkManagedIdentityAnswer(parsed, { ...at, api: `the managed identity endpoint (${endpoint})` });
        if (lastShapeError) throw lastShapeError;
      }
      return { status: res.status, headers: res.headers, body: isJsonObject(parsed) ? parsed : {} };
    } catch (err) {
      if (err instanceof TransportError) lastTransportError = err;
      throw err;
    }
  };

  const app = await loadApp(config, deps, send);
  const source = app.getManagedIdentitySource();
  const hint = SOURCE_HINTS[source] ?? `the ${source} managed identity endpoint`;
  try {
    const result = await app.acquireToken({ resource, forceRefresh: true });
    if (typeof result?.accessToken !== 'string' || result.accessToken === '') throw new ActionError('AUTHENTICATION', 'The managed identity endpoint returned no access token.');
    const expiresAt = result.expiresOn?.getTime() ?? Date.now() + 3_600_000;
    if (!Number.isFinite(expiresAt)) throw shapeError(at, 'an expiry that is not a time', MI_ANSWER);
    deps.log.debug('Managed identity token acquired', { source, identity: identity.kind });
    return { accessToken: result.accessToken, expiresOn: Math.floor(expiresAt / 1000), scope, tokenType: result.tokenType || 'Bearer' };
  } catch (err) {
    if (lastShapeError) throw lastShapeError;
    if (lastTransportError) {
      if (!lastTransportError.maybeSent || lastTransportError.kind === 'timeout') {
        throw new ActionError(
          'AUTHENTICATION',
          `No managed identity endpoint is reachable from this host: MSAL chose ${source} (${endpoint || 'no endpoint'}), and ${lastTransportError.message} Run the package where ${hint}, or choose another M365D_AUTH.`,
        );
      }
      throw errorForTransport(lastTransportError);
    }
    if (lastErrorResponse) throw errorForEndpointAnswer(lastErrorResponse, source, endpoint, identity, resource);
    if (err instanceof ActionError) throw err;
    const e = err as { errorCode?: string; errorMessage?: string; message?: string };
    throw new ActionError('AUTHENTICATION', `The managed identity token request failed (MSAL chose ${source}; ${hint}): ${e.errorCode ?? ''} ${e.errorMessage ?? e.message ?? String(err)}`.replace(/\s+/g, ' ').trim());
  }
}

/** What a managed identity endpoint's refusal means, naming what to fix. */
function errorForEndpointAnswer(answer: { status: number; body: unknown }, source: string, endpoint: string, identity: ManagedIdentityId, resource: string): ActionError {
  const body = isJsonObject(answer.body) ? answer.body : {};
  const nested = isJsonObject(body['error']) ? body['error'] : undefined;
  const text = body['error_description'] ?? body['message'] ?? nested?.['message'] ?? (typeof body['error'] === 'string' ? body['error'] : typeof answer.body === 'string' ? answer.body : '');
  const said = String(text).split(/\r?\n/)[0]!.trim().slice(0, 300);
  const who = describeIdentity(identity);
  let what: string;
  if (answer.status === 400 && /identity not found|no managed identity found/i.test(said)) {
    what = identity.kind === 'system'
      ? `This host has no system-assigned managed identity (${source}): turn it on (the resource's Identity → System assigned), or name a user-assigned identity in M365D_CLIENT_ID, M365D_MANAGED_IDENTITY_RESOURCE_ID or M365D_MANAGED_IDENTITY_OBJECT_ID.`
      : `${who[0]!.toUpperCase()}${who.slice(1)} is not assigned to this resource (${source}): assign it (the resource's Identity → User assigned) or fix ${identity.variable}.`;
  } else if (/AADSTS500011|resource principal/i.test(said)) {
    what = `The API ${resource} is not available to ${who}'s tenant: check M365D_API_URL and M365D_CLOUD.`;
  } else if (answer.status === 401 || answer.status === 403) {
    what = `${source} refused the request of ${who} (HTTP ${answer.status}): the platform's identity header or secret was not accepted; restart the process so that it reads the platform's current IDENTITY_HEADER.`;
  } else {
    what = `${source} could not issue a token for ${who} (HTTP ${answer.status}).`;
  }
  return new ActionError('AUTHENTICATION', `${what}${said ? ` The endpoint ${endpoint} said: ${said}` : ''}`);
}
