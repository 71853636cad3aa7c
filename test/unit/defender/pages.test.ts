import { expect } from 'chai';
import type { ApiCall, DefenderApi } from '../../../lib/defender/api';
import { followPages, PageGuard } from '../../../lib/defender/pages';
import { graphSearchPages } from '../../../lib/defender/incidents';
import { incidentReader, MAX_PAGES_PER_RUN } from '../../../lib/daemon/sync';
import { stampOf, type Stamp } from '../../../lib/daemon/checkpoint';
import type { Config } from '../../../lib/runtime/config';
import { ActionError } from '../../../lib/runtime/errors';
import type { Logger } from '../../../lib/runtime/log';

const ROOT = 'https://graph.example.com';

/** A DefenderApi whose answers come from `answer`, recording every call; more than `cap` calls fail the test. */
function scripted(answer: (call: ApiCall, n: number) => unknown, flavor: 'graph' | 'defender' = 'graph', cap = 5000): { api: DefenderApi; calls: ApiCall[] } {
  const calls: ApiCall[] = [];
  const api: DefenderApi = {
    flavor,
    apiUrl: ROOT,
    name: flavor === 'graph' ? 'Microsoft Graph' : 'the Defender XDR API',
    surface: { id: flavor, name: flavor === 'graph' ? 'Microsoft Graph' : 'the Defender XDR API', root: ROOT, scope: `${ROOT}/.default`, permissions: {} },
    tokens: { scope: `${ROOT}/.default`, getToken: async () => 'token', renew: async () => 'token' },
    async call(call) {
      calls.push(call);
      if (calls.length > cap) throw new Error(`more than ${cap} calls: the loop is not bounded`);
      return answer(call, calls.length);
    },
  };
  return { api, calls };
}

const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {}, enabled: () => false };

async function failure(run: () => Promise<unknown>): Promise<ActionError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ActionError) return err;
    throw err;
  }
  throw new Error('expected an ActionError');
}

const FIRST: ApiCall = { method: 'GET', path: '/v1.0/security/incidents?$top=2', label: 'searching incidents', capability: 'readIncidents' };

async function drain(api: DefenderApi, max = 50): Promise<unknown[][]> {
  const pages: unknown[][] = [];
  for await (const page of followPages(api, FIRST, max)) pages.push(page.value);
  return pages;
}

