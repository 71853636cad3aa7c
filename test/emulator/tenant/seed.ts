// Deterministic seed data: entities, incidents, alerts and evidence from one number (mulberry32).
// Everything depends only on (seed, incidents, alerts, tenantId, now), so two tenants built alike are equal.
import type { SeedAlert, SeedEntities } from '../hunting/api';
import { mulberry32 } from '../hunting/seed';
import {
  type Alert, type Device, type Evidence, type FileEntity, type Incident, type Stamp, type User,
  DETERMINATIONS_BY_CLASSIFICATION, LIVE_DETERMINATION, LIVE_SEVERITY, LIVE_STATUS, SEVERITY_RANK, Store, cmpStamp, ticksOf,
} from './model';

export class Rng {
  /** mulberry32: [0, 1) */
  readonly next: () => number;
  constructor(seed: number) { this.next = mulberry32((seed >>> 0) ^ 0x9e3779b9); }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(a: readonly T[]): T { return a[Math.floor(this.next() * a.length)]; }
  chance(p: number): boolean { return this.next() < p; }
  hex(n: number): string { let s = ''; for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.next() * 16)]; return s; }
  uuid(): string { const h = this.hex(32); return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`; }
  subset<T>(a: readonly T[], max: number): T[] {
    const n = this.int(0, max); const out: T[] = [];
    for (let i = 0; i < n; i++) { const v = this.pick(a); if (!out.includes(v)) out.push(v); }
    return out;
  }
}

const DAY = 86400000;
const FIRST = ['Kai', 'David', 'Megan', 'Alex', 'Ines', 'Jürgen', 'Zoë', 'Łukasz', 'Amélie', 'Sven', 'Priya', 'Chen', 'Olga', 'Mateo', "Seán", 'Nadia'];
const LAST = ['Carter', 'Smith', 'Bowen', 'Wilber', 'Müller', 'Nuñez', "O'Brien", 'Kowalski', 'Dubois', 'Larsen', 'Iyer', 'Wang', 'Ivanova', 'García', 'Novak', 'Haddad'];
const HOST = ['finance', 'hr', 'dev', 'sales', 'exec', 'lab', 'kiosk', 'build', 'dc', 'sql', 'web', 'jump'];
const OS = ['Windows10', 'Windows11', 'WindowsServer2019', 'WindowsServer2022', 'Linux', 'macOS'];
const FILES = ['invoice.pdf.exe', 'mimikatz.exe', 'update.ps1', 'payload.dll', 'Setup.EXE', 'report.docm', 'svchost32.exe', 'rclone.exe', 'beacon.bin', 'Rechnung_März.xlsm'];
const FOLDERS = ['C:\\Users\\Public\\Downloads', 'C:\\Windows\\Temp', 'C:\\ProgramData\\Updater', 'C:\\Users\\kai\\AppData\\Local\\Temp', '/tmp', '/Users/shared'];
const TLDS = ['contoso-mail.com', 'fabrikam.biz', 'login-micros0ft.com', 'cdn.adatum.net', 'files.tailspin.io', 'wingtip.example'];
const TAGS = ['Demo', 'Ransomware', 'VIP', 'Pen test', 'Tier 1', 'Müller-Lüdenscheidt', "Don't close", 'BEC'];
const CATEGORIES = ['InitialAccess', 'Execution', 'Persistence', 'PrivilegeEscalation', 'DefenseEvasion', 'CredentialAccess', 'Discovery',
  'LateralMovement', 'Collection', 'CommandAndControl', 'Exfiltration', 'Impact', 'Malware', 'SuspiciousActivity'];
const TECHNIQUES = ['T1566.001', 'T1059.001', 'T1564.001', 'T1003.001', 'T1021.002', 'T1486', 'T1071.001', 'T1547.001', 'T1078', 'T1110.003'];
const COUNTRIES = ['US', 'DE', 'NL', 'RU', 'CN', 'BR', 'FR', 'GB'];

/** Incident names: some with ' and ", some non-ASCII (the client's quoting and encoding get exercised). */
const NAME_TEMPLATES: Array<(host: string, user: string) => string> = [
  () => 'Multi-stage incident involving Initial access & Command and control on multiple endpoints reported by multiple sources',
  (h) => `Suspicious PowerShell activity on '${h}'`,
  (_h, u) => `Phishing email "Invoice overdue" delivered to ${u}`,
  (h) => `Exécution suspecte détectée sur l'appareil ${h}`,
  (h) => `Ransomware-Aktivität auf Gerät ${h} – Dateien verschlüsselt`,
  (_h, u) => `不審なサインイン: ${u}`,
  (h) => `Credential theft attempt on ${h} (lsass "dump")`,
  (_h, u) => `Unusual file download by ${u} 100% / #1 & more`,
  (h) => `Lateral movement from ${h} using "PsExec" ¿normal?`,
  (_h, u) => `Anomalous token for ${u} — 'impossible travel'`,
];

