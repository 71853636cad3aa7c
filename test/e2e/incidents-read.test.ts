// Search Incidents and Get Incident end to end: the built action processes against the emulator, on both API families
// (Graph v1.0 and the Defender XDR API), with the same expectations on each. What a search should return is computed
// here from the emulator's own incident list (read directly from its Graph face with a token of its own), never from
// the action's code: every filter alone and combined, paging, newest first, bad input, nothing found, throttling, the
// read-only app; Get Incident's alerts and evidence, a merged incident, a missing one and ids that are not numbers.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import type { Emulator } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { entryOf, expectContract, runEntry, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';
import { envelopeValidator, validatorFor } from '../support/schemas';

const SEARCH = entryOf('search-incidents', repoRoot);
const GET = entryOf('get-incident', repoRoot);
const CONTEXT = { case_id: 'incidents-read-case', alert_group_identifiers: [] };
const validateEnvelope = envelopeValidator();
const validateSearch = validatorFor('schemas/actions/search-incidents.result.schema.json');
const validateGet = validatorFor('schemas/actions/get-incident.result.schema.json');

/** How many incidents the emulator is seeded with: several pages on both families, the last Defender XDR page partial. */
const SEEDED = 310;
const DAY = 86_400_000;

/** Assignees with characters that need quoting (') or percent-encoding (%, &, #, +, space, non-ASCII) on the way. */
const ODD_ASSIGNEES = ["o'brien@contoso.com", '50%off@contoso.com', 'r&d@contoso.com', 'team#1@contoso.com', 'first+last@contoso.com', "o''reilly it's@contoso.com"];

/** An incident as the emulator's Graph face lists it (the reference the expectations are computed from). */
interface RefIncident {
  id: string;
  status: string;
  severity: string;
  classification: string;
  determination: string;
  assignedTo: string | null;
  createdDateTime: string;
  lastUpdateDateTime: string;
  redirectIncidentId: string | null;
  alerts?: Array<{ id: string; evidence: Array<{ '@odata.type': string }> }>;
}

/** A Graph timestamp with 7 fractional digits as (milliseconds, remaining 100 ns units). */
const stampOf = (s: string): { ms: number; sub: number } => {
  const m = /^(.*T\d{2}:\d{2}:\d{2}\.\d{3})(\d*)Z$/.exec(s);
  if (!m) throw new Error(`unexpected timestamp ${s}`);
  return { ms: Date.parse(`${m[1]}Z`), sub: Number((m[2] ?? '').padEnd(4, '0') || '0') };
};
/** at or after the instant `ms` (exact, 100 ns precision) */
const atOrAfter = (s: string, ms: number): boolean => stampOf(s).ms >= ms;
/** at or before the instant `ms` (exact, 100 ns precision) */
const atOrBefore = (s: string, ms: number): boolean => {
  const t = stampOf(s);
  return t.ms < ms || (t.ms === ms && t.sub === 0);
};
const newestFirst = (a: RefIncident, b: RefIncident): number =>
  a.createdDateTime < b.createdDateTime ? 1 : a.createdDateTime > b.createdDateTime ? -1 : Number(b.id) - Number(a.id);

