// Search Incidents (Enrichment): filters, pages up to max_results, newest first.
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { incidentsClient, type IncidentQuery } from '../lib/defender/incidents';
import { label, parseClassification, parseDetermination, parseSeverity, parseStatus } from '../lib/defender/model';
import { parseTimeRange } from '../lib/defender/time';
import { parseList } from '../lib/defender/lists';
import { spec } from '../lib/generated/actions/search-incidents.spec';
import type { SearchIncidentsResult } from '../lib/generated/actions/search-incidents.types';

/** A list's values, each once (a value given twice would only lengthen the request). */
const once = <T>(values: T[]): T[] => [...new Set(values)];

export default defineAction({
  spec,
  async run(ctx) {
    const p = ctx.params;
    const now = new Date();
    const created = parseTimeRange(p.created_from, p.created_to, ['created_from', 'created_to'], now);
    const updated = parseTimeRange(p.updated_from, p.updated_to, ['updated_from', 'updated_to'], now);
    const query: IncidentQuery = {
      statuses: once(parseList(p.status, parseStatus, 'status')),
      severities: once(parseList(p.severity, parseSeverity, 'severity')),
      classifications: once(parseList(p.classification, parseClassification, 'classification')),
      determinations: once(parseList(p.determination, parseDetermination, 'determination')),
      ...(p.assigned_to?.trim() ? { assignedTo: p.assigned_to.trim() } : {}),
      ...(created.from ? { createdFrom: created.from } : {}),
      ...(created.to ? { createdTo: created.to } : {}),
      ...(updated.from ? { updatedFrom: updated.from } : {}),
      ...(updated.to ? { updatedTo: updated.to } : {}),
      includeAlerts: p.include_alerts,
      maxResults: p.max_results,
    };
    const found = await incidentsClient(defenderApiFor(ctx), ctx.config, ctx.log).search(query);
    const json: SearchIncidentsResult = { incidents: found.incidents, count: found.incidents.length, more_available: found.moreAvailable, pages_read: found.pagesRead };
    const n = found.incidents.length;
    return {
      result_value: n > 0,
      output_message: n
        ? `Found ${n} incident${n === 1 ? '' : 's'}, newest first${found.moreAvailable ? `; more match than max_results (${p.max_results})` : ''}.`
        : 'No incident matches the search.',
      json_result: json,
      tables: n
        ? [{
            title: 'Incidents',
            columns: ['Id', 'Name', 'Status', 'Severity', 'Classification', 'Assigned to', 'Created', 'Last updated'],
            rows: found.incidents.map((i) => [i.id, i.displayName, label(i.status), label(i.severity), label(i.classification), i.assignedTo, i.createdDateTime, i.lastUpdateDateTime]),
          }]
        : [],
    };
  },
});