interface Ctx { rng: Rng; entities: SeedEntities; tenantId: string }

export function makeEntities(rng: Rng, incidents: number): SeedEntities {
  const nDev = Math.min(1500, 12 + Math.ceil(incidents / 6));
  const nUser = Math.min(1500, 10 + Math.ceil(incidents / 8));
  const users: User[] = [];
  for (let i = 0; i < nUser; i++) {
    const f = FIRST[i % FIRST.length], l = LAST[Math.floor(i / FIRST.length) % LAST.length];
    const base = `${f[0]}${l}`.normalize('NFD').replace(/[^A-Za-z]/g, '') + (i >= FIRST.length * LAST.length ? String(i) : '');
    // A few names keep mixed case in accountName vs lower-case UPN (hunting =~ vs == gets exercised).
    const accountName = i % 7 === 0 ? base : base.toLowerCase();
    users.push({
      accountName, accountDomain: i % 5 === 0 ? 'CONTOSO' : 'contoso', upn: `${base.toLowerCase()}@contoso.com`,
      sid: `S-1-5-21-1004336348-1177238915-682003330-${1100 + i}`, objectId: rng.uuid(), displayName: `${f} ${l}`,
    });
  }
  const devices: Device[] = [];
  for (let i = 0; i < nDev; i++) {
    const name = `${HOST[i % HOST.length]}-${String(i).padStart(3, '0')}`;
    devices.push({
      deviceId: rng.hex(40), deviceName: i % 6 === 0 ? `${name.toUpperCase()}.contoso.com` : `${name}.contoso.com`,
      aadDeviceId: rng.uuid(), osPlatform: OS[i % OS.length],
      publicIp: `${rng.int(20, 199)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`, localIp: `10.${rng.int(0, 20)}.${rng.int(0, 255)}.${rng.int(2, 254)}`,
    });
  }
  const ips: string[] = [];
  for (let i = 0; i < Math.min(400, 10 + Math.ceil(incidents / 10)); i++) ips.push(`${rng.int(23, 203)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`);
  ips.push('2001:db8::7', 'fe80::1ff:fe23:4567:890a');
  const urls: string[] = [];
  for (let i = 0; i < Math.min(400, 10 + Math.ceil(incidents / 10)); i++) {
    const host = rng.pick(TLDS);
    urls.push(i % 9 === 0 ? `https://${host.toUpperCase()}/Login?next=%2Fhome&u=${i}` : `https://${host}/path/${rng.hex(6)}?id=${i}`);
  }
  const files: FileEntity[] = [];
  for (let i = 0; i < Math.min(600, 10 + Math.ceil(incidents / 8)); i++) {
    files.push({ fileName: FILES[i % FILES.length], folderPath: FOLDERS[i % FOLDERS.length], md5: rng.hex(32), sha1: rng.hex(40), sha256: rng.hex(64), size: rng.int(1024, 9_000_000) });
  }
  const mailboxes = users.map((u, i) => (i % 11 === 0 ? u.upn.replace(/^./, (c) => c.toUpperCase()) : u.upn));
  mailboxes.push('billing@fabrikam.biz', 'no-reply@login-micros0ft.com', "o'reilly@wingtip.example");
  return { devices, users, ips, urls, files, mailboxes };
}

