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
// - The Defender for Endpoint API (machines, machine actions, indicators; issue 15) serves machines and indicators
//   whatever the configured family: Microsoft publishes no Graph API for on-demand device actions or custom
//   indicators (reference defender-api-next.md §1.3/1.4). Its root is M365D_ENDPOINT_API_URL, else the cloud's
//   (config.ts CLOUD_PRESETS). Every call to it goes through this surface, so moving these resources to Graph when
//   Microsoft publishes them is a change here and in the resource's module.
//
// Token audience: `<root origin>/.default` on Graph and the Defender XDR API (Graph: the Graph host; Defender XDR:
// "Tokens can be acquired by accessing https://api.security.microsoft.com", defender-xdr/api-create-app-web.md). The
// Defender for Endpoint API's audience is not its host: "Some Microsoft Defender for Endpoint APIs continue to require
// access tokens issued for the legacy resource https://api.securitycenter.microsoft.com ... even if the API endpoint
// uses https://api.security.microsoft.com" (defender-endpoint/api/exposed-apis-create-app-webapp.md, 2026-07-28), so
// Worldwide asks for https://api.securitycenter.microsoft.com/.default. For the US government clouds Microsoft's
// defender-endpoint/gov.md ("API") gives only the API host, api-gcc.securitycenter.microsoft.us (GCC) and
// api-gov.securitycenter.microsoft.us (GCC High and DoD); these are the legacy securitycenter form whose worldwide
// twin is the documented audience, and peers use them as the token resource (Splunk SOAR's Defender for Endpoint
// connector, Microsoft partner guides): no first-party page says so, so the README names it as our choice. A known
// Microsoft host in M365D_ENDPOINT_API_URL decides its cloud's audience; a custom host (a proxy, the emulator) takes
// the configured cloud's.
// Identity accounts (Defender for Identity, issue 16) are on Graph only, like alerts: 'identities' goes to Graph
// whatever the configured family.
// Permissions: Microsoft's permission references per call (Graph api-reference/v1.0/includes/permissions/*.md:
// security-list-alerts_v2, security-alert-get: SecurityAlert.Read.All; security-alert-update,
// security-alert-post-comments: SecurityAlert.ReadWrite.All). Defender for Endpoint (WindowsDefenderATP app
// permissions, defender-endpoint/api/*.md): get-machines Machine.Read.All; isolate-machine, unisolate-machine
// Machine.Isolate; run-av-scan Machine.Scan; restrict-code-execution, unrestrict-code-execution
// Machine.RestrictExecution; collect-investigation-package Machine.CollectForensics; stop-and-quarantine-file
// Machine.StopAndQuarantine; post-ti-indicator, delete-ti-indicator-by-id Ti.ReadWrite.All. (The current pages of
// get-machine-by-id, findbyip and machine actions list Machine.ReadWrite.All, which also covers reading; their 2020
// versions list Machine.Read.All too: reference §2.3. The README says both work for reading.)

import { CLOUD_PRESETS, type ApiFlavor, type Cloud, type Config } from '../runtime/config';

export type SurfaceId = ApiFlavor | 'endpoint';

export type Capability =
  | 'readIncidents' | 'writeIncidents' | 'readAlerts' | 'writeAlerts' | 'hunting'
  | 'readMachines' | 'isolate' | 'scan' | 'restrict' | 'collect' | 'stopAndQuarantine' | 'indicators'
  | 'readAccounts' | 'accountActions';

/** What a call is about: each resource is served by one surface for a given configuration. */
export type Resource = 'incidents' | 'hunting' | 'alerts' | 'machines' | 'indicators' | 'identities';

export interface Surface {
  readonly id: SurfaceId;
  /** for messages: "Microsoft Graph", "the Defender XDR API", "the Defender for Endpoint API" */
  readonly name: string;
  /** the API root, without a trailing slash, Graph's /v1.0 or the /api of Defender's: calls add their path to it */
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
  readMachines: 'machines',
  isolate: 'machines',
  scan: 'machines',
  restrict: 'machines',
  collect: 'machines',
  stopAndQuarantine: 'machines',
  indicators: 'indicators',
  readAccounts: 'identities',
  accountActions: 'identities',
};

