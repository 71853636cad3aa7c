import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import { parseClientCertificate, parseOpensslTime, type ClientCertificate } from '../../../lib/auth/certificate';
import { ActionError } from '../../../lib/runtime/errors';
import { makeFixtures, opensslFingerprint, type Fixtures } from './openssl';

/** The CONFIGURATION error parseClientCertificate throws for `pem`; every message is collected for the leak check. */
const messages: string[] = [];
function refusal(pem: string): string {
  try {
    parseClientCertificate(pem);
  } catch (err) {
    expect(err).to.be.instanceOf(ActionError);
    expect((err as ActionError).code).to.equal('CONFIGURATION');
    const message = (err as Error).message;
    expect(message).to.match(/^M365D_CLIENT_CERTIFICATE /);
    messages.push(message);
    return message;
  }
  throw new Error('expected parseClientCertificate to refuse the PEM');
}

/** The DER of a private key PEM, to compare keys whatever their encoding. */
const keyDer = (pem: string): string => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }).toString('hex');

/** Body lines of every PEM block in `pem`. */
const base64Lines = (pem: string): string[] => pem.split('\n').map((l) => l.trim()).filter((l) => /^[A-Za-z0-9+/=]{16,}$/.test(l));

/** Re-wraps every block's base64 body at `width` columns. */
function rewrap(pem: string, width: number): string {
  return pem.replace(/(-----BEGIN [A-Z ]+-----)\n([\s\S]*?)\n(-----END [A-Z ]+-----)/g, (_all, begin: string, body: string, end: string) => {
    const flat = body.replace(/\s+/g, '');
    return `${begin}\n${(flat.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join('\n')}\n${end}`;
  });
}

