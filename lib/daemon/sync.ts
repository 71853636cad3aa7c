// Reading what changed since a checkpoint, oldest first: incidents on both API families, and any Graph collection
// (alerts_v2: lib/daemon/alerts.ts) through the same Graph reader.
//
// Graph: `$filter=<field> ge T&$orderby=<field> asc&$top=<page>`, and the next page starts again at the newest
// timestamp of the last one (`ge`, so items that share it and did not fit are read; those already read are in `seen`,
// and the page asks for that many more) — never a deep `$skip`, which concurrent changes shift under the reader. A
// page whose items all share one timestamp (a bulk change) is read whole with `<field> eq T` and `$count=true`, its
// pages checked against the count, and reading goes on after it with `gt T`.
//
// Defender XDR: the API has no $orderby (api-list-incidents.md), so the reader asks for time windows
// `lastUpdateTime ge A and lastUpdateTime lt B` small enough to come back whole in one page of 100, sorts each, and
// narrows a window that comes back full. Only a window one millisecond wide that still holds 100 or more incidents
// is paged with `$skip`, with overlapping pages checked for a shift.
//
// Items are handed to the caller in batches that are each complete and sorted; the caller (daemon.ts) decides what is
// new. Incidents' alerts: `$expand=alerts` on Graph; when that fails (large tenants get 500s), the page is read without
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

