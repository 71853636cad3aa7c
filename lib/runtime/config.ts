// The integration's configuration from the M365D_* environment variables (CONTRACT.md section 3).
// Pure: takes the environment as an argument; every problem is a CONFIGURATION error that names the variable and
// what would be valid, found before any network call. Secret values are never put into a message.

import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configurationError } from './errors';
import { LOG_LEVELS, type LogLevel } from './log';
import { DAMAGED_PEM_HINT, isBase64, pemLabelText, splitPemBlocks, unmanglePem } from './pem';
import { parseAuth, PLATFORM_SECRET_VARIABLES, type Credential } from './auth-config';

export type Env = Readonly<Record<string, string | undefined>>;

export type Cloud = 'Worldwide' | 'GCC' | 'GCC High' | 'DoD';
export type ApiFlavor = 'graph' | 'defender';

export interface CloudPreset {
  apiUrl: string;
  loginUrl: string;
  /** the Defender for Endpoint API root (machines, machine actions, indicators) */
  endpointApiUrl: string;
}

/**
 * Defaults of each cloud (Microsoft: defender-xdr/usgov.md, graph concepts/deployments.md; the Defender for Endpoint
 * API: defender-endpoint/api/exposed-apis-list.md for Worldwide, defender-endpoint/gov.md "API" for GCC, GCC High and
 * DoD).
 */
export const CLOUD_PRESETS: Readonly<Record<Cloud, CloudPreset>> = {
  Worldwide: { apiUrl: 'https://graph.microsoft.com', loginUrl: 'https://login.microsoftonline.com', endpointApiUrl: 'https://api.security.microsoft.com' },
  GCC: { apiUrl: 'https://graph.microsoft.com', loginUrl: 'https://login.microsoftonline.com', endpointApiUrl: 'https://api-gcc.securitycenter.microsoft.us' },
  'GCC High': { apiUrl: 'https://graph.microsoft.us', loginUrl: 'https://login.microsoftonline.us', endpointApiUrl: 'https://api-gov.securitycenter.microsoft.us' },
  DoD: { apiUrl: 'https://dod-graph.microsoft.us', loginUrl: 'https://login.microsoftonline.us', endpointApiUrl: 'https://api-gov.securitycenter.microsoft.us' },
};

export const GRAPH_HOSTS: ReadonlySet<string> = new Set(['graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us']);

/** Defender XDR API hosts: api.security.microsoft.com, api-us./api-eu./api-uk., us./eu./... .api., api-gcc./api-gov.security.microsoft.us */
const DEFENDER_HOST = /^(?:[a-z0-9-]+\.)?api(?:-[a-z0-9]+)?\.security\.microsoft\.(?:com|us)$/;

export type { AuthMethod, Credential, ManagedIdentityId } from './auth-config';

export interface ProxyConfig {
  /** the proxy URL, credentials included (secret: never log it; use `display`) */
  url: string;
  /** the URL with the password replaced, for messages */
  display: string;
  /** which variable it came from */
  from: 'M365D_PROXY_URL' | 'HTTPS_PROXY' | 'https_proxy';
}

export interface Config {
  cloud: Cloud;
  /** API root: https origin plus any path prefix, without a trailing slash (and without Graph's /v1.0 or Defender's /api) */
  apiUrl: string;
  apiOrigin: string;
  apiHost: string;
  apiFlavor: ApiFlavor;
  /**
   * The Defender for Endpoint API root (M365D_ENDPOINT_API_URL, else the cloud's): https origin plus any path prefix,
   * without a trailing slash and without /api (calls add /api/machines...)
   */
  endpointApiUrl: string;
  endpointApiOrigin: string;
  /** M365D_ACTION_TIMEOUT: the seconds the engine gives the run (its own kill timer), when it says so */
  actionTimeoutSeconds?: number;
  /** Entra ID authority host as an https origin, without the tenant */
  loginUrl: string;
  /** the tenant ('' for a managed identity configured without one) */
  tenantId: string;
  /** the app's client id ('' for a managed identity not named by its client id) */
  clientId: string;
  /** how the package signs in (M365D_AUTH, auth-config.ts) */
  credential: Credential;
  verifySsl: boolean;
  /** extra trusted CA certificates, PEM text */
  caCertificates?: string;
  proxy?: ProxyConfig;
  /** NO_PROXY entries (only when the proxy comes from HTTPS_PROXY) */
  noProxy: string[];
  timeoutMs: number;
  stateDir: string;
  logLevel: LogLevel;
  /** things worth a warning in the log (e.g. TLS verification off) */
  warnings: string[];
}


