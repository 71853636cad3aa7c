// Alerts on Microsoft Graph security v1.0 (`/security/alerts_v2`), whatever the configured API family: alerts go to
// Graph's surface (surfaces.ts). The alert is Microsoft's data as it came: the fields of the shared alert model
// (model.ts, the same an incident embeds) plus every other field Microsoft sent, unchanged.
//
// Sources (Microsoft's pages, read with the search tool):
// - List: api-reference/v1.0/api/security-list-alerts_v2.md: `$count`, `$filter`, `$skip`, `$top`; $filter on
//   assignedTo, classification, determination, createdDateTime, lastUpdateDateTime, severity, serviceSource, status;
//   "Use @odata.nextLink for pagination"; "The most recent alerts are displayed at the top of the list". No $top maximum
//   is documented (ALERT_PAGE below says why 1000). detectionSource and incidentId are not filterable: they are checked
//   on each page read.
// - Get: security-alert-get.md. Update: security-alert-update.md (PATCH status, classification, determination,
//   assignedTo; 200 with the alert; customDetails, "User defined custom fields with string values", on the page of
//   2026-03-19 per reference defender-api-next.md §3 and in the SDKs' alert update parameters).
// - Comment: security-alert-post-comments.md: POST {"@odata.type":"microsoft.graph.security.alertComment","comment"}
//   answers 200 with the whole list of alertComment.
// - Enums: security-alert.md (alertStatus new, inProgress, resolved; serviceSource; detectionSource, evolvable: newer
//   members only with `Prefer: include-unknown-enum-members`, which api.ts sends). Determinations: the update page
//   lists compromisedUser, clean, insufficientData, confirmedUserActivity where the resource page and the SDKs generated
//   from the service metadata (SecurityAlertDetermination: compromisedAccount, notMalicious, notEnoughDataToValidate,
//   confirmedActivity) have the names the incidents use: one enum, microsoft.graph.security.alertDetermination. The
//   metadata names are sent; the update page's are accepted as input (model.ts aliases).

import type { Config } from '../runtime/config';
import { invalidInput } from '../runtime/errors';
import type { Logger } from '../runtime/log';
import type { DefenderApi } from './api';
import { afterWrite, portalOf } from './incidents';
import { followPages } from './pages';
import { listPage } from '../runtime/shape';
import { textProblem } from '../runtime/text';
import {
  ALERT_STATUS_VOCABULARY,
  DETECTION_SOURCES as MODEL_DETECTION_SOURCES,
  SERVICE_SOURCES as MODEL_SERVICE_SOURCES,
  alertFromGraph,
  commentsFromGraph,
  isObject,
  label,
  malformed,
  parseWith,
  vocabulary,
  type Alert,
  type AlertStatus,
  type Classification,
  type Determination,
  type Evidence,
  type IncidentComment,
  type Json,
  type Severity,
} from './model';
import { checkRequestUrl, filterBuilder, GRAPH_ALERT_FILTER_FIELDS, odataDateTime, odataString, queryString, type ODataFilter } from './odata';
import { triageChanges } from './update';

const API = 'Microsoft Graph';
const COLLECTION = '/v1.0/security/alerts_v2';

// ---------------------------------------------------------------------------------------------------------------
// Vocabularies

/** The statuses an alert can be searched for and set to (alertStatus without its unknown and sentinel members). */
export const ALERT_INPUT_STATUSES: readonly AlertStatus[] = ['new', 'inProgress', 'resolved'];

export const parseAlertStatus = (input: unknown, param: string, allowed: readonly AlertStatus[] = ALERT_INPUT_STATUSES): AlertStatus =>
  parseWith(ALERT_STATUS_VOCABULARY, input, param, allowed);

/** A list of members without 'unknown': the values an input may name. */
const named = <T extends string>(members: readonly T[]): readonly Exclude<T, 'unknown'>[] => members.filter((m): m is Exclude<T, 'unknown'> => m !== 'unknown');

