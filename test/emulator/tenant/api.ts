// The boundary between the emulator's server core (TLS, identity, tokens, quotas, faults,
// control endpoints, request log) and its tenant model (incidents, alerts, OData, and the Graph and
// Defender XDR faces). The server core authenticates a request, then hands it to a face as a
// FaceRequest; the face answers with a FaceResponse in Microsoft's shapes and error bodies.
// Nothing here or below imports from lib/.
import type { HuntingEngine, SeedAlert, SeedEntities } from '../hunting/api';
import type { AccountActionRecord, IdentityAccountInput } from './identities';

export type Flavor = 'graph' | 'defender';

export interface FaceRequest {
  method: string;
  /** path without the query string, e.g. "/v1.0/security/incidents/12" or "/api/incidents" */
  path: string;
  /** the raw query string without "?", percent-encoded as received (OData parsing needs it raw) */
  rawQuery: string;
  /** request body as text ("" when none) */
  rawBody: string;
  /** request headers, lower-cased names */
  headers: Record<string, string>;
  /** "https://127.0.0.1:PORT": for @odata.nextLink and @odata.context */
  origin: string;
  /** the caller, from its verified access token */
  caller: { clientId: string; appDisplayName: string; roles: ReadonlySet<string>; tenantId: string };
  /** the service clock */
  now: Date;
}

export interface FaceResponse {
  status: number;
  headers?: Record<string, string>;
  /** serialised as JSON; undefined means no body */
  body?: unknown;
}

export interface TenantOptions {
  seed: number;
  /** number of seeded incidents */
  incidents: number;
  /** number of seeded alerts, spread over the incidents (at least one each); default: 1 to 4 per incident, drawn */
  alerts?: number;
  tenantId: string;
  now: Date;
  hunting?: { rowsPerTable?: number };
}

export interface IncidentPatch {
  displayName?: string;
  status?: string; severity?: string; classification?: string; determination?: string;
  assignedTo?: string | null; customTags?: string[];
  /** set explicitly by a test (e.g. bursts sharing one timestamp); otherwise the service clock */
  lastUpdateDateTime?: string;
  /** merge this incident into another: status redirected, redirectIncidentId set */
  redirectTo?: string;
}

/** A change of one alert through the control API (as the service or an analyst in the portal would make it). */
export interface AlertPatch {
  status?: string; severity?: string; classification?: string; determination?: string;
  /** any Graph serviceSource/detectionSource member, including those after unknownFutureValue */
  serviceSource?: string; detectionSource?: string;
  title?: string;
  assignedTo?: string | null;
  /** merged into the alert's; a key with null is removed */
  customDetails?: Record<string, string | null>;
  /** a comment to add (createdByDisplayName "Emulator control") */
  comment?: string;
  /** set explicitly by a test (e.g. bursts sharing one timestamp); otherwise the service clock */
  lastUpdateDateTime?: string;
}

export interface Tenant {
  /** Graph v1.0 face: paths under /v1.0/security/. Returns undefined when no route matches. */
  graph(req: FaceRequest): FaceResponse | undefined;
  /** Defender XDR face: paths under /api/. Returns undefined when no route matches. */
  defender(req: FaceRequest): FaceResponse | undefined;

  /** What the hunting tables are seeded with: the same entities and alerts as the incidents. */
  seedEntities(): SeedEntities;
  seedAlerts(): SeedAlert[];
  /** set once the hunting engine is built from seedEntities()/seedAlerts() */
  attachHunting(engine: HuntingEngine): void;

  /** Control, as a live tenant would change: every change moves lastUpdateDateTime (unless given). Return the incident in Graph's shape. */
  control: {
    addIncident(input: Record<string, unknown>, now: Date): Record<string, unknown>;
    updateIncident(id: string, patch: IncidentPatch, now: Date): Record<string, unknown> | undefined;
    addAlert(incidentId: string, input: Record<string, unknown>, now: Date): Record<string, unknown> | undefined;
    /** changes one alert, moving its lastUpdateDateTime (and its incident's); returns it in Graph's shape, every enum member shown */
    updateAlert(id: string, patch: AlertPatch, now: Date): Record<string, unknown> | undefined;
    /** one alert in Graph's shape, every enum member shown (as with `Prefer: include-unknown-enum-members`) */
    alert(id: string): Record<string, unknown> | undefined;
    incidentCount(): number;
    alertCount(): number;
    /** identity accounts (tenant/identities.ts), optional so a small fake tenant may leave them out */
    identityAccount?(id: string): Record<string, unknown> | undefined;
    identityAccounts?(): Array<Record<string, unknown>>;
    addIdentityAccount?(input: IdentityAccountInput): Record<string, unknown>;
    accountActions?(identityAccountId?: string): AccountActionRecord[];
  };
}
