// The daemon's checkpoint (CONTRACT.md section 6): small, versioned, and exact about what was handed over.
//
//   from   the lower bound (inclusive) of the next read, on the time field
//   high   the newest timestamp handed over or passed by so far (informative; from trails it by the overlap)
//   seen   the versions (id at timestamp) at or after `from` that were already handed over, grouped by timestamp
//
// Reads start `OVERLAP_MS` before the newest timestamp read, so an item that shows up in the list a little after
// its lastUpdateDateTime (the list is not instantly consistent) is still read; `seen` makes the overlap harmless.
// `seen` is bounded by time (only versions at or after `from`), and, should a burst of changes make it too large for
// the state an engine stores, `from` moves up by whole timestamps until it fits: never below a version it forgets.

import { invalidInput } from '../runtime/errors';

/** A timestamp in one canonical form, UTC with 7 fractional digits: 2025-06-01T12:00:05.1234567Z (sorts as text). */
export type Stamp = string & { readonly __stamp: true };

export const CHECKPOINT_VERSION = 1;
/** How far before the newest timestamp read the next read starts. */
export const OVERLAP_MS = 2 * 60_000;
/** The checkpoint's size budget as JSON (engines commonly store up to 64 KB). */
export const MAX_STATE_BYTES = 48 * 1024;

export type TimeField = 'lastUpdateDateTime' | 'createdDateTime';

/** What a checkpoint reads: absent for incidents (the checkpoints written before alerts came), 'alerts' for alerts. */
export type CheckpointKind = 'alerts';

export interface Checkpoint {
  version: typeof CHECKPOINT_VERSION;
  /** which daemon wrote it (absent: the Incidents Daemon), so that one daemon's state is never taken for another's */
  kind?: CheckpointKind;
  field: TimeField;
  from: Stamp;
  high: Stamp | null;
  /** timestamp -> ids handed over at that version */
  seen: Record<string, string[]>;
  /** Defender XDR: the width of the last time window read whole, a hint for the next run */
  window_ms?: number;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/** Reads an ISO 8601 timestamp with a zone (as both APIs write them) into a Stamp; undefined when it is not one. */
export function stampOf(text: unknown): Stamp | undefined {
  if (typeof text !== 'string') return undefined;
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const whole = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]!.toUpperCase()}`);
  if (!Number.isFinite(whole)) return undefined;
  const fraction = (m[7] ?? '').padEnd(7, '0').slice(0, 7);
  return `${new Date(whole).toISOString().slice(0, 19)}.${fraction}Z` as Stamp;
}

/** The Stamp of a Date (millisecond precision). */
export const stampOfDate = (d: Date): Stamp => `${d.toISOString().slice(0, 23)}0000Z` as Stamp;

/** The millisecond a Stamp falls in (its sub-millisecond digits dropped). */
export const floorMs = (s: Stamp): Date => new Date(`${s.slice(0, 23)}Z`);

export const maxStamp = (a: Stamp | null, b: Stamp | null): Stamp | null => (a === null ? b : b === null ? a : a > b ? a : b);

/** A version's key: its timestamp and id. */
export const versionKey = (id: string, at: Stamp): string => `${at}|${id}`;

/** The checkpoint of a first run: reads start at `start`. */
export function initialCheckpoint(field: TimeField, start: Date, kind?: CheckpointKind): Checkpoint {
  return { version: CHECKPOINT_VERSION, ...(kind ? { kind } : {}), field, from: stampOfDate(start), high: null, seen: {} };
}

/** How far ahead of this machine's clock a checkpoint's timestamps may be: Microsoft's clock and this one differ a
 *  little; a checkpoint further ahead was not written by a run of this package against this service. */
export const MAX_CLOCK_SKEW_MS = 10 * 60_000;

/** What a daemon's checkpoints hold: its kind and the ids it hands over. */
export interface CheckpointFormat {
  kind?: CheckpointKind;
  /** an id the daemon hands over (incidents: digits; alerts: Microsoft's alert ids) */
  id: RegExp;
  /** the items, for messages: "incident id" */
  idName: string;
}

export const INCIDENT_CHECKPOINTS: CheckpointFormat = { id: /^\d{1,19}$/, idName: 'incident id' };

/**
 * Reads the `state` an engine handed back. A state this package did not write, or wrote for another time field, is
 * refused (INVALID_INPUT names `state`) rather than guessed at: a wrong guess loses or doubles incidents. That includes
 * `{}` (leave state out on a first run), a `from` in the future (`now` plus the skew: reading from there would find
 * nothing until that time came; advance never writes one), `high` before `from`, and versions remembered before `from`
 * (advance never writes either). `high` and `seen` may be ahead of this clock: they hold Microsoft's timestamps.
 */
export function parseCheckpoint(raw: unknown, param = 'state', format: CheckpointFormat = INCIDENT_CHECKPOINTS, now: Date = new Date()): Checkpoint {
  const bad = (why: string) => invalidInput(`Parameter '${param}' is not a checkpoint of this daemon (${why}); pass back the state a previous run returned, or leave it out to start from first_fetch.`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('not an object');
  const o = raw as Record<string, unknown>;
  if (Object.keys(o).length === 0) throw bad('an empty object');
  if (o['version'] !== CHECKPOINT_VERSION) throw bad(`version ${JSON.stringify(o['version'])}; this package writes version ${CHECKPOINT_VERSION}`);
  if (o['kind'] !== format.kind) throw bad(o['kind'] === undefined ? 'it is the Incidents Daemon\'s' : `it is the checkpoint of the ${JSON.stringify(o['kind'])} daemon`);
  const field = o['field'];
  if (field !== 'lastUpdateDateTime' && field !== 'createdDateTime') throw bad(`field ${JSON.stringify(field)}`);
  const from = stampOf(o['from']);
  if (!from || from !== o['from']) throw bad('from is not a timestamp');
  const high = o['high'] === null ? null : stampOf(o['high']);
  if (high === undefined || (high !== null && high !== o['high'])) throw bad('high is not a timestamp');
  if (high !== null && high < from) throw bad(`high ${high} is before from ${from}`);
  const latest = stampOfDate(new Date(now.getTime() + MAX_CLOCK_SKEW_MS));
  // only `from`: advance keeps it before now, while `high` and `seen` hold what Microsoft sent, which may be stamped
  // ahead of this clock (a service's clock ahead, an item stamped in the future): refusing those would stall the feed
  if (from > latest) throw bad(`from ${from} is in the future (this machine's clock says ${now.toISOString()})`);
  const seenRaw = o['seen'];
  if (typeof seenRaw !== 'object' || seenRaw === null || Array.isArray(seenRaw)) throw bad('seen is not an object');
  const seen: Record<string, string[]> = {};
  for (const [at, ids] of Object.entries(seenRaw)) {
    if (stampOf(at) !== at) throw bad(`seen has a key that is not a timestamp`);
    if (at < from) throw bad(`seen remembers ${at}, before from`);
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || !format.id.test(id))) throw bad(`seen holds something that is not an ${format.idName}`);
    seen[at] = [...(ids as string[])];
  }
  const checkpoint: Checkpoint = { version: CHECKPOINT_VERSION, ...(format.kind ? { kind: format.kind } : {}), field, from, high, seen };
  const w = o['window_ms'];
  if (w !== undefined) {
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 1) throw bad('window_ms is not a whole number of milliseconds');
    checkpoint.window_ms = w;
  }
  return checkpoint;
}

