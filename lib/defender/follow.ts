// Following machine actions to their end (CONTRACT.md section 8): `GET /api/machineactions/{id}` for each action still
// open, all of them in one round, with a growing wait between rounds (1 s, then x1.5 up to 10 s), until each is
// Succeeded, Failed, TimeOut or Cancelled (machineaction.md), or until the next round could not end before `stopAt`:
// the caller's deadline less a margin, so that its result is always written before the run's deadline. What is still
// Pending or InProgress then is returned as it was last read, for Get Machine Action to follow later.
//
// The clock and the sleep are injected (tests run the follower without waiting).

import { ActionError } from '../runtime/errors';
import { FINAL_STATUSES, type MachineAction } from './machines';

export interface FollowOptions {
  /** epoch ms by which the follower has returned */
  stopAt: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  firstDelayMs?: number;
  factor?: number;
  maxDelayMs?: number;
  /** what one round of reads may take, kept free before stopAt (default 1.5 s) */
  roundMs?: number;
  /** told of a read that failed (the action stays as last read and is read again next round) */
  onReadError?: (id: string, err: ActionError) => void;
}

export const FOLLOW_DEFAULTS = { firstDelayMs: 1_000, factor: 1.5, maxDelayMs: 10_000, roundMs: 1_500 } as const;

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export const isFinal = (a: Pick<MachineAction, 'status'>): boolean => FINAL_STATUSES.has(a.status);

/**
 * Follows `actions` (as last read) until each is final or the time is up; returns them as last read, in the same
 * order, and the waits it made (for tests and logs).
 */
export async function followActions(
  actions: readonly MachineAction[],
  read: (id: string) => Promise<MachineAction | undefined>,
  options: FollowOptions,
): Promise<{ actions: MachineAction[]; waits: number[]; rounds: number }> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const factor = options.factor ?? FOLLOW_DEFAULTS.factor;
  const maxDelay = options.maxDelayMs ?? FOLLOW_DEFAULTS.maxDelayMs;
  const roundMs = options.roundMs ?? FOLLOW_DEFAULTS.roundMs;
  const latest = actions.map((a) => a);
  const waits: number[] = [];
  let rounds = 0;
  let delay = options.firstDelayMs ?? FOLLOW_DEFAULTS.firstDelayMs;
  for (;;) {
    const open = latest.map((a, i) => [a, i] as const).filter(([a]) => !isFinal(a));
    if (open.length === 0 || options.signal?.aborted) break;
    // a round needs its wait and its reads to end before stopAt; a shorter wait is taken when that still fits
    const room = options.stopAt - now() - roundMs;
    if (room <= 0) break;
    const wait = Math.min(delay, room);
    waits.push(wait);
    await sleep(wait, options.signal);
    if (options.signal?.aborted) break;
    rounds++;
    for (const [a, i] of open) {
      if (now() >= options.stopAt) break;
      try {
        const read_ = await read(a.id);
        if (read_) latest[i] = read_;
      } catch (err) {
        if (!(err instanceof ActionError) || err.code === 'PERMISSION' || err.code === 'AUTHENTICATION') throw err;
        options.onReadError?.(a.id, err);
      }
    }
    delay = Math.min(Math.round(delay * factor), maxDelay);
  }
  return { actions: latest, waits, rounds };
}
