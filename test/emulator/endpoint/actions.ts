// The response actions (POST /api/machines/{id}/<action>) and the machine actions they create
// (GET /api/machineactions, /api/machineactions/{id}, …/GetPackageUri, POST …/cancel).
//
// Sources (MicrosoftDocs/defender-docs defender-endpoint/api/, reference §2.2–2.3):
//   isolate-machine.md        Comment (required), IsolationType Full | Selective | UnManagedDevice; Machine.Isolate
//   unisolate-machine.md      Comment; Machine.Isolate
//   run-av-scan.md            Comment, ScanType Quick | Full; Machine.Scan
//   restrict-code-execution.md / unrestrict-code-execution.md   Comment; Machine.RestrictExecution
//   collect-investigation-package.md   Comment; Machine.CollectForensics
//   stop-and-quarantine-file.md   POST /api/machines/{id}/StopAndQuarantineFile (per machine, as the page documents),
//                             Comment and Sha1 (both required); Machine.StopAndQuarantine (the page also lists
//                             Machine.Read.All and Machine.ReadWrite.All: the emulator takes Machine.ReadWrite.All, not a
//                             read permission for a write — the brief's reading of that table)
//   each: "201 - Created response code and Machine Action in the response body"; "body parameters are case-sensitive"
//                             (common-errors.md): a `comment` in lower case is an unknown property, and Comment is missing.
//   get-machineaction-object.md, get-machineactions-collection.md  ($filter on id, status, machineId, type, requestor,
//                             creationDateTimeUtc; $top ≤ 10,000; $skip; Machine.Read.All or Machine.ReadWrite.All)
//   get-package-sas-uri.md    GET /api/machineactions/{id}/getPackageUri: 200 {"@odata.context": "…#Edm.String", "value": …};
//                             "If the machine action for the collection exists but isn't complete, this returns 404 Not
//                             Found"; Machine.Read.All or Machine.ReadWrite.All; 2 calls a minute, 120 an hour
//   cancel-machine-action.md  POST /api/machineactions/{id}/cancel {Comment}: an action "that isn't yet in final state";
//                             200 + the machine action; 404 when unknown; any of the action permissions
//
// Duplicates (reference §2.2 bottom). Documented: "If you send multiple API calls to run an antivirus scan [to remove
// isolation] for the same device, it returns "pending machine action" or HTTP 400 with the message "Action is already in
// progress"" (run-av-scan.md, unisolate-machine.md, restrict-code-execution.md — "to restrict app execution"); "If a collection is already running, this returns 400 Bad Request"
// (collect-investigation-package.md). Observed for isolate: both answers, depending on timing (MicrosoftDocs/
// microsoft-365-docs#5903). The 400's code is ActiveRequestAlreadyExists (the code run-live-response.md documents for a
// second live-response session, and what integrations test for after a 400 on isolate, unisolate, scan and restrict,
// e.g. a Cortex responder for TheHive, class MSDefenderForEndpoint). The emulator follows the 400, always and for every action: a POST of the action type that is already Pending
// or InProgress on that machine (for StopAndQuarantineFile: the same Sha1) answers 400 {"code":"ActiveRequestAlreadyExists",
// "message":"Action is already in progress"} and creates nothing.
// Isolating an isolated machine (or releasing one that is not isolated, restricting a restricted one…) is accepted as a
// new action that runs its course and changes nothing: the docs say nothing, and #5903's observation (the duplicate
// isolate stays Pending) concerns an isolation still pending; chosen so that a repeated step finds its target as asked.
import * as crypto from 'node:crypto';
import type { FaceResponse } from '../tenant/api';
import type { FilterModel } from './filter';
import { type EndpointContext, type EndpointRoute, isAnswer, mdeError, ok, page, safeDecode } from './common';
import { type ActionType, type MachineAction, actionJson } from './model';
import { READ_ROLES } from './machines';

type Body = Record<string, unknown>;
type Parsed = { scope: string | null; sha1: string | null };

interface ActionSpec {
  path: string;
  type: ActionType;
  roles: readonly string[];
  parse(body: Body): Parsed | FaceResponse;
}

const incorrect = (why: string): FaceResponse => mdeError(400, 'InvalidRequestBody', `Request body is incorrect: ${why}`);
const missing = (name: string): FaceResponse => mdeError(400, 'MissingRequiredParameter', `Parameter ${name} is missing.`);