describe('the bounded pager (lib/defender/pages)', () => {
  it('follows @odata.nextLink to the end, each link as the path after the API root', async () => {
    const { api, calls } = scripted((_c, n) => ({ value: [n, n], ...(n < 3 ? { '@odata.nextLink': `${ROOT}/v1.0/security/incidents?$top=2&$skip=${2 * n}` } : {}) }));
    expect(await drain(api)).to.deep.equal([[1, 1], [2, 2], [3, 3]]);
    expect(calls.map((c) => c.path)).to.deep.equal(['/v1.0/security/incidents?$top=2', '/v1.0/security/incidents?$top=2&$skip=2', '/v1.0/security/incidents?$top=2&$skip=4']);
    expect(calls.every((c) => c.label === 'searching incidents' && c.method === 'GET')).to.equal(true);
  });

  it('stops when the consumer leaves the loop: no page more is read', async () => {
    const { api, calls } = scripted((_c, n) => ({ value: [n], '@odata.nextLink': `${ROOT}/v1.0/security/incidents?$skip=${n}` }));
    for await (const page of followPages(api, FIRST, 50)) if (page.value[0] === 2) break;
    expect(calls).to.have.length(2);
  });

  it('an empty page that still has a nextLink is API_ERROR after that one request', async () => {
    const { api, calls } = scripted(() => ({ value: [], '@odata.nextLink': `${ROOT}/v1.0/security/incidents?$skip=50` }));
    const err = await failure(() => drain(api));
    expect(err.code).to.equal('API_ERROR');
    expect(err.message).to.equal('Microsoft Graph answered searching incidents with an empty page that still has an @odata.nextLink (page 1); expected either items or no next page, so the run stops.');
    expect(calls).to.have.length(1);
  });

  it('a nextLink to a page already read is API_ERROR: a loop of two, and a link to itself (fragment aside)', async () => {
    const loop = scripted((_c, n) => ({ value: [n], '@odata.nextLink': `${ROOT}/v1.0/security/incidents?$skip=${n % 2 === 1 ? 'a' : 'b'}` }));
    const err = await failure(() => drain(loop.api));
    expect(err.code).to.equal('API_ERROR');
    expect(err.message).to.match(/^Microsoft Graph answered searching incidents with an @odata\.nextLink to a page already read \(after page 3\); it is not paging forward/);
    expect(loop.calls.map((c) => c.path)).to.deep.equal(['/v1.0/security/incidents?$top=2', '/v1.0/security/incidents?$skip=a', '/v1.0/security/incidents?$skip=b']);
    const self = scripted(() => ({ value: [1], '@odata.nextLink': `${ROOT}/v1.0/security/incidents?$top=2#again` }));
    expect((await failure(() => drain(self.api))).code).to.equal('API_ERROR');
    expect(self.calls).to.have.length(1);
  });

  it('a page limit: ever new links stop with API_ERROR after exactly maxPages requests', async () => {
    const { api, calls } = scripted((_c, n) => ({ value: [n], '@odata.nextLink': `${ROOT}/v1.0/security/incidents?$skip=${n}` }));
    const err = await failure(() => drain(api, 7));
    expect(err.message).to.equal('Microsoft Graph answered searching incidents with more than 7 pages, the most one run reads; the run stops rather than page on. Narrow the request, or check what answers in front of the service.');
    expect(calls).to.have.length(7);
    expect(graphSearchPages(1)).to.equal(20);
    expect(graphSearchPages(5000)).to.equal(1000);
  });

  it('a page of the wrong shape, and a nextLink to another host, are API_ERROR before anything is sent on', async () => {
    const wrong = scripted((_c, n) => (n === 1 ? { value: [1], '@odata.nextLink': `${ROOT}/v1.0/security/incidents?$skip=1` } : { value: null }));
    expect((await failure(() => drain(wrong.api))).message).to.match(/with a 'value' that is null/);
    const away = scripted(() => ({ value: [1], '@odata.nextLink': 'https://elsewhere.example.net/v1.0/security/incidents?$skip=1' }));
    const err = await failure(() => drain(away.api));
    expect(err.code).to.equal('API_ERROR');
    expect(err.message).to.match(/was not followed/);
    expect(away.calls).to.have.length(1);
  });

  it('PageGuard: count, unseen and page on their own', () => {
    const g = new PageGuard({ api: 'the Defender XDR API', label: 'reading changed incidents' }, 2);
    g.count();
    g.unseen('a');
    g.page(3, true);
    g.page(0, false);
    g.count();
    expect(() => g.unseen('a', 'pages that lead back to the same query')).to.throw(/^The Defender XDR API answered reading changed incidents with pages that lead back to the same query \(after page 1\)/);
    expect(() => g.count()).to.throw(/more than 2 pages/);
    expect(g.read).to.equal(2);
  });
});

