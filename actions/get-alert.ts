// Get Alert (Enrichment): one alert with its evidence, comments and its incident's id and link.
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { checkAlertId, getAlert, incidentOf } from '../lib/defender/alerts';
import { label } from '../lib/defender/model';
import { spec } from '../lib/generated/actions/get-alert.spec';
import type { GetAlertResult } from '../lib/generated/actions/get-alert.types';

export default defineAction({
  spec,
  async run(ctx) {
    const id = checkAlertId(ctx.params.alert_id);
    const alert = await getAlert(defenderApiFor(ctx, 'alerts'), id);
    const incident = incidentOf(alert, ctx.config);
    const evidence = alert.evidence ?? [];
    const json: GetAlertResult = { alert, incident_id: incident.id, incident_url: incident.url };
    return {
      result_value: true,
      output_message: `Alert ${alert.id} "${alert.title}": ${label(alert.status)}, severity ${label(alert.severity)}, ${evidence.length} piece${evidence.length === 1 ? '' : 's'} of evidence${incident.id ? `, in incident ${incident.id}` : ''}.`,
      json_result: json,
      tables: [{
        title: `Evidence of alert ${alert.id}`,
        columns: ['Type', 'Verdict', 'Remediation', 'Roles'],
        rows: evidence.map((e) => [e['@odata.type'].replace('#microsoft.graph.security.', ''), e.verdict ?? null, e.remediationStatus ?? null, (e.roles ?? []).join(', ')]),
      }],
    };
  },
});
