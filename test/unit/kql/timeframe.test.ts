import { expect } from 'chai';
import { TIME_FRAMES, graphTimespan, parseTimeFrame, resolveTimeFrame } from '../../../lib/kql/timeframe';
import { errorOf } from './kusto-support';

const NOW = new Date('2024-06-15T12:00:00.000Z');
const iso = (r: { from: Date; to: Date }): [string, string] => [r.from.toISOString(), r.to.toISOString()];

describe('kql/timeframe', () => {
  it('resolves each fixed frame back from now (Last Week = 7 days, Last Month = 30 days)', () => {
    const expected: Record<string, string> = {
      'Last Hour': '2024-06-15T11:00:00.000Z',
      'Last 6 Hours': '2024-06-15T06:00:00.000Z',
      'Last 24 Hours': '2024-06-14T12:00:00.000Z',
      'Last Week': '2024-06-08T12:00:00.000Z',
      'Last Month': '2024-05-16T12:00:00.000Z',
    };
    for (const [frame, from] of Object.entries(expected)) {
      expect(iso(resolveTimeFrame(frame, undefined, undefined, NOW)), frame).to.deep.equal([from, NOW.toISOString()]);
      // start_time / end_time play no part outside Custom
      expect(iso(resolveTimeFrame(frame, 'garbage', '2020-01-01', NOW)), frame).to.deep.equal([from, NOW.toISOString()]);
    }
    expect(TIME_FRAMES).to.deep.equal(['Last Hour', 'Last 6 Hours', 'Last 24 Hours', 'Last Week', 'Last Month', 'Custom']);
  });

  it('matches frames without regard to case or spaces', () => {
    expect(parseTimeFrame('last hour')).to.equal('Last Hour');
    expect(parseTimeFrame('  LAST6HOURS ')).to.equal('Last 6 Hours');
    expect(parseTimeFrame('Last  24  Hours')).to.equal('Last 24 Hours');
    expect(parseTimeFrame('lastweek')).to.equal('Last Week');
    expect(parseTimeFrame('CUSTOM')).to.equal('Custom');
  });

  it('refuses an unknown or empty frame, listing the valid ones', () => {
    for (const f of ['Last Year', '', '  ', '7d']) {
      const msg = errorOf('INVALID_INPUT', () => resolveTimeFrame(f, undefined, undefined, NOW));
      expect(msg).to.contain("Parameter 'time_frame'").and.contain('Last Hour, Last 6 Hours, Last 24 Hours, Last Week, Last Month, Custom');
    }
  });

  it('Custom: start_time required, end_time defaults to now, ISO 8601, dates and relative spans', () => {
    expect(iso(resolveTimeFrame('Custom', '2024-06-01T00:00:00Z', undefined, NOW))).to.deep.equal(['2024-06-01T00:00:00.000Z', NOW.toISOString()]);
    expect(iso(resolveTimeFrame('Custom', '2024-06-01T00:00:00Z', '  ', NOW))).to.deep.equal(['2024-06-01T00:00:00.000Z', NOW.toISOString()]);
    expect(iso(resolveTimeFrame('custom', '2024-06-01', '2024-06-02T02:00:00+02:00', NOW))).to.deep.equal(['2024-06-01T00:00:00.000Z', '2024-06-02T00:00:00.000Z']);
    expect(iso(resolveTimeFrame('Custom', '7d', '1d', NOW))).to.deep.equal(['2024-06-08T12:00:00.000Z', '2024-06-14T12:00:00.000Z']);
    for (const start of [undefined, '', '   ']) {
      expect(errorOf('INVALID_INPUT', () => resolveTimeFrame('Custom', start, '2024-06-02', NOW))).to.contain("Parameter 'start_time' is required");
    }
  });

  it('Custom: start must be before end, both named', () => {
    for (const [s, e] of [['2024-06-02', '2024-06-01'], ['2024-06-01', '2024-06-01'], ['1d', '7d']]) {
      const msg = errorOf('INVALID_INPUT', () => resolveTimeFrame('Custom', s, e, NOW));
      expect(msg).to.contain("'start_time'").and.contain("'end_time'");
    }
    expect(errorOf('INVALID_INPUT', () => resolveTimeFrame('Custom', '2024-07-01', undefined, NOW))).to.contain("'end_time'").and.contain('now');
    expect(errorOf('INVALID_INPUT', () => resolveTimeFrame('Custom', '2024-06-01T00:00:00', undefined, NOW))).to.contain("Parameter 'start_time'").and.contain('time zone');
    expect(errorOf('INVALID_INPUT', () => resolveTimeFrame('Custom', '2024-06-01', 'tomorrow', NOW))).to.contain("Parameter 'end_time'");
  });

  it('graphTimespan covers the range', () => {
    const r = resolveTimeFrame('Last Week', undefined, undefined, NOW);
    expect(graphTimespan(r)).to.equal('2024-06-08T12:00:00.000Z/2024-06-15T12:00:00.000Z');
    expect(graphTimespan({ from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-01-08T00:00:00Z') })).to.equal('2024-01-01T00:00:00.000Z/2024-01-08T00:00:00.000Z');
    errorOf('INTERNAL', () => graphTimespan({ from: new Date('x'), to: NOW }));
  });
});
