// KQL literals and identifiers: the only place where a value becomes query text (issue 6; reference defender-api.md §5).

import { ActionError, invalidInput } from '../runtime/errors';
import { textProblem } from '../runtime/text';

export type KqlLiteral = string & { readonly __kqlLiteral: true };

/** Escapes of a double-quoted literal, as Kusto.Language's KustoFacts.GetDoubleQuotedStringLiteral writes them. */
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

// Characters refused rather than escaped: the input's one text rule (lib/runtime/text.ts): C0 and C1 controls, DEL,
// and the Unicode line and paragraph separators, and lone surrogates. The server-side handling of \u/\x escapes is
// undocumented and Kusto.Language's own decoder of them is buggy (reference §5.4), so no escape is attempted.

/** How a message names what was wrong: `Parameter 'x'` for a parameter name, else the caller's own words. */
export const subject = (param: string): string => (/^[a-z][a-z0-9_]*$/.test(param) ? `Parameter '${param}'` : param);

/**
 * THE one function that makes a KQL string literal: double quotes; `\` -> `\\`, `"` -> `\"`, newline -> `\n`,
 * CR -> `\r`, tab -> `\t`; any other control character (U+0000-U+001F, U+007F-U+009F, U+2028, U+2029) or a lone
 * surrogate is refused with invalidInput naming `param`.
 */
export function kqlString(value: string, param: string): KqlLiteral {
  if (typeof value !== 'string') throw new ActionError('INTERNAL', `kqlString: ${param} is not a string (${typeof value}).`);
  const problem = textProblem(value);
  if (problem) throw invalidInput(`${subject(param)} ${problem}.`);
  return `"${value.replace(/[\\"\n\r\t]/g, (ch) => ESCAPES[ch])}"` as KqlLiteral;
}

/** `datetime(2024-01-02T03:04:05.678Z)`: always UTC with milliseconds, years 1 to 9999 (Kusto's datetime range). */
export function kqlDatetime(d: Date): KqlLiteral {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(t) || d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) {
    throw new ActionError('INTERNAL', `kqlDatetime: not a date in Kusto's range (${String(d)}).`);
  }
  return `datetime(${d.toISOString()})` as KqlLiteral;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Names that are KQL keywords and must be written `['name']` to be read as a name: the keywords of Kusto.Language
 *  (SyntaxFacts.Keywords) for which KustoFacts.BracketNameIfNecessary brackets (Kusto.Language 12.4.1; the unit test
 *  checks this list against the library). Keywords are case-sensitive: `Title` is a name, `title` a keyword. */
const KEYWORDS: ReadonlySet<string> = new Set([
  '__crossCluster', '__crossDB', '__id', '__isFuzzy', '__noWithSource', '__packedColumn', '__sourceColumnIndex',
  'accumulate', 'and', 'anomalychart', 'areachart', 'as', 'asc', 'bagexpansion', 'barchart', 'between', 'bin_legacy',
  'by', 'cachingpolicy', 'callout', 'cancel', 'card', 'columnchart', 'contains', 'containscs', 'contains_cs',
  '__contextual_datatable', 'cycles', 'dataexport', 'datascope', 'datatable', 'decodeblocks', 'desc', 'earliest',
  'encodingpolicy', 'endswith', 'endswith_cs', '__executeAndCache', 'expandoutput', 'extent_tags_retention',
  'externaldata', 'external_data', 'find', 'first', 'flags', 'harddelete', 'hardretention', 'has', 'has_any',
  'has_all', 'has_cs', 'hasprefix', 'hasprefix_cs', 'hassuffix', 'hassuffix_cs', 'hotcache', 'in', 'invoke',
  'isfuzzy', 'force_remote', 'journal', 'kind', 'ladderchart', 'last', 'latest', 'like', 'likecs', 'linechart',
  'materialize', 'mdm', 'missing', 'nooptimization', 'notcontains', 'notcontainscs', 'notlike', 'notlikecs', 'of',
  'or', 'others', 'pathformat', 'piechart', 'pivotchart', 'print', 'project', '__projectAway', 'queries',
  'query_results', 'relaxed', 'restricted_view_access', 'row_level_security', 'rowstore', 'rowstore_references',
  'rowstore_sealinfo', 'rowstorepolicy', 'rowstores', 'sample', 'scatterchart', 'seal', 'seals', 'search', 'set',
  'shards', 'simple', 'softdelete', 'softretention', 'sql', 'stackedareachart', 'startswith', 'startswith_cs',
  'statistics', 'storedqueryresultcontainers', 'tablepurge', 'timechart', 'timeline', 'timepivot', 'title', 'to',
  'toscalar', 'totable', 'treemap', 'union', 'unrestrictedviewers', 'verbose', 'viewers', 'views', 'where',
  'with_itemindex', 'with_match_id', 'with_source', 'with_step_name', 'withsource', 'writeaheadlog', 'boolean',
  'int8', 'char', 'uint8', 'byte', 'int16', 'uint16', 'int', 'int32', 'uint', 'uint32', 'long', 'int64', 'ulong',
  'uint64', 'float', 'real', 'decimal', 'double', 'string', 'time', 'timespan', 'date', 'datetime', 'uniqueid',
  'dynamic',
]);

/**
 * A table or column name checked against /^[A-Za-z_][A-Za-z0-9_]{0,127}$/ (surrounding blanks ignored); else invalidInput
 * naming `param`. A name that is also a KQL keyword comes back bracketed (`['title']`) so it can never be read as one;
 * the bracketed form of a valid name is accepted as that name, so checking a checked name again changes nothing.
 */
export function kqlIdentifier(name: string, param: string): string {
  let raw = typeof name === 'string' ? name.trim() : '';
  // idempotent: a name this function bracketed (or any valid name written ['name']) is accepted again
  const bracketed = /^\['([^'\]]*)'\]$/.exec(raw);
  if (bracketed && IDENTIFIER.test(bracketed[1])) raw = bracketed[1];
  if (!IDENTIFIER.test(raw)) {
    const shown = raw === '' ? 'is empty' : `${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}...` : raw)} is not a valid name`;
    throw invalidInput(
      `${subject(param)} ${shown}; table and column names are letters, digits and underscores, starting with a letter or underscore, at most 128 characters (e.g. DeviceProcessEvents, Timestamp).`,
    );
  }
  return KEYWORDS.has(raw) ? `['${raw}']` : raw;
}
