// The Graph v1.0 alerts face: /v1.0/security/alerts_v2. The alerts are the objects the incidents embed (one store):
// a change here is seen through the incidents, and a change of an incident through here.
// Sources (microsoft-graph-docs-contrib, api-reference/v1.0): api/security-list-alerts_v2.md, security-alert-get.md,
// security-alert-update.md, security-alert-post-comments.md, resources/security-alert.md (enums),
// includes/permissions/security-*-permissions.md; reference §2.6 and defender-api-next.md §3.
import type { FaceRequest, FaceResponse } from './api';
import { type Evolvable, SENTINEL, knownMembers, maskEvolvable, preferenceApplied, prefersUnknownEnumMembers, visibleMember } from './enums';
import {
  DT, STR, type TenantState, applySelect, checkOptions, enumType, enumValue, forbidden, list, notAllowed, notFound, parseBody, queryError, readComment,
  safeDecode, segments,
} from './graph';
import {
  type Alert, ALERT_STATUS, CLASSIFICATION, DETECTION_SOURCE, DETERMINATION, LIVE_CLASSIFICATION, LIVE_DETERMINATION, SERVICE_SOURCE, SEVERITY,
  type Stamp, type Store, cmpStamp, stampOf,
} from './model';
import { type EntityModel, type Field, type OrderKey, ODataError, parseQueryString } from './odata';
import { graphAlert, graphComment, graphError } from './shapes';

type Json = Record<string, unknown>;

/** The alert's evolvable enum properties (resources/security-alert.md); serviceSource and detectionSource have members after the sentinel. */
export const ALERT_EVOLVABLE: Evolvable = {
  status: ALERT_STATUS, severity: SEVERITY, classification: CLASSIFICATION, determination: DETERMINATION,
  serviceSource: SERVICE_SOURCE, detectionSource: DETECTION_SOURCE,
};

// ---- the entity model: $filter on "assignedTo, classification, determination, createdDateTime, lastUpdateDateTime,
// severity, serviceSource and status" (security-list-alerts_v2.md). Without `Prefer`, an enum field knows only the
// members up to the sentinel and reads a hidden member as unknownFutureValue (enums.ts).
function enumField(name: string, typeName: string, members: readonly string[], get: (a: Alert) => string, include: boolean): Field<Alert> {
  return include
    ? { name, type: enumType(typeName, members), get }
    : { name, type: enumType(typeName, knownMembers(members)), get: (a) => visibleMember(get(a), members, false) };
}
function alertFields(include: boolean): Record<string, Field<Alert>> {
  const T = 'microsoft.graph.security.';
  return {
    assignedTo: { name: 'assignedTo', type: STR, get: (a) => a.assignedTo },
    classification: enumField('classification', `${T}alertClassification`, CLASSIFICATION, (a) => a.classification, include),
    determination: enumField('determination', `${T}alertDetermination`, DETERMINATION, (a) => a.determination, include),
    createdDateTime: { name: 'createdDateTime', type: DT, get: (a) => a.created },
    lastUpdateDateTime: { name: 'lastUpdateDateTime', type: DT, get: (a) => a.lastUpdate },
    severity: enumField('severity', `${T}alertSeverity`, SEVERITY, (a) => a.severity, include),
    serviceSource: enumField('serviceSource', `${T}serviceSource`, SERVICE_SOURCE, (a) => a.serviceSource, include),
    status: enumField('status', `${T}alertStatus`, ALERT_STATUS, (a) => a.status, include),
  };
}
const FIELDS = alertFields(true);
const AL_ID: Field<Alert> = { name: 'id', type: STR, get: (a) => a.id };
const DECLARED = ['id', 'providerAlertId', 'incidentId', 'status', 'severity', 'classification', 'determination', 'serviceSource', 'detectionSource', 'detectorId',
  'tenantId', 'title', 'description', 'recommendedActions', 'category', 'assignedTo', 'alertWebUrl', 'incidentWebUrl', 'actorDisplayName',
  'threatDisplayName', 'threatFamilyName', 'mitreTechniques', 'createdDateTime', 'lastUpdateDateTime', 'resolvedDateTime', 'firstActivityDateTime',
  'lastActivityDateTime', 'comments', 'evidence', 'systemTags', 'customDetails'];
const model = (include: boolean): EntityModel<Alert> => ({
  typeName: 'microsoft.graph.security.alert', filterable: Object.values(include ? FIELDS : alertFields(false)), caseInsensitiveNames: true, declared: DECLARED,
});
export const ALERT_MODEL = model(true);
const ALERT_MODEL_KNOWN = model(false);
/** $orderby is not on the page (only $count, $filter, $skip, $top are); the emulator sorts on the filterable fields and id,
 * by the members' order even where they are hidden (the evolvable-enum pattern's rule for $orderby). */
