// Execute Custom Query (Enrichment): the user's KQL as given, the limit on a line of its own.
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { hunt } from '../lib/defender/hunting';
import { customQuery } from '../lib/kql/query';
import { spec } from '../lib/generated/actions/execute-custom-query.spec';
import type { ExecuteCustomQueryResult } from '../lib/generated/actions/execute-custom-query.types';

export default defineAction({
  spec,
  async run(ctx) {
    const limit = ctx.params.max_results_to_return;
    const outcome = await hunt(defenderApiFor(ctx), { query: customQuery(ctx.params.query, limit), limit, tables: [] });
    const json: ExecuteCustomQueryResult = outcome.json;
    return { result_value: outcome.result_value, output_message: outcome.output_message, json_result: json, tables: outcome.tables };
  },
});
