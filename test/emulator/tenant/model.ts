// The tenant's data model: incidents, alerts, evidence and the enums of both APIs, stored once and
// shown through two faces (Graph v1.0 and the legacy Defender XDR API). Values are stored with the
// Graph v1.0 metadata names (camelCase); the legacy face maps them on output and input.
import type { SeedEntities } from '../hunting/api';
import { SENTINEL, visibleMember } from './enums';

export type Device = SeedEntities['devices'][number];
export type User = SeedEntities['users'][number];
export type FileEntity = SeedEntities['files'][number];

/**
 * A point in time with the service's 100 ns precision: Microsoft returns 7 fractional digits
 * ("2021-08-13T08:43:35.5533333Z", security-list-incidents.md), finer than a JS Date. A client that
 * cursors on lastUpdateDateTime with millisecond precision sees the sub-millisecond part matter.
 */
export interface Stamp { ms: number; sub: number /* 0..9999, units of 100 ns */ }

export function stampOf(d: Date, sub = 0): Stamp { return { ms: d.getTime(), sub }; }
export function cmpStamp(a: Stamp, b: Stamp): number { return a.ms !== b.ms ? a.ms - b.ms : a.sub - b.sub; }
/** "2021-08-13T08:43:35.5533333Z" */
export function isoStamp(s: Stamp): string {
  const iso = new Date(s.ms).toISOString(); // yyyy-mm-ddThh:mm:ss.sssZ
  return `${iso.slice(0, 23)}${String(s.sub).padStart(4, '0')}Z`;
}
/** .NET ticks (100 ns since 0001-01-01), as used in alert ids such as da637349914833441527_393341063 */
export function ticksOf(s: Stamp): bigint { return (BigInt(s.ms) + 62135596800000n) * 10000n + BigInt(s.sub); }

/**
 * Parses an ISO 8601 date-time with an offset (Z or ±hh:mm) and up to any number of fractional
 * digits (the first 7 kept). Returns undefined when it is not one or a field is out of range.
 */
