// The tenant model: one incident store seeded deterministically, shown through the Graph v1.0 face and the
// legacy Defender XDR face, and changed by the control API as a live tenant would change it.
import type { HuntingEngine, SeedAlert, SeedEntities } from '../hunting/api';
import type { FaceRequest, IncidentPatch, Tenant, TenantOptions } from './api';
import { defenderFace } from './defender';
import { type TenantState, graphFace } from './graph';
import {
  type Incident, DETECTION_SOURCE, INCIDENT_STATUS, LEGACY_CLASSIFICATION, LEGACY_DETERMINATION, LEGACY_SEVERITY, LEGACY_STATUS, LIVE_CLASSIFICATION,
  LIVE_DETERMINATION, LIVE_SEVERITY, SENTINEL, SERVICE_SOURCE, SEVERITY_RANK, type Stamp, Store, cmpStamp, parseStamp, stampOf,
} from './model';
import { Rng, makeAlert, seedStore, toSeedAlert } from './seed';
import { graphAlert, graphIncident } from './shapes';

export * from './api';

/** What the control API may set: every member but the sentinel (awaitingAction too: Defender Experts set it, never the API). */
const CONTROL_STATUS = INCIDENT_STATUS.filter((v) => v !== SENTINEL);
const LIVE_SERVICE_SOURCE = SERVICE_SOURCE.filter((v) => v !== SENTINEL);
const LIVE_DETECTION_SOURCE = DETECTION_SOURCE.filter((v) => v !== SENTINEL);

/** Matches a Graph value (any case) or its legacy PascalCase name; throws a readable error otherwise. */
function enumIn(field: string, v: unknown, graph: readonly string[], legacy: Record<string, string>): string {
  if (typeof v === 'string') {
    const g = graph.find((x) => x.toLowerCase() === v.toLowerCase());
    if (g) return g;
    const l = Object.entries(legacy).find(([, name]) => name === v);
    if (l) return l[0];
  }
  throw new Error(`Invalid ${field} '${String(v)}'. Expected one of: ${graph.join(', ')}.`);
}
function stampIn(field: string, v: unknown, fallback: Stamp): Stamp {
  if (v === undefined || v === null) return fallback;
  const s = typeof v === 'string' ? parseStamp(v) : undefined;
  if (!s) throw new Error(`Invalid ${field} '${String(v)}': expected an ISO 8601 date-time with Z or an offset.`);
  return s;
}
function strings(field: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`Invalid ${field}: expected a list of strings.`);
  return [...(v as string[])];
}

