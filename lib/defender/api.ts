// One API surface (surfaces.ts: Graph security v1.0, the Defender XDR API or the Defender for Endpoint API) as authenticated JSON calls: a bearer
// token from lib/auth for the surface's audience, one renewal when a cached token is refused (401), and Microsoft's
// errors as ActionErrors that name the permission the call needs on that surface.

import type { ActionContext } from '../runtime/action';
import type { ApiFlavor, Config } from '../runtime/config';
import { ActionError } from '../runtime/errors';
import type { Logger } from '../runtime/log';
import { shapeError } from '../runtime/shape';
import { createHttpClient, errorForResponse, errorForTransport, parseMicrosoftError, TransportError, type HttpClient, type HttpMethod, type Transport } from '../http';
import type { MicrosoftError } from '../http/errors';
import { hasRetryAfter } from '../http/retry';
import { createTokenProvider, type TokenProvider } from '../auth';
import { permissionFor, RESOURCE_OF, surfaceFor, SURFACE_NAMES, type Capability, type Resource, type Surface, type SurfaceId } from './surfaces';

export type { Capability, Resource, Surface } from './surfaces';

/**
 * The application permission each capability needs, per configured API family (from surfaces.ts: on the Defender XDR
 * API, alerts still need Graph's SecurityAlert permissions, since alerts go to Graph; machines and indicators need the
 * Defender for Endpoint API's whatever the family).
 */
export const PERMISSIONS: Readonly<Record<Capability, Readonly<Record<ApiFlavor, string>>>> = Object.fromEntries(
  (Object.keys(RESOURCE_OF) as Capability[]).map((c) => [c, { graph: permissionFor(c, 'graph').permission, defender: permissionFor(c, 'defender').permission }]),
) as Record<Capability, Record<ApiFlavor, string>>;

export const API_NAMES: Readonly<Record<SurfaceId, string>> = SURFACE_NAMES;

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
  /**
   * For a call that is not repeated: what to tell the user when it failed in a way that may have reached Microsoft (no
   * complete answer after sending, a gateway's 502/504, a 503 without Retry-After), e.g. "The comment may already be on alert X: ..."
   */
  unknownOutcome?: string;
  /**
   * For an answer Microsoft gives when the request is refused (4xx) that the caller reads as an outcome, not an error
   * (a machine action already pending on the device): returns what call() gives back instead of throwing, or
   * undefined to throw as usual. It sees the status and Microsoft's error code and message.
   */
  onRefusal?: (status: number, error: MicrosoftError) => unknown;
}

const UNKNOWN = new WeakSet<object>();

/**
 * Whether `err` is a call that is not repeated failing in a way that may have reached Microsoft: no complete answer
 * after sending (a reset, a timeout), a gateway's 502/504 or a 503 without Retry-After. Its outcome is unknown; look before acting again.
 */
export const isUnknownOutcome = (err: unknown): boolean => typeof err === 'object' && err !== null && UNKNOWN.has(err);

/**
 * Marks `err` as an unknown outcome (isUnknownOutcome) for a caller that knows the write may have been applied though
 * call() returned: a 2xx answer to a POST whose body is not the shape asked for (Microsoft did what was asked).
 */
export function markUnknownOutcome(err: ActionError): ActionError {
  UNKNOWN.add(err);
  return err;
}

const isIdempotentCall = (call: ApiCall): boolean => call.idempotent ?? call.method !== 'POST';

export interface DefenderApi {
  /** the surface: which backend a resource module uses */
  readonly flavor: SurfaceId;
  readonly surface: Surface;
  /** the surface's root (nextLinks are followed only on its origin) */
  readonly apiUrl: string;
  readonly tokens: TokenProvider;
  /** the name of the API in messages: "Microsoft Graph", "the Defender XDR API", "the Defender for Endpoint API" */
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
  /** the resource the calls are about, which decides the surface (default: incidents, the configured API) */
  resource?: Resource;
  /** for tests */
  transport?: Transport;
}