/** An env value, trimmed; empty counts as unset (marketplace forms send blank fields as ""). */
export function value(env: Env, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** A short, safe rendering of a non-secret value for an error message. */
export function show(v: string): string {
  return JSON.stringify(v.length > 120 ? `${v.slice(0, 117)}...` : v);
}

export function parseCloud(raw: string | undefined): Cloud {
  if (raw === undefined) return 'Worldwide';
  const key = raw.replace(/[\s_-]+/g, '').toLowerCase();
  const found = (Object.keys(CLOUD_PRESETS) as Cloud[]).find((c) => c.replace(/\s+/g, '').toLowerCase() === key);
  if (!found) throw configurationError(`M365D_CLOUD ${show(raw)} is not a cloud; valid: ${Object.keys(CLOUD_PRESETS).join(', ')}.`);
  return found;
}

/** Parses a URL given with or without https:// and a trailing slash; only https is accepted. */
export function parseHttpsUrl(name: string, raw: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw configurationError(`${name} ${show(raw)} is not a URL; give a host such as graph.microsoft.com or https://graph.microsoft.com.`);
  }
  if (url.protocol !== 'https:') throw configurationError(`${name} ${show(raw)} must use https:// (tokens are never sent over plain http).`);
  if (url.username || url.password) throw configurationError(`${name} must not carry a user name or password.`);
  if (url.search || url.hash) throw configurationError(`${name} ${show(raw)} must not have a query or fragment.`);
  if (!url.hostname) throw configurationError(`${name} ${show(raw)} has no host.`);
  return url;
}

export function flavorOfHost(host: string): ApiFlavor | undefined {
  const h = host.toLowerCase();
  if (GRAPH_HOSTS.has(h)) return 'graph';
  if (DEFENDER_HOST.test(h)) return 'defender';
  return undefined;
}

function parseFlavor(raw: string | undefined): ApiFlavor | undefined {
  if (raw === undefined) return undefined;
  const f = raw.toLowerCase();
  if (f === 'graph' || f === 'defender') return f;
  throw configurationError(`M365D_API_FLAVOR ${show(raw)} is not an API family; valid: graph, defender.`);
}

function parseApi(env: Env, cloud: Cloud): Pick<Config, 'apiUrl' | 'apiOrigin' | 'apiHost' | 'apiFlavor'> {
  const raw = value(env, 'M365D_API_URL') ?? CLOUD_PRESETS[cloud].apiUrl;
  const url = parseHttpsUrl('M365D_API_URL', raw);
  const forced = parseFlavor(value(env, 'M365D_API_FLAVOR'));
  const byHost = flavorOfHost(url.hostname);
  if (byHost && forced && byHost !== forced) {
    throw configurationError(`M365D_API_FLAVOR is ${forced}, but ${url.hostname} is a ${byHost === 'graph' ? 'Microsoft Graph' : 'Defender XDR'} host; leave M365D_API_FLAVOR empty or set it to ${byHost}.`);
  }
  const flavor = byHost ?? forced;
  if (!flavor) {
    throw configurationError(`M365D_API_URL host ${url.hostname} is neither a Microsoft Graph host (${[...GRAPH_HOSTS].join(', ')}) nor a Defender XDR host (api.security.microsoft.com, ...); set M365D_API_FLAVOR to graph or defender.`);
  }
  let p = url.pathname.replace(/\/+$/, '');
  // the API root, not a versioned path: a pasted Graph /v1.0 or Defender /api is dropped
  if (flavor === 'graph') {
    if (/\/beta$/i.test(p)) throw configurationError('M365D_API_URL points at Graph /beta; this package uses Graph v1.0: give the root, e.g. https://graph.microsoft.com.');
    p = p.replace(/\/v1\.0$/i, '');
  } else {
    p = p.replace(/\/api$/i, '');
  }
  return { apiUrl: `${url.origin}${p}`, apiOrigin: url.origin, apiHost: url.host, apiFlavor: flavor };
}

