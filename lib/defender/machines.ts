// Machines and machine actions on the Defender for Endpoint API (surfaces.ts: the `endpoint` surface; DESIGN.md: one
// module per resource). Every call to /api/machines and /api/machineactions is here, so that moving them to Graph when
// Microsoft publishes an API for them is this file's change.
//
// Microsoft's pages followed (defender-endpoint/api/, reference defender-api-next.md §2.2-2.5):
// - get-machines.md: `GET /api/machines` with $filter on computerDnsName, id, lastIpAddress, ...; $top up to 10,000.
//   exposed-apis-odata-samples.md: `$filter=startswith(computerDnsName,'mymachine')`, string literals in single quotes.
// - get-machine-by-id.md: `GET /api/machines/{id}`, 404 when not found.
// - find-machines-by-ip.md: `GET /api/machines/findbyip(ip='{IP}',timestamp={TimeStamp})`: the machines that
//   communicated with the IP within 15 minutes before or after the time, which must be within the last 30 days.
// - machineaction.md: id, type, status (Pending, InProgress, Succeeded, Failed, TimeOut, Cancelled), machineId,
//   requestorComment, creationDateTimeUtc, lastUpdateDateTimeUtc, relatedFileInfo.
// - get-machineactions-collection.md: $filter on id, status, machineId, type, requestor, creationDateTimeUtc.
// - get-machineaction-object.md: `GET /api/machineactions/{id}`.
// - isolate-machine.md, unisolate-machine.md, run-av-scan.md, restrict-code-execution.md,
//   unrestrict-code-execution.md, collect-investigation-package.md, stop-and-quarantine-file.md: `POST
//   /api/machines/{id}/<action>` with a JSON body whose property names are case-sensitive (Comment, IsolationType,
//   ScanType, Sha1); 201 and the machine action. Sending the same action again while one is pending "returns 'pending
//   machine action' or HTTP 400 with the message 'Action is already in progress'" (unisolate-machine.md,
//   unrestrict-code-execution.md); the live-response page names the 400's code ActiveRequestAlreadyExists.
// - get-package-sas-uri.md: `GET /api/machineactions/{id}/GetPackageUri` → `{"value": "<uri>"}`, once the collection
//   has succeeded (404 before); application permission Machine.Read.All or Machine.ReadWrite.All; 2 calls a minute.

import { isIP } from 'node:net';
import { ActionError, invalidInput } from '../runtime/errors';
import { expectObject, kindOf, listPage, shapeError, type Answered, type JsonObject } from '../runtime/shape';
import type { MicrosoftError } from '../http/errors';
import { markUnknownOutcome, type Capability, type DefenderApi } from './api';
import { encodeQueryValue, nextLinkPath, odataString } from './odata';
import { PageGuard } from './pages';

/** A machine id: 40 hex digits (machine.md: "id String Machine identity"; every sample is a SHA-1-like hex string). */
export const MACHINE_ID = /^[0-9a-f]{40}$/i;
/** A machine action id: a GUID (machineaction.md: "ID Guid"). */
export const MACHINE_ACTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const SHA1 = /^[0-9a-f]{40}$/i;

export const MACHINE_ACTION_TYPES = ['Isolate', 'Unisolate', 'RunAntiVirusScan', 'RestrictCodeExecution', 'UnrestrictCodeExecution', 'CollectInvestigationPackage', 'StopAndQuarantineFile'] as const;
export type MachineActionType = (typeof MACHINE_ACTION_TYPES)[number];
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'TimeOut', 'Cancelled']);
export const OPEN_STATUSES: ReadonlySet<string> = new Set(['Pending', 'InProgress']);

/** A machine as Microsoft sent it (every field kept); the fields this package reads are checked. */
export interface Machine extends JsonObject {
  id: string;
  computerDnsName: string | null;
}

/** A machine action as Microsoft sent it (every field kept); the fields this package reads are checked. */
export interface MachineAction extends JsonObject {
  id: string;
  type: string;
  status: string;
  machineId: string | null;
  requestorComment: string | null;
  creationDateTimeUtc: string | null;
}

/** `id`, lower-cased, or INVALID_INPUT naming `param`. */
export function checkMachineId(id: string, param = 'device_ids'): string {
  const t = typeof id === 'string' ? id.trim() : '';
  if (!MACHINE_ID.test(t)) throw invalidInput(`Parameter '${param}' must hold Defender for Endpoint machine ids (40 hexadecimal digits, e.g. 1e5bc9d7e413ddd7902c2932e418702b84d0cc07); got ${JSON.stringify(id)}.`);
  return t.toLowerCase();
}

