// A real HTTP CONNECT proxy on 127.0.0.1 for tests (node:net/http/https only). It tunnels CONNECT host:port only to
// loopback targets (127.0.0.1 or localhost), or to the loopback port `hosts` maps a name to (a test reaching the
// emulator as graph.microsoft.com): anything else is refused with 403 before any connection is attempted, so a test can
// never reach out. Optional Basic proxy authentication (407 + `Proxy-Authenticate: Basic realm="test"`
// without valid credentials), optional TLS on the proxy's own listener (an HTTPS proxy), and an optional fixed answer to
// every authorized CONNECT (e.g. 502, a proxy that cannot reach the target) instead of a tunnel. Plain-HTTP requests in
// absolute form (`GET http://127.0.0.1:PORT/path`) are forwarded under the same rules and recorded in `requests`.
// close() destroys every socket it holds, client side and upstream, so mocha exits by itself.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';

export interface ProxyOptions {
  /** require `Proxy-Authorization: Basic base64(user:password)` */
  auth?: { user: string; password: string };
  /** listen with TLS (an HTTPS proxy): PEM key and certificate */
  tls?: { key: string; cert: string };
  /** answer every authorized CONNECT with this status (e.g. 502 Bad Gateway) instead of opening a tunnel */
  connectStatus?: number;
  /**
   * CONNECT targets ("graph.microsoft.com:443") tunnelled to a port on 127.0.0.1 instead: a test reaches the emulator
   * under Microsoft's host names. The names are never resolved or connected to; any other name is still refused.
   */
  hosts?: Record<string, number>;
}

export interface ProxyConnect {
  /** the CONNECT target as the client sent it, e.g. "127.0.0.1:8443" */
  target: string;
  /** valid credentials were presented (always true when the proxy has no `auth`) */
  authorized: boolean;
  /** Date.now() when the CONNECT arrived */
  time: number;
  /** what the proxy answered: 200 (tunnel open), 400, 403 (not loopback), 407 (no or bad credentials), 502 (upstream failed), or `connectStatus` */
  status: number;
}

export interface ProxyRequest {
  method: string;
  url: string;
  authorized: boolean;
  time: number;
  status: number;
}

export interface TestProxy {
  /** http://127.0.0.1:PORT, or https://127.0.0.1:PORT with `tls` */
  url: string;
  port: number;
  /** every CONNECT received, in order, refused ones included */
  connects: ProxyConnect[];
  /** plain-HTTP forwards (absolute-form requests), if any */
  requests: ProxyRequest[];
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** host and port of "host:port" / "[v6]:port"; undefined when unparsable. */
function splitTarget(target: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(target);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2] ?? '').toLowerCase(), port };
}

function isAuthorized(header: string | string[] | undefined, auth: ProxyOptions['auth']): boolean {
  if (!auth) return true;
  if (typeof header !== 'string') return false;
  const m = /^\s*Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return false;
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  return decoded === `${auth.user}:${auth.password}`;
}

const REASONS: Record<number, string> = {
  200: 'Connection Established', 400: 'Bad Request', 403: 'Forbidden', 407: 'Proxy Authentication Required', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** Writes a minimal HTTP/1.1 answer on a raw (CONNECT) socket and closes it. */
function answerRaw(socket: Duplex, status: number, extraHeaders: string[] = []): void {
  const body = status === 200 ? '' : `${REASONS[status] ?? 'Error'}\n`;
  const head = [`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`, ...extraHeaders, 'Content-Type: text/plain', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', ''].join('\r\n');
  if (socket.destroyed || !socket.writable) return;
  socket.end(head + body);
}

export async function startProxy(options: ProxyOptions = {}): Promise<TestProxy> {
  const connects: ProxyConnect[] = [];
  const requests: ProxyRequest[] = [];
  const sockets = new Set<Duplex>();
  let closed = false;
  const track = (s: Duplex): void => {
    if (closed) { s.destroy(); return; }
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const challenge = ['Proxy-Authenticate: Basic realm="test"'];

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const record: ProxyRequest = { method: req.method ?? 'GET', url: req.url ?? '', authorized: isAuthorized(req.headers['proxy-authorization'], options.auth), time: Date.now(), status: 0 };
    requests.push(record);
    const refuse = (status: number, headers: Record<string, string> = {}): void => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close', ...headers });
      res.end(`${REASONS[status] ?? 'Error'}\n`);
    };
    if (!record.authorized) { refuse(407, { 'proxy-authenticate': 'Basic realm="test"' }); return; }
    let target: URL;
    try {
      target = new URL(record.url);
    } catch {
      refuse(400); return;
    }
    if (target.protocol !== 'http:') { refuse(400); return; }
    if (!LOOPBACK_HOSTS.has(target.hostname.toLowerCase())) { refuse(403); return; }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request({
      host: target.hostname, port: Number(target.port || 80), method: record.method, path: `${target.pathname}${target.search}`,
      headers, agent: false,
    }, (upRes) => {
      record.status = upRes.statusCode ?? 0;
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    upstream.on('socket', track);
    upstream.on('error', () => { if (!res.headersSent) refuse(502); else res.destroy(); });
    req.pipe(upstream);
  };

  const onConnect = (req: http.IncomingMessage, client: Duplex, head: Buffer): void => {
    track(client);
    client.on('error', () => client.destroy());
    const target = req.url ?? '';
    const record: ProxyConnect = { target, authorized: isAuthorized(req.headers['proxy-authorization'], options.auth), time: Date.now(), status: 0 };
    connects.push(record);
    const refuse = (status: number, extra: string[] = []): void => { record.status = status; answerRaw(client, status, extra); };
    if (!record.authorized) { refuse(407, challenge); return; }
    if (options.connectStatus !== undefined) { refuse(options.connectStatus); return; }
    const hp = splitTarget(target);
    if (!hp) { refuse(400); return; }
    const mapped = options.hosts?.[`${hp.host}:${hp.port}`];
    if (mapped === undefined && !LOOPBACK_HOSTS.has(hp.host)) { refuse(403); return; }

    const upstream = mapped !== undefined ? net.connect({ host: '127.0.0.1', port: mapped }) : net.connect({ host: hp.host === 'localhost' ? '127.0.0.1' : hp.host, port: hp.port });
    track(upstream);
    let established = false;
    upstream.once('connect', () => {
      if (client.destroyed) { upstream.destroy(); return; }
      established = true;
      record.status = 200;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      if (!established) refuse(502); else client.destroy();
      upstream.destroy();
    });
    upstream.on('close', () => { if (established) client.destroy(); });
    client.on('close', () => upstream.destroy());
  };

  const server: http.Server | https.Server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert })
    : http.createServer();
  server.on('request', onRequest);
  server.on('connect', onConnect);
  server.on('connection', (s: net.Socket) => { track(s); s.on('error', () => s.destroy()); });
  if (options.tls) server.on('tlsClientError', (_e: Error, s: Duplex) => s.destroy());
  server.on('clientError', (_e: Error, s: Duplex) => s.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    connects,
    requests,
    close: () => new Promise<void>((resolve) => {
      if (closed) { resolve(); return; }
      closed = true;
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      sockets.clear();
      server.closeAllConnections();
    }),
  };
}
