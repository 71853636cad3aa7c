// Submit Indicators (Containment): a Defender for Endpoint custom indicator for each FILEHASH (MD5, SHA-1, SHA-256 by
// length), ADDRESS and DestinationURL entity in scope, and for the domains and certificate thumbprints given; one
// outcome per value. The checks, the lookup that tells "updated" from "created", and the one POST per value are
// lib/defender/indicators.ts submitIndicators.
import { defineAction } from '../lib/runtime';
import { stoppingApiFor } from '../lib/defender/api';
import { SUBMIT_ENTITY_TYPES, submitIndicators } from '../lib/defender/indicators';
import { spec } from '../lib/generated/actions/submit-indicators.spec';
import type { SubmitIndicatorsResult } from '../lib/generated/actions/submit-indicators.types';

export default defineAction({
  spec,
  entityTypes: SUBMIT_ENTITY_TYPES,
  async run(ctx) {
    const { rows, entities } = await submitIndicators({ ...stoppingApiFor(ctx, 'indicators'), entities: ctx.entities, params: ctx.params, now: new Date(), caseId: ctx.caseId });
    const ok = rows.filter((r) => r.status === 'success');
    const count = (o: string) => ok.filter((r) => r.outcome === o).length;
    const failed = rows.filter((r) => r.status !== 'success');
    const json: SubmitIndicatorsResult = { indicators: rows };
    return {
      result_value: ok.length > 0,
      output_message: `Indicators (${ctx.params.action.trim()}): ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} already as asked${failed.length ? `; ${failed.length} not submitted: ${failed.map((r) => r.value.slice(0, 80)).join(', ')}` : ''}.`,
      json_result: json,
      entities,
      tables: [{
        title: 'Indicators submitted',
        columns: ['Value', 'Type', 'Outcome', 'Indicator id', 'Message'],
        rows: rows.map((r) => [r.value, r.indicator_type, r.outcome ?? r.status, r.indicator?.id ?? null, r.message]),
      }],
    };
  },
});
