// Answers from Microsoft (and from whatever stands in front of it: a gateway, a proxy) checked for the shape they must
// have before anything is read from them. A broken gateway must never look like a quiet tenant: an answer of the wrong
// shape is API_ERROR saying what was expected and what came. What came is described by its type and key names only,
// never by its values, which could carry a secret or be 30 MB.
//
// Below lib/auth (token answers) and lib/defender (pages, objects, hunting answers), which both use it.

import { ActionError } from './errors';

export type JsonObject = Record<string, unknown>;

/** Where an answer came from: the API's name ("Microsoft Graph", "the Defender XDR API") and what the call did. */
export interface Answered {
  api: string;
  /** "searching incidents", "running the hunting query", "the token request" */
  label: string;
}

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const MAX_KEYS = 6;
const MAX_KEY = 40;

/** A key name as a message may show it: quoted, at most 40 characters, no control characters. */
const keyName = (k: string): string => {
  // eslint-disable-next-line no-control-regex
  const clean = k.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return `'${clean.length > MAX_KEY ? `${clean.slice(0, MAX_KEY)}...` : clean}'`;
};

/** The names of an object's keys for a message, at most six: "'a', 'b' and 3 more"; "no keys" for {}. */
export function keysOf(o: JsonObject): string {
  const keys = Object.keys(o);
  if (keys.length === 0) return 'no keys';
  const shown = keys.slice(0, MAX_KEYS).map(keyName).join(', ');
  return keys.length > MAX_KEYS ? `keys ${shown} and ${keys.length - MAX_KEYS} more` : `key${keys.length === 1 ? '' : 's'} ${shown}`;
}

/** A value's kind, never its content: "null", "a string", "a number", "true or false", "a list", "an object". */
export function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof v}`;
  }
}

/** What a whole answer was: "an empty body", "null", "a string", "a list (3 items)", "an object with keys 'a', 'b'". */
export function describeAnswer(v: unknown): string {
  if (v === undefined) return 'an empty body';
  if (Array.isArray(v)) return `a list (${v.length} item${v.length === 1 ? '' : 's'})`;
  if (isJsonObject(v)) return `an object with ${keysOf(v)}`;
  return kindOf(v);
}

/** "the Defender XDR API" → "The Defender XDR API", at the start of a message */
export const capitalised = (s: string): string => (s === '' ? s : s[0]!.toUpperCase() + s.slice(1));

/** API_ERROR: "<API> answered <label> with <came>; expected <expected>." */
export function shapeError(at: Answered, came: string, expected: string): ActionError {
  return new ActionError('API_ERROR', `${capitalised(at.api)} answered ${at.label} with ${came}; expected ${expected}.`);
}

/** The answer as a JSON object, or API_ERROR naming `expected` ("an incident (a JSON object)"). */
export function expectObject(answer: unknown, at: Answered, expected = 'a JSON object'): JsonObject {
  if (!isJsonObject(answer)) throw shapeError(at, describeAnswer(answer), expected);
  return answer;
}

/** An own key of `o` equal to `name` without regard to case (the exact spelling first), or undefined. */
export function keyLike(o: JsonObject, name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(o, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(o).find((k) => k.toLowerCase() === lower);
}

/** One page of an OData collection: its items, and the next page's link and the count when the answer has them. */
export interface ListPage {
  value: unknown[];
  nextLink?: string;
  count?: number;
}

const PAGE = "a JSON object with a 'value' list (a page of results)";

/**
 * A page of an OData collection (`{"value": [...], "@odata.nextLink"?: "...", "@odata.count"?: n}`), or API_ERROR:
 * `{}`, `{"value": null}`, `[]`, a string, an empty body, `{"value": 5}` and `null` are not pages. A nextLink that is
 * there must be a string (null or "" is no next page); a count that is there must be a whole number.
 */
export function listPage(answer: unknown, at: Answered): ListPage {
  if (!isJsonObject(answer)) throw shapeError(at, describeAnswer(answer), PAGE);
  if (!Object.prototype.hasOwnProperty.call(answer, 'value')) throw shapeError(at, `an object without 'value' (it has ${keysOf(answer)})`, PAGE);
  const value = answer['value'];
  if (!Array.isArray(value)) throw shapeError(at, `a 'value' that is ${kindOf(value)}`, PAGE);
  const page: ListPage = { value };
  const next = answer['@odata.nextLink'];
  if (next !== undefined && next !== null && next !== '') {
    if (typeof next !== 'string') throw shapeError(at, `an '@odata.nextLink' that is ${kindOf(next)}`, "'@odata.nextLink' to be the next page's URL (a string)");
    page.nextLink = next;
  }
  const count = answer['@odata.count'];
  if (count !== undefined && count !== null) {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) throw shapeError(at, `an '@odata.count' that is ${typeof count === 'number' ? 'not a count' : kindOf(count)}`, "'@odata.count' to be a whole number");
    page.count = count;
  }
  return page;
}

export interface HuntingTable {
  schema: Array<{ name: string; type: string }>;
  rows: JsonObject[];
}

/**
 * A hunting answer: Graph's `{"schema": [{"name", "type"}], "results": [{...}]}` or the Defender XDR API's
 * `{"Schema": [{"Name", "Type"}], "Results": [{...}]}` (key names matched without regard to case, on either family),
 * each column an object with a string name, each row an object. Anything else is API_ERROR.
 */
export function huntingTable(answer: unknown, at: Answered, names: { schema: string; results: string }): HuntingTable {
  const expected = `a JSON object with a '${names.schema}' list of columns and a '${names.results}' list of rows`;
  if (!isJsonObject(answer)) throw shapeError(at, describeAnswer(answer), expected);
  const schemaKey = keyLike(answer, names.schema);
  const resultsKey = keyLike(answer, names.results);
  if (schemaKey === undefined || resultsKey === undefined) {
    throw shapeError(at, `an object without '${schemaKey === undefined ? names.schema : names.results}' (it has ${keysOf(answer)})`, expected);
  }
  const columns = answer[schemaKey];
  const rows = answer[resultsKey];
  if (!Array.isArray(columns)) throw shapeError(at, `a '${schemaKey}' that is ${kindOf(columns)}`, expected);
  if (!Array.isArray(rows)) throw shapeError(at, `a '${resultsKey}' that is ${kindOf(rows)}`, expected);
  const schema = columns.map((c, i) => {
    const name = isJsonObject(c) ? c[keyLike(c, 'name') ?? 'name'] : undefined;
    if (!isJsonObject(c) || typeof name !== 'string') {
      throw shapeError(at, `column ${i + 1} of '${schemaKey}' ${isJsonObject(c) ? 'without a name' : `being ${kindOf(c)}`}`, 'each column to be an object with a name');
    }
    const type = c[keyLike(c, 'type') ?? 'type'];
    return { name, type: typeof type === 'string' ? type : '' };
  });
  for (let i = 0; i < rows.length; i++) {
    if (!isJsonObject(rows[i])) throw shapeError(at, `row ${i + 1} of '${resultsKey}' being ${kindOf(rows[i])}`, 'each row to be an object');
  }
  return { schema, rows: rows as JsonObject[] };
}