describe('the daemon reader on a service that does not page forward (lib/daemon/sync)', () => {
  const FROM = stampOf('2024-05-01T00:00:00Z') as Stamp;
  const at = (s: number): string => new Date(Date.parse('2024-05-01T00:00:00Z') + s * 1000).toISOString();
  const incident = (id: number, time: string) => ({ id: String(id), createdDateTime: time, lastUpdateDateTime: time, status: 'active', severity: 'high' });
  const config = { cloud: 'Worldwide' } as Config;
  const options = { field: 'lastUpdateDateTime' as const, includeAlerts: false };

  async function readAll(api: DefenderApi): Promise<string[]> {
    const ids: string[] = [];
    for await (const batch of incidentReader(api, config, quiet, options).batches(FROM)) for (const v of batch) ids.push(`${v.item.id}@${v.at}`);
    return ids;
  }

  it('Graph: an empty page with a nextLink is API_ERROR, not "no new or changed incidents"', async () => {
    const { api, calls } = scripted(() => ({ value: [], '@odata.nextLink': `${ROOT}/v1.0/security/incidents?$skip=50` }));
    const err = await failure(() => readAll(api));
    expect([err.code, err.message]).to.deep.equal(['API_ERROR', 'Microsoft Graph answered reading changed incidents with an empty page that still has an @odata.nextLink (page 1); expected either items or no next page, so the run stops.']);
    expect(calls).to.have.length(1);
  });

  it('Graph: a short page at the stamp it started from, with a nextLink, is read whole once and reading goes on after it', async () => {
    // the same answer to every query: one incident at the start with a nextLink (ge again would ask the same forever)
    const { api, calls } = scripted((call) => {
      const filter = decodeURIComponent(call.path);
      if (filter.includes(' gt ')) return { value: [] };
      return { value: [incident(7, at(0))], '@odata.nextLink': `${ROOT}/v1.0/security/incidents?$skip=1`, ...(filter.includes('$count=true') ? { '@odata.count': 1 } : {}) };
    }, 'graph', 50);
    expect(await readAll(api)).to.deep.equal(['7@2024-05-01T00:00:00.0000000Z', '7@2024-05-01T00:00:00.0000000Z']);
    expect(calls.map((c) => decodeURIComponent(c.path).match(/lastUpdateDateTime (ge|eq|gt)/)?.[1])).to.deep.equal(['ge', 'eq', 'gt']);
  });

  it('Graph: incidents before the bound asked for are API_ERROR (the filter was not applied)', async () => {
    const { api, calls } = scripted((call) =>
      decodeURIComponent(call.path).includes(' gt ')
        ? { value: [incident(7, at(0)), incident(8, at(5))], '@odata.nextLink': `${ROOT}/x` }
        : { value: [incident(7, at(0))], '@odata.nextLink': `${ROOT}/x`, '@odata.count': 1 }, 'graph', 50);
    const err = await failure(() => readAll(api));
    expect(err.code).to.equal('API_ERROR');
    expect(err.message).to.match(/^Microsoft Graph answered reading changed incidents \(lastUpdateDateTime gt 2024-05-01T00:00:00\.0000000Z\) with incident 7 at 2024-05-01T00:00:00\.0000000Z, outside what was asked/);
    expect(calls).to.have.length(3);
  });

  it('Graph: a bulk change answered with the same full page for ever stops at its second page', async () => {
    const full = Array.from({ length: 50 }, (_, k) => incident(100 + k, at(0)));
    const { api, calls } = scripted((call) => {
      const q = decodeURIComponent(call.path);
      if (q.includes(' gt ')) return { value: [] };
      return { value: full, '@odata.nextLink': `${ROOT}/more`, ...(q.includes('$count=true') ? { '@odata.count': 120 } : {}) };
    }, 'graph', 50);
    const err = await failure(() => readAll(api));
    // the burst's second page holds only incidents its first already held: not paging forward, the run stops
    expect(err.message).to.match(/changed at .* with a page of incidents it had already sent; it is not paging forward/);
    expect(calls).to.have.length(1 + 2);
  });

  it('both readers stop at the page limit of a run', async () => {
    expect(MAX_PAGES_PER_RUN).to.equal(1000);
    // Defender XDR: a 1 ms window that always holds a full page whose ids move on by 90: a burst that never ends
    let first = 0;
    const { api, calls } = scripted(() => {
      const value = Array.from({ length: 100 }, (_, k) => ({ incidentId: first + k, incidentName: 'x', createdTime: at(0), lastUpdateTime: at(0), alerts: [] }));
      first += 90;
      return { value };
    }, 'defender', 1200);
    const err = await failure(() => readAll(api));
    expect([err.code, err.message]).to.deep.equal(['API_ERROR', `The Defender XDR API answered reading changed incidents with more than ${MAX_PAGES_PER_RUN} pages, the most one run reads; the run stops rather than page on. Narrow the request, or check what answers in front of the service.`]);
    expect(calls).to.have.length(MAX_PAGES_PER_RUN);
  });
});
