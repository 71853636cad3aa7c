// JSON shapes of the two faces, and their error bodies.
//  Graph: api-reference/v1.0/resources/security-incident.md, security-alert.md, security-list-incidents.md examples.
//  Legacy: defender-xdr/api-list-incidents.md (schema mapping + example), with the observed differences of
//  reference §1.4: incidentUri present, null keys omitted from entities, entityType "Mailbox", mdatpDeviceId.
import { randomUUID } from 'node:crypto';
import type { FaceRequest, FaceResponse } from './api';
import {
  type Alert, type Comment, type Evidence, type Incident, DETECTION_SOURCE, INCIDENT_STATUS, LEGACY_ALERT_STATUS, LEGACY_CLASSIFICATION, LEGACY_DETECTION_SOURCE,
  LEGACY_DETERMINATION, LEGACY_SERVICE_SOURCE, LEGACY_SEVERITY, LEGACY_STATUS, SERVICE_SOURCE, isoStamp, shownMember,
} from './model';

type Json = Record<string, unknown>;

// ------------------------------------------------------------------ Graph
/**
 * An incident in Graph's shape. `includeUnknown`: the request sent `Prefer: include-unknown-enum-members`; without it,
 * members of evolvable enums added after `unknownFutureValue` are written as `unknownFutureValue` (model.ts).
 */
export function graphIncident(inc: Incident, tenantId: string, expandAlerts: boolean, includeUnknown = false): Json {
  const out: Json = {
    '@odata.type': '#microsoft.graph.security.incident',
    id: String(inc.id),
    incidentWebUrl: `https://security.microsoft.com/incidents/${inc.id}?tid=${tenantId}`,
    redirectIncidentId: inc.redirectIncidentId === null ? null : String(inc.redirectIncidentId),
    displayName: inc.displayName,
    tenantId,
    createdDateTime: isoStamp(inc.created),
    lastUpdateDateTime: isoStamp(inc.lastUpdate),
    assignedTo: inc.assignedTo,
    classification: inc.classification,
    determination: inc.determination,
    status: shownMember(inc.status, INCIDENT_STATUS, includeUnknown),
    severity: inc.severity,
    customTags: [...inc.customTags],
    systemTags: [...inc.systemTags],
    description: inc.description,
    comments: inc.comments.map(graphComment),
  };
  if (expandAlerts) out.alerts = inc.alerts.map((a) => graphAlert(a, tenantId, includeUnknown));
  return out;
}

/** alertComment: comment, createdByDisplayName, createdDateTime (resources/security-alertcomment.md) */
export function graphComment(c: Comment): Json {
  return { comment: c.comment, createdByDisplayName: c.createdBy, createdDateTime: isoStamp(c.created) };
}

/** The alert in Graph's shape, as stored; with `includeUnknown` false its evolvable enum members after the sentinel read as unknownFutureValue. */
export function graphAlert(a: Alert, tenantId: string, includeUnknown = true): Json {
  return {
    '@odata.type': '#microsoft.graph.security.alert',
    id: a.id, providerAlertId: a.id, incidentId: String(a.incidentId),
    status: a.status, severity: a.severity, classification: a.classification, determination: a.determination,
    serviceSource: shownMember(a.serviceSource, SERVICE_SOURCE, includeUnknown), detectionSource: shownMember(a.detectionSource, DETECTION_SOURCE, includeUnknown),
    detectorId: a.detectorId, tenantId,
    title: a.title, description: a.description, recommendedActions: a.recommendedActions, category: a.category,
    assignedTo: a.assignedTo,
    alertWebUrl: `https://security.microsoft.com/alerts/${a.id}?tid=${tenantId}`,
    incidentWebUrl: `https://security.microsoft.com/incidents/${a.incidentId}?tid=${tenantId}`,
    actorDisplayName: null, threatDisplayName: a.threatFamilyName, threatFamilyName: a.threatFamilyName,
    mitreTechniques: [...a.mitreTechniques],
    createdDateTime: isoStamp(a.created), lastUpdateDateTime: isoStamp(a.lastUpdate),
    resolvedDateTime: a.resolved ? isoStamp(a.resolved) : null,
    firstActivityDateTime: isoStamp(a.firstActivity), lastActivityDateTime: isoStamp(a.lastActivity),
    comments: a.comments.map(graphComment), systemTags: [],
    customDetails: { ...a.customDetails },
    evidence: a.evidence.map(graphEvidence),
  };
}

function fileDetails(f: { fileName: string; folderPath: string; md5: string; sha1: string; sha256: string; size: number }): Json {
  return { sha1: f.sha1, sha256: f.sha256, md5: f.md5, fileName: f.fileName, filePath: f.folderPath, fileSize: f.size, filePublisher: null, signer: null, issuer: null };
}
function userAccount(u: { accountName: string; accountDomain: string; sid: string; objectId: string; upn: string; displayName: string }): Json {
  return { accountName: u.accountName, domainName: u.accountDomain, userSid: u.sid, azureAdUserId: u.objectId, userPrincipalName: u.upn, displayName: u.displayName };
}

