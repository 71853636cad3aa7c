// The Defender for Endpoint face of the emulator: /api/machines*, /api/machineactions* (and /api/indicators*, plugged in
// through FACES below). The server core authenticates the request (only tokens for an endpoint audience reach it),
// counts the quotas, and hands it over as a FaceRequest; this module answers in Microsoft's shapes.
// Imports nothing from lib/, actions/ or scripts/.
import type { SeedEntities } from '../hunting/api';
import type { FaceRequest, FaceResponse } from '../tenant/api';
import { actionPostRoutes, machineActionRoutes } from './actions';
import { type EndpointContext, type EndpointRoute, forbidden, mdeError } from './common';
import { indicatorRoutes } from './indicators';
import { machineRoutes } from './machines';
import { type Behaviour, EndpointStore, type Machine, type MachineInput, type Timing, actionJson, machineJson } from './model';

export type { EndpointRoute, EndpointContext } from './common';
export { mdeError, forbidden } from './common';

export interface EndpointOptions {
  seed: number;
  /** the service clock when the tenant is built */
  now: Date;
  devices: SeedEntities['devices'];
  /** the tenant's files, URLs and IPs (the indicators' seed draws from them) */
  entities?: Pick<SeedEntities, 'files' | 'urls' | 'ips'>;
  /** service-clock seconds an action stays Pending, then InProgress (default 15 and 45), already divided by timeScale */
  timing: Timing;
}

/** What a face of the MDE API gets when the tenant is built (again at each reset). */
export interface EndpointFaceEnv { seed: number; now: Date; store: EndpointStore; entities?: Pick<SeedEntities, 'files' | 'urls' | 'ips'> }
export type EndpointFaceFactory = (env: EndpointFaceEnv) => EndpointRoute[];

/**
 * The faces by the first path segment after /api/. Another face plugs in with one entry, e.g. the indicators
 * (test/emulator/endpoint/indicators.ts): `indicators: (env) => indicatorRoutes(env)`. Its routes get the same
 * permission check (EndpointRoute.roles, Microsoft's 403 body) and the same wrong-audience refusal.
 */
export const FACES: Record<string, EndpointFaceFactory> = {
  machines: () => [...machineRoutes(), ...actionPostRoutes()],
  machineactions: () => machineActionRoutes(),
  indicators: (env) => indicatorRoutes(env),
};

/** The machine as em.machine() shows it: the API's record, with what the API does not tell (behaviour, containment). */
export type MachineRecord = Record<string, unknown> & {
  id: string; computerDnsName: string; behaviour: Behaviour;
  isolation: 'None' | 'Full' | 'Selective' | 'UnManagedDevice'; restricted: boolean;
};

export interface Endpoint {
  readonly store: EndpointStore;
  /** undefined when no route matches (the core answers 404) */
  handle(req: FaceRequest): FaceResponse | undefined;
  /** the 403 a token for another API gets: it carries none of WindowsDefenderATP's roles */
  refuseAudience(req: FaceRequest): FaceResponse;
  control: {
    addMachine(input: MachineInput, now: Date): MachineRecord;
    machine(id: string, now: Date): MachineRecord | undefined;
    machineActions(machineId: string | undefined, now: Date): Array<Record<string, unknown>>;
    machineCount(): number;
  };
}

/** "/api/v1.0/machines" is "/api/machines": the version segment is optional (defender-endpoint/api/exposed-apis-list.md) */
function unversioned(req: FaceRequest): FaceRequest {
  return /^\/api\/v1\.0\//i.test(req.path) ? { ...req, path: `/api/${req.path.slice('/api/v1.0/'.length)}` } : req;
}

export function createEndpoint(o: EndpointOptions): Endpoint {
  const store = new EndpointStore(o.seed, o.timing);
  store.seedFrom(o.devices, o.now);
  const env: EndpointFaceEnv = { seed: o.seed, now: o.now, store, entities: o.entities };
  const faces = new Map<string, EndpointRoute[]>(Object.entries(FACES).map(([k, f]) => [k, f(env)]));

  const find = (req: FaceRequest): { route: EndpointRoute; m: RegExpExecArray } | undefined => {
    const seg = /^\/api\/([^/(]+)/i.exec(req.path)?.[1]?.toLowerCase();
    const routes = seg === undefined ? undefined : faces.get(seg);
    for (const route of routes ?? []) {
      if (route.method !== req.method) continue;
      const m = route.pattern.exec(req.path);
      if (m) return { route, m };
    }
    return undefined;
  };
  const record = (m: Machine, now: Date): MachineRecord =>
    ({ ...machineJson(m), id: m.id, computerDnsName: m.computerDnsName, behaviour: m.behaviour, ...store.containment(m, now) });

  return {
    store,
    handle(raw) {
      const req = unversioned(raw);
      const hit = find(req);
      if (!hit) return undefined;
      if (!hit.route.roles.some((r) => req.caller.roles.has(r))) return forbidden(hit.route.roles, req.caller.roles);
      const ctx: EndpointContext = { req, store, now: req.now };
      return hit.route.handle(ctx, hit.m);
    },
    refuseAudience(raw) {
      const hit = find(unversioned(raw));
      return hit ? forbidden(hit.route.roles, []) : mdeError(403, 'Forbidden', 'Missing application roles. The access token was not issued for the Defender for Endpoint API (https://api.securitycenter.microsoft.com).');
    },
    control: {
      addMachine: (input, now) => record(store.addMachine(input, now), now),
      machine(id, now) { const m = store.machineByIdOrName(id); return m ? record(m, now) : undefined; },
      machineActions: (machineId, now) => store.actionsNewestFirst(machineId).map((a) => actionJson(store, a, now)),
      machineCount: () => store.machines.length,
    },
  };
}
