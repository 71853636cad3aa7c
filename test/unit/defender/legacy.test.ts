// The Defender XDR API's shapes mapped onto the model. Fixture: test/fixtures/defender/legacy-list-incidents.json, the
// "Response example" of MicrosoftDocs/defender-docs defender-xdr/api-list-incidents.md (commit
// 2903cc6c82889e81675a2136616f9b8e2ad79118), with its closing "..." removed. The emulator (test/emulator/tenant, an
// independent model of the service) is the cross-check: the same incident read through its Graph face and its Defender
// XDR face must come out the same.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  alertFromLegacy,
  entityEvidenceFromLegacy,
  incidentFromLegacy,
  toLegacyClassification,
  toLegacyDetermination,
  toLegacySeverity,
  toLegacyStatus,
} from '../../../lib/defender/legacy';
import {
  CLASSIFICATIONS,
  DETERMINATIONS,
  type Evidence,
  INCIDENT_STATUSES,
  type Incident,
  SEVERITIES,
  incidentFromGraph,
} from '../../../lib/defender/model';
import { req, tenant } from '../../emulator/tenant/testkit';
import { syncActionErrorOf } from '../../support/errors';
import { repoRoot } from '../../support/paths';

type J = Record<string, unknown>;
const docExample = (): J[] =>
  (JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'defender', 'legacy-list-incidents.json'), 'utf8')) as { value: J[] }).value;
const T = '#microsoft.graph.security.';

