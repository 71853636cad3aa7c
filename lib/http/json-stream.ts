// A JSON body parsed as it arrives, with the result JSON.parse would give on the whole text, but without ever holding
// that text: a 100,000-row hunting answer ({"schema":[...],"results":[...]}) is 30 MB of JSON, and JSON.parse needs
// it as one string (and node-fetch's text() holds it three times over). Here the elements of the big arrays are
// parsed one by one as their text is complete; what is left (the "skeleton") is small and parsed at the end.
//
// Which arrays: the top-level value when it is an array, and the arrays that are member values of the top-level object
// (results, Results, value, schema, ...). Each such array is replaced in the skeleton by a string that cannot occur in
// the body (a random nonce and a number) and put back by a reviver. Validity is the same as JSON.parse's: the skeleton
// is parsed by JSON.parse, each element by JSON.parse, and the punctuation between elements ('[', ',', ']' and
// whitespace) is checked here; an array is only split where a value is expected (at the top, or after a ':' of the
// top-level object), so replacing it by a string keeps an invalid skeleton invalid.

import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class JsonSplitter {
  private readonly marker = `\u0000${randomUUID()}:`;
  private readonly skeleton: string[] = [];
  /** open containers of the skeleton (outside split arrays) */
  private readonly stack: number[] = [];
  /** the last character of the skeleton that is not whitespace (0 before any) */
  private last = 0;
  private inString = false;
  private escaped = false;
  private readonly arrays: unknown[][] = [];
  // inside a split array
  private items: unknown[] | undefined;
  private element: string[] = [];
  private depth = 0;
  private commas = 0;

  /** Scans the next piece of the text; throws a SyntaxError as soon as the text cannot be JSON. */
  write(text: string): void {
    let from = 0; // start of the part of `text` not yet copied to the skeleton or the element
    const n = text.length;
    // inside a string, jump to the next '"' or '\\' (most of a hunting answer is strings): their next positions in
    // `text`, looked up again only once passed (-1: none left in this piece)
    let quote = -2;
    let backslash = -2;
    for (let i = 0; i < n; i++) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false; // the character after a backslash
          continue;
        }
        if (quote !== -1 && quote < i) quote = text.indexOf('"', i);
        if (backslash !== -1 && backslash < i) backslash = text.indexOf('\\', i);
        if (backslash !== -1 && (quote === -1 || backslash < quote)) {
          i = backslash;
          this.escaped = true;
        } else if (quote === -1) i = n; // the string goes on in the next piece
        else {
          i = quote;
          this.inString = false;
        }
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.inString = true;
        if (!this.items) this.last = c;
        continue;
      }
      if (this.items) {
        // inside a split array: an element runs to the next ',' or ']' of the array's own level
        if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
        else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && this.depth > 0) this.depth--;
        else if (c === COMMA && this.depth === 0) {
          this.element.push(text.slice(from, i));
          this.closeElement(false);
          from = i + 1;
        } else if (c === CLOSE_BRACKET) {
          this.element.push(text.slice(from, i));
          this.closeElement(true);
          from = i + 1;
        } else if (c === CLOSE_BRACE) throw new SyntaxError('Unexpected } in an array');
        continue;
      }
      if (isJsonSpace(c)) continue;
      if (c === OPEN_BRACKET && (this.stack.length === 0 || (this.stack.length === 1 && this.stack[0] === OPEN_BRACE && this.last === COLON))) {
        this.skeleton.push(text.slice(from, i), JSON.stringify(`${this.marker}${this.arrays.length}`));
        this.items = [];
        this.arrays.push(this.items);
        this.element = [];
        this.depth = 0;
        this.commas = 0;
        this.last = QUOTE;
        from = i + 1;
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) this.stack.push(c);
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) this.stack.pop();
      this.last = c;
    }
    if (this.items) this.element.push(text.slice(from));
    else this.skeleton.push(text.slice(from));
  }

  private closeElement(endOfArray: boolean): void {
    const text = this.element.join('');
    this.element = [];
    const items = this.items!;
    if (endOfArray) {
      this.items = undefined;
      if (this.commas === 0 && /^[ \n\r\t]*$/.test(text)) return; // [] or [ ]
    } else this.commas++;
    items.push(JSON.parse(text)); // '' (as in [1,,2] or [1,]) throws here, as JSON.parse would on the whole
  }

  /** The value of the whole text (undefined when it was only whitespace); throws a SyntaxError when it is not JSON. */
  end(): unknown {
    if (this.items || this.inString) throw new SyntaxError('Unexpected end of JSON input');
    const skeleton = this.skeleton.join('');
    if (this.arrays.length === 0) return skeleton.trim() === '' ? undefined : JSON.parse(skeleton);
    const { marker, arrays } = this;
    return JSON.parse(skeleton, (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(marker) ? arrays[Number(value.slice(marker.length))] : value);
  }
}

export type JsonBody = { value: unknown } | { invalid: string };

/**
 * Reads a response body stream to its end and parses it as JSON on the way: `{value}` (undefined for an empty body)
 * or `{invalid}` with JSON.parse's message when the text is not JSON (the rest is still read, so the connection can
 * be used again). A stream error (the connection closed, the request aborted) rejects.
 */
export function readJsonBody(body: NodeJS.ReadableStream | null): Promise<JsonBody> {
  if (!body) return Promise.resolve({ value: undefined });
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    const splitter = new JsonSplitter();
    let invalid: string | undefined;
    const feed = (text: string): void => {
      if (invalid !== undefined || text === '') return;
      try {
        splitter.write(text);
      } catch (err) {
        invalid = err instanceof Error ? err.message : String(err);
      }
    };
    body.on('data', (chunk: Buffer | string) => feed(typeof chunk === 'string' ? chunk : decoder.write(chunk)));
    body.once('error', reject);
    body.once('end', () => {
      feed(decoder.end());
      if (invalid !== undefined) return resolve({ invalid });
      try {
        resolve({ value: splitter.end() });
      } catch (err) {
        resolve({ invalid: err instanceof Error ? err.message : String(err) });
      }
    });
  });
}
