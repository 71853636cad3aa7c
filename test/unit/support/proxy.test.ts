// The loopback CONNECT proxy used by the transport tests: it tunnels to the in-process emulator (TLS end to end,
// trusting only the emulator's CA), records what it saw, asks for credentials when configured, refuses any
// non-loopback target without connecting anywhere, can itself listen with TLS, and closes every socket on close().
import * as http from 'node:http';
import * as https from 'node:https';
import net = require('node:net');
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { expect } from 'chai';
import * as sinon from 'sinon';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { startEmulator, type Emulator } from '../../emulator/emulator';
import { createPki } from '../../emulator/pki';
import { startProxy, type TestProxy } from '../../support/proxy';

interface ConnectAnswer { status: number; headers: http.IncomingHttpHeaders; socket: Duplex }

/** Sends CONNECT `target` to the proxy (over TLS when the proxy URL is https) and resolves with its answer. */
function connectThrough(proxyUrl: string, target: string, options: { headers?: Record<string, string>; proxyCa?: string } = {}): Promise<ConnectAnswer> {
  const u = new URL(proxyUrl);
  const base = { host: u.hostname, port: Number(u.port), method: 'CONNECT', path: target, headers: { host: target, ...options.headers }, agent: false as const };
  return new Promise((resolve, reject) => {
    const req = u.protocol === 'https:' ? https.request({ ...base, ca: options.proxyCa }) : http.request(base);
    req.on('connect', (res: http.IncomingMessage, socket: Duplex) => resolve({ status: res.statusCode ?? 0, headers: res.headers, socket }));
    // a refusal that closes the connection may arrive as a normal response on some node versions
    req.on('response', (res: http.IncomingMessage) => { res.resume(); resolve({ status: res.statusCode ?? 0, headers: res.headers, socket: res.socket }); });
    req.on('error', reject);
    req.end();
  });
}

