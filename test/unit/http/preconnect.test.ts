// lib/http/transport.ts preconnect: the connection opened while the run reads its input is the one its first
// request to the API host uses, with the same trust; it is never used for another configuration, never opened through
// a proxy, and one that fails leaves the request to open (and report) its own.
import { expect } from 'chai';
import tls from 'node:tls';
import * as sinon from 'sinon';
import { useEmulator } from '../../support/emulator';
import { loadConfig, type Config } from '../../../lib/runtime/config';
import { createTransport, preconnect, TransportError } from '../../../lib/http/transport';

describe('preconnect (lib/http/transport.ts)', function () {
  this.timeout(30_000);
  const emulator = useEmulator({ incidents: 3, quotas: false }, 'preconnect');
  let connect: sinon.SinonSpy;
  beforeEach(() => (connect = sinon.spy(tls, 'connect')));
  afterEach(() => connect.restore());

  const configOf = (extra: Record<string, string | undefined> = {}): Config => loadConfig({ ...emulator.em.env, M365D_STATE_DIR: '/nonexistent', ...extra });
  const get = (config: Config) =>
    createTransport(config).send({ method: 'GET', url: `${config.apiUrl}/v1.0/security/incidents?$top=1`, headers: { authorization: `Bearer ${emulator.em.issueToken()}` }, label: 'list incidents' });
  const socketsOf = (spy: sinon.SinonSpy) => spy.returnValues as tls.TLSSocket[];

  it('the first request to the API host goes over the connection opened ahead, already verified', async () => {
    const config = configOf();
    preconnect(config);
    expect(connect.callCount).to.equal(1);
    const ahead = socketsOf(connect)[0]!;
    const res = await get(config);
    expect(res.status).to.equal(200);
    expect(connect.callCount, 'no second connection').to.equal(1);
    expect(ahead.authorized, 'the certificate was checked against M365D_CA_CERTIFICATE').to.equal(true);
    ahead.destroy();
  });

  it('is not taken by a transport of another configuration (which opens its own)', async () => {
    const config = configOf();
    preconnect(config);
    const other = configOf();
    expect((await get(other)).status).to.equal(200);
    expect(connect.callCount).to.equal(2);
    // the first configuration still finds its own
    expect((await get(config)).status).to.equal(200);
    expect(connect.callCount).to.equal(2);
    for (const s of socketsOf(connect)) s.destroy();
  });

  it('opens nothing when a proxy carries the API host', () => {
    preconnect(configOf({ M365D_PROXY_URL: 'http://127.0.0.1:9' }));
    expect(connect.callCount).to.equal(0);
  });

  it('a connection ahead that fails its TLS check is dropped, and the request reports the TLS error itself', async () => {
    const config = configOf({ M365D_CA_CERTIFICATE: undefined });
    preconnect(config);
    const ahead = socketsOf(connect)[0]!;
    await new Promise((resolve) => ahead.once('close', resolve));
    const err = await get(config).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(TransportError);
    expect((err as TransportError).kind).to.equal('tls');
    expect(connect.callCount, 'the request opened its own connection').to.equal(2);
  });
});
