// Alerts Daemon (Daemon): new and changed alerts since the last run, oldest first, each version once (CONTRACT.md
// section 6), on Microsoft Graph whatever the configured API; the reading and the checkpoint are lib/daemon's, shared
// with the Incidents Daemon.
import { defineAction } from '../lib/runtime';
import { parseAlertStatus, parseServiceSource, serviceSourceLabel } from '../lib/defender/alerts';
import { label, parseSeverity } from '../lib/defender/model';
import { parseList } from '../lib/defender/lists';
import { parseTimeInput } from '../lib/defender/time';
import { alertSource } from '../lib/daemon/alerts';
import { runDaemon } from '../lib/daemon/daemon';
import { spec } from '../lib/generated/actions/alerts-daemon.spec';
import type { AlertsDaemonResult } from '../lib/generated/actions/alerts-daemon.types';

export default defineAction({
  spec,
  async run(ctx) {
    const p = ctx.params;
    const max = p.max_alerts_per_run;
    const source = alertSource({
      statuses: parseList(p.status, parseAlertStatus, 'status'),
      ...(p.min_severity ? { minSeverity: parseSeverity(p.min_severity, 'min_severity') } : {}),
      serviceSources: parseList(p.service_source, parseServiceSource, 'service_source'),
      max,
    });
    const run = await runDaemon(ctx, spec.id, source, { firstFetch: parseTimeInput(p.first_fetch, 'first_fetch', new Date()), max });
    const json: AlertsDaemonResult = run.items;
    const n = json.length;
    const where = run.checkpoint.high ? ` Checkpoint: ${run.checkpoint.high}.` : '';
    const rest = {
      'caught-up': '',
      max: ` More remain (max_alerts_per_run is ${max}); the next run continues.`,
      deadline: ' Reading stopped before the deadline; the next run continues.',
      busy: '',
    }[run.ended];
    ctx.log.info('Daemon run', { handed_over: n, ended: run.ended, api_calls: run.calls, state_bytes: JSON.stringify(run.checkpoint).length, ...(run.stateFile ? { state_file: run.stateFile } : {}) });
    return {
      result_value: n > 0,
      output_message:
        run.ended === 'busy'
          ? 'Another run of this daemon (same tenant, app and API) is still running; this run handed over nothing.'
          : `${n ? `Handed over ${n} alert version${n === 1 ? '' : 's'}, oldest first` : 'No new or changed alerts'}.${where}${rest}`,
      json_result: json,
      state: run.checkpoint as unknown as Record<string, unknown>,
      ...(run.afterOutput ? { afterOutput: run.afterOutput } : {}),
      tables: n
        ? [{
            title: 'Alerts',
            columns: ['Id', 'Title', 'Status', 'Severity', 'Service source', 'Incident', 'Created', 'Last updated'],
            rows: json.slice(0, 100).map((a) => [a.id, a.title, label(a.status), label(a.severity), serviceSourceLabel(a.serviceSource), a.incidentId, a.createdDateTime, a.lastUpdateDateTime]),
          }]
        : [],
    };
  },
});