/** evidence[] typed by @odata.type (reference §2.6) */
export function graphEvidence(e: Evidence): Json {
  const base: Json = { createdDateTime: isoStamp(e.created), verdict: e.verdict, remediationStatus: e.remediationStatus, remediationStatusDetails: null,
    roles: [...e.roles], detailedRoles: [...e.detailedRoles], tags: [] };
  const t = (name: string): Json => ({ '@odata.type': `#microsoft.graph.security.${name}`, ...base });
  switch (e.kind) {
    case 'device': return { ...t('deviceEvidence'), firstSeenDateTime: isoStamp(e.firstSeen), mdeDeviceId: e.device.deviceId, azureAdDeviceId: e.device.aadDeviceId,
      deviceDnsName: e.device.deviceName, osPlatform: e.device.osPlatform, osBuild: e.osBuild, version: 'Other', healthStatus: 'active', riskScore: 'medium',
      rbacGroupId: 75, rbacGroupName: 'UnassignedGroup', onboardingStatus: 'onboarded', defenderAvStatus: 'updated',
      ipInterfaces: [e.device.localIp, e.device.publicIp], loggedOnUsers: e.loggedOn.map((u) => ({ accountName: u.accountName, domainName: u.accountDomain })), vmMetadata: null };
    case 'file': return { ...t('fileEvidence'), detectionStatus: 'detected', mdeDeviceId: e.deviceId, fileDetails: fileDetails(e.file) };
    case 'process': return { ...t('processEvidence'), processId: e.processId, parentProcessId: e.parentProcessId, processCommandLine: e.commandLine,
      processCreationDateTime: isoStamp(e.processCreated), parentProcessCreationDateTime: isoStamp(e.parentCreated), detectionStatus: 'detected',
      mdeDeviceId: e.deviceId, imageFile: fileDetails(e.file), parentProcessImageFile: null, userAccount: userAccount(e.user) };
    case 'ip': return { ...t('ipEvidence'), ipAddress: e.ip, countryLetterCode: e.country };
    case 'url': return { ...t('urlEvidence'), url: e.url };
    case 'user': return { ...t('userEvidence'), userAccount: userAccount(e.user) };
    case 'mailbox': return { ...t('mailboxEvidence'), displayName: e.user.displayName, primaryAddress: e.address, upn: e.user.upn, userAccount: userAccount(e.user) };
    case 'message': {
      const dom = (a: string): string => a.slice(a.indexOf('@') + 1);
      return { ...t('analyzedMessageEvidence'), networkMessageId: e.networkMessageId, internetMessageId: e.internetMessageId, subject: e.subject,
        senderIp: e.senderIp, recipientEmailAddress: e.recipient, antiSpamDirection: 'Inbound', deliveryAction: e.deliveryAction,
        deliveryLocation: e.deliveryLocation, language: 'en', receivedDateTime: isoStamp(e.received), attachmentsCount: 0, urlCount: e.urls.length,
        urls: [...e.urls], threats: ['Phish'], threatDetectionMethods: ['URL detonation reputation'],
        p1Sender: { emailAddress: e.sender, displayName: null, domainName: dom(e.sender) }, p2Sender: { emailAddress: e.sender, displayName: null, domainName: dom(e.sender) } };
    }
  }
}

function headerId(req: FaceRequest, name: string): string | undefined {
  const v = req.headers[name];
  return v && v.length > 0 ? v : undefined;
}

