// Search Alerts, Get Alert, Update Alert and Add Comment To Alert end to end: the built action processes against the
// emulator's alerts face (Graph alerts_v2). What reached the service is read from the emulator's request log; what it
// holds now from em.alert(). With the Defender XDR API configured the alert actions still go to Graph: that runs through
// a loopback proxy that maps graph.microsoft.com and api.security.microsoft.com to the emulator (no name is resolved).
import { expect } from 'chai';
import type { Emulator, RequestLogEntry } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { checkedRunner, entryOf, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';
import { startProxy, type TestProxy } from '../support/proxy';

const SEARCH = entryOf('search-alerts', repoRoot);
const GET = entryOf('get-alert', repoRoot);
const UPDATE = entryOf('update-alert', repoRoot);
const COMMENT = entryOf('add-comment-to-alert', repoRoot);
const GET_INCIDENT = entryOf('get-incident', repoRoot);
const CONTEXT = { case_id: 'alerts-case', alert_group_identifiers: [] };
type Json = Record<string, any>;

const run = checkedRunner(CONTEXT, 60_000);
const expectFailure = (r: RunResult, code: string, message: RegExp): void => {
  expect(r.result['status'], r.stdout).to.equal('failed');
  expect(r.result['error'].code, r.stdout).to.equal(code);
  expect(r.result['error'].message).to.match(message);
};
const expectCompleted = (r: RunResult): void => {
  expect(r.result['status'], r.stdout.slice(0, 500)).to.equal('completed');
  expect(r.code).to.equal(0);
};
const apiRequests = (em: Emulator, since: number): RequestLogEntry[] => em.requests(since).filter((q) => q.path.startsWith('/v1.0/') || q.path.startsWith('/api/'));
const decoded = (q: RequestLogEntry): string => decodeURIComponent(q.query);

describe('The alert actions against the emulator (Graph alerts_v2)', function () {
  this.timeout(120_000);
  const emulator = useEmulator({ seed: 14, incidents: 40, quotas: false }, 'alerts');
  let em: Emulator;
  let state: string;
  before(() => {
    em = emulator.em;
    state = emulator.freshState();
  });
  const env = (extra: Record<string, string | undefined> = {}) => ({ ...em.env, M365D_STATE_DIR: state, ...extra });
  const readonly = () => ({ M365D_CLIENT_ID: em.app('readonly').clientId, M365D_CLIENT_SECRET: em.app('readonly').clientSecret, M365D_STATE_DIR: emulator.freshState() });
  /** every alert the emulator holds, every member shown */
  const allAlerts = (): Json[] => {
    const ids = new Set<string>();
    for (let skip = 0; ; skip += 2000) {
      const r = em.tenant.graph({ method: 'GET', path: '/v1.0/security/alerts_v2', rawQuery: `$top=2000&$skip=${skip}`, rawBody: '', headers: { prefer: 'include-unknown-enum-members' }, origin: em.origin, caller: { clientId: 't', appDisplayName: 't', roles: new Set(['SecurityAlert.Read.All']), tenantId: em.tenantId }, now: em.now() });
      const value = ((r?.body as Json)['value'] as Json[]);
      for (const a of value) ids.add(a['id']);
      if (value.length < 2000) break;
    }
    return [...ids].map((id) => em.alert(id) as Json);
  };
  /** a fresh alert of a fresh incident: its id */
  const newAlert = (fields: Record<string, unknown> = {}): string => {
    const inc = em.addIncident({ displayName: 'Alert test', severity: 'medium', alerts: 1 });
    const id = String(((inc['alerts'] as Json[])[0] as Json)['id']);
    if (Object.keys(fields).length) em.updateAlert(id, fields as never);
    return id;
  };

  describe('Search Alerts', () => {
    it('sends every filter Graph takes as $filter, values quoted, and returns what matches, newest first, as Microsoft sent it', async () => {
      const all = allAlerts();
      const expected = all.filter((a) => ['new', 'inProgress'].includes(a['status']) && ['high', 'medium'].includes(a['severity']) && a['serviceSource'] === 'microsoftDefenderForEndpoint');
      expect(expected.length, 'the seed has matches').to.be.above(1);
      const seq = emulator.lastSeq();
      const r = await run(SEARCH, env(), { status: 'New, in_progress', severity: 'High, medium', service_source: 'Microsoft Defender for Endpoint', max_results: '500', include_evidence: 'true' });
      expectCompleted(r);
      const json = r.result['json_result'];
      expect(json.alerts.map((a: Json) => a['id']).sort()).to.deep.equal(expected.map((a) => a['id']).sort());
      expect(json).to.include({ count: expected.length, more_available: false, pages_read: 1 });
      const times = json.alerts.map((a: Json) => Date.parse(a['createdDateTime']));
      expect([...times].sort((x, y) => y - x), 'newest first').to.deep.equal(times);
      // Microsoft's data as it came: every field Graph sent (evidence, comments, customDetails, systemTags) is there
      for (const a of json.alerts as Json[]) {
        const held = em.alert(a['id']) as Json;
        for (const k of ['title', 'status', 'severity', 'classification', 'determination', 'serviceSource', 'detectionSource', 'incidentId', 'incidentWebUrl', 'recommendedActions', 'tenantId', 'lastUpdateDateTime']) expect(a[k], k).to.deep.equal(held[k]);
        expect(a['evidence']).to.deep.equal(held['evidence']);
        expect(a).to.have.property('systemTags');
      }
      const sent = apiRequests(em, seq);
      expect(sent).to.have.length(1);
      expect(decoded(sent[0]!)).to.equal("$filter=((status eq 'new' or status eq 'inProgress') and (severity eq 'high' or severity eq 'medium') and serviceSource eq 'microsoftDefenderForEndpoint')&$top=500");
      expect(r.result['output_message']).to.equal(`Found ${expected.length} alerts, newest first.`);
      expect(r.result['tables'][0].columns).to.include('Service source');
    });

    it('leaves the evidence out unless asked, and takes Graph\'s values and the portal\'s labels alike', async () => {
      const a = await run(SEARCH, env(), { classification: 'True Positive', determination: 'Multi-staged attack, malware', max_results: '50' });
      const b = await run(SEARCH, env(), { classification: 'truePositive', determination: 'multiStagedAttack,Malware', max_results: '50' });
      expectCompleted(a);
      expect(a.result['json_result'].alerts.map((x: Json) => x['id'])).to.deep.equal(b.result['json_result'].alerts.map((x: Json) => x['id']));
      for (const x of a.result['json_result'].alerts as Json[]) {
        expect(x).not.to.have.property('evidence');
        expect(x['classification']).to.equal('truePositive');
        expect(['multiStagedAttack', 'malware']).to.include(x['determination']);
      }
    });

    it('detection source and incident id, which Graph cannot filter, are checked on each page read', async () => {
      const all = allAlerts();
      const incident = all.find((a) => all.filter((b) => b['incidentId'] === a['incidentId']).length > 1)!['incidentId'];
      const seq = emulator.lastSeq();
      const r = await run(SEARCH, env(), { incident_id: ` ${incident} `, include_evidence: 'true' });
      expectCompleted(r);
      expect(r.result['json_result'].alerts.map((a: Json) => a['id']).sort()).to.deep.equal(all.filter((a) => a['incidentId'] === incident).map((a) => a['id']).sort());
      expect(decoded(apiRequests(em, seq)[0]!)).to.equal('$top=1000');
      const custom = await run(SEARCH, env(), { detection_source: 'Custom Detection' });
      expect(custom.result['json_result'].alerts.map((a: Json) => a['id']).sort()).to.deep.equal(all.filter((a) => a['detectionSource'] === 'customDetection').slice(0, 50).map((a) => a['id']).sort());
    });

    it('sends Prefer: include-unknown-enum-members: Defender for Cloud alerts come with their own names and can be searched for', async () => {
      const cloud = allAlerts().filter((a) => a['serviceSource'] === 'microsoftDefenderForCloud');
      expect(cloud.length, 'the seed has Defender for Cloud alerts').to.be.above(0);
      const r = await run(SEARCH, env(), { service_source: 'Microsoft Defender for Cloud', include_evidence: 'true' });
      expectCompleted(r);
      expect(r.result['json_result'].alerts.map((a: Json) => a['id']).sort()).to.deep.equal(cloud.map((a) => a['id']).sort());
      for (const a of r.result['json_result'].alerts as Json[]) expect(a['detectionSource']).not.to.equal('unknownFutureValue');
    });

    it('nothing found: completed, result_value false', async () => {
      const r = await run(SEARCH, env(), { assigned_to: "nobody-o'hara@contoso.com" });
      expectCompleted(r);
      expect(r.result['result_value']).to.equal(false);
      expect(r.result['output_message']).to.equal('No alert matches the search.');
    });

    it('refuses bad input by name, exit 2, with nothing sent', async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ status: 'Active' }, /^Parameter 'status' must be a status: one of New, In Progress, Resolved; got 'Active'\.$/],
        [{ severity: 'Severe' }, /^Parameter 'severity' must be a severity/],
        [{ service_source: 'Defender for Toasters' }, /^Parameter 'service_source' must be a service source: one of Microsoft Defender for Endpoint/],
        [{ detection_source: 'Magic' }, /^Parameter 'detection_source' must be a detection source/],
        [{ created_from: 'yesterday' }, /^Parameter 'created_from' "yesterday" is not a time/],
        [{ created_from: '1d', created_to: '7d' }, /must be before 'created_to'/],
        [{ incident_id: 'abc' }, /incident_id/],
        [{ assigned_to: 'a\u0000b@contoso.com' }, /^Parameter 'assigned_to' contains the control character U\+0000/],
        [{ assigned_to: `${'x'.repeat(320)}@c.com` }, /assigned_to.*at most 320 characters/],
        [{ max_results: '0' }, /max_results/],
        [{ max_result: '5' }, /^Unknown parameter 'max_result'/],
      ];
      for (const [input, message] of cases) {
        const seq = emulator.lastSeq();
        const r = await run(SEARCH, env(), input);
        expect(r.code, JSON.stringify(input)).to.equal(2);
        expectFailure(r, 'INVALID_INPUT', message);
        expect(em.requests(seq), JSON.stringify(input)).to.deep.equal([]);
      }
    });

    it('throttled mid-search: a 429 with Retry-After is waited for and the search completes; one beyond the deadline fails THROTTLED at once', async () => {
      em.addFault({ kind: 'status', status: 429, retryAfter: 1, count: 1, match: { method: 'GET', path: '/v1.0/security/alerts_v2' } });
      const seq = emulator.lastSeq();
      const ok = await run(SEARCH, env(), { max_results: '5' });
      expectCompleted(ok);
      expect(apiRequests(em, seq).map((q) => q.status)).to.deep.equal([429, 200]);
      em.addFault({ kind: 'status', status: 429, retryAfter: 3600, count: 1, match: { method: 'GET', path: '/v1.0/security/alerts_v2' } });
      const started = Date.now();
      const late = await run(SEARCH, env(), { max_results: '5' });
      expect(late.code).to.equal(1);
      expectFailure(late, 'THROTTLED', /Microsoft Graph throttled searching alerts \(429\).*accepts calls again in 3600 s/);
      expect(Date.now() - started).to.be.below(30_000);
    });
  });

  describe('Get Alert', () => {
    it('one alert with its evidence, comments, custom details and its incident\'s id and link, as Microsoft sent it', async () => {
      const all = allAlerts();
      const withAll = all.find((a) => (a['comments'] as Json[]).length > 0 && (a['evidence'] as Json[]).length > 0 && a['customDetails'] && Object.keys(a['customDetails']).length) ?? all.find((a) => (a['comments'] as Json[]).length > 0)!;
      const r = await run(GET, env(), { alert_id: withAll['id'] });
      expectCompleted(r);
      const json = r.result['json_result'];
      expect(json.incident_id).to.equal(withAll['incidentId']);
      expect(json.incident_url).to.equal(withAll['incidentWebUrl']);
      for (const k of ['id', 'title', 'status', 'evidence', 'comments', 'customDetails', 'systemTags', 'mitreTechniques', 'alertWebUrl', 'detectorId']) expect(json.alert[k], k).to.deep.equal(withAll[k]);
      expect(r.result['output_message']).to.match(new RegExp(`^Alert ${withAll['id']} ".*": .*, in incident ${withAll['incidentId']}\\.$`));
      expect(r.result['tables'][0].rows).to.have.length((withAll['evidence'] as Json[]).length);
    });

    it('a missing alert: NOT_FOUND; an id that is not one: exit 2 with nothing sent', async () => {
      const missing = await run(GET, env(), { alert_id: 'da000000000000000000_-1' });
      expect(missing.code).to.equal(1);
      expectFailure(missing, 'NOT_FOUND', /da000000000000000000_-1/);
      for (const bad of ['../incidents/1', 'a b', 'x?y=1', '']) {
        const seq = emulator.lastSeq();
        const r = await run(GET, env(), { alert_id: bad });
        expect(r.code, bad).to.equal(2);
        expectFailure(r, 'INVALID_INPUT', /alert_id/);
        expect(em.requests(seq)).to.deep.equal([]);
      }
    });
  });

  describe('Update Alert', () => {
    it('changes status, classification, determination, assignment and custom details in one PATCH, naming each change', async () => {
      const id = newAlert({ status: 'new', classification: 'unknown', determination: 'unknown', assignedTo: null });
      const before = em.alert(id) as Json;
      const seq = emulator.lastSeq();
      const r = await run(UPDATE, env(), { alert_id: id, status: 'In Progress', classification: 'True Positive', determination: 'Malware', assign_to: 'analyst@contoso.com', custom_details: '{"ticket": "INC-42", "owner": "soc"}' });
      expectCompleted(r);
      expect(apiRequests(em, seq).map((q) => `${q.method} ${q.path} ${q.status}`)).to.deep.equal([`GET /v1.0/security/alerts_v2/${id} 200`, `PATCH /v1.0/security/alerts_v2/${id} 200`]);
      const now = em.alert(id) as Json;
      expect(now).to.include({ status: 'inProgress', classification: 'truePositive', determination: 'malware', assignedTo: 'analyst@contoso.com' });
      expect(now['customDetails']).to.deep.equal({ ...(before['customDetails'] as Json), ticket: 'INC-42', owner: 'soc' });
      expect(r.result['json_result'].changes).to.deep.equal(['status In Progress', 'classification True Positive', 'determination Malware', 'assigned to analyst@contoso.com', 'custom details ticket, owner']);
      expect(r.result['json_result'].alert).to.include({ status: 'inProgress', determination: 'malware' });
      expect(r.result['output_message']).to.equal(`Alert ${id} updated: status In Progress, classification True Positive, determination Malware, assigned to analyst@contoso.com, custom details ticket, owner.`);
    });

    it('an update that finds the alert already as asked sends nothing and completes: a repeated playbook step does not fail', async () => {
      const id = newAlert({ status: 'resolved', classification: 'falsePositive', determination: 'notMalicious', assignedTo: 'bob@contoso.com' });
      const input = { alert_id: id, status: 'Resolved', classification: 'False Positive', determination: 'Not Malicious', assign_to: 'bob@contoso.com' };
      const seq = emulator.lastSeq();
      const r = await run(UPDATE, env(), input);
      expectCompleted(r);
      expect(r.result['result_value']).to.equal(true);
      expect(r.result['output_message']).to.match(/already is as asked .*; nothing had to change, and nothing was sent\.$/);
      expect(r.result['json_result'].changes).to.deep.equal([]);
      expect(apiRequests(em, seq).map((q) => q.method)).to.deep.equal(['GET']);
      // the same step run twice: the second finds it done
      const id2 = newAlert({ status: 'new' });
      const first = await run(UPDATE, env(), { alert_id: id2, status: 'resolved', custom_details: { ticket: 'INC-7' } });
      expectCompleted(first);
      const seq2 = emulator.lastSeq();
      const again = await run(UPDATE, env(), { alert_id: id2, status: 'resolved', custom_details: { ticket: 'INC-7' } });
      expectCompleted(again);
      expect(again.result['json_result'].changes).to.deep.equal([]);
      expect(apiRequests(em, seq2).map((q) => q.method)).to.deep.equal(['GET']);
    });

    it('takes the update page\'s determination names and sends the metadata\'s', async () => {
      const id = newAlert({ classification: 'unknown', determination: 'unknown' });
      const r = await run(UPDATE, env(), { alert_id: id, classification: 'falsePositive', determination: 'clean' });
      expectCompleted(r);
      expect(em.alert(id)).to.include({ classification: 'falsePositive', determination: 'notMalicious' });
    });

    it('checks the determination against the classification with the incidents\' table: refused before anything is sent, or before the PATCH', async () => {
      const id = newAlert({ classification: 'truePositive', determination: 'malware' });
      const seq = emulator.lastSeq();
      const pair = await run(UPDATE, env(), { alert_id: id, classification: 'False Positive', determination: 'Malware' });
      expect(pair.code).to.equal(2);
      expectFailure(pair, 'INVALID_INPUT', /^Classification 'False Positive' does not allow determination 'Malware'; allowed: Not Malicious, Not Enough Data To Validate, Other/);
      const alone = await run(UPDATE, env(), { alert_id: id, classification: 'False Positive' });
      expectFailure(alone, 'INVALID_INPUT', /does not allow the alert's current determination 'Malware'; give a determination too: Not Malicious, Not Enough Data To Validate, Other/);
      expect(em.requests(seq).filter((q) => q.method === 'PATCH')).to.deep.equal([]);
      expect(em.alert(id)).to.include({ classification: 'truePositive', determination: 'malware' });
    });

    it('refuses bad input by name, exit 2, with nothing sent', async () => {
      const id = newAlert();
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{}, /^Nothing to update: give at least one of status, classification, determination, assign_to, custom_details\.$/],
        [{ status: 'Active' }, /^Parameter 'status' must be a status: one of New, In Progress, Resolved; got 'Active'\.$/],
        [{ determination: 'Ransomware' }, /^Parameter 'determination' must be a determination/],
        [{ custom_details: '{"ticket": 42}' }, /^Parameter 'custom_details' must hold only strings; 'ticket' is a number\.$/],
        [{ custom_details: 'ticket=42' }, /custom_details' must be a JSON object of strings/],
        [{ custom_details: { t: 5 } }, /custom_details/],
        [{ assign_to: 'x'.repeat(321) }, /assign_to.*at most 320 characters/],
        [{ assign_to: 'bob\u0000@contoso.com' }, /Parameter 'assign_to' contains the control character U\+0000/],
      ];
      for (const [input, message] of cases) {
        const seq = emulator.lastSeq();
        const r = await run(UPDATE, env(), { alert_id: id, ...input });
        expect(r.code, JSON.stringify(input)).to.equal(2);
        expectFailure(r, 'INVALID_INPUT', message);
        expect(em.requests(seq), JSON.stringify(input)).to.deep.equal([]);
      }
    });

    it('the read-only app: PERMISSION naming SecurityAlert.ReadWrite.All on Microsoft Graph, nothing changed', async () => {
      const id = newAlert({ status: 'new' });
      const r = await run(UPDATE, { ...em.env, ...readonly() }, { alert_id: id, status: 'Resolved' });
      expect(r.code).to.equal(1);
      expectFailure(r, 'PERMISSION', /^The app lacks the SecurityAlert\.ReadWrite\.All application permission \(with admin consent\) that updating alert .* needs on Microsoft Graph/);
      expect((em.alert(id) as Json)['status']).to.equal('new');
    });

    it('a missing alert: NOT_FOUND, nothing sent but the read', async () => {
      const seq = emulator.lastSeq();
      const r = await run(UPDATE, env(), { alert_id: 'da000000000000000000_-2', status: 'Resolved' });
      expectFailure(r, 'NOT_FOUND', /da000000000000000000_-2/);
      expect(apiRequests(em, seq).map((q) => `${q.method} ${q.status}`)).to.deep.equal(['GET 404']);
    });
  });

  describe('Add Comment To Alert', () => {
    const TEXT = 'Analyst said "contain it" — naïve café ✓ 事件\nsecond line\n\tindented, with \'quotes\' & <tags>';
    const comments = (id: string): string[] => ((em.alert(id) as Json)['comments'] as Json[]).map((c) => c['comment']);

    it('adds the comment once and returns the alert\'s comments, Microsoft\'s whole list', async () => {
      const id = newAlert();
      const before = comments(id);
      const seq = emulator.lastSeq();
      const r = await run(COMMENT, env(), { alert_id: id, comment: TEXT });
      expectCompleted(r);
      expect(apiRequests(em, seq).map((q) => `${q.method} ${q.path} ${q.status}`)).to.deep.equal([`POST /v1.0/security/alerts_v2/${id}/comments 200`]);
      expect(comments(id)).to.deep.equal([...before, TEXT]);
      expect(r.result['json_result'].comments.map((c: Json) => c['comment'])).to.deep.equal([...before, TEXT]);
      expect(r.result['json_result']).to.include({ alert_id: id, comment: TEXT });
      expect(r.result['output_message']).to.equal(`Comment added to alert ${id} (${before.length + 1} comment${before.length + 1 === 1 ? '' : 's'} now).`);
    });

    it('refuses a blank comment, a control character and a missing alert id before anything is sent', async () => {
      const id = newAlert();
      for (const input of [{ alert_id: id, comment: '  \n ' }, { alert_id: id, comment: 'a\u0007b' }, { comment: 'x' }, { alert_id: id, comment: 'x'.repeat(30_001) }]) {
        const seq = emulator.lastSeq();
        const r = await run(COMMENT, env(), input);
        expect(r.code, JSON.stringify(input).slice(0, 80)).to.equal(2);
        expect(em.requests(seq)).to.deep.equal([]);
      }
    });

    const unknownOutcome: Array<[string, Parameters<Emulator['addFault']>[0], string]> = [
      ['a reset connection', { kind: 'reset', count: 3 }, 'NETWORK'],
      ['a truncated answer', { kind: 'truncate', count: 3 }, 'NETWORK'],
      ['a 504', { kind: 'status', status: 504, count: 3 }, 'API_ERROR'],
    ];
    for (const [what, fault, code] of unknownOutcome) {
      it(`is never posted twice: ${what} fails the run after one POST, saying the comment may already be there`, async () => {
        const id = newAlert();
        const before = comments(id).length;
        em.addFault({ ...fault, match: { method: 'POST', path: `/v1.0/security/alerts_v2/${id}/comments` } });
        const seq = emulator.lastSeq();
        const r = await run(COMMENT, env(), { alert_id: id, comment: `once only (${what})` });
        expect(r.code).to.equal(1);
        expectFailure(r, code, new RegExp(`The comment may already be on alert ${id}: look at its comments \\(Get Alert\\) before adding it again\\.$`));
        expect(apiRequests(em, seq).filter((q) => q.method === 'POST'), 'one POST, not retried').to.have.length(1);
        expect(comments(id).length - before).to.be.at.most(1);
        expect(em.faults()[0]!.remaining).to.equal(2);
      });
    }

    it('a 429 (not applied) is retried, and the comment lands exactly once', async () => {
      const id = newAlert();
      const before = comments(id);
      em.addFault({ kind: 'status', status: 429, retryAfter: 1, count: 1, match: { method: 'POST', path: `/v1.0/security/alerts_v2/${id}/comments` } });
      const seq = emulator.lastSeq();
      const r = await run(COMMENT, env(), { alert_id: id, comment: 'after throttling' });
      expectCompleted(r);
      expect(apiRequests(em, seq).map((q) => q.status)).to.deep.equal([429, 200]);
      expect(comments(id)).to.deep.equal([...before, 'after throttling']);
    });

    it('the read-only app: PERMISSION naming SecurityAlert.ReadWrite.All', async () => {
      const id = newAlert();
      const before = comments(id);
      const r = await run(COMMENT, { ...em.env, ...readonly() }, { alert_id: id, comment: 'not allowed' });
      expectFailure(r, 'PERMISSION', /SecurityAlert\.ReadWrite\.All .*Microsoft Graph/);
      expect(comments(id)).to.deep.equal(before);
    });
  });
});

