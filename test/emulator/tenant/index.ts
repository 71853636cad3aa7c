// The tenant model: one incident store seeded deterministically, shown through the Graph v1.0 face and the
// legacy Defender XDR face, and changed by the control API as a live tenant would change it.
import type { HuntingEngine, SeedAlert, SeedEntities } from '../hunting/api';
import type { AlertPatch, FaceRequest, IncidentPatch, Tenant, TenantOptions } from './api';
import { type AlertChange, PATCH_CLASSIFICATION, PATCH_DETERMINATION, PATCH_STATUS, alertsFace, applyAlertChange, customDetailsIn } from './alerts';
import { defenderFace } from './defender';
import { type TenantState, graphFace } from './graph';
import {
  type Incident, DETECTION_SOURCE, INCIDENT_STATUS, LEGACY_CLASSIFICATION, LEGACY_DETERMINATION, LEGACY_SEVERITY, LEGACY_STATUS, LIVE_CLASSIFICATION,
  LIVE_DETERMINATION, LIVE_SEVERITY, LIVE_STATUS, SERVICE_SOURCE, SEVERITY_RANK, type Stamp, Store, cascadeToAlerts, cmpStamp, parseStamp, stampOf,
} from './model';
import { SENTINEL } from './enums';
import { Rng, makeAlert, seedStore, toSeedAlert } from './seed';
import { graphAlert, graphIncident } from './shapes';
import { identitiesFace, identityAccountJson, seedIdentities } from './identities';

export * from './api';

/** What the control API may set: every member but the sentinel (awaitingAction too: Defender Experts set it, never the API). */
const CONTROL_STATUS = INCIDENT_STATUS.filter((v) => v !== SENTINEL);

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

/** The members a control change may name: not the sentinel itself. */
const SOURCES_IN = SERVICE_SOURCE.filter((s) => s !== SENTINEL);
const DETECTIONS_IN = DETECTION_SOURCE.filter((s) => s !== SENTINEL);

export function createTenant(options: TenantOptions): Tenant {
  const store = new Store(options.tenantId);
  const { entities } = seedStore(store, { seed: options.seed, incidents: options.incidents, alerts: options.alerts, now: options.now });
  // Control changes draw from their own stream, so the seed does not depend on them and they replay alike.
  const controlRng = new Rng((options.seed ^ 0x5eed5eed) >>> 0);
  const ctx = { rng: controlRng, entities, tenantId: options.tenantId };
  const state: TenantState = { store, tenantId: options.tenantId };
  let nextId = store.maxId() + 1;
  // identity accounts of the same users (tenant/identities.ts), from their own stream
  const identities = seedIdentities(entities.users, options.seed);

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
      const serviceSource = input.serviceSource === undefined ? undefined : enumIn('serviceSource', input.serviceSource, SOURCES_IN, {});
      const detectionSource = input.detectionSource === undefined ? undefined : enumIn('detectionSource', input.detectionSource, DETECTIONS_IN, {});
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
      cascadeToAlerts(inc, next, last);
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
        serviceSource: input.serviceSource === undefined ? undefined : enumIn('serviceSource', input.serviceSource, SOURCES_IN, {}),
        detectionSource: input.detectionSource === undefined ? undefined : enumIn('detectionSource', input.detectionSource, DETECTIONS_IN, {}),
        status: input.status === undefined ? undefined : enumIn('status', input.status, PATCH_STATUS, {}),
      });
      inc.alerts.push(a);
      store.indexAlert(a);
      raiseSeverity(inc);
      inc.lastUpdate = stampOf(now);
      return graphAlert(a, options.tenantId, true);
    },

    updateAlert(id: string, patch: AlertPatch, now: Date) {
      const a = store.alertsById.get(id);
      if (!a) return undefined;
      const change: AlertChange = {};
      if (patch.status !== undefined) change.status = enumIn('status', patch.status, PATCH_STATUS, {});
      if (patch.severity !== undefined) change.severity = enumIn('severity', patch.severity, LIVE_SEVERITY.slice(1), LEGACY_SEVERITY);
      if (patch.classification !== undefined) change.classification = enumIn('classification', patch.classification, PATCH_CLASSIFICATION, LEGACY_CLASSIFICATION);
      if (patch.determination !== undefined) change.determination = enumIn('determination', patch.determination, PATCH_DETERMINATION, LEGACY_DETERMINATION);
      if (patch.serviceSource !== undefined) change.serviceSource = enumIn('serviceSource', patch.serviceSource, SOURCES_IN, {});
      if (patch.detectionSource !== undefined) change.detectionSource = enumIn('detectionSource', patch.detectionSource, DETECTIONS_IN, {});
      if (patch.title !== undefined) {
        if (typeof patch.title !== 'string') throw new Error('Invalid title: expected a string.');
        change.title = patch.title;
      }
      if (patch.assignedTo !== undefined) {
        if (patch.assignedTo !== null && typeof patch.assignedTo !== 'string') throw new Error('Invalid assignedTo: expected a string or null.');
        change.assignedTo = patch.assignedTo;
      }
      if (patch.customDetails !== undefined) {
        const d = customDetailsIn(patch.customDetails);
        if (!d) throw new Error('Invalid customDetails: expected an object of strings (null removes a key).');
        change.customDetails = d;
      }
      if (patch.comment !== undefined && typeof patch.comment !== 'string') throw new Error('Invalid comment: expected a string.');
      const last = stampIn('lastUpdateDateTime', patch.lastUpdateDateTime, stampOf(now));
      applyAlertChange(store, a, change, last);
      if (typeof patch.comment === 'string') a.comments.push({ comment: patch.comment, createdBy: 'Emulator control', created: last });
      const inc = store.byId.get(a.incidentId);
      if (inc) raiseSeverity(inc);
      return graphAlert(a, options.tenantId);
    },

    alert(id: string) {
      const a = store.alertsById.get(id);
      return a ? graphAlert(a, options.tenantId) : undefined;
    },

    incidentCount() { return store.incidents.length; },
    alertCount() { return store.alerts.length; },

    identityAccount(id: string) {
      const a = identities.byId.get(id);
      return a ? identityAccountJson(a) : undefined;
    },
    identityAccounts() { return identities.accounts.map(identityAccountJson); },
    addIdentityAccount(input) { return identityAccountJson(identities.add(input)); },
    accountActions(identityAccountId?: string) {
      return identities.actions.filter((r) => identityAccountId === undefined || r.identityAccountId === identityAccountId).map((r) => ({ ...r }));
    },
  };

  return {
    graph: (req: FaceRequest) => alertsFace(state, req) ?? identitiesFace(identities, req) ?? graphFace(state, req),
    defender: (req: FaceRequest) => defenderFace(state, req),
    seedEntities: (): SeedEntities => entities,
    seedAlerts: (): SeedAlert[] => store.alerts.map(toSeedAlert),
    attachHunting(engine: HuntingEngine) { state.hunting = engine; },
    control,
  };
}