describe('defender legacy: the api-list-incidents example', () => {
  const [ransomware, mimikatz, email] = docExample().map((i) => incidentFromLegacy(i));

  it('maps the incident fields', () => {
    const { alerts, ...incident } = ransomware!;
    expect(incident).to.deep.equal({
      id: '924565',
      displayName: 'Ransomware activity',
      status: 'active',
      severity: 'medium',
      classification: 'unknown',
      determination: 'unknown', // NotAvailable
      assignedTo: null,
      createdDateTime: '2020-09-06T14:46:57.0733333Z',
      lastUpdateDateTime: '2020-09-06T14:46:57.29Z',
      // the example has no incidentUri: the portal's address is made
      incidentWebUrl: 'https://security.microsoft.com/incidents/924565',
      redirectIncidentId: null,
      customTags: [],
      comments: [{ comment: 'test comment for docs', createdByDisplayName: 'secop123@contoso.com', createdDateTime: '2021-01-26T01:00:37.8404534Z' }],
    });
    expect(alerts).to.have.length(1);
    expect(mimikatz).to.deep.include({ id: '924521', displayName: "'Mimikatz' hacktool was detected on one endpoint", severity: 'low', comments: [], createdDateTime: '2020-09-06T12:18:03.6266667Z', lastUpdateDateTime: '2020-09-06T12:18:03.81Z' });
    expect(email).to.deep.include({ id: '924518', severity: 'informational', status: 'active' });
  });

  it('maps an alert with its user and IP entities', () => {
    const alert = ransomware!.alerts![0]!;
    const { evidence, description, ...rest } = alert;
    expect(rest).to.deep.equal({
      id: 'caD70CFEE2-1F54-32DB-9988-3A868A1EBFAC',
      providerAlertId: null,
      incidentId: '924565',
      title: 'Ransomware activity',
      status: 'new',
      severity: 'medium',
      classification: 'unknown', // null in the example
      determination: 'unknown',
      serviceSource: 'microsoftDefenderForCloudApps', // MicrosoftCloudAppSecurity
      detectionSource: 'cloudAppSecurity', // MCAS
      detectorId: null,
      category: 'Impact',
      assignedTo: null,
      actorDisplayName: null,
      threatDisplayName: null,
      threatFamilyName: null,
      mitreTechniques: [],
      alertWebUrl: 'https://security.microsoft.com/alerts/caD70CFEE2-1F54-32DB-9988-3A868A1EBFAC',
      createdDateTime: '2020-09-06T14:46:55.7182276Z',
      lastUpdateDateTime: '2020-09-06T14:46:57.2433333Z',
      resolvedDateTime: null,
      firstActivityDateTime: '2020-09-04T05:22:59Z',
      lastActivityDateTime: '2020-09-04T05:22:59Z',
    });
    expect(description).to.match(/^The user Test User2 \(testUser2@contoso\.com\) manipulated 99 files/);
    expect(evidence).to.deep.equal([
      {
        '@odata.type': `${T}userEvidence`, createdDateTime: null, verdict: 'unknown', remediationStatus: 'none', remediationStatusDetails: null, roles: [], tags: [],
        userAccount: {
          accountName: 'testUser2', domainName: 'europe.corp.contoso', userSid: 'S-1-5-21-1721254763-462695806-1538882281-4156657',
          azureAdUserId: 'fc8f7484-f813-4db2-afab-bc1507913fb6', userPrincipalName: 'testUser2@contoso.com',
        },
      },
      { '@odata.type': `${T}ipEvidence`, createdDateTime: null, verdict: 'unknown', remediationStatus: 'none', remediationStatusDetails: null, roles: [], tags: [], ipAddress: '62.216.203.204' },
    ]);
  });

  it('maps a device and a file', () => {
    const alert = mimikatz!.alerts![0]!;
    expect(alert).to.deep.include({ serviceSource: 'microsoftDefenderForEndpoint', detectionSource: 'antivirus', category: 'Malware', threatFamilyName: 'Mimikatz' });
    expect(alert.evidence).to.have.length(2);
    const [device, file] = alert.evidence as [Evidence, Evidence];
    expect(device).to.deep.equal({
      '@odata.type': `${T}deviceEvidence`, createdDateTime: null, verdict: 'unknown', remediationStatus: 'none', remediationStatusDetails: null, roles: [], tags: [],
      mdeDeviceId: '24c222b0b60fe148eeece49ac83910cc6a7ef491',
      azureAdDeviceId: null,
      deviceDnsName: 'user5cx.middleeast.corp.contoso.com',
      osPlatform: 'WindowsServer2016',
      osBuild: 14393,
      version: '1607',
      healthStatus: 'active',
      riskScore: 'high',
      rbacGroupId: 9,
      rbacGroupName: 'WDATP-Ring0',
      firstSeenDateTime: '2020-02-06T14:16:01.9330135Z',
      onboardingStatus: null,
      defenderAvStatus: null,
      loggedOnUsers: [],
    });
    expect(file).to.deep.equal({
      '@odata.type': `${T}fileEvidence`, createdDateTime: null, verdict: 'unknown', remediationStatus: 'none', remediationStatusDetails: null, roles: [], tags: [],
      fileDetails: { sha1: '5de839186691aa96ee2ca6d74f0a38fb8d1bd6dd', sha256: null, fileName: 'Detector.UnitTests.dll', filePath: 'C:\\Agent\\_work\\_temp\\Deploy_SYSTEM 2020-09-06 12_14_54\\Out' },
      mdeDeviceId: '24c222b0b60fe148eeece49ac83910cc6a7ef491',
    });
  });

  it('maps mailboxes, a message, mail clusters and an IP', () => {
    const alert = email!.alerts![0]!;
    expect(alert).to.deep.include({ status: 'inProgress', serviceSource: 'microsoftDefenderForOffice365', detectionSource: 'microsoftDefenderForOffice365', assignedTo: 'Automation', category: 'InitialAccess' });
    expect(alert.evidence.map((e) => e['@odata.type'].slice(T.length))).to.deep.equal([
      'mailboxEvidence', 'mailboxEvidence', 'analyzedMessageEvidence', 'mailClusterEvidence', 'mailClusterEvidence', 'mailClusterEvidence', 'mailClusterEvidence', 'ipEvidence',
    ]);
    expect(alert.evidence[0]).to.deep.include({ primaryAddress: 'testUser3@contoso.com', displayName: 'test User3', upn: 'testUser3@contoso.com' });
    expect(alert.evidence[1]).to.deep.include({ primaryAddress: 'test.User4@contoso.com', displayName: 'test User4', upn: 'testUser4@contoso.com' });
    expect(alert.evidence[2]).to.deep.include({
      subject: '[EXTERNAL] Attention',
      recipientEmailAddress: 'test.User4@contoso.com',
      p2Sender: { emailAddress: 'user.abc@mail.contoso.co.in', displayName: null, domainName: 'mail.contoso.co.in' },
      internetMessageId: null,
      deliveryAction: null,
    });
    expect(alert.evidence.slice(3, 7).map((e) => e.clusterBy)).to.deep.equal([
      'Subject;P2SenderDomain;ContentType', 'Subject;SenderIp;ContentType', 'BodyFingerprintBin1;P2SenderDomain;ContentType', 'BodyFingerprintBin1;SenderIp;ContentType',
    ]);
    expect(alert.evidence[7]).to.deep.include({ ipAddress: '49.50.81.121' });
  });
});

