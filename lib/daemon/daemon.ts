// One run of a daemon (incidents, alerts): from the checkpoint (the engine's state, or the fallback file), read what
// changed in order, hand over each version not handed over before, up to the run's maximum and before the deadline,
// and return the next checkpoint. Nothing here changes any state until the result is out (store.ts). What differs
// between the daemons is their source (DaemonSource): the surface resource, the reader, the filters, the checkpoint
// format.

import type { ActionContext } from '../runtime/action';
import type { Config } from '../runtime/config';
import type { Logger } from '../runtime/log';
import { ActionError } from '../runtime/errors';
import { createDefenderApi, type DefenderApi, type Resource } from '../defender/api';
import { surfaceFor } from '../defender/surfaces';
import { SEVERITIES, type Incident, type IncidentStatus, type Severity } from '../defender/model';
import { advance, initialCheckpoint, INCIDENT_CHECKPOINTS, maxStamp, parseCheckpoint, seenKeys, versionKey, type Checkpoint, type CheckpointFormat, type Stamp, type TimeField } from './checkpoint';
import { openFallbackState, type FallbackState } from './store';
import { incidentReader, type VersionReader } from './sync';

/** What a daemon reads and hands over. */
export interface DaemonSource<T> {
  /** the surface resource it reads (surfaces.ts) */
  resource: Resource;
  /** the time field the checkpoint goes by */
  field: TimeField;
  /** what its checkpoints hold */
  format: CheckpointFormat;
  /** reads the versions at or after a timestamp, in complete sorted batches */
  reader(api: DefenderApi, config: Config, log: Logger, checkpoint: Checkpoint): VersionReader<T>;
  /** whether an item read is handed over (filters the API may not have applied) */
  keep(item: T): boolean;
  id(item: T): string;
}

export interface DaemonLimits {
  firstFetch: Date;
  max: number;
}

export interface DaemonRun<T> {
  items: T[];
  checkpoint: Checkpoint;
  /** why reading ended: everything read, the run's maximum, the deadline, or another run holding the instance */
  ended: 'caught-up' | 'max' | 'deadline' | 'busy';
  calls: number;
  /** items handed over without a part that could not be read (incidents without their alerts) */
  incomplete: number;
  /** the fallback file when the engine keeps no state */
  stateFile?: string;
  /** puts the fallback checkpoint in place (after the result is out) */
  afterOutput?: () => void;
}

/** Time kept back from the deadline: reading stops this long before it, so the run ends completed, with what it has. */
export function reserveMs(timeoutMs: number): number {
  return Math.min(30_000, Math.max(2_000, Math.floor(timeoutMs * 0.15)));
}

/** The severities at or above a minimum (none: every severity, unknown included). */
export const severitiesFrom = (min: Severity | undefined): Severity[] | undefined => (min ? SEVERITIES.slice(SEVERITIES.indexOf(min)).filter((s) => s !== 'unknown') : undefined);

/** Whether `value` is one of `allowed` (an empty or absent list allows everything). */
export const within = (allowed: readonly string[] | undefined, value: string): boolean => !allowed?.length || allowed.includes(value);

function checkpointFrom(raw: unknown, source: DaemonSource<unknown>, firstFetch: Date, ctx: ActionContext<unknown>, where: string | undefined): Checkpoint {
  const { field, format } = source;
  // no state: a first run. `{}` is not one: this package never writes it (parseCheckpoint refuses it)
  if (raw === undefined) return initialCheckpoint(field, firstFetch, format.kind);
  let cp: Checkpoint;
  try {
    cp = parseCheckpoint(raw, 'state', format);
  } catch (err) {
    if (where && err instanceof ActionError) throw new ActionError('CONFIGURATION', `The daemon's checkpoint file ${where} is not one this package wrote; remove it to start again from first_fetch.`);
    throw err;
  }
  if (cp.field !== field) {
    ctx.log.warn(`emit_updates changed since the last run: reading now goes by ${field} from ${cp.from}; items at the boundary may be handed over again`);
    return { ...initialCheckpoint(field, new Date(0), format.kind), from: cp.from };
  }
  return cp;
}

