// The client certificate of M365D_CLIENT_CERTIFICATE: a PEM holding an RSA private key and its certificate (plus,
// possibly, the rest of the chain), repaired when a form field has mangled it, checked with node:crypto.
// Pure: no network, no file access. Every problem is a CONFIGURATION error that names the variable and what to do;
// no message ever carries any part of the PEM.

import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { configurationError, type ActionError } from '../runtime/errors';
import { DAMAGED_PEM_HINT, isBase64, splitPemBlocks, unmanglePem, type PemBlock } from '../runtime/pem';

export interface ClientCertificate {
  /** the private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), whatever form it was given in (secret) */
  privateKeyPem: string;
  /** the certificate that belongs to the key, PEM */
  certificatePem: string;
  /** SHA-256 thumbprint of the certificate: hex, upper-case, no colons */
  thumbprintSha256: string;
  /** SHA-1 thumbprint (what the Entra portal shows): hex, upper-case, no colons */
  thumbprintSha1: string;
  notBefore: Date;
  notAfter: Date;
  /** the certificate's subject, e.g. `CN=soar, O=Contoso` */
  subject: string;
}

const VAR = 'M365D_CLIENT_CERTIFICATE';
const GIVE = 'give the PEM with both the RSA private key (unencrypted) and its certificate';

const fail = (message: string): ActionError => configurationError(`${VAR} ${message}`);

function describeKeyType(type: string | undefined): string {
  switch (type) {
    case 'ec':
      return 'an EC (elliptic curve) key';
    case 'dsa':
      return 'a DSA key';
    case 'ed25519':
    case 'ed448':
      return `an ${type.replace('ed', 'Ed')} key`;
    case 'rsa-pss':
      return 'an RSA-PSS-only key';
    default:
      return type ? `a ${type} key` : 'not an RSA key';
  }
}

const notRsa = (what: string): ActionError =>
  fail(`holds ${what}, but Entra ID takes only RSA keys: make an RSA certificate (for example openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 730 -subj /CN=soar), upload it to the app registration, and give its key and certificate.`);

function parseKey(block: PemBlock): KeyObject {
  if (block.label === 'ENCRYPTED PRIVATE KEY' || block.encryptedHeaders) {
    throw fail('holds an encrypted private key: give the key unencrypted (decrypt it with openssl pkey -in key.pem -out key-plain.pem, and keep that file private).');
  }
  if (block.label === 'EC PRIVATE KEY') throw notRsa(describeKeyType('ec'));
  if (block.label === 'DSA PRIVATE KEY') throw notRsa(describeKeyType('dsa'));
  if (block.label === 'OPENSSH PRIVATE KEY') {
    throw fail('holds a key in OpenSSH format: give an RSA key in PEM form (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----) with its certificate.');
  }
  if (!isBase64(block.base64)) throw fail(`has a private key whose body is not valid base64: ${DAMAGED_PEM_HINT}.`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.pem, format: 'pem' });
  } catch {
    throw fail(`has a private key that cannot be read: ${DAMAGED_PEM_HINT}.`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw notRsa(describeKeyType(key.asymmetricKeyType));
  return key;
}

interface ParsedCert {
  cert: X509Certificate;
  notBefore: Date;
  notAfter: Date;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** OpenSSL's time format, as X509Certificate.validFrom/validTo give it: "Jan  1 00:00:00 2020 GMT". */
export function parseOpensslTime(text: string): Date {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4,}) GMT$/.exec(text.trim());
  const month = m ? MONTHS.indexOf(m[1] ?? '') : -1;
  if (m && month >= 0) {
    return new Date(Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])));
  }
  return new Date(text);
}

function parseCert(block: PemBlock): ParsedCert | undefined {
  if (!isBase64(block.base64)) return undefined;
  try {
    const cert = new X509Certificate(block.pem);
    return { cert, notBefore: parseOpensslTime(cert.validFrom), notAfter: parseOpensslTime(cert.validTo) };
  } catch {
    return undefined;
  }
}

const thumbprint = (fingerprint: string): string => fingerprint.replace(/:/g, '').toUpperCase();

/**
 * Parses M365D_CLIENT_CERTIFICATE's text (already read from its file if it was a path): an RSA private key (PKCS#8 or
 * PKCS#1) and the certificate that belongs to it, in any order, possibly with a chain. An expired or not yet valid
 * certificate is returned as it is (Entra ID decides; the caller can warn from the dates).
 */
export function parseClientCertificate(pem: string): ClientCertificate {
  if (typeof pem !== 'string' || pem.trim() === '') throw fail(`is empty: ${GIVE}.`);
  const text = unmanglePem(pem);
  const blocks = splitPemBlocks(text, VAR, GIVE);
  if (blocks.length === 0) {
    const compact = text.replace(/\s+/g, '');
    if (compact.length > 100 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
      throw fail('holds base64 without PEM lines (-----BEGIN ...-----); if it is a .pfx or .p12 file, convert it with openssl pkcs12 -in cert.pfx -nodes -out cert.pem and give that PEM.');
    }
    throw fail(`holds no PEM block (-----BEGIN ...-----): ${GIVE}.`);
  }

  const keyBlocks = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  const certBlocks = blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE');
  if (keyBlocks.length === 0) throw fail(`holds no private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----): ${GIVE}.`);
  if (keyBlocks.length > 1) throw fail(`holds ${keyBlocks.length} private keys: give exactly one, the key of the certificate registered with the app.`);
  const key = parseKey(keyBlocks[0] as PemBlock);
  if (certBlocks.length === 0) throw fail(`holds no certificate (-----BEGIN CERTIFICATE-----): ${GIVE}.`);

  const certs = certBlocks.map(parseCert);
  const readable = certs.filter((c): c is ParsedCert => c !== undefined);
  const matching = readable.filter((c) => {
    try {
      return c.cert.checkPrivateKey(key);
    } catch {
      return false;
    }
  });
  if (matching.length === 0) {
    if (readable.length < certs.length) {
      throw fail(`has a certificate that cannot be read: ${DAMAGED_PEM_HINT}.`);
    }
    throw fail(
      readable.length === 1
        ? 'does not fit together: the private key does not belong to the certificate; give the key and the certificate made with it.'
        : `does not fit together: the private key does not belong to any of its ${readable.length} certificates; give the key and the certificate made with it.`,
    );
  }
  // the same key in several certificates (a renewal): the one valid now that lasts longest, else the one lasting longest
  const now = Date.now();
  const byEnd = [...matching].sort((a, b) => b.notAfter.getTime() - a.notAfter.getTime());
  const chosen = byEnd.find((c) => c.notBefore.getTime() <= now && now <= c.notAfter.getTime()) ?? (byEnd[0] as ParsedCert);

  return {
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: chosen.cert.toString(),
    thumbprintSha256: thumbprint(chosen.cert.fingerprint256),
    thumbprintSha1: thumbprint(chosen.cert.fingerprint),
    notBefore: chosen.notBefore,
    notAfter: chosen.notAfter,
    subject: chosen.cert.subject.split('\n').filter(Boolean).join(', '),
  };
}