describe('defender legacy: real payloads', () => {
  // the shape of real answers (reference §1.4): null keys omitted, incidentUri, Mailbox, the extra entity fields
  const real = (over: J = {}): J => ({
    incidentId: 552,
    incidentUri: 'https://security.microsoft.com/incidents/552?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c',
    redirectIncidentId: 551,
    incidentName: 'Suspicious sign-in',
    createdTime: '2024-03-01T10:00:00.123Z',
    lastUpdateTime: '2024-03-02T11:00:00.456Z',
    classification: 'InformationalExpectedActivity',
    determination: 'Clean',
    status: 'Redirected',
    severity: 'UnSpecified',
    tags: ['VIP', 'Phish'],
    comments: [{ comment: 'merged', createdBy: 'soc@contoso.com', createdTime: '2024-03-02T11:00:00Z' }],
    alerts: [{
      alertId: 'ed1', providerAlertId: 'p-ed1', incidentId: 552, serviceSource: 'MicrosoftDefenderForOffice365', detectionSource: 'AAD', detectorId: 'det-1',
      creationTime: '2024-03-01T10:00:00Z', lastUpdatedTime: '2024-03-01T10:05:00Z', title: 'Email messages containing malicious URL', status: 'Resolved',
      severity: 'High', classification: 'TruePositive', determination: 'InsufficientData', mitreTechniques: ['T1566.002'],
      entities: [
        { entityType: 'Mailbox', mailboxAddress: 'kai@contoso.com', mailboxDisplayName: 'Kai', userPrincipalName: 'kai@contoso.com', evidenceCreationTime: '2024-03-01T10:00:01Z', verdict: 'Suspicious', remediationStatus: 'Prevented' },
        { entityType: 'MailMessage', internetMessageId: '<abc@contoso.com>', subject: 'Invoice', recipient: 'kai@contoso.com', sender: 'x@evil.example', deliveryAction: 'Blocked' },
        { entityType: 'MailCluster', clusterBy: 'Subject', clusterByValue: 'Invoice', emailCount: 12 },
        { entityType: 'Process', processId: 4780, processCommandLine: 'cmd.exe /c whoami', processCreationTime: '2024-03-01T09:59:00Z', parentProcessId: 668, parentProcessCreationTime: '2024-03-01T09:00:00Z', fileName: 'cmd.exe', filePath: 'C:\\Windows\\System32', sha256: 'ab'.repeat(32), accountName: 'kai', domainName: 'CONTOSO', deviceId: 'dev-1' },
        { entityType: 'Registry', registryHive: 'HKEY_LOCAL_MACHINE', registryKey: 'SOFTWARE\\Run', registryValueType: 'String', registryValue: 'evil.exe' },
        { entityType: 'Registry', registryHive: 'HKEY_CURRENT_USER', registryKey: 'SOFTWARE\\X' },
        { entityType: 'SecurityGroup', securityGroupId: 'sg-1', securityGroupName: 'Domain Admins' },
        { entityType: 'Url', url: 'https://evil.example/a' },
        { entityType: 'CloudLogonSession', sessionId: 's-1', deviceId: null },
      ],
    }],
    ...over,
  });

  it('maps incidentUri, a numeric redirectIncidentId, tags and the legacy enum names', () => {
    const { alerts, ...incident } = incidentFromLegacy(real());
    expect(incident).to.deep.equal({
      id: '552',
      displayName: 'Suspicious sign-in',
      status: 'redirected',
      severity: 'unknown',
      classification: 'informationalExpectedActivity',
      determination: 'notMalicious',
      assignedTo: null,
      createdDateTime: '2024-03-01T10:00:00.123Z',
      lastUpdateDateTime: '2024-03-02T11:00:00.456Z',
      incidentWebUrl: 'https://security.microsoft.com/incidents/552?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c',
      redirectIncidentId: '551',
      customTags: ['VIP', 'Phish'],
      comments: [{ comment: 'merged', createdByDisplayName: 'soc@contoso.com', createdDateTime: '2024-03-02T11:00:00Z' }],
    });
    expect(alerts![0]).to.deep.include({
      id: 'ed1', providerAlertId: 'p-ed1', incidentId: '552', status: 'resolved', severity: 'high', classification: 'truePositive',
      determination: 'notEnoughDataToValidate', serviceSource: 'microsoftDefenderForOffice365', detectionSource: 'azureAdIdentityProtection',
      detectorId: 'det-1', mitreTechniques: ['T1566.002'], category: null, description: null,
    });
  });

  it('reads every legacy determination, status and severity name, the doc variants included', () => {
    const cases: Array<[J, Partial<Incident>]> = [
      [{ status: 'InProgress' }, { status: 'inProgress' }],
      [{ status: 'Active' }, { status: 'active' }],
      [{ status: 'Resolved' }, { status: 'resolved' }],
      [{ severity: 'Informational' }, { severity: 'informational' }],
      [{ classification: 'Unknown' }, { classification: 'unknown' }],
      [{ classification: 'FalsePositive' }, { classification: 'falsePositive' }],
      [{ classification: 'TruePositive' }, { classification: 'truePositive' }],
      [{ classification: 'Informational, expected activity' }, { classification: 'informationalExpectedActivity' }],
      [{ determination: 'NotAvailable' }, { determination: 'unknown' }],
      [{ determination: 'Apt' }, { determination: 'apt' }],
      [{ determination: 'SecurityPersonnel' }, { determination: 'securityPersonnel' }],
      [{ determination: 'CompromisedUser' }, { determination: 'compromisedAccount' }],
      [{ determination: 'CompromisedAccount' }, { determination: 'compromisedAccount' }],
      [{ determination: 'ConfirmedUserActivity' }, { determination: 'confirmedActivity' }],
      [{ determination: 'NoEnoughDataToValidate' }, { determination: 'notEnoughDataToValidate' }],
      [{ determination: 'InsufficientData' }, { determination: 'notEnoughDataToValidate' }],
      [{ determination: 'MultiStagedAttack' }, { determination: 'multiStagedAttack' }],
      [{ determination: 'LineOfBusinessApplication' }, { determination: 'lineOfBusinessApplication' }],
    ];
    for (const [over, expected] of cases) expect(incidentFromLegacy(real(over)), JSON.stringify(over)).to.deep.include(expected);
  });

  it('keeps values it does not know, in Graph case, without crashing', () => {
    const incident = incidentFromLegacy(real({ status: 'AwaitingCustomer', determination: 'SomethingNew', severity: 'Critical', classification: null }));
    expect(incident).to.deep.include({ status: 'awaitingCustomer', determination: 'somethingNew', severity: 'critical', classification: 'unknown' });
    const alert = alertFromLegacy({ alertId: 'x', serviceSource: 'SomeNewProduct', detectionSource: 'NewSensor', status: 'Active' });
    expect(alert).to.deep.include({ serviceSource: 'someNewProduct', detectionSource: 'newSensor', status: 'active', title: '', evidence: [] });
  });

  it("maps the newer service and detection sources onto Graph's members (Defender for Cloud and its plans)", () => {
    const pairs: Array<[string, string, string, string]> = [
      ['MicrosoftDefenderForCloud', 'DefenderForDatabases', 'microsoftDefenderForCloud', 'microsoftDefenderForDatabases'],
      ['microsoftDefenderForCloud', 'MicrosoftDefenderForStorage', 'microsoftDefenderForCloud', 'microsoftDefenderForStorage'],
      ['DefenderForCloud', 'defender_for_key_vault', 'microsoftDefenderForCloud', 'microsoftDefenderForKeyVault'],
      ['MicrosoftSentinel', 'ScheduledAlerts', 'microsoftSentinel', 'scheduledAlerts'],
      ['DataLossPrevention', 'MicrosoftDataLossPrevention', 'dataLossPrevention', 'microsoftDataLossPrevention'],
      // names that are not Graph's, and names of Object.prototype, are kept as names
      ['constructor', '__proto__', 'constructor', '__proto__'],
      ['ToString', 'HasOwnProperty', 'toString', 'hasOwnProperty'],
    ];
    for (const [service, detection, graphService, graphDetection] of pairs) {
      const alert = alertFromLegacy({ alertId: 'x', serviceSource: service, detectionSource: detection });
      expect([alert.serviceSource, alert.detectionSource], `${service} / ${detection}`).to.deep.equal([graphService, graphDetection]);
    }
  });

  it('maps the entities real answers carry, `Mailbox` spelt either way', () => {
    const evidence = incidentFromLegacy(real()).alerts![0]!.evidence;
    const byType = (t: string) => evidence.filter((e) => e['@odata.type'] === T + t);
    expect(byType('mailboxEvidence')[0]).to.deep.equal({
      '@odata.type': `${T}mailboxEvidence`, createdDateTime: '2024-03-01T10:00:01Z', verdict: 'suspicious', remediationStatus: 'prevented', remediationStatusDetails: null, roles: [], tags: [],
      primaryAddress: 'kai@contoso.com', displayName: 'Kai', upn: 'kai@contoso.com', userAccount: null,
    });
    expect(entityEvidenceFromLegacy({ entityType: 'MailBox', mailboxAddress: 'a@b.c' })['@odata.type']).to.equal(`${T}mailboxEvidence`);
    expect(byType('analyzedMessageEvidence')[0]).to.deep.include({ internetMessageId: '<abc@contoso.com>', subject: 'Invoice', recipientEmailAddress: 'kai@contoso.com', deliveryAction: 'blocked' });
    expect(byType('mailClusterEvidence')[0]).to.deep.include({ clusterBy: 'Subject', clusterByValue: 'Invoice', emailCount: 12 });
    expect(byType('processEvidence')[0]).to.deep.include({
      processId: 4780, processCommandLine: 'cmd.exe /c whoami', processCreationDateTime: '2024-03-01T09:59:00Z', parentProcessId: 668,
      parentProcessCreationDateTime: '2024-03-01T09:00:00Z', mdeDeviceId: 'dev-1',
      imageFile: { sha1: null, sha256: 'ab'.repeat(32), fileName: 'cmd.exe', filePath: 'C:\\Windows\\System32' },
      userAccount: { accountName: 'kai', domainName: 'CONTOSO', userSid: null, azureAdUserId: null, userPrincipalName: null },
    });
    expect(byType('registryValueEvidence')[0]).to.deep.include({ registryHive: 'HKEY_LOCAL_MACHINE', registryKey: 'SOFTWARE\\Run', registryValue: 'evil.exe', registryValueType: 'String' });
    expect(byType('registryKeyEvidence')[0]).to.deep.include({ registryHive: 'HKEY_CURRENT_USER', registryKey: 'SOFTWARE\\X' });
    expect(byType('securityGroupEvidence')[0]).to.deep.include({ securityGroupId: 'sg-1', displayName: 'Domain Admins' });
    expect(byType('urlEvidence')[0]).to.deep.include({ url: 'https://evil.example/a' });
    // a type this module does not know is kept, not dropped
    expect(byType('alertEvidence')[0]).to.deep.include({ entityType: 'CloudLogonSession', sessionId: 's-1' });
    expect(byType('alertEvidence')[0]).not.to.have.property('deviceId');
    expect(evidence).to.have.length(9);
  });

  it('takes the portal to link to from the options when there is no incidentUri', () => {
    const incident = incidentFromLegacy(real({ incidentUri: undefined }), { portalUrl: 'https://security.microsoft.us/' });
    expect(incident.incidentWebUrl).to.equal('https://security.microsoft.us/incidents/552');
    expect(incident.alerts![0]!.alertWebUrl).to.equal('https://security.microsoft.us/alerts/ed1');
  });

  it('refuses what is not an incident with API_ERROR', () => {
    expect(syncActionErrorOf('API_ERROR', () => incidentFromLegacy('x'))).to.include('The Defender XDR API answered with an incident that is not an object');
    expect(syncActionErrorOf('API_ERROR', () => incidentFromLegacy({ incidentName: 'x' }))).to.include('without an incidentId');
    expect(syncActionErrorOf('API_ERROR', () => incidentFromLegacy(real({ lastUpdateTime: null })))).to.include('incident 552 without lastUpdateTime');
    expect(syncActionErrorOf('API_ERROR', () => incidentFromLegacy(real({ alerts: [{ title: 'x' }] })))).to.include('without an alertId');
  });
});

