import { expect } from 'chai';
import {
  ALERT_PAGE,
  alertFilter,
  alertFromAlertsV2,
  checkAlertId,
  checkText,
  incidentOf,
  localFilter,
  parseAlertStatus,
  parseCustomDetails,
  parseDetectionSource,
  parseServiceSource,
  planAlertUpdate,
  searchAlerts,
  type AlertRecord,
} from '../../../lib/defender/alerts';
import type { ApiCall, DefenderApi } from '../../../lib/defender/api';
import { parseDetermination } from '../../../lib/defender/model';
import { parseList } from '../../../lib/defender/lists';
import { queryString } from '../../../lib/defender/odata';
import type { Logger } from '../../../lib/runtime/log';
// The emulator's OData parser and alert model are the independent model of Microsoft's; tests may use them, lib/ may not.
import { evaluate, parseFilter, parseQueryString } from '../../emulator/tenant/odata';
import { ALERT_MODEL } from '../../emulator/tenant/alerts';
import type { Alert as EmAlert } from '../../emulator/tenant/model';
import { parseStamp } from '../../emulator/tenant/model';
import { actionErrorOf, syncActionErrorOf } from '../../support/errors';

/** The list answer's example alert of security-list-alerts_v2.md, shortened. */
const SAMPLE = {
  '@odata.type': '#microsoft.graph.security.alert',
  id: 'da637551227677560813_-961444813',
  providerAlertId: 'da637551227677560813_-961444813',
  incidentId: '28282',
  status: 'new',
  severity: 'low',
  classification: 'unknown',
  determination: 'unknown',
  serviceSource: 'microsoftDefenderForEndpoint',
  detectionSource: 'antivirus',
  detectorId: 'e0da400f-affd-43ef-b1d5-afc2eb6f2756',
  tenantId: 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c',
  title: 'Suspicious execution of hidden file',
  description: 'A hidden file has been launched.',
  recommendedActions: 'Collect artifacts and determine scope',
  category: 'DefenseEvasion',
  assignedTo: null,
  alertWebUrl: 'https://security.microsoft.com/alerts/da637551227677560813_-961444813?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c',
  incidentWebUrl: 'https://security.microsoft.com/incidents/28282?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c',
  actorDisplayName: null,
  threatDisplayName: null,
  threatFamilyName: null,
  mitreTechniques: ['T1564.001'],
  createdDateTime: '2021-04-27T12:19:27.7211305Z',
  lastUpdateDateTime: '2021-05-02T14:19:01.3266667Z',
  resolvedDateTime: null,
  firstActivityDateTime: '2021-04-26T07:45:50.116Z',
  lastActivityDateTime: '2021-05-02T07:56:58.222Z',
  comments: [],
  evidence: [{ '@odata.type': '#microsoft.graph.security.deviceEvidence', createdDateTime: '2021-04-27T12:19:27.7211305Z', verdict: 'unknown', remediationStatus: 'none', mdeDeviceId: '73e7e2de709dff64ef64b1d0c30e67fab63279db', deviceDnsName: 'tempDns', roles: ['compromised'], tags: ['Test Machine'], vmMetadata: { vmId: 'ca1b0d41' } }],
  systemTags: ['Defender Experts'],
  customDetails: { ticket: 'INC-1' },
  aNewFieldMicrosoftAdds: { nested: [1, 2] },
};

const silent: Logger = { error() {}, warn() {}, info() {}, debug() {}, enabled: () => false };