export interface Version<T> {
  item: T;
  /** the item's timestamp on the time field */
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

export interface VersionReader<T> {
  /**
   * complete, sorted batches of items at or after `from`; `again`: how many of them the caller has seen already (the
   * checkpoint's versions since `from`), which a page may ask for on top of its size
   */
  batches(from: Stamp, again?: number): AsyncGenerator<Version<T>[], void, undefined>;
  /** API calls made so far */
  readonly calls: number;
  /** items handed over without a part that could not be read (incidents without their alerts) */
  readonly incomplete: number;
  /** Defender XDR: the window width to start the next run with */
  readonly windowMs: number | undefined;
  /** the most new items one call returns */
  readonly pageSize: number;
}

export type IncidentReader = VersionReader<Incident>;

/**
 * The most pages one run reads: the largest run (10,000 incidents) needs about 200 pages of 50, or 140 windows of
 * 100 and their narrowing; five times that is left for bulk changes. More is a service that does not page forward.
 */
export const MAX_PAGES_PER_RUN = 1000;

/** Sorts versions by time, then id (shorter first, so numeric ids sort as numbers). */
export const byTime = <T>(idOf: (item: T) => string) => (a: Version<T>, b: Version<T>): number => {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  const x = idOf(a.item);
  const y = idOf(b.item);
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
};

export function versionOf<T>(item: T, at: unknown, id: string, field: TimeField, api: string, noun: string): Version<T> {
  const stamp = stampOf(at);
  if (!stamp) throw new ActionError('API_ERROR', `${api} returned ${noun} ${id} with ${field} ${JSON.stringify(at)}, which is not a timestamp.`);
  return { item, at: stamp };
}

/** What a failed `$expand=alerts` looks like: Microsoft failing the call, not throttling, a permission or the network. */
const expandFailed = (err: unknown): boolean => err instanceof ActionError && err.code === 'API_ERROR';

// ------------------------------------------------------------------------------------------------ Graph v1.0

type Query = Record<string, string | number | undefined>;

/** One Graph collection as the daemon reads it (incidents, alerts_v2). */
export interface GraphCollection<T> {
  /** plural noun for messages and logs: "incidents" */
  plural: string;
  /** the new items a page is for */
  page: number;
  /** the largest $top the API takes: a page may ask for the items it will read again on top of `page`, up to this */
  maxTop: number;
  id(item: T): string;
  /** reads one page with this query (the collection's own path, mapping, and any fallback) */
  fetch(query: Query, label: string): Promise<{ items: T[]; next?: string; count?: number }>;
  /** the item's value of the time field, as Microsoft wrote it */
  time(item: T, field: TimeField): unknown;
}

/** Pages a burst at one timestamp may take: far beyond any real one, so that a service that never stops cannot loop. */
const MAX_BURST_PAGES = 200;

/**
 * Reads a Graph collection in order of the time field, from a timestamp: `$filter=<field> ge T&$orderby=<field> asc`,
 * each next page starting again at the newest timestamp of the last one (never a deep `$skip`), asking for as many
 * more items as it will read again (those at that timestamp). A page all at one timestamp that links to more (a bulk
 * change) is read whole with `<field> eq T`, `$skip` and `$count`, checked against the count, and reading goes on with
 * `gt T`. A page that does not move past where it started is API_ERROR: a service that repeats itself cannot loop.
 */
export function graphVersionReader<T>(c: GraphCollection<T>, o: { field: TimeField; filters: readonly ODataFilter[]; calls: () => number; incomplete: () => number }, log: Logger): VersionReader<T> {
  const f = filterBuilder(['createdDateTime', 'lastUpdateDateTime'] as const);
  // bounds the pages of the run, refuses an empty page that links to more, and a query sent twice
  const guard = new PageGuard({ api: 'Microsoft Graph', label: `reading changed ${c.plural}` }, MAX_PAGES_PER_RUN);
  const page = async (query: Query, label: string): Promise<{ items: Version<T>[]; next?: string; count?: number }> => {
    guard.count();
    const p = await c.fetch(query, label);
    guard.page(p.items.length, p.next !== undefined);
    return { ...p, items: p.items.map((item) => versionOf(item, c.time(item, o.field), c.id(item), o.field, 'Microsoft Graph', c.plural.replace(/s$/, ''))) };
  };

  /** The page sorted as asked and inside the bound asked for (`ge`/`gt` a stamp, or `eq` one), else API_ERROR. */
  const checkPage = (items: Version<T>[], bound: { op: 'ge' | 'gt' | 'eq'; at: Stamp }): void => {
    for (let k = 1; k < items.length; k++) {
      if (items[k - 1]!.at > items[k]!.at) {
        throw new ActionError('API_ERROR', `Microsoft Graph did not sort ${c.plural} by ${o.field} as asked ($orderby=${o.field} asc), so they cannot be read in order safely.`);
      }
    }
    const outside = items.find((v) => (bound.op === 'ge' ? v.at < bound.at : bound.op === 'gt' ? v.at <= bound.at : v.at !== bound.at));
    if (outside) {
      throw new ActionError('API_ERROR', `Microsoft Graph answered reading changed ${c.plural} (${o.field} ${bound.op} ${bound.at}) with ${c.plural.replace(/s$/, '')} ${c.id(outside.item)} at ${outside.at}, outside what was asked, so the ${c.plural} cannot be read in order safely.`);
    }
  };

  /** Every item at exactly `at` (a bulk change), in pages by $skip, checked against $count. */
  async function* burst(at: Stamp): AsyncGenerator<Version<T>[], void, undefined> {
    const filter = f.and(f.eq(o.field, odataTimestamp(at)), ...o.filters);
    for (let attempt = 1; ; attempt++) {
      const ids = new Set<string>();
      let expected: number | undefined;
      for (let skip = 0, pages = 0; ; pages++) {
        // the largest pages the API takes, whatever the run's maximum (a burst is read whole in every run that meets
        // it), and room for twice what the count says
        const limit = expected === undefined ? MAX_BURST_PAGES : Math.max(MAX_BURST_PAGES, 2 * Math.ceil(expected / c.maxTop));
        if (pages >= limit) throw new ActionError('API_ERROR', `Microsoft Graph kept sending pages of the ${c.plural} changed at ${at} after ${pages}; the run stops without a new checkpoint.`);
        const { items, count, next } = await page({ $filter: filter, $count: 'true', $top: c.maxTop, $skip: skip || undefined }, `reading the ${c.plural} changed at ${at}`);
        checkPage(items, { op: 'eq', at });
        if (skip === 0) expected = count;
        if (items.length > 0 && items.every((v) => ids.has(c.id(v.item)))) {
          throw new ActionError('API_ERROR', `Microsoft Graph answered reading the ${c.plural} changed at ${at} with a page of ${c.plural} it had already sent; it is not paging forward, so the run stops without a new checkpoint.`);
        }
        for (const v of items) ids.add(c.id(v.item));
        yield items;
        skip += items.length;
        // the last page: an empty one, a short one without a next link, or the one that reaches the count (more than
        // counted would never end)
        if (items.length === 0 || (!next && items.length < c.maxTop) || (expected !== undefined && skip >= expected)) break;
      }
      if (expected === undefined || ids.size >= expected) return;
      if (attempt >= 3) {
        throw new ActionError('API_ERROR', `Microsoft Graph counted ${expected} ${c.plural} changed at ${at} but its pages held ${ids.size}, three times; the run stops without a new checkpoint and the next run reads them again.`);
      }
      log.info(`Reading the ${expected} ${c.plural} changed at ${at} again: the pages held ${ids.size}`);
    }
  }

  return {
    get calls() {
      return o.calls();
    },
    get incomplete() {
      return o.incomplete();
    },
    windowMs: undefined,
    pageSize: c.page,
    async *batches(from, again = 0) {
      // each query starts later than the one before (ge a later stamp, or gt the stamp of a burst read whole), so the
      // same query is never sent twice; the guard checks it all the same
      let bound: { op: 'ge' | 'gt'; at: Stamp } = { op: 'ge', at: from };
      let repeat = again;
      for (;;) {
        const top = Math.min(c.maxTop, c.page + repeat);
        const query = { $filter: f.and(f[bound.op](o.field, odataTimestamp(bound.at)), ...o.filters), $orderby: `${o.field} asc`, $top: top };
        guard.unseen(queryString(query), `pages that lead back to ${o.field} ${bound.op} ${bound.at}, read before`);
        const { items, next } = await page(query, `reading changed ${c.plural}`);
        checkPage(items, bound);
        yield items;
        if (!next || items.length === 0) return;
        const firstAt = items[0]!.at;
        const lastAt = items[items.length - 1]!.at;
        // a full page at one timestamp, or a short one at the stamp the query started from (ge again would ask the
        // same): every item at that stamp is read whole, then reading goes on after it
        if (firstAt === lastAt && (items.length >= Math.min(c.page, top) || lastAt === bound.at)) {
          yield* burst(lastAt);
          bound = { op: 'gt', at: lastAt };
          repeat = 0;
        } else {
          if (lastAt <= bound.at) throw new ActionError('API_ERROR', `Microsoft Graph answered the ${c.plural} changed from ${bound.at} with a page that does not get past it and links to more; the run stops without a new checkpoint.`);
          bound = { op: 'ge', at: lastAt };
          repeat = items.filter((v) => v.at === lastAt).length;
        }
      }
    },
  };
}

/** The incidents on Graph: `$expand=alerts`, and when that fails each incident's alerts on their own. */
function graphIncidents(api: DefenderApi, log: Logger, o: ReadOptions): IncidentReader {
  const f = filterBuilder(GRAPH_INCIDENT_FILTER_FIELDS);
  const filters: ODataFilter[] = [];
  if (o.statuses?.length) filters.push(f.inList('status', o.statuses.map((s) => odataString(s))));
  if (o.severities?.length) filters.push(f.inList('severity', o.severities.map((s) => odataString(s))));
  let calls = 0;
  let alertsMissing = 0;
  let expandBroken = false;

  const call = async (path: string, label: string): Promise<unknown> => {
    calls++;
    return api.call({ method: 'GET', path, label, capability: 'readIncidents' });
  };

  const collection: GraphCollection<Incident> = {
    plural: 'incidents',
    page: GRAPH_PAGE,
    maxTop: GRAPH_PAGE,
    id: (i) => i.id,
    time: (i, field) => i[field],
    async fetch(query) {
      let body: ListPage | undefined;
      if (o.includeAlerts && !expandBroken) {
        const label = 'reading changed incidents with their alerts';
        try {
          body = listPage(await call(`/v1.0/security/incidents?${queryString({ ...query, $expand: 'alerts' })}`, label), { api: api.name, label });
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
      const items = body.value.map(incidentFromGraph);
      if (o.includeAlerts && expandBroken) {
        for (const incident of items) {
          try {
            const label = `reading the alerts of incident ${incident.id}`;
            const answer = await call(`/v1.0/security/incidents/${encodeURIComponent(incident.id)}?${queryString({ $expand: 'alerts' })}`, label);
            const full = incidentFromGraph(expectObject(answer, { api: api.name, label }, 'an incident (a JSON object)'));
            if (full.alerts) incident.alerts = full.alerts;
          } catch (err) {
            if (!(err instanceof ActionError) || !['API_ERROR', 'NOT_FOUND'].includes(err.code)) throw err;
            alertsMissing++;
            log.warn(`Incident ${incident.id} is handed over without its alerts, which could not be read`, { error: err.message });
          }
        }
      }
      const out: { items: Incident[]; next?: string; count?: number } = { items };
      if (body.nextLink !== undefined) out.next = body.nextLink;
      if (body.count !== undefined) out.count = body.count;
      return out;
    },
  };
  return graphVersionReader(collection, { field: o.field, filters, calls: () => calls, incomplete: () => alertsMissing }, log);
}

// ------------------------------------------------------------------------------------------------ Defender XDR

/** Incidents a window is sized for (of the 100 a page holds), so that most windows come back whole. */
const WINDOW_TARGET = 75;
/** Pages of a one-millisecond burst overlap by this many incidents, to see a shift. */
const BURST_OVERLAP = 10;

function defenderIncidents(api: DefenderApi, config: Config, log: Logger, o: ReadOptions): IncidentReader {
  const f = filterBuilder(DEFENDER_INCIDENT_FILTER_FIELDS, { listForm: 'or' });
  const field = o.field === 'lastUpdateDateTime' ? 'lastUpdateTime' : 'createdTime';
  const base: ODataFilter[] = [];
  if (o.statuses?.length) base.push(f.inList('status', o.statuses.map((s) => odataString(toLegacyStatus(s)))));
  const options = { portalUrl: portalOf(config.cloud) };
  let calls = 0;
  let windowMs = o.windowMs;

  const label = 'reading changed incidents';
  const guard = new PageGuard({ api: api.name, label }, MAX_PAGES_PER_RUN);
  const list = async (lo: number, hi: number, skip: number): Promise<Version<Incident>[]> => {
    const filter = f.and(f.ge(field, odataDateTime(new Date(lo))), f.lt(field, odataDateTime(new Date(hi))), ...base);
    guard.count();
    calls++;
    const answer = await api.call({ method: 'GET', path: `/api/incidents?${queryString({ $filter: filter, $top: DEFENDER_PAGE, $skip: skip || undefined })}`, label, capability: 'readIncidents' });
    return listPage(answer, { api: api.name, label }).value.map((v) => {
      const incident = incidentFromLegacy(v, options);
      if (!o.includeAlerts) delete incident.alerts;
      return versionOf(incident, incident[o.field], incident.id, o.field, 'the Defender XDR API', 'incident');
    });
  };

  /** A one-millisecond window holding a page or more: pages that overlap, each checked to start inside the last. */
  const burst = async (lo: number, hi: number): Promise<Version<Incident>[]> => {
    for (let attempt = 1; ; attempt++) {
      const all = new Map<string, Version<Incident>>();
      let prev = await list(lo, hi, 0);
      for (const v of prev) all.set(v.item.id, v);
      let skip = 0;
      let shifted = false;
      while (prev.length === DEFENDER_PAGE) {
        skip += DEFENDER_PAGE - BURST_OVERLAP;
        const next = await list(lo, hi, skip);
        const tail = new Set(prev.slice(-BURST_OVERLAP).map((v) => v.item.id));
        if (next.length > 0 && !next.slice(0, BURST_OVERLAP).some((v) => tail.has(v.item.id))) {
          shifted = true;
          break;
        }
        for (const v of next) all.set(v.item.id, v);
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
    incomplete: 0,
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
        items.sort(byTime<Incident>((i) => i.id));
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
  return api.flavor === 'graph' ? graphIncidents(api, log, options) : defenderIncidents(api, config, log, options);
}
