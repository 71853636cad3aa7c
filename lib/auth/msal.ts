// The token request through @azure/msal-node, whose network client is our transport (so proxy, CA, verification,
// timeout and retries apply to it too). MSAL is given the authority and cloud-discovery metadata, so it sends nothing
// but the token request: no discovery calls, which also makes air-gapped and national-cloud tenants work.
//
// Built as its own bundle (dist/shared/msal.js) and loaded only when the token cache has no valid token: an action
// run with a cached token never parses MSAL.

import type { Config } from '../runtime/config';
import { ActionError } from '../runtime/errors';
import type { Logger } from '../runtime/log';
import { errorForResponse, errorForTransport, TransportError, type HttpClient } from '../http';
import type { CachedToken } from './cache';
import { parseClientCertificate } from './certificate';
import { errorForTokenResponse, type TokenErrorBody } from './errors';

export interface MsalDeps {
  http: HttpClient;
  log: Logger;
  /** registers a secret with the redactor: the client assertion MSAL signs for a certificate credential */
  addSecret?(secret: string): void;
}

type NetworkOptions = { headers?: Record<string, string>; body?: string };

/** One token request through MSAL, with our transport as its network client. */
export async function fetchWithMsal(config: Config, scope: string, deps: MsalDeps): Promise<CachedToken> {
  const credential =
    config.credential.kind === 'secret'
      ? { clientSecret: config.credential.secret }
      : await (async () => {
          const cert = parseClientCertificate(config.credential.kind === 'certificate' ? config.credential.pem : '');
          if (cert.notAfter.getTime() < Date.now()) deps.log.warn(`The client certificate expired on ${cert.notAfter.toISOString()}; Entra ID will refuse it.`);
          return { clientCertificate: { thumbprintSha256: cert.thumbprintSha256, privateKey: cert.privateKeyPem } };
        })();

  const host = new URL(config.loginUrl).host;
  const authority = `${config.loginUrl}/${config.tenantId}`;
  let lastTransportError: TransportError | undefined;
  let lastErrorResponse: { status: number; body: string } | undefined;
  const send = async (method: 'GET' | 'POST', url: string, options?: NetworkOptions) => {
    const assertion = options?.body === undefined ? null : new URLSearchParams(options.body).get('client_assertion');
    if (assertion) deps.addSecret?.(assertion);
    try {
      const res = await deps.http.send({ method, url, ...(options?.headers ? { headers: options.headers } : {}), ...(options?.body !== undefined ? { body: options.body } : {}), idempotent: true, label: 'the token request' });
      if (res.status >= 400) lastErrorResponse = { status: res.status, body: res.body };
      let body: unknown = {};
      try {
        body = JSON.parse(res.body);
      } catch {
        /* MSAL reports the status */
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
    const expiresOn = Math.floor((result.expiresOn?.getTime() ?? Date.now() + 3_600_000) / 1000);
    return { accessToken: result.accessToken, expiresOn, scope, tokenType: result.tokenType || 'Bearer' };
  } catch (err) {
    // what the wire said comes first: MSAL may turn a refused request into an empty result or an error of its own
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
