// Reading the incidents that changed since a checkpoint, oldest first, on both API families.
//
// Graph: `$filter=<field> ge T&$orderby=<field> asc&$top=50`, and the next page starts again at the newest timestamp
// of the last one (`ge`, so incidents that share it and did not fit are read; those already read are in `seen`) —
// never a deep `$skip`, which concurrent changes shift under the reader. A page whose 50 incidents all share one
// timestamp (a bulk change) is read whole with `<field> eq T` and `$count=true`, its pages checked against the count,
// and reading goes on after it with `gt T`.
//
// Defender XDR: the API has no $orderby (api-list-incidents.md), so the reader asks for time windows
// `lastUpdateTime ge A and lastUpdateTime lt B` small enough to come back whole in one page of 100, sorts each, and
// narrows a window that comes back full. Only a window one millisecond wide that still holds 100 or more incidents
// is paged with `$skip`, with overlapping pages checked for a shift.
//
// Incidents are handed to the caller in batches that are each complete and sorted; the caller (daemon.ts) decides
// what is new. Alerts: `$expand=alerts` on Graph; when that fails (large tenants get 500s), the page is read without
// it and each incident's alerts are read on their own; an incident whose alerts cannot be read at all is handed over
// without them rather than holding the checkpoint back for good.

import type { Config } from '../runtime/config';
import { ActionError } from '../runtime/errors';
import type { Logger } from '../runtime/log';
import type { DefenderApi } from '../defender/api';
import { incidentFromLegacy, toLegacyStatus } from '../defender/legacy';
import { incidentFromGraph, type Incident, type IncidentStatus, type Severity } from '../defender/model';
import { DEFENDER_INCIDENT_FILTER_FIELDS, filterBuilder, GRAPH_INCIDENT_FILTER_FIELDS, odataDateTime, odataString, odataTimestamp, queryString, type ODataFilter } from '../defender/odata';
import { PageGuard } from '../defender/pages';
import { expectObject, listPage, type ListPage } from '../runtime/shape';
import { GRAPH_PAGE, DEFENDER_PAGE, portalOf } from '../defender/incidents';
import { floorMs, stampOf, type Stamp, type TimeField } from './checkpoint';

export interface Version {
  incident: Incident;
  /** the incident's timestamp on the time field */
  at: Stamp;
}

export interface ReadOptions {
  field: TimeField;
  statuses?: readonly IncidentStatus[];
  severities?: readonly Severity[];
  includeAlerts: boolean;
  /** Defender XDR: the window width to start with (from the previous run) */
  windowMs?: number;
}

export interface IncidentReader {
  /** complete, sorted batches of incidents at or after `from` */
  batches(from: Stamp): AsyncGenerator<Version[], void, undefined>;
  /** API calls made so far */
  readonly calls: number;
  /** incidents handed over without their alerts (they could not be read) */
  readonly alertsMissing: number;
  /** Defender XDR: the window width to start the next run with */
  readonly windowMs: number | undefined;
  /** the most incidents one call returns */
  readonly pageSize: number;
}

/**
 * The most pages one run reads: the largest run (10,000 incidents) needs about 200 pages of 50, or 140 windows of
 * 100 and their narrowing; five times that is left for bulk changes. More is a service that does not page forward.
 */
export const MAX_PAGES_PER_RUN = 1000;

const byTime = (a: Version, b: Version): number => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.incident.id.length - b.incident.id.length || (a.incident.id < b.incident.id ? -1 : a.incident.id > b.incident.id ? 1 : 0));

function versionOf(incident: Incident, field: TimeField, api: string): Version {
  const at = stampOf(incident[field]);
  if (!at) throw new ActionError('API_ERROR', `${api} returned incident ${incident.id} with ${field} ${JSON.stringify(incident[field])}, which is not a timestamp.`);
  return { incident, at };
}

/** What a failed `$expand=alerts` looks like: Microsoft failing the call, not throttling, a permission or the network. */
const expandFailed = (err: unknown): boolean => err instanceof ActionError && err.code === 'API_ERROR';