export function checkMachineActionId(id: string, param = 'machine_action_id'): string {
  const t = typeof id === 'string' ? id.trim() : '';
  if (!MACHINE_ACTION_ID.test(t)) throw invalidInput(`Parameter '${param}' must be a machine action id (a GUID, e.g. 5382f7ea-7557-4ab7-9782-d50480024a4e); got ${JSON.stringify(id)}.`);
  return t.toLowerCase();
}

const optionalText = (o: JsonObject, key: string, at: Answered, what: string): string | null => {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw shapeError(at, `${what} whose '${key}' is ${kindOf(v)}`, `'${key}' to be text`);
  return v;
};

/** A machine record, or API_ERROR. */
export function toMachine(v: unknown, at: Answered): Machine {
  const o = expectObject(v, at, 'a machine (a JSON object)');
  if (typeof o['id'] !== 'string' || o['id'] === '') throw shapeError(at, `a machine whose 'id' is ${kindOf(o['id'])}`, "a machine with its 'id' (text)");
  for (const key of ['computerDnsName', 'lastIpAddress', 'osPlatform', 'healthStatus', 'riskScore', 'exposureLevel', 'lastSeen']) optionalText(o, key, at, 'a machine');
  if (o['machineTags'] !== undefined && o['machineTags'] !== null && !Array.isArray(o['machineTags'])) throw shapeError(at, `a machine whose 'machineTags' is ${kindOf(o['machineTags'])}`, "'machineTags' to be a list");
  return { ...o, id: o['id'], computerDnsName: optionalText(o, 'computerDnsName', at, 'a machine') } as Machine;
}

/** A machine action record, or API_ERROR. */
export function toMachineAction(v: unknown, at: Answered): MachineAction {
  const o = expectObject(v, at, 'a machine action (a JSON object)');
  for (const key of ['id', 'type', 'status'] as const) {
    if (typeof o[key] !== 'string' || o[key] === '') throw shapeError(at, `a machine action whose '${key}' is ${kindOf(o[key])}`, `a machine action with its '${key}' (text)`);
  }
  const creation = optionalText(o, 'creationDateTimeUtc', at, 'a machine action');
  if (creation !== null && !Number.isFinite(Date.parse(creation))) throw shapeError(at, `a machine action whose 'creationDateTimeUtc' is ${JSON.stringify(creation)}`, "'creationDateTimeUtc' to be a timestamp");
  return {
    ...o,
    id: o['id'] as string,
    type: o['type'] as string,
    status: o['status'] as string,
    machineId: optionalText(o, 'machineId', at, 'a machine action'),
    requestorComment: optionalText(o, 'requestorComment', at, 'a machine action'),
    creationDateTimeUtc: creation,
  };
}

const at = (api: DefenderApi, label: string): Answered => ({ api: api.name, label });

