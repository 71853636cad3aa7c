// Update Alert (Notification): status, classification, determination, assignment and custom details, checked against
// the alert as it is (lib/defender/alerts.ts planAlertUpdate); only what changes is sent, and an alert already as asked
// is left alone: the run completes, since playbooks run steps again.
import { givenText } from '../lib/runtime/text';
import { defineAction, invalidInput } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { checkAlertId, getAlert, parseAlertStatus, parseCustomDetails, planAlertUpdate, updateAlert, type AlertUpdateRequest } from '../lib/defender/alerts';
import { label, parseClassification, parseDetermination } from '../lib/defender/model';
import { checkRequest } from '../lib/defender/update';
import { spec } from '../lib/generated/actions/update-alert.spec';
import type { UpdateAlertResult } from '../lib/generated/actions/update-alert.types';

export default defineAction({
  spec,
  async run(ctx) {
    const p = ctx.params;
    const id = checkAlertId(p.alert_id);
    const status = givenText(p.status);
    const classification = givenText(p.classification);
    const determination = givenText(p.determination);
    const assignTo = givenText(p.assign_to);
    const details = typeof p.custom_details === 'string' && p.custom_details.trim() === '' ? undefined : p.custom_details;
    const customDetails = details === undefined ? undefined : parseCustomDetails(details);
    const request: AlertUpdateRequest = {
      ...(status ? { status: parseAlertStatus(status, 'status') } : {}),
      ...(classification ? { classification: parseClassification(classification, 'classification') } : {}),
      ...(determination ? { determination: parseDetermination(determination, 'determination') } : {}),
      ...(assignTo ? { assignedTo: assignTo } : {}),
      ...(customDetails && Object.keys(customDetails).length ? { customDetails } : {}),
    };
    if (Object.keys(request).length === 0) throw invalidInput('Nothing to update: give at least one of status, classification, determination, assign_to, custom_details.');
    checkRequest(request, 'graph'); // a pair that does not fit is refused before anything is sent
    const api = defenderApiFor(ctx, 'alerts');
    const current = await getAlert(api, id);
    const plan = planAlertUpdate(current, request);
    if (plan.summary.length === 0) {
      const json: UpdateAlertResult = { alert: current, changes: [] };
      return {
        result_value: true,
        output_message: `Alert ${id} already is as asked (status ${label(current.status)}, classification ${label(current.classification)}, determination ${label(current.determination)}, assigned to ${current.assignedTo ?? 'nobody'}); nothing had to change, and nothing was sent.`,
        json_result: json,
      };
    }
    const alert = await updateAlert(api, id, plan.change);
    const json: UpdateAlertResult = { alert, changes: plan.summary };
    return { result_value: true, output_message: `Alert ${id} updated: ${plan.summary.join(', ')}.`, json_result: json };
  },
});
