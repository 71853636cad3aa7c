// Time frames of the hunting actions (issue 6): five fixed spans back from now, or a Custom range.

import { parseTimeInput } from '../defender/time';
import { ActionError, invalidInput } from '../runtime/errors';

export const TIME_FRAMES = ['Last Hour', 'Last 6 Hours', 'Last 24 Hours', 'Last Week', 'Last Month', 'Custom'] as const;
export type TimeFrame = (typeof TIME_FRAMES)[number];

const HOUR = 3_600_000;
const SPANS: Readonly<Record<Exclude<TimeFrame, 'Custom'>, number>> = {
  'Last Hour': HOUR,
  'Last 6 Hours': 6 * HOUR,
  'Last 24 Hours': 24 * HOUR,
  'Last Week': 7 * 24 * HOUR,
  'Last Month': 30 * 24 * HOUR,
};

const squash = (s: string): string => s.replace(/\s+/g, '').toLowerCase();
const BY_KEY: ReadonlyMap<string, TimeFrame> = new Map(TIME_FRAMES.map((f) => [squash(f), f]));

/** The canonical time frame a user's text names (case and spaces ignored), or invalidInput naming time_frame. */
export function parseTimeFrame(frame: string): TimeFrame {
  const found = typeof frame === 'string' ? BY_KEY.get(squash(frame)) : undefined;
  if (!found) {
    const shown = typeof frame === 'string' && frame.trim() !== '' ? `${JSON.stringify(frame.trim().slice(0, 60))} is not a time frame` : 'is empty';
    throw invalidInput(`Parameter 'time_frame' ${shown}; valid: ${TIME_FRAMES.join(', ')}.`);
  }
  return found;
}

const blank = (s: string | undefined): boolean => s === undefined || s === null || s.trim() === '';

/** The time frame when none is given and neither start_time nor end_time is. */
export const DEFAULT_TIME_FRAME: TimeFrame = 'Last Hour';

/**
 * The range a time frame covers, ending now for the fixed frames. Last Week = the last 7 days, Last Month = the last
 * 30 days. Custom: start_time required, end_time defaults to now, start strictly before end (both named in messages);
 * both accept what parseTimeInput does (ISO 8601 with a zone, a bare date, a relative span such as 7d).
 * No time frame given (undefined or blank): Custom when start_time or end_time is given, else Last Hour. A fixed
 * frame given with start_time or end_time is refused naming them: the times would otherwise be ignored without a word.
 */
export function resolveTimeFrame(frame: string | undefined, startTime: string | undefined, endTime: string | undefined, now: Date): { from: Date; to: Date } {
  if (!(now instanceof Date) || !Number.isFinite(now.getTime())) throw new ActionError('INTERNAL', 'resolveTimeFrame: now is not a date.');
  const times = [...(blank(startTime) ? [] : ['start_time']), ...(blank(endTime) ? [] : ['end_time'])];
  const tf = blank(frame) ? (times.length ? 'Custom' : DEFAULT_TIME_FRAME) : parseTimeFrame(frame as string);
  if (tf !== 'Custom') {
    if (times.length) {
      throw invalidInput(
        `Parameter${times.length > 1 ? 's' : ''} ${times.map((t) => `'${t}'`).join(' and ')} ${times.length > 1 ? 'apply' : 'applies'} only to time frame Custom, but 'time_frame' is ${tf}; ` +
          `set 'time_frame' to Custom (or leave it empty) to search between the times, or leave ${times.length > 1 ? 'them' : 'it'} empty to search the ${tf.toLowerCase()}.`,
      );
    }
    return { from: new Date(now.getTime() - SPANS[tf]), to: new Date(now.getTime()) };
  }
  if (blank(startTime)) {
    throw invalidInput("Parameter 'start_time' is required when 'time_frame' is Custom; give an ISO 8601 time such as 2024-05-01T00:00:00Z, a date, or a span back from now such as 7d.");
  }
  const from = parseTimeInput(startTime as string, 'start_time', now);
  const to = blank(endTime) ? new Date(now.getTime()) : parseTimeInput(endTime as string, 'end_time', now, { roundUp: true });
  if (from.getTime() >= to.getTime()) {
    throw invalidInput(
      `Parameter 'start_time' (${from.toISOString()}) must be before 'end_time' (${to.toISOString()}${blank(endTime) ? ', now' : ''}); ` +
        "swap them or widen the range (relative spans count back from now, so 'start_time' takes the longer one, e.g. 7d to 1d).",
    );
  }
  return { from, to };
}

/** Graph runHuntingQuery Timespan covering the range: "2024-01-01T00:00:00.000Z/2024-01-08T00:00:00.000Z". */
export function graphTimespan(range: { from: Date; to: Date }): string {
  const ok = (d: Date): boolean => d instanceof Date && Number.isFinite(d.getTime());
  if (!ok(range.from) || !ok(range.to) || range.from.getTime() > range.to.getTime()) {
    throw new ActionError('INTERNAL', 'graphTimespan: the range is not two ordered dates.');
  }
  return `${range.from.toISOString()}/${range.to.toISOString()}`;
}