function stampAt(rng: Rng, ms: number): Stamp { return { ms: Math.floor(ms), sub: rng.int(0, 9999) }; }

const SOURCES: Array<{ src: string; det: string[]; kinds: Array<Evidence['kind']> }> = [
  { src: 'microsoftDefenderForEndpoint', det: ['antivirus', 'microsoftDefenderForEndpoint', 'customDetection'], kinds: ['device', 'file', 'process', 'ip', 'url', 'user'] },
  { src: 'microsoftDefenderForOffice365', det: ['microsoftDefenderForOffice365'], kinds: ['mailbox', 'message', 'url', 'user'] },
  { src: 'microsoftDefenderForIdentity', det: ['microsoftDefenderForIdentity'], kinds: ['user', 'device', 'ip'] },
  { src: 'microsoftDefenderForCloudApps', det: ['cloudAppSecurity'], kinds: ['user', 'ip', 'url'] },
  { src: 'azureAdIdentityProtection', det: ['azureAdIdentityProtection'], kinds: ['user', 'ip'] },
  { src: 'microsoft365Defender', det: ['microsoft365Defender', 'automatedInvestigation'], kinds: ['device', 'user', 'ip', 'file'] },
];
const TITLES: Record<string, string[]> = {
  microsoftDefenderForEndpoint: ['Suspicious execution of hidden file', "'Mimikatz' credential theft tool", 'Ransomware behavior detected in the file system', 'Suspicious PowerShell command line'],
  microsoftDefenderForOffice365: ['Email messages containing malicious URL removed after delivery', 'A potentially malicious URL click was detected', 'User reported "phish" email'],
  microsoftDefenderForIdentity: ['Suspected DCSync attack (replication of directory services)', 'Suspected brute-force attack (Kerberos, NTLM)'],
  microsoftDefenderForCloudApps: ['Impossible travel activity', 'Mass download by a single user'],
  azureAdIdentityProtection: ['Atypical travel', 'Unfamiliar sign-in properties', 'Anonymous IP address'],
  microsoft365Defender: ['Suspicious activity from a compromised account', 'Possible BEC fraud attempt'],
  microsoftDefenderForCloud: ['Suspicious process executed [seen multiple times]', 'Access from a suspicious IP address to a storage account',
    'Unusual access to a key vault from a suspicious IP', 'Digital currency mining related behavior detected'],
};
/** Defender for Cloud: its serviceSource and detection sources come after unknownFutureValue (hidden without `Prefer`). */
const CLOUD_SOURCE: { src: string; det: string[]; kinds: Array<Evidence['kind']> } = {
  src: 'microsoftDefenderForCloud', det: ['microsoftDefenderForServers', 'microsoftDefenderForStorage', 'microsoftDefenderForKeyVault', 'microsoftDefenderForCloud'],
  kinds: ['device', 'ip', 'user'],
};

