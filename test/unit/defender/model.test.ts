// The incident model's vocabularies, Microsoft's classification → determination table, and incidentFromGraph over
// Microsoft's documented examples (test/fixtures/defender/: graph-get-incident.json from microsoft-graph-docs-contrib
// api-reference/v1.0/api/security-incident-get.md; graph-list-incidents.json and graph-list-incidents-expand-alerts.json
// from security-list-incidents.md examples 1 and 2, commit 0113240af3b9c33ee9076b502e0c391e0aa87745; the only edits
// make them JSON: two trailing commas removed in example 2).
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ALERT_STATUSES,
  CLASSIFICATIONS,
  CLASSIFICATION_OF_DETERMINATION,
  DETERMINATIONS,
  DETERMINATIONS_BY_CLASSIFICATION,
  INCIDENT_STATUSES,
  SEVERITIES,
  alertFromGraph,
  type Classification,
  type Determination,
  checkDetermination,
  incidentFromGraph,
  label,
  parseClassification,
  parseDetermination,
  parseSeverity,
  parseStatus,
} from '../../../lib/defender/model';
import { syncActionErrorOf } from '../../support/errors';
import { repoRoot } from '../../support/paths';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'defender', name), 'utf8')) as Record<string, unknown>;
const first = (list: Record<string, unknown>): unknown => (list.value as unknown[])[0];

describe('defender model: enums', () => {
  it('are the Graph v1.0 metadata members without unknownFutureValue', () => {
    expect(INCIDENT_STATUSES).to.deep.equal(['active', 'inProgress', 'resolved', 'redirected', 'awaitingAction']);
    expect(SEVERITIES).to.deep.equal(['unknown', 'informational', 'low', 'medium', 'high']);
    expect(CLASSIFICATIONS).to.deep.equal(['unknown', 'falsePositive', 'truePositive', 'informationalExpectedActivity']);
    // reference §2.3: the alertDetermination members of the service metadata, in order
    expect(DETERMINATIONS).to.deep.equal([
      'unknown', 'apt', 'malware', 'securityPersonnel', 'securityTesting', 'unwantedSoftware', 'other', 'multiStagedAttack',
      'compromisedAccount', 'phishing', 'maliciousUserActivity', 'notMalicious', 'notEnoughDataToValidate', 'confirmedActivity',
      'lineOfBusinessApplication',
    ]);
    for (const list of [INCIDENT_STATUSES, SEVERITIES, CLASSIFICATIONS, DETERMINATIONS, ALERT_STATUSES]) {
      expect(list).not.to.include('unknownFutureValue');
    }
  });
});