/** serviceSource members an input may name: the model's (model.ts, with its sources), unknown left out. */
export const SERVICE_SOURCES = named(MODEL_SERVICE_SOURCES);
export type ServiceSource = (typeof SERVICE_SOURCES)[number];

export const SERVICE_SOURCE_VOCABULARY = vocabulary('service source', SERVICE_SOURCES, {
  microsoftDefenderForEndpoint: 'Microsoft Defender for Endpoint',
  microsoftDefenderForIdentity: 'Microsoft Defender for Identity',
  microsoftDefenderForCloudApps: 'Microsoft Defender for Cloud Apps',
  microsoftDefenderForOffice365: 'Microsoft Defender for Office 365',
  microsoft365Defender: 'Microsoft Defender XDR',
  azureAdIdentityProtection: 'Microsoft Entra ID Protection',
  microsoftAppGovernance: 'App Governance',
  dataLossPrevention: 'Data Loss Prevention',
  microsoftDefenderForCloud: 'Microsoft Defender for Cloud',
  microsoftSentinel: 'Microsoft Sentinel',
  microsoftInsiderRiskManagement: 'Insider Risk Management',
  microsoftThreatIntelligence: 'Microsoft Threat Intelligence',
}, {
  // the product names the portal and the legacy API used (legacy.ts maps the same names when reading)
  microsoftDefenderForEndpoint: ['MDE', 'MicrosoftDefenderATP'],
  microsoftDefenderForIdentity: ['MDI', 'AzureATP'],
  microsoftDefenderForCloudApps: ['MDA', 'MicrosoftCloudAppSecurity', 'MCAS'],
  microsoftDefenderForOffice365: ['MDO', 'OfficeATP'],
  microsoft365Defender: ['Microsoft 365 Defender', 'MTP'],
  azureAdIdentityProtection: ['Azure AD Identity Protection', 'AAD Identity Protection'],
  microsoftAppGovernance: ['Microsoft App Governance'],
  dataLossPrevention: ['Microsoft Purview Data Loss Prevention', 'DLP'],
  microsoftInsiderRiskManagement: ['Microsoft Purview Insider Risk Management'],
});

/** detectionSource members an input may name: the model's (model.ts, with its sources), unknown left out. */
export const DETECTION_SOURCES = named(MODEL_DETECTION_SOURCES);
export type DetectionSource = (typeof DETECTION_SOURCES)[number];

export const DETECTION_SOURCE_VOCABULARY = vocabulary(
  'detection source',
  DETECTION_SOURCES,
  Object.fromEntries(DETECTION_SOURCES.map((d) => [d, ({ microsoftDefenderForEndpoint: 'EDR', customTi: 'Custom TI', microsoft365Defender: 'Microsoft Defender XDR', nrtAlerts: 'NRT Alerts', builtInMl: 'Built-in ML', microsoftDefenderForIoT: 'Microsoft Defender for IoT', microsoftDefenderForDNS: 'Microsoft Defender for DNS', microsoftDefenderForAIServices: 'Microsoft Defender for AI Services' } as Partial<Record<DetectionSource, string>>)[d] ?? label(d)])) as Record<DetectionSource, string>,
  { microsoftDefenderForEndpoint: ['Microsoft Defender for Endpoint', 'WindowsDefenderAtp'], antivirus: ['WindowsDefenderAv'], smartScreen: ['WindowsDefenderSmartScreen'], microsoft365Defender: ['Microsoft 365 Defender', 'MTP'] },
);

/** The portal's name of a service source ("Microsoft Defender for Endpoint"); another value as model.ts labels it. */
export const serviceSourceLabel = (value: string): string => (SERVICE_SOURCE_VOCABULARY.labels as Readonly<Record<string, string>>)[value] ?? label(value);

export const parseServiceSource = (input: unknown, param: string): ServiceSource => parseWith(SERVICE_SOURCE_VOCABULARY, input, param, SERVICE_SOURCES);
export const parseDetectionSource = (input: unknown, param: string): DetectionSource => parseWith(DETECTION_SOURCE_VOCABULARY, input, param, DETECTION_SOURCES);

