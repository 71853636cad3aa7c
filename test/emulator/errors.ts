// Error bodies in each face's shape.
//
// Entra ID (token endpoint): {"error","error_description":"AADSTSnnnn: ...\r\nTrace ID: ...\r\nCorrelation ID: ...
//   \r\nTimestamp: ...","error_codes":[n],"timestamp","trace_id","correlation_id","error_uri"} — as in real responses
//   quoted in OfficeDev/microsoft-365-agents-toolkit#8621 (7000215) and microsoftgraph/windowsupdates-webapplication-sample#6
//   (90002). Entra echoes the client's client-request-id as the correlation id.
// Graph: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}} — e.g. the 401
//   "InvalidAuthenticationToken"/"Access token has expired or is not yet valid." in besscroft/diyfile#1.
// Defender XDR (legacy): {"error":{"code","message","target":"<tracking id>"}} — defender-xdr/api-error-codes.md
//   (reference §1.8).
import * as crypto from 'node:crypto';

export type ErrorFlavor = 'graph' | 'defender' | 'entra';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** "2023-05-06 06:03:00Z", Entra's timestamp format */
export function entraTimestamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ') + 'Z';
}

export function entraError(status: number, error: string, code: number, message: string, now: Date, correlationId?: string): HttpAnswer {
  const traceId = crypto.randomUUID();
  const corr = correlationId && /^[0-9a-fA-F-]{36}$/.test(correlationId) ? correlationId : crypto.randomUUID();
  const ts = entraTimestamp(now);
  return {
    status,
    headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'x-ms-request-id': traceId },
    body: {
      error,
      error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${corr}\r\nTimestamp: ${ts}`,
      error_codes: [code],
      timestamp: ts,
      trace_id: traceId,
      correlation_id: corr,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

export function graphError(status: number, code: string, message: string, now: Date, clientRequestId?: string): HttpAnswer {
  const requestId = crypto.randomUUID();
  return {
    status,
    headers: { 'request-id': requestId, 'client-request-id': clientRequestId ?? requestId },
    body: {
      error: {
        code,
        message,
        innerError: { date: now.toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': clientRequestId ?? requestId },
      },
    },
  };
}

export function defenderError(status: number, code: string, message: string): HttpAnswer {
  return { status, headers: {}, body: { error: { code, message, target: crypto.randomUUID() } } };
}

/** Body for an injected fault status (429/500/503/504) in the flavour of the path. */
export function faultAnswer(flavor: ErrorFlavor, status: number, now: Date, clientRequestId?: string): HttpAnswer {
  if (flavor === 'entra') {
    // Entra's transient failure (AADSTS90033 "A transient error has occurred. Please try again.") for 5xx;
    // for 429 the same error with the generic throttling wording. Modelled, not observed.
    return status === 429
      ? entraError(429, 'temporarily_unavailable', 90033, 'A transient error has occurred. Too many requests, please try again later.', now, clientRequestId)
      : entraError(status, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.', now, clientRequestId);
  }
  if (flavor === 'graph') {
    // Graph: 429 TooManyRequests (concepts/throttling.md); 5xx UnknownError with an empty message was observed
    // for runHuntingQuery (microsoft-graph-docs-contrib #19084, reference §2.7).
    const map: Record<number, [string, string]> = {
      429: ['TooManyRequests', 'Too many requests. Please retry after the number of seconds in the Retry-After header.'],
      500: ['UnknownError', ''],
      503: ['ServiceUnavailable', 'The service is temporarily unavailable. Please retry later.'],
      504: ['UnknownError', ''],
    };
    const [code, message] = map[status] ?? ['UnknownError', ''];
    return graphError(status, code, message, now, clientRequestId);
  }
  const map: Record<number, [string, string]> = {
    429: ['TooManyRequests', 'API calls quota exceeded!'],
    500: ['InternalServerError', 'An unexpected error occurred.'],
    503: ['ServiceUnavailable', 'The service is temporarily unavailable.'],
    504: ['GatewayTimeout', 'The request timed out.'],
  };
  const [code, message] = map[status] ?? ['InternalServerError', 'An unexpected error occurred.'];
  return defenderError(status, code, message);
}

export function notFound(flavor: ErrorFlavor, method: string, path: string, now: Date): HttpAnswer {
  if (flavor === 'graph') {
    // Graph words an unknown segment "Resource not found for the segment 'foo'." (it answers that with 400
    // BadRequest; the emulator answers every unknown route with 404, as its brief asks).
    const seg = path.split('/').filter(Boolean).pop() ?? '';
    return graphError(404, 'ResourceNotFound', `Resource not found for the segment '${seg}'.`, now);
  }
  if (flavor === 'defender') return defenderError(404, 'NotFound', `No route matches ${method} ${path}`);
  return entraError(404, 'invalid_request', 90002, `No route matches ${method} ${path}.`, now);
}
