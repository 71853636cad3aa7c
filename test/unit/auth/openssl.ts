// Real keys and certificates for the certificate tests, made with the openssl command line (node has no certificate
// builder). Made once per run in a temp folder; a missing openssl fails the tests with a clear message.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Fixtures {
  dir: string;
  /** PKCS#8 RSA key and its self-signed certificate */
  key: string;
  cert: string;
  /** the same key as PKCS#1 (-----BEGIN RSA PRIVATE KEY-----) */
  keyPkcs1: string;
  /** another RSA key and certificate */
  otherKey: string;
  otherCert: string;
  /** a CA and a leaf certificate it signed, with the leaf's key */
  caCert: string;
  leafKey: string;
  leafCert: string;
  /** EC key (PKCS#8 and traditional) with its certificate */
  ecKey: string;
  ecKeyTraditional: string;
  ecCert: string;
  /** the RSA key encrypted: PKCS#8 and traditional (Proc-Type: 4,ENCRYPTED) */
  encryptedKey: string;
  encryptedKeyTraditional: string;
  /** certificates of `key` valid 2020 to 2021, and from 2090 */
  expiredCert: string;
  futureCert: string;
}

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function requireOpenssl(): void {
  try {
    openssl(['version'], os.tmpdir());
  } catch (err) {
    throw new Error(`These tests make their certificates with the openssl command, which cannot be run here (${(err as NodeJS.ErrnoException).code ?? String(err)}). Install OpenSSL (e.g. apt-get install openssl) and put it on PATH.`);
  }
}

/** openssl's SHA-256 / SHA-1 fingerprint of a certificate file, colons removed. */
export function opensslFingerprint(dir: string, file: string, digest: 'sha256' | 'sha1'): string {
  const out = openssl(['x509', '-noout', '-fingerprint', `-${digest}`, '-in', file], dir);
  const m = /Fingerprint=([0-9A-F:]+)/i.exec(out);
  if (!m?.[1]) throw new Error(`unexpected openssl output: ${out}`);
  return m[1].replace(/:/g, '').toUpperCase();
}

export function makeFixtures(): Fixtures {
  requireOpenssl();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365d-cert-test-'));
  const run = (...args: string[]): string => openssl(args, dir);
  const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');

  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '30', '-subj', '/CN=m365d-soar-test/O=Contoso');
  run('rsa', '-in', 'key.pem', '-traditional', '-out', 'key-pkcs1.pem');
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-key.pem', '-out', 'other-cert.pem', '-days', '30', '-subj', '/CN=other');

  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca-cert.pem', '-days', '30', '-subj', '/CN=Test CA');
  run('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf-key.pem', '-out', 'leaf.csr', '-subj', '/CN=leaf');
  run('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca-cert.pem', '-CAkey', 'ca-key.pem', '-set_serial', '4242', '-days', '30', '-out', 'leaf-cert.pem');

  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ec-key.pem', '-out', 'ec-cert.pem', '-days', '30', '-subj', '/CN=ec');
  run('ec', '-in', 'ec-key.pem', '-out', 'ec-key-trad.pem');

  run('pkey', '-in', 'key.pem', '-aes256', '-passout', 'pass:not-the-point', '-out', 'enc-key.pem');
  run('rsa', '-in', 'key.pem', '-traditional', '-aes256', '-passout', 'pass:not-the-point', '-out', 'enc-key-trad.pem');

  // certificates with chosen dates: `openssl ca` with a minimal configuration
  fs.mkdirSync(path.join(dir, 'ca'));
  fs.writeFileSync(path.join(dir, 'ca', 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'ca', 'serial'), '01\n');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    ['[ ca ]', 'default_ca = d', '[ d ]', 'database = ca/index.txt', 'new_certs_dir = ca', 'serial = ca/serial', 'default_md = sha256', 'policy = p', 'email_in_dn = no', 'unique_subject = no', '[ p ]', 'commonName = supplied', ''].join('\n'),
  );
  run('req', '-new', '-key', 'key.pem', '-subj', '/CN=dated', '-out', 'dated.csr');
  run('ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'key.pem', '-in', 'dated.csr', '-startdate', '20200101000000Z', '-enddate', '20210101000000Z', '-out', 'expired-cert.pem');
  run('ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'key.pem', '-in', 'dated.csr', '-startdate', '20900101000000Z', '-enddate', '20910101000000Z', '-out', 'future-cert.pem');
  // `openssl ca` writes a text dump before the PEM: keep the PEM only
  const pemOnly = (f: string): string => {
    const m = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/.exec(read(f));
    if (!m) throw new Error(`openssl wrote no certificate to ${f}`);
    return m[0];
  };

  return {
    dir,
    key: read('key.pem'),
    cert: read('cert.pem'),
    keyPkcs1: read('key-pkcs1.pem'),
    otherKey: read('other-key.pem'),
    otherCert: read('other-cert.pem'),
    caCert: read('ca-cert.pem'),
    leafKey: read('leaf-key.pem'),
    leafCert: read('leaf-cert.pem'),
    ecKey: read('ec-key.pem'),
    ecKeyTraditional: read('ec-key-trad.pem'),
    ecCert: read('ec-cert.pem'),
    encryptedKey: read('enc-key.pem'),
    encryptedKeyTraditional: read('enc-key-trad.pem'),
    expiredCert: pemOnly('expired-cert.pem'),
    futureCert: pemOnly('future-cert.pem'),
  };
}
