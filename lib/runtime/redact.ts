// Secret redaction: every byte the runtime writes (the result on stdout, each log line on stderr) passes through it.
// Known secrets (client secret, private key, proxy password, access tokens) are replaced in every form they could be
// printed in (raw, JSON-escaped, URL-encoded); token-shaped strings are replaced whether known or not.

export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not redacted: replacing every "a" would wreck the output and protect nothing. */
export const MIN_SECRET_LENGTH = 4;

const PATTERNS: Array<[RegExp, string]> = [
  // PEM private keys, whole or with their newlines escaped
  [/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g, `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`],
  // JWTs (access tokens, client assertions): header.payload.signature, header starting {"
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Authorization header values
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // form fields of a token request
  [/\b(client_secret|client_assertion|access_token|refresh_token|password)(["']?\s*[=:]\s*["']?)[^\s&"',}]+/gi, `$1$2${REDACTED}`],
  // credentials in URLs: scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s/@]+@/gi, `$1${REDACTED}@`],
];

export class Redactor {
  private readonly secrets = new Set<string>();
  private sorted: string[] = [];

  /** Registers a secret in every form it could be printed in. */
  add(secret: string | undefined | null): void {
    if (typeof secret !== 'string') return;
    const forms = new Set<string>();
    const value = secret.trim();
    if (value.length < MIN_SECRET_LENGTH) return;
    forms.add(value);
    forms.add(JSON.stringify(value).slice(1, -1));
    forms.add(encodeURIComponent(value));
    // a PEM: each line of its body too, so that a key printed line by line, or re-wrapped, is still caught
    if (value.includes('-----BEGIN')) {
      for (const line of value.split(/\r?\n|\\n|\s+/)) if (/^[A-Za-z0-9+/=]{16,}$/.test(line)) forms.add(line);
    }
    let changed = false;
    for (const form of forms) {
      if (form.length >= MIN_SECRET_LENGTH && !this.secrets.has(form)) {
        this.secrets.add(form);
        changed = true;
      }
    }
    if (changed) this.sorted = [...this.secrets].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.sorted) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }
}