describe('Alerts: vocabularies (labels as the portal shows them and Graph\'s values)', () => {
  it('alert statuses are new, inProgress and resolved, not the incidents\' active', () => {
    expect(['New', 'new', 'In Progress', 'inProgress', 'in_progress', 'RESOLVED'].map((s) => parseAlertStatus(s, 'status'))).to.deep.equal(['new', 'new', 'inProgress', 'inProgress', 'inProgress', 'resolved']);
    expect(syncActionErrorOf('INVALID_INPUT', () => parseAlertStatus('Active', 'status'))).to.equal("Parameter 'status' must be a status: one of New, In Progress, Resolved; got 'Active'.");
    expect(parseList('New, In Progress', parseAlertStatus, 'status')).to.deep.equal(['new', 'inProgress']);
  });

  it('service and detection sources: Graph values, portal labels and the older product names', () => {
    expect(['Microsoft Defender for Endpoint', 'microsoftDefenderForEndpoint', 'MDE', 'Microsoft 365 Defender', 'Microsoft Defender XDR', 'Microsoft Defender for Cloud', 'microsoftSentinel'].map((s) => parseServiceSource(s, 'service_source')))
      .to.deep.equal(['microsoftDefenderForEndpoint', 'microsoftDefenderForEndpoint', 'microsoftDefenderForEndpoint', 'microsoft365Defender', 'microsoft365Defender', 'microsoftDefenderForCloud', 'microsoftSentinel']);
    expect(syncActionErrorOf('INVALID_INPUT', () => parseServiceSource('Defender for Toasters', 'service_source'))).to.match(/^Parameter 'service_source' must be a service source: one of Microsoft Defender for Endpoint, .*Microsoft Defender for Cloud Apps, .*; got 'Defender for Toasters'\.$/);
    expect(['EDR', 'antivirus', 'Custom TI', 'customDetection', 'Custom Detection', 'Microsoft Defender for Endpoint'].map((s) => parseDetectionSource(s, 'detection_source')))
      .to.deep.equal(['microsoftDefenderForEndpoint', 'antivirus', 'customTi', 'customDetection', 'customDetection', 'microsoftDefenderForEndpoint']);
  });

  it('the update page\'s determination names are read as the metadata\'s, which are sent', () => {
    expect(['compromisedUser', 'clean', 'insufficientData', 'confirmedUserActivity'].map((s) => parseDetermination(s, 'determination'))).to.deep.equal(['compromisedAccount', 'notMalicious', 'notEnoughDataToValidate', 'confirmedActivity']);
  });
});

describe('Alerts: the $filter of a search', () => {
  const em = (over: Partial<EmAlert>): EmAlert => ({
    id: 'da1', incidentId: 1, status: 'new', severity: 'high', classification: 'unknown', determination: 'unknown', serviceSource: 'microsoftDefenderForEndpoint',
    detectionSource: 'antivirus', detectorId: 'x', title: 't', description: 'd', category: 'c', recommendedActions: 'r', assignedTo: null, mitreTechniques: [],
    threatFamilyName: null, investigationId: null, investigationState: 'Queued', created: parseStamp('2026-05-01T10:00:00Z')!, lastUpdate: parseStamp('2026-05-02T10:00:00Z')!,
    resolved: null, firstActivity: parseStamp('2026-05-01T09:00:00Z')!, lastActivity: parseStamp('2026-05-01T09:30:00Z')!, evidence: [], comments: [], customDetails: {}, ...over,
  });

  it('writes every documented field, values quoted, lists as or chains, and the service reads it as meant', () => {
    const filter = alertFilter({
      statuses: ['new', 'inProgress'], severities: ['high'], classifications: ['truePositive'], determinations: ['malware', 'phishing'],
      serviceSources: ['microsoftDefenderForEndpoint'], assignedTo: "o'brien@contoso.com",
      createdFrom: new Date('2026-05-01T00:00:00Z'), createdTo: new Date('2026-05-31T00:00:00Z'), updatedFrom: new Date('2026-05-01T00:00:00Z'),
    })!;
    expect(filter).to.equal(
      "((status eq 'new' or status eq 'inProgress') and severity eq 'high' and classification eq 'truePositive' and (determination eq 'malware' or determination eq 'phishing')" +
        " and serviceSource eq 'microsoftDefenderForEndpoint' and assignedTo eq 'o''brien@contoso.com' and createdDateTime ge 2026-05-01T00:00:00.000Z" +
        ' and createdDateTime le 2026-05-31T00:00:00.000Z and lastUpdateDateTime ge 2026-05-01T00:00:00.000Z)',
    );
    const sent = parseQueryString(queryString({ $filter: filter, $top: ALERT_PAGE })).get('$filter')!;
    expect(sent).to.equal(filter);
    const pred = parseFilter(sent, ALERT_MODEL);
    const base = { classification: 'truePositive', determination: 'malware', assignedTo: "o'brien@contoso.com" };
    expect(evaluate(pred, em(base))).to.equal(true);
    expect(evaluate(pred, em({ ...base, status: 'resolved' }))).to.equal(false);
    expect(evaluate(pred, em({ ...base, determination: 'phishing', status: 'inProgress' }))).to.equal(true);
    expect(evaluate(pred, em({ ...base, assignedTo: 'obrien@contoso.com' }))).to.equal(false);
    expect(evaluate(pred, em({ ...base, created: parseStamp('2026-06-01T00:00:00Z')! }))).to.equal(false);
    expect(alertFilter({})).to.equal(undefined);
  });

  it('a quote in a value stays inside its literal', () => {
    const filter = alertFilter({ assignedTo: "x' or status eq 'new" })!;
    expect(filter).to.equal("assignedTo eq 'x'' or status eq ''new'");
    const pred = parseFilter(filter, ALERT_MODEL);
    expect(evaluate(pred, em({ assignedTo: "x' or status eq 'new" }))).to.equal(true);
    expect(evaluate(pred, em({ assignedTo: null }))).to.equal(false);
  });

  it('detection source and incident id, which the API cannot filter, are checked on each alert', () => {
    expect(localFilter({})).to.equal(undefined);
    const keep = localFilter({ detectionSources: ['antivirus', 'customDetection'], incidentId: '28282' })!;
    const a = alertFromAlertsV2(SAMPLE);
    expect(keep(a)).to.equal(true);
    expect(keep({ ...a, incidentId: '28283' })).to.equal(false);
    expect(keep({ ...a, detectionSource: 'smartScreen' })).to.equal(false);
  });
});