describe('defender model: parsers', () => {
  const parsers = [
    { name: 'status', parse: parseStatus, values: INCIDENT_STATUSES },
    { name: 'severity', parse: parseSeverity, values: SEVERITIES },
    { name: 'classification', parse: parseClassification, values: CLASSIFICATIONS },
    { name: 'determination', parse: parseDetermination, values: DETERMINATIONS },
  ] as const;

  for (const { name, parse, values } of parsers) {
    it(`every ${name} round-trips through its label, and through its value in any case`, () => {
      const labels = new Set<string>();
      for (const value of values) {
        const l = label(value);
        labels.add(l);
        expect(l, value).to.match(/^[A-Z]/);
        expect((parse as (i: unknown, p: string) => string)(l, name), l).to.equal(value);
        expect((parse as (i: unknown, p: string) => string)(value, name)).to.equal(value);
        expect((parse as (i: unknown, p: string) => string)(value.toUpperCase(), name)).to.equal(value);
        expect((parse as (i: unknown, p: string) => string)(`  ${l.toLowerCase()}  `, name)).to.equal(value);
      }
      expect(labels.size, 'labels are distinct').to.equal(values.length);
    });
  }

  it('takes the spellings people and Microsoft use', () => {
    const cases: Array<[(i: unknown, p: string) => string, string, string]> = [
      [parseStatus, 'In Progress', 'inProgress'],
      [parseStatus, 'in_progress', 'inProgress'],
      [parseStatus, 'IN-PROGRESS', 'inProgress'],
      [parseStatus, 'inprogress', 'inProgress'],
      [parseStatus, 'InProgress', 'inProgress'],
      [parseStatus, 'Active', 'active'],
      [parseStatus, 'RESOLVED', 'resolved'],
      [parseStatus, 'Redirected', 'redirected'],
      [parseStatus, 'awaiting action', 'awaitingAction'],
      [parseSeverity, 'UnSpecified', 'unknown'],
      [parseSeverity, 'unspecified', 'unknown'],
      [parseSeverity, 'High', 'high'],
      [parseSeverity, 'INFORMATIONAL', 'informational'],
      [parseClassification, 'TRUE POSITIVE', 'truePositive'],
      [parseClassification, 'true_positive', 'truePositive'],
      [parseClassification, 'TruePositive', 'truePositive'],
      [parseClassification, 'False Positive', 'falsePositive'],
      [parseClassification, 'false-positive', 'falsePositive'],
      [parseClassification, 'Informational, expected activity', 'informationalExpectedActivity'],
      [parseClassification, 'InformationalExpectedActivity', 'informationalExpectedActivity'],
      [parseClassification, 'informational expected activity', 'informationalExpectedActivity'],
      [parseClassification, 'Unknown', 'unknown'],
      [parseDetermination, 'Multi-staged attack', 'multiStagedAttack'],
      [parseDetermination, 'multistagedattack', 'multiStagedAttack'],
      [parseDetermination, 'Multi staged attack', 'multiStagedAttack'],
      [parseDetermination, 'Multistage attack', 'multiStagedAttack'],
      [parseDetermination, 'MultiStagedAttack', 'multiStagedAttack'],
      [parseDetermination, 'Clean', 'notMalicious'],
      [parseDetermination, 'Not malicious', 'notMalicious'],
      [parseDetermination, 'InsufficientData', 'notEnoughDataToValidate'],
      [parseDetermination, 'NoEnoughDataToValidate', 'notEnoughDataToValidate'],
      [parseDetermination, 'Not enough data to validate', 'notEnoughDataToValidate'],
      [parseDetermination, 'not_enough_data_to_validate', 'notEnoughDataToValidate'],
      [parseDetermination, 'CompromisedUser', 'compromisedAccount'],
      [parseDetermination, 'CompromisedAccount', 'compromisedAccount'],
      [parseDetermination, 'compromised account', 'compromisedAccount'],
      [parseDetermination, 'ConfirmedUserActivity', 'confirmedActivity'],
      [parseDetermination, 'ConfirmedActivity', 'confirmedActivity'],
      [parseDetermination, 'NotAvailable', 'unknown'],
      [parseDetermination, 'Not Available', 'unknown'],
      [parseDetermination, 'Security test', 'securityTesting'],
      [parseDetermination, 'Security Testing', 'securityTesting'],
      [parseDetermination, 'Line-of-business application', 'lineOfBusinessApplication'],
      [parseDetermination, 'LineOfBusinessApplication', 'lineOfBusinessApplication'],
      [parseDetermination, 'Malicious user activity', 'maliciousUserActivity'],
      [parseDetermination, 'Unwanted software', 'unwantedSoftware'],
      [parseDetermination, 'Apt', 'apt'],
      [parseDetermination, 'SecurityPersonnel', 'securityPersonnel'],
      [parseDetermination, 'OTHER', 'other'],
    ];
    for (const [parse, input, expected] of cases) expect(parse(input, 'p'), input).to.equal(expected);
  });

  it('refuses a bad value naming the parameter and listing the labels of the valid values', () => {
    expect(syncActionErrorOf('INVALID_INPUT', () => parseStatus('Done', 'status'))).to.equal(
      "Parameter 'status' must be a status: one of Active, In Progress, Resolved, Redirected, Awaiting Action; got 'Done'.",
    );
    expect(syncActionErrorOf('INVALID_INPUT', () => parseClassification('Benign', 'classification'))).to.equal(
      "Parameter 'classification' must be a classification: one of Unknown, False Positive, True Positive, Informational, Expected Activity; got 'Benign'.",
    );
    const determination = syncActionErrorOf('INVALID_INPUT', () => parseDetermination('Ransomware', 'determination'));
    expect(determination).to.match(/^Parameter 'determination' must be a determination: one of Unknown, APT, Malware, .*Line-of-Business Application; got 'Ransomware'\.$/);
    expect(syncActionErrorOf('INVALID_INPUT', () => parseSeverity('critical', 'severity'))).to.include("Parameter 'severity'").and.include('Unknown, Informational, Low, Medium, High');
  });

  it('refuses unknownFutureValue, empty values and values that are not strings', () => {
    expect(syncActionErrorOf('INVALID_INPUT', () => parseStatus('unknownFutureValue', 'status'))).to.include("got 'unknownFutureValue'");
    expect(syncActionErrorOf('INVALID_INPUT', () => parseDetermination('unknown_future_value', 'determination'))).to.include('got');
    expect(syncActionErrorOf('INVALID_INPUT', () => parseSeverity('   ', 'severity'))).to.include('got an empty value');
    expect(syncActionErrorOf('INVALID_INPUT', () => parseSeverity(3, 'severity'))).to.include('got a number');
    expect(syncActionErrorOf('INVALID_INPUT', () => parseSeverity(null, 'severity'))).to.include('got null');
    expect(syncActionErrorOf('INVALID_INPUT', () => parseStatus(['Active'], 'status'))).to.include('got a list');
    // punctuation is ignored, letters are not
    expect(syncActionErrorOf('INVALID_INPUT', () => parseStatus('In Progres', 'status'))).to.include("got 'In Progres'");
  });

  it('narrows to the values a caller allows, and lists only those', () => {
    expect(parseStatus('resolved', 'status', ['active', 'inProgress', 'resolved'])).to.equal('resolved');
    expect(syncActionErrorOf('INVALID_INPUT', () => parseStatus('Redirected', 'status', ['active', 'inProgress', 'resolved']))).to.equal(
      "Parameter 'status' must be a status: one of Active, In Progress, Resolved; got 'Redirected'.",
    );
  });
});