/** GET `path` from the emulator over an established tunnel, TLS inside it, trusting only `ca`. */
function getOverTunnel(socket: Duplex, em: Emulator, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: em.port, path, method: 'GET', agent: false, ca: em.caPem,
      createConnection: () => tls.connect({ socket, ca: em.caPem, host: '127.0.0.1' }),
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function getWithAgent(url: string, agent: https.Agent, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { agent, ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('test support: loopback CONNECT proxy', function () {
  let em: Emulator;
  const proxies: TestProxy[] = [];
  const open = async (options?: Parameters<typeof startProxy>[0]): Promise<TestProxy> => {
    const p = await startProxy(options);
    proxies.push(p);
    return p;
  };

  before(async function () {
    em = await startEmulator({ port: 0, seed: 4, incidents: 3, quotas: false });
  });
  afterEach(async function () {
    sinon.restore();
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  after(async function () {
    await em.stop();
  });

  it('tunnels to the emulator: /_emulator/health over TLS through CONNECT, trusting only the emulator CA', async function () {
    const proxy = await open();
    expect(proxy.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const target = `127.0.0.1:${em.port}`;
    const answer = await connectThrough(proxy.url, target);
    expect(answer.status).to.equal(200);
    const r = await getOverTunnel(answer.socket, em, '/_emulator/health');
    answer.socket.destroy();
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.body)).to.be.an('object');
    expect(proxy.connects).to.have.length(1);
    expect(proxy.connects[0]).to.include({ target, authorized: true, status: 200 });
    expect(proxy.connects[0]?.time).to.be.a('number');
    expect(proxy.requests).to.deep.equal([]);
  });

  it('accepts "localhost" as a target too', async function () {
    const proxy = await open();
    const answer = await connectThrough(proxy.url, `localhost:${em.port}`);
    expect(answer.status).to.equal(200);
    const r = await getOverTunnel(answer.socket, em, '/_emulator/health');
    answer.socket.destroy();
    expect(r.status).to.equal(200);
    expect(proxy.connects.map((c) => c.target)).to.deep.equal([`localhost:${em.port}`]);
  });

  it('works with https-proxy-agent when the CA is given per request (constructor TLS options reach only the proxy)', async function () {
    const proxy = await open({ auth: { user: 'alice', password: 'p@ss word' } });
    const agent = new HttpsProxyAgent(`http://alice:${encodeURIComponent('p@ss word')}@127.0.0.1:${proxy.port}`);
    try {
      const r = await getWithAgent(`https://127.0.0.1:${em.port}/_emulator/health`, agent, em.caPem);
      expect(r.status).to.equal(200);
    } finally {
      agent.destroy();
    }
    expect(proxy.connects).to.have.length(1);
    expect(proxy.connects[0]).to.include({ target: `127.0.0.1:${em.port}`, authorized: true, status: 200 });
  });

  it('answers 407 with a Basic challenge without credentials or with wrong ones, and records it', async function () {
    const proxy = await open({ auth: { user: 'bob', password: 'secret' } });
    const target = `127.0.0.1:${em.port}`;
    const none = await connectThrough(proxy.url, target);
    none.socket.destroy();
    expect(none.status).to.equal(407);
    expect(none.headers['proxy-authenticate']).to.equal('Basic realm="test"');
    const wrong = await connectThrough(proxy.url, target, { headers: { 'proxy-authorization': basic('bob', 'nope') } });
    wrong.socket.destroy();
    expect(wrong.status).to.equal(407);
    const right = await connectThrough(proxy.url, target, { headers: { 'proxy-authorization': basic('bob', 'secret') } });
    expect(right.status).to.equal(200);
    const r = await getOverTunnel(right.socket, em, '/_emulator/health');
    right.socket.destroy();
    expect(r.status).to.equal(200);
    expect(proxy.connects.map((c) => [c.authorized, c.status])).to.deep.equal([[false, 407], [false, 407], [true, 200]]);
  });

  it('refuses a non-loopback target with 403 and attempts no connection', async function () {
    const proxy = await open();
    const connectSpy = sinon.spy(net, 'connect');
    const createSpy = sinon.spy(net, 'createConnection');
    for (const target of ['example.com:443', '10.0.0.1:443', '127.0.0.2:443', '[::1]:443', 'localhost.example.com:443']) {
      const answer = await connectThrough(proxy.url, target);
      answer.socket.destroy();
      expect(answer.status, target).to.equal(403);
    }
    // the only connections made are the test client's own, to the proxy
    const portOf = (args: unknown[]): unknown => (typeof args[0] === 'object' && args[0] !== null ? (args[0] as { port?: unknown }).port : args[0]);
    const elsewhere = [...connectSpy.getCalls(), ...createSpy.getCalls()].map((c) => portOf(c.args)).filter((p) => Number(p) !== proxy.port);
    expect(elsewhere, 'connections attempted to other ports').to.deep.equal([]);
    expect(proxy.connects.map((c) => c.status)).to.deep.equal([403, 403, 403, 403, 403]);
  });

  it('answers every authorized CONNECT with connectStatus (e.g. 502) without connecting to the target', async function () {
    const proxy = await open({ connectStatus: 502, auth: { user: 'bob', password: 'secret' } });
    const connectSpy = sinon.spy(net, 'connect');
    const target = `127.0.0.1:${em.port}`;
    const unauthorized = await connectThrough(proxy.url, target);
    unauthorized.socket.destroy();
    expect(unauthorized.status, 'credentials are asked for first').to.equal(407);
    const answer = await connectThrough(proxy.url, target, { headers: { 'proxy-authorization': basic('bob', 'secret') } });
    answer.socket.destroy();
    expect(answer.status).to.equal(502);
    expect(connectSpy.getCalls().map((c) => (c.args[0] as { port?: unknown }).port).filter((p) => Number(p) === em.port), 'a connection to the target').to.deep.equal([]);
    expect(proxy.connects.map((c) => [c.authorized, c.status])).to.deep.equal([[false, 407], [true, 502]]);
  });

  it('tunnels the names of its host map to their loopback port, never resolving them, and still refuses the rest', async function () {
    const proxy = await open({ hosts: { 'graph.microsoft.com:443': em.port } });
    const connectSpy = sinon.spy(net, 'connect');
    const answer = await connectThrough(proxy.url, 'graph.microsoft.com:443');
    expect(answer.status).to.equal(200);
    // TLS inside the tunnel under Microsoft's name: the emulator's certificate carries it
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: em.port, headers: { host: 'graph.microsoft.com' }, path: '/_emulator/health', method: 'GET', agent: false, ca: em.caPem,
        createConnection: () => tls.connect({ socket: answer.socket, ca: em.caPem, servername: 'graph.microsoft.com' }),
      }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    answer.socket.destroy();
    expect(r.status).to.equal(200);
    const hosts = connectSpy.getCalls().map((c) => (typeof c.args[0] === 'object' && c.args[0] !== null ? (c.args[0] as { host?: unknown }).host : c.args[1]));
    expect(hosts.filter((h) => h !== '127.0.0.1' && h !== undefined), 'only loopback connections').to.deep.equal([]);
    for (const target of ['graph.microsoft.com:8443', 'login.microsoftonline.com:443', 'graph.microsoft.us:443']) {
      const refused = await connectThrough(proxy.url, target);
      refused.socket.destroy();
      expect(refused.status, target).to.equal(403);
    }
  });

  it('refuses a plain-HTTP forward to a non-loopback host with 403 and records it', async function () {
    const proxy = await open();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxy.port, path: 'http://example.com/', agent: false, headers: { host: 'example.com' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).to.equal(403);
    expect(proxy.requests).to.have.length(1);
    expect(proxy.requests[0]).to.include({ method: 'GET', url: 'http://example.com/', status: 403 });
  });

  it('forwards a plain-HTTP request to a loopback server and records it', async function () {
    const origin = http.createServer((req, res) => { res.setHeader('connection', 'close'); res.end(`${req.method} ${req.url} ${req.headers['proxy-authorization'] ?? 'no-proxy-auth'}`); });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    try {
      const port = (origin.address() as net.AddressInfo).port;
      const proxy = await open({ auth: { user: 'u', password: 'p' } });
      const url = `http://127.0.0.1:${port}/x?y=1`;
      const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: proxy.port, path: url, agent: false, headers: { host: `127.0.0.1:${port}`, 'proxy-authorization': basic('u', 'p') } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(r).to.deep.equal({ status: 200, body: 'GET /x?y=1 no-proxy-auth' });
      expect(proxy.requests).to.have.length(1);
      expect(proxy.requests[0]).to.include({ method: 'GET', url, authorized: true, status: 200 });
    } finally {
      origin.closeAllConnections();
      await new Promise<void>((resolve) => origin.close(() => resolve()));
    }
  });

  it('listens with TLS when given a key and certificate (an HTTPS proxy)', async function () {
    this.timeout(60_000);
    const pki = await createPki([]);
    const proxy = await open({ tls: { key: pki.server.privateKeyPem, cert: pki.server.pem }, auth: { user: 'u', password: 'p' } });
    expect(proxy.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await connectThrough(proxy.url, `127.0.0.1:${em.port}`, { proxyCa: pki.ca.pem, headers: { 'proxy-authorization': basic('u', 'p') } });
    expect(answer.status).to.equal(200);
    const r = await getOverTunnel(answer.socket, em, '/_emulator/health');
    answer.socket.destroy();
    expect(r.status).to.equal(200);
    expect(proxy.connects[0]).to.include({ authorized: true, status: 200 });
  });

  it('close() destroys open tunnels and stops listening', async function () {
    const proxy = await startProxy();
    const answer = await connectThrough(proxy.url, `127.0.0.1:${em.port}`);
    expect(answer.status).to.equal(200);
    // an idle keep-alive connection to the proxy as well
    const idle = net.connect({ host: '127.0.0.1', port: proxy.port });
    await new Promise<void>((resolve, reject) => { idle.once('connect', resolve); idle.once('error', reject); });
    const closedTunnel = new Promise<void>((resolve) => answer.socket.once('close', () => resolve()));
    const closedIdle = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    answer.socket.on('error', () => undefined);
    idle.on('error', () => undefined);
    await proxy.close();
    await Promise.all([closedTunnel, closedIdle]);
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: proxy.port });
      s.once('connect', () => { s.destroy(); resolve('connected'); });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).to.equal('ECONNREFUSED');
    await proxy.close(); // idempotent
  });
});
