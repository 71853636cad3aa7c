// Advanced hunting on either API family: Graph's runHuntingQuery (with a Timespan covering the range) or the
// Defender XDR API's advancedhunting/run (its 30-day window is fixed). One result shape: columns and rows.

import { graphTimespan } from '../kql/timeframe';
import { huntingTable } from '../runtime/shape';
import type { DefenderApi } from './api';

export interface HuntingColumn {
  name: string;
  type: string;
}

export interface HuntingAnswer {
  schema: HuntingColumn[];
  rows: Array<Record<string, unknown>>;
}

/**
 * Graph answers {schema: [{name, type}], results} (security-security-runhuntingquery.md); the Defender XDR API
 * {Schema: [{Name, Type}], Results} (api-advanced-hunting.md). Anything else is API_ERROR (shape.ts).
 */
const ANSWER_KEYS = { graph: { schema: 'schema', results: 'results' }, defender: { schema: 'Schema', results: 'Results' } } as const;

/** Runs `query`; on Graph the Timespan is `timespan` (ISO 8601 interval) when given, else Graph's default 30 days. */
export async function runHuntingQuery(api: DefenderApi, query: string, timespan?: string): Promise<HuntingAnswer> {
  const call =
    api.flavor === 'graph'
      ? { method: 'POST' as const, path: '/v1.0/security/runHuntingQuery', body: { Query: query, ...(timespan ? { Timespan: timespan } : {}) } }
      : { method: 'POST' as const, path: '/api/advancedhunting/run', body: { Query: query } };
  // a query reads only: safe to send again after a reset or a timeout
  const label = 'running the hunting query';
  const answer = await api.call({ ...call, label, capability: 'hunting', idempotent: true });
  const { schema, rows } = huntingTable(answer, { api: api.name, label }, ANSWER_KEYS[api.flavor === 'graph' ? 'graph' : 'defender']);
  return { schema, rows };
}

/** Rows shown in the case-wall table (json_result holds them all). */
export const TABLE_ROWS = 100;

export interface HuntingOutcome {
  json: { query: string; timespan: string | null; row_count: number; limit_reached: boolean; schema: HuntingColumn[]; rows: Array<Record<string, unknown>>; tables: string[] };
  result_value: boolean;
  output_message: string;
  tables: Array<{ title: string; columns: string[]; rows: Array<Array<string | number | boolean | null>> }>;
}

const cell = (v: unknown): string | number | boolean | null => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean));

/**
 * The table's cells of one row, a column's cell found by its name without regard to case when the row has no key of
 * that exact spelling (an answer whose rows say "deviceName" under a schema column "DeviceName"). Own keys only, so a
 * column named "constructor" is not Object's.
 */
function cellsOf(row: Record<string, unknown>, columns: readonly string[]): Array<string | number | boolean | null> {
  let lower: Map<string, string> | undefined;
  return columns.map((c) => {
    if (Object.prototype.hasOwnProperty.call(row, c)) return cell(row[c]);
    lower ??= new Map(Object.keys(row).reverse().map((k) => [k.toLowerCase(), k]));
    const key = lower.get(c.toLowerCase());
    return key === undefined ? null : cell(row[key]);
  });
}

/** The result of a hunting action: the query, the rows, whether the limit cut them, and a table for the case wall. */
export function huntingOutcome(answer: HuntingAnswer, info: { query: string; timespan: string | null; limit: number; tables: readonly string[] }): HuntingOutcome {
  const n = answer.rows.length;
  const limitReached = n >= info.limit;
  const columns = answer.schema.length ? answer.schema.map((c) => c.name) : Object.keys(answer.rows[0] ?? {});
  const shown = answer.rows.slice(0, TABLE_ROWS);
  return {
    json: { query: info.query, timespan: info.timespan, row_count: n, limit_reached: limitReached, schema: answer.schema, rows: answer.rows, tables: [...info.tables] },
    result_value: n > 0,
    output_message: n
      ? `The query returned ${n} row${n === 1 ? '' : 's'}${limitReached ? ` (the limit of ${info.limit}; more may match)` : ''}.`
      : 'The query ran and found nothing.',
    tables: n ? [{ title: n > shown.length ? `Results (first ${shown.length} of ${n})` : 'Results', columns, rows: shown.map((r) => cellsOf(r, columns)) }] : [],
  };
}

/**
 * Runs a hunting query and shapes its result. With a `range`, Graph is sent a Timespan covering it (so a range older
 * than 30 days works); the Defender XDR API has no Timespan (its window is the last 30 days).
 */
export async function hunt(api: DefenderApi, run: { query: string; range?: { from: Date; to: Date }; limit: number; tables: readonly string[] }): Promise<HuntingOutcome> {
  const timespan = run.range && api.flavor === 'graph' ? graphTimespan(run.range) : null;
  const answer = await runHuntingQuery(api, run.query, timespan ?? undefined);
  return huntingOutcome(answer, { query: run.query, timespan, limit: run.limit, tables: run.tables });
}
