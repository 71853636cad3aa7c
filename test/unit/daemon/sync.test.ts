import { expect } from 'chai';
import { ALERT_CHECKPOINTS, alertSource } from '../../../lib/daemon/alerts';
import { advance, initialCheckpoint, parseCheckpoint, stampOf, type Stamp } from '../../../lib/daemon/checkpoint';
import { graphVersionReader, type GraphCollection, type Version } from '../../../lib/daemon/sync';
import type { Logger } from '../../../lib/runtime/log';
import { ActionError } from '../../../lib/runtime/errors';
import { actionErrorOf, syncActionErrorOf } from '../../support/errors';

const silent: Logger = { error() {}, warn() {}, info() {}, debug() {}, enabled: () => false };
interface Item { id: string; t: string }

/** A sorted collection answering `<field> ge|gt|eq T` with $top/$skip/$count as Graph does, recording each query. */
function collection(items: Item[], page: number, maxTop: number, options: { clampTop?: number } = {}) {
  const queries: Array<Record<string, string | number | undefined>> = [];
  const c: GraphCollection<Item> = {
    plural: 'items',
    page,
    maxTop,
    id: (i) => i.id,
    time: (i) => i.t,
    async fetch(query) {
      queries.push(query);
      const m = /^lastUpdateDateTime (ge|gt|eq) (\S+)$/.exec(String(query['$filter']))!;
      const at = stampOf(m[2])!;
      const match = items.filter((i) => {
        const s = stampOf(i.t)!;
        return m[1] === 'ge' ? s >= at : m[1] === 'gt' ? s > at : s === at;
      });
      const top = Math.min(Number(query['$top']), options.clampTop ?? Infinity);
      const skip = Number(query['$skip'] ?? 0);
      const slice = match.slice(skip, skip + top);
      return { items: slice, ...(skip + top < match.length ? { next: 'https://graph.microsoft.com/next' } : {}), ...(query['$count'] ? { count: match.length } : {}) };
    },
  };
  return { c, queries };
}

const stamp = (ms: number): string => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
async function readAll(c: GraphCollection<Item>, from: string, again = 0): Promise<Version<Item>[]> {
  const reader = graphVersionReader(c, { field: 'lastUpdateDateTime', filters: [], calls: () => 0, incomplete: () => 0 }, silent);
  const out: Version<Item>[] = [];
  for await (const batch of reader.batches(stampOf(from)!, again)) out.push(...batch);
  return out;
}

describe('daemon: the Graph reader (sync.ts graphVersionReader)', () => {
  it('each next page starts at the last timestamp and asks for the items it reads again on top of its page', async () => {
    const items = Array.from({ length: 25 }, (_, i) => ({ id: `a${i}`, t: stamp(i * 1000) }));
    const { c, queries } = collection(items, 10, 20);
    const read = await readAll(c, stamp(0));
    // each call brings 10 new items: the one at the boundary comes again on top
    expect(queries.map((q) => q['$top'])).to.deep.equal([10, 11, 11]);
    expect(queries.map((q) => q['$filter'])).to.deep.equal([`lastUpdateDateTime ge ${stampOf(stamp(0))}`, `lastUpdateDateTime ge ${stampOf(stamp(9000))}`, `lastUpdateDateTime ge ${stampOf(stamp(19000))}`]);
    expect(new Set(read.map((v) => v.item.id)).size).to.equal(25);
    // the first page asks for the versions the checkpoint has seen on top, within maxTop
    const again = collection(items, 10, 20);
    await readAll(again.c, stamp(0), 4);
    expect(again.queries[0]!['$top']).to.equal(14);
    const capped = collection(items, 10, 12);
    await readAll(capped.c, stamp(0), 40);
    expect(capped.queries[0]!['$top']).to.equal(12);
  });

  it('reads a burst at one timestamp larger than a page whole, by $skip against $count, then goes on after it', async () => {
    const items = [...Array.from({ length: 23 }, (_, i) => ({ id: `b${i}`, t: stamp(5000) })), { id: 'c', t: stamp(6000) }];
    const { c, queries } = collection(items, 10, 20);
    const read = await readAll(c, stamp(0));
    expect(new Set(read.map((v) => v.item.id))).to.deep.equal(new Set(items.map((i) => i.id)));
    expect(queries.at(-1)!['$filter']).to.equal(`lastUpdateDateTime gt ${stampOf(stamp(5000))}`);
    // the burst is read in pages of the largest $top (20), not the run's page (10)
    expect(queries.some((q) => q['$count'] === 'true' && q['$top'] === 20 && q['$skip'] === 20)).to.equal(true);
  });

  it('a service that caps $top below the page still gets read whole', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, t: stamp(i * 1000) }));
    const { c } = collection(items, 10, 20, { clampTop: 7 });
    expect(new Set((await readAll(c, stamp(0))).map((v) => v.item.id)).size).to.equal(30);
  });

  it('a page that does not get past where it started, yet links to more, is API_ERROR, not a loop', async () => {
    let calls = 0;
    const c: GraphCollection<Item> = {
      plural: 'items', page: 10, maxTop: 20, id: (i) => i.id, time: (i) => i.t,
      fetch: async () => (calls++, { items: [{ id: 'x', t: stamp(0) }, { id: 'y', t: stamp(0) }], next: 'https://graph.microsoft.com/more' }),
    };
    // the page is all at the stamp it started from: read as a burst (eq), whose next page brings nothing new
    expect(await actionErrorOf('API_ERROR', () => readAll(c, stamp(0)))).to.match(/with a page of items it had already sent; it is not paging forward/);
    expect(calls).to.equal(3);
    const unsorted: GraphCollection<Item> = { ...c, fetch: async () => ({ items: [{ id: 'x', t: stamp(5) }, { id: 'y', t: stamp(1) }] }) };
    expect(await actionErrorOf('API_ERROR', () => readAll(unsorted, stamp(0)))).to.match(/did not sort items by lastUpdateDateTime/);
  });
});

