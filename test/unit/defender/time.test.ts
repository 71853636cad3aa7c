import { expect } from 'chai';
import { ActionError } from '../../../lib/runtime/errors';
import { TIME_FORMS, parseTimeInput, parseTimeRange } from '../../../lib/defender/time';

const NOW = new Date('2024-06-15T12:00:00.000Z');
const iso = (text: string, param = 'created_after'): string => parseTimeInput(text, param, NOW).toISOString();

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ActionError) {
      expect(err.code).to.equal('INVALID_INPUT');
      return err.message;
    }
    throw err;
  }
  throw new Error('nothing was thrown');
}

describe('defender/time: parseTimeInput', () => {
  it('reads ISO 8601 date-times with Z', () => {
    expect(iso('2024-05-01T13:45:00Z')).to.equal('2024-05-01T13:45:00.000Z');
    expect(iso('2024-05-01T13:45Z')).to.equal('2024-05-01T13:45:00.000Z');
    expect(iso('2024-05-01t13:45:00z')).to.equal('2024-05-01T13:45:00.000Z');
    expect(iso('2024-05-01 13:45:00Z')).to.equal('2024-05-01T13:45:00.000Z');
    expect(iso('  2024-05-01T13:45:00Z  ')).to.equal('2024-05-01T13:45:00.000Z');
    expect(iso('2024-05-01T13:45:00.5Z')).to.equal('2024-05-01T13:45:00.500Z');
    expect(iso('2020-09-06T14:46:57.0733333Z')).to.equal('2020-09-06T14:46:57.073Z'); // Microsoft's 7 digits, cut
    expect(iso('2024-05-01T13:45:00,25Z')).to.equal('2024-05-01T13:45:00.250Z');
    expect(iso('2024-02-29T00:00:00Z')).to.equal('2024-02-29T00:00:00.000Z');
    expect(iso('0050-01-01T00:00:00Z')).to.equal('0050-01-01T00:00:00.000Z');
  });

  it('reads zone offsets', () => {
    expect(iso('2024-05-01T15:45:00+02:00')).to.equal('2024-05-01T13:45:00.000Z');
    expect(iso('2024-05-01T08:45:00-05:00')).to.equal('2024-05-01T13:45:00.000Z');
    expect(iso('2024-05-01T19:15:00+0530')).to.equal('2024-05-01T13:45:00.000Z');
    expect(iso('2024-05-01T15:45:00+02')).to.equal('2024-05-01T13:45:00.000Z');
    expect(iso('2024-05-01T00:30:00+01:00')).to.equal('2024-04-30T23:30:00.000Z');
    expect(iso('2024-05-01T13:45:00-00:00')).to.equal('2024-05-01T13:45:00.000Z');
    expect(iso('2024-12-31T23:00:00-02:00')).to.equal('2025-01-01T01:00:00.000Z');
  });

  it('reads a bare date as midnight UTC', () => {
    expect(iso('2024-05-01')).to.equal('2024-05-01T00:00:00.000Z');
    expect(iso('2000-02-29')).to.equal('2000-02-29T00:00:00.000Z');
  });

  it('reads relative spans back from now, in any case and spacing', () => {
    const cases: Array<[string, number]> = [
      ['30m', 30 * 60_000], ['6h', 6 * 3_600_000], ['7d', 7 * 86_400_000], ['2w', 14 * 86_400_000],
      ['30 minutes', 30 * 60_000], ['6 hours', 6 * 3_600_000], ['7 days', 7 * 86_400_000], ['2 weeks', 14 * 86_400_000],
      ['1 minute', 60_000], ['1 hour', 3_600_000], ['1 day', 86_400_000], ['1 week', 7 * 86_400_000],
      ['7D', 7 * 86_400_000], ['6H', 6 * 3_600_000], ['2 WEEKS', 14 * 86_400_000], ['7Days', 7 * 86_400_000], [' 30   Minutes ', 30 * 60_000],
      ['15min', 15 * 60_000], ['3 hrs', 3 * 3_600_000], ['7 days ago', 7 * 86_400_000], ['0d', 0],
    ];
    for (const [text, back] of cases) {
      expect(parseTimeInput(text, 'p', NOW).getTime(), text).to.equal(NOW.getTime() - back);
    }
  });

  it('refuses a date-time without a zone, saying it is ambiguous', () => {
    expect(refusal(() => parseTimeInput('2024-05-01T13:45:00', 'created_after', NOW))).to.equal(
      `Parameter 'created_after' "2024-05-01T13:45:00" has no time zone, so it is ambiguous; add Z for UTC or an offset such as +02:00; give ${TIME_FORMS}.`,
    );
    expect(refusal(() => parseTimeInput('2024-05-01 13:45', 'updated_before', NOW))).to.contain("Parameter 'updated_before' \"2024-05-01 13:45\" has no time zone, so it is ambiguous");
  });

  it('refuses anything else, naming the parameter and showing the accepted forms', () => {
    const cases: Array<[string, string]> = [
      ['yesterday', 'is not a time'],
      ['', 'is empty'],
      ['   ', 'is empty'],
      ['7', 'is not a time'],
      ['2024', 'is not a time'],
      ['-7d', 'is not a time'],
      ['7.5d', 'is not a time'],
      ['7 months', "has an unknown unit 'months'"],
      ['3y', "has an unknown unit 'y'"],
      ['2024-13-01', 'is not a calendar date'],
      ['2023-02-29', 'is not a calendar date'],
      ['2024-04-31T00:00:00Z', 'is not a calendar date'],
      ['0000-01-01', 'is not a calendar date'],
      ['2024-05-01T24:00:00Z', 'is not a valid time of day'],
      ['2024-05-01T12:60:00Z', 'is not a valid time of day'],
      ['2024-05-01T12:00:60Z', 'is not a valid time of day'],
      ['2024-05-01T12:00:00+24:00', "has an invalid offset '+24:00'"],
      ['2024-05-01T12:00:00+02:75', "has an invalid offset '+02:75'"],
      ['2024-05-01T12:00:00 UTC', 'is not a time'],
      ['2024/05/01', 'is not a time'],
      ['05/01/2024', 'is not a time'],
      ['1714571100', 'is not a time'],
      ['99999999999999999w', 'reaches back more than 100 years'],
      ['6000w', 'reaches back more than 100 years'],
    ];
    for (const [text, why] of cases) {
      const msg = refusal(() => parseTimeInput(text, 'created_after', NOW));
      expect(msg, text).to.match(/^Parameter 'created_after' /);
      expect(msg, text).to.contain(why);
      expect(msg, text).to.contain('; give an ISO 8601 date-time with Z or an offset');
      expect(msg, text).to.contain('30m, 6h, 7d, 2w, or 30 minutes, 6 hours, 7 days, 2 weeks');
    }
  });
});

