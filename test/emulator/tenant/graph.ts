// The Microsoft Graph v1.0 face: paths under /v1.0/security/ (alerts_v2 is in alerts.ts, on the helpers exported here).
// Sources: microsoft-graph-docs-contrib api-reference/v1.0/api/security-list-incidents.md, security-incident-get.md,
// security-incident-update.md, security-incident-post-comments.md,
// security-security-runhuntingquery.md; permissions api-reference/v1.0/includes/permissions/*.md.
import type { FaceRequest, FaceResponse } from './api';
import { preferenceApplied, prefersUnknownEnumMembers } from './enums';
import { HuntingError, type HuntingEngine } from '../hunting/api';
import {
  type Incident, CLASSIFICATION, DETERMINATION, INCIDENT_STATUS, LIVE_CLASSIFICATION, LIVE_DETERMINATION,
  LIVE_STATUS, SEVERITY, Store, cascadeToAlerts, evolvedMembers, parseStamp, shownMember, stampOf, SENTINEL,
} from './model';
import {
  type EntityModel, type Field, type OrderKey, ODataError, compareBy, evaluate, parseCount, parseFilter, parseNonNegative, parseOrderBy, parseQueryString,
} from './odata';
import { graphComment, graphError, graphIncident } from './shapes';

export interface TenantState { store: Store; tenantId: string; hunting?: HuntingEngine }

type Json = Record<string, unknown>;
export function safeDecode(s: string): string { try { return decodeURIComponent(s); } catch { return s; } }

export const enumType = (typeName: string, members: readonly string[]) => ({ kind: 'enum' as const, typeName, members, caseInsensitive: true });
export const STR = { kind: 'string' as const };
export const DT = { kind: 'datetime' as const };

// ---- incident model: $filter fields per security-list-incidents.md ("assignedTo, classification, createdDateTime,
// determination, lastUpdateDateTime, severity, and status").
const INC_FIELDS: Record<string, Field<Incident>> = {
  assignedTo: { name: 'assignedTo', type: STR, get: (i) => i.assignedTo },
  classification: { name: 'classification', type: enumType('microsoft.graph.security.alertClassification', CLASSIFICATION), get: (i) => i.classification },
  createdDateTime: { name: 'createdDateTime', type: DT, get: (i) => i.created },
  determination: { name: 'determination', type: enumType('microsoft.graph.security.alertDetermination', DETERMINATION), get: (i) => i.determination },
  lastUpdateDateTime: { name: 'lastUpdateDateTime', type: DT, get: (i) => i.lastUpdate },
  severity: { name: 'severity', type: enumType('microsoft.graph.security.alertSeverity', SEVERITY), get: (i) => i.severity },
  status: { name: 'status', type: enumType('microsoft.graph.security.incidentStatus', INCIDENT_STATUS), get: (i) => i.status },
};
const INC_ID: Field<Incident> = { name: 'id', type: STR, get: (i) => String(i.id).padStart(16, '0') }; // numeric order for a string key
const INC_DECLARED = ['id', 'incidentWebUrl', 'redirectIncidentId', 'displayName', 'tenantId', 'createdDateTime', 'lastUpdateDateTime', 'assignedTo',
  'classification', 'determination', 'status', 'severity', 'customTags', 'systemTags', 'description', 'comments', 'alerts', 'summary', 'resolvingComment', 'lastModifiedBy'];
export const INCIDENT_MODEL: EntityModel<Incident> = {
  typeName: 'microsoft.graph.security.incident', filterable: Object.values(INC_FIELDS), declared: INC_DECLARED, caseInsensitiveNames: true,
};
// $orderby is not documented for incidents; the emulator sorts on these (the brief asks for it).
const INC_SORTABLE: Field<Incident>[] = [...Object.values(INC_FIELDS), INC_ID, { name: 'displayName', type: STR, get: (i) => i.displayName }];
/** "The most recent incidents are displayed at the top of the list." (security-list-incidents.md) */
const INC_DEFAULT_ORDER: OrderKey<Incident>[] = [{ field: INC_FIELDS.createdDateTime, desc: true }, { field: INC_ID, desc: true }];

/** Page sizes. Incidents: $top above 50 is a 400 (observed, wazuh/wazuh#27579) and a page without $top holds 50
 * (observed nextLink "…/security/incidents?$skip=50" in a captured response). Alerts: in alerts.ts. */
export const INCIDENT_MAX_TOP = 50;