/** The machine with this id, or undefined when Microsoft has none (404). */
export async function getMachine(api: DefenderApi, id: string): Promise<Machine | undefined> {
  const label = `reading device ${id}`;
  const answer = await api.call({ method: 'GET', path: `/api/machines/${encodeURIComponent(checkMachineId(id, 'device_id'))}`, label, capability: 'readMachines' }).catch((err: unknown) => {
    if (err instanceof ActionError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  });
  return answer === undefined ? undefined : toMachine(answer, at(api, label));
}

/** The page size asked for ($top; Microsoft allows up to 10,000: get-machines.md, get-machineactions-collection.md). */
export const PAGE_TOP = 1000;
/** The most pages one list read takes (20,000 items): more is API_ERROR, never a partial answer. */
export const MAX_LIST_PAGES = 20;

/**
 * Every item of a list call, bounded. Microsoft's Defender for Endpoint lists take `$top` and `$skip` and, with `$top`,
 * write no @odata.nextLink (reference §2.4: MicrosoftDocs/microsoft-365-docs #8489; get-machineactions-collection.md
 * and get-machines.md document `$top` and `$skip`): so the next page is asked with `$skip` until a page is shorter than
 * `$top`. A nextLink that does come is followed instead. Both go through one PageGuard (pages.ts): more than
 * MAX_LIST_PAGES pages, a page asked twice, or an empty page that names a next one is API_ERROR. Items seen twice (the
 * list moved under `$skip`) are kept once, by id.
 */
async function listAll(api: DefenderApi, base: '/api/machines' | '/api/machineactions', filter: string, label: string): Promise<unknown[]> {
  const where = at(api, label);
  const guard = new PageGuard(where, MAX_LIST_PAGES);
  const query = (skip: number) => `${base}?$filter=${encodeQueryValue(filter)}&$top=${PAGE_TOP}${skip ? `&$skip=${skip}` : ''}`;
  const items: unknown[] = [];
  const ids = new Set<string>();
  let skip = 0;
  let path: string | undefined = query(0);
  while (path !== undefined) {
    guard.count();
    guard.unseen(path, 'a next page already read');
    const page = listPage(await api.call({ method: 'GET', path, label, capability: 'readMachines' }), where);
    guard.page(page.value.length, page.nextLink !== undefined);
    for (const item of page.value) {
      const id = item && typeof item === 'object' && !Array.isArray(item) ? (item as JsonObject)['id'] : undefined;
      if (typeof id === 'string') {
        if (ids.has(id)) continue;
        ids.add(id);
      }
      items.push(item);
    }
    skip += page.value.length;
    if (page.nextLink !== undefined) path = nextLinkPath(page.nextLink, api.apiUrl);
    else path = page.value.length < PAGE_TOP ? undefined : query(skip);
  }
  return items;
}

/** The machines of a list call with this filter: every page (listAll). */
async function machinesOf(api: DefenderApi, filter: string, label: string): Promise<Machine[]> {
  return (await listAll(api, '/api/machines', filter, label)).map((m) => toMachine(m, at(api, label)));
}

const firstLabel = (name: string): string => name.split('.')[0]!;

/** A host name as an entity gives it: a DNS name or a short name (letters, digits, - and _ in dot-separated labels). */
export const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*\.?$/i;

/**
 * The machines a HOSTNAME names, compared without regard to case: a short name (no dot) matches the first label of
 * computerDnsName (ws-01 is ws-01.contoso.com), a DNS name matches computerDnsName whole (or a machine whose
 * computerDnsName is only that name's first label). The call is `startswith(computerDnsName, '<first label>')` (the
 * OData samples' form) with the label as given: Microsoft does not document whether startswith ignores case. When
 * nothing matches and the label's lower-case form differs, it is asked once more lower-cased (Defender writes DNS
 * names in lower case in its samples). The exact match on the answer ignores case.
 */
export async function findMachinesByName(api: DefenderApi, hostname: string): Promise<Machine[]> {
  const name = hostname.trim().replace(/\.$/, '');
  const wanted = name.toLowerCase();
  const short = firstLabel(wanted);
  const matching = (m: Machine): boolean => {
    const dns = (m.computerDnsName ?? '').toLowerCase();
    if (!wanted.includes('.')) return firstLabel(dns) === wanted;
    return dns === wanted || dns === short;
  };
  const ask = async (label: string) => (await machinesOf(api, `startswith(computerDnsName,${odataString(label, 'HOSTNAME')})`, `looking up device ${hostname}`)).filter(matching);
  const given = firstLabel(name);
  const found = await ask(given);
  if (found.length > 0 || given.toLowerCase() === given) return found;
  return ask(given.toLowerCase());
}

/**
 * The machines seen with an IP address around `now` (findbyip: within 15 minutes of the time given). The address is
 * checked (node:net isIP) before it goes into the path.
 */
export async function findMachinesByIp(api: DefenderApi, ip: string, now: Date): Promise<Machine[]> {
  const address = ip.trim();
  if (isIP(address) === 0) throw invalidInput(`ADDRESS entity ${JSON.stringify(ip)} is not an IPv4 or IPv6 address.`);
  const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const label = `looking up the devices seen with ${address}`;
  const page = listPage(await api.call({ method: 'GET', path: `/api/machines/findbyip(ip='${encodeURIComponent(address)}',timestamp=${timestamp})`, label, capability: 'readMachines' }), at(api, label));
  // find-machines-by-ip.md documents one answer, no paging: a nextLink would mean devices left unread, and a partial
  // answer could hide an ambiguity, so it is an API error rather than a guess
  if (page.nextLink !== undefined) throw shapeError(at(api, label), 'a page of machines with @odata.nextLink', 'one page of machines, as find-machines-by-ip.md answers');
  return page.value.map((m) => toMachine(m, at(api, label)));
}

/** One machine action by id; undefined when Microsoft has none (404). */
export async function getMachineAction(api: DefenderApi, id: string): Promise<MachineAction | undefined> {
  const label = `reading machine action ${id}`;
  const answer = await api.call({ method: 'GET', path: `/api/machineactions/${encodeURIComponent(checkMachineActionId(id))}`, label, capability: 'readMachines' }).catch((err: unknown) => {
    if (err instanceof ActionError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  });
  return answer === undefined ? undefined : toMachineAction(answer, at(api, label));
}

const newestFirst = (a: MachineAction, b: MachineAction): number => Date.parse(b.creationDateTimeUtc ?? '') - Date.parse(a.creationDateTimeUtc ?? '') || 0;

/**
 * The machine actions of a device, newest first (by creationDateTimeUtc: the list's order is not documented), of the
 * given types when `types` is given: the types go into the `$filter` (`machineId eq '…' and (type eq 'Isolate' or type
 * eq 'Unisolate')`, get-machineactions-collection.md: "Supports OData V4 queries", $filter on machineId and type; the
 * `or` between parentheses is OData V4's, not shown in Microsoft's samples, which use `and` only, and is what public
 * scripts against this API send), and every page is read (listAll),
 * so the newest of those types is never on a page left unread.
 */
export async function machineActionsOf(api: DefenderApi, machineId: string, types?: readonly MachineActionType[]): Promise<MachineAction[]> {
  const id = checkMachineId(machineId, 'device_id');
  const label = `reading the machine actions of device ${id}`;
  const typed = types && types.length ? ` and (${types.map((t) => `type eq ${odataString(t)}`).join(' or ')})` : '';
  const actions = (await listAll(api, '/api/machineactions', `machineId eq ${odataString(id)}${typed}`, label)).map((a) => toMachineAction(a, at(api, label)));
  return actions.filter((a) => !types || (types as readonly string[]).includes(a.type)).sort(newestFirst);
}

/** The path segment of each action's POST (case as Microsoft's pages write it). */
export const ACTION_PATHS: Readonly<Record<MachineActionType, string>> = {
  Isolate: 'isolate',
  Unisolate: 'unisolate',
  RunAntiVirusScan: 'runAntiVirusScan',
  RestrictCodeExecution: 'restrictCodeExecution',
  UnrestrictCodeExecution: 'unrestrictCodeExecution',
  CollectInvestigationPackage: 'collectInvestigationPackage',
  StopAndQuarantineFile: 'StopAndQuarantineFile',
};

export const ACTION_CAPABILITIES: Readonly<Record<MachineActionType, Capability>> = {
  Isolate: 'isolate',
  Unisolate: 'isolate',
  RunAntiVirusScan: 'scan',
  RestrictCodeExecution: 'restrict',
  UnrestrictCodeExecution: 'restrict',
  CollectInvestigationPackage: 'collect',
  StopAndQuarantineFile: 'stopAndQuarantine',
};

/** Microsoft's answer that the same action is already pending on the device (a 400, or a 409 to be safe). */
export function isAlreadyPending(status: number, error: MicrosoftError): boolean {
  if (status !== 400 && status !== 409) return false;
  return error.code === 'ActiveRequestAlreadyExists' || /already in progress|pending machine action|already (?:pending|exists)/i.test(error.message ?? '');
}

export type Requested = { action: MachineAction } | { alreadyPending: MicrosoftError };

class AlreadyPending {
  constructor(readonly error: MicrosoftError) {}
}

/**
 * POSTs one machine action, once (idempotent: false: a reset or a 504 is never followed by a second POST; the caller
 * looks the action up instead, isUnknownOutcome in api.ts). Microsoft's "already in progress" refusal is returned as
 * `alreadyPending`, not thrown.
 */
export async function requestMachineAction(api: DefenderApi, machineId: string, type: MachineActionType, body: Record<string, string>, what: string): Promise<Requested> {
  const id = checkMachineId(machineId, 'device_ids');
  const label = `${what} on device ${id}`;
  const answer = await api.call({
    method: 'POST',
    path: `/api/machines/${encodeURIComponent(id)}/${ACTION_PATHS[type]}`,
    body,
    label,
    capability: ACTION_CAPABILITIES[type],
    idempotent: false,
    unknownOutcome: `The ${type} action may have been created on device ${id} all the same; it is looked up before anything else is sent.`,
    onRefusal: (status, error) => (isAlreadyPending(status, error) ? new AlreadyPending(error) : undefined),
  });
  if (answer instanceof AlreadyPending) return { alreadyPending: answer.error };
  try {
    return { action: toMachineAction(answer, at(api, label)) };
  } catch (err) {
    // a 2xx answer: Microsoft created the action, whatever the body says; the outcome is unknown, not "not sent"
    if (!(err instanceof ActionError)) throw err;
    throw markUnknownOutcome(new ActionError(err.code, `${err.message} Microsoft accepted the request, so the ${type} action may have been created on device ${id}; it is looked up before anything else is sent.`, { cause: err }));
  }
}

/** The investigation package's download link of a succeeded collection (GetPackageUri), or API_ERROR. */
export async function packageUri(api: DefenderApi, actionId: string): Promise<string> {
  const label = `reading the package link of machine action ${actionId}`;
  const o = expectObject(await api.call({ method: 'GET', path: `/api/machineactions/${encodeURIComponent(checkMachineActionId(actionId))}/GetPackageUri`, label, capability: 'readMachines' }), at(api, label));
  if (typeof o['value'] !== 'string' || o['value'] === '') throw shapeError(at(api, label), `an object whose 'value' is ${kindOf(o['value'])}`, "the package's link in 'value'");
  return o['value'];
}
