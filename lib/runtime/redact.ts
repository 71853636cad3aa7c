// Secret redaction: every byte the runtime writes (the result on stdout, each log line on stderr) passes through it.
// Known secrets (client secret, private key, proxy password, access tokens) are replaced in every form they could be
// printed in (raw, JSON-escaped, URL-encoded); token-shaped strings are replaced whether known or not.

export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not redacted: replacing every "a" would wreck the output and protect nothing. */
export const MIN_SECRET_LENGTH = 4;

/**
 * Token-shaped strings, replaced whether known or not, in this order. `open` serves redactHead (below): given the text
 * this pattern is about to scan, which ends with ',', it says whether a match could begin before that ',' and go on
 * past it; it is absent for a pattern none of whose matches can contain a ','.
 */
interface Pattern {
  re: RegExp;
  to: string;
  open?: (text: string) => boolean;
}

const PEM = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

const PATTERNS: Pattern[] = [
  // PEM private keys, whole or with their newlines escaped (the header has no ','; the body may hold anything, so a
  // match is open when a header in the text has no END after it and the match reaches the end of the text)
  {
    re: PEM,
    to: `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`,
    open: (text) => {
      if (!text.includes('PRIVATE KEY-----')) return false;
      let last: RegExpMatchArray | undefined;
      for (const m of text.matchAll(PEM)) last = m;
      return last !== undefined && last.index! + last[0].length === text.length;
    },
  },
  // JWTs (access tokens, client assertions): header.payload.signature, header starting {"
  { re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, to: REDACTED },
  // Authorization header values
  { re: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, to: `$1 ${REDACTED}` },
  // form fields of a token request
  { re: /\b(client_secret|client_assertion|access_token|refresh_token|password)(["']?\s*[=:]\s*["']?)[^\s&"',}]+/gi, to: `$1$2${REDACTED}` },
  // credentials in URLs: scheme://user:password@host (a ',' can only be after the "://", and nothing after it in a
  // match is a '/', an '@' or a space: open when the last "://" is followed by none of those)
  {
    re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s/@]+@/gi,
    to: `$1${REDACTED}@`,
    open: (text) => {
      const at = text.lastIndexOf('://');
      return at >= 0 && !/[\s/@]/.test(text.slice(at + 3));
    },
  },
];

/**
 * Whether `secret` could straddle the end of `text` (which ends with ','): the text ends with the secret's beginning up
 * to one of its ',', and what follows in the secret can begin what follows the text. That begins with `next` (its
 * first character, when known) or with the '[' of a REDACTED that replaced a secret there.
 */
function endsInside(text: string, secret: string, next: string | undefined): boolean {
  for (let i = secret.indexOf(','); i >= 0 && i < secret.length - 1; i = secret.indexOf(',', i + 1)) {
    const after = secret[i + 1];
    if ((next === undefined || after === next || after === '[') && text.endsWith(secret.slice(0, i + 1))) return true;
  }
  return false;
}

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
    for (const { re, to } of PATTERNS) out = out.replace(re, to);
    return out;
  }

  /**
   * redact(text) when `text` is the beginning of a longer output that may be cut right after it: when, whatever
   * follows (beginning with `next` when given), redact(text + rest) === redactHead(text) + redact(rest). Otherwise
   * undefined: the caller adds more text and asks again. Why that holds: a cut is offered only after a ',' (and only while the text, at each step of
   * redact, still ends with it). Each step of redact replaces matches scanning left to right; a step gives the same
   * result on the whole output as on its two parts when no match of it can straddle the cut, since the matches that
   * lie wholly on either side are then found either way (a ',' is a non-word character like the start of a text, so
   * \b behaves the same). A match straddling the cut contains the text's last character, the ','. So at each step:
   * - a known secret (in each of its forms) straddles only if the text ends with its beginning up to one of its ','
   *   and the rest of it can begin what follows: `next`, the first character of what follows, when it is known;
   * - the JWT, Authorization and form-field patterns cannot match a ',' at all;
   * - the PEM and URL-credential patterns can, and their `open` checks look at the end of the text.
   */
  redactHead(text: string, next?: string): string | undefined {
    if (!text.endsWith(',')) return undefined;
    let out = text;
    for (const secret of this.sorted) {
      if (endsInside(out, secret, next?.[0])) return undefined;
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    if (!out.endsWith(',')) return undefined; // a secret ending in ',' was replaced at the very end
    for (const { re, to, open } of PATTERNS) {
      if (open?.(out)) return undefined;
      out = out.replace(re, to);
    }
    return out;
  }
}

/**
 * A large output redacted in chunks, with the same bytes as redact() on the whole: pieces are added in order; once at
 * least `chunkChars` are held and the last piece ended with ',', the next piece's first character is awaited and
 * Redactor.redactHead asked whether the text may be cut there. When it may, the redacted chunk is handed back.
 */
export class RedactingBuffer {
  private pending: string[] = [];
  private size = 0;
  private nextTry: number;
  /** the held text ends with ',' and is long enough: cut before the next piece if redactHead allows it */
  private ready = false;

  constructor(
    private readonly redactor: Redactor,
    private readonly chunkChars = 64 * 1024,
  ) {
    this.nextTry = chunkChars;
  }

  /** Adds the next piece of the output; returns redacted text to write now, or '' when it holds on to it. */
  push(piece: string): string {
    let out = '';
    if (this.ready && piece !== '') {
      this.ready = false;
      const text = this.pending.join('');
      const head = this.redactor.redactHead(text, piece);
      if (head === undefined) {
        // not here (a PEM header without its end, say): try again a chunk later, not at every ','
        this.pending = [text];
        this.nextTry = this.size + this.chunkChars;
      } else {
        out = head;
        this.pending = [];
        this.size = 0;
        this.nextTry = this.chunkChars;
      }
    }
    this.pending.push(piece);
    this.size += piece.length;
    if (this.size >= this.nextTry && piece.endsWith(',')) this.ready = true;
    return out;
  }

  /** The rest of the output, redacted. */
  end(): string {
    const text = this.pending.join('');
    this.pending = [];
    this.size = 0;
    this.ready = false;
    this.nextTry = this.chunkChars;
    return this.redactor.redact(text);
  }
}
