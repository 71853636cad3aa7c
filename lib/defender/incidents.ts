// Incidents as one interface with two backends: the Graph security API v1.0 and the Defender XDR API. Results use the
// model of model.ts (Graph's field names) whatever the backend.

import type { Config } from '../runtime/config';
import { ActionError, invalidInput } from '../runtime/errors';
import type { Logger } from '../runtime/log';
import { expectObject, listPage } from '../runtime/shape';
import type { DefenderApi } from './api';
import { incidentFromLegacy, toLegacyClassification, toLegacyDetermination, toLegacyStatus } from './legacy';
import { commentsFromGraph, incidentFromGraph, label, type Classification, type Determination, type Incident, type IncidentComment, type IncidentStatus, type Severity } from './model';
import { checkRequestUrl, DEFENDER_INCIDENT_FILTER_FIELDS, filterBuilder, GRAPH_INCIDENT_FILTER_FIELDS, odataDateTime, odataString, queryString, type ODataFilter } from './odata';
import { followPages } from './pages';

export interface IncidentQuery {
  statuses?: readonly IncidentStatus[];
  severities?: readonly Severity[];
  classifications?: readonly Classification[];
  determinations?: readonly Determination[];
  assignedTo?: string;
  createdFrom?: Date;
  createdTo?: Date;
  updatedFrom?: Date;
  updatedTo?: Date;
  includeAlerts: boolean;
  maxResults: number;
}

export interface SearchResult {
  /** newest first */
  incidents: Incident[];
  /** whether more incidents match than were returned */
  moreAvailable: boolean;
  pagesRead: number;
}

export interface IncidentChange {
  status?: IncidentStatus;
  classification?: Classification;
  determination?: Determination;
  assignedTo?: string;
  customTags?: string[];
}

export interface IncidentsClient {
  search(query: IncidentQuery): Promise<SearchResult>;
  /** the incident with its alerts and their evidence; NOT_FOUND when there is none */
  get(id: string): Promise<Incident>;
  /** changes what `change` names and returns the updated incident */
  update(id: string, change: IncidentChange): Promise<Incident>;
  /** adds a comment (never sent twice) and returns the incident's comments */
  addComment(id: string, comment: string): Promise<IncidentComment[]>;
}

/** The largest incident id: both APIs hold it in a signed 64-bit integer (api-incident.md: incidentId is a long). */
const MAX_INCIDENT_ID = 9_223_372_036_854_775_807n;

/**
 * Incident ids are numbers on both APIs; anything else is refused before it reaches a URL. The id comes back in the
 * form Microsoft writes it: without leading zeros ("007" is incident 7), from 1 to the largest signed 64-bit integer.
 */
export function checkIncidentId(id: string, param = 'incident_id'): string {
  const trimmed = id.trim();
  const bad = (why: string): never => {
    throw invalidInput(`Parameter '${param}' must be an incident number such as 42 (as the Defender portal shows it)${why}; got ${JSON.stringify(trimmed.length > 40 ? `${trimmed.slice(0, 40)}...` : trimmed)}.`);
  };
  if (!/^\d{1,40}$/.test(trimmed)) return bad('');
  const n = BigInt(trimmed);
  if (n < 1n || n > MAX_INCIDENT_ID) return bad(`, from 1 to ${MAX_INCIDENT_ID}`);
  return n.toString();
}

/** What makes a search's URL long, for checkRequestUrl. */
const SEARCH_TOO_LONG = "shorten 'assigned_to' (each character outside ASCII takes up to 12 in the URL) or give fewer values";

const newestFirst = (a: Incident, b: Incident): number => (a.createdDateTime < b.createdDateTime ? 1 : a.createdDateTime > b.createdDateTime ? -1 : Number(b.id) - Number(a.id));

/** The Defender portal of each cloud, for incident links the Defender XDR API leaves out. */
const PORTALS: Record<Config['cloud'], string> = {
  Worldwide: 'https://security.microsoft.com',
  GCC: 'https://security.microsoft.com',
  'GCC High': 'https://security.microsoft.us',
  DoD: 'https://security.apps.mil',
};

/** The Defender portal of the configured cloud. */
export const portalOf = (cloud: Config['cloud']): string => PORTALS[cloud];

const INCIDENT = 'an incident (a JSON object)';

/**
 * A write's answer, read by `read`: an answer of the wrong shape is still API_ERROR, and its message says that the
 * service accepted the request, so the change was probably made.
 */
export function afterWrite<T>(what: string, read: () => T, target = 'the incident'): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof ActionError) || err.code !== 'API_ERROR') throw err;
    throw new ActionError('API_ERROR', `${err.message} Microsoft accepted the request (HTTP 2xx), so ${what} was probably made: read ${target} before doing it again.`, { cause: err });
  }
}

// ------------------------------------------------------------------------------------------------ Graph v1.0

/** Graph's page size limit for incidents (a larger $top is a 400). */
export const GRAPH_PAGE = 50;