describe('defender model: labels', () => {
  it('are the friendly names', () => {
    expect(label('inProgress')).to.equal('In Progress');
    expect(label('truePositive')).to.equal('True Positive');
    expect(label('falsePositive')).to.equal('False Positive');
    expect(label('informationalExpectedActivity')).to.equal('Informational, Expected Activity');
    expect(label('multiStagedAttack')).to.equal('Multi-staged attack');
    expect(label('notEnoughDataToValidate')).to.equal('Not Enough Data To Validate');
    expect(label('notMalicious')).to.equal('Not Malicious');
    expect(label('awaitingAction')).to.equal('Awaiting Action');
    expect(label('new')).to.equal('New');
    expect(label('unknown')).to.equal('Unknown');
  });

  it('make a readable label of a value they do not know', () => {
    expect(label('unknownFutureValue')).to.equal('Unknown Future Value');
    expect(label('someNewMember')).to.equal('Some New Member');
    expect(label('')).to.equal('');
  });
});

describe('defender model: classification → determination', () => {
  // api-update-incidents.md, "Request body", the PATCH names per classification (MicrosoftDocs/defender-docs commit
  // 0dcf84909159e1bbfecd2de48f46c5d58b31f4e1), turned into Graph names by the parser: an independent statement of the table.
  const documented: Record<string, string[]> = {
    TruePositive: ['MultiStagedAttack', 'MaliciousUserActivity', 'CompromisedAccount', 'Malware', 'Phishing', 'UnwantedSoftware', 'Other'],
    InformationalExpectedActivity: ['SecurityTesting', 'LineOfBusinessApplication', 'ConfirmedActivity', 'Other'],
    FalsePositive: ['Clean', 'NoEnoughDataToValidate', 'Other'],
  };

  it("is Microsoft's table, with other in all three, unknown for unknown, and the retired apt and securityPersonnel in none", () => {
    for (const [classification, determinations] of Object.entries(documented)) {
      const c = parseClassification(classification, 'c');
      expect([...DETERMINATIONS_BY_CLASSIFICATION[c]].sort(), classification).to.deep.equal(determinations.map((d) => parseDetermination(d, 'd')).sort());
    }
    expect(DETERMINATIONS_BY_CLASSIFICATION.unknown).to.deep.equal(['unknown']);
    for (const c of CLASSIFICATIONS) {
      expect(DETERMINATIONS_BY_CLASSIFICATION[c]).not.to.include('apt');
      expect(DETERMINATIONS_BY_CLASSIFICATION[c]).not.to.include('securityPersonnel');
    }
    // every determination but the retired two can be set under some classification
    const settable = new Set(CLASSIFICATIONS.flatMap((c) => DETERMINATIONS_BY_CLASSIFICATION[c]));
    expect(DETERMINATIONS.filter((d) => !settable.has(d))).to.deep.equal(['apt', 'securityPersonnel']);
  });

  it('accepts every valid pair and refuses every other, naming both and listing the allowed ones', () => {
    let valid = 0;
    let invalid = 0;
    for (const c of CLASSIFICATIONS) {
      for (const d of DETERMINATIONS) {
        if (DETERMINATIONS_BY_CLASSIFICATION[c].includes(d)) {
          expect(() => checkDetermination(c, d), `${c}/${d}`).not.to.throw();
          valid += 1;
        } else {
          const message = syncActionErrorOf('INVALID_INPUT', () => checkDetermination(c, d));
          expect(message).to.include(`Classification '${label(c)}' does not allow determination '${label(d)}'`);
          expect(message).to.match(new RegExp(`; allowed: ${DETERMINATIONS_BY_CLASSIFICATION[c].map(label).join(', ')}$`));
          invalid += 1;
        }
      }
    }
    expect(valid).to.equal(7 + 4 + 3 + 1);
    expect(invalid).to.equal(4 * 15 - valid);
  });

  it('words the refusal as the issue does', () => {
    expect(syncActionErrorOf('INVALID_INPUT', () => checkDetermination('falsePositive', 'malware'))).to.equal(
      "Classification 'False Positive' does not allow determination 'Malware'; allowed: Not Malicious, Not Enough Data To Validate, Other",
    );
    expect(syncActionErrorOf('INVALID_INPUT', () => checkDetermination('truePositive', 'notMalicious'))).to.equal(
      "Classification 'True Positive' does not allow determination 'Not Malicious'; allowed: Multi-staged attack, Malicious User Activity, Compromised Account, Malware, Phishing, Unwanted Software, Other",
    );
    expect(syncActionErrorOf('INVALID_INPUT', () => checkDetermination('informationalExpectedActivity', 'phishing'))).to.equal(
      "Classification 'Informational, Expected Activity' does not allow determination 'Phishing'; allowed: Security Test, Line-of-Business Application, Confirmed Activity, Other",
    );
    expect(syncActionErrorOf('INVALID_INPUT', () => checkDetermination('unknown', 'other'))).to.equal(
      "Classification 'Unknown' does not allow determination 'Other'; allowed: Unknown",
    );
  });

  it('says a retired determination was retired', () => {
    expect(syncActionErrorOf('INVALID_INPUT', () => checkDetermination('truePositive', 'apt'))).to.match(
      /^Classification 'True Positive' does not allow determination 'APT' \(Microsoft retired it in August 2022\); allowed: Multi-staged attack, /,
    );
    expect(syncActionErrorOf('INVALID_INPUT', () => checkDetermination('informationalExpectedActivity', 'securityPersonnel'))).to.include("'Security Personnel' (Microsoft retired it");
  });

  it('cannot check against a classification it does not know, and says to give one', () => {
    const message = syncActionErrorOf('INVALID_INPUT', () => checkDetermination('unknownFutureValue', 'malware'));
    expect(message).to.include("Determination 'Malware' cannot be checked against classification 'Unknown Future Value'");
    expect(message).to.include('give a classification with it (one of Unknown, False Positive, True Positive, Informational, Expected Activity)');
    expect(syncActionErrorOf('INVALID_INPUT', () => checkDetermination('truePositive', 'somethingNew'))).to.include("determination 'Something New'");
  });

  it('knows the one classification each determination implies', () => {
    const expected: Partial<Record<Determination, Classification>> = {
      malware: 'truePositive', notMalicious: 'falsePositive', confirmedActivity: 'informationalExpectedActivity', unknown: 'unknown', apt: 'truePositive',
    };
    for (const [d, c] of Object.entries(expected)) expect(CLASSIFICATION_OF_DETERMINATION[d as Determination], d).to.equal(c);
    expect(CLASSIFICATION_OF_DETERMINATION.other).to.equal(undefined);
  });
});

