// List Indicators (Enrichment): Defender for Endpoint custom indicators by value, type, action, creator and creation
// time ($filter from lib/defender/indicators.ts listFilter), read in bounded $top/$skip pages up to max_results.
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { listFilter, listIndicators } from '../lib/defender/indicators';
import { spec } from '../lib/generated/actions/list-indicators.spec';
import type { ListIndicatorsResult } from '../lib/generated/actions/list-indicators.types';

export default defineAction({
  spec,
  async run(ctx) {
    const filter = listFilter(ctx.params, new Date());
    const max = ctx.params.max_results;
    const { indicators, more } = await listIndicators(defenderApiFor(ctx, 'indicators'), filter, max);
    const json: ListIndicatorsResult = { filter: filter ?? null, indicators: indicators.map((i) => i.raw), more };
    const cell = (v: unknown): string | null => (typeof v === 'string' ? v : v === undefined || v === null ? null : JSON.stringify(v));
    return {
      result_value: indicators.length > 0,
      output_message: `${indicators.length} indicator${indicators.length === 1 ? '' : 's'}${filter ? ' matching the filter' : ''}${more ? ` (the first ${max}; more match)` : ''}.`,
      json_result: json,
      tables: [{
        title: 'Indicators',
        columns: ['Id', 'Value', 'Type', 'Action', 'Severity', 'Expires', 'Created by', 'Created'],
        rows: indicators.map(({ raw }) => [raw.id, cell(raw['indicatorValue']), cell(raw['indicatorType']), cell(raw['action']), cell(raw['severity']), cell(raw['expirationTime']), cell(raw['createdBy']), cell(raw['creationTimeDateTimeUtc'])]),
      }],
    };
  },
});
