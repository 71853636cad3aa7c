// The legacy Defender XDR face: paths under /api/ (api.security.microsoft.com).
// Sources: MicrosoftDocs/defender-docs defender-xdr/api-list-incidents.md, api-get-incident.md, api-update-incidents.md,
// api-advanced-hunting.md, api-error-codes.md (reference §1).
import type { FaceRequest, FaceResponse } from './api';
import { HuntingError } from '../hunting/api';
import {
  type Incident, DETERMINATIONS_BY_CLASSIFICATION, LEGACY_CLASSIFICATION, LEGACY_DETERMINATION, LEGACY_DETERMINATION_ALIASES, LEGACY_STATUS,
  cascadeToAlerts, invert, stampOf,
} from './model';
import { type EntityModel, type Field, type OrderKey, ODataError, compareBy, evaluate, parseFilter, parseNonNegative, parseQueryString } from './odata';
import { legacyError, legacyIncident } from './shapes';
import type { TenantState } from './graph';

type Json = Record<string, unknown>;
function safeDecode(s: string): string { try { return decodeURIComponent(s); } catch { return s; } }

// $filter only on lastUpdateTime, createdTime, status, assignedTo (api-list-incidents.md). Names and enum
// values are case-sensitive here ("Body parameters are case-sensitive", api-error-codes.md; the same is assumed for the URI).
const F: Record<string, Field<Incident>> = {
  lastUpdateTime: { name: 'lastUpdateTime', type: { kind: 'datetime' }, get: (i) => i.lastUpdate },
  createdTime: { name: 'createdTime', type: { kind: 'datetime' }, get: (i) => i.created },
  status: { name: 'status', type: { kind: 'enum', typeName: 'Microsoft.Sentinel.Incidents.IncidentStatus', members: ['Active', 'InProgress', 'Resolved', 'Redirected'], caseInsensitive: false },
    get: (i) => LEGACY_STATUS[i.status] ?? 'Active' },
  assignedTo: { name: 'assignedTo', type: { kind: 'string' }, get: (i) => i.assignedTo },
};
const LEGACY_ID: Field<Incident> = { name: 'incidentId', type: { kind: 'string' }, get: (i) => String(i.id).padStart(16, '0') };
export const LEGACY_MODEL: EntityModel<Incident> = {
  typeName: 'Incident', filterable: Object.values(F), caseInsensitiveNames: false,
  declared: ['incidentId', 'incidentUri', 'redirectIncidentId', 'incidentName', 'createdTime', 'lastUpdateTime', 'assignedTo', 'classification',
    'determination', 'detectionSource', 'status', 'severity', 'tags', 'comments', 'alerts'],
};
/** "The most recent incidents are displayed at the top of the list." */
const ORDER: OrderKey<Incident>[] = [{ field: F.createdTime, desc: true }, { field: LEGACY_ID, desc: true }];
/** "Maximum page size is 100 incidents" (api-list-incidents.md); above it the service answers 400 (demisto/content#12434 review). */
export const LEGACY_MAX_TOP = 100;

const READ = ['Incident.Read.All', 'Incident.ReadWrite.All'];
const WRITE = ['Incident.ReadWrite.All'];
const HUNT = ['AdvancedHunting.Read.All'];

function forbidden(req: FaceRequest, required: string[]): FaceResponse | undefined {
  if (required.some((r) => req.caller.roles.has(r))) return undefined;
  // Observed shape: {"code":"Forbidden","message":"Missing application roles. API required roles: …, application roles: …"} (reference §1.2)
  return legacyError(req, 403, 'Forbidden', `Missing application roles. API required roles: ${required.join(',')}, application roles: ${[...req.caller.roles].join(',')}`);
}

// PATCH enums (api-update-incidents.md), case-sensitive.
const STATUS_IN = invert(LEGACY_STATUS);
const CLASSIFICATION_IN: Record<string, string> = { TruePositive: 'truePositive', InformationalExpectedActivity: 'informationalExpectedActivity', FalsePositive: 'falsePositive' };
const DETERMINATION_IN: Record<string, string> = { ...invert(LEGACY_DETERMINATION), ...LEGACY_DETERMINATION_ALIASES };
delete DETERMINATION_IN.NotAvailable;
const PATCH_KEYS = ['status', 'assignedTo', 'classification', 'determination', 'tags', 'comment'];

