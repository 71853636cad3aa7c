// Entra ID access tokens for one API audience (the surface's scope; the configured API's by default): from the persistent cache when it holds a valid one (MSAL is not even
// loaded then), else from Entra ID or the platform's managed identity endpoint (msal.ts), written back to the cache
// under a lock shared by all processes. The four sign-in methods (M365D_AUTH) share this path.

import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Config } from '../runtime/config';
import type { Logger } from '../runtime/log';
import type { HttpClient } from '../http';
import { MIN_VALIDITY_SECONDS, TokenCache, type CachedToken } from './cache';

export interface TokenProvider {
  /** the scope tokens are requested for: the surface's audience plus /.default */
  readonly scope: string;
  /** a valid access token: from the cache when it has one, else from Entra ID */
  getToken(): Promise<string>;
  /** the API refused `token` (401): drop it from the cache and get another */
  renew(token: string): Promise<string>;
  /** for a managed identity, the source MSAL chooses on this host (IMDS, AppService, ...); else undefined */
  managedIdentitySource?(): Promise<string | undefined>;
}

export interface TokenProviderDeps {
  http: HttpClient;
  log: Logger;
  /** registers the token with the redactor */
  addSecret(secret: string): void;
  /** the scope to ask tokens for (lib/defender/surfaces.ts); default: the configured API root's origin plus /.default */
  scope?: string;
  /** for tests: how a token is fetched on a miss */
  fetchToken?: () => Promise<CachedToken>;
}


export const scopeFor = (config: Pick<Config, 'apiOrigin'>): string => `${config.apiOrigin}/.default`;

/** The platform variables that decide which managed identity endpoint MSAL asks (not the rotating header). */
const MI_ENDPOINT_VARIABLES = ['IDENTITY_ENDPOINT', 'IMDS_ENDPOINT', 'MSI_ENDPOINT', 'IDENTITY_SERVER_THUMBPRINT', 'AZURE_POD_IDENTITY_AUTHORITY_HOST'];

/**
 * The cache key: the method and everything that makes its token, so that a changed method or identity never reuses
 * another's token. A secret or certificate is part of it (a changed secret is tried, not trusted); a managed identity
 * is its id kind and value, this host (a state folder shared by two machines never hands one's identity to the
 * other) and the platform's endpoint; workload identity is the app and the token file's path, not the rotating token.
 */
export function cacheKey(config: Config, scope: string, env: NodeJS.ProcessEnv = process.env): string {
  const c = config.credential;
  const app = [config.loginUrl, config.tenantId.toLowerCase(), config.clientId.toLowerCase()];
  let parts: string[];
  switch (c.kind) {
    case 'secret':
      parts = [...app, c.secret];
      break;
    case 'certificate':
      parts = [...app, c.pem];
      break;
    case 'managed_identity':
      parts = [c.identity.kind, c.identity.kind === 'system' ? '' : c.identity.value.toLowerCase(), os.hostname(), ...MI_ENDPOINT_VARIABLES.map((n) => `${n}=${env[n] ?? ''}`)];
      break;
    case 'workload_identity':
      parts = [...app, path.resolve(c.tokenFile)];
      break;
  }
  const h = createHash('sha256');
  for (const part of [c.kind, scope, ...parts]) h.update(part).update('\u0000');
  return h.digest('hex').slice(0, 40);
}

export function createTokenProvider(config: Config, deps: TokenProviderDeps): TokenProvider {
  const scope = deps.scope ?? scopeFor(config);
  const cache = new TokenCache(config.stateDir, cacheKey(config, scope));
  const fetchToken =
    deps.fetchToken ??
    (() => {
      // a separate bundle in the package (see scripts/build.mjs), required only on a cache miss
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { fetchWithMsal } = require('./msal') as typeof import('./msal');
      return fetchWithMsal(config, scope, deps);
    });
  // the token of this run, so that the cache file is read once per process
  let current: CachedToken | undefined;
  const use = (token: CachedToken): string => {
    deps.addSecret(token.accessToken);
    current = token;
    return token.accessToken;
  };
  const fresh = async (rejected?: string): Promise<string> =>
    cache.withLock(async () => {
      const other = cache.read();
      if (other && other.accessToken !== rejected) return use(other); // another process fetched one meanwhile
      const token = await fetchToken();
      use(token);
      try {
        cache.write(token);
      } catch (err) {
        // the run has its token; only the next runs lose the cache
        deps.log.warn(`The token cache cannot be written, so every run will ask Entra ID for a token: ${(err as Error).message}`);
      }
      deps.log.debug('Access token acquired', { expires_on: new Date(token.expiresOn * 1000).toISOString(), scope });
      return token.accessToken;
    });
  return {
    scope,
    async getToken() {
      if (current && current.expiresOn * 1000 - Date.now() > MIN_VALIDITY_SECONDS * 1000) return current.accessToken;
      const cached = cache.read();
      return cached ? use(cached) : fresh();
    },
    async managedIdentitySource() {
      if (config.credential.kind !== 'managed_identity') return undefined;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { managedIdentitySource } = require('./msal') as typeof import('./msal');
      return managedIdentitySource(config, deps);
    },
    async renew(token) {
      current = undefined;
      cache.drop(token);
      deps.log.info('The API refused the cached access token; getting a new one');
      return fresh(token);
    },
  };
}