export function createTenant(options: TenantOptions): Tenant {
  const store = new Store(options.tenantId);
  const { entities } = seedStore(store, { seed: options.seed, incidents: options.incidents, now: options.now });
  // Control changes draw from their own stream, so the seed does not depend on them and they replay alike.
  const controlRng = new Rng((options.seed ^ 0x5eed5eed) >>> 0);
  const ctx = { rng: controlRng, entities, tenantId: options.tenantId };
  const state: TenantState = { store, tenantId: options.tenantId };
  let nextId = store.maxId() + 1;

  const raiseSeverity = (inc: Incident): void => {
    for (const a of inc.alerts) if (SEVERITY_RANK[a.severity] > SEVERITY_RANK[inc.severity]) inc.severity = a.severity;
  };

  const control: Tenant['control'] = {
    addIncident(input, now) {
      const nowStamp = stampOf(now);
      const created = stampIn('createdDateTime', input.createdDateTime ?? input.createdTime, nowStamp);
      const classification = input.classification === undefined ? 'unknown' : enumIn('classification', input.classification, LIVE_CLASSIFICATION, LEGACY_CLASSIFICATION);
      const inc: Incident = {
        id: nextId++,
        displayName: typeof (input.displayName ?? input.incidentName) === 'string' ? String(input.displayName ?? input.incidentName) : `Emulated incident ${nextId - 1}`,
        description: typeof input.description === 'string' ? input.description : 'Added through the emulator control API.',
        created, lastUpdate: created,
        assignedTo: input.assignedTo === undefined || input.assignedTo === null ? null : String(input.assignedTo),
        classification,
        determination: input.determination === undefined ? 'unknown' : enumIn('determination', input.determination, LIVE_DETERMINATION, LEGACY_DETERMINATION),
        status: input.status === undefined ? 'active' : enumIn('status', input.status, CONTROL_STATUS, LEGACY_STATUS),
        severity: input.severity === undefined ? 'medium' : enumIn('severity', input.severity, LIVE_SEVERITY, LEGACY_SEVERITY),
        customTags: input.customTags !== undefined ? strings('customTags', input.customTags) : input.tags !== undefined ? strings('tags', input.tags) : [],
        systemTags: [], comments: [], alerts: [], redirectIncidentId: null, detectionSource: 'Microsoft Defender XDR',
      };
      const nAlerts = typeof input.alerts === 'number' ? Math.max(0, Math.min(20, Math.floor(input.alerts))) : 1;
      const serviceSource = input.serviceSource === undefined ? undefined : enumIn('serviceSource', input.serviceSource, LIVE_SERVICE_SOURCE, {});
      const detectionSource = input.detectionSource === undefined ? undefined : enumIn('detectionSource', input.detectionSource, LIVE_DETECTION_SOURCE, {});
      for (let k = 0; k < nAlerts; k++) {
        const alert = makeAlert(ctx, inc, { ms: created.ms + k * 1000, sub: 0 }, { serviceSource, detectionSource, severity: k === 0 && inc.severity !== 'unknown' ? inc.severity : undefined });
        // an alert of an incident that happens now was not updated in the future: seeded history may run up to an
        // hour past creation, but never past the service clock
        if (cmpStamp(alert.lastUpdate, nowStamp) > 0 && cmpStamp(alert.created, nowStamp) <= 0) alert.lastUpdate = nowStamp;
        inc.alerts.push(alert);
      }
      raiseSeverity(inc);
      const maxAlert = inc.alerts.reduce((m, a) => (cmpStamp(a.lastUpdate, m) > 0 ? a.lastUpdate : m), created);
      inc.lastUpdate = stampIn('lastUpdateDateTime', input.lastUpdateDateTime ?? input.lastUpdateTime, cmpStamp(maxAlert, nowStamp) > 0 ? maxAlert : nowStamp);
      if (input.redirectTo !== undefined || input.redirectIncidentId !== undefined) {
        const target = store.byId.get(Number(input.redirectTo ?? input.redirectIncidentId));
        if (!target) throw new Error(`Cannot redirect to incident '${String(input.redirectTo ?? input.redirectIncidentId)}': it does not exist.`);
        inc.status = 'redirected'; inc.redirectIncidentId = target.id;
      }
      store.addIncident(inc);
      return graphIncident(inc, options.tenantId, true, true);
    },

    updateIncident(id: string, patch: IncidentPatch, now: Date) {
      const inc = /^\d+$/.test(id) ? store.byId.get(Number(id)) : undefined;
      if (!inc) return undefined;
      const next: Partial<Incident> = {};
      if (patch.displayName !== undefined) next.displayName = patch.displayName;
      if (patch.status !== undefined) next.status = enumIn('status', patch.status, CONTROL_STATUS, LEGACY_STATUS);
      if (patch.severity !== undefined) next.severity = enumIn('severity', patch.severity, LIVE_SEVERITY, LEGACY_SEVERITY);
      if (patch.classification !== undefined) next.classification = enumIn('classification', patch.classification, LIVE_CLASSIFICATION, LEGACY_CLASSIFICATION);
      if (patch.determination !== undefined) next.determination = enumIn('determination', patch.determination, LIVE_DETERMINATION, LEGACY_DETERMINATION);
      if (patch.assignedTo !== undefined) next.assignedTo = patch.assignedTo;
      if (patch.customTags !== undefined) next.customTags = strings('customTags', patch.customTags);
      if (patch.redirectTo !== undefined) {
        const target = /^\d+$/.test(patch.redirectTo) ? store.byId.get(Number(patch.redirectTo)) : undefined;
        if (!target || target === inc) throw new Error(`Cannot redirect incident ${id} to '${patch.redirectTo}': no such other incident.`);
        next.status = 'redirected'; next.redirectIncidentId = target.id;
      } else if (next.status !== undefined && next.status !== 'redirected') {
        next.redirectIncidentId = null;
      }
      const last = stampIn('lastUpdateDateTime', patch.lastUpdateDateTime, stampOf(now));
      Object.assign(inc, next);
      inc.lastUpdate = last;
      for (const a of inc.alerts) {
        if (next.classification) a.classification = next.classification;
        if (next.determination) a.determination = next.determination;
        if (next.assignedTo !== undefined) a.assignedTo = next.assignedTo;
        if (next.status === 'resolved' && a.status !== 'resolved') { a.status = 'resolved'; a.resolved = last; a.lastUpdate = last; }
      }
      return graphIncident(inc, options.tenantId, true, true);
    },

    addAlert(incidentId: string, input: Record<string, unknown>, now: Date) {
      const inc = /^\d+$/.test(incidentId) ? store.byId.get(Number(incidentId)) : undefined;
      if (!inc) return undefined;
      const created = stampIn('createdDateTime', input.createdDateTime, stampOf(now));
      const a = makeAlert(ctx, inc, created, {
        title: typeof input.title === 'string' ? input.title : undefined,
        category: typeof input.category === 'string' ? input.category : undefined,
        severity: input.severity === undefined ? undefined : enumIn('severity', input.severity, LIVE_SEVERITY.slice(1), LEGACY_SEVERITY),
        serviceSource: input.serviceSource === undefined ? undefined : enumIn('serviceSource', input.serviceSource, LIVE_SERVICE_SOURCE, {}),
        detectionSource: input.detectionSource === undefined ? undefined : enumIn('detectionSource', input.detectionSource, LIVE_DETECTION_SOURCE, {}),
        status: input.status === undefined ? undefined : enumIn('status', input.status, ['new', 'inProgress', 'resolved'], {}),
      });
      inc.alerts.push(a);
      store.indexAlert(a);
      raiseSeverity(inc);
      inc.lastUpdate = stampOf(now);
      return graphAlert(a, options.tenantId, true);
    },

    incidentCount() { return store.incidents.length; },
  };

  return {
    graph: (req: FaceRequest) => graphFace(state, req),
    defender: (req: FaceRequest) => defenderFace(state, req),
    seedEntities: (): SeedEntities => entities,
    seedAlerts: (): SeedAlert[] => store.alerts.map(toSeedAlert),
    attachHunting(engine: HuntingEngine) { state.hunting = engine; },
    control,
  };
}
