// The parameters Execute Query and Execute Entity Query share, read into the parts of a query: tables, time range,
// fields, sorting and the limit, every name checked.

import { splitList } from '../defender/lists';
import { kqlIdentifier } from './literal';
import { resolveTimeFrame } from './timeframe';

export interface QueryFrameParams {
  table_names: string;
  /** not given: Last Hour, or Custom when start_time or end_time is given (resolveTimeFrame) */
  time_frame?: string;
  start_time?: string;
  end_time?: string;
  fields_to_return?: string;
  sort_field: string;
  sort_order: 'ASC' | 'DESC';
  max_results_to_return: number;
}

export interface QueryFrame {
  tables: string[];
  range: { from: Date; to: Date };
  fields: string[];
  sortField: string;
  sortOrder: 'asc' | 'desc';
  limit: number;
}

export function queryFrame(p: QueryFrameParams, now: Date): QueryFrame {
  return {
    tables: splitList(p.table_names).map((t) => kqlIdentifier(t, 'table_names')),
    range: resolveTimeFrame(p.time_frame, p.start_time, p.end_time, now),
    fields: splitList(p.fields_to_return).map((f) => kqlIdentifier(f, 'fields_to_return')),
    sortField: kqlIdentifier(p.sort_field.trim() || 'Timestamp', 'sort_field'),
    sortOrder: p.sort_order === 'ASC' ? 'asc' : 'desc',
    limit: p.max_results_to_return,
  };
}
