// Query assembly of the hunting actions (issue 6). Values reach the text only through kqlString/kqlDatetime,
// names only through kqlIdentifier; the user's own KQL (a where clause, a custom query) is always followed by a line
// break so that a trailing `//` comment in it ends there and cannot swallow the limit that follows.

import { ActionError, invalidInput } from '../runtime/errors';
import { kqlDatetime, kqlIdentifier } from './literal';

export const MAX_ROWS = 100_000;

export interface QuerySpec {
  /** checked identifiers */
  tables: readonly string[];
  /** per table: an entity filter from entityFilter (tables without one are left out of an entity query by the caller) */
  tableFilters?: Readonly<Record<string, string>>;
  /** the user's where clause, with or without its leading `|` or `where` — placed on its own line(s) so that a
   *  trailing `//` comment cannot swallow what follows */
  where?: string;
  /** | where Timestamp between (datetime(...) .. datetime(...)) */
  range: { from: Date; to: Date };
  /** | project ...  (checked identifiers), applied LAST */
  fields?: readonly string[];
  /** default Timestamp (checked identifier) */
  sortField?: string;
  sortOrder: 'asc' | 'desc';
  /** 1..100000, always applied; sort + limit BEFORE project */
  limit: number;
}

/** The limit, or invalidInput naming max_results_to_return. */
export function checkLimit(limit: number): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_ROWS) {
    throw invalidInput(`Parameter 'max_results_to_return' is ${JSON.stringify(limit)}; give a whole number from 1 to ${MAX_ROWS.toLocaleString('en-US')}.`);
  }
  return limit;
}

/** The user's where clause without its leading `|` and `where` (surrounding blanks removed); '' when nothing is left. */
export function wherePredicate(text: string): string {
  let t = text.trim();
  if (t.startsWith('|')) t = t.slice(1).trimStart();
  const m = /^where(?=[\s(!]|$)/i.exec(t);
  if (m) t = t.slice(m[0].length).trim();
  return t;
}

const dedupe = (names: readonly string[]): string[] => [...new Set(names)];

/**
 * `T` or `union T1, T2` (with per-table filters: `union (T1 | where ...), (T2 | where ...)`), the time filter, the
 * user's where text, `| sort by F asc|desc`, `| take N`, then `| project ...`; one operator a line.
 */
export function buildQuery(spec: QuerySpec): string {
  const tables = dedupe(spec.tables.map((t) => kqlIdentifier(t, 'table_names')));
  if (tables.length === 0) throw invalidInput("Parameter 'table_names' is empty; give one or more advanced hunting tables, e.g. DeviceProcessEvents, DeviceNetworkEvents.");
  const order = typeof spec.sortOrder === 'string' ? spec.sortOrder.toLowerCase() : '';
  if (order !== 'asc' && order !== 'desc') throw new ActionError('INTERNAL', `buildQuery: sort order ${String(spec.sortOrder)} is neither asc nor desc.`);
  const limit = checkLimit(spec.limit);

  const lines: string[] = [];
  if (spec.tableFilters) {
    const filters = spec.tableFilters;
    const sources = spec.tables.map((raw) => {
      const filter = Object.prototype.hasOwnProperty.call(filters, raw) ? filters[raw] : filters[raw.trim()];
      if (typeof filter !== 'string' || filter.trim() === '') {
        throw new ActionError('INTERNAL', `buildQuery: table ${raw} has no entity filter; an entity query never runs a table unfiltered.`);
      }
      if (/[\r\n]/.test(filter)) throw new ActionError('INTERNAL', `buildQuery: the filter of ${raw} spans lines.`);
      return `(${kqlIdentifier(raw, 'table_names')} | where ${filter})`;
    });
    const unique = dedupe(sources);
    if (unique.length === 1) lines.push(unique[0].slice(1, -1));
    else lines.push('union', ...unique.map((s, i) => `    ${s}${i < unique.length - 1 ? ',' : ''}`));
  } else {
    lines.push(tables.length === 1 ? tables[0] : `union ${tables.join(', ')}`);
  }

  lines.push(`| where Timestamp between (${kqlDatetime(spec.range.from)} .. ${kqlDatetime(spec.range.to)})`);

  if (spec.where !== undefined && spec.where !== null) {
    const predicate = wherePredicate(spec.where);
    // on its own line(s), ended by a line break: a trailing `// comment` stops there
    if (predicate !== '') lines.push(`| where ${predicate}`);
  }

  lines.push(`| sort by ${kqlIdentifier(spec.sortField === undefined || spec.sortField.trim() === '' ? 'Timestamp' : spec.sortField, 'sort_field')} ${order}`);
  lines.push(`| take ${limit}`);

  const fields = dedupe((spec.fields ?? []).map((f) => kqlIdentifier(f, 'fields_to_return')));
  if (fields.length > 0) lines.push(`| project ${fields.join(', ')}`);
  return lines.join('\n');
}

/**
 * Execute Custom Query: the user's query (trailing blanks and `;` removed), then the limit on a new line
 * (`\n| take N`), so a trailing `//` comment cannot swallow it; the query must not be empty.
 */
export function customQuery(text: string, limit: number): string {
  const q = (typeof text === 'string' ? text : '').replace(/[\s;]+$/, '');
  if (q.trim() === '') throw invalidInput("Parameter 'query' is empty; give a KQL query, e.g. DeviceProcessEvents | where FileName =~ \"powershell.exe\".");
  return `${q}\n| take ${checkLimit(limit)}`;
}