/** M365D_ENDPOINT_API_URL, as M365D_API_URL is read: https only, a pasted /api (or /api/v1.0) dropped. */
function parseEndpointApi(env: Env, cloud: Cloud): Pick<Config, 'endpointApiUrl' | 'endpointApiOrigin'> {
  const raw = value(env, 'M365D_ENDPOINT_API_URL') ?? CLOUD_PRESETS[cloud].endpointApiUrl;
  const url = parseHttpsUrl('M365D_ENDPOINT_API_URL', raw);
  const p = url.pathname.replace(/\/+$/, '').replace(/\/api(?:\/v1\.0)?$/i, '');
  return { endpointApiUrl: `${url.origin}${p}`, endpointApiOrigin: url.origin };
}

/** M365D_ACTION_TIMEOUT: a positive whole number of seconds, or unset. */
export function parseActionTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw configurationError(`M365D_ACTION_TIMEOUT ${show(raw)} is not a positive whole number of seconds (the time the engine gives this run, e.g. 300).`);
  }
  return n;
}

/**
 * The seconds a run has (CONTRACT.md section 3, M365D_ACTION_TIMEOUT): the lesser of the manifest's timeout_seconds and
 * the time the engine gives the run, so that every wait ends with a result before the engine's own kill.
 */
export function runSeconds(manifestSeconds: number, engineSeconds: number | undefined): { seconds: number; because?: string } {
  return engineSeconds !== undefined && engineSeconds <= manifestSeconds ? { seconds: engineSeconds, because: 'M365D_ACTION_TIMEOUT' } : { seconds: manifestSeconds };
}

function parseLogin(env: Env, cloud: Cloud, fallback?: { variable: string; raw: string }): string {
  const name = value(env, 'M365D_LOGIN_URL') === undefined && fallback ? fallback.variable : 'M365D_LOGIN_URL';
  const raw = value(env, 'M365D_LOGIN_URL') ?? fallback?.raw ?? CLOUD_PRESETS[cloud].loginUrl;
  const url = parseHttpsUrl(name, raw);
  if (url.pathname.replace(/\/+$/, '') !== '') {
    throw configurationError(`${name} ${show(raw)} must be the authority host only, without the tenant or a path, e.g. https://login.microsoftonline.com.`);
  }
  return url.origin;
}

/**
 * PEM text, or the path of a file holding it. The value is never echoed: it may be a secret, or a secret pasted into
 * the wrong field.
 */
export function readPem(env: Env, name: string, readFile: (p: string) => string): { pem: string; source: 'text' | 'file' } | undefined {
  const v = value(env, name);
  if (v === undefined) return undefined;
  if (v.includes('-----BEGIN')) return { pem: v, source: 'text' };
  if (v.includes('\n') || v.length > 4096) {
    throw configurationError(`${name} is neither PEM text (with -----BEGIN ... lines) nor a file path.`);
  }
  let text: string;
  try {
    text = readFile(v);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw configurationError(`${name} is not PEM text, and the file it names cannot be read (${code}).`);
  }
  if (!text.includes('-----BEGIN')) throw configurationError(`${name} names a file that holds no PEM block (-----BEGIN ...).`);
  return { pem: text, source: 'file' };
}

const CA_GIVE = 'give the PEM text of the CA certificates to trust (-----BEGIN CERTIFICATE----- blocks), or the path of a file holding them';

/**
 * M365D_CA_CERTIFICATE's text as the certificates it holds, each parsed with node:crypto (X509Certificate) now, so
 * that a damaged one is a CONFIGURATION error before any connection rather than a TLS failure later (Node's TLS
 * context silently skips a certificate it cannot read). Returns them as PEM, one block each, repaired where a form
 * field mangled the text. A private key or any other block is refused.
 */