describe('Alerts: Microsoft\'s alert as it came', () => {
  it('keeps every field Microsoft sent, with its value, and the model\'s fields', () => {
    const a = alertFromAlertsV2(structuredClone(SAMPLE));
    expect(a).to.deep.equal(SAMPLE);
    expect(Object.keys(a)).to.include.members(Object.keys(SAMPLE));
  });

  it('fills the model\'s fields an answer leaves out, without touching the rest', () => {
    const a = alertFromAlertsV2({ id: 'fa1_2', lastUpdateDateTime: '2026-05-01T00:00:00Z', extra: 1 });
    expect(a).to.include({ id: 'fa1_2', status: 'unknown', title: '', incidentId: null, extra: 1 });
    expect(a.evidence).to.deep.equal([]);
  });

  it('an answer of the wrong shape is API_ERROR saying what came, never nothing', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /an alert that is null/],
      ['x', /an alert that is a string/],
      [[], /a list/],
      [{ title: 'no id' }, /id is missing/],
      [{ id: 'a b', lastUpdateDateTime: '2026-05-01T00:00:00Z' }, /id is "a b"/],
      [{ ...SAMPLE, status: 5 }, /status that is not text/],
      [{ ...SAMPLE, evidence: {} }, /evidence that is not a list/],
      [{ ...SAMPLE, evidence: ['x'] }, /evidence that is not an object/],
      [{ ...SAMPLE, comments: [{ comment: 1 }] }, /a comment that has no text/],
      [{ ...SAMPLE, customDetails: 'x' }, /customDetails that are not an object/],
      [{ ...SAMPLE, lastUpdateDateTime: undefined }, /without a lastUpdateDateTime/],
    ];
    for (const [json, message] of bad) expect(syncActionErrorOf('API_ERROR', () => alertFromAlertsV2(json))).to.match(message);
  });

  it('gives the incident\'s id and link: the alert\'s own, else the portal\'s incident page', () => {
    const a = alertFromAlertsV2(SAMPLE);
    expect(incidentOf(a, { cloud: 'Worldwide' })).to.deep.equal({ id: '28282', url: SAMPLE.incidentWebUrl });
    expect(incidentOf({ ...a, incidentWebUrl: null }, { cloud: 'GCC High' })).to.deep.equal({ id: '28282', url: 'https://security.microsoft.us/incidents/28282' });
    expect(incidentOf({ ...a, incidentId: null }, { cloud: 'Worldwide' })).to.deep.equal({ id: null, url: null });
  });
});

