// OData literals, a small $filter builder over checked identifiers, query strings, and the @odata.nextLink check.
//
// Every value that goes into a $filter passes through odataString() or odataDateTime(); the builder only takes their
// branded results, so a raw string cannot be pasted into a filter (issue 5: "All filter values quoted by one OData
// literal function").
//
// Sources:
// - OData v4.01 Part 2 (URL Conventions) §5.1.1.6.1 and the OData ABNF (odata-abnf-construction-rules):
//   string = SQUOTE *( SQUOTE-in-string / pchar-no-SQUOTE ) SQUOTE, SQUOTE-in-string = SQUOTE SQUOTE
//   ("single quotes within string literals are represented as two consecutive single quotes");
//   dateTimeOffsetValue = year "-" month "-" day "T" hour ":" minute [ ":" second [ "." fractionalSeconds ] ]
//   ( "Z" / SIGN hour ":" minute ), written without quotes; `in` operator: OData 4.01 §5.1.1.1.12.
// - Microsoft Graph, "Use query parameters" (learn.microsoft.com/graph/query-parameters): "The values of query
//   parameters should be percent-encoded as per RFC 3986 ... all reserved characters in query strings must be
//   percent-encoded"; examples of $filter=status in ('a','b') on Graph collections.
// - Filterable fields: Graph security-list-incidents.md and security-list-alerts_v2.md; Defender XDR
//   api-list-incidents.md ("$filter on lastUpdateTime, createdTime, status, assignedTo"; no `in` documented), as
//   summarised in shared/reference/defender-api.md §1.3, §2.2, §2.6.

import { ActionError, invalidInput } from '../runtime/errors';
import { LONE_SURROGATE } from '../runtime/text';

// ---------------------------------------------------------------- literals

declare const LITERAL: unique symbol;
declare const FILTER: unique symbol;

/** An OData literal as it goes into a $filter: made only by odataString() or odataDateTime(). */
export type ODataLiteral = string & { readonly [LITERAL]: true };
/** A $filter expression made by the builder below. */
export type ODataFilter = string & { readonly [FILTER]: true };

/**
 * The one function that turns a value into an OData string literal: single quotes around it, each `'` doubled.
 * Anything is allowed but a lone UTF-16 surrogate (half of an emoji, say), which has no UTF-8 form and so cannot be
 * sent in a URL; that is refused as INVALID_INPUT naming `param`.
 */
export function odataString(value: string, param = 'value'): ODataLiteral {
  const m = LONE_SURROGATE.exec(value);
  if (m) {
    const code = m[0].charCodeAt(0).toString(16).toUpperCase();
    throw invalidInput(
      `Parameter '${param}' contains an unpaired UTF-16 surrogate (U+${code}) at position ${m.index}, which cannot be sent to Microsoft; give valid Unicode text (any character, including quotes, %, & and emoji, is allowed).`,
    );
  }
  return `'${value.replace(/'/g, "''")}'` as ODataLiteral;
}

/** An unquoted DateTimeOffset literal, UTC with milliseconds: 2024-01-02T03:04:05.678Z. */
export function odataDateTime(d: Date): ODataLiteral {
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new ActionError('INTERNAL', 'odataDateTime was given an invalid Date.');
  const year = d.getUTCFullYear();
  // the ABNF year is 4 digits here (Microsoft rejects the expanded "+010000" form toISOString gives past 9999)
  if (year < 1 || year > 9999) throw new ActionError('INTERNAL', `odataDateTime cannot write the year ${year}; OData DateTimeOffset years are 0001 to 9999.`);
  return d.toISOString() as ODataLiteral;
}

/**
 * An exact DateTimeOffset literal from a timestamp as Microsoft writes them, UTC with 1 to 7 fractional digits
 * (2025-06-01T12:00:05.1234567Z): the daemon pages on the exact lastUpdateDateTime of an incident, which milliseconds
 * would round. Anything else is INTERNAL (timestamps come from Microsoft's answers, already checked).
 */
export function odataTimestamp(text: string): ODataLiteral {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,7}Z$/.test(text) || !Number.isFinite(Date.parse(text.replace(/(\.\d{3})\d+Z$/, '$1Z')))) {
    throw new ActionError('INTERNAL', `odataTimestamp was given ${JSON.stringify(text)}, not a UTC timestamp with 1 to 7 fractional digits.`);
  }
  return text as ODataLiteral;
}

// ---------------------------------------------------------------- filter builder

