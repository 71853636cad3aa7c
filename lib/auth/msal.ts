// The token request through @azure/msal-node, whose network client is our transport (so proxy, CA, verification,
// timeout and retries apply to it too). MSAL is given the authority and cloud-discovery metadata, so it sends nothing
// but the token request: no discovery calls, which also makes air-gapped and national-cloud tenants work.
//
// Built as its own bundle (dist/shared/msal.js) and loaded only when the token cache has no valid token: an action
// run with a cached token never parses MSAL.

import type { Config } from '../runtime/config';
import { ActionError } from '../runtime/errors';
import type { Logger } from '../runtime/log';
import { describeAnswer, isJsonObject, keysOf, kindOf, shapeError, type Answered } from '../runtime/shape';
import { errorForResponse, errorForTransport, TransportError, type HttpClient } from '../http';
import type { CachedToken } from './cache';
import { parseClientCertificate } from './certificate';
import { errorForTokenResponse, type TokenErrorBody } from './errors';
import { readFederatedToken } from './federated';
import { fetchWithManagedIdentity } from './managed-identity';

export { managedIdentitySource } from './managed-identity';

export interface MsalDeps {
  http: HttpClient;
  log: Logger;
  /** registers a secret with the redactor: the client assertion MSAL signs for a certificate credential */
  addSecret?(secret: string): void;
}

type NetworkOptions = { headers?: Record<string, string>; body?: string };

const NOT_JSON = Symbol('not JSON');
const TOKEN_ANSWER = "a JSON object with a string 'access_token' and 'expires_in' in seconds (Entra ID's token answer)";

/**
 * A successful token answer (the OAuth 2.0 client credentials response, RFC 6749 section 5.1: access_token,
 * token_type, expires_in; Entra ID's v2.0 endpoint sends expires_in as a number, v1.0 as a string of digits), or the
 * API_ERROR that says what came instead. Nothing of the answer's values is named.
 */
export function checkTokenAnswer(parsed: unknown, at: Answered): ActionError | undefined {
  if (parsed === NOT_JSON) return shapeError(at, 'something that is not JSON', TOKEN_ANSWER);
  if (!isJsonObject(parsed)) return shapeError(at, describeAnswer(parsed), TOKEN_ANSWER);
  if (!Object.prototype.hasOwnProperty.call(parsed, 'access_token')) return shapeError(at, `an object without 'access_token' (it has ${keysOf(parsed)})`, TOKEN_ANSWER);
  const token = parsed['access_token'];
  if (typeof token !== 'string') return shapeError(at, `an 'access_token' that is ${kindOf(token)}`, TOKEN_ANSWER);
  if (token.trim() === '') return shapeError(at, "an empty 'access_token'", TOKEN_ANSWER);
  const expires = parsed['expires_in'];
  const seconds = typeof expires === 'number' ? expires : typeof expires === 'string' && /^\d{1,9}$/.test(expires.trim()) ? Number(expires) : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) return shapeError(at, `an 'expires_in' that is not a number of seconds (${kindOf(expires)})`, TOKEN_ANSWER);
  const type = parsed['token_type'];
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) return shapeError(at, `a 'token_type' that is ${typeof type === 'string' ? 'not Bearer' : kindOf(type)}`, TOKEN_ANSWER);
  return undefined;
}

/**
 * One token request through MSAL, with our transport as its network client: a managed identity asks the platform's
 * endpoint (managed-identity.ts); the other methods ask Entra ID with the client credentials flow.
 */