// ------------------------------------------------------------------------------------------------ Graph v1.0

function graphReader(api: DefenderApi, log: Logger, o: ReadOptions): IncidentReader {
  const f = filterBuilder(GRAPH_INCIDENT_FILTER_FIELDS);
  const base: ODataFilter[] = [];
  if (o.statuses?.length) base.push(f.inList('status', o.statuses.map((s) => odataString(s))));
  if (o.severities?.length) base.push(f.inList('severity', o.severities.map((s) => odataString(s))));
  let calls = 0;
  let alertsMissing = 0;
  let expandBroken = false;

  const call = async (path: string, label: string): Promise<unknown> => {
    calls++;
    return api.call({ method: 'GET', path, label, capability: 'readIncidents' });
  };
  const guard = new PageGuard({ api: api.name, label: 'reading changed incidents' }, MAX_PAGES_PER_RUN);

  /** One page: with its alerts, through whichever way works. */
  const page = async (query: Record<string, string | number | undefined>): Promise<{ items: Version[]; next?: string; count?: number }> => {
    guard.count();
    let body: ListPage | undefined;
    if (o.includeAlerts && !expandBroken) {
      const label = 'reading changed incidents with their alerts';
      try {
        const answer = await call(`/v1.0/security/incidents?${queryString({ ...query, $expand: 'alerts' })}`, label);
        body = listPage(answer, { api: api.name, label });
      } catch (err) {
        if (!expandFailed(err)) throw err;
        expandBroken = true;
        log.warn('Reading incidents with $expand=alerts failed; this run reads each incident\'s alerts on its own', { error: (err as Error).message });
      }
    }
    if (body === undefined) {
      const label = 'reading changed incidents';
      body = listPage(await call(`/v1.0/security/incidents?${queryString(query)}`, label), { api: api.name, label });
    }
    guard.page(body.value.length, body.nextLink !== undefined);
    const items = body.value.map((v) => versionOf(incidentFromGraph(v), o.field, 'Microsoft Graph'));
    if (o.includeAlerts && expandBroken) {
      for (const v of items) {
        try {
          const label = `reading the alerts of incident ${v.incident.id}`;
          const answer = await call(`/v1.0/security/incidents/${encodeURIComponent(v.incident.id)}?${queryString({ $expand: 'alerts' })}`, label);
          const full = incidentFromGraph(expectObject(answer, { api: api.name, label }, 'an incident (a JSON object)'));
          if (full.alerts) v.incident.alerts = full.alerts;
        } catch (err) {
          if (!(err instanceof ActionError) || !['API_ERROR', 'NOT_FOUND'].includes(err.code)) throw err;
          alertsMissing++;
          log.warn(`Incident ${v.incident.id} is handed over without its alerts, which could not be read`, { error: err.message });
        }
      }
    }
    const out: { items: Version[]; next?: string; count?: number } = { items };
    if (body.nextLink !== undefined) out.next = body.nextLink;
    if (body.count !== undefined) out.count = body.count;
    return out;
  };

  /** The page sorted as asked and inside the bound asked for (`ge`/`gt` a stamp, or `eq` one), else API_ERROR. */
  const checkPage = (items: Version[], bound: { op: 'ge' | 'gt' | 'eq'; at: Stamp }): void => {
    for (let k = 1; k < items.length; k++) {
      if (items[k - 1]!.at > items[k]!.at) {
        throw new ActionError('API_ERROR', `Microsoft Graph did not sort incidents by ${o.field} as asked ($orderby=${o.field} asc), so they cannot be read in order safely.`);
      }
    }
    const outside = items.find((v) => (bound.op === 'ge' ? v.at < bound.at : bound.op === 'gt' ? v.at <= bound.at : v.at !== bound.at));
    if (outside) {
      throw new ActionError('API_ERROR', `Microsoft Graph answered reading changed incidents (${o.field} ${bound.op} ${bound.at}) with incident ${outside.incident.id} at ${outside.at}, outside what was asked, so the incidents cannot be read in order safely.`);
    }
  };

  /** Every incident at exactly `at` (a bulk change), in pages by $skip, checked against $count. */
  async function* burst(at: Stamp): AsyncGenerator<Version[], void, undefined> {
    const filter = f.and(f.eq(o.field, odataTimestamp(at)), ...base);
    for (let attempt = 1; ; attempt++) {
      const ids = new Set<string>();
      let expected: number | undefined;
      for (let skip = 0; ; skip += GRAPH_PAGE) {
        const { items, count } = await page({ $filter: filter, $count: 'true', $top: GRAPH_PAGE, $skip: skip || undefined });
        checkPage(items, { op: 'eq', at });
        if (skip === 0) expected = count;
        for (const v of items) ids.add(v.incident.id);
        yield items;
        // the last page: a short one, or the one that reaches the count (more than counted would never end)
        if (items.length < GRAPH_PAGE || (expected !== undefined && skip + GRAPH_PAGE >= expected)) break;
      }
      if (expected === undefined || ids.size >= expected) return;
      if (attempt >= 3) {
        throw new ActionError('API_ERROR', `Microsoft Graph counted ${expected} incidents changed at ${at} but its pages held ${ids.size}, three times; the run stops without a new checkpoint and the next run reads them again.`);
      }
      log.info(`Reading the ${expected} incidents changed at ${at} again: the pages held ${ids.size}`);
    }
  }

  return {
    get calls() {
      return calls;
    },
    get alertsMissing() {
      return alertsMissing;
    },
    windowMs: undefined,
    pageSize: GRAPH_PAGE,
    async *batches(from) {
      // each query starts later than the one before (ge a later stamp, or gt the stamp of a burst read whole), so the
      // same query is never sent twice; the guard checks it all the same, and bounds the pages of the run
      let bound: { op: 'ge' | 'gt'; at: Stamp } = { op: 'ge', at: from };
      for (;;) {
        const query = { $filter: f.and(f[bound.op](o.field, odataTimestamp(bound.at)), ...base), $orderby: `${o.field} asc`, $top: GRAPH_PAGE };
        guard.unseen(queryString(query), `pages that lead back to ${o.field} ${bound.op} ${bound.at}, read before`);
        const { items, next } = await page(query);
        checkPage(items, bound);
        yield items;
        if (!next) return;
        const firstAt = items[0]!.at;
        const lastAt = items[items.length - 1]!.at;
        // a full page at one timestamp, or a short one at the stamp the query started from (ge again would ask the
        // same): every incident at that stamp is read whole, then reading goes on after it
        if (firstAt === lastAt && (items.length >= GRAPH_PAGE || lastAt === bound.at)) {
          yield* burst(lastAt);
          bound = { op: 'gt', at: lastAt };
        } else {
          bound = { op: 'ge', at: lastAt };
        }
      }
    },
  };
}

