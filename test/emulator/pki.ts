// A minimal DER/ASN.1 writer and X.509 v3 certificate builder on node:crypto (no npm dependency).
// Certificates (RFC 5280): RSA 2048 keys, sha256WithRSAEncryption signatures. Everything is generated in
// memory at each start; nothing is cached on disk.
import * as crypto from 'node:crypto';

// ---------------------------------------------------------------------------------------------------
// DER writer (X.690)

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) { bytes.unshift(n & 0xff); n = Math.floor(n / 256); }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

export const der = {
  sequence: (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items)),
  set: (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items)),
  boolean: (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00])),
  null: (): Buffer => Buffer.from([0x05, 0x00]),
  /** unsigned big-endian integer bytes; a leading 0 is added when the high bit is set */
  integer(value: Buffer | number): Buffer {
    let bytes: Buffer;
    if (typeof value === 'number') {
      const out: number[] = [];
      let n = value;
      do { out.unshift(n & 0xff); n = Math.floor(n / 256); } while (n > 0);
      bytes = Buffer.from(out);
    } else {
      let i = 0;
      while (i < value.length - 1 && value[i] === 0) i++;
      bytes = value.subarray(i);
    }
    if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return tlv(0x02, bytes);
  },
  oid(dotted: string): Buffer {
    const parts = dotted.split('.').map(Number);
    const out: number[] = [parts[0] * 40 + parts[1]];
    for (const p of parts.slice(2)) {
      const chunk: number[] = [p & 0x7f];
      let n = Math.floor(p / 128);
      while (n > 0) { chunk.unshift((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
      out.push(...chunk);
    }
    return tlv(0x06, Buffer.from(out));
  },
  octetString: (b: Buffer): Buffer => tlv(0x04, b),
  /** BIT STRING with the given number of unused trailing bits in the last byte */
  bitString: (b: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), b])),
  utf8: (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8')),
  /** UTCTime for years 1950-2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5) */
  time(d: Date): Buffer {
    const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
    const compact = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'; // YYYYMMDDHHMMSSZ
    const year = d.getUTCFullYear();
    if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(compact.slice(2), 'ascii'));
    return tlv(0x18, Buffer.from(compact, 'ascii'));
  },
  /** [n] EXPLICIT */
  explicit: (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner),
  /** [n] IMPLICIT primitive */
  implicit: (n: number, content: Buffer): Buffer => tlv(0x80 | n, content),
};

// ---------------------------------------------------------------------------------------------------
// X.509

const OID = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** keyUsage bits (RFC 5280 4.2.1.3) */
export const KeyUsage = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

function keyUsageBits(bits: number[]): Buffer {
  const max = Math.max(...bits);
  const byteCount = Math.floor(max / 8) + 1;
  const bytes = Buffer.alloc(byteCount);
  for (const b of bits) bytes[Math.floor(b / 8)] |= 0x80 >> (b % 8);
  const unused = byteCount * 8 - (max + 1); // DER: trailing zero bits are removed
  return der.bitString(bytes, unused);
}

function name(cn: string, org = 'M365 Defender Emulator'): Buffer {
  return der.sequence(
    der.set(der.sequence(der.oid(OID.organization), der.utf8(org))),
    der.set(der.sequence(der.oid(OID.commonName), der.utf8(cn))),
  );
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? der.sequence(der.oid(oid), der.boolean(true), der.octetString(value))
    : der.sequence(der.oid(oid), der.octetString(value));
}

/** SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 4.2.1.2, method 1) */
function keyIdentifier(publicKey: crypto.KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The RSA SPKI ends with the BIT STRING; hashing the whole SPKI is also allowed ("other methods"),
  // and is simpler and just as unique.
  return crypto.createHash('sha1').update(spki).digest();
}

export interface SanEntry { dns?: string; ip?: string }

export interface CertificateSpec {
  subjectCN: string;
  publicKey: crypto.KeyObject;
  /** the signer; omitted = self-signed with `selfPrivateKey` */
  issuer?: { cn: string; privateKey: crypto.KeyObject; publicKey: crypto.KeyObject };
  selfPrivateKey?: crypto.KeyObject;
  ca?: boolean;
  keyUsage: number[];
  extKeyUsage?: string[];
  san?: SanEntry[];
  notBefore: Date;
  notAfter: Date;
}

function ipBytes(ip: string): Buffer {
  if (ip.includes(':')) throw new Error('IPv6 SAN not supported');
  return Buffer.from(ip.split('.').map(Number));
}

/** Builds and signs an X.509 v3 certificate; returns DER. */
export function buildCertificate(spec: CertificateSpec): Buffer {
  const sigAlg = der.sequence(der.oid(OID.sha256WithRSAEncryption), der.null());
  const issuerCN = spec.issuer ? spec.issuer.cn : spec.subjectCN;
  const signingKey = spec.issuer ? spec.issuer.privateKey : spec.selfPrivateKey;
  if (!signingKey) throw new Error('buildCertificate: no signing key');
  const issuerPublic = spec.issuer ? spec.issuer.publicKey : spec.publicKey;

  const exts: Buffer[] = [
    extension(OID.basicConstraints, true, spec.ca ? der.sequence(der.boolean(true)) : der.sequence()),
    extension(OID.keyUsage, true, keyUsageBits(spec.keyUsage)),
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(spec.publicKey))),
    extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, keyIdentifier(issuerPublic)))),
  ];
  if (spec.extKeyUsage?.length) {
    exts.push(extension(OID.extKeyUsage, false, der.sequence(...spec.extKeyUsage.map((o) => der.oid(o)))));
  }
  if (spec.san?.length) {
    const names = spec.san.map((s) => (s.dns !== undefined
      ? der.implicit(2, Buffer.from(s.dns, 'ascii')) // dNSName [2] IA5String
      : der.implicit(7, ipBytes(s.ip ?? '')))); // iPAddress [7] OCTET STRING
    exts.push(extension(OID.subjectAltName, false, der.sequence(...names)));
  }

  const serial = crypto.randomBytes(16);
  serial[0] &= 0x7f; // positive
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)), // v3
    der.integer(serial),
    sigAlg,
    name(issuerCN),
    der.sequence(der.time(spec.notBefore), der.time(spec.notAfter)),
    name(spec.subjectCN),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    der.explicit(3, der.sequence(...exts)),
  );
  const signature = crypto.sign('sha256', tbs, signingKey); // RSASSA-PKCS1-v1_5
  return der.sequence(tbs, sigAlg, der.bitString(signature));
}