export async function fetchWithMsal(config: Config, scope: string, deps: MsalDeps): Promise<CachedToken> {
  if (config.credential.kind === 'managed_identity') return fetchWithManagedIdentity(config, scope, deps);
  let lastAssertionError: ActionError | undefined;
  const c = config.credential;
  const credential =
    c.kind === 'secret'
      ? { clientSecret: c.secret }
      : c.kind === 'workload_identity'
        ? {
            // a callback, so that the file is read at each token request (the kubelet rotates it)
            clientAssertion: async (): Promise<string> => {
              try {
                return readFederatedToken(c, (s) => deps.addSecret?.(s)).token;
              } catch (err) {
                if (err instanceof ActionError) lastAssertionError = err;
                throw err;
              }
            },
          }
        : await (async () => {
            const cert = parseClientCertificate(c.kind === 'certificate' ? c.pem : '');
            if (cert.notAfter.getTime() < Date.now()) deps.log.warn(`The client certificate expired on ${cert.notAfter.toISOString()}; Entra ID will refuse it.`);
            return { clientCertificate: { thumbprintSha256: cert.thumbprintSha256, privateKey: cert.privateKeyPem } };
          })();

  const host = new URL(config.loginUrl).host;
  const authority = `${config.loginUrl}/${config.tenantId}`;
  let lastTransportError: TransportError | undefined;
  let lastErrorResponse: { status: number; body: string } | undefined;
  let lastShapeError: ActionError | undefined;
  const at: Answered = { api: `Entra ID (${config.loginUrl})`, label: 'the token request' };
  const send = async (method: 'GET' | 'POST', url: string, options?: NetworkOptions) => {
    const assertion = options?.body === undefined ? null : new URLSearchParams(options.body).get('client_assertion');
    if (assertion) deps.addSecret?.(assertion);
    try {
      const res = await deps.http.send({ method, url, ...(options?.headers ? { headers: options.headers } : {}), ...(options?.body !== undefined ? { body: options.body } : {}), idempotent: true, label: 'the token request' });
      if (res.status >= 400) lastErrorResponse = { status: res.status, body: res.body };
      let body: unknown = {};
      let parsed: unknown;
      try {
        parsed = res.body.trim() === '' ? undefined : JSON.parse(res.body);
        body = parsed ?? {};
      } catch {
        parsed = NOT_JSON;
        /* MSAL reports the status */
      }
      if (method === 'POST' && res.status >= 200 && res.status < 300) {
        // what MSAL would take: it uses a numeric access_token and an expires_in of "soon" as they come
        lastShapeError = checkTokenAnswer(parsed, at);
        if (lastShapeError) throw lastShapeError;
      }
      return { status: res.status, headers: res.headers, body };
    } catch (err) {
      if (err instanceof TransportError) lastTransportError = err;
      throw err;
    }
  };

  const msal = await import('@azure/msal-node');
  const app = new msal.ConfidentialClientApplication({
    auth: {
      clientId: config.clientId,
      authority,
      knownAuthorities: [host],
      authorityMetadata: JSON.stringify({
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
        issuer: `${authority}/v2.0`,
      }),
      cloudDiscoveryMetadata: JSON.stringify({
        tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      }),
      ...credential,
    },
    system: {
      networkClient: {
        sendGetRequestAsync: (url: string, options?: NetworkOptions) => send('GET', url, options),
        sendPostRequestAsync: (url: string, options?: NetworkOptions) => send('POST', url, options),
      } as never,
      disableInternalRetries: true,
      loggerOptions: { piiLoggingEnabled: false, logLevel: msal.LogLevel.Warning, loggerCallback: (_level, message) => deps.log.debug('MSAL', { message }) },
    },
  });
  try {
    const result = await app.acquireTokenByClientCredential({ scopes: [scope], skipCache: true });
    if (!result?.accessToken) throw new ActionError('AUTHENTICATION', 'Entra ID returned no access token.');
    if (typeof result.accessToken !== 'string') throw shapeError(at, `an access token that is ${kindOf(result.accessToken)}`, TOKEN_ANSWER);
    const expiresAt = result.expiresOn?.getTime() ?? Date.now() + 3_600_000;
    if (!Number.isFinite(expiresAt)) throw shapeError(at, 'an expiry that is not a time', TOKEN_ANSWER);
    return { accessToken: result.accessToken, expiresOn: Math.floor(expiresAt / 1000), scope, tokenType: result.tokenType || 'Bearer' };
  } catch (err) {
    // what the wire said comes first: MSAL may turn a refused request into an empty result or an error of its own
    if (lastAssertionError) throw lastAssertionError;
    if (lastShapeError) throw lastShapeError;
    if (lastTransportError) throw errorForTransport(lastTransportError);
    if (lastErrorResponse) {
      let body: TokenErrorBody = {};
      try {
        body = JSON.parse(lastErrorResponse.body) as TokenErrorBody;
      } catch {
        /* not JSON */
      }
      if (body.error_description || body.error_codes) throw errorForTokenResponse(lastErrorResponse.status, body, config, scope);
      throw errorForResponse({ status: lastErrorResponse.status, headers: {}, body: lastErrorResponse.body }, { label: 'the token request', api: `Entra ID (${config.loginUrl})`, ...(config.proxy ? { proxy: config.proxy.display } : {}) });
    }
    if (err instanceof ActionError) throw err;
    const e = err as { errorCode?: string; errorMessage?: string; message?: string };
    throw new ActionError('AUTHENTICATION', `The token request failed before reaching Entra ID: ${e.errorCode ?? ''} ${e.errorMessage ?? e.message ?? String(err)}`.trim());
  }
}