describe('The alert actions with the Defender XDR API configured: alerts go to Microsoft Graph', function () {
  this.timeout(120_000);
  // 2,500 alerts: a search of 1,500 takes two pages, the second by Graph's nextLink under graph.microsoft.com
  const emulator = useEmulator({ seed: 15, alerts: 2500, quotas: false }, 'alerts-defender');
  let em: Emulator;
  let proxy: TestProxy;
  before(async () => {
    em = emulator.em;
    proxy = await startProxy({ hosts: { 'graph.microsoft.com:443': em.port, 'api.security.microsoft.com:443': em.port } });
  });
  after(async () => proxy?.close());
  /** the configuration of a Defender XDR user: Microsoft's Defender host; the login and the proxy on loopback */
  const env = (extra: Record<string, string> = {}) => ({
    M365D_API_URL: 'https://api.security.microsoft.com',
    M365D_LOGIN_URL: em.origin,
    M365D_PROXY_URL: proxy.url,
    M365D_TENANT_ID: em.tenantId,
    M365D_CLIENT_ID: em.env.M365D_CLIENT_ID,
    M365D_CLIENT_SECRET: em.env.M365D_CLIENT_SECRET,
    M365D_CA_CERTIFICATE: em.caPem,
    M365D_STATE_DIR: emulator.freshState(),
    ...extra,
  });

  it('searches alerts on graph.microsoft.com with a Graph token, following Graph\'s nextLink there, while incidents stay on the Defender XDR API', async () => {
    const e = env();
    const seq = emulator.lastSeq();
    const r = await run(SEARCH, e, { max_results: '1500' });
    expectCompleted(r);
    expect(r.result['json_result']).to.include({ count: 1500, more_available: true, pages_read: 2 });
    const sent = em.requests(seq);
    const tokens = sent.filter((q) => q.grantType);
    expect(tokens.map((q) => q.scope)).to.deep.equal(['https://graph.microsoft.com/.default']);
    expect(apiRequests(em, seq).map((q) => q.path)).to.deep.equal(['/v1.0/security/alerts_v2', '/v1.0/security/alerts_v2']);
    expect(decoded(apiRequests(em, seq)[1]!)).to.match(/\$skip=1000/);
    const incident = String(r.result['json_result'].alerts[0].incidentId);
    const seq2 = emulator.lastSeq();
    const inc = await run(GET_INCIDENT, e, { incident_id: incident });
    expectCompleted(inc);
    expect(apiRequests(em, seq2).map((q) => q.path)).to.deep.equal([`/api/incidents/${incident}`]);
    expect(em.requests(seq2).filter((q) => q.grantType).map((q) => q.scope)).to.deep.equal(['https://api.security.microsoft.com/.default']);
    // nothing but loopback: the names went only to the proxy, which tunnelled them to the emulator
    expect([...new Set(proxy.connects.map((c) => c.target))].sort()).to.deep.equal(['api.security.microsoft.com:443', 'graph.microsoft.com:443', `127.0.0.1:${em.port}`].sort());
    expect(proxy.connects.every((c) => c.status === 200)).to.equal(true);
  });

  it('gets, updates and comments on an alert through Graph; the read-only app lacks SecurityAlert.ReadWrite.All, named', async () => {
    const e = env();
    const found = await run(SEARCH, e, { status: 'New', max_results: '1' });
    const id = found.result['json_result'].alerts[0].id as string;
    const got = await run(GET, e, { alert_id: id });
    expectCompleted(got);
    expect(got.result['json_result'].incident_url).to.match(/^https:\/\/security\.microsoft\.com\/incidents\//);
    const upd = await run(UPDATE, e, { alert_id: id, status: 'In Progress', assign_to: 'xdr-user@contoso.com' });
    expectCompleted(upd);
    expect(em.alert(id)).to.include({ status: 'inProgress', assignedTo: 'xdr-user@contoso.com' });
    const com = await run(COMMENT, e, { alert_id: id, comment: 'from a Defender XDR configuration' });
    expectCompleted(com);
    const ro = em.app('readonly');
    const denied = await run(UPDATE, env({ M365D_CLIENT_ID: ro.clientId, M365D_CLIENT_SECRET: ro.clientSecret! }), { alert_id: id, status: 'Resolved' });
    expectFailure(denied, 'PERMISSION', /^The app lacks the SecurityAlert\.ReadWrite\.All application permission \(with admin consent\) that updating alert .* needs on Microsoft Graph/);
  });
});