describe('defender model: incidentFromGraph', () => {
  it('maps the security-incident-get example field by field', () => {
    const incident = incidentFromGraph(fixture('graph-get-incident.json'));
    expect(incident).to.deep.equal({
      id: '2972395',
      displayName: 'Multi-stage incident involving Initial access & Command and control on multiple endpoints reported by multiple sources',
      description:
        'Microsoft observed Raspberry Robin worm activity spreading through infected USB on multiple devices in your environment. From available intel, these infections could be a potential precursor activity to ransomware deployment. ...',
      // the example writes the enums in PascalCase
      status: 'active',
      severity: 'medium',
      classification: 'truePositive',
      determination: 'multiStagedAttack',
      assignedTo: 'KaiC@contoso.onmicrosoft.com',
      createdDateTime: '2021-08-13T08:43:35.5533333Z',
      lastUpdateDateTime: '2021-09-30T09:35:45.1133333Z',
      incidentWebUrl: 'https://security.microsoft.com/incidents/2972395?tid=12f988bf-16f1-11af-11ab-1d7cd011db47',
      redirectIncidentId: null,
      customTags: ['Demo'],
      systemTags: ['Defender Experts'],
      tenantId: 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c',
      // the example's comment has the older createdBy/createdTime shape
      comments: [{ comment: 'Demo incident', createdByDisplayName: 'DavidS@contoso.onmicrosoft.com', createdDateTime: '2021-09-30T12:07:37.2756993Z' }],
    });
    expect(incident).not.to.have.property('alerts');
  });

  it('maps the list-incidents example 1 the same way', () => {
    expect(incidentFromGraph(first(fixture('graph-list-incidents.json')))).to.deep.equal(incidentFromGraph(fixture('graph-get-incident.json')));
  });

  it('maps the list-incidents $expand=alerts example with its alert and evidence', () => {
    const incident = incidentFromGraph(first(fixture('graph-list-incidents-expand-alerts.json')));
    expect(incident.status).to.equal('active');
    expect(incident.classification).to.equal('truePositive');
    expect(incident.determination).to.equal('multiStagedAttack');
    expect(incident.severity).to.equal('medium');
    // this example names the tags `tags`
    expect(incident.customTags).to.deep.equal(['Demo']);
    expect(incident.alerts).to.have.length(1);
    const alert = incident.alerts![0]!;
    expect(alert).to.deep.include({
      id: 'da637551227677560813_-961444813',
      providerAlertId: 'da637551227677560813_-961444813',
      incidentId: '28282',
      title: 'Suspicious execution of hidden file',
      status: 'new',
      severity: 'low',
      classification: 'unknown',
      determination: 'unknown',
      serviceSource: 'microsoftDefenderForEndpoint',
      detectionSource: 'antivirus',
      detectorId: 'e0da400f-affd-43ef-b1d5-afc2eb6f2756',
      category: 'DefenseEvasion',
      assignedTo: null,
      actorDisplayName: null,
      threatDisplayName: null,
      threatFamilyName: null,
      mitreTechniques: ['T1564.001'],
      alertWebUrl: 'https://security.microsoft.com/alerts/da637551227677560813_-961444813?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c',
      createdDateTime: '2021-04-27T12:19:27.7211305Z',
      lastUpdateDateTime: '2021-05-02T14:19:01.3266667Z',
      resolvedDateTime: null,
      firstActivityDateTime: '2021-04-26T07:45:50.116Z',
      lastActivityDateTime: '2021-05-02T07:56:58.222Z',
    });
    expect(alert.description).to.match(/^A hidden file has been launched\./);
    expect(alert.evidence.map((e) => e['@odata.type'])).to.deep.equal([
      '#microsoft.graph.security.deviceEvidence',
      '#microsoft.graph.security.fileEvidence',
      '#microsoft.graph.security.processEvidence',
      '#microsoft.graph.security.registryKeyEvidence',
    ]);
    const [device, file, process, registry] = alert.evidence;
    expect(device).to.deep.include({ mdeDeviceId: '73e7e2de709dff64ef64b1d0c30e67fab63279db', deviceDnsName: 'tempDns', osPlatform: 'Windows10', osBuild: 22424, roles: ['compromised'] });
    expect(file!.fileDetails).to.deep.include({ sha256: '8963a19fb992ad9a76576c5638fd68292cffb9aaac29eb8285f9abf6196a7dec', fileName: 'MsSense.exe', filePath: 'C:\\Program Files\\temp' });
    expect(process).to.deep.include({ processId: 4780, processCommandLine: '"MsSense.exe"' });
    expect(process!.userAccount).to.deep.include({ accountName: 'SYSTEM', domainName: 'NT AUTHORITY' });
    expect(registry).to.deep.include({ registryHive: 'HKEY_LOCAL_MACHINE', registryKey: 'SYSTEM\\CONTROLSET001\\CONTROL\\WMI\\AUTOLOGGER\\SENSEAUDITLOGGER' });
  });

  it('keeps enum values it does not know as strings, and does not crash on them', () => {
    const incident = incidentFromGraph({
      ...fixture('graph-get-incident.json'),
      status: 'unknownFutureValue',
      severity: 'critical',
      classification: 'unknownFutureValue',
      determination: 'aiGeneratedThreat',
      alerts: [{ id: 'a1', status: 'unknownFutureValue', serviceSource: 'unknownFutureValue', detectionSource: 'microsoftDefenderForDNS', evidence: [{ '@odata.type': '#microsoft.graph.security.somethingNewEvidence', x: 1 }, 'junk'] }],
    });
    expect(incident).to.deep.include({ status: 'unknownFutureValue', severity: 'critical', classification: 'unknownFutureValue', determination: 'aiGeneratedThreat' });
    const alert = incident.alerts![0]!;
    expect(alert).to.deep.include({ id: 'a1', status: 'unknownFutureValue', serviceSource: 'unknownFutureValue', detectionSource: 'microsoftDefenderForDNS', title: '', mitreTechniques: [] });
    expect(alert.evidence).to.deep.equal([{ '@odata.type': '#microsoft.graph.security.somethingNewEvidence', x: 1 }]);
    // and a message can still show them
    expect(label(incident.determination)).to.equal('Ai Generated Threat');
  });

  it('reads the doc-variant determination names and both comment shapes', () => {
    const variants: Array<[string, Determination]> = [
      ['compromisedUser', 'compromisedAccount'], ['clean', 'notMalicious'], ['insufficientData', 'notEnoughDataToValidate'],
      ['confirmedUserActivity', 'confirmedActivity'], ['NoEnoughDataToValidate', 'notEnoughDataToValidate'], ['NotAvailable', 'unknown'],
    ];
    for (const [sent, expected] of variants) {
      expect(incidentFromGraph({ ...fixture('graph-get-incident.json'), determination: sent }).determination, sent).to.equal(expected);
    }
    const incident = incidentFromGraph({
      ...fixture('graph-get-incident.json'),
      comments: [
        { comment: 'new shape', createdByDisplayName: 'Kai', createdDateTime: '2024-01-01T00:00:00Z' },
        { comment: 'old shape', createdBy: 'David', createdTime: '2024-01-02T00:00:00Z' },
        { comment: 'no author' },
        null,
      ],
    });
    expect(incident.comments).to.deep.equal([
      { comment: 'new shape', createdByDisplayName: 'Kai', createdDateTime: '2024-01-01T00:00:00Z' },
      { comment: 'old shape', createdByDisplayName: 'David', createdDateTime: '2024-01-02T00:00:00Z' },
      { comment: 'no author', createdByDisplayName: null, createdDateTime: null },
    ]);
  });

  it('reads null and absent optional fields as their empty values', () => {
    const incident = incidentFromGraph({ id: 7, createdDateTime: '2024-01-01T00:00:00Z', lastUpdateDateTime: '2024-01-02T00:00:00Z', classification: null, redirectIncidentId: 12 });
    expect(incident).to.deep.equal({
      id: '7', displayName: '', status: 'unknown', severity: 'unknown', classification: 'unknown', determination: 'unknown', assignedTo: null,
      createdDateTime: '2024-01-01T00:00:00Z', lastUpdateDateTime: '2024-01-02T00:00:00Z', incidentWebUrl: '', redirectIncidentId: '12', customTags: [], comments: [],
    });
  });

  it('refuses what is not an incident with API_ERROR', () => {
    expect(syncActionErrorOf('API_ERROR', () => incidentFromGraph(null))).to.include('not an object');
    expect(syncActionErrorOf('API_ERROR', () => incidentFromGraph([]))).to.include('not an object');
    expect(syncActionErrorOf('API_ERROR', () => incidentFromGraph({ displayName: 'x' }))).to.include('without an id');
    expect(syncActionErrorOf('API_ERROR', () => incidentFromGraph({ id: '5', createdDateTime: '2024-01-01T00:00:00Z' }))).to.include('incident 5 without lastUpdateDateTime');
    expect(syncActionErrorOf('API_ERROR', () => incidentFromGraph({ ...fixture('graph-get-incident.json'), alerts: [{ title: 'no id' }] }))).to.include('an alert without an id');
  });
});

