// Update Incident (Notification; also listed as "Update Defender Incident"): status, classification, determination,
// assignment and tags, checked against the incident as it is (lib/defender/update.ts).
import { defineAction, invalidInput } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { checkIncidentId, incidentsClient } from '../lib/defender/incidents';
import { parseClassification, parseDetermination, parseStatus } from '../lib/defender/model';
import { splitList } from '../lib/defender/lists';
import { planUpdate, type UpdateRequest } from '../lib/defender/update';
import { spec } from '../lib/generated/actions/update-incident.spec';
import type { UpdateIncidentResult } from '../lib/generated/actions/update-incident.types';

const given = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

export default defineAction({
  spec,
  async run(ctx) {
    const p = ctx.params;
    const id = checkIncidentId(p.incident_id);
    const status = given(p.status);
    const classification = given(p.classification);
    const determination = given(p.determination);
    const assignTo = given(p.assign_to);
    const request: UpdateRequest = {
      ...(status ? { status: parseStatus(status, 'status', ['active', 'inProgress', 'resolved']) } : {}),
      ...(classification ? { classification: parseClassification(classification, 'classification') } : {}),
      ...(determination ? { determination: parseDetermination(determination, 'determination') } : {}),
      ...(assignTo ? { assignedTo: assignTo } : {}),
      ...(splitList(p.tags).length ? { tags: splitList(p.tags) } : {}),
    };
    if (Object.keys(request).length === 0) throw invalidInput('Nothing to update: give at least one of status, classification, determination, assign_to, tags.');
    const incidents = incidentsClient(defenderApiFor(ctx), ctx.config, ctx.log);
    const plan = planUpdate(await incidents.get(id), request);
    const incident = await incidents.update(id, plan.change);
    const json: UpdateIncidentResult = { incident, changes: plan.summary };
    return { result_value: true, output_message: `Incident ${id} updated: ${plan.summary.join(', ')}.`, json_result: json };
  },
});