// ---------------------------------------------------------------------------------------------------------------
// The alert as Microsoft sent it

/** An alert of alerts_v2: the shared model's fields and every other field Microsoft sent, as sent. */
export type AlertRecord = Omit<Alert, 'evidence'> & {
  /** left out of a search's results when include_evidence is false */
  evidence?: Evidence[];
  incidentWebUrl?: string | null;
  comments?: IncidentComment[];
  customDetails?: Record<string, unknown> | null;
  [field: string]: unknown;
};

/** Alert ids are Microsoft's opaque strings (da637551227677560813_-961444813, fa..., ca...): letters, digits, _ - . : */
export const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}$/;

export function checkAlertId(id: string, param = 'alert_id'): string {
  const trimmed = typeof id === 'string' ? id.trim() : '';
  if (!ALERT_ID.test(trimmed)) {
    throw invalidInput(`Parameter '${param}' must be an alert id as Microsoft writes it (letters, digits and _ - . :, e.g. da637551227677560813_-961444813); got ${JSON.stringify(id)}.`);
  }
  return trimmed;
}

// Shape checks of an alert (lists and pages: lib/runtime/shape.ts). A wrong shape is API_ERROR saying what was
// expected, never "nothing found".
const TEXT_FIELDS = ['providerAlertId', 'incidentId', 'title', 'description', 'status', 'severity', 'classification', 'determination', 'serviceSource', 'detectionSource', 'assignedTo', 'alertWebUrl', 'incidentWebUrl', 'createdDateTime', 'lastUpdateDateTime'] as const;
const ARRAY_FIELDS = ['evidence', 'comments', 'mitreTechniques', 'systemTags'] as const;

function shapeProblem(json: unknown): string | undefined {
  if (!isObject(json)) return `an alert that is ${json === null ? 'null' : Array.isArray(json) ? 'a list' : `a ${typeof json}`}, not an object`;
  if (typeof json.id !== 'string' || !ALERT_ID.test(json.id)) return `an alert whose id is ${JSON.stringify(json.id) ?? 'missing'}`;
  for (const f of TEXT_FIELDS) {
    const v = json[f];
    if (v !== undefined && v !== null && typeof v !== 'string' && !(f === 'incidentId' && typeof v === 'number')) return `alert ${json.id} with a ${f} that is not text (${JSON.stringify(v).slice(0, 40)})`;
  }
  for (const f of ARRAY_FIELDS) {
    const v = json[f];
    if (v !== undefined && v !== null && !Array.isArray(v)) return `alert ${json.id} with a ${f} that is not a list`;
  }
  if (Array.isArray(json.evidence) && json.evidence.some((e) => !isObject(e))) return `alert ${json.id} with evidence that is not an object`;
  if (Array.isArray(json.comments) && json.comments.some((c) => !isObject(c) || typeof c.comment !== 'string')) return `alert ${json.id} with a comment that has no text`;
  const cd = json.customDetails;
  if (cd !== undefined && cd !== null && !isObject(cd)) return `alert ${json.id} with customDetails that are not an object`;
  if (typeof json.lastUpdateDateTime !== 'string' || !Number.isFinite(Date.parse(json.lastUpdateDateTime))) return `alert ${json.id} without a lastUpdateDateTime`;
  return undefined;
}

/** An alerts_v2 alert (a list element, a GET or PATCH answer): checked for its shape, then every field Microsoft sent, with the alert model's fields (read as the incidents' embedded alerts are) over them. */
export function alertFromAlertsV2(json: unknown): AlertRecord {
  const problem = shapeProblem(json);
  if (problem) throw malformed(API, problem);
  const raw = json as Json;
  const alert: AlertRecord = { ...raw, ...alertFromGraph(raw) };
  if (Array.isArray(raw.comments)) alert.comments = commentsFromGraph(raw.comments);
  return alert;
}

// ---------------------------------------------------------------------------------------------------------------
// Free text sent to Microsoft. Text parameters are checked by the validator (the one rule of lib/runtime/text.ts and
// each schema's maxLength); custom details come as an object or JSON text, so their keys and values are checked here
// with the same rule. The lengths are this package's bounds: Microsoft documents none for customDetails.

