import { expect } from 'chai';
import { advance, floorMs, initialCheckpoint, MAX_CLOCK_SKEW_MS, MAX_STATE_BYTES, OVERLAP_MS, parseCheckpoint, seenKeys, stampOf, stampOfDate, versionKey, type Stamp } from '../../../lib/daemon/checkpoint';
import { ActionError } from '../../../lib/runtime/errors';
import { syncActionErrorOf } from '../../support/errors';
import { prng } from '../../support/prng';

const at = (iso: string): Stamp => stampOf(iso)!;

describe('daemon checkpoint', () => {
  it('reads timestamps in both APIs\' writings into one sortable form', () => {
    expect(stampOf('2025-06-01T12:00:05.1234567Z')).to.equal('2025-06-01T12:00:05.1234567Z');
    expect(stampOf('2025-06-01T12:00:05Z')).to.equal('2025-06-01T12:00:05.0000000Z');
    expect(stampOf('2025-06-01T12:00:05.12Z')).to.equal('2025-06-01T12:00:05.1200000Z');
    expect(stampOf('2025-06-01T14:00:05.5+02:00')).to.equal('2025-06-01T12:00:05.5000000Z');
    expect(stampOf('2025-06-01T12:00:05.123456789Z')).to.equal('2025-06-01T12:00:05.1234567Z');
    for (const bad of ['2025-06-01', 'yesterday', '', 42, null, '2025-13-01T00:00:00Z']) expect(stampOf(bad), String(bad)).to.equal(undefined);
    expect(floorMs(at('2025-06-01T12:00:05.1239999Z')).toISOString()).to.equal('2025-06-01T12:00:05.123Z');
    expect(stampOfDate(new Date('2025-06-01T12:00:05.123Z'))).to.equal('2025-06-01T12:00:05.1230000Z');
  });

  it('round-trips through parseCheckpoint and refuses what it did not write, naming state', () => {
    const c = advance(initialCheckpoint('lastUpdateDateTime', new Date('2025-06-01T00:00:00Z')), [{ id: '7', at: at('2025-06-01T12:00:00.1234567Z') }], at('2025-06-01T12:00:00.1234567Z'));
    expect(parseCheckpoint(JSON.parse(JSON.stringify(c)))).to.deep.equal(c);
    for (const bad of [[], 'x', { version: 2 }, { ...c, field: 'createdTime' }, { ...c, from: 'now' }, { ...c, seen: { nope: ['1'] } }, { ...c, seen: { [c.from]: ['1; drop'] } }, { ...c, window_ms: -1 }]) {
      try {
        parseCheckpoint(bad);
        expect.fail(`accepted ${JSON.stringify(bad)}`);
      } catch (err) {
        expect(err).to.be.instanceOf(ActionError);
        expect((err as ActionError).code).to.equal('INVALID_INPUT');
        expect((err as Error).message).to.match(/^Parameter 'state'/);
      }
    }
  });

  it('refuses states it never writes: {}, from in the future, high before from, versions before from', () => {
    const now = new Date('2025-06-01T12:00:00Z');
    const c = advance(initialCheckpoint('lastUpdateDateTime', new Date('2025-06-01T00:00:00Z')), [{ id: '7', at: at('2025-06-01T11:00:00.1234567Z') }], at('2025-06-01T11:00:00.1234567Z'));
    expect(parseCheckpoint(JSON.parse(JSON.stringify(c)), 'state', undefined, now)).to.deep.equal(c);
    const future = stampOfDate(new Date(now.getTime() + MAX_CLOCK_SKEW_MS + 1000));
    const cases: Array<[unknown, RegExp]> = [
      [{}, /\(an empty object\)/],
      [{ ...c, from: future, high: future, seen: {} }, /\(from 2025-06-01T12:10:01\.0000000Z is in the future \(this machine's clock says 2025-06-01T12:00:00\.000Z\)\)/],
      [{ ...c, high: at('2025-06-01T08:00:00Z') }, /\(high 2025-06-01T08:00:00\.0000000Z is before from 2025-06-01T10:58:00\.1230000Z\)/],
      [{ ...c, seen: { [at('2025-06-01T09:00:00Z')]: ['7'] } }, /\(seen remembers 2025-06-01T09:00:00\.0000000Z, before from\)/],
    ];
    for (const [bad, why] of cases) {
      const msg = syncActionErrorOf('INVALID_INPUT', () => parseCheckpoint(bad, 'state', undefined, now));
      expect(msg, JSON.stringify(bad)).to.match(/^Parameter 'state' is not a checkpoint of this daemon /).and.to.match(why);
    }
    // a little ahead of this clock (Microsoft's clock is not this one) is taken
    const ahead = stampOfDate(new Date(now.getTime() + 60_000));
    expect(parseCheckpoint({ ...c, high: ahead }, 'state', undefined, now).high).to.equal(ahead);
    // high and seen hold Microsoft's timestamps, which may be far ahead (an item stamped in the future): advance writes
    // them, so they are taken back
    const stamped = advance(c, [{ id: '8', at: future }], future, undefined, now.getTime());
    expect(stamped.from < future).to.equal(true);
    expect(parseCheckpoint(JSON.parse(JSON.stringify(stamped)), 'state', undefined, now)).to.deep.equal(stamped);
  });

  it('never writes high before from, even when an answer held a timestamp older than where reading started', () => {
    const c0 = initialCheckpoint('lastUpdateDateTime', new Date('2025-06-01T10:00:00Z'));
    const old = at('2025-06-01T09:00:00Z');
    const c1 = advance(c0, [], old);
    expect(c1.high! >= c1.from).to.equal(true);
    expect(parseCheckpoint(JSON.parse(JSON.stringify(c1)), 'state', undefined, new Date('2025-06-01T12:00:00Z'))).to.deep.equal(c1);
  });

  it('trails the newest timestamp by the overlap and remembers only the versions since then', () => {
    const c0 = initialCheckpoint('lastUpdateDateTime', new Date('2025-06-01T00:00:00Z'));
    const t1 = at('2025-06-01T10:00:00.0000001Z');
    const t2 = at('2025-06-01T12:00:00.5000000Z');
    const c1 = advance(c0, [{ id: '1', at: t1 }, { id: '2', at: t2 }, { id: '3', at: t2 }], t2);
    expect(c1.high).to.equal(t2);
    expect(c1.from).to.equal(stampOfDate(new Date(floorMs(t2).getTime() - OVERLAP_MS)));
    expect(c1.seen).to.deep.equal({ [t2]: ['2', '3'] });
    // nothing read: nothing moves
    expect(advance(c1, [], null)).to.deep.equal(c1);
    // from never goes back
    const c2 = advance(c1, [], at('2025-06-01T11:00:00Z'));
    expect(c2.from).to.equal(c1.from);
  });

  it('a version stamped in the future never moves the next read past the overlap before now, and is remembered', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    const future = at('2025-06-01T12:40:00Z');
    const c = advance(initialCheckpoint('lastUpdateDateTime', new Date(now - 600_000)), [{ id: '9', at: future }], future, undefined, now);
    expect(c.high).to.equal(future);
    expect(c.from).to.equal(stampOfDate(new Date(now - OVERLAP_MS)));
    expect(c.seen).to.deep.equal({ [future]: ['9'] });
    // a later run, still before it: the read follows the clock; once the clock has passed it, reading trails it as usual
    expect(advance(c, [], null, undefined, now + 5 * 60_000).from).to.equal(stampOfDate(new Date(now + 5 * 60_000 - OVERLAP_MS)));
    expect(advance(c, [], null, undefined, Date.parse('2025-06-01T13:00:00Z')).from).to.equal(stampOfDate(new Date(floorMs(future).getTime() - OVERLAP_MS)));
  });

  it('stays within its size budget under a burst, forgetting whole timestamps from the oldest, never the newest', () => {
    const rand = prng(7);
    const base = new Date('2025-06-01T12:00:00Z').getTime();
    const handed: { id: string; at: Stamp }[] = [];
    for (let k = 0; k < 6000; k++) handed.push({ id: String(1_000_000 + k), at: stampOfDate(new Date(base + Math.floor(rand() * OVERLAP_MS))) });
    const high = handed.reduce((m, h) => (h.at > m ? h.at : m), handed[0]!.at);
    const c = advance(initialCheckpoint('lastUpdateDateTime', new Date(base - 1000)), handed, high);
    expect(JSON.stringify(c).length).to.be.at.most(MAX_STATE_BYTES);
    const kept = seenKeys(c);
    // every version at or after `from` is remembered (so it is never handed over again); none before it is read again
    for (const h of handed) if (h.at >= c.from) expect(kept.has(versionKey(h.id, h.at)), `${h.id}@${h.at}`).to.equal(true);
    expect(Object.keys(c.seen)).to.include(high);
  });
});
