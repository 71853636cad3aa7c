// Execute Query (Enrichment): tables, a where clause, a time frame, fields, sorting and a limit, assembled by lib/kql.
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { hunt } from '../lib/defender/hunting';
import { queryFrame } from '../lib/kql/params';
import { buildQuery } from '../lib/kql/query';
import { spec } from '../lib/generated/actions/execute-query.spec';
import type { ExecuteQueryResult } from '../lib/generated/actions/execute-query.types';

export default defineAction({
  spec,
  async run(ctx) {
    const frame = queryFrame(ctx.params, new Date());
    const where = ctx.params.query?.trim() ? { where: ctx.params.query } : {};
    const query = buildQuery({ ...frame, ...where });
    const outcome = await hunt(defenderApiFor(ctx), { query, range: frame.range, limit: frame.limit, tables: frame.tables });
    const json: ExecuteQueryResult = outcome.json;
    return { result_value: outcome.result_value, output_message: outcome.output_message, json_result: json, tables: outcome.tables };
  },
});