function oneOf(body: Body, name: string, allowed: string[], dflt: string | undefined): string | FaceResponse {
  const v = body[name];
  if (v === undefined || v === null) return dflt ?? missing(name);
  if (typeof v !== 'string' || !allowed.includes(v)) return incorrect(`${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)}).`);
  return v;
}

const NONE = (): Parsed => ({ scope: null, sha1: null });
export const ACTIONS: ActionSpec[] = [
  {
    path: 'isolate', type: 'Isolate', roles: ['Machine.Isolate'],
    parse(b) { const s = oneOf(b, 'IsolationType', ['Full', 'Selective', 'UnManagedDevice'], 'Full'); return isAnswer(s) ? s : { scope: s, sha1: null }; },
  },
  { path: 'unisolate', type: 'Unisolate', roles: ['Machine.Isolate'], parse: NONE },
  {
    path: 'runAntiVirusScan', type: 'RunAntiVirusScan', roles: ['Machine.Scan'],
    parse(b) { const s = oneOf(b, 'ScanType', ['Quick', 'Full'], undefined); return isAnswer(s) ? s : { scope: s, sha1: null }; },
  },
  { path: 'collectInvestigationPackage', type: 'CollectInvestigationPackage', roles: ['Machine.CollectForensics'], parse: NONE },
  { path: 'restrictCodeExecution', type: 'RestrictCodeExecution', roles: ['Machine.RestrictExecution'], parse: NONE },
  { path: 'unrestrictCodeExecution', type: 'UnrestrictCodeExecution', roles: ['Machine.RestrictExecution'], parse: NONE },
  {
    path: 'StopAndQuarantineFile', type: 'StopAndQuarantineFile', roles: ['Machine.StopAndQuarantine', 'Machine.ReadWrite.All'],
    parse(b) {
      const v = b.Sha1;
      if (v === undefined || v === null || v === '') return missing('Sha1');
      if (typeof v !== 'string' || !/^[0-9a-fA-F]{40}$/.test(v)) return mdeError(400, 'InvalidHashValue', `Hash value ${typeof v === 'string' ? v : JSON.stringify(v)} is invalid.`);
      return { scope: null, sha1: v.toLowerCase() };
    },
  },
];

/** cancel-machine-action.md: any of the action permissions */
export const CANCEL_ROLES = ['Machine.CollectForensics', 'Machine.Isolate', 'Machine.RestrictExecution', 'Machine.Scan', 'Machine.Offboard', 'Machine.StopAndQuarantine', 'Machine.LiveResponse'];

interface Row { a: MachineAction; j: Record<string, unknown> }
const ACTION_FILTER: FilterModel<Row> = {
  typeName: 'MachineAction',
  fields: [
    { name: 'id', kind: 'string', get: (r) => r.a.id },
    { name: 'status', kind: 'string', get: (r) => r.j.status as string },
    { name: 'machineId', kind: 'string', get: (r) => r.a.machineId },
    { name: 'type', kind: 'string', get: (r) => r.a.type },
    { name: 'requestor', kind: 'string', get: (r) => r.a.requestor },
    { name: 'creationDateTimeUtc', kind: 'datetime', get: (r) => r.a.created },
  ],
};

function parseBody(raw: string): Body | FaceResponse {
  if (!raw.trim()) return missing('Comment');
  let b: unknown;
  try { b = JSON.parse(raw); } catch { return incorrect('the body is not valid JSON.'); }
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return incorrect('the body must be a JSON object.');
  return b as Body;
}

function comment(b: Body, required: boolean): string | null | FaceResponse {
  const c = b.Comment;
  if (c === undefined || c === null || c === '') return required ? missing('Comment') : null;
  if (typeof c !== 'string') return incorrect('Comment must be a string.');
  return c;
}

const entity = (ctx: EndpointContext, a: MachineAction): Record<string, unknown> =>
  ({ '@odata.context': `${ctx.req.origin}/api/$metadata#MachineActions/$entity`, ...actionJson(ctx.store, a, ctx.now) });

