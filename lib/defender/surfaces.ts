// The Microsoft API surfaces this package speaks, and which one serves which call for the configured cloud and family
// (DESIGN.md: "each a root, a token audience and a permission table"). The modules per resource (incidents.ts,
// hunting.ts, alerts.ts) ask for the surface of their resource and never look at the configuration's family
// themselves, so moving a resource to another surface is a change here.
//
// - Microsoft Graph security v1.0 serves incidents, hunting and alerts. Its root is M365D_API_URL when that is a Graph
//   API (a Graph host, or a custom host M365D_API_FLAVOR calls graph), else the Graph host of M365D_CLOUD
//   (learn.microsoft.com/graph/deployments: graph.microsoft.com for Worldwide and GCC, graph.microsoft.us for GCC High,
//   dod-graph.microsoft.us for DoD).
// - The Defender XDR API (api.security.microsoft.com, retiring) serves incidents and hunting when it is configured;
//   it has no alerts API that is not retiring, so alerts go to Graph whatever the configured family (issue 14).
// - The Defender for Endpoint API (machines, machine actions, indicators) is the third surface, added with issue 15:
//   a SurfaceId, a root from M365D_ENDPOINT_API_URL, its own audience and permission table, and its resources in
//   SERVES below.
//
// Token audience: `<root origin>/.default` on both surfaces here (Graph: the Graph host; Defender XDR: "Tokens can be
// acquired by accessing https://api.security.microsoft.com", defender-xdr/api-create-app-web.md). The scope is a field
// of its own because the Defender for Endpoint API's audience is not its host (reference defender-api-next.md §2.1).
// Identity accounts (Defender for Identity, issue 16) are on Graph only, like alerts: 'identities' goes to Graph
// whatever the configured family.
// Permissions: Microsoft's permission references per call (Graph api-reference/v1.0/includes/permissions/*.md:
// security-list-alerts_v2, security-alert-get: SecurityAlert.Read.All; security-alert-update,
// security-alert-post-comments: SecurityAlert.ReadWrite.All).

import { CLOUD_PRESETS, type ApiFlavor, type Config } from '../runtime/config';

export type SurfaceId = ApiFlavor; // 'graph' | 'defender'; issue 15 adds the Defender for Endpoint API

export type Capability = 'readIncidents' | 'writeIncidents' | 'readAlerts' | 'writeAlerts' | 'hunting' | 'readAccounts' | 'accountActions';

/** What a call is about: each resource is served by one surface for a given configuration. */
export type Resource = 'incidents' | 'hunting' | 'alerts' | 'identities';

export interface Surface {
  readonly id: SurfaceId;
  /** for messages: "Microsoft Graph", "the Defender XDR API" */
  readonly name: string;
  /** the API root, without a trailing slash, Graph's /v1.0 or Defender's /api: calls add their path to it */
  readonly root: string;
  /** the scope a token is asked for (one token per audience in the cache) */
  readonly scope: string;
  /** the application permission each capability needs here; a capability the surface has not is not served by it */
  readonly permissions: Readonly<Partial<Record<Capability, string>>>;
}

/** The resource each capability belongs to. */
export const RESOURCE_OF: Readonly<Record<Capability, Resource>> = {
  readIncidents: 'incidents',
  writeIncidents: 'incidents',
  readAlerts: 'alerts',
  writeAlerts: 'alerts',
  hunting: 'hunting',
  readAccounts: 'identities',
  accountActions: 'identities',
};

export const SURFACE_NAMES: Readonly<Record<SurfaceId, string>> = { graph: 'Microsoft Graph', defender: 'the Defender XDR API' };

/** Each surface's permission table (the names of its app registration's API permissions). */
export const SURFACE_PERMISSIONS: Readonly<Record<SurfaceId, Readonly<Partial<Record<Capability, string>>>>> = {
  graph: {
    readIncidents: 'SecurityIncident.Read.All',
    writeIncidents: 'SecurityIncident.ReadWrite.All',
    readAlerts: 'SecurityAlert.Read.All',
    writeAlerts: 'SecurityAlert.ReadWrite.All',
    hunting: 'ThreatHunting.Read.All',
    // Defender for Identity's identity accounts (issue 16): security-identitycontainer-list-identityaccounts.md and
    // security-identityaccounts-get.md name SecurityIdentitiesAccount.Read.All; security-identityaccounts-invokeaction.md
    // SecurityIdentitiesActions.ReadWrite.All
    readAccounts: 'SecurityIdentitiesAccount.Read.All',
    accountActions: 'SecurityIdentitiesActions.ReadWrite.All',
  },
  defender: {
    readIncidents: 'Incident.Read.All',
    writeIncidents: 'Incident.ReadWrite.All',
    hunting: 'AdvancedHunting.Read.All',
  },
};

/** The resources each surface serves when it is the configured one. */
const SERVES: Readonly<Record<SurfaceId, readonly Resource[]>> = {
  graph: ['incidents', 'hunting', 'alerts', 'identities'],
  defender: ['incidents', 'hunting'],
};

/** Which surface serves a resource when the configured family is `family` (Graph for whatever the other lacks). */
export function surfaceIdFor(family: ApiFlavor, resource: Resource): SurfaceId {
  return SERVES[family].includes(resource) ? family : 'graph';
}

const scopeOf = (root: string): string => `${new URL(root).origin}/.default`;

function surface(id: SurfaceId, root: string): Surface {
  return { id, name: SURFACE_NAMES[id], root, scope: scopeOf(root), permissions: SURFACE_PERMISSIONS[id] };
}

/** The surface of the configured API: M365D_API_URL and its family. */
export function configuredSurface(config: Pick<Config, 'apiFlavor' | 'apiUrl'>): Surface {
  return surface(config.apiFlavor, config.apiUrl);
}

/**
 * The Graph surface: the configured API when it is Graph (a Graph host, or a custom host M365D_API_FLAVOR calls
 * graph), else the Graph host of the configured cloud. A custom host that is not said to be Graph is never used for
 * Graph calls: the token for Graph goes only to Microsoft's Graph host or to a host the configuration calls Graph.
 */
export function graphSurface(config: Pick<Config, 'apiFlavor' | 'apiUrl' | 'cloud'>): Surface {
  return surface('graph', config.apiFlavor === 'graph' ? config.apiUrl : CLOUD_PRESETS[config.cloud].apiUrl);
}

/** The surface that serves `resource` for this configuration. */
export function surfaceFor(config: Pick<Config, 'apiFlavor' | 'apiUrl' | 'cloud'>, resource: Resource): Surface {
  return surfaceIdFor(config.apiFlavor, resource) === config.apiFlavor ? configuredSurface(config) : graphSurface(config);
}

/**
 * The permission a capability needs when the configured family is `family`, and the surface it belongs to: what the
 * manifest lists per action (`permissions`, with `on` where the surface is not the configured one).
 */
export function permissionFor(capability: Capability, family: ApiFlavor): { permission: string; surface: SurfaceId } {
  const id = surfaceIdFor(family, RESOURCE_OF[capability]);
  const permission = SURFACE_PERMISSIONS[id][capability];
  // a programming error, caught by the unit tests: a surface serving a resource lacks one of its capabilities
  if (permission === undefined) throw new Error(`${SURFACE_NAMES[id]} has no permission for ${capability}`);
  return { permission, surface: id };
}
