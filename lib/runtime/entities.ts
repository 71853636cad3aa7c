// Target entities: types and aliases, e-mail detection on users, de-duplication, scope (CONTRACT.md section 2).

import type { TargetEntity, EntityOutcome } from '../generated/contract.types';
import { invalidInput } from './errors';

export const ENTITY_TYPES = ['ADDRESS', 'HOSTNAME', 'USERUNIQNAME', 'FILEHASH', 'DestinationURL', 'EMAILADDRESS'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

// Maps, not object literals: a name taken from the input ("constructor", "__proto__") must find nothing.
const ALIASES: ReadonlyMap<string, EntityType> = new Map<string, EntityType>([
  ['address', 'ADDRESS'],
  ['ip', 'ADDRESS'],
  ['hostname', 'HOSTNAME'],
  ['host', 'HOSTNAME'],
  ['useruniqname', 'USERUNIQNAME'],
  ['user', 'USERUNIQNAME'],
  ['filehash', 'FILEHASH'],
  ['hash', 'FILEHASH'],
  ['destinationurl', 'DestinationURL'],
  ['url', 'DestinationURL'],
  ['emailaddress', 'EMAILADDRESS'],
  ['email', 'EMAILADDRESS'],
]);

/** The canonical type of an entity type name or alias (case-insensitive), or undefined. */
export function canonicalEntityType(name: string): EntityType | undefined {
  return ALIASES.get(name.trim().toLowerCase());
}

// RFC 5322 is looser; this is what mailboxes look like in practice: local@domain.tld, no spaces.
const EMAIL = /^[^\s@"<>(),;:\\[\]]+@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$/i;
export const isEmailAddress = (s: string): boolean => s.length <= 320 && EMAIL.test(s);

export interface Entity {
  /** the identifier as given, trimmed */
  identifier: string;
  /** the canonical type */
  type: EntityType;
  /** every type the entity counts as: a user with an e-mail address also counts as EMAILADDRESS */
  types: ReadonlySet<EntityType>;
  /** the e-mail address, for EMAILADDRESS entities and users that have one */
  email?: string;
  suspicious: boolean;
  internal: boolean;
  /** the entity as the engine sent it */
  original: TargetEntity;
}

/** The value of an entity for one of its types: the e-mail address when a user is used as an e-mail entity. */
export function entityValue(entity: Entity, as: EntityType): string {
  return as === 'EMAILADDRESS' && entity.email !== undefined ? entity.email : entity.identifier;
}

export type ScopeSpec =
  | { kind: 'all' }
  | { kind: 'suspicious' }
  | { kind: 'internal' }
  | { kind: 'external' }
  | { kind: 'types'; types: ReadonlySet<EntityType> };

const NAMED_SCOPES: ReadonlyMap<string, ScopeSpec> = new Map<string, ScopeSpec>([
  ['allentities', { kind: 'all' }],
  ['suspiciousentities', { kind: 'suspicious' }],
  ['internalentities', { kind: 'internal' }],
  ['externalentities', { kind: 'external' }],
]);

const SCOPE_HELP = `valid: All entities, Suspicious entities, Internal entities, External entities, or a comma-separated list of entity types (${ENTITY_TYPES.join(', ')}; aliases IP, HOST, USER, HASH, URL, EMAIL)`;

export function parseScope(raw: string): ScopeSpec {
  const named = NAMED_SCOPES.get(raw.replace(/\s+/g, '').toLowerCase());
  if (named) return named;
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw invalidInput(`Parameter 'scope' is empty; ${SCOPE_HELP}.`);
  const types = new Set<EntityType>();
  const unknown: string[] = [];
  for (const name of names) {
    const t = canonicalEntityType(name);
    if (t) types.add(t);
    else unknown.push(name);
  }
  if (unknown.length) throw invalidInput(`Parameter 'scope' names ${unknown.map((u) => `'${u}'`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not an entity type or scope; ${SCOPE_HELP}.`);
  return { kind: 'types', types };
}

function inScope(entity: Pick<Entity, 'suspicious' | 'internal' | 'types'>, scope: ScopeSpec): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'suspicious':
      return entity.suspicious;
    case 'internal':
      return entity.internal;
    case 'external':
      return !entity.internal;
    case 'types':
      return [...entity.types].some((t) => scope.types.has(t));
  }
}

export interface ResolvedEntities {
  /** in scope, of a type the action supports, de-duplicated: what the action works on */
  entities: Entity[];
  /** in scope but passed over (a type the action does not support): reported as skipped in the result */
  skipped: EntityOutcome[];
  /** how many duplicates were dropped */
  duplicates: number;
}

/**
 * Normalises the target entities and picks those in scope that the action supports.
 * `supported` undefined: the action does not work on entities (nothing is picked, nothing reported).
 */
export function resolveEntities(targets: readonly TargetEntity[], scopeRaw: string, supported: readonly EntityType[] | undefined): ResolvedEntities {
  const scope = parseScope(scopeRaw);
  // a blank identifier is refused by every action, those that do not work on entities too (README)
  targets.forEach((target, index) => {
    if (target.Identifier.trim() === '') throw invalidInput(`target_entities[${index}].Identifier is blank; give the entity's value, e.g. 10.0.0.5.`);
  });
  const result: ResolvedEntities = { entities: [], skipped: [], duplicates: 0 };
  if (!supported) return result;
  const seen = new Set<string>();
  targets.forEach((target) => {
    const identifier = target.Identifier.trim();
    const type = canonicalEntityType(target.EntityType);
    if (!type) {
      // an unknown type is in scope only for the scopes that do not name types
      if (scope.kind === 'types') return;
      if (!inScope({ suspicious: target.IsSuspicious === true, internal: target.IsInternal === true, types: new Set() }, scope)) return;
      const key = `?${target.EntityType.toLowerCase()}\u0000${identifier.toLowerCase()}`;
      if (seen.has(key)) { result.duplicates++; return; }
      seen.add(key);
      result.skipped.push({ Identifier: identifier, EntityType: target.EntityType, status: 'skipped', message: `Entity type '${target.EntityType}' is not one this action works on (${supported.join(', ')}).` });
      return;
    }
    const types = new Set<EntityType>([type]);
    let email: string | undefined;
    if (type === 'EMAILADDRESS') email = identifier;
    if (type === 'USERUNIQNAME') {
      const extra = target.AdditionalProperties?.['Email'];
      if (isEmailAddress(identifier)) email = identifier;
      else if (typeof extra === 'string' && isEmailAddress(extra.trim())) email = extra.trim();
      if (email !== undefined) types.add('EMAILADDRESS');
    }
    const entity: Entity = { identifier, type, types, suspicious: target.IsSuspicious === true, internal: target.IsInternal === true, original: target, ...(email !== undefined ? { email } : {}) };
    if (!inScope(entity, scope)) return;
    const key = `${type}\u0000${identifier.toLowerCase()}`;
    if (seen.has(key)) { result.duplicates++; return; }
    seen.add(key);
    if ([...types].some((t) => supported.includes(t))) result.entities.push(entity);
    else result.skipped.push({ Identifier: identifier, EntityType: type, status: 'skipped', message: `Entity type ${type} is not one this action works on (${supported.join(', ')}).` });
  });
  return result;
}