// ---- permissions (reference §2.1; the alert roles are in alerts.ts)
const INCIDENT_READ = ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'];
const INCIDENT_WRITE = ['SecurityIncident.ReadWrite.All'];
const HUNTING = ['ThreatHunting.Read.All'];

export function forbidden(req: FaceRequest, required: string[]): FaceResponse | undefined {
  if (required.some((r) => req.caller.roles.has(r))) return undefined;
  // Graph's 403 for a missing application role (wazuh/wazuh-documentation#7300, KelvinTegelaar/CIPP#1085).
  return graphError(req, 403, 'Forbidden', `Missing application roles. API required roles: ${required.join(',')}, application roles: ${[...req.caller.roles].join(',')}.`);
}

/** URI query errors come from the OData layer: code "" and "The query specified in the URI is not valid. …" (observed, wazuh/wazuh#27579). */
export function queryError(req: FaceRequest, e: ODataError): FaceResponse {
  return graphError(req, 400, '', `The query specified in the URI is not valid. ${e.message}`, true);
}

const KNOWN_OPTIONS = new Set(['$filter', '$top', '$skip', '$count', '$orderby', '$expand', '$select', '$skiptoken', '$search', '$format']);
export function checkOptions(q: Map<string, string>, allowed: string[]): void {
  for (const k of q.keys()) {
    if (!k.startsWith('$')) continue;
    if (!KNOWN_OPTIONS.has(k)) throw new ODataError(`The query parameter '${k}' is not supported.`, 'option');
    if (!allowed.includes(k)) throw new ODataError(`Query option '${k.slice(1)}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.`, 'option');
  }
}

export function applySelect(obj: Json, select: string | undefined, model: EntityModel<unknown>): Json {
  if (select === undefined) return obj;
  const names = select.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const keep = new Set<string>(['@odata.type']);
  for (const n of names) {
    if (n === '*') return obj;
    const d = model.declared.find((x) => x.toLowerCase() === n.toLowerCase());
    if (!d) throw new ODataError(`Could not find a property named '${n}' on type '${model.typeName}'.`, 'property');
    keep.add(d);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) if (keep.has(k) || k === 'alerts') out[k] = v;
  return out;
}

function parseExpand(q: Map<string, string>): boolean {
  const e = q.get('$expand');
  if (e === undefined) return false;
  const parts = e.split(',').map((s) => s.trim());
  for (const p of parts) if (p.toLowerCase() !== 'alerts') throw new ODataError(`Could not find a property named '${p}' on type 'microsoft.graph.security.incident'.`, 'property');
  return true;
}

/** The next page's link: the request's own query with $skip moved on, on the emulator's origin. */
function nextLink(req: FaceRequest, nextSkip: number): string {
  const kept = req.rawQuery.split('&').filter((p) => {
    if (p === '') return false;
    const name = p.split('=')[0];
    let dec = name; try { dec = decodeURIComponent(name.replace(/\+/g, ' ')); } catch { /* keep */ }
    return dec.toLowerCase() !== '$skip';
  });
  kept.push(`$skip=${nextSkip}`);
  return `${req.origin}${req.path}?${kept.join('&')}`;
}

export interface ListSpec<T> {
  items: T[]; model: EntityModel<T>; sortable: Field<T>[]; defaultOrder: OrderKey<T>[]; idField: Field<T>;
  maxTop: number; defaultPage: number; options: string[]; context: string;
  serialize(item: T, expand: boolean): Json;
}

export function list<T>(req: FaceRequest, spec: ListSpec<T>): FaceResponse {
  let q: Map<string, string>;
  try { q = parseQueryString(req.rawQuery); } catch (e) { if (e instanceof ODataError) return queryError(req, e); throw e; }
  try {
    checkOptions(q, spec.options);
    const top = q.has('$top') ? parseNonNegative('$top', q.get('$top') as string) : undefined;
    if (top !== undefined && top > spec.maxTop) {
      throw new ODataError(`The limit of '${spec.maxTop}' for Top query has been exceeded. The value from the incoming request is '${top}'.`, 'option');
    }
    const skip = q.has('$skip') ? parseNonNegative('$skip', q.get('$skip') as string) : 0;
    const count = q.has('$count') ? parseCount(q.get('$count') as string) : false;
    const expand = spec.options.includes('$expand') ? parseExpand(q) : false;
    const filterText = q.get('$filter');
    const pred = filterText !== undefined && filterText.trim() !== '' ? parseFilter(filterText, spec.model) : undefined;
    let order = spec.defaultOrder;
    const ob = q.get('$orderby');
    if (ob !== undefined && ob.trim() !== '') {
      const keys = parseOrderBy(ob, spec.sortable, spec.model);
      order = [...keys, { field: spec.idField, desc: keys[0].desc }];
    }
    const matched = pred ? spec.items.filter((i) => evaluate(pred, i)) : spec.items.slice();
    matched.sort(compareBy(order));
    const pageSize = top ?? spec.defaultPage;
    const page = matched.slice(skip, skip + pageSize);
    const select = q.get('$select');
    const value = page.map((i) => applySelect(spec.serialize(i, expand), select, spec.model as EntityModel<unknown>));
    const body: Json = { '@odata.context': `${req.origin}/v1.0/$metadata#${spec.context}${expand ? '(alerts())' : ''}` };
    if (count) body['@odata.count'] = matched.length;
    if (pageSize > 0 && skip + pageSize < matched.length) body['@odata.nextLink'] = nextLink(req, skip + pageSize);
    body.value = value;
    return { status: 200, body };
  } catch (e) {
    if (e instanceof ODataError) return queryError(req, e);
    throw e;
  }
}