describe('daemon: checkpoints of each daemon', () => {
  const at = (s: string): Stamp => stampOf(s)!;
  it('the Alerts Daemon\'s checkpoint holds alert ids and says it is one; the two daemons never take each other\'s', () => {
    const alerts = advance(initialCheckpoint('lastUpdateDateTime', new Date('2026-05-01T00:00:00Z'), 'alerts'), [{ id: 'da637551227677560813_-961444813', at: at('2026-05-01T12:00:00.1234567Z') }], at('2026-05-01T12:00:00.1234567Z'));
    expect(alerts.kind).to.equal('alerts');
    expect(parseCheckpoint(JSON.parse(JSON.stringify(alerts)), 'state', ALERT_CHECKPOINTS)).to.deep.equal(alerts);
    expect(syncActionErrorOf('INVALID_INPUT', () => parseCheckpoint(JSON.parse(JSON.stringify(alerts))))).to.match(/^Parameter 'state' is not a checkpoint of this daemon \(it is the checkpoint of the "alerts" daemon\)/);
    const incidents = advance(initialCheckpoint('lastUpdateDateTime', new Date('2026-05-01T00:00:00Z')), [{ id: '7', at: at('2026-05-01T12:00:00Z') }], at('2026-05-01T12:00:00Z'));
    expect(incidents).not.to.have.property('kind');
    expect(syncActionErrorOf('INVALID_INPUT', () => parseCheckpoint(incidents, 'state', ALERT_CHECKPOINTS))).to.match(/it is the Incidents Daemon's/);
    expect(syncActionErrorOf('INVALID_INPUT', () => parseCheckpoint({ ...alerts, seen: { [alerts.from]: ['a/../b'] } }, 'state', ALERT_CHECKPOINTS))).to.match(/not an alert id/);
  });

  it('the alert source filters on the server and checks again what comes back', () => {
    const source = alertSource({ statuses: ['new'], minSeverity: 'medium', serviceSources: ['microsoftDefenderForEndpoint'], max: 100 });
    const base = { status: 'new', severity: 'high', serviceSource: 'microsoftDefenderForEndpoint' };
    expect(source.keep(base as never)).to.equal(true);
    for (const over of [{ status: 'resolved' }, { severity: 'low' }, { severity: 'unknown' }, { serviceSource: 'microsoftDefenderForOffice365' }]) expect(source.keep({ ...base, ...over } as never)).to.equal(false);
    expect(alertSource({ statuses: [], serviceSources: [], max: 1 }).keep({ status: 'x', severity: 'unknown', serviceSource: 'y' } as never)).to.equal(true);
    expect(source.resource).to.equal('alerts');
    expect(source.format).to.equal(ALERT_CHECKPOINTS);
    expect(new ActionError('API_ERROR', 'x')).to.be.instanceOf(ActionError);
  });
});
