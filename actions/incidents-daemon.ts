// Incidents Daemon (Daemon): new and changed incidents since the last run, oldest first, each version once
// (CONTRACT.md section 6; the reading and the checkpoint are in lib/daemon).
import { defineAction } from '../lib/runtime';
import { label, parseSeverity, parseStatus } from '../lib/defender/model';
import { parseList } from '../lib/defender/lists';
import { parseTimeInput } from '../lib/defender/time';
import { incidentSource, runDaemon } from '../lib/daemon/daemon';
import { spec } from '../lib/generated/actions/incidents-daemon.spec';
import type { IncidentsDaemonResult } from '../lib/generated/actions/incidents-daemon.types';

export default defineAction({
  spec,
  async run(ctx) {
    const p = ctx.params;
    const source = incidentSource({
      statuses: parseList(p.statuses, parseStatus, 'statuses'),
      ...(p.min_severity ? { minSeverity: parseSeverity(p.min_severity, 'min_severity') } : {}),
      includeAlerts: p.include_alerts,
      emitUpdates: p.emit_updates,
    });
    const run = await runDaemon(ctx, spec.id, source, { firstFetch: parseTimeInput(p.first_fetch, 'first_fetch', new Date()), max: p.max_incidents_per_run });
    const json: IncidentsDaemonResult = run.items;
    const n = json.length;
    const where = run.checkpoint.high ? ` Checkpoint: ${run.checkpoint.high}.` : '';
    const rest = {
      'caught-up': '',
      max: ` More remain (max_incidents_per_run is ${p.max_incidents_per_run}); the next run continues.`,
      deadline: ' Reading stopped before the deadline; the next run continues.',
      busy: '',
    }[run.ended];
    const message =
      run.ended === 'busy'
        ? 'Another run of this daemon (same tenant, app and API) is still running; this run handed over nothing.'
        : `${n ? `Handed over ${n} incident version${n === 1 ? '' : 's'}, oldest first` : 'No new or changed incidents'}${run.incomplete ? ` (${run.incomplete} without their alerts, which could not be read)` : ''}.${where}${rest}`;
    ctx.log.info('Daemon run', { handed_over: n, ended: run.ended, api_calls: run.calls, state_bytes: JSON.stringify(run.checkpoint).length, ...(run.stateFile ? { state_file: run.stateFile } : {}) });
    return {
      result_value: n > 0,
      output_message: message,
      json_result: json,
      state: run.checkpoint as unknown as Record<string, unknown>,
      ...(run.afterOutput ? { afterOutput: run.afterOutput } : {}),
      tables: n
        ? [{
            title: 'Incidents',
            columns: ['Id', 'Name', 'Status', 'Severity', 'Created', 'Last updated'],
            rows: json.slice(0, 100).map((i) => [i.id, i.displayName, label(i.status), label(i.severity), i.createdDateTime, i.lastUpdateDateTime]),
          }]
        : [],
    };
  },
});