function makeEvidence(ctx: Ctx, kind: Evidence['kind'], created: Stamp, dev: Device, user: User, malicious: boolean): Evidence {
  const { rng, entities } = ctx;
  const base = {
    created, verdict: malicious ? rng.pick(['malicious', 'suspicious']) : rng.pick(['unknown', 'noThreatsFound', 'suspicious']),
    remediationStatus: rng.pick(['none', 'none', 'remediated', 'prevented', 'blocked']), roles: [] as string[], detailedRoles: [] as string[],
  };
  switch (kind) {
    case 'device':
      return { ...base, kind, roles: ['compromised'], detailedRoles: ['Main device'], device: dev, osBuild: rng.int(17763, 26100),
        firstSeen: { ms: created.ms - rng.int(30, 400) * DAY, sub: rng.int(0, 9999) }, loggedOn: [user] };
    case 'file': return { ...base, kind, detailedRoles: ['Referred in command line'], file: rng.pick(entities.files), deviceId: dev.deviceId };
    case 'process': {
      const file = rng.pick(entities.files);
      return { ...base, kind, file, deviceId: dev.deviceId, processId: rng.int(400, 40000), parentProcessId: rng.int(4, 4000),
        commandLine: `"${file.fileName}" -enc ${rng.hex(12)}`, processCreated: { ms: created.ms - rng.int(1, 600) * 1000, sub: rng.int(0, 9999) },
        parentCreated: { ms: created.ms - rng.int(1, 48) * 3600000, sub: rng.int(0, 9999) }, user };
    }
    case 'ip': return { ...base, kind, ip: rng.chance(0.3) ? dev.publicIp : rng.pick(entities.ips), country: rng.pick(COUNTRIES) };
    case 'url': return { ...base, kind, url: rng.pick(entities.urls) };
    case 'user': return { ...base, kind, roles: ['compromised'], user };
    case 'mailbox': return { ...base, kind, roles: ['destination'], address: user.upn, user };
    case 'message': return { ...base, kind, networkMessageId: rng.uuid(), internetMessageId: `<${rng.hex(16)}@${rng.pick(TLDS)}>`,
      subject: rng.pick(['Invoice overdue', 'Re: "Quarterly numbers"', "Your mailbox is full – action required", 'Paßwort läuft ab']),
      sender: rng.pick(entities.mailboxes.slice(-3)), senderIp: rng.pick(entities.ips), recipient: user.upn, urls: [rng.pick(entities.urls)],
      deliveryAction: rng.pick(['delivered', 'blocked', 'replaced']), deliveryLocation: rng.pick(['inbox', 'junkFolder', 'quarantine']),
      received: { ms: created.ms - rng.int(1, 3600) * 1000, sub: 0 } };
  }
}

export interface AlertInput { title?: string; severity?: string; category?: string; serviceSource?: string; detectionSource?: string; created?: Stamp; status?: string }

/** A service source the seed does not draw from, given through the control API: a generic alert. */
const OTHER_SOURCE = (src: string): (typeof SOURCES)[number] => ({ src, det: ['unknown'], kinds: ['device', 'ip', 'user'] });

/** `given` when there is one; `drawn` is drawn either way, so the random stream does not depend on the input. */
const orDrawn = <T>(given: T | undefined, drawn: T): T => given ?? drawn;

