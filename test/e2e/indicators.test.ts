// Submit Indicators, List Indicators and Delete Indicators end to end (issue 16): the built processes against the
// emulator's Defender for Endpoint face (/api/indicators). What reached the service is read from the emulator's request
// log; what it holds from em.indicators().
import { expect } from 'chai';
import type { Emulator, RequestLogEntry } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { checkedRunner, entryOf, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';

const ids = ['submit-indicators', 'list-indicators', 'delete-indicators'] as const;
const ENTRY = Object.fromEntries(ids.map((id) => [id, entryOf(id, repoRoot)])) as Record<(typeof ids)[number], string>;
type Json = Record<string, any>;

const entity = (EntityType: string, Identifier: string) => ({ Identifier, EntityType });
let hashes = 0;
/** a new SHA-256 / SHA-1 / MD5 value */
const hex = (len: number) => (`${(++hashes).toString(16)}`.padStart(8, '0') + 'ab'.repeat(40)).slice(0, len);

const run = checkedRunner({ case_id: 'ioc-case', alert_group_identifiers: [] }, 60_000);
const mde = (em: Emulator, since: number): RequestLogEntry[] => em.requests(since).filter((q) => q.path.startsWith('/api/indicators'));
const posts = (em: Emulator, since: number) => mde(em, since).filter((q) => q.method === 'POST');
const rowsOf = (r: RunResult): Json[] => r.result['json_result']['indicators'];
const rowOf = (r: RunResult, value: string): Json => rowsOf(r).find((x) => x['value'] === value)!;

describe('The indicator actions against the emulator (Defender for Endpoint /api/indicators)', function () {
  this.timeout(180_000);
  const emulator = useEmulator({ seed: 17, incidents: 5, quotas: false }, 'indicators');
  let em: Emulator;
  let env: () => Record<string, string>;
  const app = (name: 'readonly' | 'nohunting') => ({ ...em.env, M365D_CLIENT_ID: em.app(name).clientId, M365D_CLIENT_SECRET: em.app(name).clientSecret, M365D_STATE_DIR: emulator.freshState() });
  const held = (value: string): Json[] => em.indicators().filter((i) => String(i['indicatorValue']).toLowerCase() === value.toLowerCase());
  before(() => {
    em = emulator.em;
    const dir = emulator.freshState();
    env = () => ({ ...em.env, M365D_STATE_DIR: dir });
  });

  it('Submit Indicators: hashes by length, an IP, a URL, a domain and a thumbprint; the bad ones reported and never sent', async () => {
    const sha256 = hex(64);
    const md5 = hex(32);
    const thumb = hex(40);
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['submit-indicators'], env(), {
      target_entities: [entity('FILEHASH', sha256), entity('HASH', md5), entity('ADDRESS', '203.0.113.10'), entity('DestinationURL', 'https://evil.example.com/payload'),
        entity('FILEHASH', 'abc123'), entity('ADDRESS', '10.1.2.3'), entity('ADDRESS', '198.51.100.0/24'), entity('HOSTNAME', 'pc-1')],
      action: 'block', severity: 'high', domains: 'evil-domain.example.net', certificate_thumbprints: thumb, rbac_group_names: 'Servers', expiration: '30d', generate_alert: true,
    });
    expect(r.code, r.stdout).to.equal(0);
    expect((r.result['entities'] as Json[]).map((e) => [e['Identifier'], e['status']])).to.deep.equal([
      [sha256, 'success'], [md5, 'success'], ['203.0.113.10', 'success'], ['https://evil.example.com/payload', 'success'],
      ['abc123', 'failed'], ['10.1.2.3', 'failed'], ['198.51.100.0/24', 'failed'], ['pc-1', 'skipped'],
    ]);
    expect(rowsOf(r).map((x) => [x['value'], x['indicator_type'], x['outcome']])).to.deep.equal([
      [sha256, 'FileSha256', 'created'], [md5, 'FileMd5', 'created'], ['203.0.113.10', 'IpAddress', 'created'], ['https://evil.example.com/payload', 'Url', 'created'],
      ['abc123', null, null], ['10.1.2.3', null, null], ['198.51.100.0/24', null, null],
      ['evil-domain.example.net', 'DomainName', 'created'], [thumb, 'CertificateThumbprint', 'created'],
    ]);
    expect(rowOf(r, 'abc123')['message']).to.match(/6 hexadecimal digits, which is no hash .*nothing was sent for it/);
    expect(rowOf(r, '10.1.2.3')['message']).to.match(/internal or reserved address/);
    expect(rowOf(r, '198.51.100.0/24')['message']).to.match(/is a CIDR range/);
    expect(r.result['output_message']).to.equal('Indicators (block): 6 created, 0 updated, 0 already as asked; 3 not submitted: abc123, 10.1.2.3, 198.51.100.0/24.');
    // exactly one POST per good value, and none for the bad ones
    const sent = posts(em, seq);
    expect(sent).to.have.length(6);
    expect(mde(em, seq).some((q) => /abc123|10\.1\.2\.3|198\.51/.test(decodeURIComponent(q.query)))).to.equal(false);
    const ind = held(sha256)[0]!;
    expect(ind).to.deep.include({ indicatorType: 'FileSha256', action: 'Block', severity: 'High', generateAlert: true, title: 'Indicator from case ioc-case' });
    expect(ind['rbacGroupNames']).to.deep.equal(['Servers']);
    expect(Date.parse(ind['expirationTime']) - Date.now()).to.be.within(29 * 86_400_000, 31 * 86_400_000);
    expect(rowOf(r, sha256)['indicator']['id']).to.equal(ind['id']);
  });

  it('a resubmit: as asked sends nothing; another title updates it (Microsoft\'s POST) and says so; another action makes a second one', async () => {
    const sha1 = hex(40);
    const first = await run(ENTRY['submit-indicators'], env(), { target_entities: [entity('FILEHASH', sha1)], action: 'Block' });
    const id = rowOf(first, sha1)['indicator']['id'];
    let seq = emulator.lastSeq();
    const same = await run(ENTRY['submit-indicators'], env(), { target_entities: [entity('FILEHASH', sha1)], action: 'BLOCK' });
    expect(rowOf(same, sha1)).to.deep.include({ status: 'success', outcome: 'unchanged' });
    expect(rowOf(same, sha1)['message']).to.equal(`FileSha1 ${sha1} already is an indicator as asked (id ${id}, Block); nothing was sent.`);
    expect(posts(em, seq)).to.deep.equal([]);

    seq = emulator.lastSeq();
    const retitled = await run(ENTRY['submit-indicators'], env(), { target_entities: [entity('FILEHASH', sha1)], action: 'Block', title: 'Ransomware dropper', description: 'seen on pc-7' });
    expect(rowOf(retitled, sha1)).to.deep.include({ status: 'success', outcome: 'updated' });
    expect(rowOf(retitled, sha1)['message']).to.equal(`FileSha1 ${sha1} updated: indicator ${id} had this value, type and action, and Microsoft's POST updates it (Block).`);
    expect(rowOf(retitled, sha1)['previous']['title']).to.equal('Indicator from case ioc-case');
    expect(posts(em, seq)).to.have.length(1);
    expect(held(sha1).map((i) => [i['id'], i['title']])).to.deep.equal([[id, 'Ransomware dropper']]);

    const audit = await run(ENTRY['submit-indicators'], env(), { target_entities: [entity('FILEHASH', sha1)], action: 'Audit', generate_alert: true });
    expect(rowOf(audit, sha1)).to.deep.include({ outcome: 'created' });
    expect(rowOf(audit, sha1)['message']).to.match(new RegExp(`indicator ${id} \\(Block\\) also has this value`));
    expect(held(sha1).map((i) => i['action']).sort()).to.deep.equal(['Audit', 'Block']);
  });

  it('refuses before anything is sent (exit 2): legacy actions, Audit without an alert, a past expiration, bad parameter values, nothing to submit', async () => {
    const h = hex(64);
    const ent = [entity('FILEHASH', h)];
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ target_entities: ent, action: 'Alert' }, /Alert, a legacy action .*use Audit with generate_alert true/],
      [{ target_entities: ent, action: 'AlertAndBlock' }, /AlertAndBlock, a legacy action .*use Block \(or BlockAndRemediate\) with generate_alert true/],
      [{ target_entities: ent, action: 'Audit' }, /'generate_alert' must be true with action Audit/],
      [{ target_entities: ent, action: 'Block', expiration: '2020-01-01T00:00:00Z' }, /'expiration' .*not in the future/],
      [{ target_entities: ent, action: 'Block', expiration: 'next week' }, /'expiration' is "next week", which is not a span from now/],
      [{ target_entities: ent, action: 'Block', severity: 'critical' }, /Parameter 'severity' must be one of: Informational, Low, Medium, High; got "critical"/],
      [{ target_entities: ent, action: 'Block', domains: 'good.example.com, not a domain' }, /Parameter 'domains': "not a domain" is not a domain name/],
      [{ target_entities: ent, action: 'Block', certificate_thumbprints: 'abcd' }, /Parameter 'certificate_thumbprints': "abcd" is not a certificate thumbprint/],
      [{ target_entities: ent, action: 'BlockAndRemediate', domains: 'evil.example.com' }, /'domains' cannot take action BlockAndRemediate/],
      [{ target_entities: [entity('ADDRESS', '192.168.1.1'), entity('FILEHASH', 'xyz')], action: 'Block' }, /No value can be submitted as an indicator: "192.168.1.1" is an internal/],
      [{ target_entities: [entity('HOSTNAME', 'pc-1')], action: 'Block' }, /Nothing to submit/],
    ];
    for (const [input, message] of cases) {
      const seq = emulator.lastSeq();
      const r = await run(ENTRY['submit-indicators'], env(), input);
      expect(r.code, `${JSON.stringify(input).slice(0, 120)}: ${r.stdout}`).to.equal(2);
      expect(r.result['error'].message).to.match(message);
      expect(em.requests(seq), 'nothing sent').to.deep.equal([]);
    }
    expect(held(h)).to.deep.equal([]);
  });

  it('BlockAndRemediate on a network entity is reported for it (files still submitted)', async () => {
    const h = hex(64);
    const r = await run(ENTRY['submit-indicators'], env(), { target_entities: [entity('FILEHASH', h), entity('DestinationURL', 'http://bad.example.org/x')], action: 'BlockAndRemediate' });
    expect(rowsOf(r).map((x) => [x['value'], x['status']])).to.deep.equal([[h, 'success'], ['http://bad.example.org/x', 'failed']]);
    expect(rowOf(r, 'http://bad.example.org/x')['message']).to.match(/BlockAndRemediate is for files and certificates .*use Block/);
    expect(held('http://bad.example.org/x')).to.deep.equal([]);
  });

  for (const [what, fault, landed] of [
    ['a 504', { kind: 'status', status: 504, count: 2 }, false],
    ['a reset connection', { kind: 'reset', count: 2 }, false],
    ['a truncated answer', { kind: 'truncate', count: 2 }, true],
  ] as const) {
    it(`posts an indicator once whatever happens: ${what} (${landed ? 'it landed: a lookup says so' : 'reported as unknown'})`, async () => {
      const h = hex(64);
      em.addFault({ ...fault, match: { method: 'POST', path: '/api/indicators' } });
      const seq = emulator.lastSeq();
      const r = await run(ENTRY['submit-indicators'], env(), { target_entities: [entity('FILEHASH', h)], action: 'Block' });
      expect(r.code, r.stdout).to.equal(0);
      expect(posts(em, seq), 'one POST, not retried').to.have.length(1);
      expect(em.faults()[0]!.remaining).to.equal(1);
      if (landed) {
        expect(rowOf(r, h)).to.deep.include({ status: 'success', outcome: 'created' });
        expect(rowOf(r, h)['message']).to.match(/Microsoft's answer was lost, but the indicator now reads as submitted; it was not sent again/);
        expect(held(h)).to.have.length(1);
      } else {
        expect(rowOf(r, h)['status']).to.equal('failed');
        expect(rowOf(r, h)['message']).to.match(/The indicator .* may have been submitted: it was not sent again\./);
        expect(held(h)).to.deep.equal([]);
      }
    });
  }

  it('a 429 on the POST (not applied) is waited out through Retry-After and the indicator lands once', async () => {
    const h = hex(64);
    em.addFault({ kind: 'status', status: 429, retryAfter: 1, count: 1, match: { method: 'POST', path: '/api/indicators' } });
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['submit-indicators'], env(), { target_entities: [entity('FILEHASH', h)], action: 'Block' });
    expect(rowOf(r, h)).to.deep.include({ status: 'success', outcome: 'created' });
    expect(posts(em, seq).map((q) => q.status)).to.deep.equal([429, 200]);
    expect(held(h)).to.have.length(1);
  });

  it('a request that times out (M365D_TIMEOUT) fails that value only, its outcome unknown after a lookup; the next value goes on', async () => {
    const [h1, h2] = [hex(64), hex(64)];
    // the emulator holds the first POST longer than the request may take; it is applied after the lookup that follows
    em.addFault({ kind: 'delay', delayMs: 4_500, count: 1, match: { method: 'POST', path: '/api/indicators' } });
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['submit-indicators'], { ...env(), M365D_TIMEOUT: '2' }, { target_entities: [entity('FILEHASH', h1), entity('FILEHASH', h2)], action: 'Block' });
    expect(r.code, r.stdout).to.equal(0);
    expect(r.result['status']).to.equal('completed');
    expect(rowsOf(r).map((x) => [x['value'], x['status'], x['outcome']])).to.deep.equal([[h1, 'failed', null], [h2, 'success', 'created']]);
    expect(rowOf(r, h1)['message']).to.match(/within 2 s \(M365D_TIMEOUT\)\. The indicator .* may have been submitted: it was not sent again\./);
    expect(posts(em, seq), 'one POST each; the one that timed out not sent again').to.have.length(2);
    const lookups = mde(em, seq).filter((q) => q.method === 'GET' && decodeURIComponent(q.query).includes(h1));
    expect(lookups, 'read before the POST and once after it, to decide').to.have.length(2);
    expect(held(h2)).to.have.length(1);
  });

  it('stops a margin before the deadline (M365D_ACTION_TIMEOUT): the result lists what was done, the POST cut short, and what was not started', async () => {
    const [h0, h1, h2] = [hex(64), hex(64), hex(64)];
    await run(ENTRY['submit-indicators'], env(), { target_entities: [entity('FILEHASH', h0)], action: 'Block' });
    em.addFault({ kind: 'delay', delayMs: 10_000, count: 1, match: { method: 'POST', path: '/api/indicators' } });
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['submit-indicators'], { ...env(), M365D_ACTION_TIMEOUT: '5' }, { target_entities: [entity('FILEHASH', h0), entity('FILEHASH', h1), entity('FILEHASH', h2)], action: 'Block' });
    expect(r.code, r.stdout).to.equal(0);
    expect(r.result['status']).to.equal('completed');
    expect(rowsOf(r).map((x) => [x['value'], x['status'], x['outcome']])).to.deep.equal([[h0, 'success', 'unchanged'], [h1, 'failed', null], [h2, 'failed', null]]);
    expect(rowOf(r, h1)['message']).to.match(/reached its deadline or was stopped\. The indicator .* may have been submitted: it was not sent again\./);
    expect(rowOf(r, h2)['message']).to.match(/^Not started: the run stopped before its deadline .*nothing was sent for it\.$/);
    expect(r.result['output_message']).to.equal(`Indicators (Block): 0 created, 0 updated, 1 already as asked; 2 not submitted: ${h1}, ${h2}.`);
    expect(posts(em, seq)).to.have.length(1);
    expect(mde(em, seq).some((q) => decodeURIComponent(q.query).includes(h2)), 'nothing sent for the value not started').to.equal(false);
  });

  it('PERMISSION names Ti.ReadWrite.All for an app without it (readonly: Machine.Read.All only; nohunting: no endpoint role)', async () => {
    for (const name of ['readonly', 'nohunting'] as const) {
      const h = hex(64);
      const r = await run(ENTRY['submit-indicators'], app(name), { target_entities: [entity('FILEHASH', h)], action: 'Block' });
      expect(r.code, name).to.equal(1);
      expect(r.result['error'].code).to.equal('PERMISSION');
      expect(r.result['error'].message).to.match(/Ti\.ReadWrite\.All .*Defender for Endpoint API/);
      expect(held(h)).to.deep.equal([]);
      const l = await run(ENTRY['list-indicators'], app(name), {});
      expect(l.result['error'].code).to.equal('PERMISSION');
    }
  });

  it('List Indicators by value, type, action and creator, paged up to max_results', async () => {
    const mine = [hex(32), hex(32), hex(32)];
    await run(ENTRY['submit-indicators'], env(), { target_entities: mine.map((m) => entity('FILEHASH', m)), action: 'Allowed' });
    const byValue = await run(ENTRY['list-indicators'], env(), { indicator_value: mine[1] });
    expect(byValue.code).to.equal(0);
    expect(byValue.result['json_result']['indicators'].map((i: Json) => i['indicatorValue'])).to.deep.equal([mine[1]]);
    expect(byValue.result['json_result']['filter']).to.equal(`indicatorValue eq '${mine[1]}'`);
    const seq = emulator.lastSeq();
    const byType = await run(ENTRY['list-indicators'], env(), { indicator_type: 'filemd5', action: 'allowed', created_by: em.app('full').clientId, created_from: '1h', max_results: 2 });
    expect(byType.result['json_result']['indicators']).to.have.length(2);
    expect(byType.result['json_result']['more']).to.equal(true);
    expect(byType.result['output_message']).to.equal('2 indicators matching the filter (the first 2; more match).');
    for (const i of byType.result['json_result']['indicators']) expect(i).to.include({ indicatorType: 'FileMd5', action: 'Allowed' });
    const q = mde(em, seq).map((x) => decodeURIComponent(x.query));
    expect(q).to.have.length(1);
    expect(q[0]).to.match(/\$filter=indicatorType eq 'FileMd5' and action eq 'Allowed' and createdBy eq '[^']+' and creationTimeDateTimeUtc ge \S+Z&\$top=3$/);
    const none = await run(ENTRY['list-indicators'], env(), { indicator_value: 'nothing-like-this.example.com' });
    expect(none.result['result_value']).to.equal(false);
    expect((await run(ENTRY['list-indicators'], env(), { indicator_type: 'Hash' })).code).to.equal(2);
  });

  it('Delete Indicators by id and by value; a missing one is reported, not fatal', async () => {
    const a = hex(64);
    const b = hex(64);
    const sub = await run(ENTRY['submit-indicators'], env(), { target_entities: [entity('FILEHASH', a), entity('FILEHASH', b)], action: 'Block' });
    const idA = rowOf(sub, a)['indicator']['id'];
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['delete-indicators'], env(), { indicator_ids: `${idA}, 999999`, indicator_values: `${b}, missing.example.com` });
    expect(r.code, r.stdout).to.equal(0);
    expect(r.result['result_value']).to.equal(true);
    expect(r.result['json_result']['deleted'].map((x: Json) => [x['requested'], x['status']])).to.deep.equal([
      ['missing.example.com', 'not_found'], [idA, 'success'], ['999999', 'not_found'], [b, 'success'],
    ]);
    expect(r.result['output_message']).to.equal('2 indicators deleted; not found: missing.example.com, 999999.');
    expect(held(a)).to.deep.equal([]);
    expect(held(b)).to.deep.equal([]);
    expect(mde(em, seq).filter((q) => q.method === 'DELETE')).to.have.length(3);
    // a DELETE cut short by the run's stop (held by the service past the deadline) may have been applied: the row says so
    const c = hex(64);
    const idC = rowOf(await run(ENTRY['submit-indicators'], env(), { target_entities: [entity('FILEHASH', c)], action: 'Block' }), c)['indicator']['id'];
    em.addFault({ kind: 'delay', delayMs: 10_000, count: 1, match: { method: 'DELETE', path: `/api/indicators/${idC}` } });
    const sCut = emulator.lastSeq();
    const cut = await run(ENTRY['delete-indicators'], { ...env(), M365D_ACTION_TIMEOUT: '5' }, { indicator_ids: String(idC) });
    expect(cut.code, cut.stdout).to.equal(0);
    expect(cut.result['json_result']['deleted'].map((x: Json) => x['status'])).to.deep.equal(['failed']);
    expect(cut.result['json_result']['deleted'][0]['message']).to.match(/The delete may have been applied; run Delete Indicators again to be sure \(a missing indicator is reported not_found\)\.$/);
    expect(mde(em, sCut).filter((q) => q.method === 'DELETE').length).to.be.at.most(1);
    for (const input of [{}, { indicator_ids: '12/../3' }]) {
      const s = emulator.lastSeq();
      const bad = await run(ENTRY['delete-indicators'], env(), input);
      expect(bad.code).to.equal(2);
      expect(em.requests(s)).to.deep.equal([]);
    }
  });
});
