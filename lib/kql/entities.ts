// Entity filters of Execute Entity Query (issue 6): the entities in scope become, per table, a filter on the column
// that table really has for each entity type (reference defender-api.md §4), or on the column the user names.

import { ENTITY_TYPES, entityValue, type Entity, type EntityType } from '../runtime/entities';
import { ActionError, invalidInput } from '../runtime/errors';
import { kqlIdentifier, kqlString, type KqlLiteral } from './literal';
import { HUNTING_SCHEMA } from './schema';

/** The user's column per type (IP/Hostname/File Hash/User/URL/Email Entity Key); blank = use the table's own. */
export type EntityKeys = Partial<Record<EntityType, string>>;

/** The action parameter that carries each type's key (named in messages). */
export const ENTITY_KEY_PARAMS: Readonly<Record<EntityType, string>> = {
  ADDRESS: 'ip_entity_key',
  HOSTNAME: 'hostname_entity_key',
  USERUNIQNAME: 'user_entity_key',
  FILEHASH: 'file_hash_entity_key',
  DestinationURL: 'url_entity_key',
  EMAILADDRESS: 'email_address_entity_key',
};

/** table -> its columns (the tables of reference §4, from lib/kql/schema.ts). */
export const HUNTING_TABLES: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.fromEntries(Object.entries(HUNTING_SCHEMA).map(([table, columns]) => [table, Object.freeze(columns.map((c) => c.name))])),
);

/** The schema's spelling of a known table named without regard to case (KQL names are case-sensitive), or undefined. */
export function canonicalTable(name: string): string | undefined {
  const t = name.trim();
  if (Object.prototype.hasOwnProperty.call(HUNTING_TABLES, t)) return t;
  const lower = t.toLowerCase();
  return Object.keys(HUNTING_TABLES).find((k) => k.toLowerCase() === lower);
}

/** A user value that looks like a UPN (name@domain) rather than a bare account name. */
export const looksLikeUpn = (value: string): boolean => /^[^@\s]+@[^@\s]+$/.test(value);

const HEX = /^[0-9A-Fa-f]+$/;
const HASH_COLUMN: Readonly<Record<number, 'MD5' | 'SHA1' | 'SHA256'>> = { 32: 'MD5', 40: 'SHA1', 64: 'SHA256' };

const entityLabel = (entity: Entity, as: EntityType): string => {
  const v = entityValue(entity, as);
  return `The ${as} entity ${JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v)}`;
};

/** The hash column family of a FILEHASH value by its length, or invalidInput naming the entity. */
export function hashKind(entity: Entity): 'MD5' | 'SHA1' | 'SHA256' {
  const v = entityValue(entity, 'FILEHASH');
  const kind = HEX.test(v) ? HASH_COLUMN[v.length] : undefined;
  if (!kind) {
    throw invalidInput(
      `${entityLabel(entity, 'FILEHASH')} is not an MD5, SHA1 or SHA256 hash (32, 40 or 64 hexadecimal digits); ` +
        `give such a hash, or name the column to match it in '${ENTITY_KEY_PARAMS.FILEHASH}'.`,
    );
  }
  return kind;
}

/** The first of `names` the table has, as a one-column group. */
const firstOf = (columns: ReadonlySet<string>, ...names: string[]): string[] | undefined => {
  const found = names.find((n) => columns.has(n));
  return found === undefined ? undefined : [found];
};

/** The table's own columns (or-ed) for one entity used as `as`; undefined when the table has none for it. */
function defaultColumns(table: string, columns: ReadonlySet<string>, entity: Entity, as: EntityType): string[] | undefined {
  switch (as) {
    case 'ADDRESS':
      if (table === 'EmailEvents') return ['SenderIPv4', 'SenderIPv6'];
      if (table === 'DeviceFileEvents') return ['FileOriginIP', 'RequestSourceIP'];
      return firstOf(columns, 'RemoteIP', 'IPAddress', 'PublicIP');
    case 'HOSTNAME':
      return firstOf(columns, 'DeviceName');
    case 'USERUNIQNAME':
      return looksLikeUpn(entityValue(entity, as))
        ? firstOf(columns, 'AccountUpn', 'InitiatingProcessAccountUpn')
        : firstOf(columns, 'AccountName', 'InitiatingProcessAccountName');
    case 'FILEHASH': {
      const kind = hashKind(entity);
      return firstOf(columns, kind, `InitiatingProcess${kind}`);
    }
    case 'DestinationURL':
      return firstOf(columns, 'RemoteUrl', 'Url', 'FileOriginUrl');
    case 'EMAILADDRESS':
      if (columns.has('SenderFromAddress') && columns.has('RecipientEmailAddress')) return ['SenderFromAddress', 'RecipientEmailAddress'];
      if (table === 'UrlClickEvents') return firstOf(columns, 'AccountUpn');
      return firstOf(columns, 'EmailAddress');
  }
}