/** Graph `GET /security/incidents` $filter properties (security-list-incidents.md). */
export const GRAPH_INCIDENT_FILTER_FIELDS = ['assignedTo', 'classification', 'createdDateTime', 'determination', 'lastUpdateDateTime', 'severity', 'status'] as const;
/** Graph `GET /security/alerts_v2` $filter properties (security-list-alerts_v2.md). */
export const GRAPH_ALERT_FILTER_FIELDS = ['assignedTo', 'classification', 'createdDateTime', 'determination', 'lastUpdateDateTime', 'serviceSource', 'severity', 'status'] as const;
/** Defender XDR `GET /api/incidents` $filter properties (api-list-incidents.md). */
export const DEFENDER_INCIDENT_FILTER_FIELDS = ['assignedTo', 'createdTime', 'lastUpdateTime', 'status'] as const;

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]*$/;

/** How a list of values is written: OData 4.01 `field in (a,b)` (Graph), or `(field eq a or field eq b)` (the legacy API documents no `in`). */
export type ListForm = 'in' | 'or';

export interface FilterBuilder<F extends string> {
  readonly fields: readonly F[];
  eq(field: F, literal: ODataLiteral): ODataFilter;
  ne(field: F, literal: ODataLiteral): ODataFilter;
  gt(field: F, literal: ODataLiteral): ODataFilter;
  ge(field: F, literal: ODataLiteral): ODataFilter;
  lt(field: F, literal: ODataLiteral): ODataFilter;
  le(field: F, literal: ODataLiteral): ODataFilter;
  /** `field in ('a','b')`, or with form 'or' `(field eq 'a' or field eq 'b')`; a single value is `field eq 'a'`. */
  inList(field: F, literals: readonly ODataLiteral[], form?: ListForm): ODataFilter;
  /** `(a and b and ...)`; one part is returned as it is. */
  and(...parts: ODataFilter[]): ODataFilter;
  /** `(a or b or ...)`; one part is returned as it is. */
  or(...parts: ODataFilter[]): ODataFilter;
}

/**
 * A filter builder for one entity set. Field names are code, not user input: one that is not an identifier
 * (`/^[A-Za-z][A-Za-z0-9]*$/`, which rules out spaces, quotes, `;`, `/`, `(`) or is not in `fields` is a bug and is
 * refused as INTERNAL; they are also checked by type through F. Comparisons and lists are atoms; and/or wrap
 * themselves in parentheses, so any nesting keeps its meaning.
 */
export function filterBuilder<const F extends string>(fields: readonly F[], options: { listForm?: ListForm } = {}): FilterBuilder<F> {
  for (const f of fields) {
    if (!IDENTIFIER.test(f)) throw new ActionError('INTERNAL', `OData filter field ${JSON.stringify(f)} is not an identifier (letters and digits, starting with a letter).`);
  }
  const allowed = new Set<string>(fields);
  const defaultForm: ListForm = options.listForm ?? 'in';
  const field = (name: string): string => {
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
      throw new ActionError('INTERNAL', `OData filter field ${JSON.stringify(name)} is not an identifier (letters and digits, starting with a letter).`);
    }
    if (!allowed.has(name)) throw new ActionError('INTERNAL', `OData filter field '${name}' is not filterable here; filterable: ${fields.join(', ')}.`);
    return name;
  };
  const literal = (lit: ODataLiteral): string => {
    // the brand is a compile-time guarantee; this catches a cast
    if (typeof lit !== 'string' || !isLiteralText(lit)) throw new ActionError('INTERNAL', `${JSON.stringify(lit)} is not an OData literal made by odataString, odataDateTime or odataTimestamp.`);
    return lit;
  };
  const cmp = (op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le') => (name: F, lit: ODataLiteral): ODataFilter => `${field(name)} ${op} ${literal(lit)}` as ODataFilter;
  const join = (op: 'and' | 'or', parts: ODataFilter[]): ODataFilter => {
    if (parts.length === 0) throw new ActionError('INTERNAL', `OData '${op}' needs at least one operand.`);
    if (parts.length === 1) return parts[0];
    return `(${parts.join(` ${op} `)})` as ODataFilter;
  };
  const eq = cmp('eq');
  return {
    fields,
    eq,
    ne: cmp('ne'),
    gt: cmp('gt'),
    ge: cmp('ge'),
    lt: cmp('lt'),
    le: cmp('le'),
    inList(name, literals, form = defaultForm) {
      const f = field(name);
      if (literals.length === 0) throw new ActionError('INTERNAL', `OData list for '${f}' is empty; leave the filter out instead.`);
      if (literals.length === 1) return eq(name, literals[0]);
      if (form === 'in') return `${f} in (${literals.map(literal).join(',')})` as ODataFilter;
      return join('or', literals.map((l) => eq(name, l)));
    },
    and: (...parts) => join('and', parts),
    or: (...parts) => join('or', parts),
  };
}