export function parseCaCertificates(text: string): string {
  const blocks = splitPemBlocks(unmanglePem(text), 'M365D_CA_CERTIFICATE', CA_GIVE);
  const certificates: string[] = [];
  blocks.forEach((block, i) => {
    if (block.label.endsWith('PRIVATE KEY')) throw configurationError(`M365D_CA_CERTIFICATE holds a private key, which does not belong there: ${CA_GIVE}.`);
    if (block.label !== 'CERTIFICATE' && block.label !== 'X509 CERTIFICATE') {
      throw configurationError(`M365D_CA_CERTIFICATE holds a ${pemLabelText(block.label)} block, which is not a certificate: ${CA_GIVE}.`);
    }
    let cert: X509Certificate | undefined;
    try {
      if (isBase64(block.base64)) cert = new X509Certificate(block.pem.replace(/X509 CERTIFICATE-----/g, 'CERTIFICATE-----'));
    } catch {
      /* refused below */
    }
    if (!cert) {
      const which = blocks.length > 1 ? ` (block ${i + 1} of ${blocks.length})` : '';
      throw configurationError(`M365D_CA_CERTIFICATE has a certificate that cannot be read${which}: ${DAMAGED_PEM_HINT}.`);
    }
    certificates.push(cert.toString());
  });
  if (certificates.length === 0) throw configurationError(`M365D_CA_CERTIFICATE holds no certificate (-----BEGIN CERTIFICATE-----): ${CA_GIVE}.`);
  return certificates.join('');
}

export function parseBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(v)) return true;
  if (['false', 'no', '0', 'off'].includes(v)) return false;
  throw configurationError(`${name} ${show(raw)} is not a boolean; valid: true, false.`);
}

/** Proxy URL with its password hidden, for messages. */
function displayProxy(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '****';
  return copy.href.replace(/\/$/, '');
}

function parseProxy(env: Env): { proxy?: ProxyConfig; noProxy: string[] } {
  const explicit = value(env, 'M365D_PROXY_URL');
  const fromEnv: Array<['M365D_PROXY_URL' | 'HTTPS_PROXY' | 'https_proxy', string | undefined]> = [
    ['M365D_PROXY_URL', explicit],
    ['HTTPS_PROXY', value(env, 'HTTPS_PROXY')],
    ['https_proxy', value(env, 'https_proxy')],
  ];
  const found = fromEnv.find(([, v]) => v !== undefined);
  if (!found) return { noProxy: [] };
  const [from, raw] = found as [ProxyConfig['from'], string];
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw configurationError(`${from} is not a URL; give http://host:port or http://user:password@host:port.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configurationError(`${from} must be an http:// or https:// proxy URL (got ${url.protocol}//).`);
  if (!url.hostname) throw configurationError(`${from} has no host.`);
  if (url.pathname.replace(/\/+$/, '') !== '' || url.search) throw configurationError(`${from} must be http(s)://[user:password@]host:port, without a path (${displayProxy(url)}).`);
  const noProxyRaw = from === 'M365D_PROXY_URL' ? undefined : (value(env, 'NO_PROXY') ?? value(env, 'no_proxy'));
  const noProxy = noProxyRaw ? noProxyRaw.split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean) : [];
  return { proxy: { url: url.href.replace(/\/$/, ''), display: displayProxy(url), from }, noProxy };
}

function parseTimeout(raw: string | undefined): number {
  if (raw === undefined) return 60_000;
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < 1 || n > 3600) throw configurationError(`M365D_TIMEOUT ${show(raw)} is not a number of seconds from 1 to 3600.`);
  return Math.round(n * 1000);
}

function parseLogLevel(raw: string | undefined): LogLevel {
  if (raw === undefined) return 'info';
  const v = raw.toLowerCase() === 'warning' ? 'warn' : raw.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw configurationError(`M365D_LOG_LEVEL ${show(raw)} is not a log level; valid: ${LOG_LEVELS.join(', ')}.`);
}

/** The user's cache folder: $XDG_CACHE_HOME or ~/.cache (Linux), ~/Library/Caches (macOS), %LOCALAPPDATA% (Windows). */
export function defaultStateDir(env: Env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  let base: string;
  if (platform === 'win32') base = value(env, 'LOCALAPPDATA') ?? path.join(home, 'AppData', 'Local');
  else if (platform === 'darwin') base = path.join(home, 'Library', 'Caches');
  else base = value(env, 'XDG_CACHE_HOME') ?? path.join(home, '.cache');
  return path.join(base, 'm365d-soar');
}

