// The client certificate of M365D_CLIENT_CERTIFICATE: a PEM holding an RSA private key and its certificate (plus,
// possibly, the rest of the chain), repaired when a form field has mangled it, checked with node:crypto.
// Pure: no network, no file access. Every problem is a CONFIGURATION error that names the variable and what to do;
// no message ever carries any part of the PEM.

import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { configurationError, type ActionError } from '../runtime/errors';

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

/** Labels that may be named in a message (a label taken from the text is never echoed unless it is one of these). */
const KNOWN_LABELS = new Set([
  'PRIVATE KEY',
  'RSA PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
  'EC PRIVATE KEY',
  'DSA PRIVATE KEY',
  'OPENSSH PRIVATE KEY',
  'CERTIFICATE',
  'TRUSTED CERTIFICATE',
  'X509 CERTIFICATE',
  'PUBLIC KEY',
  'RSA PUBLIC KEY',
  'CERTIFICATE REQUEST',
  'NEW CERTIFICATE REQUEST',
  'EC PARAMETERS',
  'X509 CRL',
  'PKCS7',
]);

const fail = (message: string): ActionError => configurationError(`${VAR} ${message}`);

function labelText(label: string): string {
  return KNOWN_LABELS.has(label) ? `-----BEGIN ${label}-----` : 'PEM';
}

interface Block {
  label: string;
  /** the base64 body, whitespace removed */
  base64: string;
  /** RFC 1421 headers were present (Proc-Type, DEK-Info) */
  encryptedHeaders: boolean;
  /** the block rebuilt: header, body wrapped at 64, footer */
  pem: string;
}

/**
 * Undoes what form fields and copy-paste do to a PEM: literal `\n` (also double-escaped), `\r\n`, `\r`, JSON-escaped
 * slashes. Newlines turned into spaces, blanks and odd line widths need no undoing here: each block's body is rebuilt
 * from its base64 characters.
 */
function unmangle(text: string): string {
  return text
    .replace(/\\+r\\+n|\\+n|\\+r/g, '\n')
    .replace(/\r\n?/g, '\n')
    .replace(/\\+\//g, '/')
    .replace(/\\+t/g, ' ');
}

const MARKER = /-----\s*(BEGIN|END)\s+([A-Za-z0-9 ]+?)\s*-----/g;

/** Splits the text into PEM blocks; text outside blocks (openssl's "Bag Attributes", comments) is ignored. */
function splitBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let open: { label: string; bodyStart: number } | undefined;
  for (const m of text.matchAll(MARKER)) {
    const kind = m[1];
    const label = (m[2] ?? '').trim().replace(/\s+/g, ' ').toUpperCase();
    const at = m.index ?? 0;
    if (kind === 'BEGIN') {
      if (open) throw fail(`is cut short: the ${labelText(open.label)} block has no -----END line before the next block; paste the whole PEM, or give the path of the file.`);
      open = { label, bodyStart: at + m[0].length };
      continue;
    }
    if (!open) throw fail(`has an -----END line without its -----BEGIN line; paste the whole PEM, or give the path of the file.`);
    if (open.label !== label) throw fail(`is damaged: a ${labelText(open.label)} block does not end with its own -----END line; ${GIVE}.`);
    blocks.push(rebuild(label, text.slice(open.bodyStart, at)));
    open = undefined;
  }
  if (open) {
    throw fail(`is cut short: the ${labelText(open.label)} block has no -----END line (a form field may limit the length of what it takes); paste the whole PEM, or give the path of the file.`);
  }
  return blocks;
}

function rebuild(label: string, rawBody: string): Block {
  let body = rawBody;
  // RFC 1421 headers of a traditional encrypted key: "Proc-Type: 4,ENCRYPTED" and "DEK-Info: AES-256-CBC,<iv>", on
  // their own lines or, when newlines became spaces, on one line with the base64
  const encryptedHeaders = /Proc-Type\s*:/i.test(body) || /DEK-Info\s*:/i.test(body);
  if (encryptedHeaders) body = body.replace(/Proc-Type\s*:\s*\S+/gi, '').replace(/DEK-Info\s*:\s*\S+/gi, '');
  const base64 = body.replace(/\s+/g, '');
  const pem = `-----BEGIN ${label}-----\n${(base64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;
  return { label, base64, encryptedHeaders, pem };
}

function isBase64(b: string): boolean {
  return b.length > 0 && b.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(b);
}

const DAMAGED_HINT = "it may have been damaged when pasted (a web form can turn '+' into a space); paste it again or give the path of the file";

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

function parseKey(block: Block): KeyObject {
  if (block.label === 'ENCRYPTED PRIVATE KEY' || block.encryptedHeaders) {
    throw fail('holds an encrypted private key: give the key unencrypted (decrypt it with openssl pkey -in key.pem -out key-plain.pem, and keep that file private).');
  }
  if (block.label === 'EC PRIVATE KEY') throw notRsa(describeKeyType('ec'));
  if (block.label === 'DSA PRIVATE KEY') throw notRsa(describeKeyType('dsa'));
  if (block.label === 'OPENSSH PRIVATE KEY') {
    throw fail('holds a key in OpenSSH format: give an RSA key in PEM form (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----) with its certificate.');
  }
  if (!isBase64(block.base64)) throw fail(`has a private key whose body is not valid base64: ${DAMAGED_HINT}.`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.pem, format: 'pem' });
  } catch {
    throw fail(`has a private key that cannot be read: ${DAMAGED_HINT}.`);
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

function parseCert(block: Block): ParsedCert | undefined {
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
  const text = unmangle(pem);
  const blocks = splitBlocks(text);
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
  const key = parseKey(keyBlocks[0] as Block);
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
      throw fail(`has a certificate that cannot be read: ${DAMAGED_HINT}.`);
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