export function parseStamp(text: string): Stamp | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [+m[1], +m[2], +m[3], +m[4], +m[5]];
  const s = m[6] === undefined ? 0 : +m[6];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d > dim) return undefined;
  let offsetMin = 0;
  const z = m[8];
  if (z !== 'Z' && z !== 'z') {
    const oh = +z.slice(1, 3), om = +z.slice(4, 6);
    if (oh > 14 || om > 59) return undefined;
    offsetMin = (z[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const frac = (m[7] ?? '').padEnd(7, '0').slice(0, 7);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - offsetMin * 60000 + Number(frac.slice(0, 3));
  return { ms, sub: Number(frac.slice(3, 7)) };
}

// ---- Enums (Graph v1.0 metadata names; reference §2.3, msgraph-sdk v1.0 models/security) ----
export const INCIDENT_STATUS = ['active', 'resolved', 'inProgress', 'redirected', 'unknownFutureValue', 'awaitingAction'] as const;
export const SEVERITY = ['unknown', 'informational', 'low', 'medium', 'high', 'unknownFutureValue'] as const;
export const CLASSIFICATION = ['unknown', 'falsePositive', 'truePositive', 'informationalExpectedActivity', 'unknownFutureValue'] as const;
export const DETERMINATION = ['unknown', 'apt', 'malware', 'securityPersonnel', 'securityTesting', 'unwantedSoftware', 'other',
  'multiStagedAttack', 'compromisedAccount', 'phishing', 'maliciousUserActivity', 'notMalicious', 'notEnoughDataToValidate',
  'confirmedActivity', 'lineOfBusinessApplication', 'unknownFutureValue'] as const;
export const ALERT_STATUS = ['unknown', 'new', 'inProgress', 'resolved', 'unknownFutureValue'] as const;
export const SERVICE_SOURCE = ['unknown', 'microsoftDefenderForEndpoint', 'microsoftDefenderForIdentity', 'microsoftDefenderForCloudApps',
  'microsoftDefenderForOffice365', 'microsoft365Defender', 'azureAdIdentityProtection', 'microsoftAppGovernance',
  'dataLossPrevention', 'unknownFutureValue', 'microsoftDefenderForCloud'] as const;
/** detectionSource (resources/security-alert.md): the members after unknownFutureValue need `Prefer: include-unknown-enum-members`. */
export const DETECTION_SOURCE = ['unknown', 'microsoftDefenderForEndpoint', 'antivirus', 'smartScreen', 'customTi', 'microsoftDefenderForOffice365',
  'automatedInvestigation', 'microsoftThreatExperts', 'customDetection', 'microsoftDefenderForIdentity', 'cloudAppSecurity', 'microsoft365Defender',
  'azureAdIdentityProtection', 'manual', 'microsoftDataLossPrevention', 'appGovernancePolicy', 'appGovernanceDetection', 'unknownFutureValue',
  'microsoftDefenderForCloud', 'microsoftDefenderForIoT', 'microsoftDefenderForServers', 'microsoftDefenderForStorage', 'microsoftDefenderForDNS',
  'microsoftDefenderForDatabases', 'microsoftDefenderForContainers', 'microsoftDefenderForNetwork', 'microsoftDefenderForAppService',
  'microsoftDefenderForKeyVault', 'microsoftDefenderForResourceManager', 'microsoftDefenderForApiManagement'] as const;

/**
 * Evolvable enums (enums.ts): Graph replaces every member after the `unknownFutureValue` sentinel by
 * `unknownFutureValue` unless the request sends `Prefer: include-unknown-enum-members`.
 */
export { SENTINEL };
/** The members of `members` that come after the sentinel. */
export function evolvedMembers(members: readonly string[]): string[] {
  const at = members.indexOf(SENTINEL);
  return at < 0 ? [] : members.slice(at + 1);
}
/** `value` as Graph writes it: a member after the sentinel becomes the sentinel unless the caller opted in. */
export const shownMember = visibleMember;

/** The values a seeded or updated incident takes (unknownFutureValue/awaitingAction are never returned without `Prefer: include-unknown-enum-members`). */
export const LIVE_STATUS = ['active', 'inProgress', 'resolved', 'redirected'];
export const LIVE_SEVERITY = ['unknown', 'informational', 'low', 'medium', 'high'];
export const LIVE_CLASSIFICATION = ['unknown', 'falsePositive', 'truePositive', 'informationalExpectedActivity'];
export const LIVE_DETERMINATION = DETERMINATION.filter((d) => d !== 'unknownFutureValue') as string[];

/**
 * Classification → determinations, from the legacy update page (defender-xdr/api-update-incidents.md) in Graph
 * names (reference §2.3). apt and securityPersonnel (deprecated Aug 2022) are kept under the classification
 * they used to go with so that every v1.0 value occurs in the seed.
 */
export const DETERMINATIONS_BY_CLASSIFICATION: Record<string, string[]> = {
  unknown: ['unknown'],
  truePositive: ['multiStagedAttack', 'maliciousUserActivity', 'compromisedAccount', 'malware', 'phishing', 'unwantedSoftware', 'other', 'apt'],
  informationalExpectedActivity: ['securityTesting', 'lineOfBusinessApplication', 'confirmedActivity', 'other', 'securityPersonnel'],
  falsePositive: ['notMalicious', 'notEnoughDataToValidate', 'other'],
};

// ---- Legacy (Defender XDR API) names; reference §1.4 and §1.6 ----
export const LEGACY_STATUS: Record<string, string> = { active: 'Active', inProgress: 'InProgress', resolved: 'Resolved', redirected: 'Redirected' };
export const LEGACY_SEVERITY: Record<string, string> = { unknown: 'UnSpecified', informational: 'Informational', low: 'Low', medium: 'Medium', high: 'High' };
export const LEGACY_CLASSIFICATION: Record<string, string> = {
  unknown: 'Unknown', falsePositive: 'FalsePositive', truePositive: 'TruePositive', informationalExpectedActivity: 'InformationalExpectedActivity',
};
/** Output names follow api-update-incidents.md (the page with the per-classification table). */
export const LEGACY_DETERMINATION: Record<string, string> = {
  unknown: 'NotAvailable', apt: 'Apt', malware: 'Malware', securityPersonnel: 'SecurityPersonnel', securityTesting: 'SecurityTesting',
  unwantedSoftware: 'UnwantedSoftware', other: 'Other', multiStagedAttack: 'MultiStagedAttack', compromisedAccount: 'CompromisedAccount',
  phishing: 'Phishing', maliciousUserActivity: 'MaliciousUserActivity', notMalicious: 'Clean', notEnoughDataToValidate: 'NoEnoughDataToValidate',
  confirmedActivity: 'ConfirmedActivity', lineOfBusinessApplication: 'LineOfBusinessApplication',
};
/** Accepted on input too: the names api-incident.md (the resource page) gives for three of them. */
export const LEGACY_DETERMINATION_ALIASES: Record<string, string> = {
  CompromisedUser: 'compromisedAccount', InsufficientData: 'notEnoughDataToValidate', ConfirmedUserActivity: 'confirmedActivity',
};
export const LEGACY_ALERT_STATUS: Record<string, string> = { unknown: 'Unknown', new: 'New', inProgress: 'InProgress', resolved: 'Resolved' };
/** Legacy alert serviceSource values (reference §1.4; observed MicrosoftDefenderForOffice365 / AADIdentityProtection). */
export const LEGACY_SERVICE_SOURCE: Record<string, string> = {
  microsoftDefenderForEndpoint: 'MicrosoftDefenderATP', microsoftDefenderForIdentity: 'AzureATP',
  microsoftDefenderForCloudApps: 'MicrosoftCloudAppSecurity', microsoftDefenderForOffice365: 'MicrosoftDefenderForOffice365',
  microsoft365Defender: 'Microsoft365Defender', azureAdIdentityProtection: 'AADIdentityProtection',
  // not documented for this API; its own names follow the product's (MicrosoftDefenderForOffice365)
  microsoftDefenderForCloud: 'MicrosoftDefenderForCloud',
};
export const LEGACY_DETECTION_SOURCE: Record<string, string> = {
  antivirus: 'WindowsDefenderAv', microsoftDefenderForEndpoint: 'WindowsDefenderAtp', microsoftDefenderForOffice365: 'OfficeATP',
  cloudAppSecurity: 'MCAS', azureAdIdentityProtection: 'AAD', microsoftDefenderForIdentity: 'AzureATP', customDetection: 'CustomDetection',
  microsoft365Defender: 'Microsoft365Defender', automatedInvestigation: 'AutomatedInvestigation',
  // the Defender for Cloud plans: not documented for this API; written as issue 13 reports them ("DefenderForDatabases")
  ...Object.fromEntries(DETECTION_SOURCE.filter((d) => d.startsWith('microsoftDefenderFor') && !['microsoftDefenderForEndpoint', 'microsoftDefenderForOffice365', 'microsoftDefenderForIdentity'].includes(d))
    .map((d) => [d, d.slice('microsoft'.length)])),
};

export function invert(map: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) out[v] = k;
  return out;
}

// ---- Records ----
export interface Comment { comment: string; createdBy: string; created: Stamp }

interface EvidenceBase { created: Stamp; verdict: string; remediationStatus: string; roles: string[]; detailedRoles: string[] }
export type Evidence = EvidenceBase & (
  | { kind: 'device'; device: Device; osBuild: number; firstSeen: Stamp; loggedOn: User[] }
  | { kind: 'file'; file: FileEntity; deviceId: string }
  | { kind: 'process'; file: FileEntity; deviceId: string; processId: number; parentProcessId: number; commandLine: string;
      processCreated: Stamp; parentCreated: Stamp; user: User }
  | { kind: 'ip'; ip: string; country: string }
  | { kind: 'url'; url: string }
  | { kind: 'user'; user: User }
  | { kind: 'mailbox'; address: string; user: User }
  | { kind: 'message'; networkMessageId: string; internetMessageId: string; subject: string; sender: string; senderIp: string;
      recipient: string; urls: string[]; deliveryAction: string; deliveryLocation: string; received: Stamp }
);

export interface Alert {
  id: string;
  incidentId: number;
  status: string; severity: string; classification: string; determination: string;
  serviceSource: string; detectionSource: string; detectorId: string;
  title: string; description: string; category: string; recommendedActions: string;
  assignedTo: string | null;
  mitreTechniques: string[];
  threatFamilyName: string | null;
  investigationId: number | null; investigationState: string;
  created: Stamp; lastUpdate: Stamp; resolved: Stamp | null; firstActivity: Stamp; lastActivity: Stamp;
  evidence: Evidence[];
  /** the alert's own comments (not its incident's) */
  comments: Comment[];
  /** "User defined custom fields with string values" (security-alert-update.md) */
  customDetails: Record<string, string>;
}

export interface Incident {
  id: number;
  displayName: string;
  description: string;
  created: Stamp; lastUpdate: Stamp;
  assignedTo: string | null;
  classification: string; determination: string; status: string; severity: string;
  customTags: string[]; systemTags: string[];
  comments: Comment[];
  alerts: Alert[];
  redirectIncidentId: number | null;
  detectionSource: string;
}

/** The one store both faces read and write. */
export class Store {
  readonly incidents: Incident[] = []; // creation order (ascending id)
  readonly byId = new Map<number, Incident>();
  readonly alertsById = new Map<string, Alert>();
  readonly alerts: Alert[] = [];
  constructor(readonly tenantId: string) {}
  addIncident(inc: Incident): void {
    this.incidents.push(inc);
    this.byId.set(inc.id, inc);
    for (const a of inc.alerts) this.indexAlert(a);
  }
  indexAlert(a: Alert): void { this.alertsById.set(a.id, a); this.alerts.push(a); }
  maxId(): number { let m = 0; for (const i of this.incidents) if (i.id > m) m = i.id; return m; }
}

export const SEVERITY_RANK: Record<string, number> = { unknown: 0, informational: 1, low: 2, medium: 3, high: 4 };

/**
 * What a change of an incident does to its alerts (the same objects the alerts face shows): they take its
 * classification, determination and owner, and resolving the incident resolves them. An alert that changes gets
 * lastUpdateDateTime `at`, so a client following alerts by lastUpdateDateTime sees the change.
 */
export function cascadeToAlerts(inc: Incident, next: Partial<Pick<Incident, 'classification' | 'determination' | 'assignedTo' | 'status'>>, at: Stamp): void {
  for (const a of inc.alerts) {
    let changed = false;
    if (next.classification !== undefined && a.classification !== next.classification) { a.classification = next.classification; changed = true; }
    if (next.determination !== undefined && a.determination !== next.determination) { a.determination = next.determination; changed = true; }
    if ('assignedTo' in next && a.assignedTo !== (next.assignedTo ?? null)) { a.assignedTo = next.assignedTo ?? null; changed = true; }
    if (next.status === 'resolved' && a.status !== 'resolved') { a.status = 'resolved'; a.resolved = at; changed = true; }
    if (changed) a.lastUpdate = at;
  }
}
