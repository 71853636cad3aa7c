import { expect } from 'chai';
import { ENTITY_KEY_PARAMS, HUNTING_TABLES, canonicalTable, entityFilter, looksLikeUpn, type EntityKeys } from '../../../lib/kql/entities';
import { HUNTING_SCHEMA } from '../../../lib/kql/schema';
import { buildQuery } from '../../../lib/kql/query';
import { ENTITY_TYPES, resolveEntities, type Entity } from '../../../lib/runtime/entities';
import { TABLES as EMULATOR_TABLES } from '../../emulator/hunting/schema';
import { errorOf, expectClean, loadKusto } from './kusto-support';

const SHA1 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
const SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const MD5 = '098f6bcd4621d373cade4e832627b4f6';

/** Entities as the runtime makes them from target entities (scope: all). */
function ents(...pairs: Array<[string, string] | [string, string, Record<string, unknown>]>): Entity[] {
  return resolveEntities(pairs.map(([EntityType, Identifier, AdditionalProperties]) => ({ EntityType, Identifier, ...(AdditionalProperties ? { AdditionalProperties } : {}) })), 'All entities', ENTITY_TYPES).entities;
}

const RANGE = { from: new Date('2024-06-01T00:00:00Z'), to: new Date('2024-06-02T00:00:00Z') };

/** The filter in a query over its table, parsed and analyzed against the schema: no diagnostics. */
function checked(table: string, entities: Entity[], keys: EntityKeys = {}, op: 'and' | 'or' = 'or') {
  const r = entityFilter(table, entities, keys, op);
  if (r.filter !== undefined) expectClean(buildQuery({ tables: [table], tableFilters: { [table]: r.filter }, range: RANGE, sortOrder: 'desc', limit: 10 }));
  return r;
}