describe('defender/time: parseTimeRange', () => {
  const P: [string, string] = ['created_after', 'created_before'];

  it('takes either end, both, or neither', () => {
    expect(parseTimeRange(undefined, undefined, P, NOW)).to.deep.equal({});
    expect(parseTimeRange('', '  ', P, NOW)).to.deep.equal({});
    expect(parseTimeRange('7d', undefined, P, NOW)).to.deep.equal({ from: new Date('2024-06-08T12:00:00Z') });
    expect(parseTimeRange(undefined, '2024-06-01', P, NOW)).to.deep.equal({ to: new Date('2024-06-01T00:00:00Z') });
    expect(parseTimeRange('7d', '1d', P, NOW)).to.deep.equal({ from: new Date('2024-06-08T12:00:00Z'), to: new Date('2024-06-14T12:00:00Z') });
    expect(parseTimeRange('2024-06-01', '2024-06-01T00:00:00.001Z', P, NOW).to).to.deep.equal(new Date('2024-06-01T00:00:00.001Z'));
  });

  it('allows times in the future', () => {
    expect(parseTimeRange('2030-01-01', '2031-01-01T00:00:00Z', P, NOW)).to.deep.equal({ from: new Date('2030-01-01T00:00:00Z'), to: new Date('2031-01-01T00:00:00Z') });
  });

  it('refuses a range in the wrong order or empty, naming both parameters', () => {
    expect(refusal(() => parseTimeRange('1d', '7d', P, NOW))).to.equal(
      "Parameter 'created_after' (2024-06-14T12:00:00.000Z) must be before 'created_before' (2024-06-08T12:00:00.000Z); swap them or widen the range (relative spans count back from now, so 'created_after' takes the longer one, e.g. 7d to 1d).",
    );
    expect(refusal(() => parseTimeRange('2024-05-02', '2024-05-01T23:59:59Z', P, NOW))).to.contain("Parameter 'created_after' (2024-05-02T00:00:00.000Z) must be before 'created_before' (2024-05-01T23:59:59.000Z)");
    expect(refusal(() => parseTimeRange('2024-05-01T02:00:00+02:00', '2024-05-01', P, NOW))).to.contain('must be before'); // the same instant
  });

  it('names the parameter that is wrong', () => {
    expect(refusal(() => parseTimeRange('7d', 'soon', P, NOW))).to.match(/^Parameter 'created_before' "soon" is not a time/);
    expect(refusal(() => parseTimeRange('2024-05-01T10:00', undefined, ['updated_after', 'updated_before'], NOW))).to.match(/^Parameter 'updated_after' .* ambiguous/);
  });

  it('rounds an upper bound with sub-millisecond digits up, so an item with that exact timestamp is included', () => {
    const now = new Date('2026-11-21T00:00:00Z');
    expect(parseTimeInput('2026-11-19T23:58:31.3969011Z', 'x', now).toISOString()).to.equal('2026-11-19T23:58:31.396Z');
    expect(parseTimeInput('2026-11-19T23:58:31.3969011Z', 'x', now, { roundUp: true }).toISOString()).to.equal('2026-11-19T23:58:31.397Z');
    expect(parseTimeInput('2026-11-19T23:58:31.3960000Z', 'x', now, { roundUp: true }).toISOString()).to.equal('2026-11-19T23:58:31.396Z');
    const r = parseTimeRange('2026-11-19T23:58:31.3969011Z', '2026-11-19T23:58:31.3969011Z', ['from', 'to'], now);
    expect([r.from?.toISOString(), r.to?.toISOString()]).to.deep.equal(['2026-11-19T23:58:31.396Z', '2026-11-19T23:58:31.397Z']);
  });
});