export async function runDaemon<T>(ctx: ActionContext<unknown>, actionId: string, source: DaemonSource<T>, limits: DaemonLimits): Promise<DaemonRun<T>> {
  const softDeadline = ctx.deadline - reserveMs(ctx.deadline - Date.now());

  // the checkpoint: the engine's state when it keeps one, else the instance's file, held under its lock (one per
  // tenant, app, root of the surface read, and daemon)
  let fallback: FallbackState | undefined;
  let raw: unknown = ctx.state;
  if (ctx.state === undefined) {
    const { root } = surfaceFor(ctx.config, source.resource);
    const opened = await openFallbackState(ctx.config, actionId, Math.max(0, Math.min(30_000, softDeadline - Date.now())), root);
    if ('busy' in opened) {
      // another run of this instance holds it: hand over nothing; the state returned is the stored checkpoint as it is
      return { items: [], checkpoint: checkpointFrom(opened.stored, source, limits.firstFetch, ctx, 'in M365D_STATE_DIR'), ended: 'busy', calls: 0, incomplete: 0 };
    }
    fallback = opened;
    ctx.onExit(opened.release);
    raw = opened.stored;
  }
  const checkpoint = checkpointFrom(raw, source, limits.firstFetch, ctx, fallback?.file);

  // reading stops at the soft deadline: requests in flight are cancelled and the run ends with what it has
  const soft = new AbortController();
  const timer = setTimeout(() => soft.abort(new ActionError('TIMEOUT', 'the daemon stops reading before its deadline')), Math.max(0, softDeadline - Date.now()));
  const api = createDefenderApi({ config: ctx.config, log: ctx.log, deadline: softDeadline, signal: AbortSignal.any([ctx.signal, soft.signal]), addSecret: ctx.addSecret, resource: source.resource });
  const reader = source.reader(api, ctx.config, ctx.log, checkpoint);

  const seen = seenKeys(checkpoint);
  const items: T[] = [];
  const handed: { id: string; at: Stamp }[] = [];
  let high: Stamp | null = null;
  let ended: DaemonRun<T>['ended'] = 'caught-up';
  try {
    reading: for await (const batch of reader.batches(checkpoint.from, seen.size)) {
      for (const { item, at } of batch) {
        const id = source.id(item);
        const key = versionKey(id, at);
        if (!seen.has(key) && source.keep(item)) {
          if (items.length >= limits.max) {
            ended = 'max';
            break reading;
          }
          items.push(item);
          handed.push({ id, at });
          seen.add(key);
        }
        high = maxStamp(high, at);
      }
      if (Date.now() >= softDeadline) {
        ended = 'deadline';
        break;
      }
      // a call for the last few items of the run's maximum costs as much as a whole page: leave them to the next run
      if (items.length > 0 && limits.max - items.length < Math.ceil(reader.pageSize / 10)) {
        ended = 'max';
        break;
      }
    }
  } catch (err) {
    // the soft deadline cancelled a request: what was read before it stands; any other failure fails the run
    if (!soft.signal.aborted || ctx.signal.aborted) throw err;
    ended = 'deadline';
  } finally {
    clearTimeout(timer);
  }
  if (ended === 'deadline') ctx.log.warn('The daemon stopped reading before its deadline; the next run continues from here', { handed_over: items.length });

  const next = advance(checkpoint, handed, high, reader.windowMs);
  const run: DaemonRun<T> = { items, checkpoint: next, ended, calls: reader.calls, incomplete: reader.incomplete };
  if (fallback) {
    run.stateFile = fallback.file;
    run.afterOutput = fallback.stage(next);
  }
  return run;
}

// ------------------------------------------------------------------------------------------------ incidents

export interface DaemonOptions extends DaemonLimits {
  statuses: readonly IncidentStatus[];
  minSeverity?: Severity;
  includeAlerts: boolean;
  emitUpdates: boolean;
}

/** The Incidents Daemon's source: incidents on the configured API, by lastUpdateDateTime (or createdDateTime). */
export function incidentSource(options: Omit<DaemonOptions, keyof DaemonLimits>): DaemonSource<Incident> {
  const field: TimeField = options.emitUpdates ? 'lastUpdateDateTime' : 'createdDateTime';
  const severities = severitiesFrom(options.minSeverity);
  return {
    resource: 'incidents',
    field,
    format: INCIDENT_CHECKPOINTS,
    reader: (api, config, log, checkpoint) =>
      incidentReader(api, config, log, {
        field,
        statuses: options.statuses,
        ...(severities ? { severities } : {}),
        includeAlerts: options.includeAlerts,
        ...(checkpoint.window_ms !== undefined ? { windowMs: checkpoint.window_ms } : {}),
      }),
    // the Defender XDR API cannot filter severity: both are checked on every incident read
    keep: (i) => within(options.statuses, i.status) && within(severities, i.severity),
    id: (i) => i.id,
  };
}
