// Advanced hunting end to end (issue 6): Execute Query, Execute Custom Query and Execute Entity Query as built
// processes against the emulator, on both API families. Expected rows are computed independently: from rows the
// test adds (em.addHuntingRows) or by the test's own plain KQL run in the emulator's engine (em.hunting.run).
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { startEmulator, type Emulator, type M365dEnv } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { entryOf, expectContract, runEntry, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';
import { envelopeValidator, validatorFor } from '../support/schemas';

const ACTIONS = ['execute-query', 'execute-custom-query', 'execute-entity-query'] as const;
type ActionId = (typeof ACTIONS)[number];
const ENTRY = Object.fromEntries(ACTIONS.map((id) => [id, entryOf(id, repoRoot)])) as Record<ActionId, string>;
const validateEnvelope = envelopeValidator();
const validateResult = Object.fromEntries(ACTIONS.map((id) => [id, validatorFor(`schemas/actions/${id}.result.schema.json`)])) as Record<ActionId, ReturnType<typeof validatorFor>>;
const CONTEXT = { case_id: 'hunt-case', alert_group_identifiers: [] as string[] };

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

interface Family {
  name: string;
  key: 'graph' | 'defender';
  env: (em: Emulator) => M365dEnv;
  huntingPath: string;
}
const FAMILIES: Family[] = [
  { name: 'Microsoft Graph', key: 'graph', env: (em) => em.env, huntingPath: '/v1.0/security/runHuntingQuery' },
  { name: 'the Defender XDR API', key: 'defender', env: (em) => em.legacyEnv, huntingPath: '/api/advancedhunting/run' },
];

/** A row as a string independent of key order, so result rows compare exactly. */
const canon = (row: Record<string, unknown>): string => JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k]]));
const canonSet = (rows: Array<Record<string, unknown>>): string[] => rows.map(canon).sort();

/** Entity identifiers that are hard to quote, and near misses of them (special characters removed or changed). The
 *  rows are added once for both families; each is a DeviceInfo DeviceName. */
const HARD = [
  'quo"te.host',
  'back\\slash.host',
  'both\\"|take 1 ; //x',
  '" | where 1==1 | take 100 //',
  'new\nline.host',
  'tab\there',
  "it's.host",
  'ünïcødé-主机-🦊',
  '\\\\server\\share',
];
const NEAR = ['quote.host', 'quo\\"te.host', 'backslash.host', 'back\\\\slash.host', 'both"|take 1 ; //x', 'newline.host', 'new\\nline.host', 'its.host', 'unicode-主机-🦊', '\\server\\share'];


async function run(id: ActionId, env: Record<string, string | undefined>, input: Record<string, unknown>): Promise<RunResult> {
  const r = await runEntry(ENTRY[id], { env, input: { ...CONTEXT, ...input } });
  expectContract(r);
  expect(validateEnvelope(r.result), JSON.stringify(validateEnvelope.errors)).to.equal(true);
  if (r.result['status'] === 'completed') expect(validateResult[id](r.result['json_result']), JSON.stringify(validateResult[id].errors)).to.equal(true);
  return r;
}

const expectCompleted = (r: RunResult): Record<string, any> => {
  expect(r.result['status'], r.stdout).to.equal('completed');
  return r.result['json_result'];
};
const expectFailure = (r: RunResult, code: string, message: RegExp, exit: number): void => {
  expect(r.result['status'], r.stdout).to.equal('failed');
  expect(r.code).to.equal(exit);
  expect(r.result['error'].code).to.equal(code);
  expect(r.result['error'].message).to.match(message);
};