export type Parsed = { ok: true; body: Json } | { ok: false; res: FaceResponse };
export function parseBody(req: FaceRequest): Parsed {
  let body: unknown;
  try { body = req.rawBody.trim() === '' ? undefined : JSON.parse(req.rawBody); } catch { body = undefined; }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    // Graph's message for an unreadable payload.
    return { ok: false, res: graphError(req, 400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.') };
  }
  return { ok: true, body: body as Json };
}

/** The body of a comments POST (an alertComment, for incidents and alerts alike): its `comment`, or the 400 to answer. */
export function readComment(req: FaceRequest): string | FaceResponse {
  const parsed = parseBody(req); if (!parsed.ok) return parsed.res; const body = parsed.body;
  const text = body.comment;
  if (typeof text !== 'string' || text.trim() === '') return graphError(req, 400, 'BadRequest', "The 'comment' property is required and must be a non-empty string.");
  for (const k of Object.keys(body)) {
    if (k !== 'comment' && !k.includes('@')) return graphError(req, 400, 'BadRequest', `The property '${k}' does not exist on type 'microsoft.graph.security.alertComment'. Make sure to only use property names that are defined by the type or mark the type as open type.`);
  }
  return text;
}

export function notFound(req: FaceRequest, what: string, id: string): FaceResponse {
  // Not documented; Graph's generic code for a missing entity.
  return graphError(req, 404, 'NotFound', `${what} with id '${id}' was not found.`);
}

/** Enum values are matched case-insensitively (the docs' own update example sends "TruePositive"); stored in metadata case. */
export function enumValue(v: unknown, allowed: readonly string[]): string | undefined {
  if (typeof v !== 'string') return undefined;
  return allowed.find((a) => a.toLowerCase() === v.toLowerCase());
}

const UPDATABLE = ['assignedTo', 'classification', 'determination', 'status', 'customTags']; // security-incident-update.md

export function patchIncident(state: TenantState, inc: Incident, body: Json, req: FaceRequest): FaceResponse | undefined {
  const bad = (msg: string): FaceResponse => graphError(req, 400, 'BadRequest', msg);
  const next: Partial<Incident> = {};
  for (const [k, v] of Object.entries(body)) {
    if (k.includes('@')) continue; // instance annotations such as @odata.type
    if (!UPDATABLE.includes(k)) {
      if (INC_DECLARED.includes(k)) return bad(`The property '${k}' cannot be updated. Updatable properties: ${UPDATABLE.join(', ')}.`);
      return bad(`The property '${k}' does not exist on type 'microsoft.graph.security.incident'. Make sure to only use property names that are defined by the type or mark the type as open type.`);
    }
    switch (k) {
      case 'assignedTo':
        if (v !== null && typeof v !== 'string') return bad(`Cannot convert the literal '${JSON.stringify(v)}' to the expected type 'Edm.String'.`);
        next.assignedTo = v as string | null; break;
      case 'customTags':
        if (!Array.isArray(v) || v.some((t) => typeof t !== 'string')) return bad(`Cannot convert the literal '${JSON.stringify(v)}' to the expected type 'Collection(Edm.String)'.`);
        next.customTags = [...(v as string[])]; break;
      case 'status': case 'classification': case 'determination': {
        const [allowed, type] = k === 'status' ? [LIVE_STATUS, 'incidentStatus'] : k === 'classification' ? [LIVE_CLASSIFICATION, 'alertClassification'] : [LIVE_DETERMINATION, 'alertDetermination'];
        const ev = enumValue(v, allowed);
        if (ev === undefined) return bad(`Cannot convert the literal '${typeof v === 'string' ? v : JSON.stringify(v)}' to the expected type 'microsoft.graph.security.${type}'.`);
        next[k] = ev; break;
      }
    }
  }
  Object.assign(inc, next);
  inc.lastUpdate = stampOf(req.now);
  cascadeToAlerts(inc, next, inc.lastUpdate);
  void state;
  return undefined;
}

/** Timespan (security-security-runhuntingquery.md): "start/end", "duration/end", "start/duration", "duration" (back from now), "start" (to now). */
export function parseTimespan(text: string, now: Date): { from: Date; to: Date } | undefined {
  const dur = (s: string): number | undefined => {
    const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s);
    if (!m || s.toUpperCase() === 'P' || s.toUpperCase().endsWith('T')) return undefined;
    return ((+(m[1] ?? 0) * 7 + +(m[2] ?? 0)) * 86400 + +(m[3] ?? 0) * 3600 + +(m[4] ?? 0) * 60 + +(m[5] ?? 0)) * 1000;
  };
  const at = (s: string): number | undefined => { const st = parseStamp(s); return st ? st.ms : undefined; };
  const parts = text.trim().split('/');
  if (parts.length === 1) {
    const d = dur(parts[0]);
    if (d !== undefined) return { from: new Date(now.getTime() - d), to: now };
    const s = at(parts[0]);
    return s === undefined ? undefined : { from: new Date(s), to: now };
  }
  if (parts.length !== 2) return undefined;
  const [a, b] = parts;
  const da = dur(a), db = dur(b), sa = at(a), sb = at(b);
  if (sa !== undefined && sb !== undefined) return sa <= sb ? { from: new Date(sa), to: new Date(sb) } : undefined;
  if (da !== undefined && sb !== undefined) return { from: new Date(sb - da), to: new Date(sb) };
  if (sa !== undefined && db !== undefined) return { from: new Date(sa), to: new Date(sa + db) };
  return undefined;
}

