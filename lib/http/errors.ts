// Microsoft's error answers mapped to the contract's error codes, with messages a person can act on.
// Graph: {"error":{"code","message","innerError"}}; Defender XDR: {"error":{"code","message","target"}};
// Entra ID: {"error","error_description":"AADSTSnnnn: ...","error_codes":[n]} (see lib/auth/errors.ts).

import { ActionError } from '../runtime/errors';
import { retryAfterMs } from './retry';
import type { HttpResponse } from './transport';
import { TransportError } from './transport';

export interface MicrosoftError {
  code?: string;
  message?: string;
}

const clip = (s: string, n = 400): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** The code and message of a Microsoft error body, whatever its shape; the raw text when it is not JSON. */
export function parseMicrosoftError(body: string): MicrosoftError {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const text = body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    return text ? { message: clip(text, 200) } : {};
  }
  if (json === null || typeof json !== 'object') return {};
  const o = json as Record<string, unknown>;
  const inner = o['error'];
  if (inner && typeof inner === 'object') {
    const e = inner as Record<string, unknown>;
    return { ...(typeof e['code'] === 'string' && e['code'] ? { code: e['code'] } : {}), ...(typeof e['message'] === 'string' ? { message: e['message'] } : {}) };
  }
  if (typeof inner === 'string') {
    const description = typeof o['error_description'] === 'string' ? o['error_description'].split(/\r?\n/)[0]! : undefined;
    return { code: inner, ...(description ? { message: description } : {}) };
  }
  const message = typeof o['message'] === 'string' ? o['message'] : typeof o['Message'] === 'string' ? o['Message'] : undefined;
  return message ? { message } : {};
}

export interface Operation {
  /** what the request does: "list incidents" */
  label: string;
  /** the application permission it needs on the configured API, e.g. SecurityIncident.Read.All */
  permission?: string;
  /** which API answered, for messages: "Microsoft Graph" or "the Defender XDR API" */
  api: string;
  /** shown for a 407 from the proxy */
  proxy?: string;
}

function detail(e: MicrosoftError): string {
  const parts = [e.code, e.message ? clip(e.message) : undefined].filter(Boolean);
  return parts.length ? ` (${parts.join(': ')})` : '';
}

/** The error for a final non-2xx answer. */
export function errorForResponse(response: HttpResponse, op: Operation, now = Date.now()): ActionError {
  const e = parseMicrosoftError(response.body);
  const d = detail(e);
  switch (response.status) {
    case 401:
      return new ActionError('AUTHENTICATION', `${op.api} refused the access token for ${op.label}${d}. Check that the app registration is in the configured tenant and that M365D_API_URL and M365D_CLOUD match the tenant's cloud.`);
    case 403:
      return new ActionError(
        'PERMISSION',
        op.permission
          ? `The app lacks the ${op.permission} application permission (with admin consent) that ${op.label} needs on ${op.api}${d}.`
          : `${op.api} forbade ${op.label}${d}.`,
      );
    case 404:
      return new ActionError('NOT_FOUND', `${op.api} found nothing for ${op.label}${d}.`);
    case 407:
      return new ActionError('NETWORK', `The proxy${op.proxy ? ` ${op.proxy}` : ''} asks for credentials (407 Proxy Authentication Required): check the user and password in the proxy URL.`);
    case 429: {
      const after = retryAfterMs(response.headers, now);
      return new ActionError('THROTTLED', `${op.api} throttled ${op.label} (429)${d}${after !== undefined ? `; it accepts calls again in ${Math.ceil(after / 1000)} s` : ''}.`);
    }
    default: {
      const kind = response.status >= 500 ? 'failed' : 'refused';
      return new ActionError('API_ERROR', `${op.api} ${kind} ${op.label} (HTTP ${response.status})${d}.`);
    }
  }
}

/** The error for a request that got no complete answer. */
export function errorForTransport(err: TransportError): ActionError {
  switch (err.kind) {
    case 'timeout':
      return new ActionError('TIMEOUT', err.message, { cause: err });
    case 'aborted':
      return new ActionError('TIMEOUT', `${err.message} The action reached its deadline or was stopped.`, { cause: err });
    default:
      return new ActionError('NETWORK', err.message, { cause: err });
  }
}