function patch(inc: Incident, body: Json, req: FaceRequest): FaceResponse | undefined {
  const bad = (msg: string): FaceResponse => legacyError(req, 400, 'InvalidRequestBody', msg);
  for (const k of Object.keys(body)) if (!PATCH_KEYS.includes(k)) return bad(`Request body is invalid: unknown property '${k}'. Updatable properties: ${PATCH_KEYS.join(', ')}.`);
  const next: Partial<Incident> = {};
  if ('status' in body) {
    const v = typeof body.status === 'string' ? STATUS_IN[body.status] : undefined;
    if (!v) return bad(`Request body is invalid: '${String(body.status)}' is not a valid value for 'status' (Active, Resolved, InProgress, Redirected).`);
    next.status = v;
  }
  if ('assignedTo' in body) {
    if (body.assignedTo !== null && typeof body.assignedTo !== 'string') return bad("Request body is invalid: 'assignedTo' must be a string.");
    next.assignedTo = body.assignedTo as string | null;
  }
  if ('classification' in body) {
    const v = typeof body.classification === 'string' ? CLASSIFICATION_IN[body.classification] : undefined;
    if (!v) return bad(`Request body is invalid: '${String(body.classification)}' is not a valid value for 'classification' (TruePositive, InformationalExpectedActivity, FalsePositive).`);
    next.classification = v;
  }
  if ('determination' in body) {
    const v = typeof body.determination === 'string' ? DETERMINATION_IN[body.determination] : undefined;
    if (!v) return bad(`Request body is invalid: '${String(body.determination)}' is not a valid value for 'determination'.`);
    const cls = next.classification ?? inc.classification;
    // The determination must be one listed for the classification (api-update-incidents.md table).
    if (!(DETERMINATIONS_BY_CLASSIFICATION[cls] ?? []).includes(v)) {
      return bad(`Request body is invalid: determination '${String(body.determination)}' cannot be set with classification '${LEGACY_CLASSIFICATION[cls] ?? cls}'.`);
    }
    next.determination = v;
  } else if (next.classification && !(DETERMINATIONS_BY_CLASSIFICATION[next.classification] ?? []).includes(inc.determination)) {
    next.determination = 'unknown';
  }
  if ('tags' in body) {
    if (!Array.isArray(body.tags) || body.tags.some((t) => typeof t !== 'string')) return bad("Request body is invalid: 'tags' must be a list of strings.");
    next.customTags = [...(body.tags as string[])];
  }
  if ('comment' in body && typeof body.comment !== 'string') return bad("Request body is invalid: 'comment' must be a string.");
  Object.assign(inc, next);
  const now = stampOf(req.now);
  if (typeof body.comment === 'string' && body.comment !== '') inc.comments.push({ comment: body.comment, createdBy: req.caller.appDisplayName, created: now });
  inc.lastUpdate = now;
  cascadeToAlerts(inc, next, now);
  return undefined;
}

function odataError(req: FaceRequest, e: ODataError): FaceResponse {
  return legacyError(req, 400, 'ODataError', `Invalid OData URI query: ${e.message}`);
}

