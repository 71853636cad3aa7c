// Seeded hunting rows: deterministic for one seed, spread over the 30 days before `now` with a few rows
// older than that (so the data window shows), and built from the incidents' entities so that hunting for
// an incident's device, user, IP, URL, file or mailbox finds rows. AlertInfo / AlertEvidence hold exactly
// the alerts given. Storage is columnar; a column no generator fills stays unallocated (its type's empty
// value), which keeps 100,000 rows per table cheap.
import type { SeedAlert, SeedEntities } from './api';
import type { TableData } from './engine';
import { ColumnDef, KustoType, TABLES } from './schema';
import { isoFromDate, isoFromMs } from './time';

/** mulberry32: a small, fast, deterministic PRNG (public domain, Tommy Ettinger). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function emptyValue(type: KustoType): unknown { return type === 'string' ? '' : null; }

/** A table with `n` rows whose columns are allocated on first write. */
class Builder {
  readonly data: Array<unknown[] | undefined>;
  private readonly index = new Map<string, number>();
  constructor(readonly name: string, readonly columns: ColumnDef[], readonly n: number) {
    this.data = columns.map(() => undefined);
    columns.forEach((c, j) => this.index.set(c.name, j));
  }
  /** the array of column `name`, created (filled with the type's empty value) on first use */
  col(name: string): unknown[] {
    const j = this.index.get(name);
    if (j === undefined) throw new Error(`seed: ${this.name} has no column ${name}`);
    let a = this.data[j];
    if (!a) { a = new Array<unknown>(this.n).fill(emptyValue(this.columns[j].type)); this.data[j] = a; }
    return a;
  }
  build(): TableData {
    return { name: this.name, columns: this.columns, data: this.data, length: this.n };
  }
}

