// Helpers for the tenant tests: build FaceRequests and a stand-in hunting engine.
import { type HuntingEngine, HuntingError, type HuntingRunOptions } from '../hunting/api';
import type { FaceRequest, FaceResponse, Tenant } from './api';
import { createTenant } from './index';

export const NOW = new Date('2025-06-01T12:00:00.000Z');
export const TENANT_ID = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
export const ORIGIN = 'https://127.0.0.1:8443';

export const GRAPH_RW = ['SecurityIncident.ReadWrite.All', 'SecurityAlert.ReadWrite.All', 'ThreatHunting.Read.All'];
export const GRAPH_RO = ['SecurityIncident.Read.All'];
export const LEGACY_RW = ['Incident.ReadWrite.All', 'AdvancedHunting.Read.All'];
export const LEGACY_RO = ['Incident.Read.All'];

export function tenant(incidents = 60, seed = 42): Tenant {
  return createTenant({ seed, incidents, tenantId: TENANT_ID, now: NOW });
}

export interface ReqInit { method?: string; query?: string; body?: unknown; roles?: string[]; now?: Date; headers?: Record<string, string> }
export function req(path: string, init: ReqInit = {}): FaceRequest {
  return {
    method: init.method ?? 'GET', path, rawQuery: init.query ?? '',
    rawBody: init.body === undefined ? '' : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    headers: init.headers ?? {}, origin: ORIGIN,
    caller: { clientId: '11111111-2222-3333-4444-555555555555', appDisplayName: 'Emulator test app', roles: new Set(init.roles ?? [...GRAPH_RW, ...LEGACY_RW]), tenantId: TENANT_ID },
    now: init.now ?? NOW,
  };
}

// `any` only here: parsed JSON response bodies (the JSON boundary).
export type J = Record<string, any>;
export function json(res: FaceResponse | undefined): J {
  if (!res) throw new Error('no route matched');
  return res.body as J;
}

/** Encodes an OData query the way a careful client does: each value with encodeURIComponent. */
export function qs(params: Record<string, string | number>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');
}

/** A stand-in engine: records the window it was given, fails on queries containing "boom". */
export class FakeEngine implements HuntingEngine {
  calls: Array<{ query: string; options: HuntingRunOptions }> = [];
  run(query: string, options: HuntingRunOptions) {
    this.calls.push({ query, options });
    if (query.includes('boom')) throw new HuntingError(400, 'BadRequest', "Query could not be parsed at 'boom' on line [1,0]");
    return {
      schema: [{ name: 'Timestamp', type: 'DateTime' }, { name: 'DeviceName', type: 'String' }],
      rows: [{ Timestamp: '2025-05-31T10:00:00.0000000Z', DeviceName: 'finance-001.contoso.com' }],
      stats: { executionTimeSeconds: 0.0312, rowsScanned: 10 },
    };
  }
  addRows(): void { /* not used */ }
  schema() { return {}; }
  counts() { return {}; }
}