export function defenderFace(state: TenantState, req: FaceRequest): FaceResponse | undefined {
  const seg = req.path.split('/').filter((s) => s.length > 0);
  if (seg.length < 2 || seg[0].toLowerCase() !== 'api') return undefined;
  const method = req.method.toUpperCase();
  const { store, tenantId } = state;
  const notAllowed = (): FaceResponse => legacyError(req, 405, 'DisallowedOperation', `The HTTP method '${method}' is not allowed on this resource.`);
  const res = seg[1].toLowerCase();

  if (res === 'incidents') {
    if (seg.length === 2) {
      if (method !== 'GET') return notAllowed();
      const f = forbidden(req, READ); if (f) return f;
      try {
        const q = parseQueryString(req.rawQuery);
        for (const k of q.keys()) if (k.startsWith('$') && !['$filter', '$top', '$skip'].includes(k)) throw new ODataError(`The query parameter '${k}' is not supported.`, 'option');
        const top = q.has('$top') ? parseNonNegative('$top', q.get('$top') as string) : LEGACY_MAX_TOP;
        if (top > LEGACY_MAX_TOP) throw new ODataError(`The limit of '${LEGACY_MAX_TOP}' for Top query has been exceeded. The value from the incoming request is '${top}'.`, 'option');
        const skip = q.has('$skip') ? parseNonNegative('$skip', q.get('$skip') as string) : 0;
        const ft = q.get('$filter');
        const pred = ft !== undefined && ft.trim() !== '' ? parseFilter(ft, LEGACY_MODEL) : undefined;
        const matched = pred ? store.incidents.filter((i) => evaluate(pred, i)) : store.incidents.slice();
        matched.sort(compareBy(ORDER));
        // No @odata.nextLink is documented: the client pages with $top/$skip.
        return { status: 200, body: { '@odata.context': `${req.origin}/api/$metadata#Incidents`, value: matched.slice(skip, skip + top).map((i) => legacyIncident(i, tenantId)) } };
      } catch (e) { if (e instanceof ODataError) return odataError(req, e); throw e; }
    }
    if (seg.length === 3) {
      const idText = safeDecode(seg[2]);
      const inc = /^\d+$/.test(idText) ? store.byId.get(Number(idText)) : undefined;
      if (method === 'GET' || method === 'PATCH') {
        const f = forbidden(req, method === 'GET' ? READ : WRITE); if (f) return f;
        if (!inc) return legacyError(req, 404, 'ResourceNotFound', `Incident ${idText} was not found.`);
        if (method === 'PATCH') {
          let body: unknown;
          try { body = JSON.parse(req.rawBody); } catch { body = undefined; }
          if (body === null || typeof body !== 'object' || Array.isArray(body)) return legacyError(req, 400, 'InvalidRequestBody', 'Request body is invalid: a JSON object is required.');
          const err = patch(inc, body as Json, req); if (err) return err;
        }
        return { status: 200, body: { '@odata.context': `${req.origin}/api/$metadata#Incidents/$entity`, ...legacyIncident(inc, tenantId) } };
      }
      return notAllowed();
    }
    return undefined;
  }

  if (res === 'advancedhunting' && seg.length === 3 && seg[2].toLowerCase() === 'run') {
    if (method !== 'POST') return notAllowed();
    const f = forbidden(req, HUNT); if (f) return f;
    let body: unknown;
    try { body = JSON.parse(req.rawBody); } catch { body = undefined; }
    const query = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Json).Query : undefined;
    // Observed: {"error":{"code":"InvalidRequestBody","message":"Missing query.","target":…}} (reference §1.7). "Query" is case-sensitive.
    if (typeof query !== 'string' || query.trim() === '') return legacyError(req, 400, 'InvalidRequestBody', 'Missing query.');
    if (!state.hunting) return legacyError(req, 503, 'ServiceUnavailable', 'Advanced hunting is not available yet.');
    try {
      const r = state.hunting.run(query, { now: req.now });
      const size = JSON.stringify(r.rows).length;
      return { status: 200, body: {
        Stats: {
          ExecutionTime: r.stats.executionTimeSeconds,
          resource_usage: { cache: { memory: { hits: 0, misses: 0, total: 0 }, disk: { hits: 0, misses: 0, total: 0 } },
            cpu: { user: '00:00:00.0156250', kernel: '00:00:00', 'total cpu': '00:00:00.0156250' }, memory: { peak_per_node: 0 } },
          dataset_statistics: [{ table_row_count: r.rows.length, table_size: size }],
        },
        Schema: r.schema.map((c) => ({ Name: c.name, Type: c.type })),
        Results: r.rows,
      } };
    } catch (e) {
      if (e instanceof HuntingError) return legacyError(req, e.status, e.code, e.message);
      throw e;
    }
  }
  return undefined;
}
