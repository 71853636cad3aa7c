import { expect } from 'chai';
import { createHuntingEngine, HuntingEngine, HuntingError, loadKustoLibrary, MAX_RESULT_ROWS, SeedAlert, SeedEntities } from './index';

const NOW = new Date('2024-03-01T12:00:00Z');
const DAY = 86_400_000;
const iso = (msAgo: number) => new Date(NOW.getTime() - msAgo).toISOString();

const ENTITIES: SeedEntities = {
  devices: [
    { deviceId: 'dev-a', deviceName: 'ws-alpha.contoso.com', aadDeviceId: 'aad-a', osPlatform: 'Windows11', publicIp: '203.0.113.10', localIp: '10.0.0.10' },
    { deviceId: 'dev-b', deviceName: 'srv-beta.contoso.com', aadDeviceId: 'aad-b', osPlatform: 'WindowsServer2022', publicIp: '203.0.113.11', localIp: '10.0.0.11' },
  ],
  users: [
    { accountName: 'alice', accountDomain: 'CONTOSO', upn: 'alice@contoso.com', sid: 'S-1-5-21-1-1001', objectId: 'obj-alice', displayName: 'Alice' },
    { accountName: 'bob', accountDomain: 'CONTOSO', upn: 'bob@contoso.com', sid: 'S-1-5-21-1-1002', objectId: 'obj-bob', displayName: 'Bob' },
  ],
  ips: ['198.51.100.7', '192.0.2.44'],
  urls: ['https://login-contoso.example.net/auth', 'http://cdn.badsite.example/payload.bin'],
  files: [{ fileName: 'invoice.exe', folderPath: 'C:\\Users\\alice\\Downloads\\invoice.exe', md5: '0cc175b9c0f1b6a831c399e269772661', sha1: '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8', sha256: 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb', size: 73802 }],
  mailboxes: ['alice@contoso.com', 'bob@contoso.com'],
};

const ALERTS: SeedAlert[] = [
  {
    alertId: 'da638000000000000001_1', timestamp: new Date(NOW.getTime() - 2 * DAY), title: 'Suspicious PowerShell command line',
    category: 'Execution', severity: 'Medium', serviceSource: 'Microsoft Defender for Endpoint', detectionSource: 'EDR', attackTechniques: ['T1059.001'],
    evidence: [
      { entityType: 'Machine', evidenceRole: 'Impacted', deviceId: 'dev-a', deviceName: 'ws-alpha.contoso.com' },
      { entityType: 'File', evidenceRole: 'Related', fileName: 'invoice.exe', folderPath: 'C:\\Users\\alice\\Downloads', sha1: '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8' },
      { entityType: 'User', evidenceRole: 'Impacted', accountName: 'alice', accountDomain: 'CONTOSO', accountUpn: 'alice@contoso.com' },
    ],
  },
  {
    alertId: 'fa1234-5678', timestamp: new Date(NOW.getTime() - 5 * DAY), title: 'Phishing link clicked',
    category: 'InitialAccess', severity: 'High', serviceSource: 'Microsoft Defender for Office 365', detectionSource: 'MDO', attackTechniques: ['T1566.002'],
    evidence: [
      { entityType: 'Url', evidenceRole: 'Related', remoteUrl: 'https://login-contoso.example.net/auth' },
      { entityType: 'Mailbox', evidenceRole: 'Impacted', emailAddress: 'bob@contoso.com' },
      { entityType: 'Ip', evidenceRole: 'Related', remoteIp: '198.51.100.7' },
    ],
  },
];

/** An engine with empty event tables, filled by the test with rows it knows. */
function emptyEngine(): HuntingEngine {
  return createHuntingEngine({ seed: 1, now: NOW, entities: ENTITIES, alerts: [], rowsPerTable: 0 });
}

function catchError(fn: () => unknown): HuntingError {
  try { fn(); } catch (e) { if (e instanceof HuntingError) return e; throw e; }
  throw new Error('expected a HuntingError');
}

describe('hunting engine', function () {
  this.timeout(60_000);
  let engine: HuntingEngine;
  const run = (q: string) => engine.run(q, { now: NOW });
  const ids = (q: string) => run(q).rows.map((r) => r.ReportId);

  before(() => {
    // load the Kusto library once for the whole run, and pay for its grammar with a warm-up parse
    loadKustoLibrary();
    emptyEngine().run('DeviceInfo | take 1', { now: NOW });
  });

  beforeEach(() => {
    engine = emptyEngine();
    engine.addRows('DeviceProcessEvents', [
      { Timestamp: iso(1 * 3600_000), ReportId: 1, DeviceName: 'ws-alpha.contoso.com', AccountUpn: 'alice@contoso.com', FileName: 'powershell.exe', FolderPath: 'C:\\Windows\\System32\\powershell.exe', ProcessCommandLine: 'powershell.exe -enc SQBFAFgA', FileSize: 100 },
      { Timestamp: iso(2 * DAY), ReportId: 2, DeviceName: 'WS-ALPHA.CONTOSO.COM', AccountUpn: 'ALICE@CONTOSO.COM', FileName: 'cmd.exe', FolderPath: 'C:\\temp\\cmd.exe', ProcessCommandLine: 'cmd.exe /c "whoami"', FileSize: 200 },
      { Timestamp: iso(10 * DAY), ReportId: 3, DeviceName: 'srv-beta.contoso.com', AccountUpn: 'bob@contoso.com', FileName: 'svchost.exe', FolderPath: 'C:\\Windows\\System32\\svchost.exe', ProcessCommandLine: 'it\'s a "test"', FileSize: 300 },
      { Timestamp: iso(20 * DAY), ReportId: 4, DeviceName: 'srv-beta.contoso.com', AccountUpn: 'bob@contoso.com', FileName: 'powershell_ise.exe', FolderPath: 'C:\\tempdir\\x.exe', ProcessCommandLine: 'a"b', FileSize: 400 },
      { Timestamp: iso(40 * DAY), ReportId: 5, DeviceName: 'old.contoso.com', AccountUpn: 'carol@contoso.com', FileName: 'old.exe', FolderPath: 'C:\\old', ProcessCommandLine: '', FileSize: 500 },
    ]);
  });

  describe('where', () => {
    it('== and != are case-sensitive; =~ and !~ are not', () => {
      expect(ids('DeviceProcessEvents | where DeviceName == "ws-alpha.contoso.com"')).to.deep.equal([1]);
      expect(ids('DeviceProcessEvents | where DeviceName != "ws-alpha.contoso.com"')).to.deep.equal([2, 3, 4]);
      expect(ids('DeviceProcessEvents | where DeviceName =~ "WS-Alpha.Contoso.com"')).to.deep.equal([1, 2]);
      expect(ids('DeviceProcessEvents | where DeviceName !~ "ws-alpha.contoso.com"')).to.deep.equal([3, 4]);
    });

    it('in / !in are case-sensitive; in~ / !in~ are not', () => {
      expect(ids('DeviceProcessEvents | where AccountUpn in ("alice@contoso.com", "bob@contoso.com")')).to.deep.equal([1, 3, 4]);
      expect(ids('DeviceProcessEvents | where AccountUpn in~ ("alice@contoso.com")')).to.deep.equal([1, 2]);
      expect(ids('DeviceProcessEvents | where AccountUpn !in ("alice@contoso.com")')).to.deep.equal([2, 3, 4]);
      expect(ids('DeviceProcessEvents | where AccountUpn !in~ ("alice@contoso.com")')).to.deep.equal([3, 4]);
      expect(ids('DeviceProcessEvents | where FileSize in (100, 300)')).to.deep.equal([1, 3]);
    });

    it('has matches whole terms, case-insensitively', () => {
      expect(ids('DeviceProcessEvents | where FileName has "power"')).to.deep.equal([]); // part of a term
      expect(ids('DeviceProcessEvents | where ProcessCommandLine has "SQBFAF"')).to.deep.equal([]);
      expect(ids('DeviceProcessEvents | where ProcessCommandLine has "sqbfafga"')).to.deep.equal([1]);
      expect(ids('DeviceProcessEvents | where FileName has "POWERSHELL.exe"')).to.deep.equal([1]);
      expect(ids('DeviceProcessEvents | where FileName has "exe"')).to.deep.equal([1, 2, 3, 4]);
      expect(ids('DeviceProcessEvents | where ProcessCommandLine has "enc"')).to.deep.equal([1]);
      expect(ids('DeviceProcessEvents | where ProcessCommandLine has "whoami"')).to.deep.equal([2]);
      expect(ids('DeviceProcessEvents | where FolderPath has @"C:\\temp"')).to.deep.equal([2]);
      expect(ids('DeviceProcessEvents | where ProcessCommandLine !has "enc"')).to.deep.equal([2, 3, 4]);
    });

    it('contains, startswith, endswith are case-insensitive substring tests', () => {
      expect(ids('DeviceProcessEvents | where FileName contains "SHELL"')).to.deep.equal([1, 4]);
      expect(ids('DeviceProcessEvents | where FileName !contains "shell"')).to.deep.equal([2, 3]);
      expect(ids('DeviceProcessEvents | where FileName contains_cs "SHELL"')).to.deep.equal([]);
      expect(ids('DeviceProcessEvents | where DeviceName startswith "WS-"')).to.deep.equal([1, 2]);
      expect(ids('DeviceProcessEvents | where FileName endswith ".EXE" and FileName startswith "p"')).to.deep.equal([1, 4]);
    });

    it('comparisons, between, and / or / not', () => {
      expect(ids('DeviceProcessEvents | where FileSize > 200')).to.deep.equal([3, 4]);
      expect(ids('DeviceProcessEvents | where FileSize >= 200 and FileSize < 400')).to.deep.equal([2, 3]);
      expect(ids('DeviceProcessEvents | where FileSize <= 100 or FileSize == 400')).to.deep.equal([1, 4]);
      expect(ids('DeviceProcessEvents | where FileSize between (200 .. 300)')).to.deep.equal([2, 3]);
      expect(ids('DeviceProcessEvents | where FileSize !between (200 .. 300)')).to.deep.equal([1, 4]);
      expect(ids('DeviceProcessEvents | where not(FileSize > 100) or not(DeviceName has "contoso")')).to.deep.equal([1]);
      expect(ids('DeviceProcessEvents | where (FileSize == 100 or FileSize == 300) and AccountUpn has "alice"')).to.deep.equal([1]);
    });

    it('ago(), now(), datetime() and timespan literals', () => {
      expect(ids('DeviceProcessEvents | where Timestamp > ago(1d)')).to.deep.equal([1]);
      expect(ids('DeviceProcessEvents | where Timestamp > ago(6h)')).to.deep.equal([1]);
      expect(ids('DeviceProcessEvents | where Timestamp > ago(30m)')).to.deep.equal([]);
      expect(ids('DeviceProcessEvents | where Timestamp between (ago(3d) .. now())')).to.deep.equal([1, 2]);
      expect(ids('DeviceProcessEvents | where Timestamp < now() - 5d')).to.deep.equal([3, 4]);
      const d = new Date(NOW.getTime() - 5 * DAY).toISOString();
      expect(ids(`DeviceProcessEvents | where Timestamp >= datetime(${d})`)).to.deep.equal([1, 2]);
      expect(ids(`DeviceProcessEvents | where Timestamp between (datetime(${iso(11 * DAY)}) .. 2d)`)).to.deep.equal([3]);
    });

    it('string literals take their values from the parser: escapes, single quotes, verbatim', () => {
      expect(ids('DeviceProcessEvents | where ProcessCommandLine == "a\\"b"')).to.deep.equal([4]);
      expect(ids("DeviceProcessEvents | where ProcessCommandLine == 'it\\'s a \"test\"'")).to.deep.equal([3]);
      expect(ids('DeviceProcessEvents | where FolderPath startswith @"C:\\temp\\"')).to.deep.equal([2]);
      expect(ids('DeviceProcessEvents | where FolderPath == "C:\\\\temp\\\\cmd.exe"')).to.deep.equal([2]);
      expect(ids('DeviceProcessEvents | where FileName == "cmd" ".exe" // adjacent literals concatenate')).to.deep.equal([2]);
    });
  });

  describe('tabular operators', () => {
    it('project keeps the listed columns in order and renames', () => {
      const r = run('DeviceProcessEvents | where ReportId == 1 | project Host = DeviceName, ReportId, Timestamp');
      expect(r.schema).to.deep.equal([{ name: 'Host', type: 'String' }, { name: 'ReportId', type: 'Int64' }, { name: 'Timestamp', type: 'DateTime' }]);
      expect(r.rows).to.have.length(1);
      expect(r.rows[0]).to.have.keys(['Host', 'ReportId', 'Timestamp']);
      expect(r.rows[0].Host).to.equal('ws-alpha.contoso.com');
      expect(r.rows[0].Timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    });

    it('extend adds a column copy and literals', () => {
      const r = run('DeviceProcessEvents | where ReportId == 2 | extend Host = DeviceName, Flag = true, N = 5, S = "x" | project Host, Flag, N, S');
      expect(r.schema.map((c) => c.type)).to.deep.equal(['String', 'Boolean', 'Int64', 'String']);
      expect(r.rows).to.deep.equal([{ Host: 'WS-ALPHA.CONTOSO.COM', Flag: true, N: 5, S: 'x' }]);
    });

    it('sort / order by: default descending, several keys, asc', () => {
      expect(ids('DeviceProcessEvents | sort by FileSize')).to.deep.equal([4, 3, 2, 1]);
      expect(ids('DeviceProcessEvents | order by FileSize asc')).to.deep.equal([1, 2, 3, 4]);
      expect(ids('DeviceProcessEvents | sort by AccountUpn asc, FileSize desc')).to.deep.equal([2, 1, 4, 3]);
      expect(ids('DeviceProcessEvents | order by Timestamp desc')).to.deep.equal([1, 2, 3, 4]);
    });

    it('top, take and limit', () => {
      expect(ids('DeviceProcessEvents | top 2 by FileSize')).to.deep.equal([4, 3]);
      expect(ids('DeviceProcessEvents | top 2 by FileSize asc')).to.deep.equal([1, 2]);
      expect(run('DeviceProcessEvents | take 3').rows).to.have.length(3);
      expect(run('DeviceProcessEvents | limit 1').rows).to.have.length(1);
      expect(run('DeviceProcessEvents | take 0').rows).to.have.length(0);
    });

    it('count', () => {
      const r = run('DeviceProcessEvents | where AccountUpn =~ "alice@contoso.com" | count');
      expect(r.schema).to.deep.equal([{ name: 'Count', type: 'Int64' }]);
      expect(r.rows).to.deep.equal([{ Count: 2 }]);
    });

    it('summarize count() by one and two columns, named and unnamed', () => {
      const r1 = run('DeviceProcessEvents | summarize count() by AccountUpn');
      expect(r1.schema).to.deep.equal([{ name: 'AccountUpn', type: 'String' }, { name: 'count_', type: 'Int64' }]);
      expect(r1.rows).to.deep.equal([
        { AccountUpn: 'alice@contoso.com', count_: 1 }, { AccountUpn: 'ALICE@CONTOSO.COM', count_: 1 }, { AccountUpn: 'bob@contoso.com', count_: 2 },
      ]);
      const r2 = run('DeviceProcessEvents | summarize Events = count() by DeviceName, AccountUpn | sort by Events desc, DeviceName asc');
      expect(r2.schema.map((c) => c.name)).to.deep.equal(['DeviceName', 'AccountUpn', 'Events']);
      expect(r2.rows[0]).to.deep.equal({ DeviceName: 'srv-beta.contoso.com', AccountUpn: 'bob@contoso.com', Events: 2 });
      expect(r2.rows).to.have.length(3);
      expect(run('DeviceProcessEvents | summarize N = count()').rows).to.deep.equal([{ N: 4 }]);
    });
  });

  describe('union', () => {
    it('outer union of columns; a column with two types becomes Name_type', () => {
      engine.addRows('EmailEvents', [{ Timestamp: iso(DAY), NetworkMessageId: 'm-1', Subject: 'hello', ReportId: 'r-1' }]);
      const r = run('union DeviceProcessEvents, EmailEvents');
      const names = r.schema.map((c) => c.name);
      expect(names).to.include.members(['Timestamp', 'DeviceName', 'Subject', 'ReportId_long', 'ReportId_string']);
      expect(names).to.not.include('ReportId');
      expect(names.filter((n) => n === 'Timestamp')).to.have.length(1);
      expect(r.schema.find((c) => c.name === 'ReportId_long')!.type).to.equal('Int64');
      expect(r.rows).to.have.length(5);
      const email = r.rows.find((x) => x.NetworkMessageId === 'm-1')!;
      expect(email.ReportId_string).to.equal('r-1');
      expect(email.ReportId_long).to.equal(null);
      expect(email.DeviceName).to.equal('');
    });

    it('parenthesised legs, a piped union and withsource', () => {
      engine.addRows('DeviceLogonEvents', [{ Timestamp: iso(DAY), ReportId: 77, DeviceName: 'ws-alpha.contoso.com', AccountName: 'alice' }]);
      const r = run('union withsource=Source (DeviceProcessEvents | where ReportId == 1), DeviceLogonEvents | project Source, ReportId');
      expect(r.rows).to.deep.equal([{ Source: 'union_arg0', ReportId: 1 }, { Source: 'DeviceLogonEvents', ReportId: 77 }]);
      expect(run('DeviceProcessEvents | union DeviceLogonEvents | count').rows).to.deep.equal([{ Count: 5 }]);
    });
  });

  describe('data window and limits', () => {
    it('by default sees only the 30 days before now', () => {
      expect(ids('DeviceProcessEvents')).to.have.members([1, 2, 3, 4]);
      expect(ids('DeviceProcessEvents | where ReportId == 5')).to.deep.equal([]);
    });

    it('an explicit window moves it', () => {
      const wide = engine.run('DeviceProcessEvents | project ReportId', { now: NOW, from: new Date(NOW.getTime() - 60 * DAY) });
      expect(wide.rows.map((r) => r.ReportId)).to.have.members([1, 2, 3, 4, 5]);
      const narrow = engine.run('DeviceProcessEvents | project ReportId', { now: NOW, from: new Date(NOW.getTime() - 15 * DAY), to: new Date(NOW.getTime() - DAY) });
      expect(narrow.rows.map((r) => r.ReportId)).to.have.members([2, 3]);
    });

    it('returns at most 100,000 rows', () => {
      const rows = Array.from({ length: MAX_RESULT_ROWS + 5 }, (_, i) => ({ Timestamp: iso(DAY), ReportId: i }));
      engine.addRows('DeviceLogonEvents', rows);
      const r = run('DeviceLogonEvents | project ReportId');
      expect(r.rows).to.have.length(MAX_RESULT_ROWS);
      expect(r.rows[0]).to.deep.equal({ ReportId: 0 });
      expect(run('DeviceLogonEvents | count').rows).to.deep.equal([{ Count: MAX_RESULT_ROWS + 5 }]);
    });
  });

  describe('errors', () => {
    it('a syntax error is a 400 naming the position and the parser diagnostic', () => {
      const e = catchError(() => run('DeviceProcessEvents | where AccountName == "bo"b"'));
      expect(e.status).to.equal(400);
      expect(e.code).to.equal('BadRequest');
      expect(e.message).to.match(/^A recognition error occurred in the query\. Query could not be parsed at 'b' on line \[1,48\]/);
      expect(e.message).to.contain('KS005');
      const e2 = catchError(() => run('DeviceProcessEvents\n| where | take 1'));
      expect(e2.message).to.match(/on line \[2,/);
    });

    it('an unknown column names the operator and the column', () => {
      const e = catchError(() => run('DeviceProcessEvents | where NoSuchColumn == "x"'));
      expect([e.status, e.code]).to.deep.equal([400, 'BadRequest']);
      expect(e.message).to.match(/^'where' operator: Failed to resolve scalar expression named 'NoSuchColumn'/);
      const e2 = catchError(() => run('DeviceProcessEvents | project DeviceName | project AccountUpn'));
      expect(e2.message).to.match(/^'project' operator: Failed to resolve scalar expression named 'AccountUpn'/);
    });

    it('an unknown table is named', () => {
      const e = catchError(() => run('DeviceEventz | take 1'));
      expect(e.status).to.equal(400);
      expect(e.message).to.match(/^Failed to resolve table or column expression named 'DeviceEventz'/);
    });

    for (const [q, name] of [
      ['DeviceProcessEvents | join kind=inner (DeviceLogonEvents) on DeviceId', 'join'],
      ['DeviceProcessEvents | parse ProcessCommandLine with * "-enc " Payload', 'parse'],
      ['IdentityLogonEvents | mv-expand AdditionalFields', 'mv-expand'],
      ['DeviceProcessEvents | distinct DeviceName', 'distinct'],
    ] as const) {
      it(`'${name}' is refused as outside the emulator's subset`, () => {
        const e = catchError(() => run(q));
        expect(e.status).to.equal(400);
        expect(e.message).to.contain(`The Defender emulator does not support the '${name}' operator`);
      });
    }

    it('let statements and other query-level constructs are refused as the emulator\'s limit', () => {
      const e = catchError(() => run('let n = 5; DeviceProcessEvents | take n'));
      expect(e.status).to.equal(400);
      expect(e.message).to.contain('The Defender emulator does not support queries of several statements');
      expect(catchError(() => run('search "alice"')).message).to.contain("does not support the 'search' operator");
    });

    it('an unsupported function is refused by name', () => {
      const e = catchError(() => run('DeviceProcessEvents | where strlen(FileName) > 3'));
      expect(e.status).to.equal(400);
      expect(e.message).to.contain("does not support the function 'strlen()'");
    });

    it('addRows refuses an unknown table or column and changes nothing', () => {
      expect(catchError(() => engine.addRows('NoTable', [])).status).to.equal(400);
      const before = engine.counts().DeviceProcessEvents;
      const e = catchError(() => engine.addRows('DeviceProcessEvents', [{ ReportId: 9 }, { Nope: 1 }]));
      expect(e.message).to.contain("no column 'Nope'");
      expect(engine.counts().DeviceProcessEvents).to.equal(before);
    });
  });

  describe('seeded tables', () => {
    const seeded = () => createHuntingEngine({ seed: 42, now: NOW, entities: ENTITIES, alerts: ALERTS, rowsPerTable: 200 });

    it('has the schema columns of Microsoft\'s tables', () => {
      const schema = seeded().schema();
      expect(Object.keys(schema)).to.include.members(['DeviceInfo', 'DeviceProcessEvents', 'DeviceNetworkEvents', 'DeviceFileEvents',
        'DeviceLogonEvents', 'EmailEvents', 'EmailUrlInfo', 'UrlClickEvents', 'IdentityLogonEvents', 'AlertInfo', 'AlertEvidence']);
      expect(schema.DeviceNetworkEvents.slice(0, 7)).to.deep.equal([
        { name: 'Timestamp', type: 'DateTime' }, { name: 'DeviceId', type: 'String' }, { name: 'DeviceName', type: 'String' },
        { name: 'ActionType', type: 'String' }, { name: 'RemoteIP', type: 'String' }, { name: 'RemotePort', type: 'Int32' }, { name: 'RemoteUrl', type: 'String' },
      ]);
      expect(schema.AlertInfo.map((c) => c.name)).to.deep.equal(['Timestamp', 'AlertId', 'Title', 'Category', 'Severity', 'ServiceSource', 'DetectionSource', 'AttackTechniques']);
    });

    it('is deterministic for one seed and differs for another', () => {
      const q = 'DeviceNetworkEvents | project Timestamp, DeviceName, RemoteIP, RemotePort, RemoteUrl';
      const a = seeded().run(q, { now: NOW });
      const b = seeded().run(q, { now: NOW });
      expect(a.rows).to.have.length.greaterThan(150);
      expect(b.rows).to.deep.equal(a.rows);
      const c = createHuntingEngine({ seed: 43, now: NOW, entities: ENTITIES, alerts: ALERTS, rowsPerTable: 200 }).run(q, { now: NOW });
      expect(c.rows).to.not.deep.equal(a.rows);
      expect(seeded().counts().DeviceNetworkEvents).to.equal(200);
    });

    it('spreads rows over 30 days and keeps a few older ones out of the window', () => {
      const e = seeded();
      const inWindow = e.run('DeviceProcessEvents | count', { now: NOW }).rows[0].Count as number;
      const all = e.run('DeviceProcessEvents | count', { now: NOW, from: new Date(NOW.getTime() - 60 * DAY) }).rows[0].Count as number;
      expect(all).to.equal(200);
      expect(inWindow).to.be.lessThan(all);
      expect(inWindow).to.be.greaterThan(150);
      const recent = e.run('DeviceProcessEvents | where Timestamp > ago(15d) | count', { now: NOW }).rows[0].Count as number;
      expect(recent).to.be.greaterThan(0).and.lessThan(inWindow);
    });

    it('hunting for an incident\'s entities finds rows in the matching tables', () => {
      const e = seeded();
      const count = (q: string) => e.run(`${q} | count`, { now: NOW }).rows[0].Count as number;
      const f = ENTITIES.files[0];
      expect(count('DeviceProcessEvents | where DeviceName =~ "ws-alpha.contoso.com"')).to.be.greaterThan(0);
      expect(count('DeviceProcessEvents | where DeviceName == "WS-ALPHA.CONTOSO.COM"')).to.be.greaterThan(0); // mixed case
      expect(count(`DeviceProcessEvents | where SHA1 == "${f.sha1}" and MD5 == "${f.md5}" and SHA256 == "${f.sha256}"`)).to.be.greaterThan(0);
      expect(count(`DeviceFileEvents | where FileName == "${f.fileName}" and FolderPath == @"${f.folderPath}"`)).to.be.greaterThan(0);
      expect(count('DeviceNetworkEvents | where RemoteIP == "192.0.2.44"')).to.be.greaterThan(0);
      expect(count('DeviceNetworkEvents | where LocalIP == "10.0.0.11"')).to.be.greaterThan(0);
      expect(count('DeviceNetworkEvents | where RemoteUrl has "badsite"')).to.be.greaterThan(0);
      expect(count('DeviceInfo | where PublicIP == "203.0.113.11" and AadDeviceId == "aad-b"')).to.be.greaterThan(0);
      expect(count('DeviceLogonEvents | where AccountName =~ "bob" and AccountSid == "S-1-5-21-1-1002"')).to.be.greaterThan(0);
      expect(count('EmailEvents | where RecipientEmailAddress =~ "bob@contoso.com"')).to.be.greaterThan(0);
      expect(count('EmailUrlInfo | where Url == "http://cdn.badsite.example/payload.bin" and UrlDomain == "cdn.badsite.example"')).to.be.greaterThan(0);
      expect(count('UrlClickEvents | where AccountUpn =~ "alice@contoso.com" and Url has "login"')).to.be.greaterThan(0);
      expect(count('IdentityLogonEvents | where AccountUpn =~ "bob@contoso.com" and AccountObjectId == "obj-bob"')).to.be.greaterThan(0);
    });

    it('AlertInfo and AlertEvidence hold exactly the alerts and their evidence', () => {
      const e = seeded();
      const info = e.run('AlertInfo | sort by AlertId asc', { now: NOW }).rows;
      expect(info.map((r) => [r.AlertId, r.Title, r.Severity, r.Category, r.ServiceSource, r.DetectionSource])).to.deep.equal([
        ['da638000000000000001_1', 'Suspicious PowerShell command line', 'Medium', 'Execution', 'Microsoft Defender for Endpoint', 'EDR'],
        ['fa1234-5678', 'Phishing link clicked', 'High', 'InitialAccess', 'Microsoft Defender for Office 365', 'MDO'],
      ]);
      expect(info[0].Timestamp).to.equal(`${ALERTS[0].timestamp.toISOString().slice(0, 23)}0000Z`);
      const ev = e.run('AlertEvidence | project AlertId, EntityType, EvidenceRole, DeviceId, DeviceName, SHA1, AccountUpn, RemoteUrl, RemoteIP', { now: NOW }).rows;
      expect(ev).to.have.length(6);
      expect(ev[0]).to.deep.include({ AlertId: 'da638000000000000001_1', EntityType: 'Machine', EvidenceRole: 'Impacted', DeviceId: 'dev-a', DeviceName: 'ws-alpha.contoso.com' });
      expect(ev[1]).to.deep.include({ EntityType: 'File', SHA1: ENTITIES.files[0].sha1 });
      expect(ev[2]).to.deep.include({ EntityType: 'User', AccountUpn: 'alice@contoso.com' });
      expect(ev[3]).to.deep.include({ AlertId: 'fa1234-5678', EntityType: 'Url', RemoteUrl: 'https://login-contoso.example.net/auth' });
      expect(ev[4]).to.deep.include({ EntityType: 'Mailbox', AccountUpn: 'bob@contoso.com' });
      expect(ev[5]).to.deep.include({ EntityType: 'Ip', RemoteIP: '198.51.100.7' });
      expect(e.run('AlertEvidence | summarize count() by AlertId', { now: NOW }).rows).to.deep.equal([
        { AlertId: 'da638000000000000001_1', count_: 3 }, { AlertId: 'fa1234-5678', count_: 3 },
      ]);
    });
  });
});