/** One alert of `inc`, created at `created` (or inside the incident's life), consistent with the incident's state. */
export function makeAlert(ctx: Ctx, inc: Incident, created: Stamp, input: AlertInput = {}): Alert {
  const { rng, entities } = ctx;
  const source = SOURCES.find((s) => s.src === input.serviceSource) ?? (input.serviceSource === CLOUD_SOURCE.src ? CLOUD_SOURCE : input.serviceSource !== undefined ? OTHER_SOURCE(input.serviceSource) : rng.pick(SOURCES));
  const severity = input.severity ?? (inc.severity === 'unknown' ? rng.pick(['informational', 'low']) : rng.pick(LIVE_SEVERITY.slice(1).filter((s) => SEVERITY_RANK[s] <= SEVERITY_RANK[inc.severity])));
  const dev = rng.pick(entities.devices), user = rng.pick(entities.users);
  const kinds = [...new Set([source.kinds[0], ...rng.subset(source.kinds, 3)])];
  const malicious = inc.classification === 'truePositive';
  const ticks = ticksOf(created).toString();
  const id = `${source.src === 'microsoftDefenderForEndpoint' ? 'da' : rng.pick(['fa', 'ed', 'ra', 'ca', 'aa'])}${ticks}_${rng.int(-2147483648, 2147483647)}`;
  const status = input.status ?? (inc.status === 'resolved' ? 'resolved' : inc.status === 'inProgress' ? rng.pick(['new', 'inProgress']) : 'new');
  const last: Stamp = { ms: created.ms + rng.int(0, 3600) * 1000, sub: rng.int(0, 9999) };
  return {
    id, incidentId: inc.id, status, severity,
    classification: inc.classification, determination: inc.determination,
    serviceSource: input.serviceSource ?? source.src, detectionSource: orDrawn(input.detectionSource, rng.pick(source.det)), detectorId: rng.uuid(),
    title: input.title ?? rng.pick(TITLES[source.src] ?? ['Suspicious activity in a cloud resource']), description: 'A suspicious activity was observed. Attackers often use it to gain or keep access.',
    category: input.category ?? rng.pick(CATEGORIES), recommendedActions: 'Collect artifacts and determine scope.\nReview the device timeline.',
    assignedTo: inc.assignedTo, mitreTechniques: rng.subset(TECHNIQUES, 2), threatFamilyName: rng.chance(0.3) ? rng.pick(['Qakbot', 'Emotet', 'Cobalt Strike', 'LockBit']) : null,
    investigationId: source.src === 'microsoftDefenderForEndpoint' ? rng.int(1000, 99999) : null,
    investigationState: rng.pick(['Running', 'SuccessfullyRemediated', 'Benign', 'PendingApproval', 'UnsupportedAlertType', 'Queued']),
    created, lastUpdate: last, resolved: status === 'resolved' ? last : null,
    firstActivity: { ms: created.ms - rng.int(60, 7200) * 1000, sub: 0 }, lastActivity: { ms: created.ms - rng.int(0, 59) * 1000, sub: 0 },
    evidence: kinds.map((k) => makeEvidence(ctx, k, created, dev, user, malicious)),
    comments: [], customDetails: {},
  };
}

/** Per-incident alert counts summing to `total` (each at least 1): drawn as 1 to 4, then evened out. */
function planAlerts(rng: Rng, n: number, total: number): number[] {
  if (!Number.isSafeInteger(total) || total < n || (n === 0 && total > 0)) {
    throw new Error(`Cannot seed ${total} alerts over ${n} incidents: every incident has at least one alert.`);
  }
  const counts = Array.from({ length: n }, () => rng.int(1, 4));
  let sum = counts.reduce((x, y) => x + y, 0);
  for (let i = n - 1; sum > total; i = (i + n - 1) % n) if (counts[i] > 1) { counts[i]--; sum--; }
  for (let i = 0; sum < total; i = (i + 1) % n) { counts[i]++; sum++; }
  return counts;
}

const ALERT_COMMENTS = ['Triaged: "expected" admin tool?', 'Isolated the device – pending review', 'Benign: pen test by Müller', "User wasn't travelling"];

/**
 * What the alerts carry beyond what their incident implies, drawn from a stream of their own (so the incidents, their
 * alerts' other fields and the hunting rows stay as they were): Defender for Cloud alerts, whose serviceSource and
 * detectionSource are members after unknownFutureValue; comments; customDetails; a burst of alerts sharing one
 * lastUpdateDateTime to the 100 ns; and no alert updated after the service clock's now.
 */