/** POST /api/machines/{id}/<action>, one route per action */
export function actionPostRoutes(): EndpointRoute[] {
  return ACTIONS.map((spec) => ({
    method: 'POST', pattern: new RegExp(`^/api/machines/([^/]+)/${spec.path}$`, 'i'), roles: spec.roles,
    handle(ctx, m) {
      const id = safeDecode(m[1]);
      const machine = ctx.store.machineById(id);
      if (!machine) return mdeError(404, 'ResourceNotFound', `Machine ${id} was not found`);
      const body = parseBody(ctx.req.rawBody);
      if (isAnswer(body)) return body;
      const c = comment(body, true);
      if (isAnswer(c)) return c;
      const p = spec.parse(body);
      if (isAnswer(p)) return p;
      const dup = ctx.store.actions.find((a) => a.machineId === machine.id && a.type === spec.type && (spec.type !== 'StopAndQuarantineFile' || a.sha1 === p.sha1)
        && ctx.store.active(a, ctx.now));
      if (dup) return mdeError(400, 'ActiveRequestAlreadyExists', 'Action is already in progress');
      const a = ctx.store.addAction({
        type: spec.type, scope: p.scope, requestor: ctx.req.caller.clientId, requestorComment: c as string, externalId: null,
        machineId: machine.id, computerDnsName: machine.computerDnsName, created: ctx.now, behaviour: machine.behaviour, sha1: p.sha1,
        packageToken: spec.type === 'CollectInvestigationPackage' ? crypto.randomBytes(24).toString('base64url') : undefined,
      });
      return ok(201, entity(ctx, a));
    },
  }));
}

/** /api/machineactions* */
export function machineActionRoutes(): EndpointRoute[] {
  return [
    {
      method: 'GET', pattern: /^\/api\/machineactions\/?$/i, roles: READ_ROLES,
      handle(ctx) {
        const rows = ctx.store.actionsNewestFirst().map((a) => ({ a, j: actionJson(ctx.store, a, ctx.now) }));
        const r = page(ctx.req.rawQuery, rows, ACTION_FILTER);
        if (isAnswer(r)) return r;
        return ok(200, { '@odata.context': `${ctx.req.origin}/api/$metadata#MachineActions`, value: r.value.map((x) => x.j) });
      },
    },
    {
      method: 'GET', pattern: /^\/api\/machineactions\/([^/]+)$/i, roles: READ_ROLES,
      handle(ctx, m) {
        const id = safeDecode(m[1]);
        const a = ctx.store.actionById(id);
        if (!a) return mdeError(404, 'ResourceNotFound', `Machine action ${id} was not found`);
        return ok(200, entity(ctx, a));
      },
    },
    {
      method: 'GET', pattern: /^\/api\/machineactions\/([^/]+)\/getPackageUri$/i, roles: READ_ROLES,
      handle(ctx, m) {
        const id = safeDecode(m[1]);
        const a = ctx.store.actionById(id);
        if (!a || a.type !== 'CollectInvestigationPackage') return mdeError(404, 'ResourceNotFound', `Investigation package collection ${id} was not found`);
        if (ctx.store.status(a, ctx.now).status !== 'Succeeded') {
          return mdeError(404, 'NotFound', `The investigation package of machine action ${id} is not available: the collection is not complete.`);
        }
        // The page's example writes the link as a JSON string inside the string ("\"https://…\""); modelled as shown.
        const link = `${ctx.req.origin}/_emulator/packages/${a.id}/WDATP_Investigation_Package.zip?token=${a.packageToken ?? ''}`;
        return ok(200, { '@odata.context': `${ctx.req.origin}/api/$metadata#Edm.String`, value: JSON.stringify(link) });
      },
    },
    {
      method: 'POST', pattern: /^\/api\/machineactions\/([^/]+)\/cancel$/i, roles: CANCEL_ROLES,
      handle(ctx, m) {
        const id = safeDecode(m[1]);
        const a = ctx.store.actionById(id);
        if (!a) return mdeError(404, 'ResourceNotFound', `Machine action ${id} was not found`);
        const body = ctx.req.rawBody.trim() ? parseBody(ctx.req.rawBody) : {};
        if (isAnswer(body)) return body;
        const c = comment(body, false);
        if (isAnswer(c)) return c;
        const s = ctx.store.status(a, ctx.now).status;
        if (s !== 'Pending' && s !== 'InProgress') {
          return mdeError(400, 'BadRequest', `Machine action ${id} is already in a final state (${s}) and cannot be cancelled.`);
        }
        a.cancelled = { at: ctx.now, by: ctx.req.caller.clientId, comment: c };
        return ok(200, entity(ctx, a));
      },
    },
  ];
}
