// The Alerts Daemon's source: alerts_v2 on Microsoft Graph (whatever the configured family), read by the same Graph
// reader and checkpoint as the Incidents Daemon's (sync.ts, checkpoint.ts), by lastUpdateDateTime: every new and changed
// alert, each version (id and lastUpdateDateTime) once.

import { ALERT_ID, ALERT_PAGE, alertFilter, alertFromAlertsV2, type AlertRecord, type ServiceSource } from '../defender/alerts';
import type { AlertStatus, Severity } from '../defender/model';
import { queryString, type ODataFilter } from '../defender/odata';
import { listPage } from '../runtime/shape';
import type { CheckpointFormat } from './checkpoint';
import { severitiesFrom, within, type DaemonSource } from './daemon';
import { graphVersionReader, type GraphCollection } from './sync';

export const ALERT_CHECKPOINTS: CheckpointFormat = { kind: 'alerts', id: ALERT_ID, idName: 'alert id' };

/**
 * The largest $top a page asks for: its page of new alerts plus the ones it reads again at the boundary, and the page
 * of a burst. Alerts v2 documents no limit; 1000 is the one Microsoft documents for the first alerts API and the one
 * peers moved to after 2000 failed (elastic/integrations#20348): a service that refused a larger $top would fail every
 * run, one that caps it only returns fewer, which the reader takes as it comes.
 */
export const ALERT_MAX_TOP = ALERT_PAGE;

export interface AlertsDaemonOptions {
  statuses: readonly AlertStatus[];
  minSeverity?: Severity;
  serviceSources: readonly ServiceSource[];
  /** the run's maximum: a page is never larger (a run of 100 reads pages of 100, not 1000 to hand over 100) */
  max: number;
}

export function alertSource(options: AlertsDaemonOptions): DaemonSource<AlertRecord> {
  const severities = severitiesFrom(options.minSeverity);
  const filter = alertFilter({ statuses: options.statuses, ...(severities ? { severities } : {}), serviceSources: options.serviceSources });
  const filters: ODataFilter[] = filter ? [filter] : [];
  return {
    resource: 'alerts',
    field: 'lastUpdateDateTime',
    format: ALERT_CHECKPOINTS,
    reader(api, _config, log) {
      let calls = 0;
      const collection: GraphCollection<AlertRecord> = {
        plural: 'alerts',
        page: Math.max(1, Math.min(ALERT_PAGE, options.max)),
        maxTop: ALERT_MAX_TOP,
        id: (a) => a.id,
        time: (a, field) => a[field],
        async fetch(query, label) {
          calls++;
          const page = listPage(await api.call({ method: 'GET', path: `/v1.0/security/alerts_v2?${queryString(query)}`, label, capability: 'readAlerts' }), { api: api.name, label });
          return { items: page.value.map(alertFromAlertsV2), ...(page.nextLink !== undefined ? { next: page.nextLink } : {}), ...(page.count !== undefined ? { count: page.count } : {}) };
        },
      };
      return graphVersionReader(collection, { field: 'lastUpdateDateTime', filters, calls: () => calls, incomplete: () => 0 }, log);
    },
    // the API filters all three; checked again on every alert read, so that a filter the service ignored costs nothing
    keep: (a) => within(options.statuses, a.status) && within(severities, a.severity) && within(options.serviceSources, a.serviceSource),
    id: (a) => a.id,
  };
}