export function toPem(derBytes: Buffer, label = 'CERTIFICATE'): string {
  const b64 = derBytes.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export interface KeyPair { privateKey: crypto.KeyObject; publicKey: crypto.KeyObject }

export function generateRsaKeyPair(): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    crypto.generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }, (err, publicKey, privateKey) => {
      if (err) reject(err); else resolve({ publicKey, privateKey });
    });
  });
}

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  privateKey: crypto.KeyObject;
  /** PKCS#8 PEM ("BEGIN PRIVATE KEY"), what MSAL's clientCertificate.privateKey takes */
  privateKeyPem: string;
  publicKey: crypto.KeyObject;
  /** hex SHA-1 / SHA-256 of the DER certificate (upper case, as the Entra portal shows thumbprints) */
  sha1Thumbprint: string;
  sha256Thumbprint: string;
  notBefore: Date;
  notAfter: Date;
}

function issued(derBytes: Buffer, keys: KeyPair, notBefore: Date, notAfter: Date): IssuedCertificate {
  return {
    der: derBytes,
    pem: toPem(derBytes),
    privateKey: keys.privateKey,
    privateKeyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: keys.publicKey,
    sha1Thumbprint: crypto.createHash('sha1').update(derBytes).digest('hex').toUpperCase(),
    sha256Thumbprint: crypto.createHash('sha256').update(derBytes).digest('hex').toUpperCase(),
    notBefore, notAfter,
  };
}

export interface Pki {
  ca: IssuedCertificate;
  server: IssuedCertificate;
  /** self-signed client certificates, by name */
  clients: Record<string, IssuedCertificate>;
  /** the token-signing key's certificate (signed by the CA), published in the JWKS as x5c */
  signing: IssuedCertificate;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** A CA, a server certificate for localhost/127.0.0.1 (and graph.microsoft.com, api.security.microsoft.com), a token-signing certificate and self-signed client certificates. */
export async function createPki(clientNames: string[], now = new Date()): Promise<Pki> {
  const [caKeys, serverKeys, signingKeys, ...clientKeys] = await Promise.all(
    [0, 1, 2, ...clientNames.map(() => 0)].map(() => generateRsaKeyPair()),
  );
  const notBefore = new Date(now.getTime() - HOUR);
  const caCN = 'M365 Defender Emulator Root CA';
  const caNotAfter = new Date(now.getTime() + 730 * DAY);
  const caDer = buildCertificate({
    subjectCN: caCN, publicKey: caKeys.publicKey, selfPrivateKey: caKeys.privateKey, ca: true,
    keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign], notBefore, notAfter: caNotAfter,
  });
  const issuer = { cn: caCN, privateKey: caKeys.privateKey, publicKey: caKeys.publicKey };
  const leafNotAfter = new Date(now.getTime() + 365 * DAY);
  const serverDer = buildCertificate({
    subjectCN: 'localhost', publicKey: serverKeys.publicKey, issuer,
    keyUsage: [KeyUsage.digitalSignature, KeyUsage.keyEncipherment], extKeyUsage: [OID.serverAuth],
    // Microsoft's Graph and Defender XDR hosts too, for tests that reach the emulator under those names through a
    // loopback proxy that maps them to 127.0.0.1 (test/support/proxy.ts `hosts`): this CA is made at each start and
    // trusted by nothing but the tests' M365D_CA_CERTIFICATE
    san: [{ dns: 'localhost' }, { ip: '127.0.0.1' }, { dns: 'graph.microsoft.com' }, { dns: 'api.security.microsoft.com' }], notBefore, notAfter: leafNotAfter,
  });
  const signingDer = buildCertificate({
    subjectCN: 'M365 Defender Emulator token signing', publicKey: signingKeys.publicKey, issuer,
    keyUsage: [KeyUsage.digitalSignature], notBefore, notAfter: leafNotAfter,
  });
  const clients: Record<string, IssuedCertificate> = {};
  clientNames.forEach((n, i) => {
    const keys = clientKeys[i];
    const d = buildCertificate({
      subjectCN: `m365d-emulator-${n}`, publicKey: keys.publicKey, selfPrivateKey: keys.privateKey,
      keyUsage: [KeyUsage.digitalSignature], extKeyUsage: [OID.clientAuth], notBefore, notAfter: leafNotAfter,
    });
    clients[n] = issued(d, keys, notBefore, leafNotAfter);
  });
  return {
    ca: issued(caDer, caKeys, notBefore, caNotAfter),
    server: issued(serverDer, serverKeys, notBefore, leafNotAfter),
    signing: issued(signingDer, signingKeys, notBefore, leafNotAfter),
    clients,
  };
}