/** A quoted string literal with every inner quote doubled, or a DateTimeOffset literal in the form odataDateTime writes. */
function isLiteralText(s: string): boolean {
  if (s.length >= 2 && s.startsWith("'") && s.endsWith("'")) return !/'/.test(s.slice(1, -1).replace(/''/g, ''));
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,7}Z$/.test(s);
}

// ---------------------------------------------------------------- query strings

/**
 * Percent-encodes one query value so that the server decodes exactly this text: RFC 3986 unreserved characters
 * stay, everything else is %XX of its UTF-8 bytes; a space is %20 (a '+' would read as a space in a query string,
 * so '+' itself is %2B), and ' ! ( ) * are encoded too (encodeURIComponent leaves them).
 */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const OPTION_NAME = /^\$?[A-Za-z][A-Za-z0-9]*$/;

/**
 * `$filter=...&$top=50...` in the order given; undefined values are left out. Names are `$`-options or identifiers,
 * written as they are; values are encoded by encodeQueryValue. Numbers must be finite. No leading '?'.
 */
export function queryString(options: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!OPTION_NAME.test(name)) throw new ActionError('INTERNAL', `Query option name ${JSON.stringify(name)} is not an identifier.`);
    if (typeof value === 'number' && !Number.isFinite(value)) throw new ActionError('INTERNAL', `Query option ${name} is ${value}, not a finite number.`);
    parts.push(`${name}=${encodeQueryValue(String(value))}`);
  }
  return parts.join('&');
}

/**
 * The longest request URL this package builds from a user's search: Microsoft Graph takes URLs of up to 2,048
 * characters (its known issues, "Some limitations apply to query parameters": the limit of advanced queries is "a
 * URL length of 2,048 characters"); longer ones fail (HTTP 414 or 431) after they were sent.
 */
export const MAX_REQUEST_URL = 2048;

/** Refuses, before it is sent, a URL longer than MAX_REQUEST_URL (INVALID_INPUT: `why` names what to shorten). */
export function checkRequestUrl(url: string, label: string, why: string): void {
  if (url.length <= MAX_REQUEST_URL) return;
  throw invalidInput(
    `${label} would need a request URL of ${url.length.toLocaleString('en-US')} characters, more than the ${MAX_REQUEST_URL.toLocaleString('en-US')} this package sends (the URL length Microsoft Graph documents); ${why}.`,
  );
}

// ---------------------------------------------------------------- paging

/**
 * An `@odata.nextLink` is followed only when it is an absolute https URL on the configured API origin (same scheme,
 * host and port) without user info, so the bearer token never goes anywhere else. Returns the link unchanged (its
 * query is the server's own encoding and must not be re-encoded). Anything else is API_ERROR.
 */
export function checkNextLink(link: string, apiUrl: string): string {
  const api = new URL(apiUrl);
  const refuse = (why: string): never => {
    throw new ActionError('API_ERROR', `The API's @odata.nextLink ${JSON.stringify(shorten(link))} was not followed: ${why}; the token is only sent to ${api.origin}.`);
  };
  if (typeof link !== 'string' || link === '') return refuse('it is empty');
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return refuse('it is not an absolute URL');
  }
  if (url.protocol !== 'https:') refuse(`it uses ${url.protocol.replace(/:$/, '')}, not https`);
  if (url.username || url.password) refuse('it carries a user name or password');
  if (url.origin !== api.origin) refuse(`it points at ${url.origin}, not the configured API`);
  return link;
}

/**
 * The part of a checked nextLink after the API root (`/v1.0/security/incidents?$skip=50`), for DefenderApi.call,
 * which prefixes the configured API URL. The link must also lie under the API URL's path.
 */
export function nextLinkPath(link: string, apiUrl: string): string {
  const checked = checkNextLink(link, apiUrl);
  const url = new URL(checked);
  const root = new URL(apiUrl).pathname.replace(/\/+$/, '');
  // pathname and search as the URL parser serialises them: existing %XX escapes are kept, and only characters that
  // fetch would escape anyway are escaped, so the server decodes the same text; a fragment is never sent
  const rest = `${url.pathname}${url.search}`;
  if (root !== '' && !(rest === root || rest.startsWith(`${root}/`) || rest.startsWith(`${root}?`))) {
    throw new ActionError('API_ERROR', `The API's @odata.nextLink ${JSON.stringify(shorten(link))} was not followed: it is outside the configured API path ${root}.`);
  }
  return rest.slice(root.length);
}

function shorten(s: unknown): string {
  const t = String(s);
  return t.length > 200 ? `${t.slice(0, 200)}...` : t;
}
