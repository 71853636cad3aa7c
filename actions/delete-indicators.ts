// Delete Indicators (Containment): Defender for Endpoint custom indicators by id, or by value (each looked up first);
// a missing one is reported as not found, not fatal (lib/defender/indicators.ts deleteIndicators).
import { defineAction } from '../lib/runtime';
import { stoppingApiFor } from '../lib/defender/api';
import { deleteIndicators } from '../lib/defender/indicators';
import { spec } from '../lib/generated/actions/delete-indicators.spec';
import type { DeleteIndicatorsResult } from '../lib/generated/actions/delete-indicators.types';

export default defineAction({
  spec,
  async run(ctx) {
    const { api, signal } = stoppingApiFor(ctx, 'indicators');
    const rows = await deleteIndicators(api, ctx.params, signal);
    const deleted = rows.filter((r) => r.status === 'success');
    const missing = rows.filter((r) => r.status === 'not_found');
    const failed = rows.filter((r) => r.status === 'failed');
    const json: DeleteIndicatorsResult = { deleted: rows };
    return {
      result_value: deleted.length > 0,
      output_message: `${deleted.length} indicator${deleted.length === 1 ? '' : 's'} deleted${missing.length ? `; not found: ${missing.map((r) => r.requested).join(', ')}` : ''}${failed.length ? `; failed: ${failed.map((r) => r.requested).join(', ')}` : ''}.`,
      json_result: json,
      tables: [{ title: 'Indicators deleted', columns: ['Requested', 'Indicator id', 'Status', 'Message'], rows: rows.map((r) => [r.requested, r.indicator_id, r.status, r.message]) }],
    };
  },
});