describe('defender model: service and detection sources', () => {
  it("reads Graph's members in any spelling, the newer (evolvable) ones included, and keeps what it does not know", () => {
    const read = (serviceSource: unknown, detectionSource: unknown) => {
      const a = alertFromGraph({ id: 'a1', serviceSource, detectionSource });
      return [a.serviceSource, a.detectionSource];
    };
    expect(read('MicrosoftDefenderForEndpoint', 'WindowsDefenderAv')).to.deep.equal(['microsoftDefenderForEndpoint', 'WindowsDefenderAv']);
    expect(read('microsoftDefenderForCloud', 'microsoftDefenderForDatabases')).to.deep.equal(['microsoftDefenderForCloud', 'microsoftDefenderForDatabases']);
    expect(read('MICROSOFT_DEFENDER_FOR_CLOUD', 'MicrosoftDefenderForApiManagement')).to.deep.equal(['microsoftDefenderForCloud', 'microsoftDefenderForApiManagement']);
    expect(read('unknownFutureValue', 'somethingNewer')).to.deep.equal(['unknownFutureValue', 'somethingNewer']);
    expect(read(null, undefined)).to.deep.equal(['unknown', 'unknown']);
    expect(read('constructor', 'toString')).to.deep.equal(['constructor', 'toString']);
  });
});
