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

/**
 * The range a time frame covers, ending now for the fixed frames. Last Week = the last 7 days, Last Month = the last
 * 30 days. Custom: start_time required, end_time defaults to now, start strictly before end (both named in messages);
 * both accept what parseTimeInput does (ISO 8601 with a zone, a bare date, a relative span such as 7d). For the fixed
 * frames start_time and end_time are not used.
 */
export function resolveTimeFrame(frame: string, startTime: string | undefined, endTime: string | undefined, now: Date): { from: Date; to: Date } {
  if (!(now instanceof Date) || !Number.isFinite(now.getTime())) throw new ActionError('INTERNAL', 'resolveTimeFrame: now is not a date.');
  const tf = parseTimeFrame(frame);
  if (tf !== 'Custom') return { from: new Date(now.getTime() - SPANS[tf]), to: new Date(now.getTime()) };
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