export const SURFACE_NAMES: Readonly<Record<SurfaceId, string>> = { graph: 'Microsoft Graph', defender: 'the Defender XDR API', endpoint: 'the Defender for Endpoint API' };

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
  endpoint: {
    readMachines: 'Machine.Read.All',
    isolate: 'Machine.Isolate',
    scan: 'Machine.Scan',
    restrict: 'Machine.RestrictExecution',
    collect: 'Machine.CollectForensics',
    stopAndQuarantine: 'Machine.StopAndQuarantine',
    indicators: 'Ti.ReadWrite.All',
  },
};

/** The resources each surface serves when it is the configured one (the endpoint surface: whatever is configured). */
const SERVES: Readonly<Record<SurfaceId, readonly Resource[]>> = {
  graph: ['incidents', 'hunting', 'alerts', 'identities'],
  defender: ['incidents', 'hunting'],
  endpoint: ['machines', 'indicators'],
};

/**
 * Which surface serves a resource when the configured family is `family`: the Defender for Endpoint API for its
 * resources, else the configured family, and Graph for whatever that lacks.
 */
export function surfaceIdFor(family: ApiFlavor, resource: Resource): SurfaceId {
  if (SERVES.endpoint.includes(resource)) return 'endpoint';
  return SERVES[family].includes(resource) ? family : 'graph';
}

const scopeOf = (root: string): string => `${new URL(root).origin}/.default`;

function surface(id: SurfaceId, root: string, scope: string = scopeOf(root)): Surface {
  return { id, name: SURFACE_NAMES[id], root, scope, permissions: SURFACE_PERMISSIONS[id] };
}

/** The Defender for Endpoint API's token audience per cloud (see the top of this file for why the government ones). */
export const ENDPOINT_AUDIENCES: Readonly<Record<Cloud, string>> = {
  Worldwide: 'https://api.securitycenter.microsoft.com',
  GCC: 'https://api-gcc.securitycenter.microsoft.us',
  'GCC High': 'https://api-gov.securitycenter.microsoft.us',
  DoD: 'https://api-gov.securitycenter.microsoft.us',
};

/**
 * The cloud whose Defender for Endpoint audience a known Microsoft host stands for: the worldwide hosts
 * (api.security.microsoft.com and its regional forms us., eu., uk., au., swa., ina., aea. or api-us. ..., the legacy
 * api.securitycenter.microsoft.com / .windows.com and their regional forms), api-gcc.* (GCC) and api-gov.* (GCC High
 * and DoD share it) of securitycenter.microsoft.us or security.microsoft.us; undefined for another host.
 */
export function cloudOfEndpointHost(host: string): Cloud | undefined {
  const h = host.toLowerCase();
  if (/^(?:[a-z0-9-]+\.)?api(?:-[a-z0-9]+)?\.(?:security\.microsoft\.com|securitycenter\.microsoft\.com|securitycenter\.windows\.com)$/.test(h)) return 'Worldwide';
  if (/^api-gcc\.(?:securitycenter|security)\.microsoft\.us$/.test(h)) return 'GCC';
  if (/^api-gov\.(?:securitycenter|security)\.microsoft\.us$/.test(h)) return 'GCC High';
  return undefined;
}

/** The scope of Defender for Endpoint tokens: the audience of the configured host's cloud, else of M365D_CLOUD. */
export function endpointScope(config: Pick<Config, 'endpointApiUrl' | 'cloud'>): string {
  const byHost = cloudOfEndpointHost(new URL(config.endpointApiUrl).hostname);
  // DoD shares GCC High's host: the configured cloud says which when it is one of the two
  const cloud = byHost === 'GCC High' && config.cloud === 'DoD' ? 'DoD' : (byHost ?? config.cloud);
  return `${ENDPOINT_AUDIENCES[cloud]}/.default`;
}

/** The Defender for Endpoint API: M365D_ENDPOINT_API_URL (else the cloud's host), with its audience. */
export function endpointSurface(config: Pick<Config, 'endpointApiUrl' | 'cloud'>): Surface {
  return surface('endpoint', config.endpointApiUrl, endpointScope(config));
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
export function surfaceFor(config: Pick<Config, 'apiFlavor' | 'apiUrl' | 'cloud' | 'endpointApiUrl'>, resource: Resource): Surface {
  const id = surfaceIdFor(config.apiFlavor, resource);
  if (id === 'endpoint') return endpointSurface(config);
  return id === config.apiFlavor ? configuredSurface(config) : graphSurface(config);
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
