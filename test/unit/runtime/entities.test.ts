import { expect } from 'chai';
import { canonicalEntityType, entityValue, isEmailAddress, parseScope, resolveEntities, ENTITY_TYPES, type EntityType } from '../../../lib/runtime/entities';
import { syncActionErrorOf } from '../../support/errors';
import type { TargetEntity } from '../../../lib/generated/contract.types';

const ALL: readonly EntityType[] = ENTITY_TYPES;
const e = (EntityType: string, Identifier: string, extra: Partial<TargetEntity> = {}): TargetEntity => ({ Identifier, EntityType, ...extra });

const invalid = (fn: () => unknown): string => syncActionErrorOf('INVALID_INPUT', fn);

describe('entities and scope', () => {
  it('knows the six types and their aliases, whatever the case', () => {
    const cases: Array<[string, EntityType]> = [
      ['ADDRESS', 'ADDRESS'], ['ip', 'ADDRESS'], ['IP', 'ADDRESS'],
      ['HOSTNAME', 'HOSTNAME'], ['host', 'HOSTNAME'],
      ['USERUNIQNAME', 'USERUNIQNAME'], ['User', 'USERUNIQNAME'],
      ['FILEHASH', 'FILEHASH'], ['hash', 'FILEHASH'],
      ['DestinationURL', 'DestinationURL'], ['DESTINATIONURL', 'DestinationURL'], ['url', 'DestinationURL'],
      ['EMAILADDRESS', 'EMAILADDRESS'], ['Email', 'EMAILADDRESS'], [' email ', 'EMAILADDRESS'],
    ];
    for (const [name, type] of cases) expect(canonicalEntityType(name), name).to.equal(type);
    for (const name of ['PROCESS', 'FILENAME', '', 'IPADDRESS']) expect(canonicalEntityType(name), name).to.equal(undefined);
    // names of Object.prototype are names like any other: unknown
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) expect(canonicalEntityType(name), name).to.equal(undefined);
  });

  it('tells e-mail addresses from other strings', () => {
    for (const ok of ['bob@contoso.com', 'Bob.Smith+tag@sub.contoso.co.uk', "o'brien@contoso.com"]) expect(isEmailAddress(ok), ok).to.equal(true);
    for (const no of ['bob', 'bob@localhost', 'CONTOSO\\bob', 'a b@c.com', '@contoso.com', 'bob@contoso.com ; drop']) expect(isEmailAddress(no), no).to.equal(false);
  });

  describe('parseScope', () => {
    it('reads the four named scopes without regard to case or spaces', () => {
      expect(parseScope('All entities')).to.deep.equal({ kind: 'all' });
      expect(parseScope('suspicious entities')).to.deep.equal({ kind: 'suspicious' });
      expect(parseScope('InternalEntities')).to.deep.equal({ kind: 'internal' });
      expect(parseScope(' External Entities ')).to.deep.equal({ kind: 'external' });
    });
    it('reads a comma-separated list of types and aliases', () => {
      const s = parseScope('ADDRESS, host,email');
      expect(s.kind).to.equal('types');
      expect(s.kind === "types" ? [...s.types] : []).to.deep.equal(['ADDRESS', 'HOSTNAME', 'EMAILADDRESS']);
    });
    it('names what is not a type or a scope', () => {
      expect(invalid(() => parseScope('ADDRESS, PROCESS, Files'))).to.match(/Parameter 'scope' names 'PROCESS', 'Files', which are not an entity type or scope; valid: All entities/);
      expect(invalid(() => parseScope(' , '))).to.match(/Parameter 'scope' is empty/);
    });
    it('refuses names of Object.prototype like any unknown name', () => {
      for (const name of ['constructor', '__proto__', 'toString', 'Constructor', 'ADDRESS, __proto__']) {
        expect(invalid(() => parseScope(name)), name).to.match(/^Parameter 'scope' names '(constructor|__proto__|toString|Constructor)', which is not an entity type or scope/);
      }
    });
  });

  describe('resolveEntities', () => {
    const targets: TargetEntity[] = [
      e('ADDRESS', '10.0.0.5', { IsInternal: true }),
      e('ip', '10.0.0.5'),
      e('HOSTNAME', 'WS-01.contoso.local', { IsSuspicious: true, IsInternal: true }),
      e('HOST', 'ws-01.CONTOSO.local'),
      e('USERUNIQNAME', 'Bob@Contoso.com', { IsSuspicious: true }),
      e('USER', 'CONTOSO\\alice', { AdditionalProperties: { Email: 'alice@contoso.com' } }),
      e('USER', 'carol'),
      e('FILEHASH', 'd41d8cd98f00b204e9800998ecf8427e', { IsSuspicious: true }),
      e('PROCESS', 'cmd.exe', { IsSuspicious: true }),
      e('DestinationURL', ' https://evil.example/x '),
    ];

    it('normalises types, trims identifiers and drops duplicates compared without case', () => {
      const r = resolveEntities(targets, 'All entities', ALL);
      expect(r.entities.map((x) => `${x.type}:${x.identifier}`)).to.deep.equal([
        'ADDRESS:10.0.0.5',
        'HOSTNAME:WS-01.contoso.local',
        'USERUNIQNAME:Bob@Contoso.com',
        'USERUNIQNAME:CONTOSO\\alice',
        'USERUNIQNAME:carol',
        'FILEHASH:d41d8cd98f00b204e9800998ecf8427e',
        'DestinationURL:https://evil.example/x',
      ]);
      expect(r.duplicates).to.equal(2);
      expect(r.skipped).to.deep.equal([{ Identifier: 'cmd.exe', EntityType: 'PROCESS', status: 'skipped', message: `Entity type 'PROCESS' is not one this action works on (${ALL.join(', ')}).` }]);
    });

    it('counts a user with an e-mail address (identifier or AdditionalProperties.Email) as an e-mail entity', () => {
      const r = resolveEntities(targets, 'EMAILADDRESS', ['EMAILADDRESS']);
      expect(r.entities.map((x) => [x.identifier, x.email, entityValue(x, 'EMAILADDRESS'), entityValue(x, 'USERUNIQNAME')])).to.deep.equal([
        ['Bob@Contoso.com', 'Bob@Contoso.com', 'Bob@Contoso.com', 'Bob@Contoso.com'],
        ['CONTOSO\\alice', 'alice@contoso.com', 'alice@contoso.com', 'CONTOSO\\alice'],
      ]);
      expect(r.entities[0]!.types.has('USERUNIQNAME')).to.equal(true);
    });

    it('filters by suspicious, internal and external', () => {
      const ids = (scope: string) => resolveEntities(targets, scope, ALL).entities.map((x) => x.identifier);
      expect(ids('Suspicious entities')).to.deep.equal(['WS-01.contoso.local', 'Bob@Contoso.com', 'd41d8cd98f00b204e9800998ecf8427e']);
      expect(ids('Internal entities')).to.deep.equal(['10.0.0.5', 'WS-01.contoso.local']);
      // the internal 10.0.0.5 comes first and takes the identifier; its external twin is a different entity only in IsInternal
      expect(ids('External entities')).to.deep.equal(['10.0.0.5', 'ws-01.CONTOSO.local', 'Bob@Contoso.com', 'CONTOSO\\alice', 'carol', 'd41d8cd98f00b204e9800998ecf8427e', 'https://evil.example/x']);
    });

    it('reports entities in scope of a type the action does not take as skipped, and leaves out-of-scope ones alone', () => {
      const r = resolveEntities(targets, 'Suspicious entities', ['ADDRESS', 'HOSTNAME']);
      expect(r.entities.map((x) => x.identifier)).to.deep.equal(['WS-01.contoso.local']);
      expect(r.skipped.map((s) => `${s.EntityType}:${s.Identifier}:${s.status}`)).to.deep.equal(['USERUNIQNAME:Bob@Contoso.com:skipped', 'FILEHASH:d41d8cd98f00b204e9800998ecf8427e:skipped', 'PROCESS:cmd.exe:skipped']);
      const typed = resolveEntities(targets, 'HOSTNAME, URL', ['HOSTNAME']);
      expect(typed.entities.map((x) => x.identifier)).to.deep.equal(['WS-01.contoso.local']);
      expect(typed.skipped.map((s) => s.Identifier)).to.deep.equal(['https://evil.example/x']);
    });

    it('picks nothing and reports nothing for an action that does not work on entities', () => {
      expect(resolveEntities(targets, 'All entities', undefined)).to.deep.equal({ entities: [], skipped: [], duplicates: 0 });
    });

    it('still checks the scope of an action that does not work on entities', () => {
      expect(invalid(() => resolveEntities([], 'Some entities', undefined))).to.match(/Parameter 'scope' names 'Some entities'/);
    });

    it('refuses a blank identifier, naming its place', () => {
      expect(invalid(() => resolveEntities([e('ADDRESS', '1.2.3.4'), e('ADDRESS', '  ')], 'All entities', ALL))).to.match(/^target_entities\[1\]\.Identifier is blank/);
    });

    it('refuses a blank identifier in every action, those that do not work on entities and out-of-scope ones too', () => {
      expect(invalid(() => resolveEntities([e('ADDRESS', '1.2.3.4'), e('HOST', ' \t ')], 'All entities', undefined))).to.match(/^target_entities\[1\]\.Identifier is blank/);
      expect(invalid(() => resolveEntities([e('PROCESS', '  ')], 'ADDRESS', ALL))).to.match(/^target_entities\[0\]\.Identifier is blank/);
    });

    it('treats an entity type named after Object.prototype as unknown: passed over, never a type', () => {
      const r = resolveEntities([e('constructor', 'x'), e('__proto__', 'y'), e('ADDRESS', '1.2.3.4')], 'All entities', ALL);
      expect(r.entities.map((x) => x.identifier)).to.deep.equal(['1.2.3.4']);
      expect(r.skipped.map((x) => [x.EntityType, x.status])).to.deep.equal([['constructor', 'skipped'], ['__proto__', 'skipped']]);
    });

    it('keeps the engine\'s entity object for the action', () => {
      const r = resolveEntities([e('ip', '1.2.3.4', { IsSuspicious: true, Custom: 'x' })], 'All entities', ALL);
      expect(r.entities[0]!.original).to.deep.equal({ Identifier: '1.2.3.4', EntityType: 'ip', IsSuspicious: true, Custom: 'x' });
      expect(r.entities[0]!.suspicious).to.equal(true);
      expect(r.entities[0]!.internal).to.equal(false);
    });
  });
});
