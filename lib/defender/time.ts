// Time inputs of the incident actions (and later the daemon and hunting): ISO 8601 instants, bare dates, and
// relative spans such as "7d" or "6 hours" counted back from now.
//
// ISO 8601 / RFC 3339 forms accepted: YYYY-MM-DD (midnight UTC), and YYYY-MM-DDThh:mm[:ss[.fff...]] followed by Z or
// an offset ±hh:mm, ±hhmm or ±hh ('T' may be a space or 't', as RFC 3339 §5.6 allows). A date-time without a zone is
// refused: it would be read in some machine's local zone, and Microsoft's own DateTimeOffset filter literal needs a
// zone too (OData ABNF dateTimeOffsetValue ends in "Z" / SIGN hour ":" minute).

import { invalidInput } from '../runtime/errors';

export const TIME_FORMS =
  "an ISO 8601 date-time with Z or an offset (2024-05-01T13:45:00Z, 2024-05-01T15:45:00+02:00), a date (2024-05-01, midnight UTC), or a span back from now (30m, 6h, 7d, 2w, or 30 minutes, 6 hours, 7 days, 2 weeks)";

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const UNITS: Readonly<Record<string, keyof typeof UNIT_MS>> = {
  m: 'm', min: 'm', mins: 'm', minute: 'm', minutes: 'm',
  h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  d: 'd', day: 'd', days: 'd',
  w: 'w', wk: 'w', wks: 'w', week: 'w', weeks: 'w',
};

const RELATIVE = /^(\d+)\s*([a-z]+)(?:\s+ago)?$/i;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
/** The largest span: 100 years, far beyond any retention, and small enough that no Date overflows. */
const MAX_SPAN_MS = 100 * 365.25 * 86_400_000;

/**
 * The instant a time input means, `now` being the time relative spans count back from. Fractions beyond
 * milliseconds (Microsoft writes 7 digits) are cut; with `roundUp` (for an upper bound) they round up instead, so that
 * a bound given as an item's own timestamp still includes it.
 */
export function parseTimeInput(text: string, param: string, now: Date, options: { roundUp?: boolean } = {}): Date {
  const raw = typeof text === 'string' ? text.trim() : '';
  const bad = (why: string): never => {
    throw invalidInput(`Parameter '${param}' ${why}; give ${TIME_FORMS}.`);
  };
  if (raw === '') return bad('is empty');
  const shown = JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}...` : raw);

  const rel = RELATIVE.exec(raw);
  if (rel) {
    const name = rel[2].toLowerCase();
    const unit = Object.hasOwn(UNITS, name) ? UNITS[name] : undefined; // "5constructor" names no unit
    if (!unit) return bad(`${shown} has an unknown unit '${rel[2]}' (units: m/minutes, h/hours, d/days, w/weeks)`);
    const span = Number(rel[1]) * UNIT_MS[unit];
    if (!Number.isSafeInteger(span) || span > MAX_SPAN_MS) return bad(`${shown} reaches back more than 100 years`);
    return new Date(now.getTime() - span);
  }

  const d = DATE_ONLY.exec(raw);
  if (d) {
    const [y, mo, da] = [Number(d[1]), Number(d[2]), Number(d[3])];
    if (!validDate(y, mo, da)) return bad(`${shown} is not a calendar date`);
    return new Date(utc(y, mo, da, 0, 0, 0, 0));
  }

  const t = DATE_TIME.exec(raw);
  if (t) {
    const [y, mo, da, h, mi] = [Number(t[1]), Number(t[2]), Number(t[3]), Number(t[4]), Number(t[5])];
    const s = t[6] === undefined ? 0 : Number(t[6]);
    const ms = t[7] === undefined ? 0 : Number(t[7].padEnd(3, '0').slice(0, 3));
    const beyondMs = t[7] !== undefined && /[1-9]/.test(t[7].slice(3)) && options.roundUp ? 1 : 0;
    if (!validDate(y, mo, da)) return bad(`${shown} is not a calendar date`);
    if (h > 23 || mi > 59 || s > 59) return bad(`${shown} is not a valid time of day (hours 00-23, minutes and seconds 00-59)`);
    const zone = t[8];
    if (zone === undefined) {
      return bad(`${shown} has no time zone, so it is ambiguous; add Z for UTC or an offset such as +02:00`);
    }
    let offsetMin = 0;
    if (zone !== 'Z' && zone !== 'z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      const oh = Number(digits.slice(0, 2));
      const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
      if (oh > 23 || om > 59) return bad(`${shown} has an invalid offset '${zone}'`);
      offsetMin = sign * (oh * 60 + om);
    }
    return new Date(utc(y, mo, da, h, mi, s, ms) - offsetMin * 60_000 + beyondMs);
  }

  return bad(`${shown} is not a time`);
}

/**
 * Both ends optional; each parsed by parseTimeInput (a blank one counts as not given). When both are given, `from`
 * must be strictly before `to`. A time in the future is allowed (a filter on it simply finds nothing yet).
 */
export function parseTimeRange(from: string | undefined, to: string | undefined, params: [string, string], now: Date): { from?: Date; to?: Date } {
  const out: { from?: Date; to?: Date } = {};
  if (from !== undefined && from.trim() !== '') out.from = parseTimeInput(from, params[0], now);
  if (to !== undefined && to.trim() !== '') out.to = parseTimeInput(to, params[1], now, { roundUp: true });
  if (out.from && out.to && out.from.getTime() >= out.to.getTime()) {
    throw invalidInput(
      `Parameter '${params[0]}' (${out.from.toISOString()}) must be before '${params[1]}' (${out.to.toISOString()}); ` +
        `swap them or widen the range (relative spans count back from now, so '${params[0]}' takes the longer one, e.g. 7d to 1d).`,
    );
  }
  return out;
}

function validDate(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= days;
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}