describe('Alerts: input checks', () => {
  it('alert ids as Microsoft writes them; anything that could change a URL is refused', () => {
    expect(checkAlertId(' da637551227677560813_-961444813 ')).to.equal('da637551227677560813_-961444813');
    expect(checkAlertId('fa1a2b3c4d-5e6f_1.2:3')).to.equal('fa1a2b3c4d-5e6f_1.2:3');
    for (const bad of ['', ' ', '../x', 'a/b', 'a?b', 'a#b', 'a b', '%2e', 'x'.repeat(257), '-x']) expect(syncActionErrorOf('INVALID_INPUT', () => checkAlertId(bad))).to.match(/^Parameter 'alert_id' must be an alert id/);
  });

  it('custom detail text: the one text rule (control characters, lone surrogates) by name, lengths bounded', () => {
    expect(checkText('line1\nline2\ttab', 'custom_details.note', 100)).to.equal('line1\nline2\ttab');
    expect(syncActionErrorOf('INVALID_INPUT', () => checkText('a\u0000b', 'custom_details.note', 100))).to.match(/^Parameter 'custom_details.note' contains the control character U\+0000 at position 2/);
    expect(syncActionErrorOf('INVALID_INPUT', () => checkText('a\uD83D', 'custom_details.note', 100))).to.match(/unpaired UTF-16 surrogate \(U\+D83D\) at position 2/);
    expect(syncActionErrorOf('INVALID_INPUT', () => checkText('x'.repeat(321), 'custom_details key', 320))).to.equal("Parameter 'custom_details key' must have at most 320 characters; got 321.");
    expect(checkText('😀', 'custom_details.note', 2)).to.equal('😀');
    expect(syncActionErrorOf('INVALID_INPUT', () => parseCustomDetails({ note: 'a\u0007b' }))).to.match(/^Parameter 'custom_details.note' contains the control character U\+0007/);
  });

  it('custom details: a JSON object of strings, as an object or as its text', () => {
    expect(parseCustomDetails({ ticket: 'INC-42', owner: 'soc' })).to.deep.equal({ ticket: 'INC-42', owner: 'soc' });
    expect(parseCustomDetails('{"ticket": "INC-42"}')).to.deep.equal({ ticket: 'INC-42' });
    const proto = parseCustomDetails('{"__proto__": "x"}');
    expect(Object.keys(proto)).to.deep.equal(['__proto__']);
    expect(Object.getPrototypeOf(proto)).to.equal(Object.prototype);
    for (const [input, message] of [
      ['{not json', /text that is not JSON/],
      ['[1]', /got a list/],
      [{ n: 5 }, /'n' is a number/],
      [{ n: null }, /'n' is null/],
      [{ '': 'x' }, /an empty key/],
      [{ k: 'a\u0000' }, /custom_details\.k' contains the control character/],
      [Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])), /at most 50 keys; got 51/],
    ] as Array<[unknown, RegExp]>) {
      expect(syncActionErrorOf('INVALID_INPUT', () => parseCustomDetails(input))).to.match(message);
    }
  });
});