describe('client certificate (M365D_CLIENT_CERTIFICATE)', function () {
  this.timeout(60_000); // openssl makes six RSA keys
  let fx: Fixtures;
  let bundle: string;
  let reference: ClientCertificate;

  before(() => {
    fx = makeFixtures();
    bundle = fx.key + fx.cert;
    reference = parseClientCertificate(bundle);
  });
  after(() => {
    if (fx) fs.rmSync(fx.dir, { recursive: true, force: true });
  });

  describe('reads', () => {
    it('a PKCS#8 key followed by its certificate, with openssl\'s thumbprints and dates', () => {
      const c = reference;
      expect(c.thumbprintSha256).to.equal(opensslFingerprint(fx.dir, 'cert.pem', 'sha256'));
      expect(c.thumbprintSha256).to.match(/^[0-9A-F]{64}$/);
      expect(c.thumbprintSha1).to.equal(opensslFingerprint(fx.dir, 'cert.pem', 'sha1'));
      expect(c.thumbprintSha1).to.match(/^[0-9A-F]{40}$/);
      expect(c.privateKeyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(keyDer(c.privateKeyPem)).to.equal(keyDer(fx.key));
      expect(new X509Certificate(c.certificatePem).fingerprint256).to.equal(new X509Certificate(fx.cert).fingerprint256);
      expect(c.subject).to.equal('CN=m365d-soar-test, O=Contoso');

      const dates = execFileSync('openssl', ['x509', '-noout', '-dates', '-dateopt', 'iso_8601', '-in', 'cert.pem'], { cwd: fx.dir, encoding: 'utf8' });
      const iso = (name: string): number => Date.parse((new RegExp(`${name}=(.+)`).exec(dates)?.[1] ?? '').trim().replace(' ', 'T'));
      expect(c.notBefore.getTime()).to.equal(iso('notBefore'));
      expect(c.notAfter.getTime()).to.equal(iso('notAfter'));
    });

    it('the certificate before the key', () => {
      expect(parseClientCertificate(fx.cert + fx.key)).to.deep.equal(reference);
    });

    it('a PKCS#1 key (-----BEGIN RSA PRIVATE KEY-----), returned as PKCS#8', () => {
      expect(fx.keyPkcs1).to.match(/^-----BEGIN RSA PRIVATE KEY-----/);
      const c = parseClientCertificate(fx.keyPkcs1 + fx.cert);
      expect(c.privateKeyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(c).to.deep.equal(reference);
      expect(parseClientCertificate(fx.cert + fx.keyPkcs1)).to.deep.equal(reference);
    });

    it('a chain: takes the certificate that belongs to the key, wherever it is', () => {
      const leaf = opensslFingerprint(fx.dir, 'leaf-cert.pem', 'sha256');
      expect(leaf).to.not.equal(opensslFingerprint(fx.dir, 'ca-cert.pem', 'sha256'));
      for (const pem of [fx.caCert + fx.leafCert + fx.leafKey, fx.leafKey + fx.caCert + fx.leafCert, fx.leafCert + fx.caCert + fx.leafKey]) {
        const c = parseClientCertificate(pem);
        expect(c.thumbprintSha256).to.equal(leaf);
        expect(c.subject).to.equal('CN=leaf');
        expect(keyDer(c.privateKeyPem)).to.equal(keyDer(fx.leafKey));
      }
    });

    it('text around the blocks (openssl pkcs12 "Bag Attributes", comments) is ignored', () => {
      const noisy = `Bag Attributes\n    localKeyID: 01 00 00 00\nsubject=CN = m365d-soar-test\n${fx.cert}\nKey Attributes: <No Attributes>\n${fx.key}\n`;
      expect(parseClientCertificate(noisy)).to.deep.equal(reference);
    });

    it('an expired or not yet valid certificate, with its dates (Entra ID decides)', () => {
      const expired = parseClientCertificate(fx.key + fx.expiredCert);
      expect(expired.notBefore.toISOString()).to.equal('2020-01-01T00:00:00.000Z');
      expect(expired.notAfter.toISOString()).to.equal('2021-01-01T00:00:00.000Z');
      expect(expired.subject).to.equal('CN=dated');
      const future = parseClientCertificate(fx.futureCert + fx.key);
      expect(future.notBefore.toISOString()).to.equal('2090-01-01T00:00:00.000Z');
      expect(future.notAfter.getTime()).to.be.greaterThan(Date.now());
    });

    it('of several certificates of the same key (a renewal), the one valid now', () => {
      const c = parseClientCertificate(fx.expiredCert + fx.cert + fx.futureCert + fx.key);
      expect(c.thumbprintSha256).to.equal(reference.thumbprintSha256);
    });
  });

  describe('repairs a PEM mangled by a form field', () => {
    const manglings: Array<[string, (pem: string) => string]> = [
      ['newlines turned into spaces', (p) => p.replace(/\n/g, ' ')],
      ['newlines removed altogether inside the blocks', (p) => p.replace(/\n(?!-----BEGIN)/g, '')],
      ['newlines turned into literal \\n', (p) => p.replace(/\n/g, '\\n')],
      ['newlines turned into double-escaped \\\\n', (p) => p.replace(/\n/g, '\\\\n')],
      ['JSON-escaped (quotes, \\n, \\/)', (p) => JSON.stringify(p).replace(/\//g, '\\/')],
      ['CRLF line ends', (p) => p.replace(/\n/g, '\r\n')],
      ['literal \\r\\n', (p) => p.replace(/\n/g, '\\r\\n')],
      ['leading and trailing blanks on the text and on every line', (p) => `\n  \t${p.split('\n').map((l) => `  ${l}\t `).join('\n')}\n\n   `],
      ['lines re-wrapped at 37 columns', (p) => rewrap(p, 37)],
      ['lines re-wrapped at 76 columns', (p) => rewrap(p, 76)],
      ['one line per block body', (p) => rewrap(p, 100_000)],
      ['re-wrapped, then newlines turned into spaces', (p) => rewrap(p, 50).replace(/\n/g, ' ')],
    ];
    for (const [name, mangle] of manglings) {
      it(name, () => {
        const mangled = mangle(bundle);
        expect(mangled).to.not.equal(bundle);
        expect(parseClientCertificate(mangled)).to.deep.equal(reference);
      });
    }

    it('a PKCS#1 key and a chain with their newlines turned into spaces', () => {
      expect(parseClientCertificate((fx.cert + fx.keyPkcs1).replace(/\n/g, ' '))).to.deep.equal(reference);
      const leaf = parseClientCertificate((fx.caCert + fx.leafKey + fx.leafCert).replace(/\n/g, ' '));
      expect(leaf.thumbprintSha256).to.equal(opensslFingerprint(fx.dir, 'leaf-cert.pem', 'sha256'));
    });
  });

  describe('refuses', () => {
    it('a key that does not belong to the certificate', () => {
      expect(refusal(fx.otherKey + fx.cert)).to.include('the private key does not belong to the certificate');
      expect(refusal(fx.key + fx.otherCert)).to.include('the private key does not belong to the certificate');
      expect(refusal(fx.key + fx.caCert + fx.leafCert)).to.include('the private key does not belong to any of its 2 certificates');
    });

    it('a PEM without a private key', () => {
      expect(refusal(fx.cert)).to.include('holds no private key');
      expect(refusal(fx.caCert + fx.leafCert)).to.include('holds no private key');
    });

    it('a PEM without a certificate', () => {
      expect(refusal(fx.key)).to.include('holds no certificate');
      expect(refusal(fx.keyPkcs1)).to.include('holds no certificate');
    });

    it('an EC key, in PKCS#8 or traditional form', () => {
      expect(fx.ecKeyTraditional).to.match(/^-----BEGIN EC PRIVATE KEY-----/);
      for (const pem of [fx.ecKey + fx.ecCert, fx.ecCert + fx.ecKeyTraditional, (fx.ecKey + fx.ecCert).replace(/\n/g, ' ')]) {
        const message = refusal(pem);
        expect(message).to.include('EC (elliptic curve) key');
        expect(message).to.include('Entra ID takes only RSA keys');
      }
    });

    it('an encrypted key (PKCS#8, or traditional with Proc-Type), also when mangled', () => {
      expect(fx.encryptedKey).to.match(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      expect(fx.encryptedKeyTraditional).to.include('Proc-Type: 4,ENCRYPTED');
      for (const pem of [
        fx.encryptedKey + fx.cert,
        fx.cert + fx.encryptedKeyTraditional,
        (fx.encryptedKeyTraditional + fx.cert).replace(/\n/g, ' '),
        (fx.encryptedKeyTraditional + fx.cert).replace(/\n/g, '\\n'),
      ]) {
        expect(refusal(pem)).to.include('give the key unencrypted');
      }
    });

    it('two private keys', () => {
      expect(refusal(fx.key + fx.otherKey + fx.cert)).to.include('holds 2 private keys');
    });

    it('garbage, an empty value, a path', () => {
      expect(refusal('hello, world')).to.include('holds no PEM block');
      expect(refusal('/etc/ssl/private/soar.pem')).to.include('holds no PEM block');
      expect(refusal('   ')).to.include('is empty');
      expect(refusal('-----BEGIN PRIVATE KEY----- not base64 at all! -----END PRIVATE KEY-----' + fx.cert)).to.include('not valid base64');
    });

    it('base64 without PEM lines (a pasted .pfx), pointing at openssl pkcs12', () => {
      const body = base64Lines(fx.key).join('');
      expect(refusal(body)).to.include('openssl pkcs12');
    });

    it('a PEM cut short, or with its blocks out of step', () => {
      const cut = bundle.slice(0, bundle.length - 200);
      expect(refusal(cut)).to.include('is cut short: the -----BEGIN CERTIFICATE----- block has no -----END line');
      expect(refusal(bundle.replace('-----END PRIVATE KEY-----', ''))).to.include('is cut short: the -----BEGIN PRIVATE KEY----- block');
      expect(refusal(bundle.replace('-----BEGIN PRIVATE KEY-----', ''))).to.include('-----END line without its -----BEGIN line');
      expect(refusal(bundle.replace('-----END PRIVATE KEY-----', '-----END CERTIFICATE-----'))).to.include('does not end with its own -----END line');
    });

    it('a damaged key or certificate body', () => {
      // a character lost (a '+' turned into a space by a form): the length is no longer a multiple of 4
      const keyLine = base64Lines(fx.key)[3] as string;
      expect(refusal(bundle.replace(keyLine, keyLine.slice(0, 20) + ' ' + keyLine.slice(21)))).to.include('not valid base64');
      // valid base64, wrong bytes: in the DER structure, or inside one of the key's numbers
      const firstKeyLine = base64Lines(fx.key)[0] as string;
      expect(refusal(bundle.replace(firstKeyLine, 'A'.repeat(firstKeyLine.length)))).to.include('private key that cannot be read');
      expect(refusal(bundle.replace(keyLine, 'A'.repeat(keyLine.length)))).to.include('the private key does not belong to the certificate');
      const certLine = base64Lines(fx.cert)[2] as string;
      expect(refusal(bundle.replace(certLine, 'A'.repeat(certLine.length)))).to.include('certificate that cannot be read');
      expect(refusal(bundle.replace(certLine, certLine.slice(1)))).to.include('certificate that cannot be read');
    });

    it('never with any part of the PEM in the message', () => {
      // the refusals of this block, made again, so that this test stands alone
      const keyLine = base64Lines(fx.key)[3] as string;
      const certLine = base64Lines(fx.cert)[2] as string;
      for (const pem of [
        fx.otherKey + fx.cert, fx.key + fx.otherCert, fx.cert, fx.key, fx.ecKey + fx.ecCert, fx.ecCert + fx.ecKeyTraditional,
        fx.encryptedKey + fx.cert, (fx.encryptedKeyTraditional + fx.cert).replace(/\n/g, ' '), fx.key + fx.otherKey + fx.cert,
        base64Lines(fx.key).join(''), bundle.slice(0, -200), bundle.replace('-----END PRIVATE KEY-----', ''),
        bundle.replace(keyLine, keyLine.slice(1)), bundle.replace(keyLine, 'A'.repeat(keyLine.length)),
        bundle.replace(certLine, 'A'.repeat(certLine.length)), bundle.replace(/\n/g, ' ').replace(certLine.slice(0, 30), certLine.slice(1, 30)),
      ]) refusal(pem);
      expect(messages.length).to.be.greaterThan(15);
      const secrets = [fx.key, fx.keyPkcs1, fx.otherKey, fx.leafKey, fx.ecKey, fx.ecKeyTraditional, fx.encryptedKey, fx.encryptedKeyTraditional].flatMap(base64Lines);
      expect(secrets.length).to.be.greaterThan(100);
      for (const message of messages) {
        for (const line of secrets) expect(message).to.not.include(line);
        // nor any shorter run of base64 from anywhere
        expect(message).to.not.match(/[A-Za-z0-9+/]{16,}/);
        expect(message).to.not.include('DEK-Info');
      }
    });
  });

  it('reads OpenSSL time strings', () => {
    expect(parseOpensslTime('Jan  1 00:00:00 2020 GMT').toISOString()).to.equal('2020-01-01T00:00:00.000Z');
    expect(parseOpensslTime('Dec 31 23:59:59 2049 GMT').toISOString()).to.equal('2049-12-31T23:59:59.000Z');
  });

});