function decorateAlerts(store: Store, seed: number, now: number): void {
  const rng = new Rng((seed ^ 0x41e27c0d) >>> 0);
  const alerts = store.alerts;
  for (const a of alerts) {
    if (a.lastUpdate.ms >= now) a.lastUpdate = { ms: now - 1, sub: 0 };
    if (a.resolved && cmpStamp(a.resolved, a.lastUpdate) > 0) a.resolved = a.lastUpdate;
  }
  for (let i = 0; i < alerts.length; i++) {
    const a = alerts[i];
    if (i === 1 || rng.chance(0.04)) {
      a.serviceSource = CLOUD_SOURCE.src; a.detectionSource = rng.pick(CLOUD_SOURCE.det); a.title = rng.pick(TITLES[CLOUD_SOURCE.src]); a.investigationId = null;
    }
    if (i === 2 || a.detectionSource === 'customDetection') {
      a.customDetails = { DeviceCount: String(rng.int(1, 40)), RuleName: rng.pick(['Rare process on server', "Encoded PowerShell – 'download cradle'"]) };
    }
  }
  if (alerts.length >= 8) {
    // updated later (say, classified) at one moment; an incident is never older than its alerts
    const shared: Stamp = { ms: now - 3 * DAY + 4321, sub: rng.int(0, 9999) };
    const siblings = alerts.filter((a) => cmpStamp(a.lastUpdate, shared) < 0 && cmpStamp(store.byId.get(a.incidentId)?.lastUpdate ?? a.lastUpdate, shared) >= 0).slice(-4);
    for (const a of siblings) a.lastUpdate = { ...shared };
  }
  for (let i = 0; i < alerts.length; i++) {
    const a = alerts[i];
    if (i !== 0 && !rng.chance(0.25)) continue;
    const n = rng.int(1, 2);
    for (let c = 0; c < n; c++) {
      let at: Stamp = { ms: a.created.ms + Math.floor(rng.next() * (a.lastUpdate.ms - a.created.ms + 1)), sub: rng.int(0, 9999) };
      if (cmpStamp(at, a.created) < 0) at = a.created;
      if (cmpStamp(at, a.lastUpdate) > 0) at = a.lastUpdate;
      a.comments.push({ comment: rng.pick(ALERT_COMMENTS), createdBy: rng.pick(['secop2@contoso.com', 'Automation (playbook)']), created: at });
    }
    a.comments.sort((x, y) => cmpStamp(x.created, y.created));
  }
}

/** (classification, determination) pairs: unknown/unknown plus every mapped pair, so every v1.0 value occurs. */
export const PAIRS: Array<[string, string]> = Object.entries(DETERMINATIONS_BY_CLASSIFICATION).flatMap(([c, ds]) => ds.map((d): [string, string] => [c, d]));

