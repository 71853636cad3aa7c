// One HTTP exchange on cross-fetch, with the configured TLS trust, proxy and per-request timeout.
// Retries are not here: see retry.ts, which wraps this.

import * as http from 'node:http';
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import * as https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import * as net from 'node:net';
import * as tls from 'node:tls';
import fetch from 'cross-fetch';
import type { Config } from '../runtime/config';
import { isBranded } from '../runtime/errors';
import { readJsonBody, type JsonBody } from './json-stream';
import { proxyFor } from './proxy';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** may be sent again when it may already have been applied (default: every method but POST) */
  idempotent?: boolean;
  /** what the request does, for logs and messages: "list incidents" */
  label: string;
  /**
   * a managed identity endpoint (IMDS, App Service, Arc, ...): plain http is allowed, but only to a loopback or
   * link-local host (169.254.169.254, 127.0.0.1, localhost), and it never goes through the proxy
   */
  local?: boolean;
  /** a successful (2xx) answer is parsed as JSON as it arrives (json-stream.ts) into `json`, and `body` is '' */
  json?: boolean;
}

export interface HttpResponse {
  status: number;
  /** lower-case names */
  headers: Record<string, string>;
  body: string;
  /** the parsed answer, for a request with `json` that succeeded */
  json?: JsonBody;
}

/** 'proxy': the proxy refused the tunnel for a reason a retry does not change (a 4xx answer to CONNECT) */
export type TransportErrorKind = 'timeout' | 'network' | 'tls' | 'proxy' | 'aborted';

const TRANSPORT_ERROR = Symbol.for('m365d-soar.TransportError');

/** A request that got no complete HTTP response. `instanceof` holds across bundles, as for ActionError. */
export class TransportError extends Error {
  readonly [TRANSPORT_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, TRANSPORT_ERROR);
  }

  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    /** false when the request certainly never reached the server (refused, DNS, TLS): always safe to send again */
    readonly maybeSent: boolean,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface Transport {
  send(request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse>;
}

/** Error codes of a connection that never carried the request. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/;

/**
 * The TLS trust of every connection: Node's default roots plus M365D_CA_CERTIFICATE. The extra certificates are added
 * to a context made from the defaults, as Node's own createSecureContext does for `ca`: passing
 * `ca: [...tls.rootCertificates, extra]` would re-parse every root and cost some 25 ms per process.
 */
const contexts = new WeakMap<object, tls.SecureContext>();

export function secureContextFor(config: Pick<Config, 'caCertificates'>): tls.SecureContext {
  const made = contexts.get(config);
  if (made) return made;
  const context = tls.createSecureContext({});
  if (config.caCertificates) {
    const blocks = config.caCertificates.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const native = (context as unknown as { context: { addCACert(pem: string): void } }).context;
    for (const pem of blocks) native.addCACert(pem);
  }
  contexts.set(config, context);
  return context;
}

/** A TLS connection opened ahead of the first request (preconnect), waiting for the agent of the same configuration. */
interface Warm {
  config: Config;
  key: string;
  socket: tls.TLSSocket;
}
let warm: Warm | undefined;

const connectKey = (host: string, port: number): string => `${host.replace(/^\[|\]$/g, '').toLowerCase()}:${port}`;
const tlsTrust = (config: Config) => ({ secureContext: secureContextFor(config), rejectUnauthorized: config.verifySsl });

/**
 * Opens the TLS connection to the API host now, so that its DNS lookup, TCP and TLS handshakes go on while the run
 * reads its input, validates it and finds its token; the first request to that host then takes it (an agent of the
 * same configuration, see createTransport). Only without a proxy for that host; nothing is written on the connection
 * but the TLS handshake, with the same trust and server name as the request's own connection would use. A connection
 * that fails or closes before it is used is dropped silently, and the request opens its own.
 */
export function preconnect(config: Config): void {
  if (warm) return;
  const url = new URL(config.apiUrl);
  if (url.protocol !== 'https:' || proxyFor(config, url)) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  const socket = tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...tlsTrust(config) });
  socket.on('error', () => socket.destroy());
  socket.unref(); // a run that ends before its first request does not wait for it
  warm = { config, key: connectKey(host, port), socket };
}

