// Secret redaction, on values and never on serialised text, so that it can never change the structure of what is
// written (DESIGN.md: results are data).
// - redactSecrets: the package's own secrets (client secret, private key, proxy password, the tokens it obtained, its
//   client assertions), registered with add(), replaced exactly wherever they appear, in the forms a value can hold
//   them in (raw, JSON-escaped, URL-encoded, a PEM's body lines). Every string of the result goes through it, object
//   keys included, and nothing else touches the result's data: a command line with /password= in a hunting row is
//   evidence, kept as Microsoft sent it.
// - redact: that, then patterns (private key blocks, password= and token request fields, Authorization values, JWTs,
//   credentials in URLs), for log lines and error messages only. A pattern works within one string value, before it
//   is JSON-encoded, and none can reach past the text it is about (a key block's body ends where base64 ends).

export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not redacted: replacing every "a" would wreck the output and protect nothing. */
export const MIN_SECRET_LENGTH = 4;

/**
 * A private key block: its header, then its body (base64, with whitespace or escaped newlines between the lines; at
 * least 16 base64 characters in a row, so that a message naming "-----BEGIN PRIVATE KEY-----" is not one), then its
 * END line when it is there. A block cut short is redacted to the end of its run of base64 and whitespace (words
 * that follow it may go too, up to the next punctuation), never past the string it is in.
 */
const PEM = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----(?:\s|\\[rnt])*[A-Za-z0-9+/=]{16,}(?:[A-Za-z0-9+/=\s]|\\[rnt])*(-----END \1PRIVATE KEY-----)?/g;

const PATTERNS: Array<{ re: RegExp; to: string | ((...m: string[]) => string) }> = [
  { re: PEM, to: (_m, label, end) => `-----BEGIN ${label}PRIVATE KEY-----${REDACTED}${end ? `-----END ${label}PRIVATE KEY-----` : ''}` },
  // JWTs (access tokens, client assertions): header.payload.signature, header starting {"
  { re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, to: REDACTED },
  // Authorization header values
  { re: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, to: `$1 ${REDACTED}` },
  // form fields of a token request, password= forms
  { re: /\b(client_secret|client_assertion|access_token|refresh_token|password)(["']?\s*[=:]\s*["']?)[^\s&"',}]+/gi, to: `$1$2${REDACTED}` },
  // credentials in URLs: scheme://user:password@host (not the placeholder of a help text, user:password@, nor a
  // password already masked as ****)
  { re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)(?!(?:password|\*+)@)[^\s/@]+@/gi, to: `$1${REDACTED}@` },
];

export class Redactor {
  private readonly forms = new Set<string>();
  /** the registered forms, longest first (a longer secret holding a shorter one is replaced whole) */
  private sorted: string[] = [];
  private shortest = Infinity;

  /** Registers a secret in every form a value could hold it in. */
  add(secret: string | undefined | null): void {
    if (typeof secret !== 'string') return;
    const value = secret.trim();
    if (value.length < MIN_SECRET_LENGTH) return;
    const forms = new Set<string>([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
    // a PEM: each line of its body too, so that a key printed line by line, or re-wrapped, is still caught
    if (value.includes('-----BEGIN')) {
      for (const line of value.split(/\r?\n|\\n|\s+/)) if (/^[A-Za-z0-9+/=]{16,}$/.test(line)) forms.add(line);
    }
    let changed = false;
    for (const form of forms) {
      if (form.length >= MIN_SECRET_LENGTH && !this.forms.has(form)) {
        this.forms.add(form);
        changed = true;
      }
    }
    if (!changed) return;
    this.sorted = [...this.forms].sort((a, b) => b.length - a.length);
    this.shortest = this.sorted[this.sorted.length - 1]!.length;
  }

  /** the length of the longest registered form (0 when none is) */
  longest(): number {
    return this.sorted[0]?.length ?? 0;
  }

  /** `text` with every registered secret replaced by [REDACTED], and nothing else changed. */
  redactSecrets(text: string): string {
    if (text.length < this.shortest) return text;
    let out = text;
    for (const secret of this.sorted) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** redactSecrets, then the patterns: for log lines and error messages, never for data. */
  redact(text: string): string {
    let out = this.redactSecrets(text);
    for (const { re, to } of PATTERNS) out = out.replace(re, to as string);
    return out;
  }
}

/**
 * redact(text) cut to `max` characters, without running the patterns over megabytes that are cut anyway: a long text
 * is first cut with room to spare (every secret, and every pattern's match, that begins in the part kept lies within
 * it, or is cut where its match is cut too), redacted, then cut to `max`. The length given is the original text's.
 */
export function redactShort(redactor: Redactor, text: string, max: number): string {
  const spare = max + 4096 + redactor.longest();
  if (text.length <= max) return redactor.redact(text);
  const redacted = redactor.redact(text.length > spare ? text.slice(0, spare) : text);
  return redacted.length > max || text.length > spare ? `${redacted.slice(0, max)}... (${text.length} characters in all)` : redacted;
}