describe('Search Incidents and Get Incident against the emulator', function () {
  this.timeout(60_000);
  const emulator = useEmulator({ seed: 11, incidents: SEEDED, quotas: false }, 'incidents-read');
  let em: Emulator;
  /** every incident, newest first, with its alerts ($expand=alerts), as the emulator's Graph face lists them */
  let all: RefIncident[] = [];
  /** the incident merged into another one, and that other one */
  let merged: { id: string; into: string };

  /** GET on the emulator's Graph face with a token of its own (independent of the package's code). */
  function graphGet(pathAndQuery: string): Promise<any> {
    const token = em.issueToken('full');
    return new Promise((resolve, reject) => {
      const req = https.request(`${em.origin}${pathAndQuery}`, { method: 'GET', ca: em.caPem, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${res.statusCode} ${body}`))));
      });
      req.on('error', reject);
      req.end();
    });
  }

  async function readAll(): Promise<RefIncident[]> {
    const out: RefIncident[] = [];
    let next: string | undefined = '/v1.0/security/incidents?$top=50&$expand=alerts';
    while (next) {
      const page: { value: RefIncident[]; '@odata.nextLink'?: string } = await graphGet(next);
      out.push(...page.value);
      next = page['@odata.nextLink']?.slice(em.origin.length);
    }
    return out;
  }

  before(async () => {
    em = emulator.em;
    const seeded = await readAll();
    // the odd assignees go to incidents spread over the list (one on each, two on the first)
    const live = seeded.filter((i) => i.status !== 'redirected');
    ODD_ASSIGNEES.forEach((who, k) => {
      expect(em.updateIncident(live[3 + k * 37]!.id, { assignedTo: who }), who).to.not.equal(undefined);
    });
    expect(em.updateIncident(live[200]!.id, { assignedTo: ODD_ASSIGNEES[0]! })).to.not.equal(undefined);
    // a merge: the 10th live incident into the 5th
    merged = { id: live[10]!.id, into: live[5]!.id };
    expect(em.updateIncident(merged.id, { redirectTo: merged.into })).to.include({ status: 'redirected' });
    all = await readAll();
    expect(all).to.have.length(SEEDED);
    // the reference's own order is newest first (the emulator's documented default); the action is checked against it
    expect(all.map((i) => i.id)).to.deep.equal([...all].sort(newestFirst).map((i) => i.id));
  });
  const lastSeq = emulator.lastSeq;
  const select = (pred: (i: RefIncident) => boolean): RefIncident[] => all.filter(pred);

  async function run(entry: string, env: Record<string, string | undefined>, input: Record<string, unknown>, validate: ReturnType<typeof validatorFor>): Promise<RunResult> {
    const r = await runEntry(entry, { env, input: { ...CONTEXT, ...input } });
    expectContract(r);
    expect(validateEnvelope(r.result), JSON.stringify(validateEnvelope.errors)).to.equal(true);
    if (r.result['status'] === 'completed') expect(validate(r.result['json_result']), JSON.stringify(validate.errors)).to.equal(true);
    return r;
  }

  const expectFailure = (r: RunResult, code: string, message: RegExp): void => {
    expect(r.result['status'], r.stdout).to.equal('failed');
    expect(r.result['error'].code, r.stdout).to.equal(code);
    expect(r.result['error'].message).to.match(message);
  };

  const families = [
    { name: 'Microsoft Graph', env: () => em.env, list: '/v1.0/security/incidents', page: 50 },
    { name: 'Defender XDR', env: () => em.legacyEnv, list: '/api/incidents', page: 100 },
  ];

  for (const family of families) {
    describe(`on ${family.name}`, () => {
      let stateDir: string;
      before(() => {
        stateDir = emulator.freshState();
      });
      const env = (extra: Record<string, string | undefined> = {}) => ({ ...family.env(), M365D_STATE_DIR: stateDir, ...extra });
      const search = (input: Record<string, unknown>, extra: Record<string, string | undefined> = {}) => run(SEARCH, env(extra), input, validateSearch);
      const get = (incidentId: string, extra: Record<string, string | undefined> = {}) => run(GET, env(extra), { incident_id: incidentId }, validateGet);
      /** the list requests (not single incidents) a run sent, in order */
      const listRequests = (since: number) => em.requests(since).filter((r) => r.method === 'GET' && r.path === family.list);

      /** The search completed with exactly `expected` (already newest first) up to max_results, with the reference's values. */
      function expectFound(r: RunResult, expected: RefIncident[], maxResults = 50): any[] {
        expect(r.result['status'], r.stdout).to.equal('completed');
        const json = r.result['json_result'];
        const got: any[] = json.incidents;
        const want = expected.slice(0, maxResults);
        expect(got.map((i) => i.id)).to.deep.equal(want.map((i) => i.id));
        expect(new Set(got.map((i) => i.id)).size).to.equal(got.length);
        for (const [k, i] of got.entries()) {
          const ref = want[k]!;
          expect(i, `incident ${i.id}`).to.deep.include({
            status: ref.status, severity: ref.severity, classification: ref.classification, determination: ref.determination,
            assignedTo: ref.assignedTo, createdDateTime: ref.createdDateTime, lastUpdateDateTime: ref.lastUpdateDateTime, redirectIncidentId: ref.redirectIncidentId,
          });
        }
        expect(json.count).to.equal(want.length);
        expect(json.more_available).to.equal(expected.length > maxResults);
        expect(r.result['result_value']).to.equal(want.length > 0);
        return got;
      }

      /** For relative times: the action's "now" lies between two instants, so the answer lies between two sets. */
      async function searchBetween(input: Record<string, unknown>, expectedAt: (now: number) => RefIncident[]): Promise<void> {
        const before = Date.now();
        const r = await search({ ...input, max_results: 1000 });
        const after = Date.now();
        expect(r.result['status'], r.stdout).to.equal('completed');
        const got: string[] = r.result['json_result'].incidents.map((i: { id: string }) => i.id);
        const a = expectedAt(before).map((i) => i.id);
        const b = expectedAt(after).map((i) => i.id);
        const loose = a.length >= b.length ? a : b;
        const strict = new Set(a.length >= b.length ? b : a);
        expect(got).to.deep.equal(loose.filter((id) => got.includes(id)));
        for (const id of strict) expect(got, `incident ${id}`).to.include(id);
        expect(got.length).to.be.greaterThan(0);
      }

      describe('Search Incidents', () => {
        it('with no filter: the 50 newest, in order, and more_available', async () => {
          const seq = lastSeq();
          const r = await search({});
          expectFound(r, all, 50);
          expect(r.result['output_message']).to.equal('Found 50 incidents, newest first; more match than max_results (50).');
          expect(r.result['tables'][0].rows).to.have.length(50);
          expect(r.result['tables'][0].rows[0][0]).to.equal(all[0]!.id);
          expect(listRequests(seq)).to.have.length(1);
          expect(r.result['json_result'].incidents[0]).to.not.have.property('alerts');
        });

        it('status: one value, several, friendly labels in any case', async () => {
          expectFound(await search({ status: 'Active', max_results: 500 }), select((i) => i.status === 'active'), 500);
          expectFound(await search({ status: 'in progress, RESOLVED', max_results: 500 }), select((i) => i.status === 'inProgress' || i.status === 'resolved'), 500);
          const redirected = select((i) => i.status === 'redirected');
          expect(redirected.map((i) => i.id)).to.include(merged.id);
          expectFound(await search({ status: 'redirected', max_results: 500 }), redirected, 500);
          expectFound(await search({ status: 'InProgress\nactive', max_results: 500 }), select((i) => i.status === 'inProgress' || i.status === 'active'), 500);
        });

        it('severity: one and several', async () => {
          expectFound(await search({ severity: 'HIGH', max_results: 500 }), select((i) => i.severity === 'high'), 500);
          expectFound(await search({ severity: 'Informational, low', max_results: 500 }), select((i) => i.severity === 'informational' || i.severity === 'low'), 500);
          expectFound(await search({ severity: 'unknown', max_results: 500 }), select((i) => i.severity === 'unknown'), 500);
        });

        it('classification and determination: Microsoft values and labels', async () => {
          expectFound(await search({ classification: 'True Positive', max_results: 500 }), select((i) => i.classification === 'truePositive'), 500);
          expectFound(
            await search({ classification: 'falsePositive, informational expected activity', max_results: 500 }),
            select((i) => i.classification === 'falsePositive' || i.classification === 'informationalExpectedActivity'),
            500,
          );
          // Microsoft's label, with its comma, as the error message lists it: one value of the comma-separated list
          const iea = select((i) => i.classification === 'informationalExpectedActivity');
          expect(iea.length).to.be.greaterThan(0);
          expectFound(await search({ classification: 'Informational, Expected Activity', max_results: 500 }), iea, 500);
          expectFound(
            await search({ classification: 'informational,expected activity, True Positive', max_results: 500 }),
            select((i) => i.classification === 'informationalExpectedActivity' || i.classification === 'truePositive'),
            500,
          );
          expectFound(await search({ determination: 'Multi-staged attack', max_results: 500 }), select((i) => i.determination === 'multiStagedAttack'), 500);
          expectFound(await search({ determination: 'malware, Not Malicious, other', max_results: 500 }), select((i) => ['malware', 'notMalicious', 'other'].includes(i.determination)), 500);
        });

        it('assigned_to: an ordinary address, one with spaces and non-ASCII, and one that is nobody\'s', async () => {
          const plain = 'secop2@contoso.com';
          expect(select((i) => i.assignedTo === plain).length).to.be.greaterThan(1);
          expectFound(await search({ assigned_to: plain, max_results: 500 }), select((i) => i.assignedTo === plain), 500);
          const fancy = 'Analyst Ünal <soc@contoso.com>';
          expect(select((i) => i.assignedTo === fancy).length).to.be.greaterThan(0);
          expectFound(await search({ assigned_to: `  ${fancy} ` }), select((i) => i.assignedTo === fancy));
        });

        for (const who of ODD_ASSIGNEES) {
          it(`assigned_to ${JSON.stringify(who)}: quoted and encoded so only its incidents come back`, async () => {
            const expected = select((i) => i.assignedTo === who);
            expect(expected.length).to.be.greaterThan(0);
            const seq = lastSeq();
            expectFound(await search({ assigned_to: who }), expected);
            const [list] = listRequests(seq);
            expect(decodeURIComponent(list!.query)).to.include(`assignedTo eq '${who.replace(/'/g, "''")}'`);
          });
        }

        it('created_from / created_to as ISO 8601 (Z, an offset, a date)', async () => {
          const from = Date.parse(all[120]!.createdDateTime.slice(0, 19) + 'Z');
          const to = Date.parse(all[40]!.createdDateTime.slice(0, 19) + 'Z');
          const expected = select((i) => atOrAfter(i.createdDateTime, from) && atOrBefore(i.createdDateTime, to));
          expect(expected.length).to.be.within(70, 90);
          expectFound(await search({ created_from: new Date(from).toISOString().replace('.000Z', 'Z'), created_to: new Date(to).toISOString(), max_results: 500 }), expected, 500);
          // the same instants written with a +02:00 offset
          const plus2 = (ms: number) => new Date(ms + 2 * 3_600_000).toISOString().slice(0, 19) + '+02:00';
          expectFound(await search({ created_from: plus2(from), created_to: plus2(to), max_results: 500 }), expected, 500);
          // a bare date is midnight UTC
          const day = new Date(from).toISOString().slice(0, 10);
          expectFound(await search({ created_from: day, max_results: 500 }), select((i) => atOrAfter(i.createdDateTime, Date.parse(`${day}T00:00:00Z`))), 500);
          expectFound(await search({ created_to: day, max_results: 500 }), select((i) => atOrBefore(i.createdDateTime, Date.parse(`${day}T00:00:00Z`))), 500);
        });

        it('created_from is inclusive: an incident\'s own creation time (7 fractional digits) finds it', async () => {
          const ref = all[30]!;
          expectFound(await search({ created_from: ref.createdDateTime }), select((i) => i.createdDateTime >= ref.createdDateTime));
        });

        it('updated_from / updated_to as ISO 8601', async () => {
          const byUpdate = [...all].sort((a, b) => (a.lastUpdateDateTime < b.lastUpdateDateTime ? 1 : -1));
          const from = Date.parse(byUpdate[150]!.lastUpdateDateTime.slice(0, 19) + 'Z');
          const to = Date.parse(byUpdate[30]!.lastUpdateDateTime.slice(0, 19) + 'Z');
          const expected = select((i) => atOrAfter(i.lastUpdateDateTime, from) && atOrBefore(i.lastUpdateDateTime, to));
          expect(expected.length).to.be.within(100, 130);
          expectFound(await search({ updated_from: new Date(from).toISOString(), updated_to: new Date(to).toISOString(), max_results: 500 }), expected, 500);
          expectFound(await search({ updated_to: new Date(to).toISOString(), max_results: 500 }), select((i) => atOrBefore(i.lastUpdateDateTime, to)), 500);
        });

        it('relative times: created_from 7d, created_to 7d, updated 10d to 1d', async () => {
          await searchBetween({ created_from: '7d' }, (now) => select((i) => atOrAfter(i.createdDateTime, now - 7 * DAY)));
          await searchBetween({ created_to: '7d' }, (now) => select((i) => atOrBefore(i.createdDateTime, now - 7 * DAY)));
          await searchBetween({ updated_from: '10 days', updated_to: '1d' }, (now) =>
            select((i) => atOrAfter(i.lastUpdateDateTime, now - 10 * DAY) && atOrBefore(i.lastUpdateDateTime, now - DAY)),
          );
        });

        it('every filter combined', async () => {
          const from = Date.parse(all[250]!.createdDateTime.slice(0, 19) + 'Z');
          await searchBetween(
            { status: 'active, in progress', severity: 'high, medium', classification: 'true positive', created_from: new Date(from).toISOString(), updated_from: '60d' },
            (now) =>
              select(
                (i) =>
                  ['active', 'inProgress'].includes(i.status) &&
                  ['high', 'medium'].includes(i.severity) &&
                  i.classification === 'truePositive' &&
                  atOrAfter(i.createdDateTime, from) &&
                  atOrAfter(i.lastUpdateDateTime, now - 60 * DAY),
              ),
          );
          const who = ODD_ASSIGNEES[0]!;
          const mine = select((i) => i.assignedTo === who);
          expect(mine.length).to.equal(2);
          const one = mine[0]!;
          expectFound(
            await search({ assigned_to: who, status: one.status, severity: one.severity, classification: one.classification, determination: one.determination, created_to: new Date(Date.now() + DAY).toISOString() }),
            mine.filter((i) => i.status === one.status && i.severity === one.severity && i.classification === one.classification && i.determination === one.determination),
          );
        });

        it(`max_results below a page (${family.page}): one page, the newest`, async () => {
          const seq = lastSeq();
          const r = await search({ max_results: '7' });
          expectFound(r, all, 7);
          expect(r.result['json_result'].pages_read).to.equal(1);
          const lists = listRequests(seq);
          expect(lists).to.have.length(1);
          expect(decodeURIComponent(lists[0]!.query)).to.include(`$top=${family.page === 50 ? 7 : 100}`);
        });

        it(`max_results equal to a page (${family.page}): one page, more available`, async () => {
          const seq = lastSeq();
          const r = await search({ max_results: family.page });
          expectFound(r, all, family.page);
          expect(r.result['json_result'].pages_read).to.equal(1);
          expect(listRequests(seq)).to.have.length(1);
        });

        it('max_results above a page: pages followed, nothing lost or doubled, more available', async () => {
          const max = family.page * 2 + 20;
          const seq = lastSeq();
          const r = await search({ max_results: max });
          expectFound(r, all, max);
          const lists = listRequests(seq);
          expect(lists).to.have.length(3);
          expect(r.result['json_result'].pages_read).to.equal(3);
          const skips = lists.map((l) => /\$skip=(\d+)/.exec(decodeURIComponent(l.query))?.[1]);
          expect(skips).to.deep.equal([undefined, String(family.page), String(2 * family.page)]);
          expect(lists.every((l) => l.status === 200)).to.equal(true);
        });

        it('max_results above every incident: all of them across every page, nothing more available', async () => {
          const seq = lastSeq();
          const r = await search({ max_results: 5000 });
          expectFound(r, all, 5000);
          const pages = family.page === 50 ? Math.ceil(SEEDED / 50) : Math.floor(SEEDED / 100) + 1;
          expect(r.result['json_result'].pages_read).to.equal(pages);
          expect(listRequests(seq)).to.have.length(pages);
          expect(r.result['output_message']).to.equal(`Found ${SEEDED} incidents, newest first.`);
        });

        it('follows the service\'s pages with a filter too, and stops at max_results', async () => {
          const expected = select((i) => i.status !== 'redirected');
          const r = await search({ status: 'active,inProgress,resolved', max_results: expected.length - 3 });
          expectFound(r, expected, expected.length - 3);
          expect(r.result['json_result'].more_available).to.equal(true);
        });

        it('include_alerts: each incident\'s alerts with their evidence typed as Graph\'s; without it, none', async () => {
          const seq = lastSeq();
          const r = await search({ include_alerts: 'true', max_results: 20 });
          const got = expectFound(r, all, 20);
          if (family.page === 50) expect(decodeURIComponent(listRequests(seq)[0]!.query)).to.include('$expand=alerts');
          for (const [k, i] of got.entries()) {
            const ref = all[k]!;
            expect(i.alerts.map((a: { id: string }) => a.id).sort(), `alerts of ${i.id}`).to.deep.equal(ref.alerts!.map((a) => a.id).sort());
            for (const a of i.alerts) {
              const refAlert = ref.alerts!.find((x) => x.id === a.id)!;
              expect(a.evidence.map((e: { '@odata.type': string }) => e['@odata.type']).sort()).to.deep.equal(refAlert.evidence.map((e) => e['@odata.type']).sort());
            }
          }
          expect(got.some((i) => i.alerts.some((a: { evidence: unknown[] }) => a.evidence.length > 0))).to.equal(true);
          const without = await search({ include_alerts: false, max_results: 20 });
          for (const i of without.result['json_result'].incidents) expect(i).to.not.have.property('alerts');
        });

        it('nothing found: completed, result_value false', async () => {
          const r = await search({ assigned_to: 'nobody-at-all@contoso.com', status: 'Active' });
          expect(r.code).to.equal(0);
          expect(r.result['status']).to.equal('completed');
          expect(r.result['result_value']).to.equal(false);
          expect(r.result['json_result']).to.deep.include({ incidents: [], count: 0, more_available: false });
          expect(r.result['output_message']).to.equal('No incident matches the search.');
          const future = await search({ created_from: new Date(Date.now() + DAY).toISOString() });
          expect(future.result['result_value']).to.equal(false);
        });

        const bad: Array<[string, Record<string, unknown>, RegExp]> = [
          ['an unknown status', { status: 'Active, Closed' }, /'status'.*Active, In Progress, Resolved, Redirected.*'Closed'/],
          ['an unknown severity', { severity: 'critical' }, /'severity'.*Informational, Low, Medium, High.*'critical'/],
          ['an unknown classification', { classification: 'bogus' }, /'classification'.*False Positive, True Positive, Informational, Expected Activity.*'bogus'/],
          ['an unknown determination', { determination: 'Not Bad' }, /'determination'.*Malware.*'Not Bad'/],
          ['a time that is not one', { created_from: 'yesterday' }, /'created_from'.*"yesterday".*ISO 8601.*7d/],
          ['a date-time without a zone', { updated_to: '2026-01-02T03:04:05' }, /'updated_to'.*time zone/],
          ['a range in the wrong order', { created_from: '1d', created_to: '7d' }, /'created_from'.*must be before 'created_to'/],
          ['an updated range in the wrong order', { updated_from: '2026-02-01T00:00:00Z', updated_to: '2026-01-01' }, /'updated_from'.*must be before 'updated_to'/],
          ['max_results 0', { max_results: 0 }, /max_results/],
          ['max_results not a number', { max_results: 'lots' }, /max_results/],
          ['a 20,000-character assigned_to', { assigned_to: 'a'.repeat(20_000) }, /^Parameter 'assigned_to' must have at most 320 characters; got 20000\.$/],
          ['a 20,000-character status list', { status: 'active,'.repeat(2_858) }, /^Parameter 'status' must have at most 1024 characters; got 20006\.$/],
          ['an assigned_to whose URL would pass 2,048 characters', { assigned_to: '事'.repeat(320) }, /^Searching incidents would need a request URL of [\d,]+ characters, more than the 2,048 this package sends .*; shorten 'assigned_to'/],
          ['an assigned_to with a NUL', { assigned_to: 'a\u0000b@contoso.com' }, /^Parameter 'assigned_to' contains the control character U\+0000 at position 2/],
        ];
        for (const [what, input, message] of bad) {
          it(`refuses ${what} before any request (exit 2)`, async () => {
            const seq = lastSeq();
            const r = await search(input);
            expect(r.code).to.equal(2);
            expectFailure(r, 'INVALID_INPUT', message);
            expect(em.requests(seq)).to.deep.equal([]);
          });
        }

        it('a 429 with Retry-After on the second page is waited out and the search completes', async () => {
          // the first list request takes the no-op delay, the second the 429
          em.addFault({ kind: 'delay', delayMs: 0, count: 1, match: { method: 'GET', path: family.list } });
          em.addFault({ kind: 'status', status: 429, retryAfter: 1, count: 1, match: { method: 'GET', path: family.list } });
          const seq = lastSeq();
          const max = family.page * 2;
          const r = await search({ max_results: max });
          expectFound(r, all, max);
          const lists = listRequests(seq);
          expect(lists.map((l) => l.status)).to.deep.equal([200, 429, 200]);
          expect(lists[1]!.query).to.equal(lists[2]!.query);
          expect(r.result['json_result'].pages_read).to.equal(2);
          expect(r.logs.filter((l) => / retrying in \d+ ms$/.test(l['msg']))).to.have.length(1);
          expect(em.faults()).to.deep.equal([]);
        });

        it('the read-only app can search', async () => {
          const ro = em.app('readonly');
          expectFound(await search({ severity: 'high', max_results: 500 }, { M365D_CLIENT_ID: ro.clientId, M365D_CLIENT_SECRET: ro.clientSecret }), select((i) => i.severity === 'high'), 500);
        });
      });

      describe('Get Incident', () => {
        it('returns the incident with its alerts and their evidence, typed as Graph types them', async () => {
          // the incident with the most kinds of evidence
          const kinds = (i: RefIncident) => new Set(i.alerts!.flatMap((a) => a.evidence.map((e) => e['@odata.type']))).size;
          const ref = [...all].sort((a, b) => kinds(b) - kinds(a))[0]!;
          expect(kinds(ref)).to.be.greaterThan(2);
          const seq = lastSeq();
          const r = await get(` ${ref.id} `);
          expect(r.code, r.stdout).to.equal(0);
          expect(r.result['result_value']).to.equal(true);
          const inc = r.result['json_result'].incident;
          expect(inc).to.deep.include({ id: ref.id, status: ref.status, severity: ref.severity, classification: ref.classification, determination: ref.determination, createdDateTime: ref.createdDateTime });
          expect(inc.alerts.map((a: { id: string }) => a.id).sort()).to.deep.equal(ref.alerts!.map((a) => a.id).sort());
          for (const a of inc.alerts) {
            const types: string[] = a.evidence.map((e: { '@odata.type': string }) => e['@odata.type']);
            expect(types.every((t) => t.startsWith('#microsoft.graph.security.') && t.endsWith('Evidence'))).to.equal(true);
            expect(types.sort()).to.deep.equal(ref.alerts!.find((x) => x.id === a.id)!.evidence.map((e) => e['@odata.type']).sort());
          }
          expect(r.result['output_message']).to.match(new RegExp(`^Incident ${ref.id} ".*": .*, ${ref.alerts!.length} alerts?\\.$`));
          expect(r.result['tables'][0].rows).to.have.length(ref.alerts!.length);
          const reads = em.requests(seq).filter((q) => q.path.startsWith(family.list));
          expect(reads.map((q) => q.path)).to.deep.equal([`${family.list}/${ref.id}`]);
        });

        it('a merged incident shows where it went', async () => {
          const r = await get(merged.id);
          const inc = r.result['json_result'].incident;
          expect(inc).to.include({ id: merged.id, status: 'redirected', redirectIncidentId: merged.into });
          expect(r.result['output_message']).to.include(`merged into incident ${merged.into}`);
        });

        it('a missing incident is NOT_FOUND (exit 1) saying which', async () => {
          const r = await get('999999999');
          expect(r.code).to.equal(1);
          expectFailure(r, 'NOT_FOUND', /999999999/);
        });

        for (const id of ['42; drop', '../x', '42/../43', '', '0', '9223372036854775808']) {
          it(`refuses the id ${JSON.stringify(id)} before any request (exit 2)`, async () => {
            const seq = lastSeq();
            const r = await get(id);
            expect(r.code).to.equal(2);
            expectFailure(r, 'INVALID_INPUT', /incident_id/);
            expect(em.requests(seq)).to.deep.equal([]);
          });
        }

        it('the read-only app can get an incident', async () => {
          const ro = em.app('readonly');
          const r = await get(all[0]!.id, { M365D_CLIENT_ID: ro.clientId, M365D_CLIENT_SECRET: ro.clientSecret });
          expect(r.result['json_result'].incident.id).to.equal(all[0]!.id);
        });
      });
    });
  }
});
