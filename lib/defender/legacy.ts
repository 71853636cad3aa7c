// The Defender XDR API (api.security.microsoft.com, /api/incidents) mapped onto the incident model, and the model's
// values back into the names its PATCH body takes.
//
// Sources: MicrosoftDocs/defender-docs defender-xdr/api-list-incidents.md (schema mapping and the example response),
// api-incident.md (common properties), api-update-incidents.md (the PATCH names), advanced-hunting-schema-changes.md
// (January 2021: the legacy detection source names and their new names); reference §1.4 for what real payloads do that
// the docs do not say (null keys omitted, `Mailbox` as well as `MailBox`, `incidentUri`, `evidenceCreationTime`,
// `verdict`, `remediationStatus`, `internetMessageId`, `clusterByValue`, `emailCount`). Graph's evidence types and
// fields: microsoft-graph-docs-contrib api-reference/v1.0/resources/security-*evidence.md.

import { invalidInput } from '../runtime/errors';
import {
  ALERT_STATUS_VOCABULARY,
  type Alert,
  CLASSIFICATION_VOCABULARY,
  type Classification,
  DETECTION_SOURCES,
  DETERMINATION_VOCABULARY,
  type Determination,
  EVIDENCE_TYPE_PREFIX,
  type Evidence,
  type Incident,
  type IncidentComment,
  type IncidentStatus,
  type Json,
  SERVICE_SOURCES,
  SEVERITY_VOCABULARY,
  STATUS_VOCABULARY,
  type Severity,
  type Vocabulary,
  isObject,
  label,
  lowerFirst,
  malformed,
  memberIndex,
  normalizeKey,
  readEnum,
  str,
  strings,
} from './model';

const API = 'The Defender XDR API';

export interface LegacyOptions {
  /**
   * Where an incident's page is when the payload has no `incidentUri` (the documented examples have none; real answers
   * do): `https://security.microsoft.com` by default; GCC High and DoD tenants use their own portal.
   */
  portalUrl?: string;
}

const DEFAULT_PORTAL = 'https://security.microsoft.com';

// ---------------------------------------------------------------------------------------------------------------
// Names

/**
 * Legacy `serviceSource` (api-list-incidents.md, and observed values) → Graph serviceSource (security-alert.md), for the
 * names that are not Graph's own; any other is matched against Graph's members (see `mapped`).
 */
const LEGACY_SERVICE_SOURCES: Readonly<Record<string, string>> = {
  microsoftdefenderatp: 'microsoftDefenderForEndpoint',
  microsoftdefenderforendpoint: 'microsoftDefenderForEndpoint',
  microsoftcloudappsecurity: 'microsoftDefenderForCloudApps',
  microsoftdefenderforcloudapps: 'microsoftDefenderForCloudApps',
  officeatp: 'microsoftDefenderForOffice365',
  microsoftdefenderforoffice365: 'microsoftDefenderForOffice365',
  azureatp: 'microsoftDefenderForIdentity',
  microsoftdefenderforidentity: 'microsoftDefenderForIdentity',
  aadidentityprotection: 'azureAdIdentityProtection',
  azureadidentityprotection: 'azureAdIdentityProtection',
  mtp: 'microsoft365Defender',
  microsoft365defender: 'microsoft365Defender',
  appgovernance: 'microsoftAppGovernance',
  microsoftappgovernance: 'microsoftAppGovernance',
  datalossprevention: 'dataLossPrevention',
  microsoftdefenderforcloud: 'microsoftDefenderForCloud',
};

/**
 * Legacy `detectionSource` → Graph detectionSource. The legacy names are those advanced-hunting-schema-changes.md
 * (January 2021) lists as renamed (WindowsDefenderAtp → EDR, WindowsDefenderAv → Antivirus, MCAS, MTP, AzureATP, ...);
 * `AAD` is observed (reference §1.4). Others are kept with a lower-case first letter.
 */
