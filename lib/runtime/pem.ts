// PEM text as configuration fields hold it (M365D_CLIENT_CERTIFICATE, M365D_CA_CERTIFICATE): repaired where a form
// field or copy-paste mangled it, split into blocks, each rebuilt from its base64. Pure. Every problem is a
// CONFIGURATION error that names the variable and what to do; no message carries any part of the text.

import { configurationError, type ActionError } from './errors';

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

/** `-----BEGIN <label>-----` for a label worth naming, else just "PEM". */
export function pemLabelText(label: string): string {
  return KNOWN_LABELS.has(label) ? `-----BEGIN ${label}-----` : 'PEM';
}

export interface PemBlock {
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
export function unmanglePem(text: string): string {
  return text
    .replace(/\\+r\\+n|\\+n|\\+r/g, '\n')
    .replace(/\r\n?/g, '\n')
    .replace(/\\+\//g, '/')
    .replace(/\\+t/g, ' ');
}

const MARKER = /-----\s*(BEGIN|END)\s+([A-Za-z0-9 ]+?)\s*-----/g;

/**
 * Splits the text into PEM blocks; text outside blocks (openssl's "Bag Attributes", comments) is ignored. A block cut
 * short, an END without its BEGIN or one of another label is refused, naming `variable`; `give` says what to give.
 */
export function splitPemBlocks(text: string, variable: string, give: string): PemBlock[] {
  const fail = (message: string): ActionError => configurationError(`${variable} ${message}`);
  const blocks: PemBlock[] = [];
  let open: { label: string; bodyStart: number } | undefined;
  for (const m of text.matchAll(MARKER)) {
    const kind = m[1];
    const label = (m[2] ?? '').trim().replace(/\s+/g, ' ').toUpperCase();
    const at = m.index ?? 0;
    if (kind === 'BEGIN') {
      if (open) throw fail(`is cut short: the ${pemLabelText(open.label)} block has no -----END line before the next block; paste the whole PEM, or give the path of the file.`);
      open = { label, bodyStart: at + m[0].length };
      continue;
    }
    if (!open) throw fail(`has an -----END line without its -----BEGIN line; paste the whole PEM, or give the path of the file.`);
    if (open.label !== label) throw fail(`is damaged: a ${pemLabelText(open.label)} block does not end with its own -----END line; ${give}.`);
    blocks.push(rebuild(label, text.slice(open.bodyStart, at)));
    open = undefined;
  }
  if (open) {
    throw fail(`is cut short: the ${pemLabelText(open.label)} block has no -----END line (a form field may limit the length of what it takes); paste the whole PEM, or give the path of the file.`);
  }
  return blocks;
}

function rebuild(label: string, rawBody: string): PemBlock {
  let body = rawBody;
  // RFC 1421 headers of a traditional encrypted key: "Proc-Type: 4,ENCRYPTED" and "DEK-Info: AES-256-CBC,<iv>", on
  // their own lines or, when newlines became spaces, on one line with the base64
  const encryptedHeaders = /Proc-Type\s*:/i.test(body) || /DEK-Info\s*:/i.test(body);
  if (encryptedHeaders) body = body.replace(/Proc-Type\s*:\s*\S+/gi, '').replace(/DEK-Info\s*:\s*\S+/gi, '');
  const base64 = body.replace(/\s+/g, '');
  const pem = `-----BEGIN ${label}-----\n${(base64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;
  return { label, base64, encryptedHeaders, pem };
}

export function isBase64(b: string): boolean {
  return b.length > 0 && b.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(b);
}

/** What a pasted PEM that does not parse may have suffered. */
export const DAMAGED_PEM_HINT = "it may have been damaged when pasted (a web form can turn '+' into a space); paste it again or give the path of the file";
