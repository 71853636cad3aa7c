// Shared pieces of the Defender for Endpoint face: the route type, error bodies and OData paging.
//
// Error body {"error":{"code","message","target"}} and its codes (BadRequest, ODataError, InvalidRequestBody,
// InvalidHashValue, InvalidIpAddress, MissingRequiredParameter, Forbidden, NotFound, ResourceNotFound, TooManyRequests):
// defender-endpoint/api/common-errors.md (reference §2.5), whose example is
// {"code":"ResourceNotFound","message":"Machine 123123123 was not found","target":"43f4cb08-…"}.
// The 403 for a missing application role, as observed on these APIs: {"code":"Forbidden","message":"Missing application
// roles. API required roles: Machine.Read.All,Machine.ReadWrite.All, application roles: Machine.Isolate."}
// (Azure/Azure-Sentinel#14672).
import { defenderError } from '../errors';
import type { FaceRequest, FaceResponse } from '../tenant/api';
import type { EndpointStore } from './model';
import { FilterError, parseFilter, type FilterModel, type Pred } from './filter';

export interface EndpointContext {
  req: FaceRequest;
  store: EndpointStore;
  /** the service clock */
  now: Date;
}

export interface EndpointRoute {
  method: string;
  /** matched against the whole path, case-insensitively (the service's routing is) */
  pattern: RegExp;
  /** any one of these application roles is enough */
  roles: readonly string[];
  handle(ctx: EndpointContext, m: RegExpExecArray): FaceResponse;
}

/** The Defender API error body, as the server core writes it for the Defender XDR face (errors.ts). */
export const mdeError = (status: number, code: string, message: string): FaceResponse => defenderError(status, code, message);

export function forbidden(required: readonly string[], have: Iterable<string>): FaceResponse {
  return mdeError(403, 'Forbidden', `Missing application roles. API required roles: ${required.join(',')}, application roles: ${[...have].join(',')}.`);
}

export function ok(status: number, body: unknown): FaceResponse {
  return { status, headers: {}, body };
}

export function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** "Maximum page size is 10,000" with `$top` "max value of 10,000" (get-machines.md, get-machineactions-collection.md). */
export const MAX_TOP = 10_000;

/**
 * $filter / $top / $skip of a list API. Other system query options are refused (not documented for these lists). No
 * @odata.nextLink is written: the lists page with $skip (a user's report, MicrosoftDocs/microsoft-365-docs#8489).
 */
export function page<T>(rawQuery: string, items: T[], model: FilterModel<T>): { value: T[] } | FaceResponse {
  const q = new Map<string, string>();
  for (const part of rawQuery ? rawQuery.split('&') : []) {
    if (!part) continue;
    const i = part.indexOf('=');
    const k = safeDecode((i < 0 ? part : part.slice(0, i)).replace(/\+/g, ' ')).trim();
    const v = i < 0 ? '' : safeDecode(part.slice(i + 1).replace(/\+/g, ' '));
    if (k.startsWith('$')) {
      const key = k.toLowerCase();
      if (q.has(key)) return mdeError(400, 'ODataError', `Query option '${k}' was specified more than once, but it must be specified at most once.`);
      q.set(key, v);
    }
  }
  for (const k of q.keys()) {
    if (!['$filter', '$top', '$skip'].includes(k)) return mdeError(400, 'ODataError', `The query parameter '${k}' is not supported.`);
  }
  let pred: Pred<T> | undefined;
  const f = q.get('$filter');
  if (f !== undefined) {
    try { pred = parseFilter(f, model); } catch (e) {
      if (e instanceof FilterError) return mdeError(400, 'ODataError', e.message);
      throw e;
    }
  }
  const int = (name: string): number | FaceResponse | undefined => {
    const v = q.get(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v.trim())) return mdeError(400, 'ODataError', `Invalid value '${v}' for ${name} query option found. The ${name} query option requires a non-negative integer value.`);
    return Number(v.trim());
  };
  const top = int('$top'); if (typeof top === 'object') return top;
  const skip = int('$skip'); if (typeof skip === 'object') return skip;
  if (top !== undefined && top > MAX_TOP) {
    return mdeError(400, 'ODataError', `The limit of '${MAX_TOP}' for Top query has been exceeded. The value from the incoming request is '${top}'.`);
  }
  const matched = pred ? items.filter(pred) : items;
  const from = skip ?? 0;
  return { value: matched.slice(from, from + (top ?? MAX_TOP)) };
}

export function isAnswer(x: unknown): x is FaceResponse {
  return typeof x === 'object' && x !== null && 'status' in x;
}