describe('Alerts: update planning', () => {
  const alert = (over: Partial<AlertRecord> = {}): AlertRecord => ({ ...alertFromAlertsV2(SAMPLE), ...over });

  it('sends only what changes, the classification with a determination, and custom details whole', () => {
    const plan = planAlertUpdate(alert(), { status: 'inProgress', determination: 'malware', classification: 'truePositive', assignedTo: 'bob@contoso.com', customDetails: { ticket: 'INC-1', owner: 'soc' } });
    expect(plan.change).to.deep.equal({ status: 'inProgress', classification: 'truePositive', determination: 'malware', assignedTo: 'bob@contoso.com', customDetails: { ticket: 'INC-1', owner: 'soc' } });
    expect(plan.summary).to.deep.equal(['status In Progress', 'classification True Positive', 'determination Malware', 'assigned to bob@contoso.com', 'custom detail owner']);
    const current = alert({ classification: 'truePositive', determination: 'unknown' });
    expect(planAlertUpdate(current, { determination: 'phishing' }).change).to.deep.equal({ determination: 'phishing', classification: 'truePositive' });
  });

  it('an alert already as asked gives an empty plan: nothing is sent', () => {
    const current = alert({ status: 'resolved', classification: 'falsePositive', determination: 'notMalicious', assignedTo: 'bob@contoso.com' });
    const plan = planAlertUpdate(current, { status: 'resolved', classification: 'falsePositive', determination: 'notMalicious', assignedTo: 'bob@contoso.com', customDetails: { ticket: 'INC-1' } });
    expect(plan).to.deep.equal({ change: {}, summary: [] });
  });

  it('checks the determination against the classification with the incidents\' table', () => {
    expect(syncActionErrorOf('INVALID_INPUT', () => planAlertUpdate(alert(), { classification: 'falsePositive', determination: 'malware' }))).to.match(/^Classification 'False Positive' does not allow determination 'Malware'; allowed: Not Malicious, Not Enough Data To Validate, Other/);
    expect(syncActionErrorOf('INVALID_INPUT', () => planAlertUpdate(alert({ classification: 'truePositive', determination: 'malware' }), { classification: 'falsePositive' }))).to.match(/does not allow the alert's current determination 'Malware'; give a determination too/);
    expect(syncActionErrorOf('INVALID_INPUT', () => planAlertUpdate(alert(), { determination: 'other' }))).to.match(/^Classification 'Unknown' does not allow determination 'Other'/);
    expect(planAlertUpdate(alert({ classification: 'truePositive', determination: 'malware' }), { classification: 'unknown', determination: 'unknown' }).change).to.deep.equal({ classification: 'unknown', determination: 'unknown' });
  });
});

describe('Alerts: paging', () => {
  const fakeApi = (pages: Record<string, unknown>): { api: DefenderApi; calls: ApiCall[] } => {
    const calls: ApiCall[] = [];
    const api = {
      flavor: 'graph',
      apiUrl: 'https://graph.microsoft.com',
      name: 'Microsoft Graph',
      async call(call: ApiCall): Promise<unknown> {
        calls.push(call);
        const page = pages[call.path];
        if (page === undefined) throw new Error(`no page for ${call.path}`);
        return page;
      },
    } as unknown as DefenderApi;
    return { api, calls };
  };
  const link = (p: string) => `https://graph.microsoft.com${p}`;
  const alerts = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ ...SAMPLE, id: `da${from + i}_1`, createdDateTime: new Date(Date.UTC(2026, 0, 1) + (from + i) * 1000).toISOString() }));

  it('follows @odata.nextLink up to max_results, newest first, evidence left out on request', async () => {
    const first = `/v1.0/security/alerts_v2?$top=5`;
    const { api, calls } = fakeApi({
      [first]: { value: alerts(3, 0), '@odata.nextLink': link('/v1.0/security/alerts_v2?$top=5&$skip=3') },
      '/v1.0/security/alerts_v2?$top=5&$skip=3': { value: alerts(3, 3), '@odata.nextLink': link('/v1.0/security/alerts_v2?$top=5&$skip=6') },
    });
    const r = await searchAlerts(api, { includeEvidence: false, maxResults: 5 }, silent);
    expect(calls.map((c) => c.path)).to.deep.equal([first, '/v1.0/security/alerts_v2?$top=5&$skip=3']);
    expect(r.alerts.map((a) => a.id)).to.deep.equal(['da5_1', 'da4_1', 'da3_1', 'da2_1', 'da1_1']);
    expect(r.moreAvailable).to.equal(true);
    expect(r.pagesRead).to.equal(2);
    expect(r.alerts.every((a) => !('evidence' in a))).to.equal(true);
    expect(calls.every((c) => c.capability === 'readAlerts')).to.equal(true);
  });

  it('refuses a search whose URL would be too long for Graph before anything is sent', async () => {
    const { api, calls } = fakeApi({});
    const err = await actionErrorOf('INVALID_INPUT', () => searchAlerts(api, { includeEvidence: false, maxResults: 5, assignedTo: '漢'.repeat(320) }, silent));
    expect(err).to.match(/Searching alerts/).and.to.match(/assigned_to/);
    expect(calls).to.have.length(0);
  });

  it('is bounded (the shared pager): a link seen before, an empty page with a nextLink, and a link off the API are API_ERROR', async () => {
    const first = `/v1.0/security/alerts_v2?$top=5`;
    const search = (api: DefenderApi) => searchAlerts(api, { includeEvidence: false, maxResults: 5 }, silent);
    const again = fakeApi({ [first]: { value: alerts(1), '@odata.nextLink': link('/v1.0/b') }, '/v1.0/b': { value: alerts(1, 1), '@odata.nextLink': link('/v1.0/b') } });
    expect(await actionErrorOf('API_ERROR', () => search(again.api))).to.match(/an @odata.nextLink to a page already read/);
    const empty = fakeApi({ [first]: { value: [], '@odata.nextLink': link('/v1.0/b') } });
    expect(await actionErrorOf('API_ERROR', () => search(empty.api))).to.match(/an empty page that still has an @odata.nextLink/);
    const elsewhere = fakeApi({ [first]: { value: alerts(1), '@odata.nextLink': 'https://evil.example/v1.0/x' } });
    expect(await actionErrorOf('API_ERROR', () => search(elsewhere.api))).to.match(/was not followed/);
    expect(elsewhere.calls.length).to.equal(1);
    const broken = fakeApi({ [first]: { value: null } });
    expect(await actionErrorOf('API_ERROR', () => search(broken.api))).to.match(/a 'value' that is null/);
  });

  it('with a filter the API cannot apply, reads pages of 1000 and stops after 20 with more_available', async () => {
    let n = 0;
    const calls: string[] = [];
    const api = { flavor: 'graph', apiUrl: 'https://graph.microsoft.com', name: 'Microsoft Graph', call: async (c: ApiCall) => (calls.push(c.path), { value: alerts(2, 2 * n), '@odata.nextLink': link(`/p${++n}`) }) } as unknown as DefenderApi;
    const r = await searchAlerts(api, { incidentId: '99', includeEvidence: true, maxResults: 10 }, silent);
    expect(calls[0]).to.equal(`/v1.0/security/alerts_v2?$top=${ALERT_PAGE}`);
    expect(calls).to.have.length(20);
    expect(r).to.deep.include({ alerts: [], moreAvailable: true, pagesLeft: true, pagesRead: 20 });
  });
});
