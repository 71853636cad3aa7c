// Retries as a small policy around one transport (after Azure's core-rest-pipeline throttlingRetryStrategy and
// exponentialRetryStrategy): 429, 503 and 504 wait for Retry-After (seconds or an HTTP date) or back off
// exponentially with jitter; a connection that failed before the request was sent is always tried again; one that
// may have carried it only when the request is safe to repeat. A request that is not (idempotent: false) is not sent
// again after a 504 (a gateway gave up waiting: it may have been applied), nor after a 503 without Retry-After: Graph
// documents 503 as "temporarily unavailable for maintenance or is overloaded. You may repeat the request after a
// delay, the length of which may be specified in a Retry-After header" (concepts/errors.md; its code
// serviceNotAvailable: "There may be a Retry-After header"), and a 503 with Retry-After is that documented "come back
// later", retried; without one it may be a gateway's answer after it forwarded the request. Defender for Endpoint's
// common-errors.md lists no 503 at all (only 429 with Retry-After, and "Try sending the HTTP request again" for the
// 500s in general), so the same rule serves both. The whole wait is bounded by the action's remaining
// time: a wait that would pass the deadline is not started. Every retry is logged.

import type { Logger } from '../runtime/log';
import { TransportError, type HttpRequest, type HttpResponse, type Transport } from './transport';

export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

export interface RetryOptions {
  /** attempts in all, the first included */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** epoch ms: no wait may end after this (less the time one more attempt needs, `reserveMs`) */
  deadline: number;
  reserveMs: number;
  log: Logger;
  signal?: AbortSignal;
  /** for tests */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export const DEFAULT_RETRY: Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'reserveMs'> = {
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  reserveMs: 1_000,
};

/** The start of an HTTP date in any of the three forms RFC 9110 §5.6.7 asks a recipient to read (IMF-fixdate
 *  "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT", asctime "Sun Nov  6 08:49:37 1994"):
 *  a day name. Date.parse alone reads "2, 3" or "-5" as dates long past. */
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s/i;

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date. Undefined, so that the back-off applies, when it is
 * absent or unreadable, and when it asks for no wait at all: 0, a negative value, a list ("2, 3"), or a date that has
 * passed. A service that throttles and says "now" would otherwise get every attempt within a moment.
 */
export function retryAfterMs(headers: Record<string, string>, now: number): number | undefined {
  const value = headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) {
    const ms = Math.round(Number(value) * 1000);
    return ms > 0 ? ms : undefined;
  }
  if (!HTTP_DATE.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isFinite(date) && date > now ? date - now : undefined;
}

/** Exponential back-off with full jitter between half and the whole of base * 2^(attempt-1), capped. */
export function backoffMs(attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

/** Whether an answer carries a Retry-After header at all (any value: "0" still says the service asks to come back). */
export const hasRetryAfter = (headers: Record<string, string>): boolean => (headers['retry-after']?.trim() ?? '') !== '';

/** Whether a request may be sent again after it may have been applied. */
export const isIdempotent = (request: HttpRequest): boolean => request.idempotent ?? request.method !== 'POST';

/**
 * Sends `request`, retrying as above. Returns the last response (the caller maps a final 429/503/504 to an error) or
 * throws the last TransportError.
 */
export async function sendWithRetries(transport: Transport, request: HttpRequest, options: RetryOptions): Promise<HttpResponse> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    let wait: number | undefined;
    let reason: Record<string, unknown>;
    try {
      const response = await transport.send(request, options.signal);
      if (!RETRY_STATUSES.has(response.status)) return response;
      // a 504 means a gateway gave up waiting: a request that creates something may have been applied
      if (response.status === 504 && !isIdempotent(request)) return response;
      // a 503 without Retry-After is no documented "come back later": a gateway may have forwarded the request
      if (response.status === 503 && !hasRetryAfter(response.headers) && !isIdempotent(request)) return response;
      const after = retryAfterMs(response.headers, now());
      wait = after ?? backoffMs(attempt, options, random);
      reason = { status: response.status, retry_after_ms: after };
      if (!canWait(attempt, wait, options, now())) {
        options.log.warn(`${request.label}: giving up after ${attempt} attempt(s)`, { ...reason, wait_ms: wait, remaining_ms: Math.max(0, options.deadline - now()) });
        return response;
      }
    } catch (err) {
      if (!(err instanceof TransportError) || err.kind === 'aborted') throw err;
      if (err.maybeSent && !isIdempotent(request)) throw err;
      if (err.kind === 'tls' || err.kind === 'proxy') throw err; // a certificate, or a proxy's refusal, does not change on retry
      // a managed identity endpoint (this host or link-local) that refuses or does not answer is not there: asking
      // again only makes a run on a host without one wait minutes (169.254.169.254 drops the connection off Azure)
      if (request.local && (!err.maybeSent || err.kind === 'timeout')) throw err;
      wait = backoffMs(attempt, options, random);
      reason = { error: err.code ?? err.kind };
      if (!canWait(attempt, wait, options, now())) throw err;
    }
    options.log.warn(`${request.label}: retrying in ${wait} ms`, { attempt, next_attempt: attempt + 1, ...reason });
    await sleep(wait, options.signal);
    if (options.signal?.aborted) throw new TransportError('aborted', `${request.label} was cancelled.`, true);
  }
}

function canWait(attempt: number, wait: number, options: RetryOptions, now: number): boolean {
  return attempt < options.maxAttempts && now + wait + options.reserveMs <= options.deadline;
}