export function notAllowed(req: FaceRequest): FaceResponse {
  return graphError(req, 405, 'Request_BadRequest', `The HTTP method '${req.method.toUpperCase()}' is not allowed on this resource.`);
}

export function segments(path: string): string[] { return path.split('/').filter((s) => s.length > 0); }

/**
 * An entity model as a caller without `Prefer: include-unknown-enum-members` sees it: its evolvable enums end at
 * unknownFutureValue (a $filter naming a later member is a 400) and their later members read as unknownFutureValue.
 */
function withoutEvolved<T>(model: EntityModel<T>): EntityModel<T> {
  const filterable = model.filterable.map((f): Field<T> => {
    if (f.type.kind !== 'enum' || evolvedMembers(f.type.members).length === 0) return f;
    const members = f.type.members;
    return { ...f, type: { ...f.type, members: members.slice(0, members.indexOf(SENTINEL) + 1) }, get: (i) => { const v = f.get(i); return typeof v === 'string' ? shownMember(v, members, false) : v; } };
  });
  return { ...model, filterable };
}
const KNOWN_INCIDENT_MODEL = withoutEvolved(INCIDENT_MODEL);

export function graphFace(state: TenantState, req: FaceRequest): FaceResponse | undefined {
  const includeUnknown = prefersUnknownEnumMembers(req.headers);
  const res = graphRoute(state, req, includeUnknown);
  if (res && res.status >= 200 && res.status < 300) res.headers = { ...res.headers, ...preferenceApplied(includeUnknown) };
  return res;
}

