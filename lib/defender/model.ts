// The incident model: one shape whatever the backend, with Microsoft Graph's field names, and the vocabularies of its
// enums (Graph values, friendly labels, legacy Defender XDR names).
//
// Sources (stored copies read with the search tool):
// - Graph v1.0 enums: microsoftgraph/microsoft-graph-docs-contrib api-reference/v1.0/resources/security-incident.md and
//   security-alert.md ("alertDetermination values" table: compromisedAccount, notMalicious, notEnoughDataToValidate,
//   confirmedActivity), and the SDKs generated from the service metadata (msgraph-sdk-ruby
//   lib/models/security/alert_determination.rb), which settle the 15 determination names. The incident page's property
//   rows say compromisedUser, clean, insufficientData, confirmedUserActivity instead: read, never sent.
// - Legacy names: MicrosoftDocs/defender-docs defender-xdr/api-incident.md (Common properties: UnSpecified, InProgress,
//   "Informational, expected activity", CompromisedUser, ConfirmedUserActivity, Clean, InsufficientData),
//   api-update-incidents.md (the PATCH names: CompromisedAccount, ConfirmedActivity, Clean, NoEnoughDataToValidate),
//   api-list-incidents.md (NotAvailable, Apt, SecurityPersonnel).
// - Labels: the portal names quoted in api-incident.md / api-update-incidents.md ("Multistage attack"/"Multi staged
//   attack", "Security test", "Line-of-business application", "Not enough data to validate", ...), written in title
//   case as the integration's messages show them ("Not Enough Data To Validate"), except "Multi-staged attack", kept as
//   the issue spells it.
// - Classification → determination: api-update-incidents.md (per-classification lists) and reference §1.6/§2.3.

import { ActionError, invalidInput } from '../runtime/errors';
import { isJsonObject, type JsonObject } from '../runtime/shape';

// ---------------------------------------------------------------------------------------------------------------
// Enums (Graph metadata names; the sentinel unknownFutureValue is left out: it is never a valid input)

