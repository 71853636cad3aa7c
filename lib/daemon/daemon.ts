// One run of the incidents daemon: from the checkpoint (the engine's state, or the fallback file), read what changed
// in order, hand over each version not handed over before, up to the run's maximum and before the deadline, and
// return the next checkpoint. Nothing here changes any state until the result is out (store.ts).

import type { ActionContext } from '../runtime/action';
import { ActionError } from '../runtime/errors';
import { createDefenderApi } from '../defender/api';
import { SEVERITIES, type Incident, type IncidentStatus, type Severity } from '../defender/model';
import { advance, initialCheckpoint, maxStamp, parseCheckpoint, seenKeys, versionKey, type Checkpoint, type Stamp, type TimeField } from './checkpoint';
import { openFallbackState, type FallbackState } from './store';
import { incidentReader } from './sync';

export interface DaemonOptions {
  firstFetch: Date;
  max: number;
  statuses: readonly IncidentStatus[];
  minSeverity?: Severity;
  includeAlerts: boolean;
  emitUpdates: boolean;
}

export interface DaemonRun {
  incidents: Incident[];
  checkpoint: Checkpoint;
  /** why reading ended: everything read, the run's maximum, the deadline, or another run holding the instance */
  ended: 'caught-up' | 'max' | 'deadline' | 'busy';
  calls: number;
  alertsMissing: number;
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

function checkpointFrom(raw: unknown, field: TimeField, options: DaemonOptions, ctx: ActionContext<unknown>, where: string | undefined): Checkpoint {
  // no state: a first run. `{}` is not one: this package never writes it (parseCheckpoint refuses it)
  if (raw === undefined) return initialCheckpoint(field, options.firstFetch);
  let cp: Checkpoint;
  try {
    cp = parseCheckpoint(raw);
  } catch (err) {
    if (where && err instanceof ActionError) throw new ActionError('CONFIGURATION', `The daemon's checkpoint file ${where} is not one this package wrote; remove it to start again from first_fetch.`);
    throw err;
  }
  if (cp.field !== field) {
    ctx.log.warn(`emit_updates changed since the last run: reading now goes by ${field} from ${cp.from}; incidents at the boundary may be handed over again`);
    return { ...initialCheckpoint(field, new Date(0)), from: cp.from };
  }
  return cp;
}

export async function runDaemon(ctx: ActionContext<unknown>, actionId: string, options: DaemonOptions): Promise<DaemonRun> {
  const field: TimeField = options.emitUpdates ? 'lastUpdateDateTime' : 'createdDateTime';
  const softDeadline = ctx.deadline - reserveMs(ctx.deadline - Date.now());

  // the checkpoint: the engine's state when it keeps one, else the instance's file, held under its lock
  let fallback: FallbackState | undefined;
  let raw: unknown = ctx.state;
  if (ctx.state === undefined) {
    const opened = await openFallbackState(ctx.config, actionId, Math.max(0, Math.min(30_000, softDeadline - Date.now())));
    if ('busy' in opened) {
      // another run of this instance holds it: hand over nothing; the state returned is the stored checkpoint as it is
      return { incidents: [], checkpoint: checkpointFrom(opened.stored, field, options, ctx, 'in M365D_STATE_DIR'), ended: 'busy', calls: 0, alertsMissing: 0 };
    }
    fallback = opened;
    ctx.onExit(opened.release);
    raw = opened.stored;
  }
  const checkpoint = checkpointFrom(raw, field, options, ctx, fallback?.file);

  // reading stops at the soft deadline: requests in flight are cancelled and the run ends with what it has
  const soft = new AbortController();
  const timer = setTimeout(() => soft.abort(new ActionError('TIMEOUT', 'the daemon stops reading before its deadline')), Math.max(0, softDeadline - Date.now()));
  const api = createDefenderApi({ config: ctx.config, log: ctx.log, deadline: softDeadline, signal: AbortSignal.any([ctx.signal, soft.signal]), addSecret: ctx.addSecret });
  const severities = severitiesFrom(options.minSeverity);
  const reader = incidentReader(api, ctx.config, ctx.log, {
    field,
    statuses: options.statuses,
    ...(severities ? { severities } : {}),
    includeAlerts: options.includeAlerts,
    ...(checkpoint.window_ms !== undefined ? { windowMs: checkpoint.window_ms } : {}),
  });
  const statusOk = (i: Incident): boolean => options.statuses.length === 0 || (options.statuses as readonly string[]).includes(i.status);
  const severityOk = (i: Incident): boolean => !severities || (severities as readonly string[]).includes(i.severity);

  const seen = seenKeys(checkpoint);
  const incidents: Incident[] = [];
  const handed: { id: string; at: Stamp }[] = [];
  let high: Stamp | null = null;
  let ended: DaemonRun['ended'] = 'caught-up';
  try {
    reading: for await (const batch of reader.batches(checkpoint.from)) {
      for (const { incident, at } of batch) {
        const key = versionKey(incident.id, at);
        if (!seen.has(key) && statusOk(incident) && severityOk(incident)) {
          if (incidents.length >= options.max) {
            ended = 'max';
            break reading;
          }
          incidents.push(incident);
          handed.push({ id: incident.id, at });
          seen.add(key);
        }
        high = maxStamp(high, at);
      }
      if (Date.now() >= softDeadline) {
        ended = 'deadline';
        break;
      }
      // a call for the last few incidents of the run's maximum costs as much as a whole page: leave them to the next run
      if (incidents.length > 0 && options.max - incidents.length < Math.ceil(reader.pageSize / 10)) {
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
  if (ended === 'deadline') ctx.log.warn('The daemon stopped reading before its deadline; the next run continues from here', { handed_over: incidents.length });

  const next = advance(checkpoint, handed, high, reader.windowMs);
  const run: DaemonRun = { incidents, checkpoint: next, ended, calls: reader.calls, alertsMissing: reader.alertsMissing };
  if (fallback) {
    run.stateFile = fallback.file;
    run.afterOutput = fallback.stage(next);
  }
  return run;
}