/**
 * The most pages a Graph search follows: enough for pages of five incidents on average (Graph may return fewer than
 * $top), at least 20. More is a service that does not page forward: API_ERROR.
 */
export const graphSearchPages = (maxResults: number): number => Math.max(20, Math.ceil(maxResults / 5));

function graphFilter(q: IncidentQuery): ODataFilter | undefined {
  const f = filterBuilder(GRAPH_INCIDENT_FILTER_FIELDS);
  const parts: ODataFilter[] = [];
  if (q.statuses?.length) parts.push(f.inList('status', q.statuses.map((v) => odataString(v))));
  if (q.severities?.length) parts.push(f.inList('severity', q.severities.map((v) => odataString(v))));
  if (q.classifications?.length) parts.push(f.inList('classification', q.classifications.map((v) => odataString(v))));
  if (q.determinations?.length) parts.push(f.inList('determination', q.determinations.map((v) => odataString(v))));
  if (q.assignedTo !== undefined) parts.push(f.eq('assignedTo', odataString(q.assignedTo, 'assigned_to')));
  if (q.createdFrom) parts.push(f.ge('createdDateTime', odataDateTime(q.createdFrom)));
  if (q.createdTo) parts.push(f.le('createdDateTime', odataDateTime(q.createdTo)));
  if (q.updatedFrom) parts.push(f.ge('lastUpdateDateTime', odataDateTime(q.updatedFrom)));
  if (q.updatedTo) parts.push(f.le('lastUpdateDateTime', odataDateTime(q.updatedTo)));
  return parts.length ? f.and(...parts) : undefined;
}

function graphBackend(api: DefenderApi): IncidentsClient {
  return {
    async search(q) {
      const path = `/v1.0/security/incidents?${queryString({ $filter: graphFilter(q), $top: Math.min(GRAPH_PAGE, q.maxResults), $expand: q.includeAlerts ? 'alerts' : undefined })}`;
      checkRequestUrl(`${api.apiUrl}${path}`, 'Searching incidents', SEARCH_TOO_LONG);
      const incidents: Incident[] = [];
      let pagesRead = 0;
      let moreAvailable = false;
      for await (const page of followPages(api, { method: 'GET', path, label: 'searching incidents', capability: 'readIncidents' }, graphSearchPages(q.maxResults))) {
        pagesRead++;
        for (const item of page.value) incidents.push(incidentFromGraph(item));
        if (incidents.length >= q.maxResults) {
          moreAvailable = incidents.length > q.maxResults || page.nextLink !== undefined;
          break;
        }
      }
      return { incidents: incidents.sort(newestFirst).slice(0, q.maxResults), moreAvailable, pagesRead };
    },
    async get(id) {
      const doing = `getting incident ${id}`;
      const answer = await api.call({ method: 'GET', path: `/v1.0/security/incidents/${id}?${queryString({ $expand: 'alerts' })}`, label: doing, capability: 'readIncidents' });
      return incidentFromGraph(expectObject(answer, { api: api.name, label: doing }, INCIDENT));
    },
    async update(id, change) {
      const body: Record<string, unknown> = { ...change };
      const doing = `updating incident ${id}`;
      const answer = await api.call({ method: 'PATCH', path: `/v1.0/security/incidents/${id}`, body, label: doing, capability: 'writeIncidents' });
      return afterWrite('the update', () => incidentFromGraph(expectObject(answer, { api: api.name, label: doing }, 'the updated incident (a JSON object)')));
    },
    async addComment(id, comment) {
      const doing = `adding a comment to incident ${id}`;
      const answer = await api.call({
        method: 'POST',
        path: `/v1.0/security/incidents/${id}/comments`,
        body: { '@odata.type': 'microsoft.graph.security.alertComment', comment },
        label: doing,
        capability: 'writeIncidents',
        idempotent: false,
      });
      // 200 with the incident's comments: {"value": [alertComment, ...]} (security-incident-post-comments.md)
      return afterWrite('the comment', () => commentsFromGraph(listPage(answer, { api: api.name, label: doing }).value));
    },
  };
}

// ------------------------------------------------------------------------------------------------ Defender XDR

/** The Defender XDR API's page size limit (api-list-incidents.md). */
export const DEFENDER_PAGE = 100;
/** Pages one search may read: the list is limited to 50 calls a minute, so a search never spends more than this. */
export const DEFENDER_MAX_PAGES = 40;

