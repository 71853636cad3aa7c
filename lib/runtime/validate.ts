// Action input: the engine's loose JSON made exact (CONTRACT.md section 2), then checked by the action's
// precompiled validator; every problem becomes a message that names the field and what would be valid.
//
// Coercion rules, guided by the flattened input schema:
// - "50" for an integer or number parameter becomes 50; "true"/"false" (any case) for a boolean becomes a boolean;
// - a parameter marked "x-dropdown" accepts a one-element list of strings (["DESC"] is "DESC");
// - a string with an enum accepts any case of a member ("desc" is "DESC");
// - "" for a number, boolean or drop-down parameter counts as not given (engines send blank optional fields as "").
//
// Then the text rule (text.ts) over every text parameter, of every action: no control character but tab and line
// breaks, no lone surrogate; a list parameter marked "x-list" ({"maxItems", "maxItemLength"}) is bounded item by item.
// Lengths are the schemas' maxLength, which codegen sets for an action's text parameters that give none.

import type { ActionSpec, ValidationError } from '../generated/spec';
import { invalidInput } from './errors';
import { splitList, textProblem } from './text';

type Schema = Record<string, unknown>;
type Json = unknown;

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function resolveRef(schema: Schema, root: Schema): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return schema;
  const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
  const defs = root['$defs'] as Record<string, Schema> | undefined;
  const target = m && defs ? defs[m[1]!] : undefined;
  if (!target) throw new Error(`unresolvable $ref ${ref} in an input schema`);
  return target;
}

function types(schema: Schema): string[] {
  const t = schema['type'];
  return Array.isArray(t) ? (t as string[]) : typeof t === 'string' ? [t] : [];
}

const isPlainObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Marker: the value counts as not given. */
const ABSENT = Symbol('absent');

