// The configured Defender API (Graph security v1.0 or Defender XDR) as authenticated JSON calls: a bearer token from
// lib/auth, one renewal when a cached token is refused (401), and Microsoft's errors as ActionErrors that name the
// permission the call needs on the configured API family.

import type { ActionContext } from '../runtime/action';
import type { ApiFlavor, Config } from '../runtime/config';
import type { Logger } from '../runtime/log';
import { shapeError } from '../runtime/shape';
import { createHttpClient, errorForResponse, errorForTransport, TransportError, type HttpClient, type HttpMethod, type Transport } from '../http';
import { createTokenProvider, type TokenProvider } from '../auth';

export type Capability = 'readIncidents' | 'writeIncidents' | 'readAlerts' | 'hunting';

/** The application permission each capability needs, per API family (Microsoft's permission references). */
export const PERMISSIONS: Readonly<Record<Capability, Readonly<Record<ApiFlavor, string>>>> = {
  readIncidents: { graph: 'SecurityIncident.Read.All', defender: 'Incident.Read.All' },
  writeIncidents: { graph: 'SecurityIncident.ReadWrite.All', defender: 'Incident.ReadWrite.All' },
  readAlerts: { graph: 'SecurityAlert.Read.All', defender: 'Incident.Read.All' },
  hunting: { graph: 'ThreatHunting.Read.All', defender: 'AdvancedHunting.Read.All' },
};

export const API_NAMES: Readonly<Record<ApiFlavor, string>> = { graph: 'Microsoft Graph', defender: 'the Defender XDR API' };

export interface ApiCall {
  method: HttpMethod;
  /** the path after the API root, query included: "/v1.0/security/incidents?$top=1" */
  path: string;
  body?: unknown;
  /** what the call does, for logs and messages */
  label: string;
  capability: Capability;
  /** may be repeated when it may already have been applied (default: every method but POST) */
  idempotent?: boolean;
}

export interface DefenderApi {
  readonly flavor: ApiFlavor;
  readonly apiUrl: string;
  readonly tokens: TokenProvider;
  /** the name of the API in messages: "Microsoft Graph", "the Defender XDR API" */
  readonly name: string;
  /**
   * The parsed JSON answer (undefined for an empty body), unchecked: read it through lib/runtime/shape.ts (listPage,
   * expectObject, huntingTable) or a model function that checks what it reads.
   */
  call(call: ApiCall): Promise<unknown>;
}

export interface DefenderApiDeps {
  config: Config;
  log: Logger;
  deadline: number;
  signal?: AbortSignal;
  addSecret(secret: string): void;
  /** for tests */
  transport?: Transport;
}

export function createDefenderApi(deps: DefenderApiDeps): DefenderApi {
  const { config } = deps;
  const http: HttpClient = createHttpClient(config, { log: deps.log, deadline: deps.deadline, ...(deps.signal ? { signal: deps.signal } : {}), ...(deps.transport ? { transport: deps.transport } : {}) });
  const tokens = createTokenProvider(config, { http, log: deps.log, addSecret: deps.addSecret });
  const api = API_NAMES[config.apiFlavor];
  const send = async (call: ApiCall, token: string) => {
    try {
      return await http.send({
        method: call.method,
        url: `${config.apiUrl}${call.path}`,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          // Graph replaces the members of an evolvable enum added after its unknownFutureValue sentinel by
          // unknownFutureValue unless a call opts in (security-incident.md: status awaitingAction; security-alert.md:
          // serviceSource microsoftDefenderForCloud, detectionSource microsoftDefenderForDatabases, ...)
          ...(config.apiFlavor === 'graph' ? { Prefer: 'include-unknown-enum-members' } : {}),
          ...(call.body !== undefined ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
        },
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        ...(call.idempotent !== undefined ? { idempotent: call.idempotent } : {}),
        label: call.label,
        json: true,
      });
    } catch (err) {
      throw err instanceof TransportError ? errorForTransport(err) : err;
    }
  };
  return {
    flavor: config.apiFlavor,
    apiUrl: config.apiUrl,
    name: api,
    tokens,
    async call(call: ApiCall): Promise<unknown> {
      let token = await tokens.getToken();
      let response = await send(call, token);
      if (response.status === 401) {
        token = await tokens.renew(token);
        response = await send(call, token);
      }
      if (response.status < 200 || response.status > 299) {
        throw errorForResponse(response, { label: call.label, permission: PERMISSIONS[call.capability][config.apiFlavor], api, ...(config.proxy ? { proxy: config.proxy.display } : {}) });
      }
      const notJson = () => shapeError({ api, label: call.label }, 'something that is not JSON', 'a JSON answer');
      // the transport parsed it as it arrived (a 30 MB hunting answer never becomes one string); a test's stand-in
      // transport may give the text instead
      if (response.json) {
        if ('invalid' in response.json) throw notJson();
        return response.json.value;
      }
      if (response.body.trim() === '') return undefined;
      try {
        return JSON.parse(response.body) as unknown;
      } catch {
        throw notJson();
      }
    },
  };
}

/** The API of an action's context. */
export const defenderApiFor = (ctx: ActionContext<unknown>): DefenderApi =>
  createDefenderApi({ config: ctx.config, log: ctx.log, deadline: ctx.deadline, signal: ctx.signal, addSecret: ctx.addSecret });
