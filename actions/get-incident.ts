// Get Incident (Enrichment): one incident with its alerts and their evidence.
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { checkIncidentId, incidentsClient } from '../lib/defender/incidents';
import { label } from '../lib/defender/model';
import { spec } from '../lib/generated/actions/get-incident.spec';
import type { GetIncidentResult } from '../lib/generated/actions/get-incident.types';

export default defineAction({
  spec,
  async run(ctx) {
    const id = checkIncidentId(ctx.params.incident_id);
    const incident = await incidentsClient(defenderApiFor(ctx), ctx.config, ctx.log).get(id);
    const alerts = incident.alerts ?? [];
    const json: GetIncidentResult = { incident };
    return {
      result_value: true,
      output_message: `Incident ${incident.id} "${incident.displayName}": ${label(incident.status)}, severity ${label(incident.severity)}, ${alerts.length} alert${alerts.length === 1 ? '' : 's'}${incident.redirectIncidentId ? `; merged into incident ${incident.redirectIncidentId}` : ''}.`,
      json_result: json,
      tables: [{
        title: `Alerts of incident ${incident.id}`,
        columns: ['Alert', 'Title', 'Severity', 'Status', 'Evidence'],
        rows: alerts.map((a) => [a.id, a.title, label(a.severity), label(a.status), a.evidence.map((e) => e['@odata.type'].replace('#microsoft.graph.security.', '')).join(', ')]),
      }],
    };
  },
});