/** The warm connection for this configuration and host, once, if it is still open. */
function takeWarm(config: Config, host: string, port: number): tls.TLSSocket | undefined {
  if (!warm || warm.config !== config || warm.key !== connectKey(host, port)) return undefined;
  const { socket } = warm;
  warm = undefined;
  socket.removeAllListeners('error');
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return undefined;
  }
  socket.ref();
  return socket;
}

/** The agent of direct connections: Node's keep-alive https.Agent, which takes the preconnected socket first. */
class DirectAgent extends https.Agent {
  constructor(private readonly config: Config) {
    super({ keepAlive: true, ...tlsTrust(config) });
  }

  override createConnection(options: tls.ConnectionOptions, callback?: (err: Error | null, socket: net.Socket) => void): net.Socket {
    const socket = takeWarm(this.config, String(options.host ?? 'localhost'), Number(options.port ?? 443));
    if (socket) return socket;
    // https.Agent's own (TLS session reuse included)
    return (https.Agent.prototype as unknown as { createConnection(o: unknown, cb?: unknown): net.Socket }).createConnection.call(this, options, callback);
  }
}

function describeNetworkError(err: NodeJS.ErrnoException, url: URL, config: Config, local = false): TransportError {
  const code = err.code ?? (/premature close/i.test(err.message) ? 'ERR_STREAM_PREMATURE_CLOSE' : undefined);
  const where = `${url.host}${!local && config.proxy && proxyFor(config, url) ? ` through the proxy ${config.proxy.display}` : ''}`;
  if (code && TLS_CODES.test(code)) {
    return new TransportError('tls', `The TLS certificate of ${where} was not accepted (${code}); if a proxy inspects TLS, put its CA in M365D_CA_CERTIFICATE.`, false, code);
  }
  if (code && NOT_SENT.has(code)) return new TransportError('network', `Could not connect to ${where} (${code}).`, false, code);
  if (code === 'ERR_STREAM_PREMATURE_CLOSE') return new TransportError('network', `The connection to ${where} closed before the whole response arrived.`, true, code);
  return new TransportError('network', `The connection to ${where} failed (${code ?? err.message}).`, true, code);
}

/** What a proxy answered to CONNECT (https-proxy-agent's `proxyConnect` event on the request). */
interface ProxyAnswer {
  statusCode: number;
  statusText: string;
}

/**
 * A per-request stand-in for a shared agent, so that one request's response can be watched: node-fetch 2 (inside
 * cross-fetch) never notices a body cut short by a closed connection and would wait for the whole timeout. The
 * stand-in inherits everything from the shared agent (so the connection pool is shared) and only sees the request go by.
 * It also hears the proxy's answer to CONNECT: https-proxy-agent replays a refusal (502, 403, 407 ...) as if it were the
 * destination's response, which must not be taken for an answer of Microsoft's.
 */
function watchingAgent(shared: https.Agent, onIncomplete: () => void, onProxyAnswer: (answer: ProxyAnswer) => void): https.Agent {
  return Object.create(shared, {
    addRequest: {
      value(req: ClientRequest, options: RequestOptions) {
        req.once('response', (res: IncomingMessage) => res.once('close', () => { if (!res.complete) onIncomplete(); }));
        req.once('proxyConnect', (answer: { statusCode?: unknown; statusText?: unknown }) => {
          onProxyAnswer({ statusCode: Number(answer?.statusCode) || 0, statusText: typeof answer?.statusText === 'string' ? answer.statusText : '' });
        });
        return (shared as unknown as { addRequest(r: ClientRequest, o: RequestOptions): void }).addRequest(req, options);
      },
    },
  }) as https.Agent;
}

/**
 * The error for a proxy that would not open the tunnel: NETWORK naming the proxy (password hidden), the target and the
 * answer. The request never reached the destination. A 5xx (the proxy could not reach it) may pass, so it is retried
 * like a refused connection; a 4xx (credentials, a policy) is the same on every attempt.
 */
function proxyRefusal(answer: ProxyAnswer, url: URL, label: string, config: Config): TransportError {
  const proxy = config.proxy?.display ?? 'the proxy';
  const target = `${url.hostname}:${url.port || 443}`;
  // the reason phrase is the proxy's text: one short line of printable characters
  const reason = answer.statusText.replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, 60);
  const said = `${answer.statusCode}${reason ? ` ${reason}` : ''}`;
  if (answer.statusCode === 407) {
    return new TransportError('proxy', `The proxy ${proxy} asks for credentials (407 Proxy Authentication Required): check the user and password in the proxy URL.`, false, 'ERR_PROXY_AUTH');
  }
  if (answer.statusCode >= 500) {
    return new TransportError('network', `The proxy ${proxy} could not open a tunnel to ${target} for ${label} (it answered CONNECT with ${said}).`, false, 'ERR_PROXY_CONNECT');
  }
  return new TransportError('proxy', `The proxy ${proxy} refused a tunnel to ${target} for ${label} (it answered CONNECT with ${said}).`, false, 'ERR_PROXY_CONNECT');
}