export function seedStore(store: Store, opts: { seed: number; incidents: number; alerts?: number; now: Date }): { entities: SeedEntities; rng: Rng } {
  const rng = new Rng(opts.seed);
  const entities = makeEntities(rng, opts.incidents);
  const ctx: Ctx = { rng, entities, tenantId: store.tenantId };
  const n = Math.max(0, Math.floor(opts.incidents));
  const now = opts.now.getTime();
  const start = now - 30 * DAY;
  // Creation times ascending with ids (ids grow with time, as Defender's do).
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(start + rng.next() * (29.5 * DAY));
  times.sort((a, b) => a - b);
  const plan = opts.alerts === undefined ? undefined : planAlerts(rng, n, opts.alerts);
  let id = 2_000_000 + (opts.seed % 900_000 + 900_000) % 900_000 + 1; // "2972395"-like
  for (let i = 0; i < n; i++) {
    id += rng.int(1, 3);
    // The first incidents cover every value deterministically; the rest are drawn.
    const pair = i < PAIRS.length ? PAIRS[i] : (rng.chance(0.45) ? PAIRS[0] : rng.pick(PAIRS));
    const status = i < LIVE_STATUS.length ? LIVE_STATUS[(i + 1) % LIVE_STATUS.length] : rng.pick(['active', 'active', 'active', 'inProgress', 'resolved', 'resolved', 'redirected']);
    const severity = i < LIVE_SEVERITY.length ? LIVE_SEVERITY[LIVE_SEVERITY.length - 1 - i] : rng.pick(['informational', 'low', 'medium', 'medium', 'high', 'high', 'unknown']);
    const user = rng.pick(entities.users), dev = rng.pick(entities.devices);
    const created = stampAt(rng, times[i]);
    const inc: Incident = {
      id, displayName: NAME_TEMPLATES[i < NAME_TEMPLATES.length ? i : rng.int(0, NAME_TEMPLATES.length - 1)](dev.deviceName.split('.')[0], user.displayName),
      description: `Microsoft observed activity related to ${user.displayName} on ${dev.deviceName}.`,
      created, lastUpdate: created,
      assignedTo: i === 0 || rng.chance(0.3) ? null : rng.pick([user.upn, 'secop2@contoso.com', 'KaiC@contoso.onmicrosoft.com', 'Analyst Ünal <soc@contoso.com>']),
      classification: pair[0], determination: pair[1], status, severity,
      customTags: i === 1 ? ['Demo', "Don't close"] : rng.subset(TAGS, 2), systemTags: rng.chance(0.1) ? ['Defender Experts'] : [],
      comments: [], alerts: [], redirectIncidentId: null, detectionSource: 'Microsoft Defender XDR',
    };
    const nAlerts = plan ? plan[i] : rng.int(1, 4);
    let t = created.ms;
    for (let k = 0; k < nAlerts; k++) {
      const at: Stamp = k === 0 ? created : { ms: t, sub: rng.int(0, 9999) };
      inc.alerts.push(makeAlert(ctx, inc, at));
      t = Math.min(now - 1000, t + rng.int(1, 20) * 60000);
    }
    // The incident's severity is at least its highest alert's.
    for (const a of inc.alerts) if (SEVERITY_RANK[a.severity] > SEVERITY_RANK[inc.severity]) inc.severity = a.severity;
    if (i < LIVE_SEVERITY.length) inc.severity = LIVE_SEVERITY[LIVE_SEVERITY.length - 1 - i];
    let last = inc.alerts.reduce((m, a) => (cmpStamp(a.lastUpdate, m) > 0 ? a.lastUpdate : m), created);
    if (status !== 'active' || rng.chance(0.5)) last = stampAt(rng, Math.min(now - 1, last.ms + rng.next() * (now - last.ms)));
    if (last.ms >= now) last = { ms: now - 1, sub: 0 };
    inc.lastUpdate = last;
    const nComments = rng.int(0, 3);
    for (let c = 0; c < nComments; c++) {
      inc.comments.push({ comment: rng.pick(['Investigating.', 'Escalated to tier 2 – "urgent"', "User confirmed it wasn't them", 'Faux positif, clôturé']),
        createdBy: rng.pick(['secop2@contoso.com', 'DavidS@contoso.onmicrosoft.com']), created: { ms: created.ms + (c + 1) * 60000, sub: rng.int(0, 9999) } });
    }
    for (const c of inc.comments) if (cmpStamp(c.created, inc.lastUpdate) > 0) inc.lastUpdate = c.created;
    if (inc.lastUpdate.ms >= now) inc.lastUpdate = { ms: now - 1, sub: 0 };
    store.addIncident(inc);
  }
  // A burst sharing one lastUpdateDateTime to the 100 ns (a cursor on `gt last` must not skip its siblings).
  if (n >= 8) {
    const shared = stampAt(rng, now - 2 * DAY + 1234);
    let last = n - 1;
    while (last > 0 && cmpStamp(store.incidents[last].created, shared) >= 0) last--;
    for (const k of [last, last - 1, last - 3, last - 6]) {
      const inc = store.incidents[k];
      if (inc && cmpStamp(inc.created, shared) < 0) inc.lastUpdate = { ...shared };
    }
  }
  // Redirected incidents are merged into a live (not redirected) one.
  const live = store.incidents.filter((x) => x.status !== 'redirected');
  for (const inc of store.incidents) {
    if (inc.status !== 'redirected') continue;
    if (live.length === 0) { inc.status = 'active'; continue; }
    let target = rng.pick(live);
    if (target === inc) target = live[(live.indexOf(target) + 1) % live.length];
    inc.redirectIncidentId = target.id;
  }
  decorateAlerts(store, opts.seed, now);
  return { entities, rng };
}