describe('defender legacy: PATCH names', () => {
  it("are the update page's names", () => {
    expect(INCIDENT_STATUSES.filter((s) => s !== 'awaitingAction').map(toLegacyStatus)).to.deep.equal(['Active', 'InProgress', 'Resolved', 'Redirected']);
    expect(CLASSIFICATIONS.map(toLegacyClassification)).to.deep.equal(['Unknown', 'FalsePositive', 'TruePositive', 'InformationalExpectedActivity']);
    expect(SEVERITIES.map(toLegacySeverity)).to.deep.equal(['UnSpecified', 'Informational', 'Low', 'Medium', 'High']);
    expect(Object.fromEntries(DETERMINATIONS.map((d) => [d, toLegacyDetermination(d)]))).to.deep.equal({
      unknown: 'NotAvailable', apt: 'Apt', malware: 'Malware', securityPersonnel: 'SecurityPersonnel', securityTesting: 'SecurityTesting',
      unwantedSoftware: 'UnwantedSoftware', other: 'Other', multiStagedAttack: 'MultiStagedAttack', compromisedAccount: 'CompromisedAccount',
      phishing: 'Phishing', maliciousUserActivity: 'MaliciousUserActivity', notMalicious: 'Clean', notEnoughDataToValidate: 'NoEnoughDataToValidate',
      confirmedActivity: 'ConfirmedActivity', lineOfBusinessApplication: 'LineOfBusinessApplication',
    });
  });

  it('round-trip through incidentFromLegacy', () => {
    const base = { incidentId: 1, createdTime: '2024-01-01T00:00:00Z', lastUpdateTime: '2024-01-01T00:00:00Z' };
    for (const s of INCIDENT_STATUSES.filter((x) => x !== 'awaitingAction')) expect(incidentFromLegacy({ ...base, status: toLegacyStatus(s) }).status).to.equal(s);
    for (const c of CLASSIFICATIONS) expect(incidentFromLegacy({ ...base, classification: toLegacyClassification(c) }).classification).to.equal(c);
    for (const d of DETERMINATIONS) expect(incidentFromLegacy({ ...base, determination: toLegacyDetermination(d) }).determination).to.equal(d);
    for (const v of SEVERITIES) expect(incidentFromLegacy({ ...base, severity: toLegacySeverity(v) }).severity).to.equal(v);
  });

  it('refuse awaitingAction, which the Defender XDR API does not have', () => {
    expect(syncActionErrorOf('INVALID_INPUT', () => toLegacyStatus('awaitingAction'))).to.equal(
      "Status 'Awaiting Action' cannot be set through the Defender XDR API; use one of Active, In Progress, Resolved, Redirected.",
    );
  });
});