/**
 * The body as text, decoded as it arrives (node-fetch's text() holds every chunk, then their concatenation, then the
 * string made of it). A stream error (the connection closed or the request aborted) rejects, as text() does.
 */
export function readText(body: NodeJS.ReadableStream | null): Promise<string> {
  if (!body) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    const parts: string[] = [];
    body.on('data', (chunk: Buffer | string) => parts.push(typeof chunk === 'string' ? chunk : decoder.write(chunk)));
    body.once('error', reject);
    body.once('end', () => {
      parts.push(decoder.end());
      resolve(parts.join(''));
    });
  });
}

/** A loopback or link-local host: where the managed identity endpoints of Azure's platforms live. */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (net.isIPv4(h)) return h.startsWith('127.') || h.startsWith('169.254.');
  return net.isIPv6(h) && /^fe[89ab][0-9a-f]:/.test(h);
}

export function createTransport(config: Config): Transport {
  let direct: https.Agent | undefined;
  let tunnel: https.Agent | undefined;
  let plain: http.Agent | undefined;
  const agentFor = (url: URL, local: boolean): https.Agent => {
    if (local && url.protocol === 'http:') return (plain ??= new http.Agent({ keepAlive: false })) as unknown as https.Agent;
    if (!local && proxyFor(config, url)) {
      if (!tunnel) {
        // loaded only when a proxy is in use (a separate bundle in the package, see scripts/build.mjs)
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { createTunnelAgent } = require('./tunnel') as typeof import('./tunnel');
        tunnel = createTunnelAgent(config.proxy!.url, tlsTrust(config));
      }
      return tunnel;
    }
    direct ??= new DirectAgent(config);
    return direct;
  };

  return {
    async send(request, signal) {
      const url = new URL(request.url);
      const local = request.local === true;
      if (local && !isLocalHost(url.hostname)) throw new TransportError('network', `Refusing to send ${request.label} to ${url.host}: a managed identity endpoint must be on this host or its link-local address.`, false);
      if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) throw new TransportError('network', `Refusing to send ${request.label} over ${url.protocol}//.`, false);
      const controller = new AbortController();
      let timedOut = false;
      let incomplete = false;
      let proxyAnswer: ProxyAnswer | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, config.timeoutMs);
      const onAbort = () => controller.abort();
      if (signal?.aborted) controller.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const res = await fetch(url.href, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: controller.signal,
          redirect: 'manual',
          agent: watchingAgent(
            agentFor(url, local),
            () => {
              incomplete = true;
              controller.abort();
            },
            (answer) => (proxyAnswer = answer),
          ),
        } as RequestInit & { agent: https.Agent });
        if (proxyAnswer && proxyAnswer.statusCode !== 200) {
          (res.body as unknown as NodeJS.ReadableStream | null)?.resume();
          throw proxyRefusal(proxyAnswer, url, request.label, config);
        }
        const stream = res.body as unknown as NodeJS.ReadableStream | null;
        const headers: Record<string, string> = {};
        res.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
        if (request.json && res.status >= 200 && res.status <= 299) return { status: res.status, headers, body: '', json: await readJsonBody(stream) };
        return { status: res.status, headers, body: await readText(stream) };
      } catch (err) {
        if (err instanceof TransportError) throw err;
        if (incomplete) throw new TransportError('network', `The connection to ${url.host} closed before the whole answer to ${request.label} arrived.`, true, 'ERR_STREAM_PREMATURE_CLOSE');
        if (timedOut) throw new TransportError('timeout', `${request.label} got no complete answer from ${url.host} within ${config.timeoutMs / 1000} s (M365D_TIMEOUT).`, true, 'ETIMEDOUT');
        if (controller.signal.aborted) throw new TransportError('aborted', `${request.label} was cancelled.`, true);
        throw describeNetworkError(err as NodeJS.ErrnoException, url, config, local);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}