/** The versions a checkpoint remembers, as version keys. */
export function seenKeys(c: Checkpoint): Set<string> {
  const keys = new Set<string>();
  for (const [at, ids] of Object.entries(c.seen)) for (const id of ids) keys.add(versionKey(id, at as Stamp));
  return keys;
}

/**
 * The checkpoint after a run that handed over `handed` (versions) and read everything up to `high` (the newest
 * timestamp it processed, in order; null when it processed nothing). `windowMs`: the Defender XDR window hint to keep
 * (none when undefined). `now`: the clock, in epoch ms (the next read never starts later than the overlap before it).
 */
export function advance(previous: Checkpoint, handed: readonly { id: string; at: Stamp }[], high: Stamp | null, windowMs?: number, now: number = Date.now()): Checkpoint {
  const newHigh = maxStamp(previous.high, high);
  let from = previous.from;
  if (newHigh !== null) {
    // never past the overlap before now: an item stamped in the future (a service's clock ahead) must not move the
    // next read beyond the changes still to come; the versions it holds stay in `seen` until reading passes them
    const trailing = stampOfDate(new Date(Math.min(floorMs(newHigh).getTime(), now) - OVERLAP_MS));
    if (trailing > from) from = trailing;
  }
  const groups = new Map<string, Set<string>>();
  const add = (id: string, at: string): void => {
    if (at < from) return;
    let g = groups.get(at);
    if (!g) groups.set(at, (g = new Set()));
    g.add(id);
  };
  for (const [at, ids] of Object.entries(previous.seen)) for (const id of ids) add(id, at);
  for (const h of handed) add(h.id, h.at);
  const stamps = [...groups.keys()].sort();
  const build = (keep: string[], raised: boolean): Checkpoint => {
    const seen: Record<string, string[]> = {};
    for (const at of keep) seen[at] = [...groups.get(at)!].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    const start = raised && keep.length && keep[0]! > from ? (keep[0] as Stamp) : from;
    // reading started at `from`: what it passed by is at least there, should an answer have held an older timestamp
    const c: Checkpoint = { version: CHECKPOINT_VERSION, ...(previous.kind ? { kind: previous.kind } : {}), field: previous.field, from: start, high: newHigh !== null && newHigh < start ? start : newHigh, seen };
    if (windowMs !== undefined) c.window_ms = windowMs;
    return c;
  };
  let c = build(stamps, false);
  // over budget (a burst of changes within the overlap): forget the oldest timestamps whole, and read from the first
  // one kept, so nothing forgotten is read again; the group of the newest timestamp is always kept
  let drop = 0;
  while (JSON.stringify(c).length > MAX_STATE_BYTES && drop < stamps.length - 1) {
    drop = Math.min(stamps.length - 1, Math.max(drop + 1, Math.ceil(stamps.length / 8) + drop));
    c = build(stamps.slice(drop), true);
  }
  return c;
}