const LEGACY_DETECTION_SOURCES: Readonly<Record<string, string>> = {
  windowsdefenderatp: 'microsoftDefenderForEndpoint',
  windowsdefenderav: 'antivirus',
  windowsdefendersmartscreen: 'smartScreen',
  customerti: 'customTi',
  officeatp: 'microsoftDefenderForOffice365',
  automatedinvestigation: 'automatedInvestigation',
  threatexperts: 'microsoftThreatExperts',
  customdetection: 'customDetection',
  azureatp: 'microsoftDefenderForIdentity',
  mcas: 'cloudAppSecurity',
  mtp: 'microsoft365Defender',
  aad: 'azureAdIdentityProtection',
  manual: 'manual',
};

const SERVICE_SOURCE_NAMES = new Map([...memberIndex(SERVICE_SOURCES), ...Object.entries(LEGACY_SERVICE_SOURCES)]);
const DETECTION_SOURCE_NAMES = new Map([...memberIndex(DETECTION_SOURCES), ...Object.entries(LEGACY_DETECTION_SOURCES)]);

/**
 * A legacy source as Graph names it: a legacy name of the table, Graph's member in any spelling, or Graph's member
 * without its "Microsoft" (the Defender for Cloud plans: DefenderForDatabases → microsoftDefenderForDatabases, as
 * issue 13 saw them; this API documents no list of them); any other value is kept with a lower-case first letter.
 */
const mapped = (names: ReadonlyMap<string, string>, raw: unknown): string => {
  const s = str(raw);
  if (s === null || s === '') return 'unknown';
  const key = normalizeKey(s);
  return names.get(key) ?? names.get(`microsoft${key}`) ?? lowerFirst(s);
};

// ---------------------------------------------------------------------------------------------------------------
// Evidence

