// Search Alerts (Enrichment): alerts on Microsoft Graph (whatever the configured API), filters, pages up to
// max_results, newest first; evidence on request.
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { parseAlertStatus, parseDetectionSource, parseServiceSource, searchAlerts, serviceSourceLabel, type AlertQuery } from '../lib/defender/alerts';
import { checkIncidentId } from '../lib/defender/incidents';
import { label, parseClassification, parseDetermination, parseSeverity } from '../lib/defender/model';
import { parseTimeRange } from '../lib/defender/time';
import { parseList } from '../lib/defender/lists';
import { spec } from '../lib/generated/actions/search-alerts.spec';
import type { SearchAlertsResult } from '../lib/generated/actions/search-alerts.types';

export default defineAction({
  spec,
  async run(ctx) {
    const p = ctx.params;
    const now = new Date();
    const created = parseTimeRange(p.created_from, p.created_to, ['created_from', 'created_to'], now);
    const updated = parseTimeRange(p.updated_from, p.updated_to, ['updated_from', 'updated_to'], now);
    const assignedTo = p.assigned_to?.trim();
    const incidentId = p.incident_id?.trim();
    const query: AlertQuery = {
      statuses: parseList(p.status, parseAlertStatus, 'status'),
      severities: parseList(p.severity, parseSeverity, 'severity'),
      classifications: parseList(p.classification, parseClassification, 'classification'),
      determinations: parseList(p.determination, parseDetermination, 'determination'),
      serviceSources: parseList(p.service_source, parseServiceSource, 'service_source'),
      detectionSources: parseList(p.detection_source, parseDetectionSource, 'detection_source'),
      ...(assignedTo ? { assignedTo } : {}),
      ...(incidentId ? { incidentId: checkIncidentId(incidentId) } : {}),
      ...(created.from ? { createdFrom: created.from } : {}),
      ...(created.to ? { createdTo: created.to } : {}),
      ...(updated.from ? { updatedFrom: updated.from } : {}),
      ...(updated.to ? { updatedTo: updated.to } : {}),
      includeEvidence: p.include_evidence,
      maxResults: p.max_results,
    };
    const found = await searchAlerts(defenderApiFor(ctx, 'alerts'), query, ctx.log);
    const json: SearchAlertsResult = { alerts: found.alerts, count: found.alerts.length, more_available: found.moreAvailable, pages_read: found.pagesRead };
    const n = found.alerts.length;
    const unread = `the search stopped after ${found.pagesRead} pages, so alerts further back were not checked for the detection source or incident; narrow it by time to read them`;
    const more = found.pagesLeft ? `; ${unread}` : found.moreAvailable ? `; more match than max_results (${p.max_results})` : '';
    return {
      result_value: n > 0,
      output_message: n ? `Found ${n} alert${n === 1 ? '' : 's'}, newest first${more}.` : `No alert matches the search${found.pagesLeft ? `: ${unread}` : ''}.`,
      json_result: json,
      tables: n
        ? [{
            title: 'Alerts',
            columns: ['Id', 'Title', 'Status', 'Severity', 'Service source', 'Incident', 'Assigned to', 'Created', 'Last updated'],
            rows: found.alerts.map((a) => [a.id, a.title, label(a.status), label(a.severity), serviceSourceLabel(a.serviceSource), a.incidentId, a.assignedTo, a.createdDateTime, a.lastUpdateDateTime]),
          }]
        : [],
    };
  },
});