function graphRoute(state: TenantState, req: FaceRequest, includeUnknown: boolean): FaceResponse | undefined {
  const seg = segments(req.path);
  if (seg.length < 3 || seg[0].toLowerCase() !== 'v1.0' || seg[1].toLowerCase() !== 'security') return undefined;
  const res = seg[2].toLowerCase();
  const method = req.method.toUpperCase();
  const { store, tenantId } = state;
  const methodNotAllowed = (): FaceResponse => notAllowed(req);

  if (res === 'incidents') {
    if (seg.length === 3) {
      if (method !== 'GET') return methodNotAllowed();
      const f = forbidden(req, INCIDENT_READ); if (f) return f;
      return list(req, {
        items: store.incidents, model: includeUnknown ? INCIDENT_MODEL : KNOWN_INCIDENT_MODEL, sortable: INC_SORTABLE, defaultOrder: INC_DEFAULT_ORDER, idField: INC_ID,
        maxTop: INCIDENT_MAX_TOP, defaultPage: INCIDENT_MAX_TOP, options: ['$filter', '$top', '$skip', '$count', '$orderby', '$expand', '$select'],
        context: 'security/incidents', serialize: (i, expand) => graphIncident(i, tenantId, expand, includeUnknown),
      });
    }
    const idText = safeDecode(seg[3]);
    const inc = /^\d+$/.test(idText) ? store.byId.get(Number(idText)) : undefined;
    if (seg.length === 4) {
      if (method === 'GET') {
        const f = forbidden(req, INCIDENT_READ); if (f) return f;
        if (!inc) return notFound(req, 'Incident', idText);
        try {
          const q = parseQueryString(req.rawQuery);
          checkOptions(q, ['$expand', '$select']);
          const expand = parseExpand(q);
          const body = { '@odata.context': `${req.origin}/v1.0/$metadata#security/incidents${expand ? '(alerts())' : ''}/$entity`,
            ...applySelect(graphIncident(inc, tenantId, expand, includeUnknown), q.get('$select'), INCIDENT_MODEL as EntityModel<unknown>) };
          return { status: 200, body };
        } catch (e) { if (e instanceof ODataError) return queryError(req, e); throw e; }
      }
      if (method === 'PATCH') {
        const f = forbidden(req, INCIDENT_WRITE); if (f) return f;
        if (!inc) return notFound(req, 'Incident', idText);
        const parsed = parseBody(req); if (!parsed.ok) return parsed.res; const body = parsed.body;
        const err = patchIncident(state, inc, body, req); if (err) return err;
        return { status: 200, body: { '@odata.context': `${req.origin}/v1.0/$metadata#security/incidents/$entity`, ...graphIncident(inc, tenantId, false, includeUnknown) } };
      }
      return methodNotAllowed();
    }
    if (seg.length === 5 && seg[4].toLowerCase() === 'comments') {
      if (method !== 'POST') return methodNotAllowed();
      const f = forbidden(req, INCIDENT_WRITE); if (f) return f;
      if (!inc) return notFound(req, 'Incident', idText);
      const text = readComment(req); if (typeof text !== 'string') return text;
      inc.comments.push({ comment: text, createdBy: req.caller.appDisplayName, created: stampOf(req.now) });
      inc.lastUpdate = stampOf(req.now);
      // 200 with the full updated list of comments (security-incident-post-comments.md).
      return { status: 200, body: { '@odata.context': `${req.origin}/v1.0/$metadata#Collection(microsoft.graph.security.alertComment)`,
        value: inc.comments.map(graphComment) } };
    }
    return undefined;
  }

  if (res === 'runhuntingquery' && seg.length === 3) {
    if (method !== 'POST') return methodNotAllowed();
    const f = forbidden(req, HUNTING); if (f) return f;
    const parsed = parseBody(req); if (!parsed.ok) return parsed.res; const body = parsed.body;
    // Parameter names are PascalCase in the docs; lower-case "query" is accepted too (microsoft-graph-docs#19954).
    const query = body.Query ?? body.query;
    if (typeof query !== 'string' || query.trim() === '') return graphError(req, 400, 'BadRequest', 'The Query parameter is required and must be a non-empty string.');
    const tsRaw = body.Timespan ?? body.timespan;
    let window = { from: new Date(req.now.getTime() - 30 * 86400000), to: req.now }; // default 30 days
    if (tsRaw !== undefined && tsRaw !== null) {
      const ts = typeof tsRaw === 'string' ? parseTimespan(tsRaw, req.now) : undefined;
      if (!ts) return graphError(req, 400, 'BadRequest', `The Timespan '${String(tsRaw)}' is not valid. Use an ISO 8601 interval such as "P30D", "2024-02-01T08:00:00Z/2024-02-15T08:00:00Z", "P30D/2024-02-15T08:00:00Z" or "2024-02-01T08:00:00Z".`);
      window = ts;
    }
    if (!state.hunting) return graphError(req, 503, 'ServiceUnavailable', 'Advanced hunting is not available yet.');
    try {
      const r = state.hunting.run(query, { now: req.now, from: window.from, to: window.to });
      return { status: 200, body: { '@odata.context': `${req.origin}/v1.0/$metadata#microsoft.graph.security.huntingQueryResults`,
        schema: r.schema.map((c) => ({ name: c.name, type: c.type })), results: r.rows } };
    } catch (e) {
      if (e instanceof HuntingError) return graphError(req, e.status, e.code, e.message);
      throw e;
    }
  }
  return undefined;
}