const DAY_MS = 86_400_000;
const FILES_FALLBACK = [
  { fileName: 'powershell.exe', folderPath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', md5: '7353f60b1739074eb17c5f4dddefe239', sha1: '6cbce4a295c163791b60fc23d285e6d84f28ee4c', sha256: 'de96a6e69944335375dc1ac238336066889d9ffc7d73628ef4fe1b1b160ab32c', size: 448000 },
];

export function seedTables(options: { seed: number; now: Date; entities: SeedEntities; alerts: SeedAlert[]; rowsPerTable?: number }): Map<string, TableData> {
  const n = Math.max(0, Math.floor(options.rowsPerTable ?? 300));
  const nowMs = options.now.getTime();
  const e = options.entities;
  const devices = e.devices.length ? e.devices : [{ deviceId: 'b1e5c1a0f0c8e0d6a1d2f3e4c5b6a7980a1b2c3d', deviceName: 'ws-0001.contoso.local', aadDeviceId: '00000000-0000-4000-8000-000000000001', osPlatform: 'Windows11', publicIp: '203.0.113.10', localIp: '10.0.0.10' }];
  const users = e.users.length ? e.users : [{ accountName: 'alice', accountDomain: 'CONTOSO', upn: 'alice@contoso.com', sid: 'S-1-5-21-1004336348-1177238915-682003330-1001', objectId: '00000000-0000-4000-8000-0000000000a1', displayName: 'Alice' }];
  const ips = e.ips.length ? e.ips : ['198.51.100.7'];
  const urls = e.urls.length ? e.urls : ['http://malicious.example.net/payload'];
  const files = e.files.length ? e.files : FILES_FALLBACK;
  const mailboxes = e.mailboxes.length ? e.mailboxes : users.map((u) => u.upn);

  const tables = new Map<string, TableData>();
  const rngFor = (table: string) => mulberry32((options.seed ^ hashString(table)) >>> 0);

  /** the i-th row's entity: every entity once in the first rows, then at random */
  const pick = <T>(list: T[], i: number, rng: () => number): T => (i < list.length ? list[i] : list[Math.floor(rng() * list.length)]);
  const oneOf = <T>(list: readonly T[], rng: () => number): T => list[Math.floor(rng() * list.length)];
  /** Timestamps: within the 30 days before now; about 3% of rows (never the first ones, which carry each
   * entity once) are 30 to 40 days old and so outside the default window. */
  const coverage = Math.max(devices.length, users.length, ips.length, urls.length, files.length, mailboxes.length);
  const timestamp = (i: number, rng: () => number): string => {
    const old = i >= coverage && rng() < 0.03;
    const ageMs = old ? 30 * DAY_MS + 1000 + rng() * 10 * DAY_MS : rng() * 30 * DAY_MS;
    return isoFromMs(nowMs - ageMs, Math.floor(rng() * 10000));
  };
  /** a few values in another case, so that =~, in~, has and contains show */
  const mixCase = (s: string, rng: () => number): string => (rng() < 0.1 ? s.toUpperCase() : s);
  const guid = (rng: () => number): string => {
    const h = () => Math.floor(rng() * 0x10000).toString(16).padStart(4, '0');
    return `${h()}${h()}-${h()}-4${h().slice(1)}-a${h().slice(1)}-${h()}${h()}${h()}`;
  };
  const procNames = ['cmd.exe', 'powershell.exe', 'rundll32.exe', 'svchost.exe', 'explorer.exe', 'wmic.exe', 'certutil.exe'];
  const commandLines: Record<string, string> = {
    'cmd.exe': 'cmd.exe /c whoami /all', 'powershell.exe': 'powershell.exe -NoProfile -ExecutionPolicy Bypass -enc SQBFAFgA',
    'rundll32.exe': 'rundll32.exe C:\\Users\\Public\\update.dll,Start', 'svchost.exe': 'svchost.exe -k netsvcs -p',
    'explorer.exe': 'C:\\Windows\\explorer.exe', 'wmic.exe': 'wmic process call create "calc.exe"', 'certutil.exe': 'certutil.exe -urlcache -split -f http://example.org/a.txt',
  };

  // ---- device tables ----
  const deviceTable = (name: string, fill: (b: Builder, i: number, rng: () => number, d: SeedEntities['devices'][number]) => void) => {
    const b = new Builder(name, TABLES[name], n);
    const rng = rngFor(name);
    const ts = b.col('Timestamp'); const did = b.col('DeviceId'); const dname = b.col('DeviceName'); const rid = b.col('ReportId');
    for (let i = 0; i < n; i++) {
      const d = pick(devices, i, rng);
      ts[i] = timestamp(i, rng); did[i] = d.deviceId; dname[i] = mixCase(d.deviceName, rng); rid[i] = 10000 + i;
      fill(b, i, rng, d);
    }
    tables.set(name, b.build());
  };

  deviceTable('DeviceInfo', (b, i, rng, d) => {
    const u = oneOf(users, rng);
    b.col('PublicIP')[i] = d.publicIp; b.col('AadDeviceId')[i] = d.aadDeviceId; b.col('OSPlatform')[i] = d.osPlatform;
    b.col('OSArchitecture')[i] = '64-bit'; b.col('OSBuild')[i] = 22631; b.col('OSVersion')[i] = '10.0';
    b.col('ClientVersion')[i] = '10.8760.22621.1016'; b.col('IsAzureADJoined')[i] = true; b.col('JoinType')[i] = 'Hybrid Azure AD Join';
    b.col('LoggedOnUsers')[i] = JSON.stringify([{ UserName: u.accountName, DomainName: u.accountDomain, Sid: u.sid }]);
    b.col('MachineGroup')[i] = 'UnassignedGroup'; b.col('OnboardingStatus')[i] = 'Onboarded'; b.col('DeviceCategory')[i] = 'Endpoint';
    b.col('DeviceType')[i] = 'Workstation'; b.col('SensorHealthState')[i] = 'Active'; b.col('IsInternetFacing')[i] = false;
    b.col('IsExcluded')[i] = false; b.col('ExposureLevel')[i] = oneOf(['Low', 'Medium', 'High'], rng); b.col('AssetValue')[i] = 'Normal';
    b.col('ConnectivityType')[i] = 'Standard'; b.col('AdditionalFields')[i] = '{}';
  });

  const process = (b: Builder, i: number, rng: () => number, prefix: 'InitiatingProcess' | '') => {
    const pname = oneOf(procNames, rng);
    if (prefix === 'InitiatingProcess') {
      b.col('InitiatingProcessFileName')[i] = pname;
      b.col('InitiatingProcessFolderPath')[i] = `c:\\windows\\system32\\${pname}`;
      b.col('InitiatingProcessCommandLine')[i] = commandLines[pname];
      b.col('InitiatingProcessId')[i] = 1000 + Math.floor(rng() * 30000);
      b.col('InitiatingProcessParentFileName')[i] = 'explorer.exe';
      b.col('InitiatingProcessIntegrityLevel')[i] = 'Medium';
      b.col('InitiatingProcessTokenElevation')[i] = 'TokenElevationTypeDefault';
    }
  };
  const initiatingAccount = (b: Builder, i: number, rng: () => number) => {
    const u = pick(users, i, rng);
    b.col('InitiatingProcessAccountDomain')[i] = u.accountDomain; b.col('InitiatingProcessAccountName')[i] = u.accountName;
    b.col('InitiatingProcessAccountSid')[i] = u.sid; b.col('InitiatingProcessAccountUpn')[i] = mixCase(u.upn, rng);
    b.col('InitiatingProcessAccountObjectId')[i] = u.objectId;
  };

  deviceTable('DeviceProcessEvents', (b, i, rng) => {
    const f = pick(files, i, rng); const u = pick(users, i, rng);
    b.col('ActionType')[i] = 'ProcessCreated';
    b.col('FileName')[i] = f.fileName; b.col('FolderPath')[i] = f.folderPath; b.col('SHA1')[i] = f.sha1; b.col('SHA256')[i] = f.sha256;
    b.col('MD5')[i] = f.md5; b.col('FileSize')[i] = f.size; b.col('ProcessId')[i] = 1000 + Math.floor(rng() * 30000);
    b.col('ProcessCommandLine')[i] = `"${f.fileName}" ${oneOf(['/quiet', '-s', '--update', ''], rng)}`.trim();
    b.col('ProcessIntegrityLevel')[i] = 'Medium'; b.col('ProcessTokenElevation')[i] = 'TokenElevationTypeDefault';
    b.col('AccountDomain')[i] = u.accountDomain; b.col('AccountName')[i] = u.accountName; b.col('AccountSid')[i] = u.sid;
    b.col('AccountUpn')[i] = mixCase(u.upn, rng); b.col('AccountObjectId')[i] = u.objectId;
    initiatingAccount(b, i, rng); process(b, i, rng, 'InitiatingProcess');
  });

  deviceTable('DeviceNetworkEvents', (b, i, rng, d) => {
    b.col('ActionType')[i] = oneOf(['ConnectionSuccess', 'ConnectionSuccess', 'ConnectionFailed', 'InboundConnectionAccepted'], rng);
    b.col('RemoteIP')[i] = pick(ips, i, rng); b.col('RemotePort')[i] = oneOf([443, 80, 445, 3389, 8080], rng);
    b.col('RemoteUrl')[i] = pick(urls, i, rng); b.col('LocalIP')[i] = d.localIp; b.col('LocalPort')[i] = 49152 + Math.floor(rng() * 16000);
    b.col('Protocol')[i] = 'Tcp'; b.col('LocalIPType')[i] = 'Private'; b.col('RemoteIPType')[i] = 'Public';
    initiatingAccount(b, i, rng); process(b, i, rng, 'InitiatingProcess');
  });

  deviceTable('DeviceFileEvents', (b, i, rng) => {
    const f = pick(files, i, rng);
    b.col('ActionType')[i] = oneOf(['FileCreated', 'FileModified', 'FileRenamed', 'FileDeleted'], rng);
    b.col('FileName')[i] = f.fileName; b.col('FolderPath')[i] = f.folderPath; b.col('SHA1')[i] = f.sha1; b.col('SHA256')[i] = f.sha256;
    b.col('MD5')[i] = f.md5; b.col('FileSize')[i] = f.size; b.col('FileOriginUrl')[i] = pick(urls, i, rng);
    b.col('FileOriginIP')[i] = pick(ips, i, rng); b.col('RequestProtocol')[i] = 'Local';
    initiatingAccount(b, i, rng); process(b, i, rng, 'InitiatingProcess');
  });

  deviceTable('DeviceLogonEvents', (b, i, rng) => {
    const u = pick(users, i, rng);
    b.col('ActionType')[i] = rng() < 0.8 ? 'LogonSuccess' : 'LogonFailed';
    b.col('LogonType')[i] = oneOf(['Interactive', 'RemoteInteractive', 'Network', 'Batch', 'Service'], rng);
    b.col('AccountDomain')[i] = u.accountDomain; b.col('AccountName')[i] = mixCase(u.accountName, rng); b.col('AccountSid')[i] = u.sid;
    b.col('Protocol')[i] = oneOf(['Kerberos', 'NTLM', 'Negotiate'], rng); b.col('IsLocalAdmin')[i] = rng() < 0.2;
    b.col('LogonId')[i] = Math.floor(rng() * 1e9); b.col('RemoteIP')[i] = pick(ips, i, rng); b.col('RemoteIPType')[i] = 'Public';
    b.col('RemotePort')[i] = Math.floor(rng() * 65535);
    initiatingAccount(b, i, rng);
  });

  // ---- e-mail and identity tables ----
  const messageIds: string[] = [];
  {
    const b = new Builder('EmailEvents', TABLES.EmailEvents, n); const rng = rngFor('EmailEvents');
    for (let i = 0; i < n; i++) {
      const id = guid(rng); messageIds.push(id);
      const recipient = pick(mailboxes, i, rng);
      const external = rng() < 0.5;
      const sender = external ? `billing@${oneOf(['fabrikam-invoices.example', 'woodgrove.example', 'tailspin.example'], rng)}` : oneOf(mailboxes, rng);
      const senderDomain = sender.split('@')[1] ?? '';
      b.col('Timestamp')[i] = timestamp(i, rng); b.col('NetworkMessageId')[i] = id;
      b.col('InternetMessageId')[i] = `<${id.slice(0, 8)}@${senderDomain}>`;
      b.col('SenderMailFromAddress')[i] = sender; b.col('SenderFromAddress')[i] = mixCase(sender, rng);
      b.col('SenderDisplayName')[i] = sender.split('@')[0]; b.col('SenderMailFromDomain')[i] = senderDomain; b.col('SenderFromDomain')[i] = senderDomain;
      b.col('SenderIPv4')[i] = pick(ips, i, rng); b.col('RecipientEmailAddress')[i] = mixCase(recipient, rng);
      b.col('Subject')[i] = oneOf(['Invoice overdue', 'Your password expires today', 'Team lunch', 'Shared document: Q3 plan', 'Action required: verify your account'], rng);
      b.col('EmailClusterId')[i] = Math.floor(rng() * 1e9); b.col('EmailDirection')[i] = external ? 'Inbound' : 'Intra-org';
      b.col('DeliveryAction')[i] = oneOf(['Delivered', 'Delivered', 'Junked', 'Blocked'], rng); b.col('DeliveryLocation')[i] = 'Inbox/folder';
      b.col('ThreatTypes')[i] = external && rng() < 0.4 ? 'Phish' : ''; b.col('BulkComplaintLevel')[i] = Math.floor(rng() * 9);
      b.col('AttachmentCount')[i] = Math.floor(rng() * 3); b.col('UrlCount')[i] = 1 + Math.floor(rng() * 3);
      b.col('EmailLanguage')[i] = 'en'; b.col('ReportId')[i] = `${id}-${i}`; b.col('AdditionalFields')[i] = '{}';
      b.col('LatestDeliveryLocation')[i] = 'Inbox/folder'; b.col('LatestDeliveryAction')[i] = 'Delivered';
      b.col('AuthenticationDetails')[i] = JSON.stringify({ SPF: 'pass', DKIM: 'pass', DMARC: 'pass' });
    }
    tables.set('EmailEvents', b.build());
  }
  {
    const b = new Builder('EmailUrlInfo', TABLES.EmailUrlInfo, n); const rng = rngFor('EmailUrlInfo');
    for (let i = 0; i < n; i++) {
      const url = pick(urls, i, rng);
      b.col('Timestamp')[i] = timestamp(i, rng); b.col('NetworkMessageId')[i] = messageIds.length ? messageIds[i % messageIds.length] : guid(rng);
      b.col('Url')[i] = url; b.col('UrlDomain')[i] = hostOf(url); b.col('UrlLocation')[i] = oneOf(['Body', 'Body', 'Attachment', 'QRCode'], rng);
      b.col('ReportId')[i] = `url-${i}`;
    }
    tables.set('EmailUrlInfo', b.build());
  }
  {
    const b = new Builder('UrlClickEvents', TABLES.UrlClickEvents, n); const rng = rngFor('UrlClickEvents');
    for (let i = 0; i < n; i++) {
      b.col('Timestamp')[i] = timestamp(i, rng); b.col('Url')[i] = pick(urls, i, rng);
      b.col('ActionType')[i] = oneOf(['ClickAllowed', 'ClickAllowed', 'ClickBlocked'], rng);
      b.col('AccountUpn')[i] = mixCase(pick(mailboxes, i, rng), rng); b.col('Workload')[i] = oneOf(['Email', 'Teams', 'Office'], rng);
      b.col('NetworkMessageId')[i] = messageIds.length ? oneOf(messageIds, rng) : guid(rng);
      b.col('ThreatTypes')[i] = rng() < 0.3 ? 'Phish' : ''; b.col('IPAddress')[i] = pick(ips, i, rng);
      b.col('IsClickedThrough')[i] = rng() < 0.2; b.col('ReportId')[i] = `click-${i}`;
    }
    tables.set('UrlClickEvents', b.build());
  }
  {
    const b = new Builder('IdentityLogonEvents', TABLES.IdentityLogonEvents, n); const rng = rngFor('IdentityLogonEvents');
    for (let i = 0; i < n; i++) {
      const u = pick(users, i, rng); const d = pick(devices, i, rng);
      b.col('Timestamp')[i] = timestamp(i, rng); b.col('ActionType')[i] = rng() < 0.85 ? 'LogonSuccess' : 'LogonFailed';
      b.col('Application')[i] = oneOf(['Active Directory', 'Microsoft 365', 'Microsoft Exchange Online'], rng);
      b.col('LogonType')[i] = oneOf(['Credentials validation', 'Resource access', 'Interactive'], rng);
      b.col('Protocol')[i] = oneOf(['Kerberos', 'Ntlm', ''], rng);
      b.col('AccountName')[i] = u.accountName; b.col('AccountDomain')[i] = u.accountDomain.toLowerCase();
      b.col('AccountUpn')[i] = mixCase(u.upn, rng); b.col('AccountSid')[i] = u.sid; b.col('AccountObjectId')[i] = u.objectId;
      b.col('AccountDisplayName')[i] = u.displayName; b.col('DeviceName')[i] = d.deviceName; b.col('OSPlatform')[i] = d.osPlatform;
      b.col('IPAddress')[i] = rng() < 0.5 ? d.localIp : pick(ips, i, rng); b.col('Port')[i] = 49152 + Math.floor(rng() * 16000);
      b.col('DestinationDeviceName')[i] = 'dc01.contoso.local'; b.col('DestinationIPAddress')[i] = '10.0.0.2'; b.col('DestinationPort')[i] = 88;
      b.col('Location')[i] = oneOf(['US', 'GB', 'DE', 'NL'], rng); b.col('ReportId')[i] = `idl-${i}`;
      b.col('AdditionalFields')[i] = { Count: 1 };
    }
    tables.set('IdentityLogonEvents', b.build());
  }

  // ---- alerts: exactly the alerts given, one AlertInfo row each and one AlertEvidence row per evidence ----
  {
    const alerts = options.alerts;
    const b = new Builder('AlertInfo', TABLES.AlertInfo, alerts.length);
    alerts.forEach((a, i) => {
      b.col('Timestamp')[i] = isoFromDate(a.timestamp); b.col('AlertId')[i] = a.alertId; b.col('Title')[i] = a.title;
      b.col('Category')[i] = a.category; b.col('Severity')[i] = a.severity; b.col('ServiceSource')[i] = a.serviceSource;
      b.col('DetectionSource')[i] = a.detectionSource; b.col('AttackTechniques')[i] = JSON.stringify(a.attackTechniques);
    });
    tables.set('AlertInfo', b.build());
    const total = alerts.reduce((s, a) => s + a.evidence.length, 0);
    const ev = new Builder('AlertEvidence', TABLES.AlertEvidence, total);
    let i = 0;
    for (const a of alerts) {
      for (const x of a.evidence) {
        const set = (col: string, v: unknown) => { if (v !== undefined) ev.col(col)[i] = v; };
        set('Timestamp', isoFromDate(a.timestamp)); set('AlertId', a.alertId); set('Title', a.title);
        set('Categories', JSON.stringify([a.category])); set('AttackTechniques', JSON.stringify(a.attackTechniques));
        set('ServiceSource', a.serviceSource); set('DetectionSource', a.detectionSource); set('Severity', a.severity);
        set('EntityType', x.entityType); set('EvidenceRole', x.evidenceRole);
        set('DeviceId', x.deviceId); set('DeviceName', x.deviceName); set('RemoteIP', x.remoteIp); set('RemoteUrl', x.remoteUrl);
        set('FileName', x.fileName); set('FolderPath', x.folderPath); set('SHA1', x.sha1); set('SHA256', x.sha256);
        set('AccountName', x.accountName); set('AccountDomain', x.accountDomain); set('AccountSid', x.accountSid);
        set('AccountObjectId', x.accountObjectId); set('AccountUpn', x.accountUpn ?? x.emailAddress);
        if (x.emailAddress) set('AdditionalFields', JSON.stringify({ MailboxPrimaryAddress: x.emailAddress }));
        i++;
      }
    }
    tables.set('AlertEvidence', ev.build());
  }
  return tables;
}

function hostOf(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+)/i.exec(url);
  return m ? m[1] : url.split('/')[0];
}
