// Execute Query (Enrichment): tables, a where clause, a time frame, fields, sorting and a limit, assembled by lib/kql.
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { huntingOutcome, runHuntingQuery } from '../lib/defender/hunting';
import { splitList } from '../lib/defender/lists';
import { kqlIdentifier } from '../lib/kql/literal';
import { buildQuery } from '../lib/kql/query';
import { graphTimespan, resolveTimeFrame } from '../lib/kql/timeframe';
import { spec } from '../lib/generated/actions/execute-query.spec';
import type { ExecuteQueryResult } from '../lib/generated/actions/execute-query.types';

export default defineAction({
  spec,
  async run(ctx) {
    const p = ctx.params;
    const tables = splitList(p.table_names).map((t) => kqlIdentifier(t, 'table_names'));
    const range = resolveTimeFrame(p.time_frame, p.start_time, p.end_time, new Date());
    const query = buildQuery({
      tables,
      ...(p.query?.trim() ? { where: p.query } : {}),
      range,
      fields: splitList(p.fields_to_return).map((f) => kqlIdentifier(f, 'fields_to_return')),
      sortField: kqlIdentifier(p.sort_field.trim() || 'Timestamp', 'sort_field'),
      sortOrder: p.sort_order === 'ASC' ? 'asc' : 'desc',
      limit: p.max_results_to_return,
    });
    const api = defenderApiFor(ctx);
    const timespan = api.flavor === 'graph' ? graphTimespan(range) : null;
    const outcome = huntingOutcome(await runHuntingQuery(api, query, timespan ?? undefined), { query, timespan, limit: p.max_results_to_return, tables });
    const json: ExecuteQueryResult = outcome.json;
    return { result_value: outcome.result_value, output_message: outcome.output_message, json_result: json, tables: outcome.tables };
  },
});