/** Graph's error body: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}} (e.g. wazuh/wazuh#27579, #29854). */
export function graphError(req: FaceRequest, status: number, code: string, message: string, withDetails = false): FaceResponse {
  const requestId = headerId(req, 'request-id') ?? randomUUID();
  const clientRequestId = headerId(req, 'client-request-id') ?? requestId;
  const error: Json = { code, message };
  if (withDetails) error.details = [];
  error.innerError = { date: req.now.toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': clientRequestId };
  return { status, headers: { 'request-id': requestId, 'client-request-id': clientRequestId }, body: { error } };
}

// ------------------------------------------------------------------ legacy Defender XDR
function omitNulls(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

export function legacyIncident(inc: Incident, tenantId: string): Json {
  return {
    incidentId: inc.id,
    incidentUri: `https://security.microsoft.com/incidents/${inc.id}?tid=${tenantId}`,
    redirectIncidentId: inc.redirectIncidentId,
    incidentName: inc.displayName,
    createdTime: isoStamp(inc.created),
    lastUpdateTime: isoStamp(inc.lastUpdate),
    assignedTo: inc.assignedTo,
    classification: LEGACY_CLASSIFICATION[inc.classification] ?? 'Unknown',
    determination: LEGACY_DETERMINATION[inc.determination] ?? 'NotAvailable',
    status: LEGACY_STATUS[inc.status] ?? 'Active',
    severity: LEGACY_SEVERITY[inc.severity] ?? 'UnSpecified',
    detectionSource: inc.detectionSource,
    tags: [...inc.customTags],
    comments: inc.comments.map((c) => ({ comment: c.comment, createdBy: c.createdBy, createdTime: isoStamp(c.created) })),
    alerts: inc.alerts.map(legacyAlert),
  };
}

export function legacyAlert(a: Alert): Json {
  const devices = a.evidence.filter((e) => e.kind === 'device').map((e) => omitNulls({
    mdatpDeviceId: e.device.deviceId, aadDeviceId: e.device.aadDeviceId, deviceDnsName: e.device.deviceName, osPlatform: e.device.osPlatform,
    version: 'Other', osProcessor: 'x64', osBuild: e.osBuild, healthStatus: 'Active', riskScore: 'Medium', rbacGroupName: 'UnassignedGroup',
    firstSeen: isoStamp(e.firstSeen), tags: [], defenderAvStatus: 'Updated', onboardingStatus: 'Onboarded',
    loggedOnUsers: e.loggedOn.map((u) => ({ accountName: u.accountName, domainName: u.accountDomain })),
  }));
  return omitNulls({
    alertId: a.id, providerAlertId: a.id, incidentId: a.incidentId,
    serviceSource: LEGACY_SERVICE_SOURCE[a.serviceSource] ?? 'Microsoft365Defender',
    creationTime: isoStamp(a.created), lastUpdatedTime: isoStamp(a.lastUpdate), resolvedTime: a.resolved ? isoStamp(a.resolved) : null,
    firstActivity: isoStamp(a.firstActivity), lastActivity: isoStamp(a.lastActivity),
    title: a.title, description: a.description, category: a.category,
    status: LEGACY_ALERT_STATUS[a.status] ?? 'New', severity: LEGACY_SEVERITY[a.severity] === 'UnSpecified' ? 'Informational' : LEGACY_SEVERITY[a.severity],
    investigationId: a.investigationId, investigationState: a.investigationState,
    classification: a.classification === 'unknown' ? null : LEGACY_CLASSIFICATION[a.classification],
    determination: a.determination === 'unknown' ? null : LEGACY_DETERMINATION[a.determination],
    detectionSource: LEGACY_DETECTION_SOURCE[a.detectionSource] ?? 'CustomDetection', detectorId: a.detectorId,
    assignedTo: a.assignedTo, actorName: null, threatFamilyName: a.threatFamilyName, mitreTechniques: [...a.mitreTechniques],
    devices, entities: a.evidence.filter((e) => e.kind !== 'device').map(legacyEntity),
  });
}

function legacyEntity(e: Evidence): Json {
  const base = { evidenceCreationTime: isoStamp(e.created), verdict: cap(e.verdict), remediationStatus: cap(e.remediationStatus) };
  switch (e.kind) {
    case 'file': return omitNulls({ entityType: 'File', sha1: e.file.sha1, sha256: e.file.sha256, fileName: e.file.fileName, filePath: e.file.folderPath, deviceId: e.deviceId, ...base });
    case 'process': return omitNulls({ entityType: 'Process', sha1: e.file.sha1, sha256: e.file.sha256, fileName: e.file.fileName, filePath: e.file.folderPath,
      processId: e.processId, processCommandLine: e.commandLine, processCreationTime: isoStamp(e.processCreated), parentProcessId: e.parentProcessId,
      parentProcessCreationTime: isoStamp(e.parentCreated), accountName: e.user.accountName, domainName: e.user.accountDomain, userSid: e.user.sid, deviceId: e.deviceId, ...base });
    case 'ip': return { entityType: 'Ip', ipAddress: e.ip, ...base };
    case 'url': return { entityType: 'Url', url: e.url, ...base };
    case 'user': return { entityType: 'User', accountName: e.user.accountName, domainName: e.user.accountDomain, userSid: e.user.sid,
      aadUserId: e.user.objectId, userPrincipalName: e.user.upn, ...base };
    case 'mailbox': return { entityType: 'Mailbox', mailboxDisplayName: e.user.displayName, mailboxAddress: e.address, userPrincipalName: e.user.upn, ...base };
    case 'message': return { entityType: 'MailMessage', sender: e.sender, recipient: e.recipient, subject: e.subject, deliveryAction: cap(e.deliveryAction),
      internetMessageId: e.internetMessageId, ...base };
    case 'device': return { entityType: 'Machine', deviceId: e.device.deviceId, ...base };
  }
}
function cap(s: string): string { return s.length ? s[0].toUpperCase() + s.slice(1) : s; }

/** Legacy error body: {"error":{"code","message","target"}} (defender-xdr/api-error-codes.md). */
export function legacyError(req: FaceRequest, status: number, code: string, message: string): FaceResponse {
  const target = headerId(req, 'request-id') ?? randomUUID();
  return { status, body: { error: { code, message, target } } };
}