// ---- Hunting views of the same alerts ----
const HUNT_SOURCE: Record<string, string> = {
  microsoftDefenderForEndpoint: 'Microsoft Defender for Endpoint', microsoftDefenderForOffice365: 'Microsoft Defender for Office 365',
  microsoftDefenderForIdentity: 'Microsoft Defender for Identity', microsoftDefenderForCloudApps: 'Microsoft Defender for Cloud Apps',
  azureAdIdentityProtection: 'AAD Identity Protection', microsoft365Defender: 'Microsoft Defender XDR',
  microsoftDefenderForCloud: 'Microsoft Defender for Cloud',
};
const HUNT_DETECTION: Record<string, string> = {
  antivirus: 'Antivirus', microsoftDefenderForEndpoint: 'EDR', customDetection: 'Custom detection', microsoftDefenderForOffice365: 'Microsoft Defender for Office 365',
  microsoftDefenderForIdentity: 'Microsoft Defender for Identity', cloudAppSecurity: 'Microsoft Defender for Cloud Apps',
  azureAdIdentityProtection: 'AAD Identity Protection', microsoft365Defender: 'Microsoft Defender XDR', automatedInvestigation: 'Automated investigation',
  microsoftDefenderForCloud: 'Microsoft Defender for Cloud', microsoftDefenderForServers: 'Microsoft Defender for Servers',
  microsoftDefenderForStorage: 'Microsoft Defender for Storage', microsoftDefenderForKeyVault: 'Microsoft Defender for Key Vault',
};
const HUNT_SEVERITY: Record<string, string> = { unknown: 'Informational', informational: 'Informational', low: 'Low', medium: 'Medium', high: 'High' };

export function toSeedAlert(a: Alert): SeedAlert {
  const evidence: SeedAlert['evidence'] = [];
  for (const e of a.evidence) {
    switch (e.kind) {
      case 'device': evidence.push({ entityType: 'Machine', evidenceRole: 'Impacted', deviceId: e.device.deviceId, deviceName: e.device.deviceName }); break;
      case 'file': evidence.push({ entityType: 'File', evidenceRole: 'Related', deviceId: e.deviceId, fileName: e.file.fileName, folderPath: e.file.folderPath, sha1: e.file.sha1, sha256: e.file.sha256 }); break;
      case 'process': evidence.push({ entityType: 'Process', evidenceRole: 'Related', deviceId: e.deviceId, fileName: e.file.fileName, folderPath: e.file.folderPath,
        sha1: e.file.sha1, sha256: e.file.sha256, accountName: e.user.accountName, accountDomain: e.user.accountDomain, accountSid: e.user.sid }); break;
      case 'ip': evidence.push({ entityType: 'Ip', evidenceRole: 'Related', remoteIp: e.ip }); break;
      case 'url': evidence.push({ entityType: 'Url', evidenceRole: 'Related', remoteUrl: e.url }); break;
      case 'user': evidence.push({ entityType: 'User', evidenceRole: 'Impacted', accountName: e.user.accountName, accountDomain: e.user.accountDomain,
        accountSid: e.user.sid, accountObjectId: e.user.objectId, accountUpn: e.user.upn }); break;
      case 'mailbox': evidence.push({ entityType: 'Mailbox', evidenceRole: 'Impacted', emailAddress: e.address, accountUpn: e.user.upn, accountObjectId: e.user.objectId }); break;
      case 'message': evidence.push({ entityType: 'Mailbox', evidenceRole: 'Related', emailAddress: e.recipient, remoteUrl: e.urls[0] }); break;
    }
  }
  return {
    alertId: a.id, timestamp: new Date(a.created.ms), title: a.title, category: a.category, severity: HUNT_SEVERITY[a.severity] ?? 'Informational',
    serviceSource: HUNT_SOURCE[a.serviceSource] ?? 'Microsoft Defender XDR', detectionSource: HUNT_DETECTION[a.detectionSource] ?? 'EDR',
    attackTechniques: [...a.mitreTechniques], evidence,
  };
}

export { LIVE_DETERMINATION };