function coerceValue(value: Json, schemaIn: Schema, root: Schema): Json | typeof ABSENT {
  const schema = resolveRef(schemaIn, root);
  const t = types(schema);
  const dropdown = schema['x-dropdown'] === true;
  let v = value;
  if (dropdown && Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') v = v[0];
  if (typeof v === 'string') {
    const s = v.trim();
    const onlyString = t.includes('string');
    if (s === '' && (dropdown || (!onlyString && t.some((x) => x === 'integer' || x === 'number' || x === 'boolean')))) return ABSENT;
    if (!onlyString) {
      if (t.includes('integer') && INTEGER.test(s)) {
        const n = Number(s);
        if (Number.isSafeInteger(n)) return n;
      }
      if (t.includes('number') && NUMBER.test(s)) return Number(s);
      if (t.includes('boolean') && /^(true|false)$/i.test(s)) return s.toLowerCase() === 'true';
    }
    const members = schema['enum'];
    if (Array.isArray(members) && !members.includes(v)) {
      const match = members.find((m) => typeof m === 'string' && m.toLowerCase() === s.toLowerCase());
      if (match !== undefined) return match;
    }
    return v;
  }
  if (Array.isArray(v) && t.includes('array') && isPlainObject(schema['items'])) {
    const items = schema['items'] as Schema;
    return v.map((item) => {
      const c = coerceValue(item, items, root);
      return c === ABSENT ? item : c;
    });
  }
  if (isPlainObject(v) && t.includes('object') && isPlainObject(schema['properties'])) return coerceObject(v, schema, root);
  return v;
}

/** Sets an own property: a "__proto__" key from JSON.parse stays a key (and is refused as unknown), never a prototype. */
function define(obj: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function coerceObject(obj: Record<string, Json>, schema: Schema, root: Schema): Record<string, Json> {
  const props = (schema['properties'] ?? {}) as Record<string, Schema>;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(obj)) {
    const prop = Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined;
    if (!prop) {
      define(out, key, value);
      continue;
    }
    const c = coerceValue(value, prop, root);
    if (c !== ABSENT) define(out, key, c);
  }
  return out;
}

/** Applies the coercion rules to a raw input object; returns a new object. */
export function coerceInput(raw: Record<string, Json>, schema: Schema): Record<string, Json> {
  return coerceObject(raw, schema, schema);
}

function fieldName(instancePath: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function at(data: Json, instancePath: string): Json {
  let cur = data;
  for (const p of instancePath.split('/').slice(1)) {
    const key = p.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isPlainObject(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

function render(v: Json): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number (e.g. "50")',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

function subject(instancePath: string): string {
  const name = fieldName(instancePath);
  return instancePath.split('/').length === 2 ? `Parameter '${name}'` : name;
}

/** Turns validator errors into one message that names each field and what would be valid. */
export function describeErrors(errors: readonly ValidationError[], data: Json, schema: Schema): string {
  const messages: string[] = [];
  const unknown: string[] = [];
  const typeFailed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword !== 'type' && typeFailed.has(e.instancePath)) continue;
    const value = at(data, e.instancePath);
    const who = subject(e.instancePath);
    const p = e.params;
    switch (e.keyword) {
      case 'required':
        messages.push(e.instancePath === '' ? `Missing required parameter '${String(p['missingProperty'])}'.` : `${fieldName(e.instancePath)} is missing '${String(p['missingProperty'])}'.`);
        break;
      case 'additionalProperties':
        if (e.instancePath === '') unknown.push(String(p['additionalProperty']));
        else messages.push(`${fieldName(e.instancePath)} has an unknown key '${String(p['additionalProperty'])}'.`);
        break;
      case 'type': {
        const wanted = String(p['type']).split(',').map((t) => TYPE_WORDS[t] ?? t).join(' or ');
        messages.push(`${who} must be ${wanted}; got ${render(value)}.`);
        break;
      }
      case 'enum':
        messages.push(`${who} must be one of: ${(p['allowedValues'] as Json[]).map((a) => String(a)).join(', ')}; got ${render(value)}.`);
        break;
      case 'const':
        messages.push(`${who} must be ${render(p['allowedValue'])}; got ${render(value)}.`);
        break;
      case 'minimum':
      case 'exclusiveMinimum':
        messages.push(`${who} must be ${e.keyword === 'minimum' ? 'at least' : 'more than'} ${String(p['limit'])}; got ${render(value)}.`);
        break;
      case 'maximum':
      case 'exclusiveMaximum':
        messages.push(`${who} must be ${e.keyword === 'maximum' ? 'at most' : 'less than'} ${String(p['limit'])}; got ${render(value)}.`);
        break;
      case 'minLength':
        messages.push(p['limit'] === 1 ? `${who} must not be empty.` : `${who} must have at least ${String(p['limit'])} characters.`);
        break;
      case 'maxLength':
        messages.push(`${who} must have at most ${String(p['limit'])} characters; got ${typeof value === 'string' ? value.length : '?'}.`);
        break;
      case 'minItems':
        messages.push(`${who} must have at least ${String(p['limit'])} item(s).`);
        break;
      case 'maxItems':
        messages.push(`${who} must have at most ${String(p['limit'])} item(s).`);
        break;
      case 'pattern': {
        const prop = ((schema['properties'] ?? {}) as Record<string, Schema>)[fieldName(e.instancePath)];
        const help = typeof prop?.['description'] === 'string' ? ` (${prop['description']})` : ` (expected the pattern ${String(p['pattern'])})`;
        messages.push(`${who} is not valid: ${render(value)}${help}.`);
        break;
      }
      default:
        messages.push(`${who} ${e.message ?? 'is not valid'}.`);
    }
  }
  if (unknown.length) {
    const valid = Object.keys((schema['properties'] ?? {}) as object).join(', ');
    messages.unshift(`Unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}; valid parameters: ${valid}.`);
  }
  return [...new Set(messages)].join(' ');
}

/** The length of a text as JSON Schema's maxLength counts it: in code points (a surrogate pair is one). */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** A list parameter's bounds ("x-list" in its schema): how many items at most, and how long each may be. */
interface ListBounds {
  maxItems?: number;
  maxItemLength?: number;
}

/**
 * The text rule over the parameters: each string parameter, and each string of a list of strings, is checked with
 * textProblem; a string parameter with "x-list" has its items counted and measured. One message per problem.
 */
export function textProblems(data: Record<string, Json>, schema: Schema): string[] {
  const props = (schema['properties'] ?? {}) as Record<string, Schema>;
  const out: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (!Object.hasOwn(props, key)) continue;
    const prop = resolveRef(props[key]!, schema);
    const path = `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) out.push(`${subject(path)} ${problem}.`);
      const bounds = prop['x-list'] as ListBounds | undefined;
      const max = prop['maxLength'];
      // a text over its length limit is reported by that alone
      if (bounds && !(typeof max === 'number' && codePoints(value) > max)) {
        const items = splitList(value);
        if (bounds.maxItems !== undefined && items.length > bounds.maxItems) out.push(`${subject(path)} has ${items.length} items; give at most ${bounds.maxItems}.`);
        const long = bounds.maxItemLength === undefined ? undefined : items.find((item) => codePoints(item) > bounds.maxItemLength!);
        if (long !== undefined) out.push(`${subject(path)} has an item of ${codePoints(long)} characters (${render(long)}); each may have at most ${bounds.maxItemLength}.`);
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const problem = typeof item === 'string' ? textProblem(item) : undefined;
        if (problem) out.push(`${subject(`${path}/${i}`)} ${problem}.`);
      });
    }
  }
  return out;
}

/** Coerces and validates the raw input for an action; throws INVALID_INPUT naming every problem. */
export function validateInput<Input>(spec: ActionSpec<Input>, raw: Record<string, Json>): Input {
  const data = coerceInput(raw, spec.inputSchema);
  const valid = spec.validate(data);
  const problems = textProblems(data, spec.inputSchema);
  if (!valid || problems.length) {
    const described = valid ? '' : describeErrors(spec.validate.errors ?? [], data, spec.inputSchema);
    throw invalidInput([described, ...problems].filter(Boolean).join(' '));
  }
  return data as Input;
}