interface Group { type: EntityType; columns: string[]; values: KqlLiteral[]; seen: Set<string> }

/**
 * For one table: the filter `(...)` over the entities in scope, values of one type in one `in~` list (exact `in` for
 * ADDRESS), types joined by `operator`.
 *
 * - A key given for a type (kqlIdentifier-checked, named by its parameter) is the column for every value of that type;
 *   on a known table it must be one of the table's columns (matched without regard to case, written in the
 *   schema's spelling), else the type has no column there. On a table not in HUNTING_TABLES it is used as given.
 * - Without a key, the table's own column(s): see defaultColumns (reference §4). FILEHASH values must then be 32, 40
 *   or 64 hex digits (invalidInput naming the entity otherwise), checked for every table alike.
 * - Each entity is used once per table: under its own type when the table has a column for it, else under another
 *   type it counts as (a user with an e-mail address as EMAILADDRESS). `used` lists the entities that went in,
 *   `unused` the others; `missingTypes` the entity types (in ENTITY_TYPES order) none of whose entities went in.
 * - `filter` is undefined when no entity could be used. Every value goes through kqlString.
 */
export function entityFilter(
  table: string,
  entities: readonly Entity[],
  keys: EntityKeys,
  operator: 'and' | 'or',
): { filter: string | undefined; used: Entity[]; missingTypes: EntityType[]; unused: Entity[] } {
  const op = typeof operator === 'string' ? operator.toLowerCase() : '';
  if (op !== 'and' && op !== 'or') throw new ActionError('INTERNAL', `entityFilter: operator ${String(operator)} is neither and nor or.`);
  const known = canonicalTable(table);
  const columns: ReadonlySet<string> | undefined = known === undefined ? undefined : new Set(HUNTING_TABLES[known]);
  const tableName = known ?? table.trim();

  // the user's keys, checked once
  const keyColumn = new Map<EntityType, string | null>(); // null: a key given but not a column of this table
  for (const type of ENTITY_TYPES) {
    const raw = keys[type];
    if (raw === undefined || raw === null || raw.trim() === '') continue;
    const checked = kqlIdentifier(raw, ENTITY_KEY_PARAMS[type]);
    if (!columns) { keyColumn.set(type, checked); continue; }
    const lower = checked.replace(/^\['(.*)'\]$/, '$1').toLowerCase();
    const match = [...columns].find((c) => c.toLowerCase() === lower);
    keyColumn.set(type, match === undefined ? null : kqlIdentifier(match, ENTITY_KEY_PARAMS[type]));
  }

  // hashes are checked whatever the table, so that a run never depends on which table comes first
  for (const e of entities) if (e.type === 'FILEHASH' && !keyColumn.has('FILEHASH')) hashKind(e);

  const columnsFor = (entity: Entity, as: EntityType): string[] | undefined => {
    if (keyColumn.has(as)) {
      const k = keyColumn.get(as);
      return k === null || k === undefined ? undefined : [k];
    }
    return columns ? defaultColumns(tableName, columns, entity, as) : undefined;
  };

  const groups: Group[] = [];
  const used: Entity[] = [];
  const unused: Entity[] = [];
  const usedTypes = new Set<EntityType>();
  for (const entity of entities) {
    const order = [entity.type, ...ENTITY_TYPES.filter((t) => t !== entity.type && entity.types.has(t))];
    let placed = false;
    for (const as of order) {
      const cols = columnsFor(entity, as);
      if (!cols || cols.length === 0) continue;
      const value = entityValue(entity, as);
      const literal = kqlString(value, entityLabel(entity, as));
      const id = `${as}\u0000${cols.join(',')}`;
      let group = groups.find((g) => `${g.type}\u0000${g.columns.join(',')}` === id);
      if (!group) { group = { type: as, columns: cols, values: [], seen: new Set() }; groups.push(group); }
      const dedupe = as === 'ADDRESS' ? value : value.toLowerCase();
      if (!group.seen.has(dedupe)) { group.seen.add(dedupe); group.values.push(literal); }
      placed = true;
      break;
    }
    if (placed) { used.push(entity); usedTypes.add(entity.type); } else unused.push(entity);
  }

  const present = new Set(entities.map((e) => e.type));
  const missingTypes = ENTITY_TYPES.filter((t) => present.has(t) && !usedTypes.has(t));
  if (groups.length === 0) return { filter: undefined, used, missingTypes, unused };

  const clauses: string[] = [];
  for (const type of ENTITY_TYPES) {
    const parts: string[] = [];
    for (const g of groups.filter((x) => x.type === type)) {
      const list = `(${g.values.join(', ')})`;
      for (const c of g.columns) parts.push(`${c} ${type === 'ADDRESS' ? 'in' : 'in~'} ${list}`);
    }
    if (parts.length === 0) continue;
    clauses.push(parts.length === 1 ? parts[0] : `(${parts.join(' or ')})`);
  }
  return { filter: `(${clauses.join(` ${op} `)})`, used, missingTypes, unused };
}
