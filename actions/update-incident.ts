// Update Incident (Notification; also listed as "Update Defender Incident"): status, classification, determination,
// assignment and tags, checked against the incident as it is (lib/defender/update.ts).
import { givenText } from '../lib/runtime/text';
import { defineAction, invalidInput } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { checkIncidentId, incidentsClient } from '../lib/defender/incidents';
import { parseClassification, parseDetermination, parseStatus } from '../lib/defender/model';
import { splitList } from '../lib/defender/lists';
import { checkRequest, describeIncident, planUpdate, reportUpdate, type UpdateRequest } from '../lib/defender/update';
import { spec } from '../lib/generated/actions/update-incident.spec';
import type { UpdateIncidentResult } from '../lib/generated/actions/update-incident.types';

export default defineAction({
  spec,
  async run(ctx) {
    const p = ctx.params;
    const id = checkIncidentId(p.incident_id);
    const status = givenText(p.status);
    const classification = givenText(p.classification);
    const determination = givenText(p.determination);
    const assignTo = givenText(p.assign_to);
    const request: UpdateRequest = {
      ...(status ? { status: parseStatus(status, 'status', ['active', 'inProgress', 'resolved']) } : {}),
      ...(classification ? { classification: parseClassification(classification, 'classification') } : {}),
      ...(determination ? { determination: parseDetermination(determination, 'determination') } : {}),
      ...(assignTo ? { assignedTo: assignTo } : {}),
      ...(splitList(p.tags).length ? { tags: splitList(p.tags) } : {}),
    };
    if (Object.keys(request).length === 0) throw invalidInput('Nothing to update: give at least one of status, classification, determination, assign_to, tags.');
    const api = defenderApiFor(ctx);
    checkRequest(request, ctx.config.apiFlavor);
    const incidents = incidentsClient(api, ctx.config, ctx.log);
    const current = await incidents.get(id);
    const plan = planUpdate(current, request);
    if (plan.summary.length === 0) {
      // a playbook that runs a step again finds it done: nothing to send, and nothing failed
      const json: UpdateIncidentResult = { incident: current, changes: [] };
      return { result_value: true, output_message: `Incident ${id} already is as asked (${describeIncident(current)}); nothing had to change, so no update was sent.`, json_result: json };
    }
    const incident = await incidents.update(id, plan.change);
    const report = reportUpdate(id, plan, incident);
    const json: UpdateIncidentResult = { incident, changes: report.changes };
    const parts = [
      report.changes.length ? `Incident ${id} updated: ${report.changes.join(', ')}.` : `Incident ${id} was sent its changes, but Microsoft's answer shows none of them.`,
      ...(report.missing.length ? [`Asked for but not in Microsoft's answer: ${report.missing.join('; ')}.`] : []),
      ...(report.merge ? [`${report.merge}.`] : []),
    ];
    return { result_value: report.missing.length === 0, output_message: parts.join(' '), json_result: json };
  },
});
