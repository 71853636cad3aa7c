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
      // blank times are not given
      expect(iso(resolveTimeFrame(frame, '', '  ', NOW)), frame).to.deep.equal([from, NOW.toISOString()]);
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

  it('start_time or end_time with a fixed frame is refused naming them (they would be ignored without a word)', () => {
    expect(errorOf('INVALID_INPUT', () => resolveTimeFrame('Last Week', '7d', undefined, NOW))).to.equal(
      "Parameter 'start_time' applies only to time frame Custom, but 'time_frame' is Last Week; set 'time_frame' to Custom (or leave it empty) to search between the times, or leave it empty to search the last week.",
    );
    expect(errorOf('INVALID_INPUT', () => resolveTimeFrame('last hour', 'garbage', '2020-01-01', NOW))).to.match(/^Parameters 'start_time' and 'end_time' apply only to time frame Custom, but 'time_frame' is Last Hour; /);
    expect(errorOf('INVALID_INPUT', () => resolveTimeFrame('Last 24 Hours', undefined, '1d', NOW))).to.match(/^Parameter 'end_time' applies only/);
  });

  it('no time frame given: Last Hour, or Custom when start_time or end_time is given', () => {
    for (const none of [undefined, '', '  ']) {
      expect(iso(resolveTimeFrame(none, undefined, undefined, NOW))).to.deep.equal(['2024-06-15T11:00:00.000Z', NOW.toISOString()]);
      expect(iso(resolveTimeFrame(none, '2024-06-01', '2024-06-02', NOW))).to.deep.equal(['2024-06-01T00:00:00.000Z', '2024-06-02T00:00:00.000Z']);
      expect(iso(resolveTimeFrame(none, '7d', undefined, NOW))).to.deep.equal(['2024-06-08T12:00:00.000Z', NOW.toISOString()]);
      // an end alone is Custom, which needs a start
      expect(errorOf('INVALID_INPUT', () => resolveTimeFrame(none, undefined, '1d', NOW))).to.contain("Parameter 'start_time' is required");
    }
  });

  it('refuses an unknown frame, listing the valid ones', () => {
    for (const f of ['Last Year', '7d', 'constructor']) {
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