export const INCIDENT_STATUSES = ['active', 'inProgress', 'resolved', 'redirected', 'awaitingAction'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const SEVERITIES = ['unknown', 'informational', 'low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CLASSIFICATIONS = ['unknown', 'falsePositive', 'truePositive', 'informationalExpectedActivity'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** The 15 v1.0 alertDetermination members, in metadata order (reference §2.3). */
export const DETERMINATIONS = [
  'unknown',
  'apt',
  'malware',
  'securityPersonnel',
  'securityTesting',
  'unwantedSoftware',
  'other',
  'multiStagedAttack',
  'compromisedAccount',
  'phishing',
  'maliciousUserActivity',
  'notMalicious',
  'notEnoughDataToValidate',
  'confirmedActivity',
  'lineOfBusinessApplication',
] as const;
export type Determination = (typeof DETERMINATIONS)[number];

/** Graph alertStatus (security-alert.md "alertStatus values"). */
export const ALERT_STATUSES = ['unknown', 'new', 'inProgress', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/**
 * Graph serviceSource members (security-alert.md "serviceSource values"; microsoftDefenderForCloud is evolvable: Graph
 * sends it only to a call with `Prefer: include-unknown-enum-members`, which every Graph call here sends), and the later
 * members of Graph's metadata (microsoftSentinel, microsoftInsiderRiskManagement, microsoftThreatIntelligence).
 */
export const SERVICE_SOURCES = [
  'unknown', 'microsoftDefenderForEndpoint', 'microsoftDefenderForIdentity', 'microsoftDefenderForCloudApps', 'microsoftDefenderForOffice365',
  'microsoft365Defender', 'azureAdIdentityProtection', 'microsoftAppGovernance', 'dataLossPrevention', 'microsoftDefenderForCloud',
  'microsoftSentinel', 'microsoftInsiderRiskManagement', 'microsoftThreatIntelligence',
] as const;

/**
 * Graph detectionSource members (security-alert.md "detectionSource values": those from microsoftDefenderForCloud on
 * are evolvable, sent only with `Prefer: include-unknown-enum-members`), and the later ones of the beta page
 * (security-detectionsource.md: nrtAlerts, scheduledAlerts, ...).
 */
export const DETECTION_SOURCES = [
  'unknown', 'microsoftDefenderForEndpoint', 'antivirus', 'smartScreen', 'customTi', 'microsoftDefenderForOffice365', 'automatedInvestigation',
  'microsoftThreatExperts', 'customDetection', 'microsoftDefenderForIdentity', 'cloudAppSecurity', 'microsoft365Defender', 'azureAdIdentityProtection',
  'manual', 'microsoftDataLossPrevention', 'appGovernancePolicy', 'appGovernanceDetection', 'microsoftDefenderForCloud', 'microsoftDefenderForIoT',
  'microsoftDefenderForServers', 'microsoftDefenderForStorage', 'microsoftDefenderForDNS', 'microsoftDefenderForDatabases',
  'microsoftDefenderForContainers', 'microsoftDefenderForNetwork', 'microsoftDefenderForAppService', 'microsoftDefenderForKeyVault',
  'microsoftDefenderForResourceManager', 'microsoftDefenderForApiManagement', 'nrtAlerts', 'scheduledAlerts',
  'microsoftDefenderThreatIntelligenceAnalytics', 'builtInMl', 'microsoftInsiderRiskManagement', 'microsoftThreatIntelligence',
  'microsoftDefenderForAIServices', 'securityCopilot', 'microsoftSentinel',
] as const;

/**
 * A value read from Microsoft: one of the known members, or any other string the service sends (unknownFutureValue,
 * a member added after this was written). Reading never fails on an enum value.
 */
export type Open<T extends string> = T | (string & {});

// ---------------------------------------------------------------------------------------------------------------
// Vocabularies

/** Lower case, letters and digits only: "In Progress", "in_progress", "IN-PROGRESS" and "inProgress" are one key. */
export const normalizeKey = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

export interface Vocabulary<T extends string> {
  /** what the value is, in messages: "status" */
  readonly noun: string;
  readonly values: readonly T[];
  readonly labels: Readonly<Record<T, string>>;
  /** normalised spelling → value: every value, its label and its other names */
  readonly index: ReadonlyMap<string, T>;
}

export function vocabulary<T extends string>(
  noun: string,
  values: readonly T[],
  labels: Record<T, string>,
  aliases: Partial<Record<T, readonly string[]>>,
): Vocabulary<T> {
  const index = new Map<string, T>();
  for (const value of values) {
    for (const spelling of [value, labels[value], ...(aliases[value] ?? [])]) {
      const key = normalizeKey(spelling);
      const known = index.get(key);
      // a programming error, caught by the tests: two values would share a spelling
      if (known !== undefined && known !== value) throw new Error(`${noun} spelling '${spelling}' names both ${known} and ${value}`);
      index.set(key, value);
    }
  }
  return { noun, values, labels, index };
}

export const STATUS_VOCABULARY = vocabulary('status', INCIDENT_STATUSES, {
  active: 'Active',
  inProgress: 'In Progress',
  resolved: 'Resolved',
  redirected: 'Redirected',
  awaitingAction: 'Awaiting Action',
}, {});

export const SEVERITY_VOCABULARY = vocabulary('severity', SEVERITIES, {
  unknown: 'Unknown',
  informational: 'Informational',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
}, {
  // legacy incident severity (api-incident.md)
  unknown: ['UnSpecified'],
});

export const CLASSIFICATION_VOCABULARY = vocabulary('classification', CLASSIFICATIONS, {
  unknown: 'Unknown',
  falsePositive: 'False Positive',
  truePositive: 'True Positive',
  informationalExpectedActivity: 'Informational, Expected Activity',
}, {});

export const DETERMINATION_VOCABULARY = vocabulary('determination', DETERMINATIONS, {
  unknown: 'Unknown',
  apt: 'APT',
  malware: 'Malware',
  securityPersonnel: 'Security Personnel',
  securityTesting: 'Security Test',
  unwantedSoftware: 'Unwanted Software',
  other: 'Other',
  multiStagedAttack: 'Multi-staged attack',
  compromisedAccount: 'Compromised Account',
  phishing: 'Phishing',
  maliciousUserActivity: 'Malicious User Activity',
  notMalicious: 'Not Malicious',
  notEnoughDataToValidate: 'Not Enough Data To Validate',
  confirmedActivity: 'Confirmed Activity',
  lineOfBusinessApplication: 'Line-of-Business Application',
}, {
  // legacy list value for "no determination" (api-list-incidents.md)
  unknown: ['NotAvailable'],
  // "Security testing" is how security-alert.md words it
  securityTesting: ['Security Testing'],
  // api-incident.md's portal name "Multistage attack"
  multiStagedAttack: ['Multistage attack'],
  // api-incident.md's API name and security-incident.md's property row
  compromisedAccount: ['CompromisedUser'],
  // api-incident.md's and api-update-incidents.md's API names
  notMalicious: ['Clean'],
  notEnoughDataToValidate: ['InsufficientData', 'NoEnoughDataToValidate'],
  confirmedActivity: ['ConfirmedUserActivity'],
});

export const ALERT_STATUS_VOCABULARY = vocabulary('status', ALERT_STATUSES, {
  unknown: 'Unknown',
  new: 'New',
  inProgress: 'In Progress',
  resolved: 'Resolved',
}, {});

const LABELS: ReadonlyMap<string, string> = new Map(
  [STATUS_VOCABULARY, SEVERITY_VOCABULARY, CLASSIFICATION_VOCABULARY, DETERMINATION_VOCABULARY, ALERT_STATUS_VOCABULARY].flatMap(
    (v) => v.values.map((value): [string, string] => [value, (v.labels as Record<string, string>)[value] as string]),
  ),
);

/**
 * The friendly label of any enum value ("inProgress" → "In Progress", "notEnoughDataToValidate" → "Not Enough Data To
 * Validate"). A value this integration does not know (unknownFutureValue, a new member) is split at its capitals
 * ("unknownFutureValue" → "Unknown Future Value"), so a message can still show it.
 */
export function label(value: string): string {
  const known = LABELS.get(value);
  if (known !== undefined) return known;
  const words = value.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim();
  return words.replace(/(^|\s)([a-z])/g, (_m, space: string, c: string) => space + c.toUpperCase());
}

const list = (labels: readonly string[]): string => labels.join(', ');

export function parseWith<T extends string>(vocab: Vocabulary<T>, input: unknown, param: string, allowed: readonly T[]): T {
  const valid = list(allowed.map((v) => vocab.labels[v]));
  if (typeof input !== 'string' || input.trim() === '') {
    const got = typeof input === 'string' ? 'an empty value' : input === null ? 'null' : `a ${Array.isArray(input) ? 'list' : typeof input}`;
    throw invalidInput(`Parameter '${param}' must be a ${vocab.noun}: one of ${valid}; got ${got}.`);
  }
  const value = vocab.index.get(normalizeKey(input));
  if (value === undefined || !allowed.includes(value)) {
    throw invalidInput(`Parameter '${param}' must be a ${vocab.noun}: one of ${valid}; got '${input.trim()}'.`);
  }
  return value;
}

/**
 * User input → a Graph value. Each parser accepts the Graph value, its label and the legacy Defender XDR names, without
 * regard to case, spaces, hyphens, underscores or other punctuation ("In Progress", "in_progress", "InProgress").
 * `allowed` narrows what the caller takes (the error then lists only those); by default every member.
 * A bad value throws INVALID_INPUT naming the parameter and listing the labels of the valid values.
 */
export const parseStatus = (input: unknown, param: string, allowed: readonly IncidentStatus[] = INCIDENT_STATUSES): IncidentStatus =>
  parseWith(STATUS_VOCABULARY, input, param, allowed);
export const parseSeverity = (input: unknown, param: string, allowed: readonly Severity[] = SEVERITIES): Severity =>
  parseWith(SEVERITY_VOCABULARY, input, param, allowed);
export const parseClassification = (input: unknown, param: string, allowed: readonly Classification[] = CLASSIFICATIONS): Classification =>
  parseWith(CLASSIFICATION_VOCABULARY, input, param, allowed);
export const parseDetermination = (input: unknown, param: string, allowed: readonly Determination[] = DETERMINATIONS): Determination =>
  parseWith(DETERMINATION_VOCABULARY, input, param, allowed);

// ---------------------------------------------------------------------------------------------------------------
// Classification → determination (Microsoft's table)

/**
 * Which determinations each classification allows when an incident is updated.
 *
 * - truePositive, informationalExpectedActivity, falsePositive: the lists of api-update-incidents.md (and the portal's
 *   classify pane), in Graph names; `other` belongs to all three.
 * - unknown ("not classified yet", security-alert.md): only `unknown`. A determination says what a classification
 *   found, so an unclassified incident has none; setting classification Unknown with determination Unknown is how a
 *   classification is cleared.
 * - apt and securityPersonnel (DEPRECATED_DETERMINATIONS) belong to none: api-incident.md and api-update-incidents.md
 *   say they were "deprecated and no longer available via the API" around 29 August 2022. Both were true-positive
 *   determinations (security-alert.md: "A true positive alert that detected ..."), which is where
 *   CLASSIFICATION_OF_DETERMINATION puts them for reading old incidents; they can no longer be set.
 */
export const DETERMINATIONS_BY_CLASSIFICATION: Readonly<Record<Classification, readonly Determination[]>> = {
  truePositive: ['multiStagedAttack', 'maliciousUserActivity', 'compromisedAccount', 'malware', 'phishing', 'unwantedSoftware', 'other'],
  informationalExpectedActivity: ['securityTesting', 'lineOfBusinessApplication', 'confirmedActivity', 'other'],
  falsePositive: ['notMalicious', 'notEnoughDataToValidate', 'other'],
  unknown: ['unknown'],
};

export const DEPRECATED_DETERMINATIONS: readonly Determination[] = ['apt', 'securityPersonnel'];

/**
 * The classification each determination implies, where there is exactly one (`other` has three and is left out): for
 * describing incidents, and for a caller that wants to suggest a classification.
 */
export const CLASSIFICATION_OF_DETERMINATION: Readonly<Partial<Record<Determination, Classification>>> = (() => {
  const out: Partial<Record<Determination, Classification>> = { apt: 'truePositive', securityPersonnel: 'truePositive' };
  for (const d of DETERMINATIONS) {
    const owners = CLASSIFICATIONS.filter((c) => DETERMINATIONS_BY_CLASSIFICATION[c].includes(d));
    if (owners.length === 1) out[d] = owners[0];
  }
  return out;
})();

const isClassification = (s: string): s is Classification => (CLASSIFICATIONS as readonly string[]).includes(s);
const isDetermination = (s: string): s is Determination => (DETERMINATIONS as readonly string[]).includes(s);

/**
 * Throws INVALID_INPUT unless the classification allows the determination:
 * "Classification 'False Positive' does not allow determination 'Malware'; allowed: Not Malicious, Not Enough Data To
 * Validate, Other". The classification may come from an incident (a determination given alone is checked against the
 * incident's classification), so it may be a value this integration does not know: then the determination cannot be
 * checked and the message asks for a classification with it.
 */
export function checkDetermination(classification: Open<Classification>, determination: Open<Determination>): void {
  if (!isClassification(classification)) {
    throw invalidInput(
      `Determination '${label(determination)}' cannot be checked against classification '${label(classification)}', which this integration does not know; give a classification with it (one of ${list(CLASSIFICATIONS.map((c) => CLASSIFICATION_VOCABULARY.labels[c]))}).`,
    );
  }
  const allowed = DETERMINATIONS_BY_CLASSIFICATION[classification];
  if (isDetermination(determination) && allowed.includes(determination)) return;
  const retired = isDetermination(determination) && DEPRECATED_DETERMINATIONS.includes(determination) ? ' (Microsoft retired it in August 2022)' : '';
  throw invalidInput(
    `Classification '${label(classification)}' does not allow determination '${label(determination)}'${retired}; allowed: ${list(allowed.map((d) => label(d)))}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The model (Graph field names: security-incident.md, security-alert.md, security-alertcomment.md)

export interface IncidentComment {
  comment: string;
  createdByDisplayName: string | null;
  createdDateTime: string | null;
}

/**
 * One piece of alert evidence in Graph's shape: `@odata.type` names the kind
 * ("#microsoft.graph.security.deviceEvidence", ...), and the fields are those of that type (security-alertevidence.md
 * and the per-type pages). The common fields are typed; the rest are the type's own.
 */
export interface Evidence {
  '@odata.type': string;
  createdDateTime?: string | null;
  verdict?: Open<'unknown' | 'suspicious' | 'malicious' | 'noThreatsFound'>;
  remediationStatus?: Open<'none' | 'remediated' | 'prevented' | 'blocked' | 'notFound'>;
  roles?: string[];
  tags?: string[];
  [field: string]: unknown;
}

// a type, not an interface: an alert read from alerts_v2 keeps Microsoft's other fields (alerts.ts), and the schema's
// Alert allows them (an interface would not be assignable to a type with an index signature)
export type Alert = {
  id: string;
  providerAlertId: string | null;
  incidentId: string | null;
  title: string;
  description: string | null;
  status: Open<AlertStatus>;
  severity: Open<Severity>;
  classification: Open<Classification>;
  determination: Open<Determination>;
  serviceSource: string;
  detectionSource: string;
  detectorId: string | null;
  category: string | null;
  assignedTo: string | null;
  actorDisplayName: string | null;
  threatDisplayName: string | null;
  threatFamilyName: string | null;
  mitreTechniques: string[];
  alertWebUrl: string | null;
  createdDateTime: string | null;
  lastUpdateDateTime: string | null;
  resolvedDateTime: string | null;
  firstActivityDateTime: string | null;
  lastActivityDateTime: string | null;
  evidence: Evidence[];
};

export interface Incident {
  id: string;
  displayName: string;
  description?: string;
  status: Open<IncidentStatus>;
  severity: Open<Severity>;
  classification: Open<Classification>;
  determination: Open<Determination>;
  assignedTo: string | null;
  createdDateTime: string;
  lastUpdateDateTime: string;
  incidentWebUrl: string;
  redirectIncidentId: string | null;
  customTags: string[];
  systemTags?: string[];
  tenantId?: string;
  comments: IncidentComment[];
  /** present when the alerts were asked for ($expand=alerts on Graph; always on the Defender XDR API) */
  alerts?: Alert[];
}

export const EVIDENCE_TYPE_PREFIX = '#microsoft.graph.security.';

// ---------------------------------------------------------------------------------------------------------------
// Reading Microsoft's JSON (the JSON boundary: `any` stays out, values are checked as they are read)

export type Json = JsonObject;

export const isObject = isJsonObject;

/** A string, or a number written as a string (ids); anything else is null. */
export function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * An enum value read from Microsoft, normalised to its Graph member when it is one in any spelling this module knows
 * (Graph camelCase, the PascalCase of the doc examples and the legacy API, the doc variants); otherwise kept as sent.
 * null or absent reads as `unknown`.
 */
export function readEnum<T extends string>(vocab: Vocabulary<T>, raw: unknown, unknownValue: (s: string) => string = (s) => s): Open<T> {
  if (raw === null || raw === undefined) return 'unknown';
  const s = String(raw);
  return vocab.index.get(normalizeKey(s)) ?? unknownValue(s);
}

/** normalised spelling → member, for the open vocabularies (sources) that have no labels */
export const memberIndex = (members: readonly string[]): ReadonlyMap<string, string> => new Map(members.map((m) => [normalizeKey(m), m]));
const SERVICE_SOURCE_INDEX = memberIndex(SERVICE_SOURCES);
const DETECTION_SOURCE_INDEX = memberIndex(DETECTION_SOURCES);

/**
 * A source (serviceSource, detectionSource) read from Microsoft: its Graph member in any spelling ("MicrosoftDefender
 * ForEndpoint" in the doc examples), else as sent (unknownFutureValue, a member added later); null or absent is
 * `unknown`.
 */
export function readSource(index: ReadonlyMap<string, string>, raw: unknown): string {
  const s = str(raw);
  if (s === null || s === '') return 'unknown';
  return index.get(normalizeKey(s)) ?? s;
}
export const readServiceSource = (raw: unknown): string => readSource(SERVICE_SOURCE_INDEX, raw);
export const readDetectionSource = (raw: unknown): string => readSource(DETECTION_SOURCE_INDEX, raw);

/** The Defender XDR API writes in PascalCase what Graph writes in camelCase ("Active" → "active"). */
export const lowerFirst = (s: string): string => (s === '' ? s : s[0]!.toLowerCase() + s.slice(1));

export function malformed(api: string, what: string): ActionError {
  return new ActionError('API_ERROR', `${api} answered with ${what}.`);
}

function commentFromGraph(c: unknown): IncidentComment | null {
  if (!isObject(c)) return null;
  return {
    comment: str(c.comment) ?? '',
    // alertComment (security-alertcomment.md) and the older shape of the incident examples
    createdByDisplayName: str(c.createdByDisplayName) ?? str(c.createdBy),
    createdDateTime: str(c.createdDateTime) ?? str(c.createdTime),
  };
}

export function commentsFromGraph(v: unknown): IncidentComment[] {
  return Array.isArray(v) ? v.map(commentFromGraph).filter((c): c is IncidentComment => c !== null) : [];
}

function evidenceFromGraph(e: unknown): Evidence | null {
  if (!isObject(e)) return null;
  const type = str(e['@odata.type']);
  return { ...e, '@odata.type': type ?? `${EVIDENCE_TYPE_PREFIX}alertEvidence` };
}

/** A Graph alert (security-alert.md) in the model; enum values normalised as in incidentFromGraph. */
export function alertFromGraph(json: unknown): Alert {
  if (!isObject(json)) throw malformed('Microsoft Graph', 'an alert that is not an object');
  const id = str(json.id);
  if (id === null) throw malformed('Microsoft Graph', 'an alert without an id');
  return {
    id,
    providerAlertId: str(json.providerAlertId),
    incidentId: str(json.incidentId),
    title: str(json.title) ?? '',
    description: str(json.description),
    status: readEnum(ALERT_STATUS_VOCABULARY, json.status),
    severity: readEnum(SEVERITY_VOCABULARY, json.severity),
    classification: readEnum(CLASSIFICATION_VOCABULARY, json.classification),
    determination: readEnum(DETERMINATION_VOCABULARY, json.determination),
    serviceSource: readServiceSource(json.serviceSource),
    detectionSource: readDetectionSource(json.detectionSource),
    detectorId: str(json.detectorId),
    category: str(json.category),
    assignedTo: str(json.assignedTo),
    actorDisplayName: str(json.actorDisplayName),
    threatDisplayName: str(json.threatDisplayName),
    threatFamilyName: str(json.threatFamilyName),
    mitreTechniques: strings(json.mitreTechniques),
    alertWebUrl: str(json.alertWebUrl),
    createdDateTime: str(json.createdDateTime),
    lastUpdateDateTime: str(json.lastUpdateDateTime),
    resolvedDateTime: str(json.resolvedDateTime),
    firstActivityDateTime: str(json.firstActivityDateTime),
    lastActivityDateTime: str(json.lastActivityDateTime),
    evidence: Array.isArray(json.evidence) ? json.evidence.map(evidenceFromGraph).filter((e): e is Evidence => e !== null) : [],
  };
}

/**
 * A Graph incident (GET /security/incidents/{id}, an element of a list, a PATCH answer) in the model. Checks what the
 * model cannot do without (an object with an id and both timestamps: API_ERROR otherwise) and normalises the rest:
 * enum values in any known spelling become Graph members (the doc examples send "TruePositive", "Active"); values it
 * does not know (unknownFutureValue, new members) are kept as strings; comments in either shape; `customTags`, or
 * `tags` as the list-incidents `$expand=alerts` example has it.
 */
export function incidentFromGraph(json: unknown): Incident {
  if (!isObject(json)) throw malformed('Microsoft Graph', 'an incident that is not an object');
  const id = str(json.id);
  if (id === null || id === '') throw malformed('Microsoft Graph', 'an incident without an id');
  const createdDateTime = str(json.createdDateTime);
  const lastUpdateDateTime = str(json.lastUpdateDateTime);
  if (createdDateTime === null || lastUpdateDateTime === null) {
    throw malformed('Microsoft Graph', `incident ${id} without ${createdDateTime === null ? 'createdDateTime' : 'lastUpdateDateTime'}`);
  }
  const incident: Incident = {
    id,
    displayName: str(json.displayName) ?? '',
    status: readEnum(STATUS_VOCABULARY, json.status),
    severity: readEnum(SEVERITY_VOCABULARY, json.severity),
    classification: readEnum(CLASSIFICATION_VOCABULARY, json.classification),
    determination: readEnum(DETERMINATION_VOCABULARY, json.determination),
    assignedTo: str(json.assignedTo),
    createdDateTime,
    lastUpdateDateTime,
    incidentWebUrl: str(json.incidentWebUrl) ?? '',
    redirectIncidentId: str(json.redirectIncidentId),
    customTags: strings(json.customTags ?? json.tags),
    comments: commentsFromGraph(json.comments),
  };
  const description = str(json.description);
  if (description !== null) incident.description = description;
  if (Array.isArray(json.systemTags)) incident.systemTags = strings(json.systemTags);
  const tenantId = str(json.tenantId);
  if (tenantId !== null) incident.tenantId = tenantId;
  if (Array.isArray(json.alerts)) incident.alerts = json.alerts.map(alertFromGraph);
  return incident;
}
