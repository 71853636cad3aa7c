// lib/http/transport.ts through a CONNECT proxy: a proxy that will not open the tunnel (502, 403, 407 ...) is a
// NETWORK failure naming the proxy and what it answered, never an answer of Microsoft's; nothing reached the service,
// so a 5xx of the proxy is tried again like a refused connection, and its 4xx (a policy, credentials) is not.
import { expect } from 'chai';
import { useEmulator } from '../../support/emulator';
import { startProxy, type TestProxy } from '../../support/proxy';
import { loadConfig, type Config } from '../../../lib/runtime/config';
import { createTransport, TransportError } from '../../../lib/http/transport';
import { errorForTransport } from '../../../lib/http/errors';
import { sendWithRetries, DEFAULT_RETRY } from '../../../lib/http/retry';
import type { Logger } from '../../../lib/runtime/log';

describe('transport through a CONNECT proxy (lib/http/transport.ts, tunnel.ts)', function () {
  this.timeout(30_000);
  const emulator = useEmulator({ incidents: 3, quotas: false }, 'tunnel');
  const proxies: TestProxy[] = [];
  const open = async (options?: Parameters<typeof startProxy>[0]): Promise<TestProxy> => {
    const p = await startProxy(options);
    proxies.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  const configOf = (proxyUrl: string): Config => loadConfig({ ...emulator.em.env, M365D_STATE_DIR: '/nonexistent', M365D_PROXY_URL: proxyUrl });
  const request = (config: Config) => ({ method: 'GET' as const, url: `${config.apiUrl}/v1.0/security/incidents?$top=1`, headers: { authorization: `Bearer ${emulator.em.issueToken()}` }, label: 'list incidents' });
  const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e);

  it('goes through a proxy that opens the tunnel', async () => {
    const proxy = await open();
    const config = configOf(proxy.url);
    const res = await createTransport(config).send(request(config));
    expect(res.status).to.equal(200);
    expect(proxy.connects.map((c) => c.status)).to.deep.equal([200]);
  });

  it('a 502 answer to CONNECT is NETWORK naming the proxy, the target and the answer, and not sent', async () => {
    const proxy = await open({ connectStatus: 502 });
    const config = configOf(proxy.url);
    const seq = emulator.lastSeq();
    const err = await failure(createTransport(config).send(request(config)));
    expect(err).to.be.instanceOf(TransportError);
    const t = err as TransportError;
    expect([t.kind, t.maybeSent, t.code]).to.deep.equal(['network', false, 'ERR_PROXY_CONNECT']);
    expect(t.message).to.equal(`The proxy ${proxy.url} could not open a tunnel to 127.0.0.1:${emulator.em.port} for list incidents (it answered CONNECT with 502 Bad Gateway).`);
    const mapped = errorForTransport(t);
    expect([mapped.code, mapped.message]).to.deep.equal(['NETWORK', t.message]);
    expect(emulator.em.requests(seq), 'nothing reached the service').to.deep.equal([]);
  });

  it('a 5xx of the proxy is tried again (nothing was sent); its 4xx is not', async () => {
    const quiet = (): void => {};
    const log: Logger = { error: quiet, warn: quiet, info: quiet, debug: quiet, enabled: () => false };
    const retrying = { ...DEFAULT_RETRY, deadline: Date.now() + 60_000, log, sleep: async () => {}, random: () => 0 };
    for (const [status, attempts] of [[502, 5], [503, 5], [403, 1], [407, 1]] as const) {
      const proxy = await open({ connectStatus: status });
      const config = configOf(proxy.url);
      const err = await failure(sendWithRetries(createTransport(config), request(config), retrying));
      expect(err, String(status)).to.be.instanceOf(TransportError);
      expect(errorForTransport(err as TransportError).code).to.equal('NETWORK');
      expect(proxy.connects.length, `${status}: attempts`).to.equal(attempts);
    }
  });

  it('a 407 asks for the proxy credentials, a 403 says the proxy refused the target, with the password hidden', async () => {
    const proxy = await open({ auth: { user: 'u', password: 'Proxy-Pass-Planted-7' } });
    const wrong = configOf(proxy.url.replace('://', '://u:Proxy-Pass-Planted-7x@'));
    const e407 = (await failure(createTransport(wrong).send(request(wrong)))) as TransportError;
    expect(e407.message).to.equal(`The proxy ${proxy.url.replace('://', '://u:****@')} asks for credentials (407 Proxy Authentication Required): check the user and password in the proxy URL.`);
    const refusing = await open({ connectStatus: 403 });
    const config = configOf(refusing.url);
    const e403 = (await failure(createTransport(config).send(request(config)))) as TransportError;
    expect(e403.message).to.equal(`The proxy ${refusing.url} refused a tunnel to 127.0.0.1:${emulator.em.port} for list incidents (it answered CONNECT with 403 Forbidden).`);
    expect(e403.message + e407.message).not.to.include('Proxy-Pass-Planted-7');
  });
});