export function createDefenderApi(deps: DefenderApiDeps): DefenderApi {
  const { config } = deps;
  const surface = surfaceFor(config, deps.resource ?? 'incidents');
  const http: HttpClient = createHttpClient(config, { log: deps.log, deadline: deps.deadline, ...(deps.signal ? { signal: deps.signal } : {}), ...(deps.transport ? { transport: deps.transport } : {}) });
  const tokens = createTokenProvider(config, { http, log: deps.log, addSecret: deps.addSecret, scope: surface.scope });
  const api = surface.name;
  const send = async (call: ApiCall, token: string) => {
    try {
      return await http.send({
        method: call.method,
        url: `${surface.root}${call.path}`,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          // Graph replaces the members of an evolvable enum added after its unknownFutureValue sentinel by
          // unknownFutureValue unless a call opts in (security-incident.md: status awaitingAction; security-alert.md:
          // serviceSource microsoftDefenderForCloud, detectionSource microsoftDefenderForDatabases, ...)
          ...(surface.id === 'graph' ? { Prefer: 'include-unknown-enum-members' } : {}),
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
  const permissionOf = (capability: Capability): string => {
    const permission = surface.permissions[capability];
    if (permission === undefined) throw new ActionError('INTERNAL', `${surface.name} does not serve ${capability}; this is a bug in the package.`);
    return permission;
  };
  return {
    flavor: surface.id,
    surface,
    apiUrl: surface.root,
    name: api,
    tokens,
    async call(call: ApiCall): Promise<unknown> {
      const permission = permissionOf(call.capability);
      // the outcome of a call that is not repeated and may have reached Microsoft is unknown: the message says so
      const unknown = (err: ActionError): ActionError => {
        const marked = call.unknownOutcome ? new ActionError(err.code, `${err.message} ${call.unknownOutcome}`, { cause: err }) : err;
        if (!isIdempotentCall(call)) UNKNOWN.add(marked);
        return marked;
      };
      let token = await tokens.getToken();
      let response;
      try {
        response = await send(call, token);
        if (response.status === 401) {
          token = await tokens.renew(token);
          response = await send(call, token);
        }
      } catch (err) {
        const transport = err instanceof ActionError ? err.cause : undefined;
        throw err instanceof ActionError && transport instanceof TransportError && transport.maybeSent ? unknown(err) : err;
      }
      if (response.status < 200 || response.status > 299) {
        if (call.onRefusal && response.status >= 400 && response.status <= 499) {
          const taken = call.onRefusal(response.status, parseMicrosoftError(response.body));
          if (taken !== undefined) return taken;
        }
        const error = errorForResponse(response, { label: call.label, permission, api, ...(config.proxy ? { proxy: config.proxy.display } : {}) });
        // a gateway's 502/504, or a 503 without Retry-After (lib/http/retry.ts: not the documented "come back later"),
        // may come after the request was forwarded
        const mayHaveLanded = response.status === 502 || response.status === 504 || (response.status === 503 && !hasRetryAfter(response.headers));
        throw mayHaveLanded ? unknown(error) : error;
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

/**
 * The API of an action's context for a resource (default: incidents, the configured API). `deadline` (default the
 * run's) is when retries must have ended: a run that must write a result after its calls passes an earlier one.
 */
export const defenderApiFor = (ctx: ActionContext<unknown>, resource: Resource = 'incidents', deadline = ctx.deadline): DefenderApi =>
  createDefenderApi({ config: ctx.config, log: ctx.log, deadline, signal: ctx.signal, addSecret: ctx.addSecret, resource });

/** The time kept free before the deadline for writing the result: a tenth of the run, from 1 s to 10 s. */
export const marginMs = (totalMs: number): number => Math.min(10_000, Math.max(1_000, Math.round(totalMs * 0.1)));

export interface StoppingApi {
  api: DefenderApi;
  /** epoch ms: the deadline less marginMs */
  stopAt: number;
  /** aborted at `stopAt`, or with the run's own signal */
  signal: AbortSignal;
}

/**
 * The API of a run that must write its result after its calls (the device, indicator and account actions): retries
 * and requests end at `stopAt`, the deadline less marginMs, so that the result says what was done and what was not
 * started instead of the run failing at its deadline. `transport`: for tests.
 */
export function stoppingApiFor(ctx: ActionContext<unknown>, resource: Resource, transport?: Transport): StoppingApi {
  const stopAt = ctx.deadline - marginMs(ctx.deadline - Date.now());
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(0, stopAt - Date.now()))]);
  const api = createDefenderApi({ config: ctx.config, log: ctx.log, deadline: stopAt, signal, addSecret: ctx.addSecret, resource, ...(transport ? { transport } : {}) });
  return { api, stopAt, signal };
}

/**
 * The error codes after which a stopping run (the indicator and account actions) tries no further entity and fails,
 * saying what had been done before. Not TIMEOUT: one request's time running out (M365D_TIMEOUT) is the failure of that
 * entity; the run's own stop (isStopped) ends the loop with a result that lists what was done and what was not started.
 */
export const RUN_STOPPING_CODES: ReadonlySet<string> = new Set(['AUTHENTICATION', 'PERMISSION', 'THROTTLED', 'CONFIGURATION', 'INTERNAL']);

/** A run-stopping error as the run fails with it: its message followed by what had been done before it. */
export const failedAfter = (err: ActionError, done: readonly string[]): ActionError =>
  new ActionError(err.code, `${err.message}${done.length ? ` Before that, done: ${done.join(', ')}.` : ''}`, { cause: err });

/** The message of an entity a stopping run did not start because it stopped before its deadline. */
export const NOT_STARTED = 'Not started: the run stopped before its deadline (the lesser of M365D_ACTION_TIMEOUT and the action\'s timeout) so that this result could be written; nothing was sent for it.';

/**
 * Whether an error is the run being stopped (its signal aborted: the stop margin, the deadline, a signal to the
 * process; the transport's kind `aborted`), not one request's own time running out (M365D_TIMEOUT, kind `timeout`),
 * which is the failure of that entity only.
 */
export function isStopped(err: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof TransportError) return e.kind === 'aborted';
  }
  return false;
}