export const TEXT_LIMITS = { customDetailKey: 256, customDetailValue: 4_096, customDetails: 50 } as const;

/** `value` under the one text rule and at most `max` characters, else INVALID_INPUT naming `param`. */
export function checkText(value: string, param: string, max: number): string {
  const problem = textProblem(value);
  if (problem) throw invalidInput(`Parameter '${param}' ${problem}.`);
  if (value.length > max) throw invalidInput(`Parameter '${param}' must have at most ${max.toLocaleString('en-US')} characters; got ${value.length.toLocaleString('en-US')}.`);
  return value;
}

/**
 * custom_details: a JSON object of strings, given as an object or as the JSON text of one (engines send most values as
 * strings). Keys and values are checked as text; an empty object is nothing to change.
 */
export function parseCustomDetails(input: unknown, param = 'custom_details'): Record<string, string> {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw invalidInput(`Parameter '${param}' must be a JSON object of strings, such as {"ticket": "INC-42"}; got text that is not JSON.`);
    }
  }
  if (!isObject(value)) throw invalidInput(`Parameter '${param}' must be a JSON object of strings, such as {"ticket": "INC-42"}; got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}.`);
  const entries = Object.entries(value);
  if (entries.length > TEXT_LIMITS.customDetails) throw invalidInput(`Parameter '${param}' must have at most ${TEXT_LIMITS.customDetails} keys; got ${entries.length}.`);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (k.trim() === '') throw invalidInput(`Parameter '${param}' has an empty key; every key names a custom detail.`);
    checkText(k, `${param}` + ' key', TEXT_LIMITS.customDetailKey);
    if (typeof v !== 'string') throw invalidInput(`Parameter '${param}' must hold only strings; '${k}' is ${v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`}.`);
    checkText(v, `${param}.${k}`, TEXT_LIMITS.customDetailValue);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Search

/**
 * $top of a page of alerts. Microsoft documents no maximum for alerts_v2 (its example asks for 100). 1000 is the limit
 * Microsoft documents for the Graph security API's first alerts API ("The $top OData query parameter has a limit of
 * 1000 alerts", security-error-codes.md, Constraints) and the page size peers run in production on alerts_v2 (Elastic's
 * m365_defender corrected its 2000 to 1000, elastic/integrations#20348); a page of 1000 alerts with their evidence is a
 * few MB. Larger pages would save few calls against the 150 a minute Graph allows an app on alerts.
 */
export const ALERT_PAGE = 1000;
/** Pages one search reads when it filters what the API cannot (detection source, incident id): 20,000 alerts, 20 of the 150 calls a minute. */
export const LOCAL_FILTER_MAX_PAGES = 20;
/** Pages no search needs (5,000 results in pages of 1000 take 5): more is a service that does not stop, API_ERROR. */
export const MAX_PAGES = 100;

export interface AlertQuery {
  statuses?: readonly AlertStatus[];
  severities?: readonly Severity[];
  classifications?: readonly Classification[];
  determinations?: readonly Determination[];
  serviceSources?: readonly ServiceSource[];
  detectionSources?: readonly DetectionSource[];
  assignedTo?: string;
  incidentId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  updatedFrom?: Date;
  updatedTo?: Date;
  includeEvidence: boolean;
  maxResults: number;
}

export interface AlertSearchResult {
  /** newest first */
  alerts: AlertRecord[];
  /** more alerts match than were returned (or, with a filter checked on each page, pages were left unread) */
  moreAvailable: boolean;
  /** the search stopped at its page limit with pages left unread (a filter checked on each page) */
  pagesLeft: boolean;
  pagesRead: number;
}

/** The $filter of a search: every value quoted by odataString / odataDateTime; lists as `(f eq a or f eq b)`, the form of Microsoft's examples. */
export function alertFilter(q: Omit<AlertQuery, 'includeEvidence' | 'maxResults'>): ODataFilter | undefined {
  const f = filterBuilder(GRAPH_ALERT_FILTER_FIELDS, { listForm: 'or' });
  const parts: ODataFilter[] = [];
  const list = (field: (typeof GRAPH_ALERT_FILTER_FIELDS)[number], values: readonly string[] | undefined) => {
    if (values?.length) parts.push(f.inList(field, [...new Set(values)].map((v) => odataString(v))));
  };
  list('status', q.statuses);
  list('severity', q.severities);
  list('classification', q.classifications);
  list('determination', q.determinations);
  list('serviceSource', q.serviceSources);
  if (q.assignedTo !== undefined) parts.push(f.eq('assignedTo', odataString(q.assignedTo, 'assigned_to')));
  if (q.createdFrom) parts.push(f.ge('createdDateTime', odataDateTime(q.createdFrom)));
  if (q.createdTo) parts.push(f.le('createdDateTime', odataDateTime(q.createdTo)));
  if (q.updatedFrom) parts.push(f.ge('lastUpdateDateTime', odataDateTime(q.updatedFrom)));
  if (q.updatedTo) parts.push(f.le('lastUpdateDateTime', odataDateTime(q.updatedTo)));
  return parts.length ? f.and(...parts) : undefined;
}

/** The filters the API cannot apply, checked on each alert read; undefined when there are none. */
export function localFilter(q: Pick<AlertQuery, 'detectionSources' | 'incidentId'>): ((a: AlertRecord) => boolean) | undefined {
  const sources = q.detectionSources?.length ? new Set<string>(q.detectionSources) : undefined;
  const incident = q.incidentId;
  if (!sources && incident === undefined) return undefined;
  return (a) => (!sources || sources.has(a.detectionSource)) && (incident === undefined || a.incidentId === incident);
}

const time = (s: string | null): number => (s === null ? NaN : Date.parse(s));
const newestFirst = (a: AlertRecord, b: AlertRecord): number => {
  const d = (time(b.createdDateTime) || 0) - (time(a.createdDateTime) || 0);
  return d !== 0 ? d : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
};

export async function searchAlerts(api: DefenderApi, q: AlertQuery, log: Logger): Promise<AlertSearchResult> {
  const keep = localFilter(q);
  const top = keep ? ALERT_PAGE : Math.min(ALERT_PAGE, q.maxResults);
  const first = `${COLLECTION}?${queryString({ $filter: alertFilter(q), $top: top })}`;
  checkRequestUrl(`${api.apiUrl}${first}`, 'Searching alerts', "shorten 'assigned_to' (each character outside ASCII takes up to 12 in the URL) or give fewer values");
  const alerts: AlertRecord[] = [];
  let moreAvailable = false;
  let pagesLeft = false;
  let pagesRead = 0;
  // the bounded pager (pages.ts); with a filter checked here, LOCAL_FILTER_MAX_PAGES ends the search (more_available)
  // before the pager's bound
  const call = { method: 'GET', path: first, label: 'searching alerts', capability: 'readAlerts' } as const;
  for await (const page of followPages(api, call, keep ? LOCAL_FILTER_MAX_PAGES + 1 : MAX_PAGES)) {
    pagesRead++;
    const next = page.nextLink !== undefined;
    for (const item of page.value) {
      const alert = alertFromAlertsV2(item);
      if (keep && !keep(alert)) continue;
      if (!q.includeEvidence) delete alert.evidence;
      alerts.push(alert);
    }
    if (alerts.length >= q.maxResults) {
      moreAvailable = alerts.length > q.maxResults || next;
      break;
    }
    if (keep && next && pagesRead >= LOCAL_FILTER_MAX_PAGES) {
      moreAvailable = true;
      pagesLeft = true;
      log.warn(`Searching alerts stopped after ${pagesRead} pages (${pagesRead * ALERT_PAGE} alerts read, the detection source or incident id checked on each); narrow the search by time to see the rest.`);
      break;
    }
  }
  return { alerts: alerts.sort(newestFirst).slice(0, q.maxResults), moreAvailable, pagesLeft, pagesRead };
}

// ---------------------------------------------------------------------------------------------------------------
// Get, update, comment

const itemPath = (id: string): string => `${COLLECTION}/${encodeURIComponent(id)}`;

export async function getAlert(api: DefenderApi, id: string): Promise<AlertRecord> {
  return alertFromAlertsV2(await api.call({ method: 'GET', path: itemPath(id), label: `getting alert ${id}`, capability: 'readAlerts' }));
}

/** The incident of an alert, with its link: the alert's own incidentWebUrl, else the portal's incident page. */
export function incidentOf(alert: AlertRecord, config: Pick<Config, 'cloud'>): { id: string | null; url: string | null } {
  const id = alert.incidentId;
  if (id === null || id === '') return { id: null, url: null };
  const own = typeof alert.incidentWebUrl === 'string' && alert.incidentWebUrl !== '' ? alert.incidentWebUrl : null;
  return { id, url: own ?? `${portalOf(config.cloud)}/incidents/${encodeURIComponent(id)}` };
}

export interface AlertUpdateRequest {
  status?: AlertStatus;
  classification?: Classification;
  determination?: Determination;
  assignedTo?: string;
  /** custom details to set (the alert's others are kept) */
  customDetails?: Record<string, string>;
}

export interface AlertChange {
  status?: AlertStatus;
  classification?: Classification;
  determination?: Determination;
  assignedTo?: string;
  customDetails?: Record<string, unknown>;
}

export interface AlertUpdatePlan {
  /** what is sent: only what changes (empty: the alert already is as asked, nothing is sent) */
  change: AlertChange;
  /** what changes, for the message: "status Resolved", "custom detail ticket", ... */
  summary: string[];
}

/**
 * What an update changes on the alert as it is. The determination is checked against the classification it will have
 * with the incidents' table (update.ts checkTriage). custom details are merged into the alert's and, when one differs,
 * sent whole (the PATCH's merge behaviour for this dictionary is not documented: the whole dictionary is right either
 * way). Nothing to change gives an empty plan: the caller sends nothing and completes.
 */
export function planAlertUpdate(current: AlertRecord, request: AlertUpdateRequest): AlertUpdatePlan {
  const { change, summary }: { change: AlertChange; summary: string[] } = triageChanges<AlertStatus>(current, request, 'alert');
  if (request.customDetails) {
    const have = isObject(current.customDetails) ? current.customDetails : {};
    const changed = Object.entries(request.customDetails).filter(([k, v]) => have[k] !== v).map(([k]) => k);
    if (changed.length) {
      change.customDetails = { ...have, ...request.customDetails };
      summary.push(`custom detail${changed.length === 1 ? '' : 's'} ${changed.join(', ')}`);
    }
  }
  return { change, summary };
}

export async function updateAlert(api: DefenderApi, id: string, change: AlertChange): Promise<AlertRecord> {
  const answer = await api.call({ method: 'PATCH', path: itemPath(id), body: change, label: `updating alert ${id}`, capability: 'writeAlerts' });
  return afterWrite('the update', () => alertFromAlertsV2(answer), `alert ${id}`);
}

/** Adds a comment (never sent twice: not idempotent) and returns the alert's comments, Microsoft's answer. */
export async function addAlertComment(api: DefenderApi, id: string, comment: string): Promise<IncidentComment[]> {
  const answer = await api.call({
    method: 'POST',
    path: `${itemPath(id)}/comments`,
    body: { '@odata.type': 'microsoft.graph.security.alertComment', comment },
    label: `adding a comment to alert ${id}`,
    capability: 'writeAlerts',
    idempotent: false,
    unknownOutcome: `The comment may already be on alert ${id}: look at its comments (Get Alert) before adding it again.`,
  });
  return afterWrite('the comment', () => {
    const page = listPage(answer, { api: API, label: `adding a comment to alert ${id}` });
    if (page.value.some((c) => !isObject(c) || typeof c.comment !== 'string')) throw malformed(API, `the comments of alert ${id} with one that has no text`);
    return commentsFromGraph(page.value);
  }, `alert ${id}`);
}