function defenderBackend(api: DefenderApi, config: Config, log: Logger): IncidentsClient {
  const options = { portalUrl: portalOf(config.cloud) };
  return {
    async search(q) {
      // the API filters only these four fields; severity, classification and determination are checked here
      const f = filterBuilder(DEFENDER_INCIDENT_FILTER_FIELDS, { listForm: 'or' });
      const parts: ODataFilter[] = [];
      if (q.statuses?.length) parts.push(f.inList('status', q.statuses.map((s) => odataString(toLegacyStatus(s)))));
      if (q.assignedTo !== undefined) parts.push(f.eq('assignedTo', odataString(q.assignedTo, 'assigned_to')));
      if (q.createdFrom) parts.push(f.ge('createdTime', odataDateTime(q.createdFrom)));
      if (q.createdTo) parts.push(f.le('createdTime', odataDateTime(q.createdTo)));
      if (q.updatedFrom) parts.push(f.ge('lastUpdateTime', odataDateTime(q.updatedFrom)));
      if (q.updatedTo) parts.push(f.le('lastUpdateTime', odataDateTime(q.updatedTo)));
      const filter = parts.length ? f.and(...parts) : undefined;
      // the longest page URL is the one with the largest $skip this search may send
      checkRequestUrl(`${api.apiUrl}/api/incidents?${queryString({ $filter: filter, $top: DEFENDER_PAGE, $skip: DEFENDER_PAGE * (DEFENDER_MAX_PAGES - 1) })}`, 'Searching incidents', SEARCH_TOO_LONG);
      const keep = (i: Incident): boolean =>
        (!q.severities?.length || (q.severities as readonly string[]).includes(i.severity)) &&
        (!q.classifications?.length || (q.classifications as readonly string[]).includes(i.classification)) &&
        (!q.determinations?.length || (q.determinations as readonly string[]).includes(i.determination));
      const incidents: Incident[] = [];
      let pagesRead = 0;
      let moreAvailable = false;
      for (let skip = 0; ; skip += DEFENDER_PAGE) {
        if (pagesRead >= DEFENDER_MAX_PAGES) {
          moreAvailable = true;
          log.warn(`Searching incidents stopped after ${pagesRead} pages of the Defender XDR API (${pagesRead * DEFENDER_PAGE} incidents read); narrow the search to see the rest.`);
          break;
        }
        const doing = 'searching incidents';
        const answer = await api.call({ method: 'GET', path: `/api/incidents?${queryString({ $filter: filter, $top: DEFENDER_PAGE, $skip: skip || undefined })}`, label: doing, capability: 'readIncidents' });
        pagesRead++;
        const items = listPage(answer, { api: api.name, label: doing }).value;
        for (const item of items) {
          const incident = incidentFromLegacy(item, options);
          if (!keep(incident)) continue;
          if (!q.includeAlerts) delete incident.alerts;
          incidents.push(incident);
        }
        if (incidents.length >= q.maxResults) {
          moreAvailable = incidents.length > q.maxResults || items.length === DEFENDER_PAGE;
          break;
        }
        if (items.length < DEFENDER_PAGE) break;
      }
      return { incidents: incidents.sort(newestFirst).slice(0, q.maxResults), moreAvailable, pagesRead };
    },
    async get(id) {
      const doing = `getting incident ${id}`;
      const answer = await api.call({ method: 'GET', path: `/api/incidents/${id}`, label: doing, capability: 'readIncidents' });
      return incidentFromLegacy(expectObject(answer, { api: api.name, label: doing }, INCIDENT), options);
    },
    async update(id, change) {
      // the PATCH takes only TruePositive, InformationalExpectedActivity and FalsePositive (api-update-incidents.md), and
      // none of its determinations is "no determination": a classification cannot be cleared through this API
      if (change.classification === 'unknown' || change.determination === 'unknown') {
        throw invalidInput(
          `Classification '${label('unknown')}' (no classification) cannot be set through the Defender XDR API, which takes ${(['truePositive', 'informationalExpectedActivity', 'falsePositive'] as const).map(label).join('; ')}; clear a classification through Microsoft Graph.`,
        );
      }
      const body: Record<string, unknown> = {};
      if (change.status) body['status'] = toLegacyStatus(change.status);
      if (change.classification) body['classification'] = toLegacyClassification(change.classification);
      if (change.determination) body['determination'] = toLegacyDetermination(change.determination);
      if (change.assignedTo !== undefined) body['assignedTo'] = change.assignedTo;
      if (change.customTags) body['tags'] = change.customTags;
      const doing = `updating incident ${id}`;
      const answer = await api.call({ method: 'PATCH', path: `/api/incidents/${id}`, body, label: doing, capability: 'writeIncidents' });
      return afterWrite('the update', () => incidentFromLegacy(expectObject(answer, { api: api.name, label: doing }, 'the updated incident (a JSON object)'), options));
    },
    async addComment(id, comment) {
      // the comment is a field of the incident's PATCH here; it adds a comment, so it is never repeated
      const doing = `adding a comment to incident ${id}`;
      const answer = await api.call({ method: 'PATCH', path: `/api/incidents/${id}`, body: { comment }, label: doing, capability: 'writeIncidents', idempotent: false });
      return afterWrite('the comment', () => incidentFromLegacy(expectObject(answer, { api: api.name, label: doing }, 'the incident with its comments (a JSON object)'), options).comments);
    },
  };
}

export function incidentsClient(api: DefenderApi, config: Config, log: Logger): IncidentsClient {
  return api.flavor === 'graph' ? graphBackend(api) : defenderBackend(api, config, log);
}