const SORTABLE: Field<Alert>[] = [...Object.values(FIELDS), AL_ID];
/** "The most recent alerts are displayed at the top of the list." (security-list-alerts_v2.md) */
const DEFAULT_ORDER: OrderKey<Alert>[] = [{ field: FIELDS.createdDateTime, desc: true }, { field: AL_ID, desc: true }];

/** Page sizes: no $top maximum is documented; the docs' example uses $top=100&$skip=200, and Cortex XSOAR's Graph
 * Security pack says "The limit for Alerts v2 is 2000" (reference defender-api-next.md §3). The cap of 2000 and the
 * default page of 100 are the emulator's choice. */
export const ALERT_MAX_TOP = 2000;
export const ALERT_DEFAULT_PAGE = 100;

// ---- permissions: SecurityAlert.Read.All / SecurityAlert.ReadWrite.All (includes/permissions); reads also accept the
// incident roles, as Graph's own 403 lists them: "API required roles: SecurityAlert.Read.All,SecurityAlert.ReadWrite.All,
// SecurityIncident.Read.All,SecurityIncident.ReadWrite.All" (wazuh/wazuh#29854). Update and comments: SecurityAlert.ReadWrite.All only.
export const ALERT_READ = ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All', 'SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'];
export const ALERT_WRITE = ['SecurityAlert.ReadWrite.All'];

// ---- update (security-alert-update.md): status, classification, determination, assignedTo, customDetails.
/** The values a PATCH may set. status: "new, inProgress, resolved, unknownFutureValue" (the page). classification and
 * determination: the members of the enum types (resources/security-alert.md tables, the SDKs) — the update page's
 * determination list names four of them differently (compromisedUser, clean, insufficientData, confirmedUserActivity);
 * the service reads the type's members, so those four names are refused like any other unknown value. */
export const PATCH_STATUS = ['new', 'inProgress', 'resolved'];
export const PATCH_CLASSIFICATION = LIVE_CLASSIFICATION;
export const PATCH_DETERMINATION = LIVE_DETERMINATION;
const UPDATABLE = ['status', 'classification', 'determination', 'assignedTo', 'customDetails'];

export interface AlertChange {
  status?: string; classification?: string; determination?: string; severity?: string; title?: string;
  serviceSource?: string; detectionSource?: string;
  assignedTo?: string | null;
  /** merged into the alert's: a key with null is removed (Graph's dictionary PATCH, microsoft/api-guidelines graph/patterns/dictionary.md) */
  customDetails?: Record<string, string | null>;
}

/** customDetails as a PATCH may send it: an object of strings (null removes a key). */
export function customDetailsIn(v: unknown): Record<string, string | null> | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, string | null> = {};
  for (const [k, x] of Object.entries(v as Json)) {
    if (k.includes('@')) continue;
    if (x !== null && typeof x !== 'string') return undefined;
    out[k] = x;
  }
  return out;
}

/**
 * Reads a PATCH body. A value the service cannot take answers Graph's observed 400 for a bad classification,
 * {"error":{"code":"InvalidRequestBody","message":"Request body is incorrect",...}} (demisto/content#32983, 2024-02);
 * a property the type does not have answers OData's message. `unknownFutureValue` leaves the property as it is
 * (enums.ts).
 */
export function readAlertChange(req: FaceRequest, body: Json): { ok: true; change: AlertChange } | { ok: false; res: FaceResponse } {
  const fail = (res: FaceResponse): { ok: false; res: FaceResponse } => ({ ok: false, res });
  const incorrect = fail(graphError(req, 400, 'InvalidRequestBody', 'Request body is incorrect'));
  const change: AlertChange = {};
  for (const [k, v] of Object.entries(body)) {
    if (k.includes('@')) continue; // instance annotations such as @odata.type
    if (!UPDATABLE.includes(k)) {
      if (DECLARED.includes(k)) return incorrect;
      return fail(graphError(req, 400, 'BadRequest', `The property '${k}' does not exist on type 'microsoft.graph.security.alert'. Make sure to only use property names that are defined by the type or mark the type as open type.`));
    }
    if (k === 'assignedTo') {
      if (v !== null && typeof v !== 'string') return incorrect;
      change.assignedTo = v;
    } else if (k === 'customDetails') {
      const d = customDetailsIn(v);
      if (!d) return incorrect;
      change.customDetails = d;
    } else {
      if (v === SENTINEL) continue;
      const allowed = k === 'status' ? PATCH_STATUS : k === 'classification' ? PATCH_CLASSIFICATION : PATCH_DETERMINATION;
      const ev = enumValue(v, allowed);
      if (ev === undefined) return incorrect;
      if (k === 'status') change.status = ev; else if (k === 'classification') change.classification = ev; else change.determination = ev;
    }
  }
  return { ok: true, change };
}