/** POSTs a hunting query straight to the emulator (to use up a quota). */
function huntDirect(em: Emulator, family: Family, token: string): Promise<number> {
  const body = JSON.stringify({ Query: 'DeviceInfo | take 1' });
  return new Promise((resolve, reject) => {
    const req = https.request(`${em.origin}${family.huntingPath}`, {
      method: 'POST', ca: em.caPem,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Advanced hunting against the emulator', function () {
  this.timeout(60_000);
  const emulator = useEmulator({ seed: 4, incidents: 20, quotas: false }, 'hunting');
  const freshState = emulator.freshState;
  let em: Emulator;
  let t0: number;

  before(() => {
    em = emulator.em;
    t0 = em.now().getTime();
    em.addHuntingRows('DeviceInfo', [...HARD, ...NEAR].map((name, i) => ({ Timestamp: iso(t0 - (i + 1) * MIN), DeviceId: 'hard-values', DeviceName: name })));
  });
  const lastSeq = emulator.lastSeq;

  for (const fam of FAMILIES) {
    describe(`on ${fam.name}`, () => {
      const M = (label: string) => `${fam.key}-${label}`;
      // one state folder per family: the token is fetched once and reused, as an engine would
      let envBase: Record<string, string>;
      before(() => {
        envBase = { ...fam.env(em), M365D_STATE_DIR: freshState() };
      });
      const env = (extra: Record<string, string | undefined> = {}) => ({ ...envBase, ...extra });
      const hunts = (since: number) => em.requests(since).filter((r) => r.path === fam.huntingPath);
      const query = (input: Record<string, unknown>, extra?: Record<string, string | undefined>) => run('execute-query', env(extra), input);
      const custom = (input: Record<string, unknown>, extra?: Record<string, string | undefined>) => run('execute-custom-query', env(extra), input);
      const entityQuery = (input: Record<string, unknown>) => run('execute-entity-query', env(), input);
      const names = (json: Record<string, any>) => json['rows'].map((r: Record<string, unknown>) => r['DeviceName']);

      describe('Execute Query', () => {
        // six DeviceInfo rows of one device, at known ages; ReportId orders them differently from Timestamp
        const AGES: Array<[string, number, number]> = [
          ['age-30m', 30 * MIN, 5], ['age-3h', 3 * HOUR, 2], ['age-12h', 12 * HOUR, 6],
          ['age-3d', 3 * DAY, 1], ['age-20d', 20 * DAY, 4], ['age-40d', 40 * DAY, 3],
        ];
        const where = `DeviceId == "${M('tf')}"`;
        before(() => {
          em.addHuntingRows('DeviceInfo', AGES.map(([name, age, reportId]) => ({ Timestamp: iso(Date.now() - age), DeviceId: M('tf'), DeviceName: name, ReportId: reportId })));
          em.addHuntingRows('DeviceProcessEvents', [1, 2, 3].map((i) => ({ Timestamp: iso(Date.now() - i * HOUR), DeviceId: M('union'), DeviceName: `p${i}`, ActionType: 'ProcessCreated' })));
          em.addHuntingRows('DeviceNetworkEvents', [1, 2].map((i) => ({ Timestamp: iso(Date.now() - i * HOUR - MIN), DeviceId: M('union'), DeviceName: `n${i}`, ActionType: 'ConnectionSuccess' })));
        });

        it('one table: the time filter, the default sort (Timestamp desc), the default limit of 50, limit_reached', async () => {
          const seq = lastSeq();
          const r = await query({ table_names: 'DeviceInfo', time_frame: 'Last Month' });
          const json = expectCompleted(r);
          expect(r.result['result_value']).to.equal(true);
          expect(json['query']).to.match(/^DeviceInfo\n\| where Timestamp between \(datetime\(\S+\) \.\. datetime\(\S+\)\)\n\| sort by Timestamp desc\n\| take 50$/);
          expect(json).to.deep.include({ row_count: 50, limit_reached: true, tables: ['DeviceInfo'] });
          expect(json['rows']).to.have.length(50);
          expect(json['schema']).to.deep.equal(em.hunting.schema()['DeviceInfo']);
          const stamps = json['rows'].map((x: { Timestamp: string }) => x.Timestamp);
          expect(stamps).to.deep.equal([...stamps].sort().reverse());
          expect(r.result['output_message']).to.equal('The query returned 50 rows (the limit of 50; more may match).');
          expect(r.result['tables'][0].rows).to.have.length(50);
          const h = hunts(seq);
          expect(h.map((x) => `${x.method} ${x.status}`)).to.deep.equal(['POST 200']);
        });

        it('a larger max_results_to_return', async () => {
          const json = expectCompleted(await query({ table_names: 'DeviceInfo', time_frame: 'Last Month', max_results_to_return: '120' }));
          expect(json).to.deep.include({ row_count: 120, limit_reached: true });
          expect(json['query']).to.match(/\n\| take 120$/);
        });

        it('a union of two tables, each row from its own table', async () => {
          const r = await query({ table_names: 'DeviceProcessEvents, DeviceNetworkEvents', query: `| where DeviceId == "${M('union')}"`, time_frame: 'Last 24 Hours' });
          const json = expectCompleted(r);
          expect(json['query'].split('\n')[0]).to.equal('union DeviceProcessEvents, DeviceNetworkEvents');
          expect(json['tables']).to.deep.equal(['DeviceProcessEvents', 'DeviceNetworkEvents']);
          expect(json).to.deep.include({ row_count: 5, limit_reached: false });
          expect(json['rows'].map((x: Record<string, unknown>) => `${x['DeviceName']}:${x['ActionType']}`)).to.deep.equal(
            ['p1:ProcessCreated', 'n1:ConnectionSuccess', 'p2:ProcessCreated', 'n2:ConnectionSuccess', 'p3:ProcessCreated'],
          );
          const cols = json['schema'].map((c: { name: string }) => c.name);
          expect(cols).to.include.members(['FileName', 'RemoteIP']);
        });

        for (const [form, text] of [
          ['with its leading |', `| where ${where}`],
          ['without the |', `where ${where}`],
          ['as a bare predicate', where],
        ] as const) {
          it(`the where clause ${form}`, async () => {
            const json = expectCompleted(await query({ table_names: 'DeviceInfo', query: text, time_frame: 'Last Month' }));
            expect(names(json)).to.deep.equal(['age-30m', 'age-3h', 'age-12h', 'age-3d', 'age-20d']);
            expect(json['limit_reached']).to.equal(false);
          });
        }

        it('a where clause ending in a // comment still gets the limit (row count = limit when more match)', async () => {
          const r = await query({ table_names: 'DeviceInfo', query: `| where ${where} // only the test device`, time_frame: 'Last Month', max_results_to_return: 2 });
          const json = expectCompleted(r);
          expect(json).to.deep.include({ row_count: 2, limit_reached: true });
          expect(names(json)).to.deep.equal(['age-30m', 'age-3h']);
          expect(json['query']).to.include('// only the test device\n');
        });

        const FRAMES: Array<[string, string[]]> = [
          ['Last Hour', ['age-30m']],
          ['Last 6 Hours', ['age-30m', 'age-3h']],
          ['Last 24 Hours', ['age-30m', 'age-3h', 'age-12h']],
          ['Last Week', ['age-30m', 'age-3h', 'age-12h', 'age-3d']],
          ['Last Month', ['age-30m', 'age-3h', 'age-12h', 'age-3d', 'age-20d']],
        ];
        for (const [frame, expected] of FRAMES) {
          it(`time frame ${frame}`, async () => {
            const json = expectCompleted(await query({ table_names: 'DeviceInfo', query: where, time_frame: frame }));
            expect(names(json)).to.deep.equal(expected);
            if (fam.key === 'graph') {
              const [from, to] = (json['timespan'] as string).split('/').map((s) => Date.parse(s));
              const span = { 'Last Hour': HOUR, 'Last 6 Hours': 6 * HOUR, 'Last 24 Hours': DAY, 'Last Week': 7 * DAY, 'Last Month': 30 * DAY }[frame]!;
              expect(to! - from!).to.equal(span);
            } else expect(json['timespan']).to.equal(null);
          });
        }

        it('time frame Custom with start and end (ISO 8601)', async () => {
          const start = iso(t0 - 4 * DAY);
          const end = iso(t0 - HOUR);
          const json = expectCompleted(await query({ table_names: 'DeviceInfo', query: where, time_frame: 'Custom', start_time: start, end_time: end }));
          expect(names(json)).to.deep.equal(['age-3h', 'age-12h', 'age-3d']);
          expect(json['timespan']).to.equal(fam.key === 'graph' ? `${start}/${end}` : null);
        });

        it('time frame Custom with a start only (a relative span): up to now', async () => {
          const json = expectCompleted(await query({ table_names: 'DeviceInfo', query: where, time_frame: 'Custom', start_time: '2d' }));
          expect(names(json)).to.deep.equal(['age-30m', 'age-3h', 'age-12h']);
        });

        it(fam.key === 'graph'
          ? 'time frame Custom older than 30 days: the Timespan covers it, so its rows come back'
          : 'time frame Custom older than 30 days: outside the API\'s fixed 30-day window, nothing comes back', async () => {
          const start = iso(t0 - 45 * DAY);
          const end = iso(t0 - 35 * DAY);
          const r = await query({ table_names: 'DeviceInfo', query: where, time_frame: 'Custom', start_time: start, end_time: end });
          const json = expectCompleted(r);
          expect(json['query']).to.include(`| where Timestamp between (datetime(${start}) .. datetime(${end}))`);
          if (fam.key === 'graph') {
            expect(json['timespan']).to.equal(`${start}/${end}`);
            expect(names(json)).to.deep.equal(['age-40d']);
            expect(r.result['result_value']).to.equal(true);
          } else {
            expect(json['timespan']).to.equal(null);
            expect(json['rows']).to.deep.equal([]);
            expect(r.result['result_value']).to.equal(false);
          }
        });

        it('time frame Custom without start_time: INVALID_INPUT, exit 2, nothing sent', async () => {
          const seq = lastSeq();
          const r = await query({ table_names: 'DeviceInfo', query: where, time_frame: 'Custom', end_time: iso(t0) });
          expectFailure(r, 'INVALID_INPUT', /'start_time' is required when 'time_frame' is Custom/, 2);
          expect(em.requests(seq)).to.deep.equal([]);
        });

        it('start_time or end_time with a fixed time frame: INVALID_INPUT naming both, exit 2, nothing sent', async () => {
          const seq = lastSeq();
          const r = await query({ table_names: 'DeviceInfo', query: where, time_frame: 'Last Hour', start_time: '2d' });
          expectFailure(r, 'INVALID_INPUT', /^Parameter 'start_time' applies only to time frame Custom, but 'time_frame' is Last Hour; set 'time_frame' to Custom/, 2);
          const both = await entityQuery({ table_names: 'DeviceInfo', time_frame: 'Last Week', start_time: '2d', end_time: '1d', target_entities: [{ Identifier: 'pc01', EntityType: 'HOSTNAME' }] });
          expectFailure(both, 'INVALID_INPUT', /^Parameters 'start_time' and 'end_time' apply only to time frame Custom, but 'time_frame' is Last Week/, 2);
          expect(em.requests(seq)).to.deep.equal([]);
        });

        it('no time frame with start_time: the range asked for (Custom); no time frame and no times: Last Hour', async () => {
          const json = expectCompleted(await query({ table_names: 'DeviceInfo', query: where, start_time: '2d', time_frame: '' }));
          expect(names(json)).to.deep.equal(['age-30m', 'age-3h', 'age-12h']);
          const hour = expectCompleted(await query({ table_names: 'DeviceInfo', query: where }));
          expect(names(hour)).to.deep.equal(['age-30m']);
        });

        it('sort_order ASC on Timestamp shows in the rows', async () => {
          const json = expectCompleted(await query({ table_names: 'DeviceInfo', query: where, time_frame: 'Last Month', sort_order: 'ASC' }));
          expect(names(json)).to.deep.equal(['age-20d', 'age-3d', 'age-12h', 'age-3h', 'age-30m']);
        });

        it('fields_to_return: exactly those columns, in that order', async () => {
          const json = expectCompleted(await query({ table_names: 'DeviceInfo', query: where, time_frame: 'Last Month', fields_to_return: 'DeviceName, Timestamp' }));
          expect(json['schema']).to.deep.equal([{ name: 'DeviceName', type: 'String' }, { name: 'Timestamp', type: 'DateTime' }]);
          for (const row of json['rows']) expect(Object.keys(row)).to.deep.equal(['DeviceName', 'Timestamp']);
          expect(json['row_count']).to.equal(5);
        });

        it('a sort_field outside the returned fields, ASC and DESC', async () => {
          const base = { table_names: 'DeviceInfo', query: where, time_frame: 'Last Month', fields_to_return: 'DeviceName', sort_field: 'ReportId' };
          const asc = expectCompleted(await query({ ...base, sort_order: 'ASC' }));
          expect(asc['schema']).to.deep.equal([{ name: 'DeviceName', type: 'String' }]);
          expect(names(asc)).to.deep.equal(['age-3d', 'age-3h', 'age-20d', 'age-30m', 'age-12h']);
          const desc = expectCompleted(await query({ ...base, sort_order: 'DESC' }));
          expect(names(desc)).to.deep.equal(['age-12h', 'age-30m', 'age-20d', 'age-3h', 'age-3d']);
        });

        it('nothing found: completed, result_value false', async () => {
          const r = await query({ table_names: 'DeviceInfo', query: `DeviceId == "${M('no-such-device')}"`, time_frame: 'Last Month' });
          const json = expectCompleted(r);
          expect(r.result['result_value']).to.equal(false);
          expect(json).to.deep.include({ row_count: 0, limit_reached: false, rows: [] });
          expect(r.result['output_message']).to.equal('The query ran and found nothing.');
        });

        it('a KQL syntax error: failed API_ERROR (exit 1) with Microsoft\'s message', async () => {
          const seq = lastSeq();
          const r = await query({ table_names: 'DeviceInfo', query: '| where DeviceId == ', time_frame: 'Last Hour' });
          expectFailure(r, 'API_ERROR', /refused running the hunting query \(HTTP 400\) \(\w+: A recognition error occurred in the query\. Query could not be parsed at .*Missing expression/, 1);
          expect(hunts(seq).map((x) => x.status)).to.deep.equal([400]);
        });

        it('an unknown column or table (valid names): sent, and Microsoft\'s "Failed to resolve" passed on as API_ERROR', async () => {
          const col = await query({ table_names: 'DeviceInfo', query: 'NoSuchColumn == 1', time_frame: 'Last Hour' });
          expectFailure(col, 'API_ERROR', /HTTP 400.*Failed to resolve scalar expression named 'NoSuchColumn'/, 1);
          const table = await query({ table_names: 'NoSuchTable', time_frame: 'Last Hour' });
          expectFailure(table, 'API_ERROR', /HTTP 400.*Failed to resolve table or column expression named 'NoSuchTable'/, 1);
        });

        for (const [param, value] of [
          ['table_names', 'Device Events'],
          ['table_names', 'T; drop'],
          ['table_names', 'DeviceInfo | take 1'],
          ['fields_to_return', 'DeviceName, Device Name'],
          ['sort_field', 'Timestamp desc'],
        ] as const) {
          it(`a bad identifier in ${param} (${JSON.stringify(value)}): INVALID_INPUT, exit 2, nothing sent`, async () => {
            const seq = lastSeq();
            const r = await query({ table_names: 'DeviceInfo', time_frame: 'Last Hour', [param]: value });
            expectFailure(r, 'INVALID_INPUT', new RegExp(`^Parameter '${param}' ".*" is not a valid name`), 2);
            expect(em.requests(seq)).to.deep.equal([]);
          });
        }

        it('a read-only app may hunt', async () => {
          const ro = em.app('readonly');
          const r = await query({ table_names: 'DeviceInfo', query: where, time_frame: 'Last Hour' }, { M365D_CLIENT_ID: ro.clientId, M365D_CLIENT_SECRET: ro.clientSecret, M365D_STATE_DIR: freshState() });
          expect(names(expectCompleted(r))).to.deep.equal(['age-30m']);
        });
      });

      describe('Execute Custom Query', () => {
        const device = M('custom');
        before(() => {
          em.addHuntingRows('DeviceInfo', [1, 2, 3, 4, 5].map((i) => ({ Timestamp: iso(Date.now() - i * HOUR), DeviceId: device, DeviceName: `c${i}`, ReportId: i })));
        });

        it('runs the query as given, plus the limit on a line of its own', async () => {
          const q = `DeviceInfo | where DeviceId == "${device}" | sort by ReportId asc | project DeviceName, ReportId`;
          const r = await custom({ query: q, max_results_to_return: 3 });
          const json = expectCompleted(r);
          expect(json['query']).to.equal(`${q}\n| take 3`);
          expect(json).to.deep.include({ row_count: 3, limit_reached: true, timespan: null, tables: [] });
          expect(json['rows']).to.deep.equal([{ DeviceName: 'c1', ReportId: 1 }, { DeviceName: 'c2', ReportId: 2 }, { DeviceName: 'c3', ReportId: 3 }]);
          expect(json['schema']).to.deep.equal([{ name: 'DeviceName', type: 'String' }, { name: 'ReportId', type: 'Int64' }]);
        });

        it('the default limit is 50, and fewer matches are all returned', async () => {
          const json = expectCompleted(await custom({ query: `DeviceInfo | where DeviceId == "${device}"` }));
          expect(json['query']).to.match(/\n\| take 50$/);
          expect(json).to.deep.include({ row_count: 5, limit_reached: false });
        });

        it('a trailing // comment does not swallow the limit (nor does a trailing ;)', async () => {
          const json = expectCompleted(await custom({ query: `DeviceInfo | where DeviceId == "${device}" | sort by ReportId desc // newest report first`, max_results_to_return: '2' }));
          expect(json).to.deep.include({ row_count: 2, limit_reached: true });
          expect(names(json)).to.deep.equal(['c5', 'c4']);
          const semi = expectCompleted(await custom({ query: `DeviceInfo | where DeviceId == "${device}";  `, max_results_to_return: 1 }));
          expect(semi['row_count']).to.equal(1);
        });

        it('a blank query: INVALID_INPUT, exit 2, nothing sent', async () => {
          const seq = lastSeq();
          expectFailure(await custom({ query: '   \n ' }), 'INVALID_INPUT', /query/, 2);
          expect(em.requests(seq)).to.deep.equal([]);
        });

        it('a 429 whose Retry-After passes the deadline: THROTTLED saying when to try again', async () => {
          em.addFault({ kind: 'status', status: 429, retryAfter: 900, count: 1, match: { path: fam.huntingPath } });
          const r = await custom({ query: 'DeviceInfo' });
          expectFailure(r, 'THROTTLED', /throttled running the hunting query \(429\).*accepts calls again in 900 s/, 1);
        });

        it('an app without the hunting permission: PERMISSION naming it', async () => {
          const app = em.app('nohunting');
          const r = await custom({ query: 'DeviceInfo' }, { M365D_CLIENT_ID: app.clientId, M365D_CLIENT_SECRET: app.clientSecret, M365D_STATE_DIR: freshState() });
          expectFailure(r, 'PERMISSION', fam.key === 'graph' ? /ThreatHunting\.Read\.All/ : /AdvancedHunting\.Read\.All/, 1);
        });
      });

      describe('Execute Entity Query', () => {
        // a fixed range, so that the test's own KQL and the action see the same window
        let start: string;
        let end: string;
        let range: string;
        let seed: ReturnType<Emulator['tenant']['seedEntities']>;
        before(() => {
          start = iso(t0 - 29 * DAY);
          end = iso(t0);
          range = `| where Timestamp between (datetime(${start}) .. datetime(${end}))`;
          seed = em.tenant.seedEntities();
        });
        const base = () => ({ time_frame: 'Custom', start_time: start, end_time: end, max_results_to_return: 10_000 });
        const ent = (EntityType: string, Identifier: string) => ({ Identifier, EntityType });
        /** the rows the test's own KQL finds, in the same window */
        const expected = (kql: string) => em.hunting.run(kql, { now: em.now() }).rows;
        const total = (table: string) => expected(`${table} ${range} | count`)[0]!['Count'] as number;

        async function expectExactly(input: Record<string, unknown>, kql: string): Promise<RunResult> {
          const want = expected(kql);
          const r = await entityQuery({ ...base(), ...input });
          const json = expectCompleted(r);
          expect(want.length, 'the expectation is not empty').to.be.greaterThan(0);
          expect(json['row_count']).to.equal(want.length);
          expect(canonSet(json['rows'])).to.deep.equal(canonSet(want));
          expect(r.result['result_value']).to.equal(true);
          return r;
        }

        it('an IP address: exact match on RemoteIP (DeviceNetworkEvents)', async () => {
          const ip = seed.ips[0]!;
          const r = await expectExactly({ table_names: 'DeviceNetworkEvents', target_entities: [ent('ADDRESS', ip)] }, `DeviceNetworkEvents ${range} | where RemoteIP == "${ip}"`);
          expect(r.result['json_result'].query).to.include(`RemoteIP in ("${ip}")`);
          expect(r.result['json_result'].row_count).to.be.lessThan(total('DeviceNetworkEvents'));
          expect(r.result['entities']).to.deep.equal([{ Identifier: ip, EntityType: 'ADDRESS', status: 'success', message: 'in the query on DeviceNetworkEvents' }]);
        });

        it('a host name in another case still matches, rows of every casing', async () => {
          const host = seed.devices[0]!.deviceName;
          const upper = host === host.toUpperCase() ? host.toLowerCase() : host.toUpperCase();
          const r = await expectExactly({ table_names: 'DeviceProcessEvents', target_entities: [ent('HOST', upper)] }, `DeviceProcessEvents ${range} | where tolower(DeviceName) == "${host.toLowerCase()}"`);
          const casings = new Set(r.result['json_result'].rows.map((x: { DeviceName: string }) => x.DeviceName));
          expect(casings.size, 'the seed holds the name in two casings').to.be.greaterThan(1);
        });

        it('a user as UPN (AccountUpn) and as a plain name (AccountName)', async () => {
          const u = seed.users[0]!;
          await expectExactly({ table_names: 'DeviceProcessEvents', target_entities: [ent('USERUNIQNAME', u.upn.toUpperCase())] }, `DeviceProcessEvents ${range} | where AccountUpn =~ "${u.upn}"`);
          const r = await expectExactly({ table_names: 'DeviceLogonEvents', target_entities: [ent('USER', u.accountName.toLowerCase())] }, `DeviceLogonEvents ${range} | where AccountName =~ "${u.accountName}"`);
          expect(r.result['json_result'].query).to.include('AccountName in~');
        });

        it('file hashes: MD5, SHA1 and SHA256 chosen by length', async () => {
          const [a, b, c] = seed.files as [typeof seed.files[0], typeof seed.files[0], typeof seed.files[0]];
          const r = await expectExactly(
            { table_names: 'DeviceFileEvents', target_entities: [ent('FILEHASH', a.md5.toUpperCase()), ent('HASH', b.sha1), ent('FILEHASH', c.sha256)] },
            `DeviceFileEvents ${range} | where MD5 =~ "${a.md5}" or SHA1 =~ "${b.sha1}" or SHA256 =~ "${c.sha256}"`,
          );
          const q = r.result['json_result'].query as string;
          expect(q).to.include(`MD5 in~ ("${a.md5.toUpperCase()}")`).and.include(`SHA1 in~ ("${b.sha1}")`).and.include(`SHA256 in~ ("${c.sha256}")`);
          const files = new Set(r.result['json_result'].rows.map((x: { FileName: string }) => x.FileName));
          expect([...files].sort()).to.deep.equal([a.fileName, b.fileName, c.fileName].sort());
        });

        it('a hash of no known length: INVALID_INPUT naming the entity, nothing sent', async () => {
          const seq = lastSeq();
          const r = await entityQuery({ ...base(), table_names: 'DeviceFileEvents', target_entities: [ent('FILEHASH', 'abc123')] });
          expectFailure(r, 'INVALID_INPUT', /FILEHASH entity "abc123" is not an MD5, SHA1 or SHA256 hash/, 2);
          expect(em.requests(seq)).to.deep.equal([]);
        });

        it('a URL (UrlClickEvents.Url) and an e-mail address (EmailEvents sender or recipient)', async () => {
          const url = seed.urls[0]!;
          await expectExactly({ table_names: 'UrlClickEvents', target_entities: [ent('DestinationURL', url.toLowerCase())] }, `UrlClickEvents ${range} | where Url =~ "${url}"`);
          const mail = seed.mailboxes[1]!;
          const r = await expectExactly({ table_names: 'EmailEvents', target_entities: [ent('EMAILADDRESS', mail.toUpperCase())] }, `EmailEvents ${range} | where SenderFromAddress =~ "${mail}" or RecipientEmailAddress =~ "${mail}"`);
          expect(r.result['json_result'].query).to.include('SenderFromAddress in~').and.include('RecipientEmailAddress in~');
        });

        it('AND and OR across types', async () => {
          // a host and a user that occur together in at least one row
          const pair = expected(`DeviceProcessEvents ${range} | take 1`)[0]!;
          const host = String(pair['DeviceName']);
          const upn = String(pair['AccountUpn']);
          const targets = [ent('HOSTNAME', host), ent('USERUNIQNAME', upn)];
          const both = await expectExactly({ table_names: 'DeviceProcessEvents', target_entities: targets, cross_entity_operator: 'AND' },
            `DeviceProcessEvents ${range} | where DeviceName =~ "${host}" and AccountUpn =~ "${upn}"`);
          const either = await expectExactly({ table_names: 'DeviceProcessEvents', target_entities: targets, cross_entity_operator: 'OR' },
            `DeviceProcessEvents ${range} | where DeviceName =~ "${host}" or AccountUpn =~ "${upn}"`);
          expect(both.result['json_result'].row_count).to.be.lessThan(either.result['json_result'].row_count);
        });

        it('several tables, each filtered on its own columns; entities says which went in', async () => {
          const ip = seed.ips[1]!;
          const user = seed.users[1]!.accountName;
          const hash = seed.files[0]!.sha256;
          const r = await expectExactly(
            { table_names: 'DeviceNetworkEvents, DeviceLogonEvents, EmailEvents', target_entities: [ent('IP', ip), ent('USER', user), ent('FILEHASH', hash)] },
            `union (DeviceNetworkEvents | where RemoteIP == "${ip}" or InitiatingProcessAccountName =~ "${user}"), ` +
              `(DeviceLogonEvents | where RemoteIP == "${ip}" or AccountName =~ "${user}"), ` +
              `(EmailEvents | where SenderIPv4 == "${ip}" or SenderIPv6 == "${ip}") ${range}`,
          );
          const json = r.result['json_result'];
          expect(json['tables']).to.deep.equal(['DeviceNetworkEvents', 'DeviceLogonEvents', 'EmailEvents']);
          // rows from each table
          expect(json['rows'].some((x: Record<string, unknown>) => x['SenderIPv4'] === ip)).to.equal(true);
          expect(json['rows'].some((x: Record<string, unknown>) => typeof x['LogonType'] === 'string' && x['LogonType'] !== '')).to.equal(true);
          expect(r.result['entities']).to.deep.equal([
            { Identifier: ip, EntityType: 'ADDRESS', status: 'success', message: 'in the query on DeviceNetworkEvents, DeviceLogonEvents, EmailEvents' },
            { Identifier: user, EntityType: 'USERUNIQNAME', status: 'success', message: 'in the query on DeviceNetworkEvents, DeviceLogonEvents, EmailEvents' },
            { Identifier: hash, EntityType: 'FILEHASH', status: 'success', message: 'in the query on DeviceNetworkEvents, DeviceLogonEvents, EmailEvents' },
          ]);
          expect(json['query']).to.include(`(DeviceNetworkEvents | where (RemoteIP in ("${ip}") or InitiatingProcessAccountName in~ ("${user}") or InitiatingProcessSHA256 in~ ("${hash}")))`);
          expect(json['query']).to.include(`(EmailEvents | where ((SenderIPv4 in ("${ip}") or SenderIPv6 in ("${ip}"))))`);
          expect(r.result['output_message']).to.match(/ 3 of 3 entities in scope went into it\.$/);
          // an entity a table has no column for is left out, and the result says so
          const mail = await expectExactly({ table_names: 'EmailEvents', target_entities: [ent('IP', ip), ent('FILEHASH', hash)] }, `EmailEvents ${range} | where SenderIPv4 == "${ip}" or SenderIPv6 == "${ip}"`);
          expect(mail.result['entities']).to.deep.equal([
            { Identifier: ip, EntityType: 'ADDRESS', status: 'success', message: 'in the query on EmailEvents' },
            { Identifier: hash, EntityType: 'FILEHASH', status: 'skipped', message: 'no column for FILEHASH in EmailEvents' },
          ]);
          expect(mail.result['output_message']).to.match(/ 1 of 2 entities in scope went into it\.$/);
        });

        it('no entity in scope: completed, result_value false, nothing sent', async () => {
          const seq = lastSeq();
          const r = await entityQuery({ ...base(), table_names: 'DeviceInfo', target_entities: [] });
          expectCompleted(r);
          expect(r.result['result_value']).to.equal(false);
          expect(r.result['output_message']).to.match(/No entity in scope/);
          const scoped = await entityQuery({ ...base(), table_names: 'DeviceInfo', target_entities: [ent('HOSTNAME', seed.devices[0]!.deviceName)], scope: 'Suspicious entities' });
          expect(scoped.result['result_value']).to.equal(false);
          expect(em.requests(seq)).to.deep.equal([]);
        });

        it('stop_if_not_enough_entities with a key for a type that has no entity: completed, false, naming the type, nothing sent', async () => {
          const seq = lastSeq();
          const r = await entityQuery({
            ...base(), table_names: 'DeviceNetworkEvents', target_entities: [ent('ADDRESS', seed.ips[0]!)],
            hostname_entity_key: 'DeviceName', stop_if_not_enough_entities: 'true',
          });
          expectCompleted(r);
          expect(r.result['result_value']).to.equal(false);
          expect(r.result['output_message']).to.match(/Not enough entities: none of type HOSTNAME is in scope/);
          expect(r.result['entities']).to.deep.equal([{ Identifier: seed.ips[0], EntityType: 'ADDRESS', status: 'skipped', message: 'the run stopped: not enough entities' }]);
          expect(em.requests(seq)).to.deep.equal([]);
          // the same without the stop: the query runs on the IP alone
          const ran = await entityQuery({ ...base(), table_names: 'DeviceNetworkEvents', target_entities: [ent('ADDRESS', seed.ips[0]!)], hostname_entity_key: 'DeviceName' });
          expect(ran.result['result_value']).to.equal(true);
        });

        describe('identifiers that are hard to quote reach the query as one literal each', () => {
          it('all at once: exactly their rows', async () => {
            const r = await entityQuery({ ...base(), table_names: 'DeviceInfo', target_entities: HARD.map((h) => ent('HOSTNAME', h)) });
            const json = expectCompleted(r);
            expect([...names(json)].sort()).to.deep.equal([...HARD].sort());
            expect(r.result['entities'].map((e: { status: string }) => e.status)).to.deep.equal(HARD.map(() => 'success'));
          });

          for (const value of HARD) {
            it(`${JSON.stringify(value)} alone finds its own row and nothing else`, async () => {
              const r = await entityQuery({ ...base(), table_names: 'DeviceInfo', target_entities: [ent('HOSTNAME', value)] });
              const json = expectCompleted(r);
              expect(names(json)).to.deep.equal([value]);
              expect(json['query'].split('\n')[0]).to.equal(`DeviceInfo | where (DeviceName in~ (${JSON.stringify(value)}))`);
            });
          }
        });
      });
    });
  }

  describe('quotas: the 46th hunting call in a minute', () => {
    // a separate emulator with quotas on, a minute lasting 1 s (timeScale 60), on a quota clock of the test's own: it
    // stands still, so the burst and the action's first call fall in one window however slow the machine, and moves
    // on by a (scaled) minute once a call has been throttled, so the action's retry after Retry-After is let through
    let qem: Emulator;
    let quotaNow = 0;
    before(async () => {
      qem = await startEmulator({
        port: 0, seed: 5, incidents: 5, quotas: true, timeScale: 60, quotaClock: () => quotaNow,
        onRequest: (entry) => { if (entry.throttled) quotaNow += 1_000; },
      });
    });
    after(async () => {
      await qem.stop();
    });

    for (const fam of FAMILIES) {
      it(`on ${fam.name}: answered 429 with Retry-After, waited for and retried, then completed`, async () => {
        const token = qem.issueToken('full');
        const statuses = await Promise.all(Array.from({ length: 45 }, () => huntDirect(qem, fam, token)));
        expect(statuses.every((s) => s === 200), statuses.join(',')).to.equal(true);
        const seq = qem.requests().at(-1)?.seq ?? 0;
        const r = await run('execute-custom-query', { ...fam.env(qem), M365D_STATE_DIR: freshState() }, { query: 'DeviceInfo | project DeviceId', max_results_to_return: 3 });
        expect(expectCompleted(r)['row_count']).to.equal(3);
        const h = qem.requests(seq).filter((x) => x.path === fam.huntingPath);
        expect(h.map((x) => `${x.status}${x.throttled ? ` ${x.throttled}` : ''}`)).to.deep.equal([`429 ${fam.key}.hunting`, '200']);
        const retries = r.logs.filter((l) => /^running the hunting query: retrying in \d+ ms$/.test(l['msg']));
        expect(retries).to.have.length(1);
        expect(retries[0]!['status']).to.equal(429);
        expect(retries[0]!['retry_after_ms']).to.equal(1000);
      });
    }
  });
});
