import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createPki, der, type Pki } from './pki';

describe('emulator core: PKI (DER writer and X.509 builder)', () => {
  let pki: Pki;
  before(async () => { pki = await createPki(['full', 'certonly']); });

  it('encodes DER primitives as X.690 says', () => {
    expect(der.integer(0).toString('hex')).to.equal('020100');
    expect(der.integer(128).toString('hex')).to.equal('02020080'); // leading zero keeps it positive
    expect(der.oid('1.2.840.113549.1.1.11').toString('hex')).to.equal('06092a864886f70d01010b');
    expect(der.time(new Date('2030-01-02T03:04:05Z')).toString('ascii', 2)).to.equal('300102030405Z');
    expect(der.time(new Date('2051-01-02T03:04:05Z'))[0]).to.equal(0x18); // GeneralizedTime from 2050
    const long = der.octetString(Buffer.alloc(300));
    expect(long.subarray(0, 4).toString('hex')).to.equal('0482012c');
  });

  it('builds a CA certificate that node:crypto parses and that verifies itself', () => {
    const ca = new crypto.X509Certificate(pki.ca.der);
    expect(ca.ca).to.equal(true);
    expect(ca.subject).to.include('CN=M365 Defender Emulator Root CA');
    expect(ca.verify(ca.publicKey)).to.equal(true);
    expect(ca.checkIssued(ca)).to.equal(true);
    const now = Date.now();
    expect(new Date(ca.validFrom).getTime()).to.be.below(now);
    expect(new Date(ca.validTo).getTime()).to.be.above(now);
    expect((ca.publicKey.asymmetricKeyDetails ?? {}).modulusLength).to.equal(2048);
    // keyUsage keyCertSign + cRLSign: OpenSSL's text form is "Certificate Sign, CRL Sign"
    expect(ca.toLegacyObject().ext_key_usage).to.equal(undefined);
  });

  it('signs a server certificate for localhost and 127.0.0.1 with the CA', () => {
    const ca = new crypto.X509Certificate(pki.ca.der);
    const server = new crypto.X509Certificate(pki.server.pem);
    expect(server.ca).to.equal(false);
    expect(server.verify(ca.publicKey)).to.equal(true);
    expect(server.checkIssued(ca)).to.equal(true);
    expect(server.subjectAltName).to.include('DNS:localhost');
    expect(server.subjectAltName).to.include('IP Address:127.0.0.1');
    expect(server.checkHost('localhost')).to.equal('localhost');
    expect(server.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(server.keyUsage).to.include('1.3.6.1.5.5.7.3.1'); // EKU serverAuth
    expect(server.checkPrivateKey(pki.server.privateKey)).to.equal(true);
    // a certificate signed by another key does not verify
    const other = new crypto.X509Certificate(pki.clients.full.der);
    expect(server.verify(other.publicKey)).to.equal(false);
  });

  it('makes self-signed client certificates with thumbprints as Entra shows them', () => {
    for (const name of ['full', 'certonly']) {
      const c = pki.clients[name];
      const x = new crypto.X509Certificate(c.der);
      expect(x.verify(x.publicKey)).to.equal(true);
      expect(x.checkPrivateKey(crypto.createPrivateKey(c.privateKeyPem))).to.equal(true);
      expect(c.privateKeyPem).to.match(/^-----BEGIN PRIVATE KEY-----/);
      expect(x.fingerprint.replace(/:/g, '')).to.equal(c.sha1Thumbprint);
      expect(x.fingerprint256.replace(/:/g, '')).to.equal(c.sha256Thumbprint);
    }
    expect(pki.clients.full.sha1Thumbprint).to.not.equal(pki.clients.certonly.sha1Thumbprint);
  });

  it('serves TLS that a client trusting only the CA accepts, and one without the CA rejects', async () => {
    const server = tls.createServer({ key: pki.server.privateKeyPem, cert: pki.server.pem }, (s) => s.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const connect = (opts: tls.ConnectionOptions): Promise<string> => new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ...opts }, () => {
        let data = '';
        s.on('data', (d: Buffer) => { data += d.toString(); });
        s.on('end', () => resolve(data));
      });
      s.on('error', reject);
    });
    try {
      expect(await connect({ ca: pki.ca.pem })).to.equal('hello'); // IP SAN
      expect(await connect({ ca: pki.ca.pem, servername: 'localhost' })).to.equal('hello'); // DNS SAN
      let err: (Error & { code?: string }) | undefined;
      try { await connect({ ca: pki.clients.full.pem }); } catch (e) { err = e as Error & { code?: string }; }
      expect(err?.code).to.be.oneOf(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);
      err = undefined;
      try { await connect({ ca: pki.ca.pem, servername: 'example.com' }); } catch (e) { err = e as Error & { code?: string }; }
      expect(err?.code).to.equal('ERR_TLS_CERT_ALTNAME_INVALID');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