/**
 * Applies a change as the service records it: lastUpdateDateTime becomes `at`, resolvedDateTime follows the status,
 * and the alert's incident was updated at `at` too (its embedded alerts changed).
 */
export function applyAlertChange(store: Store, a: Alert, change: AlertChange, at: Stamp): void {
  if (change.status !== undefined && change.status !== a.status) {
    a.status = change.status;
    a.resolved = change.status === 'resolved' ? at : null;
  }
  if (change.classification !== undefined) a.classification = change.classification;
  if (change.determination !== undefined) a.determination = change.determination;
  if (change.severity !== undefined) a.severity = change.severity;
  if (change.title !== undefined) a.title = change.title;
  if (change.serviceSource !== undefined) a.serviceSource = change.serviceSource;
  if (change.detectionSource !== undefined) a.detectionSource = change.detectionSource;
  if ('assignedTo' in change) a.assignedTo = change.assignedTo ?? null;
  if (change.customDetails) {
    for (const [k, v] of Object.entries(change.customDetails)) {
      if (v === null) delete a.customDetails[k]; else a.customDetails[k] = v;
    }
  }
  touch(store, a, at);
}

function touch(store: Store, a: Alert, at: Stamp): void {
  a.lastUpdate = at;
  const inc = store.byId.get(a.incidentId);
  if (inc && cmpStamp(at, inc.lastUpdate) > 0) inc.lastUpdate = at;
}

export function alertsFace(state: TenantState, req: FaceRequest): FaceResponse | undefined {
  const seg = segments(req.path);
  if (seg.length < 3 || seg.length > 5 || seg[0].toLowerCase() !== 'v1.0' || seg[1].toLowerCase() !== 'security' || seg[2].toLowerCase() !== 'alerts_v2') return undefined;
  const method = req.method.toUpperCase();
  const { store, tenantId } = state;
  const include = prefersUnknownEnumMembers(req.headers);
  const show = (a: Alert): Json => maskEvolvable(graphAlert(a, tenantId, include), ALERT_EVOLVABLE, include);
  const ok = (body: Json): FaceResponse => ({ status: 200, headers: preferenceApplied(include), body });

  if (seg.length === 3) {
    if (method !== 'GET') return notAllowed(req);
    const f = forbidden(req, ALERT_READ); if (f) return f;
    const r = list(req, {
      items: store.alerts, model: include ? ALERT_MODEL : ALERT_MODEL_KNOWN, sortable: SORTABLE, defaultOrder: DEFAULT_ORDER, idField: AL_ID,
      maxTop: ALERT_MAX_TOP, defaultPage: ALERT_DEFAULT_PAGE, options: ['$filter', '$top', '$skip', '$count', '$orderby', '$select'],
      context: 'security/alerts_v2', serialize: show,
    });
    return r.status === 200 ? ok(r.body as Json) : r;
  }

  const id = safeDecode(seg[3]);
  const a = store.alertsById.get(id);
  if (seg.length === 4) {
    if (method === 'GET') {
      const f = forbidden(req, ALERT_READ); if (f) return f;
      if (!a) return notFound(req, 'Alert', id);
      try {
        const q = parseQueryString(req.rawQuery);
        checkOptions(q, ['$select']);
        return ok({ '@odata.context': `${req.origin}/v1.0/$metadata#security/alerts_v2/$entity`, ...applySelect(show(a), q.get('$select'), ALERT_MODEL as EntityModel<unknown>) });
      } catch (e) { if (e instanceof ODataError) return queryError(req, e); throw e; }
    }
    if (method === 'PATCH') {
      const f = forbidden(req, ALERT_WRITE); if (f) return f;
      if (!a) return notFound(req, 'Alert', id);
      const parsed = parseBody(req); if (!parsed.ok) return parsed.res;
      const read = readAlertChange(req, parsed.body); if (!read.ok) return read.res;
      applyAlertChange(store, a, read.change, stampOf(req.now));
      // 200 with the updated alert (security-alert-update.md)
      return ok({ '@odata.context': `${req.origin}/v1.0/$metadata#security/alerts_v2/$entity`, ...show(a) });
    }
    return notAllowed(req);
  }

  if (seg[4].toLowerCase() !== 'comments') return undefined;
  if (method !== 'POST') return notAllowed(req);
  const f = forbidden(req, ALERT_WRITE); if (f) return f;
  if (!a) return notFound(req, 'Alert', id);
  const text = readComment(req); if (typeof text !== 'string') return text;
  const at = stampOf(req.now);
  a.comments.push({ comment: text, createdBy: req.caller.appDisplayName, created: at });
  touch(store, a, at);
  // "200 OK response code and an updated list of all alertComment resources for the specified alert" (security-alert-post-comments.md)
  return ok({ '@odata.context': `${req.origin}/v1.0/$metadata#security/alerts_v2('${a.id}')/comments`, value: a.comments.map(graphComment) });
}
