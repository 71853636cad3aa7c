// Datetimes inside the engine are strings in the one form Microsoft's hunting APIs return them:
// ISO 8601, UTC, 7 fractional digits, "Z" (e.g. "2024-03-26T09:39:50.7688641Z", the documented
// runHuntingQuery example in microsoft-graph-docs-contrib security-security-runhuntingquery.md).
// Strings of that fixed form order the same way as the instants they name, so the engine compares,
// sorts and windows them as strings, and emits them without conversion.
// Timespans are numbers of 100-ns ticks, as in .NET and Kusto.

export const TICKS_PER_MS = 10_000;
export const TICKS_PER_DAY = 864_000_000_000;

/** canonical datetime from milliseconds since the epoch (+ extra ticks below the millisecond, 0..9999) */
export function isoFromMs(ms: number, subMsTicks = 0): string {
  const base = new Date(Math.floor(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${base.slice(0, 23)}${String(Math.floor(subMsTicks)).padStart(4, '0')}Z`;
}

export function isoFromDate(d: Date): string { return isoFromMs(d.getTime()); }

/** canonical datetime -> ticks since the epoch (BigInt: 10^16 ticks exceed 2^53) */
export function ticksFromIso(iso: string): bigint {
  return BigInt(Date.parse(`${iso.slice(0, 23)}Z`)) * 10000n + BigInt(iso.slice(23, 27) || '0');
}

export function isoFromTicks(ticks: bigint): string {
  const ms = ticks / 10000n;
  let sub = ticks % 10000n;
  let msN = Number(ms);
  if (sub < 0n) { sub += 10000n; msN -= 1; }
  return isoFromMs(msN, Number(sub));
}

export function addTicks(iso: string, ticks: number): string {
  return isoFromTicks(ticksFromIso(iso) + BigInt(Math.round(ticks)));
}

/** A datetime given as text (a Kusto literal's text, or a value handed to addRows) in canonical form,
 * or undefined when it is not ISO 8601. Without a zone the time is UTC, as Kusto reads it. */
export function isoFromText(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (Number.isNaN(ms)) return undefined;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  const f = frac.padEnd(7, '0');
  return isoFromMs(ms + Number(f.slice(0, 3)), Number(f.slice(3, 7)));
}

/** .NET / Kusto timespan text: [-][d.]hh:mm:ss[.fffffff] */
export function formatTimespan(ticks: number): string {
  const neg = ticks < 0;
  let t = Math.abs(Math.round(ticks));
  const days = Math.floor(t / TICKS_PER_DAY); t -= days * TICKS_PER_DAY;
  const h = Math.floor(t / 36_000_000_000); t -= h * 36_000_000_000;
  const m = Math.floor(t / 600_000_000); t -= m * 600_000_000;
  const s = Math.floor(t / 10_000_000); t -= s * 10_000_000;
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${neg ? '-' : ''}${days ? `${days}.` : ''}${p2(h)}:${p2(m)}:${p2(s)}${t ? `.${String(t).padStart(7, '0')}` : ''}`;
}