export interface ConfigDeps {
  readFile?: (p: string) => string;
  platform?: NodeJS.Platform;
  home?: string;
}

/** The secret values in the environment, to register with the redactor before anything can fail. */
export function secretsIn(env: Env): string[] {
  const out: string[] = [];
  for (const name of ['M365D_CLIENT_SECRET', 'M365D_CLIENT_CERTIFICATE', ...PLATFORM_SECRET_VARIABLES]) {
    const v = value(env, name);
    if (v) out.push(v);
  }
  for (const name of ['M365D_PROXY_URL', 'HTTPS_PROXY', 'https_proxy']) {
    const v = value(env, name);
    const m = v ? /^[^:/]*:\/\/[^:@/]*:([^@/]*)@/.exec(v) ?? /^[^:@/]*:([^@/]*)@/.exec(v) : null;
    if (m?.[1]) {
      out.push(m[1]);
      try {
        out.push(decodeURIComponent(m[1]));
      } catch {
        /* not percent-encoded */
      }
    }
  }
  return out;
}

export function loadConfig(env: Env, deps: ConfigDeps = {}): Config {
  const readFile = deps.readFile ?? ((p: string) => fs.readFileSync(p, 'utf8'));
  const warnings: string[] = [];
  const cloud = parseCloud(value(env, 'M365D_CLOUD'));
  const api = parseApi(env, cloud);
  const endpointApi = parseEndpointApi(env, cloud);
  const actionTimeoutSeconds = parseActionTimeout(value(env, 'M365D_ACTION_TIMEOUT'));
  const { credential, tenantId, clientId, loginFallback } = parseAuth(env, readFile);
  const loginUrl = parseLogin(env, cloud, loginFallback);
  const verifySsl = parseBoolean('M365D_VERIFY_SSL', value(env, 'M365D_VERIFY_SSL'), true);
  if (!verifySsl) warnings.push('M365D_VERIFY_SSL is false: server certificates are not verified, so the connection to Microsoft can be intercepted.');
  const ca = readPem(env, 'M365D_CA_CERTIFICATE', readFile);
  const caCertificates = ca ? parseCaCertificates(ca.pem) : undefined;
  const { proxy, noProxy } = parseProxy(env);

  return {
    cloud,
    ...api,
    ...endpointApi,
    ...(actionTimeoutSeconds !== undefined ? { actionTimeoutSeconds } : {}),
    loginUrl,
    tenantId,
    clientId,
    credential,
    verifySsl,
    ...(caCertificates ? { caCertificates } : {}),
    ...(proxy ? { proxy } : {}),
    noProxy,
    timeoutMs: parseTimeout(value(env, 'M365D_TIMEOUT')),
    stateDir: path.resolve(value(env, 'M365D_STATE_DIR') ?? defaultStateDir(env, deps.platform, deps.home)),
    logLevel: parseLogLevel(value(env, 'M365D_LOG_LEVEL')),
    warnings,
  };
}

/** What can be logged of a configuration: no secret, no credentials. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    cloud: config.cloud,
    api_url: config.apiUrl,
    api_flavor: config.apiFlavor,
    endpoint_api_url: config.endpointApiUrl,
    login_url: config.loginUrl,
    tenant_id: config.tenantId,
    client_id: config.clientId,
    credential: config.credential.kind,
    ...(config.credential.kind === 'managed_identity' ? { managed_identity: config.credential.identity.kind === 'system' ? 'system-assigned' : `user-assigned (${config.credential.identity.variable})` } : {}),
    ...(config.credential.kind === 'workload_identity' ? { federated_token_file: `${config.credential.tokenFile} (${config.credential.tokenFileVariable})` } : {}),
    verify_ssl: config.verifySsl,
    ca_certificate: config.caCertificates ? 'set' : 'unset',
    proxy: config.proxy ? `${config.proxy.display} (from ${config.proxy.from})` : 'none',
    timeout_seconds: config.timeoutMs / 1000,
    action_timeout_seconds: config.actionTimeoutSeconds,
    state_dir: config.stateDir,
    log_level: config.logLevel,
  };
}
