// Injected faults: each applies to the next `count` requests that match it (method and/or path prefix).
import { isObject } from './jwt';

export type FaultKind = 'status' | 'delay' | 'reset' | 'truncate' | 'body';

export interface FaultSpec {
  kind: FaultKind;
  /** for kind "status": 429, 500, 503 or 504; for kind "body": any of 200..599 (default 200) */
  status?: number;
  /** Retry-After: seconds, "http-date" (an HTTP-date `retryAfterSeconds` (default 1) ahead), or null/absent for none */
  retryAfter?: number | 'http-date' | null;
  /** for "http-date": how far ahead the date is (default 1 s) */
  retryAfterSeconds?: number;
  /** for kind "delay" */
  delayMs?: number;
  /**
   * for kind "body": the answer's text, sent as is in place of the service's answer (a broken gateway or proxy):
   * with `status` (default 200; for this kind any of 200..599) and `contentType` (default application/json)
   */
  body?: string;
  contentType?: string;
  /** how many matching requests it applies to (default 1) */
  count?: number;
  /** path: a path prefix; query: text the raw query string must contain (e.g. "$expand=alerts") */
  match?: { method?: string; path?: string; query?: string; exact?: boolean };
}

export interface Fault extends FaultSpec {
  id: number;
  count: number;
  remaining: number;
}

export class FaultError extends Error {}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Validates a JSON fault spec; throws FaultError with a message a person can act on. */
export function parseFault(input: unknown): FaultSpec {
  if (!isObject(input)) throw new FaultError('The body must be a JSON object.');
  const kind = input.kind;
  if (kind !== 'status' && kind !== 'delay' && kind !== 'reset' && kind !== 'truncate' && kind !== 'body') {
    throw new FaultError('kind must be one of "status", "delay", "reset", "truncate", "body".');
  }
  const spec: FaultSpec = { kind };
  if (kind === 'status') {
    if (![429, 500, 503, 504].includes(input.status as number)) throw new FaultError('status must be 429, 500, 503 or 504.');
    spec.status = input.status as number;
  }
  if (kind === 'body') {
    if (typeof input.body !== 'string') throw new FaultError('body must be the answer\'s text, a string ("" for an empty body).');
    spec.body = input.body;
    if (input.status !== undefined) {
      if (typeof input.status !== 'number' || !Number.isInteger(input.status) || input.status < 200 || input.status > 599) throw new FaultError('status must be a whole number from 200 to 599 for kind "body".');
      spec.status = input.status;
    }
    if (input.contentType !== undefined) {
      if (typeof input.contentType !== 'string' || input.contentType === '' || /[\r\n]/.test(input.contentType)) throw new FaultError('contentType must be a media type such as "text/html".');
      spec.contentType = input.contentType;
    }
  }
  if (input.retryAfter !== undefined && input.retryAfter !== null) {
    const ra = input.retryAfter;
    if (!(ra === 'http-date' || (typeof ra === 'number' && Number.isInteger(ra) && ra >= 0))) {
      throw new FaultError('retryAfter must be a whole number of seconds, "http-date" or null.');
    }
    spec.retryAfter = ra;
  } else if (input.retryAfter === null) spec.retryAfter = null;
  if (input.retryAfterSeconds !== undefined) {
    if (typeof input.retryAfterSeconds !== 'number' || input.retryAfterSeconds < 0) throw new FaultError('retryAfterSeconds must be a number >= 0.');
    spec.retryAfterSeconds = input.retryAfterSeconds;
  }
  if (kind === 'delay') {
    if (typeof input.delayMs !== 'number' || !(input.delayMs >= 0) || input.delayMs > 600_000) throw new FaultError('delayMs must be a number of milliseconds (0..600000).');
    spec.delayMs = input.delayMs;
  }
  const count = input.count ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw new FaultError('count must be a whole number >= 1.');
  spec.count = count;
  if (input.match !== undefined) {
    if (!isObject(input.match)) throw new FaultError('match must be an object {method?, path?}.');
    const { method, path } = input.match;
    if (method !== undefined && typeof method !== 'string') throw new FaultError('match.method must be a string.');
    if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) throw new FaultError('match.path must be a path prefix starting with "/".');
    const query = input.match.query;
    if (query !== undefined && (typeof query !== 'string' || query === '')) throw new FaultError('match.query must be a non-empty string the raw query must contain.');
    const exact = input.match.exact;
    if (exact !== undefined && typeof exact !== 'boolean') throw new FaultError('match.exact must be true or false (true: the path must equal match.path).');
    spec.match = { method: method as string | undefined, path: path as string | undefined, ...(query !== undefined ? { query: query as string } : {}), ...(exact ? { exact } : {}) };
  }
  return spec;
}

export class Faults {
  private list: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    const count = spec.count ?? 1;
    const f: Fault = { ...spec, id: this.nextId++, count, remaining: count };
    this.list.push(f);
    return f;
  }

  /** Takes the first pending fault that matches (and counts it down); control paths never match. */
  take(method: string, path: string, rawQuery = ''): Fault | undefined {
    if (path.startsWith('/_emulator')) return undefined;
    const f = this.list.find((x) => x.remaining > 0
      && (!x.match?.method || x.match.method.toUpperCase() === method.toUpperCase())
      && (!x.match?.path || (x.match.exact ? path === x.match.path : path.startsWith(x.match.path)))
      && (!x.match?.query || rawQuery.includes(x.match.query) || safeDecode(rawQuery).includes(x.match.query)));
    if (!f) return undefined;
    f.remaining--;
    if (f.remaining === 0) this.list = this.list.filter((x) => x !== f);
    return { ...f };
  }

  pending(): Fault[] { return this.list.map((f) => ({ ...f })); }
  clear(): void { this.list = []; }
}

/** The Retry-After header value for a status fault, or undefined for none. */
export function retryAfterHeader(f: FaultSpec, nowMs = Date.now()): string | undefined {
  if (f.retryAfter === undefined || f.retryAfter === null) return undefined;
  if (f.retryAfter === 'http-date') {
    const ahead = (f.retryAfterSeconds ?? 1) * 1000;
    // HTTP-date has whole seconds: round up so the client never retries early
    return new Date(Math.ceil((nowMs + ahead) / 1000) * 1000).toUTCString();
  }
  return String(f.retryAfter);
}