// ------------------------------------------------------------------------------------------------ Defender XDR

/** Incidents a window is sized for (of the 100 a page holds), so that most windows come back whole. */
const WINDOW_TARGET = 75;
/** Pages of a one-millisecond burst overlap by this many incidents, to see a shift. */
const BURST_OVERLAP = 10;

function defenderReader(api: DefenderApi, config: Config, log: Logger, o: ReadOptions): IncidentReader {
  const f = filterBuilder(DEFENDER_INCIDENT_FILTER_FIELDS, { listForm: 'or' });
  const field = o.field === 'lastUpdateDateTime' ? 'lastUpdateTime' : 'createdTime';
  const base: ODataFilter[] = [];
  if (o.statuses?.length) base.push(f.inList('status', o.statuses.map((s) => odataString(toLegacyStatus(s)))));
  const options = { portalUrl: portalOf(config.cloud) };
  let calls = 0;
  let windowMs = o.windowMs;

  const label = 'reading changed incidents';
  const guard = new PageGuard({ api: api.name, label }, MAX_PAGES_PER_RUN);
  const list = async (lo: number, hi: number, skip: number): Promise<Version[]> => {
    const filter = f.and(f.ge(field, odataDateTime(new Date(lo))), f.lt(field, odataDateTime(new Date(hi))), ...base);
    guard.count();
    calls++;
    const answer = await api.call({ method: 'GET', path: `/api/incidents?${queryString({ $filter: filter, $top: DEFENDER_PAGE, $skip: skip || undefined })}`, label, capability: 'readIncidents' });
    return listPage(answer, { api: api.name, label }).value.map((v) => {
      const incident = incidentFromLegacy(v, options);
      if (!o.includeAlerts) delete incident.alerts;
      return versionOf(incident, o.field, 'the Defender XDR API');
    });
  };

  /** A one-millisecond window holding a page or more: pages that overlap, each checked to start inside the last. */
  const burst = async (lo: number, hi: number): Promise<Version[]> => {
    for (let attempt = 1; ; attempt++) {
      const all = new Map<string, Version>();
      let prev = await list(lo, hi, 0);
      for (const v of prev) all.set(v.incident.id, v);
      let skip = 0;
      let shifted = false;
      while (prev.length === DEFENDER_PAGE) {
        skip += DEFENDER_PAGE - BURST_OVERLAP;
        const next = await list(lo, hi, skip);
        const tail = new Set(prev.slice(-BURST_OVERLAP).map((v) => v.incident.id));
        if (next.length > 0 && !next.slice(0, BURST_OVERLAP).some((v) => tail.has(v.incident.id))) {
          shifted = true;
          break;
        }
        for (const v of next) all.set(v.incident.id, v);
        prev = next;
      }
      if (!shifted) return [...all.values()];
      if (attempt >= 3) throw new ActionError('API_ERROR', `The incidents changed in the millisecond of ${new Date(lo).toISOString()} moved while they were read, three times; the run stops without a new checkpoint and the next run reads them again.`);
      log.info(`Reading the incidents changed in the millisecond of ${new Date(lo).toISOString()} again: they moved while they were read`);
    }
  };

  return {
    get calls() {
      return calls;
    },
    alertsMissing: 0,
    pageSize: DEFENDER_PAGE,
    get windowMs() {
      return windowMs;
    },
    async *batches(from) {
      const end = Date.now() + 1; // windows end before now: what changes while they are read comes in a later window or run
      let lo = floorMs(from).getTime();
      let width = Math.max(1, windowMs ?? end - lo);
      let narrowed = false;
      while (lo < end) {
        const hi = Math.min(end, lo + width);
        let items = await list(lo, hi, 0);
        log.debug('Window read', { from: new Date(lo).toISOString(), width_ms: hi - lo, incidents: items.length });
        if (items.length >= DEFENDER_PAGE) {
          if (hi - lo > 1) {
            narrowed = true;
            width = Math.max(1, Math.floor((hi - lo) / 4));
            continue;
          }
          items = await burst(lo, hi);
        }
        items.sort(byTime);
        yield items;
        // the next window is sized on this one's density, growing at most twofold (incidents come in clusters: a
        // window grown fourfold past a quiet stretch tends to land on the next cluster and come back full)
        const factor = items.length === 0 ? 2 : Math.min(2, Math.max(0.5, WINDOW_TARGET / items.length));
        width = Math.max(1, Math.floor((hi - lo) * factor));
        lo = hi;
        if (narrowed) windowMs = width;
      }
      // a run that read to now without narrowing a window starts the next one with the whole range again
      if (!narrowed) windowMs = undefined;
    },
  };
}

export function incidentReader(api: DefenderApi, config: Config, log: Logger, options: ReadOptions): IncidentReader {
  return api.flavor === 'graph' ? graphReader(api, log, options) : defenderReader(api, config, log, options);
}