/** The value of a key the payload may omit, send as null, or send; legacy answers omit null keys (reference §1.4). */
const opt = (o: Json, key: string): string | null => str(o[key]);
const num = (o: Json, key: string): number | null => {
  const v = o[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return null;
};
const lowerOr = (v: string | null, fallback: string | null): string | null => (v === null ? fallback : lowerFirst(v));

/** The fields every Graph alertEvidence has (security-alertevidence.md), from what a legacy entity carries. */
function base(type: string, o: Json): Evidence {
  return {
    '@odata.type': EVIDENCE_TYPE_PREFIX + type,
    createdDateTime: opt(o, 'evidenceCreationTime'),
    verdict: lowerOr(opt(o, 'verdict'), 'unknown') as string,
    remediationStatus: lowerOr(opt(o, 'remediationStatus'), 'none') as string,
    remediationStatusDetails: null,
    roles: [],
    tags: [],
  };
}

/**
 * An alert's device (`mdatpDeviceId` in the examples and real answers; the doc table says `DeviceId`) → deviceEvidence.
 * A legacy device has no verdict: it reads as `unknown`.
 */
export function deviceEvidenceFromLegacy(d: Json): Evidence {
  return {
    ...base('deviceEvidence', d),
    mdeDeviceId: opt(d, 'mdatpDeviceId') ?? opt(d, 'DeviceId') ?? opt(d, 'deviceId'),
    azureAdDeviceId: opt(d, 'aadDeviceId'),
    deviceDnsName: opt(d, 'deviceDnsName'),
    osPlatform: opt(d, 'osPlatform'),
    osBuild: num(d, 'osBuild'),
    version: opt(d, 'version'),
    healthStatus: lowerOr(opt(d, 'healthStatus'), null),
    riskScore: lowerOr(opt(d, 'riskScore'), null),
    rbacGroupId: num(d, 'rbacGroupId'),
    rbacGroupName: opt(d, 'rbacGroupName'),
    firstSeenDateTime: opt(d, 'firstSeen'),
    // not in the legacy docs' device table, but fields of Graph's deviceEvidence that device objects may carry
    ...(Array.isArray(d.tags) ? { tags: strings(d.tags) } : {}),
    onboardingStatus: lowerOr(opt(d, 'onboardingStatus'), null),
    defenderAvStatus: lowerOr(opt(d, 'defenderAvStatus'), null),
    loggedOnUsers: Array.isArray(d.loggedOnUsers)
      ? d.loggedOnUsers.filter(isObject).map((u) => ({ accountName: opt(u, 'accountName'), domainName: opt(u, 'domainName') }))
      : [],
  };
}

function fileDetails(o: Json): Json | null {
  const details = { sha1: opt(o, 'sha1'), sha256: opt(o, 'sha256'), fileName: opt(o, 'fileName'), filePath: opt(o, 'filePath') };
  return Object.values(details).some((v) => v !== null) ? details : null;
}

function userAccount(o: Json): Json {
  return {
    accountName: opt(o, 'accountName'),
    domainName: opt(o, 'domainName'),
    userSid: opt(o, 'userSid'),
    azureAdUserId: opt(o, 'aadUserId'),
    userPrincipalName: opt(o, 'userPrincipalName'),
  };
}

const hasAccount = (o: Json): boolean => opt(o, 'accountName') !== null || opt(o, 'userSid') !== null || opt(o, 'aadUserId') !== null;

/**
 * An alert's entity → Graph evidence, by `entityType` in any case (`MailBox` in the docs, `Mailbox` in real answers):
 * User → userEvidence, Ip → ipEvidence, Url → urlEvidence, File → fileEvidence, Process → processEvidence, MailBox →
 * mailboxEvidence, MailMessage → analyzedMessageEvidence, MailCluster → mailClusterEvidence, Registry →
 * registryValueEvidence (registryKeyEvidence without a value), SecurityGroup → securityGroupEvidence. A type not in this
 * list is kept as plain alertEvidence with its non-null fields, so nothing is lost.
 */
export function entityEvidenceFromLegacy(e: Json): Evidence {
  const type = normalizeKey(opt(e, 'entityType') ?? '');
  switch (type) {
    case 'user':
      return { ...base('userEvidence', e), userAccount: userAccount(e) };
    case 'ip':
      return { ...base('ipEvidence', e), ipAddress: opt(e, 'ipAddress') };
    case 'url':
      return { ...base('urlEvidence', e), url: opt(e, 'url') };
    case 'file':
      return { ...base('fileEvidence', e), fileDetails: fileDetails(e) ?? { sha1: null, sha256: null, fileName: null, filePath: null }, mdeDeviceId: opt(e, 'deviceId') };
    case 'process':
      return {
        ...base('processEvidence', e),
        processId: num(e, 'processId'),
        processCommandLine: opt(e, 'processCommandLine'),
        processCreationDateTime: opt(e, 'processCreationTime'),
        parentProcessId: num(e, 'parentProcessId'),
        parentProcessCreationDateTime: opt(e, 'parentProcessCreationTime'),
        imageFile: fileDetails(e),
        userAccount: hasAccount(e) ? userAccount(e) : null,
        mdeDeviceId: opt(e, 'deviceId'),
      };
    case 'mailbox':
      return {
        ...base('mailboxEvidence', e),
        primaryAddress: opt(e, 'mailboxAddress'),
        displayName: opt(e, 'mailboxDisplayName'),
        upn: opt(e, 'userPrincipalName'),
        // the legacy mailbox entity rarely names the account behind it (Graph's userAccount); kept when it does
        userAccount: hasAccount(e) ? userAccount(e) : null,
      };
    case 'mailmessage': {
      // Graph's p2Sender is the message's From header, which is what the legacy `sender` shows (the portal's "Sender")
      const sender = opt(e, 'sender');
      return {
        ...base('analyzedMessageEvidence', e),
        internetMessageId: opt(e, 'internetMessageId'),
        networkMessageId: opt(e, 'networkMessageId'),
        subject: opt(e, 'subject'),
        recipientEmailAddress: opt(e, 'recipient'),
        p2Sender: sender === null ? null : { emailAddress: sender, displayName: null, domainName: sender.includes('@') ? sender.slice(sender.lastIndexOf('@') + 1) : null },
        deliveryAction: lowerOr(opt(e, 'deliveryAction'), null),
      };
    }
    case 'mailcluster':
      return {
        ...base('mailClusterEvidence', e),
        clusterBy: opt(e, 'clusterBy'),
        clusterByValue: opt(e, 'clusterByValue'),
        emailCount: num(e, 'emailCount'),
      };
    case 'registry': {
      const value = opt(e, 'registryValue');
      const key = { registryHive: opt(e, 'registryHive'), registryKey: opt(e, 'registryKey') };
      return value === null && opt(e, 'registryValueType') === null
        ? { ...base('registryKeyEvidence', e), ...key }
        : { ...base('registryValueEvidence', e), ...key, registryValue: value, registryValueType: opt(e, 'registryValueType'), registryValueName: opt(e, 'registryValueName') };
    }
    case 'securitygroup':
      return { ...base('securityGroupEvidence', e), securityGroupId: opt(e, 'securityGroupId'), displayName: opt(e, 'securityGroupName') };
    default: {
      const fields = Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null && v !== undefined));
      return { ...fields, ...base('alertEvidence', e) };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Incidents

const readLegacy = <T extends string>(vocab: Vocabulary<T>, raw: unknown) => readEnum(vocab, raw, lowerFirst);

function commentFromLegacy(c: unknown): IncidentComment | null {
  if (!isObject(c)) return null;
  return {
    comment: str(c.comment) ?? '',
    createdByDisplayName: str(c.createdBy),
    // the resource page calls it createTime; the examples and the service say createdTime
    createdDateTime: str(c.createdTime) ?? str(c.createTime),
  };
}

/** One legacy alert (api-list-incidents.md "Alerts metadata") in the model. */
export function alertFromLegacy(json: unknown, options: LegacyOptions = {}): Alert {
  if (!isObject(json)) throw malformed(API, 'an alert that is not an object');
  const id = str(json.alertId);
  if (id === null) throw malformed(API, 'an alert without an alertId');
  const portal = (options.portalUrl ?? DEFAULT_PORTAL).replace(/\/+$/, '');
  const devices = Array.isArray(json.devices) ? json.devices.filter(isObject) : [];
  const entities = Array.isArray(json.entities) ? json.entities.filter(isObject) : [];
  return {
    id,
    providerAlertId: str(json.providerAlertId),
    incidentId: str(json.incidentId),
    title: str(json.title) ?? '',
    description: str(json.description),
    status: readLegacy(ALERT_STATUS_VOCABULARY, json.status),
    severity: readLegacy(SEVERITY_VOCABULARY, json.severity),
    classification: readLegacy(CLASSIFICATION_VOCABULARY, json.classification),
    determination: readLegacy(DETERMINATION_VOCABULARY, json.determination),
    serviceSource: mapped(SERVICE_SOURCE_NAMES, json.serviceSource),
    detectionSource: mapped(DETECTION_SOURCE_NAMES, json.detectionSource),
    detectorId: str(json.detectorId),
    category: str(json.category),
    assignedTo: str(json.assignedTo),
    actorDisplayName: str(json.actorName),
    threatDisplayName: null,
    threatFamilyName: str(json.threatFamilyName),
    mitreTechniques: strings(json.mitreTechniques),
    alertWebUrl: `${portal}/alerts/${encodeURIComponent(id)}`,
    createdDateTime: str(json.creationTime),
    lastUpdateDateTime: str(json.lastUpdatedTime),
    resolvedDateTime: str(json.resolvedTime),
    firstActivityDateTime: str(json.firstActivity),
    lastActivityDateTime: str(json.lastActivity),
    evidence: [...devices.map(deviceEvidenceFromLegacy), ...entities.map(entityEvidenceFromLegacy)],
  };
}

/**
 * A Defender XDR incident (GET /api/incidents, /api/incidents/{id}, a PATCH answer) in the model: incidentId → id
 * (a string), incidentName → displayName, createdTime / lastUpdateTime → createdDateTime / lastUpdateDateTime,
 * PascalCase enum values → Graph members (InProgress → inProgress, UnSpecified → unknown, NotAvailable → unknown,
 * Clean → notMalicious, ...; a value it does not know is kept with a lower-case first letter), tags → customTags,
 * incidentUri → incidentWebUrl, redirectIncidentId → a string, comments → Graph's alertComment shape, and the alerts
 * with their devices and entities as Graph evidence. Null and absent keys are treated alike.
 */
export function incidentFromLegacy(json: unknown, options: LegacyOptions = {}): Incident {
  if (!isObject(json)) throw malformed(API, 'an incident that is not an object');
  const id = str(json.incidentId);
  if (id === null || id === '') throw malformed(API, 'an incident without an incidentId');
  const createdDateTime = str(json.createdTime);
  const lastUpdateDateTime = str(json.lastUpdateTime);
  if (createdDateTime === null || lastUpdateDateTime === null) {
    throw malformed(API, `incident ${id} without ${createdDateTime === null ? 'createdTime' : 'lastUpdateTime'}`);
  }
  const portal = (options.portalUrl ?? DEFAULT_PORTAL).replace(/\/+$/, '');
  return {
    id,
    displayName: str(json.incidentName) ?? '',
    status: readLegacy(STATUS_VOCABULARY, json.status),
    severity: readLegacy(SEVERITY_VOCABULARY, json.severity),
    classification: readLegacy(CLASSIFICATION_VOCABULARY, json.classification),
    determination: readLegacy(DETERMINATION_VOCABULARY, json.determination),
    assignedTo: str(json.assignedTo),
    createdDateTime,
    lastUpdateDateTime,
    incidentWebUrl: str(json.incidentUri) ?? `${portal}/incidents/${encodeURIComponent(id)}`,
    redirectIncidentId: str(json.redirectIncidentId),
    customTags: strings(json.tags),
    comments: Array.isArray(json.comments) ? json.comments.map(commentFromLegacy).filter((c): c is IncidentComment => c !== null) : [],
    alerts: Array.isArray(json.alerts) ? json.alerts.map((a) => alertFromLegacy(a, options)) : [],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Model → PATCH body names (api-update-incidents.md; the service is case-sensitive, api-error-codes.md)

const LEGACY_STATUS: Readonly<Record<Exclude<IncidentStatus, 'awaitingAction'>, string>> = {
  active: 'Active',
  inProgress: 'InProgress',
  resolved: 'Resolved',
  redirected: 'Redirected',
};

/** Status for a Defender XDR PATCH body. `awaitingAction` is Graph-only (Defender Experts) and refused. */
export function toLegacyStatus(status: IncidentStatus): string {
  if (status === 'awaitingAction') {
    throw invalidInput(`Status '${label(status)}' cannot be set through the Defender XDR API; use one of ${Object.keys(LEGACY_STATUS).map(label).join(', ')}.`);
  }
  return LEGACY_STATUS[status];
}

const LEGACY_CLASSIFICATION: Readonly<Record<Classification, string>> = {
  truePositive: 'TruePositive',
  falsePositive: 'FalsePositive',
  informationalExpectedActivity: 'InformationalExpectedActivity',
  // not among the update page's values; the list page's name for "not classified"
  unknown: 'Unknown',
};

export const toLegacyClassification = (classification: Classification): string => LEGACY_CLASSIFICATION[classification];

/** The update page's names: note Clean and NoEnoughDataToValidate for notMalicious and notEnoughDataToValidate. */
const LEGACY_DETERMINATION: Readonly<Record<Determination, string>> = {
  unknown: 'NotAvailable',
  apt: 'Apt',
  malware: 'Malware',
  securityPersonnel: 'SecurityPersonnel',
  securityTesting: 'SecurityTesting',
  unwantedSoftware: 'UnwantedSoftware',
  other: 'Other',
  multiStagedAttack: 'MultiStagedAttack',
  compromisedAccount: 'CompromisedAccount',
  phishing: 'Phishing',
  maliciousUserActivity: 'MaliciousUserActivity',
  notMalicious: 'Clean',
  notEnoughDataToValidate: 'NoEnoughDataToValidate',
  confirmedActivity: 'ConfirmedActivity',
  lineOfBusinessApplication: 'LineOfBusinessApplication',
};

export const toLegacyDetermination = (determination: Determination): string => LEGACY_DETERMINATION[determination];

const LEGACY_SEVERITY: Readonly<Record<Severity, string>> = {
  unknown: 'UnSpecified',
  informational: 'Informational',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
};

export const toLegacySeverity = (severity: Severity): string => LEGACY_SEVERITY[severity];