describe('defender legacy: against the emulator (an independent model of both faces)', () => {
  const t = tenant(40, 7);
  // as the package asks: with Prefer: include-unknown-enum-members, so Graph names the newer sources
  const graph = (t.graph(req('/v1.0/security/incidents', { query: '$expand=alerts&$top=50', headers: { prefer: 'include-unknown-enum-members' } }))?.body as { value: unknown[] }).value;
  const legacy = (t.defender(req('/api/incidents', { query: '$top=100' }))?.body as { value: J[] }).value;

  it('serves the same incidents on both faces', () => {
    expect(graph).to.have.length(40);
    expect(legacy).to.have.length(40);
  });

  it('reads each incident the same through either face', () => {
    const fromGraph = new Map(graph.map((g) => incidentFromGraph(g)).map((i) => [i.id, i]));
    let alerts = 0;
    let evidence = 0;
    for (const raw of legacy) {
      const l = incidentFromLegacy(raw);
      const g = fromGraph.get(l.id);
      expect(g, l.id).not.to.equal(undefined);
      const core = (i: Incident) => ({
        id: i.id, displayName: i.displayName, status: i.status, severity: i.severity, classification: i.classification, determination: i.determination,
        assignedTo: i.assignedTo, createdDateTime: i.createdDateTime, lastUpdateDateTime: i.lastUpdateDateTime, incidentWebUrl: i.incidentWebUrl,
        redirectIncidentId: i.redirectIncidentId, customTags: i.customTags, comments: i.comments,
      });
      expect(core(l), l.id).to.deep.equal(core(g!));
      expect(l.alerts!.map((a) => a.id).sort(), l.id).to.deep.equal(g!.alerts!.map((a) => a.id).sort());
      for (const la of l.alerts!) {
        const ga = g!.alerts!.find((a) => a.id === la.id)!;
        for (const key of ['title', 'status', 'severity', 'classification', 'determination', 'serviceSource', 'detectionSource', 'category', 'createdDateTime', 'lastUpdateDateTime', 'mitreTechniques'] as const) {
          expect(la[key], `${la.id} ${key}`).to.deep.equal(ga[key]);
        }
        // the same evidence, by type and by what identifies it
        const ident = (e: Evidence) => {
          const f = (e.fileDetails ?? e.imageFile ?? {}) as J;
          // the legacy mailbox entity does not name the account behind it; Graph's mailboxEvidence does
          const u = (e['@odata.type'] === `${T}mailboxEvidence` ? {} : e.userAccount ?? {}) as J;
          // and a legacy device has no verdict
          const verdict = e['@odata.type'] === `${T}deviceEvidence` ? '' : e.verdict;
          return [e['@odata.type'], e.mdeDeviceId ?? null, e.deviceDnsName ?? null, e.ipAddress ?? null, e.url ?? null, e.primaryAddress ?? null, f.sha256 ?? null, u.accountName ?? null, verdict].join('|');
        };
        expect(la.evidence.map(ident).sort(), `${la.id} evidence`).to.deep.equal(ga.evidence.map(ident).sort());
        alerts += 1;
        evidence += la.evidence.length;
      }
    }
    expect(alerts).to.be.greaterThan(40);
    expect(evidence).to.be.greaterThan(alerts);
  });
});