describe('kql/entities', () => {
  before(function () {
    this.timeout(60_000);
    loadKusto();
  });

  it('knows every table of reference §4, the emulator\'s tables with the same columns and types', () => {
    const ref = ['DeviceInfo', 'DeviceNetworkInfo', 'DeviceProcessEvents', 'DeviceNetworkEvents', 'DeviceFileEvents', 'DeviceLogonEvents',
      'DeviceEvents', 'DeviceRegistryEvents', 'DeviceImageLoadEvents', 'EmailEvents', 'EmailAttachmentInfo', 'EmailUrlInfo', 'UrlClickEvents',
      'IdentityLogonEvents', 'IdentityInfo', 'CloudAppEvents', 'AlertInfo', 'AlertEvidence'];
    expect(Object.keys(HUNTING_TABLES).sort()).to.deep.equal([...ref].sort());
    for (const [table, columns] of Object.entries(EMULATOR_TABLES)) expect(HUNTING_SCHEMA[table], table).to.deep.equal(columns);
    for (const [table, columns] of Object.entries(HUNTING_TABLES)) {
      expect(columns, table).to.include('Timestamp');
      expect(new Set(columns).size, table).to.equal(columns.length);
    }
    expect(canonicalTable('deviceprocessevents')).to.equal('DeviceProcessEvents');
    expect(canonicalTable('NoSuchTable')).to.equal(undefined);
  });

  it('ADDRESS: exact `in` on the table\'s IP column', () => {
    const ip = ents(['ADDRESS', '10.0.0.5'], ['IP', '2001:db8::1']);
    const cases: Record<string, string> = {
      DeviceNetworkEvents: '(RemoteIP in ("10.0.0.5", "2001:db8::1"))',
      DeviceLogonEvents: '(RemoteIP in ("10.0.0.5", "2001:db8::1"))',
      DeviceEvents: '(RemoteIP in ("10.0.0.5", "2001:db8::1"))',
      AlertEvidence: '(RemoteIP in ("10.0.0.5", "2001:db8::1"))',
      IdentityLogonEvents: '(IPAddress in ("10.0.0.5", "2001:db8::1"))',
      UrlClickEvents: '(IPAddress in ("10.0.0.5", "2001:db8::1"))',
      CloudAppEvents: '(IPAddress in ("10.0.0.5", "2001:db8::1"))',
      DeviceInfo: '(PublicIP in ("10.0.0.5", "2001:db8::1"))',
      EmailEvents: '((SenderIPv4 in ("10.0.0.5", "2001:db8::1") or SenderIPv6 in ("10.0.0.5", "2001:db8::1")))',
      DeviceFileEvents: '((FileOriginIP in ("10.0.0.5", "2001:db8::1") or RequestSourceIP in ("10.0.0.5", "2001:db8::1")))',
    };
    for (const [table, filter] of Object.entries(cases)) {
      const r = checked(table, ip);
      expect(r.filter, table).to.equal(filter);
      expect(r.used).to.deep.equal(ip);
      expect(r.missingTypes).to.deep.equal([]);
    }
    for (const table of ['DeviceProcessEvents', 'DeviceNetworkInfo', 'EmailUrlInfo', 'AlertInfo', 'IdentityInfo']) {
      const r = checked(table, ip);
      expect(r.filter, table).to.equal(undefined);
      expect(r.missingTypes).to.deep.equal(['ADDRESS']);
      expect(r.used).to.deep.equal([]);
    }
  });

  it('HOSTNAME: DeviceName, case-insensitive `in~`', () => {
    const h = ents(['HOSTNAME', 'PC01.contoso.com'], ['HOST', 'srv-2']);
    for (const table of ['DeviceInfo', 'DeviceNetworkInfo', 'DeviceProcessEvents', 'DeviceNetworkEvents', 'DeviceFileEvents', 'DeviceLogonEvents', 'DeviceEvents',
      'DeviceRegistryEvents', 'DeviceImageLoadEvents', 'IdentityLogonEvents', 'AlertEvidence']) {
      expect(checked(table, h).filter, table).to.equal('(DeviceName in~ ("PC01.contoso.com", "srv-2"))');
    }
    expect(checked('EmailEvents', h).missingTypes).to.deep.equal(['HOSTNAME']);
  });

  it('USERUNIQNAME: AccountUpn for a UPN, AccountName otherwise, or the InitiatingProcess variants the table has', () => {
    const u = ents(['USERUNIQNAME', 'alice@contoso.com'], ['USER', 'bob']);
    expect(checked('DeviceProcessEvents', u).filter).to.equal('((AccountUpn in~ ("alice@contoso.com") or AccountName in~ ("bob")))');
    expect(checked('IdentityLogonEvents', u).filter).to.equal('((AccountUpn in~ ("alice@contoso.com") or AccountName in~ ("bob")))');
    expect(checked('IdentityInfo', u).filter).to.equal('((AccountUpn in~ ("alice@contoso.com") or AccountName in~ ("bob")))');
    // DeviceLogonEvents has AccountName but no AccountUpn
    expect(checked('DeviceLogonEvents', u).filter).to.equal('((InitiatingProcessAccountUpn in~ ("alice@contoso.com") or AccountName in~ ("bob")))');
    for (const table of ['DeviceNetworkEvents', 'DeviceRegistryEvents', 'DeviceImageLoadEvents', 'DeviceFileEvents']) {
      expect(checked(table, u).filter, table).to.equal('((InitiatingProcessAccountUpn in~ ("alice@contoso.com") or InitiatingProcessAccountName in~ ("bob")))');
    }
    // UrlClickEvents: AccountUpn only; the bare name cannot be used there
    const url = checked('UrlClickEvents', u);
    expect(url.filter).to.equal('(AccountUpn in~ ("alice@contoso.com"))');
    expect(url.used.map((e) => e.identifier)).to.deep.equal(['alice@contoso.com']);
    expect(url.unused.map((e) => e.identifier)).to.deep.equal(['bob']);
    expect(url.missingTypes).to.deep.equal([]);
    expect(checked('CloudAppEvents', ents(['USER', 'bob'])).missingTypes).to.deep.equal(['USERUNIQNAME']);
    expect(looksLikeUpn('a@b')).to.equal(true);
    expect(looksLikeUpn('CONTOSO\\bob')).to.equal(false);
    expect(looksLikeUpn('a@b@c')).to.equal(false);
  });

  it('a user with an e-mail address counts as EMAILADDRESS where the table has no user column', () => {
    const u = ents(['USER', 'alice@contoso.com'], ['USER', 'carol', { Email: 'carol@contoso.com' }]);
    const r = checked('EmailEvents', u);
    expect(r.filter).to.equal('((SenderFromAddress in~ ("alice@contoso.com", "carol@contoso.com") or RecipientEmailAddress in~ ("alice@contoso.com", "carol@contoso.com")))');
    expect(r.missingTypes).to.deep.equal([]);
    expect(r.used).to.have.length(2);
    // a bare user without e-mail cannot be used on EmailEvents
    expect(checked('EmailEvents', ents(['USER', 'dave'])).missingTypes).to.deep.equal(['USERUNIQNAME']);
  });

  it('FILEHASH: SHA1 / SHA256 / MD5 by length, where the table has it (or its InitiatingProcess variant)', () => {
    const h = ents(['FILEHASH', SHA1], ['HASH', SHA256], ['FILEHASH', MD5]);
    expect(checked('DeviceProcessEvents', h).filter).to.equal(`((SHA1 in~ ("${SHA1}") or SHA256 in~ ("${SHA256}") or MD5 in~ ("${MD5}")))`);
    expect(checked('DeviceNetworkEvents', h).filter).to.equal(`((InitiatingProcessSHA1 in~ ("${SHA1}") or InitiatingProcessSHA256 in~ ("${SHA256}") or InitiatingProcessMD5 in~ ("${MD5}")))`);
    const mail = checked('EmailAttachmentInfo', h);
    expect(mail.filter).to.equal(`(SHA256 in~ ("${SHA256}"))`);
    expect(mail.unused.map((e) => e.identifier)).to.deep.equal([SHA1, MD5]);
    const ev = checked('AlertEvidence', h);
    expect(ev.filter).to.equal(`((SHA1 in~ ("${SHA1}") or SHA256 in~ ("${SHA256}")))`);
    expect(checked('EmailEvents', h).missingTypes).to.deep.equal(['FILEHASH']);
    // upper-case hex is a hash too, and in~ ignores case
    expect(checked('DeviceFileEvents', ents(['HASH', SHA1.toUpperCase()])).filter).to.equal(`(SHA1 in~ ("${SHA1.toUpperCase()}"))`);
  });

  it('FILEHASH: other lengths and non-hex values are refused naming the entity, on every table', () => {
    for (const bad of ['abc', SHA1.slice(1), `${SHA256}0`, 'z'.repeat(40), `${MD5.slice(0, 31)}"`]) {
      for (const table of ['DeviceProcessEvents', 'EmailEvents', 'NoSuchTable']) {
        const msg = errorOf('INVALID_INPUT', () => entityFilter(table, ents(['FILEHASH', bad]), {}, 'or'));
        expect(msg).to.contain(`The FILEHASH entity ${JSON.stringify(bad)}`).and.contain('32, 40 or 64').and.contain('file_hash_entity_key');
      }
    }
    // with a key the user names the column: any value goes
    expect(entityFilter('DeviceProcessEvents', ents(['FILEHASH', 'abc']), { FILEHASH: 'SHA1' }, 'or').filter).to.equal('(SHA1 in~ ("abc"))');
  });

  it('DestinationURL: RemoteUrl / Url / FileOriginUrl; EMAILADDRESS: sender or recipient, AccountUpn on UrlClickEvents', () => {
    const url = ents(['URL', 'https://evil.example/x?a=1&b="2"']);
    const lit = '"https://evil.example/x?a=1&b=\\"2\\""';
    expect(checked('DeviceNetworkEvents', url).filter).to.equal(`(RemoteUrl in~ (${lit}))`);
    expect(checked('DeviceEvents', url).filter).to.equal(`(RemoteUrl in~ (${lit}))`);
    expect(checked('AlertEvidence', url).filter).to.equal(`(RemoteUrl in~ (${lit}))`);
    expect(checked('EmailUrlInfo', url).filter).to.equal(`(Url in~ (${lit}))`);
    expect(checked('UrlClickEvents', url).filter).to.equal(`(Url in~ (${lit}))`);
    expect(checked('DeviceFileEvents', url).filter).to.equal(`(FileOriginUrl in~ (${lit}))`);
    expect(checked('DeviceProcessEvents', url).missingTypes).to.deep.equal(['DestinationURL']);

    const mail = ents(['EMAIL', 'eve@evil.example']);
    expect(checked('EmailEvents', mail).filter).to.equal('((SenderFromAddress in~ ("eve@evil.example") or RecipientEmailAddress in~ ("eve@evil.example")))');
    expect(checked('EmailAttachmentInfo', mail).filter).to.equal('((SenderFromAddress in~ ("eve@evil.example") or RecipientEmailAddress in~ ("eve@evil.example")))');
    expect(checked('UrlClickEvents', mail).filter).to.equal('(AccountUpn in~ ("eve@evil.example"))');
    expect(checked('IdentityInfo', mail).filter).to.equal('(EmailAddress in~ ("eve@evil.example"))');
    expect(checked('DeviceProcessEvents', mail).missingTypes).to.deep.equal(['EMAILADDRESS']);
  });

  it('joins types with the operator; missing types are left out and listed', () => {
    const mixed = ents(['IP', '10.0.0.5'], ['HOST', 'pc01'], ['URL', 'evil.example'], ['EMAIL', 'eve@evil.example']);
    const and = checked('DeviceNetworkEvents', mixed, {}, 'and');
    expect(and.filter).to.equal('(RemoteIP in ("10.0.0.5") and DeviceName in~ ("pc01") and RemoteUrl in~ ("evil.example"))');
    expect(and.missingTypes).to.deep.equal(['EMAILADDRESS']);
    expect(and.used.map((e) => e.type)).to.deep.equal(['ADDRESS', 'HOSTNAME', 'DestinationURL']);
    const or = checked('DeviceNetworkEvents', mixed, {}, 'or');
    expect(or.filter).to.equal('(RemoteIP in ("10.0.0.5") or DeviceName in~ ("pc01") or RemoteUrl in~ ("evil.example"))');
    const email = checked('EmailEvents', mixed, {}, 'and');
    expect(email.filter).to.equal('(SenderIPv4 in ("10.0.0.5") or SenderIPv6 in ("10.0.0.5")) and (SenderFromAddress in~ ("eve@evil.example") or RecipientEmailAddress in~ ("eve@evil.example"))'.replace(/^/, '(') + ')');
    expect(email.missingTypes).to.deep.equal(['HOSTNAME', 'DestinationURL']);
    // AND binds tighter than OR in KQL: the grouped or-lists keep their meaning under AND
    errorOf('INTERNAL', () => entityFilter('DeviceEvents', mixed, {}, 'xor' as 'and'));
  });

  it('no entity, or none usable: no filter', () => {
    expect(entityFilter('DeviceEvents', [], {}, 'or')).to.deep.equal({ filter: undefined, used: [], missingTypes: [], unused: [] });
    const r = entityFilter('AlertInfo', ents(['IP', '1.2.3.4'], ['HOST', 'pc']), {}, 'and');
    expect(r.filter).to.equal(undefined);
    expect(r.missingTypes).to.deep.equal(['ADDRESS', 'HOSTNAME']);
    expect(r.unused).to.have.length(2);
    // an unknown table has no default columns
    expect(entityFilter('DeviceTvmSoftwareInventory', ents(['HOST', 'pc']), {}, 'or').missingTypes).to.deep.equal(['HOSTNAME']);
  });

  it('keys: the user\'s column for every value of the type, checked, in the schema\'s spelling', () => {
    const e = ents(['IP', '10.0.0.5'], ['USER', 'alice@contoso.com'], ['USER', 'bob']);
    const r = checked('DeviceNetworkEvents', e, { ADDRESS: ' localip ', USERUNIQNAME: 'InitiatingProcessAccountName' }, 'and');
    expect(r.filter).to.equal('(LocalIP in ("10.0.0.5") and InitiatingProcessAccountName in~ ("alice@contoso.com", "bob"))');
    // blank keys count as not given
    expect(checked('DeviceNetworkEvents', e, { ADDRESS: '  ', USERUNIQNAME: '' }, 'or').filter)
      .to.equal('(RemoteIP in ("10.0.0.5") or (InitiatingProcessAccountUpn in~ ("alice@contoso.com") or InitiatingProcessAccountName in~ ("bob")))');
    // a key that is not a column of this (known) table: the type has no column here
    const miss = checked('DeviceNetworkEvents', e, { ADDRESS: 'SenderIPv4' }, 'or');
    expect(miss.missingTypes).to.deep.equal(['ADDRESS']);
    // on an unknown table the key is used as given
    expect(entityFilter('MyCustomTable', e, { ADDRESS: 'SrcIp' }, 'or').filter).to.equal('(SrcIp in ("10.0.0.5"))');
    for (const [type, param] of Object.entries(ENTITY_KEY_PARAMS)) {
      for (const bad of ['Remote IP', 'x; drop', 'T|take 1', 'a"b']) {
        const msg = errorOf('INVALID_INPUT', () => entityFilter('DeviceEvents', e, { [type]: bad }, 'or'));
        expect(msg).to.contain(`Parameter '${param}'`);
      }
    }
  });

  it('de-duplicates values within a list (exactly for IPs, without case otherwise)', () => {
    const e: Entity[] = [...ents(['HOST', 'PC01']), ...ents(['HOST', 'pc01']), ...ents(['IP', 'fe80::A']), ...ents(['IP', 'fe80::a'])];
    expect(checked('DeviceEvents', e).filter).to.equal('(RemoteIP in ("fe80::A", "fe80::a") or DeviceName in~ ("PC01"))');
  });

  it('refuses control characters in values, naming the entity', () => {
    const msg = errorOf('INVALID_INPUT', () => entityFilter('DeviceEvents', ents(['HOST', 'pc\u000101']), {}, 'or'));
    expect(msg).to.contain('The HOSTNAME entity "pc\\u000101"').and.contain('U+0001');
  });
});
