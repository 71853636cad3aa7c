// The one way the device actions run (Isolate Device, Release Device From Isolation, Run Antivirus Scan, Restrict App
// Execution, Remove App Restriction, Collect Investigation Package, Stop And Quarantine File): resolve the devices, look
// at what is already so, send each machine action once, follow them within the deadline, and report one row per
// device and one outcome per entity (CONTRACT.md section 8).
//
// - Devices come from `device_ids` (40-hex machine ids, each read with GET /api/machines/{id}) and from HOSTNAME and
//   ADDRESS entities (machines.ts: by DNS name without regard to case, by findbyip at the current time). A target that
//   names no device is not_found; one that names several is ambiguous (the candidates are listed, none is guessed);
//   either way the others go on. A device named twice is acted on once.
// - Already as asked, where Microsoft's data says so: a device whose latest Isolate/Unisolate (or
//   RestrictCodeExecution/UnrestrictCodeExecution) is the action asked for and Succeeded is completed with nothing
//   sent; one whose latest is that action still Pending or InProgress is followed instead of asked again (a second
//   isolate request is what Microsoft's docs issue #5903 saw stay Pending and isolate the device after its release).
// - Each POST is sent once. Microsoft's "already in progress" refusal is not a failure: the pending action of that
//   type is found and followed. An unknown outcome (a reset, a 504, a 2xx answer of the wrong shape) is never retried:
//   the device's actions are read and one of that type with this run's comment, created no earlier than the POST's
//   start less CLOCK_SKEW_MS and not among the actions read before the POST, is followed; without one the row says the
//   outcome is unknown (and counts as sent).
// - The wait (wait_for_completion) ends before the run's deadline less a margin, so that the result is written; what
//   is still open is reported with its machine action id.

import { isIP } from 'node:net';
import type { ActionContext, ActionOutcome } from '../runtime/action';
import type { Entity } from '../runtime/entities';
import { ActionError, invalidInput } from '../runtime/errors';
import { splitList } from '../runtime/text';
import type { Transport } from '../http';
import { isUnknownOutcome, stoppingApiFor, type DefenderApi, type StoppingApi } from './api';
import { followActions } from './follow';
import {
  checkMachineId, SHA1, findMachinesByIp, findMachinesByName, getMachine, getMachineAction, HOST_NAME, machineActionsOf, OPEN_STATUSES, packageUri, requestMachineAction,
  type Machine, type MachineAction, type MachineActionType,
} from './machines';

export interface DeviceActionParams {
  comment: string;
  device_ids?: string;
  wait_for_completion?: boolean;
}

export interface DeviceActionSpec {
  type: MachineActionType;
  /** for labels: "isolating", "running an antivirus scan" */
  what: string;
  /** the state asked for, for messages: "isolated", "scanned" */
  asked: string;
  /** the body besides Comment, with Microsoft's property names (IsolationType, ScanType) */
  body?: Record<string, string>;
  /** the action that undoes this one: the latest of the two says whether the device is already as asked */
  opposite?: MachineActionType;
  /** Stop And Quarantine File: one action per device and SHA-1 */
  sha1s?: readonly string[];
  /** the value of `scope` Microsoft writes on this action (isolation: Full/Selective): an earlier one must match */
  scope?: string;
  /** Collect Investigation Package: the package link, once the collection succeeded */
  withPackage?: boolean;
}

export type DeviceOutcome = 'succeeded' | 'already' | 'requested' | 'pending' | 'failed' | 'unknown' | 'not_found' | 'ambiguous' | 'not_sent';

export interface DeviceRow {
  source: 'device_ids' | 'HOSTNAME' | 'ADDRESS';
  given: string;
  device_id: string | null;
  computer_dns_name: string | null;
  sha1?: string;
  outcome: DeviceOutcome;
  message: string;
  machine_action: MachineAction | null;
  candidates?: Array<{ id: string; computerDnsName: string | null }>;
  package_uri?: string | null;
}

export interface DeviceActionResult {
  devices: DeviceRow[];
  machine_action_ids: string[];
}

const GOOD: ReadonlySet<DeviceOutcome> = new Set(['succeeded', 'already', 'requested']);

export interface Target {
  source: DeviceRow['source'];
  given: string;
  entity?: Entity;
}

export { marginMs } from './api';

/** Why a HOSTNAME or ADDRESS target cannot name a device (before anything is sent), or undefined when it can. */
export function malformed(t: Target): string | undefined {
  if (t.source === 'HOSTNAME' && !HOST_NAME.test(t.given)) return `HOSTNAME entity ${JSON.stringify(t.given)} is not a host name (letters, digits, - and _ in dot-separated labels).`;
  if (t.source === 'ADDRESS' && isIP(t.given.trim()) === 0) return `ADDRESS entity ${JSON.stringify(t.given)} is not an IPv4 or IPv6 address.`;
  return undefined;
}

/**
 * The targets of a run, checked before anything is sent: INVALID_INPUT when there are none, or when none is usable
 * (every HOSTNAME / ADDRESS entity malformed and no device_ids), naming the entities. A malformed entity beside usable
 * targets stays in the run, as its own `not_sent` row (its entity outcome `failed`).
 */
export function targetsOf(deviceIds: string | undefined, entities: readonly Entity[], param = 'device_ids'): Target[] {
  const ids = [...new Set(splitList(deviceIds).map((id) => checkMachineId(id, param)))];
  const targets: Target[] = ids.map((id) => ({ source: 'device_ids', given: id }));
  for (const e of entities) if (e.type === 'HOSTNAME' || e.type === 'ADDRESS') targets.push({ source: e.type, given: e.identifier, entity: e });
  if (targets.length === 0) throw invalidInput(`No device given: give '${param}' (machine ids, comma-separated) or HOSTNAME / ADDRESS entities in scope.`);
  const why = targets.map(malformed);
  if (why.every((w) => w !== undefined)) {
    throw invalidInput(`No usable device: ${why.join(' ')} Give '${param}' (machine ids, comma-separated) or HOSTNAME entities with a host name or DNS name and ADDRESS entities with an IP address.`);
  }
  return targets;
}

const HASH_KINDS: Readonly<Record<number, string>> = { 32: 'an MD5', 64: 'a SHA-256', 128: 'a SHA-512' };

/**
 * The SHA-1 hashes of Stop And Quarantine File: the `sha1` parameter's and the FILEHASH entities', lower-cased, each
 * 40 hexadecimal digits (stop-and-quarantine-file.md: "Sha1 String Hash value of the file"). Anything else is
 * INVALID_INPUT naming the value and where it came from, before anything is sent.
 */
export function sha1sOf(param: string | undefined, entities: readonly Entity[]): string[] {
  const out: string[] = [];
  const take = (value: string, where: string) => {
    if (!SHA1.test(value)) {
      const hex = /^[0-9a-f]+$/i.test(value) ? HASH_KINDS[value.length] : undefined;
      throw invalidInput(`${where} ${JSON.stringify(value)} is ${hex ? `${hex} hash (${value.length} hexadecimal digits)` : 'not a SHA-1'}; Stop And Quarantine File takes SHA-1 hashes of 40 hexadecimal digits.`);
    }
    if (!out.includes(value.toLowerCase())) out.push(value.toLowerCase());
  };
  for (const v of splitList(param)) take(v, "Parameter 'sha1' holds");
  for (const e of entities) if (e.type === 'FILEHASH') take(e.identifier, 'FILEHASH entity');
  if (out.length === 0) throw invalidInput("No file to stop and quarantine: give 'sha1' (SHA-1 hashes, comma-separated) or FILEHASH entities in scope.");
  return out;
}

const fatal = (err: unknown): boolean => !(err instanceof ActionError) || err.code === 'PERMISSION' || err.code === 'AUTHENTICATION' || err.code === 'CONFIGURATION' || err.code === 'INTERNAL';
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const sameSha1 = (a: MachineAction, sha1: string | undefined): boolean => {
  if (!sha1) return true;
  const info = a['relatedFileInfo'];
  const id = info && typeof info === 'object' && !Array.isArray(info) ? (info as Record<string, unknown>)['fileIdentifier'] : undefined;
  return typeof id === 'string' && id.toLowerCase() === sha1;
};

/** Resolves one target to its machine, or the row saying why not. */
async function resolve(api: DefenderApi, t: Target, now: Date): Promise<{ machine: Machine } | { row: DeviceRow }> {
  const row = (outcome: DeviceOutcome, message: string, extra: Partial<DeviceRow> = {}) => ({ row: { source: t.source, given: t.given, device_id: null, computer_dns_name: null, outcome, message, machine_action: null, ...extra } });
  try {
    if (t.source === 'device_ids') {
      const machine = await getMachine(api, t.given);
      return machine ? { machine } : row('not_found', `No device has the id ${t.given}.`);
    }
    const bad = malformed(t);
    if (bad) return row('not_sent', bad);
    const found = t.source === 'HOSTNAME' ? await findMachinesByName(api, t.given) : await findMachinesByIp(api, t.given, now);
    if (found.length === 1) return { machine: found[0]! };
    if (found.length === 0) return row('not_found', t.source === 'HOSTNAME' ? `No device is named ${t.given}.` : `No device was seen with the address ${t.given} in the last 15 minutes.`);
    const candidates = found.map((m) => ({ id: m.id, computerDnsName: m.computerDnsName }));
    return row('ambiguous', `${t.given} names ${found.length} devices (${candidates.map((c) => `${c.computerDnsName ?? '?'} ${c.id}`).join(', ')}); none was chosen: give the one meant in device_ids.`, { candidates });
  } catch (err) {
    if (err instanceof ActionError && err.code === 'INVALID_INPUT') return row('not_sent', err.message);
    if (fatal(err)) throw err;
    return row('failed', `The device could not be looked up: ${messageOf(err)}`);
  }
}

export interface Resolved {
  /** the targets that name no device, or several */
  rows: DeviceRow[];
  /** each device found, by lower-cased id, with the targets that named it */
  devices: Map<string, { machine: Machine; targets: Target[] }>;
}

/** Resolves every target, one after the other (reads only; a device named twice is one device). */
export async function resolveTargets(api: DefenderApi, targets: readonly Target[], now = new Date()): Promise<Resolved> {
  const rows: DeviceRow[] = [];
  const devices = new Map<string, { machine: Machine; targets: Target[] }>();
  for (const t of targets) {
    const r = await resolve(api, t, now);
    if ('row' in r) {
      rows.push(r.row);
      continue;
    }
    const key = r.machine.id.toLowerCase();
    devices.set(key, { machine: r.machine, targets: [...(devices.get(key)?.targets ?? []), t] });
  }
  return { rows, devices };
}

/**
 * The Defender for Endpoint API of a run that must write its result after its calls: retries and requests end at
 * `stopAt`, the deadline less marginMs. `transport`: for tests.
 */
export function deviceApi(ctx: ActionContext<unknown>, transport?: Transport): StoppingApi {
  return stoppingApiFor(ctx, 'machines', transport);
}

interface Step {
  outcome: DeviceOutcome;
  message: string;
  action: MachineAction | null;
  /** an action to follow */
  follow: boolean;
  /** a POST that may have created something went out */
  sent: boolean;
}

const nameOf = (m: Machine): string => m.computerDnsName ?? m.id;

/**
 * How much earlier than the POST's start (this host's clock) an action's creationDateTimeUtc (the service's clock) may
 * be and still be the one this POST made, when the answer was lost: 30 s of clock skew. An action of the same type and
 * comment created before that, or already read before the POST (the already-as-asked check), is an earlier one (a
 * playbook that reuses its comment), never adopted. Scans, collections and Stop And Quarantine read nothing before the
 * POST, so for them the 30 s are the only bound: an earlier action of the same comment still open in them is what
 * Microsoft would have refused this POST for ("already in progress").
 */
export const CLOCK_SKEW_MS = 30_000;

/**
 * One device (and SHA-1): already as asked (nothing sent), already requested (followed), or one POST; Microsoft's
 * "already in progress" and an unknown outcome are looked up in the device's machine actions, never sent again.
 */
async function requestOn(api: DefenderApi, spec: DeviceActionSpec, machine: Machine, sha1: string | undefined, comment: string): Promise<Step> {
  const name = nameOf(machine);
  const follow = (message: string, action: MachineAction, sent: boolean): Step => ({ outcome: 'requested', message, action, follow: true, sent });
  const known = new Set<string>();
  if (spec.opposite) {
    const listed = await machineActionsOf(api, machine.id, [spec.type, spec.opposite]);
    for (const a of listed) known.add(a.id);
    const latest = listed[0];
    const scopeFits = !spec.scope || typeof latest?.['scope'] !== 'string' || (latest['scope'] as string).toLowerCase() === spec.scope.toLowerCase();
    if (latest && latest.type === spec.type && scopeFits && latest.status === 'Succeeded') {
      return { outcome: 'already', message: `${name} is already ${spec.asked}: its latest ${spec.type} action (${latest.id}, ${latest.creationDateTimeUtc ?? 'no date'}) succeeded and none undid it; nothing was sent.`, action: latest, follow: false, sent: false };
    }
    if (latest && latest.type === spec.type && scopeFits && OPEN_STATUSES.has(latest.status)) {
      return follow(`${spec.type} was already requested on ${name} (${latest.id}, ${latest.status}); it is followed, not asked again.`, latest, false);
    }
  }
  const postedAt = Date.now();
  const body = { Comment: comment, ...(spec.body ?? {}), ...(sha1 ? { Sha1: sha1 } : {}) };
  try {
    const answer = await requestMachineAction(api, machine.id, spec.type, body, spec.what);
    if ('action' in answer) return follow(`${spec.type} requested on ${name} (${answer.action.id}).`, answer.action, true);
    const said = answer.alreadyPending.message ?? answer.alreadyPending.code ?? 'already in progress';
    const pending = (await machineActionsOf(api, machine.id, [spec.type])).find((a) => OPEN_STATUSES.has(a.status) && sameSha1(a, sha1));
    if (!pending) return { outcome: 'failed', message: `Microsoft refused ${spec.what} ${name} as already in progress (${said}), but no pending ${spec.type} action is listed for it.`, action: null, follow: false, sent: false };
    return follow(`${spec.type} was already in progress on ${name} (Microsoft: ${said}); the pending action ${pending.id} is followed.`, pending, false);
  } catch (err) {
    if (!isUnknownOutcome(err)) throw err;
    // never sent again: look for the action this POST may have made (this run's comment, created since the POST's start
    // less the clock skew, not one read before the POST)
    const since = postedAt - CLOCK_SKEW_MS;
    const listed = await machineActionsOf(api, machine.id, [spec.type]).catch(() => [] as MachineAction[]);
    const action = listed.find((a) => !known.has(a.id) && a.requestorComment === comment && Date.parse(a.creationDateTimeUtc ?? '') >= since && sameSha1(a, sha1));
    if (!action) {
      return { outcome: 'unknown', message: `The outcome of ${spec.what} ${name} is unknown: ${messageOf(err)} No ${spec.type} action with this comment is listed for it yet; check with Get Machine Action (device ${machine.id}) before asking again.`, action: null, follow: false, sent: true };
    }
    return follow(`The answer to ${spec.what} ${name} was lost (${messageOf(err)}), but its action ${action.id} is listed and is followed.`, action, true);
  }
}

/** `deps.transport`: for tests, a stand-in for the network. */
export async function runDeviceAction<P extends DeviceActionParams>(ctx: ActionContext<P>, spec: DeviceActionSpec, deps: { transport?: Transport } = {}): Promise<ActionOutcome<DeviceActionResult>> {
  const comment = ctx.params.comment.trim();
  if (comment === '') throw invalidInput("Parameter 'comment' is required: Microsoft keeps it with the machine action (e.g. the case and why).");
  const targets = targetsOf(ctx.params.device_ids, ctx.entities);
  const wait = ctx.params.wait_for_completion !== false;
  const { api, stopAt, signal } = deviceApi(ctx, deps.transport);

  // 1. resolve every target (reads only)
  const { rows, devices } = await resolveTargets(api, targets);

  // 2. one action per device (and SHA-1). A PERMISSION or AUTHENTICATION error fails the run until a POST may have
  // created something; after that it is the failure of that device only, so that the actions requested are reported.
  let sent = false;
  const acting: DeviceRow[][] = [];
  for (const { machine, targets: named } of devices.values()) {
    for (const sha1 of spec.sha1s ?? [undefined]) {
      const base = { device_id: machine.id, computer_dns_name: machine.computerDnsName, ...(sha1 ? { sha1 } : {}) };
      let step: Step;
      try {
        step = signal.aborted
          ? { outcome: 'not_sent', message: `Not sent: the run reached its deadline before ${spec.what} ${nameOf(machine)}.`, action: null, follow: false, sent: false }
          : await requestOn(api, spec, machine, sha1, comment);
      } catch (err) {
        if (fatal(err) && !sent) throw err;
        step = { outcome: 'failed', message: `${spec.what} ${nameOf(machine)} failed: ${messageOf(err)}`, action: null, follow: false, sent: false };
      }
      sent ||= step.sent;
      const rowsOf: DeviceRow[] = named.map((t) => ({ source: t.source, given: t.given, ...base, outcome: step.outcome, message: step.message, machine_action: step.action }));
      rows.push(...rowsOf);
      if (step.follow) acting.push(rowsOf);
    }
  }

  // 3. follow them
  if (wait && acting.length) {
    const followed = await followActions(acting.map((rowsOf) => rowsOf[0]!.machine_action!), (id) => getMachineAction(api, id), {
      stopAt,
      signal,
      onReadError: (id, err) => ctx.log.warn(`Reading machine action ${id} failed; it is read again`, { error: err.message }),
    });
    followed.actions.forEach((a, i) => acting[i]!.forEach((r) => (r.machine_action = a)));
  }
  for (const rowsOf of acting) {
    const a = rowsOf[0]!.machine_action!;
    const name = rowsOf[0]!.computer_dns_name ?? rowsOf[0]!.device_id;
    let outcome: DeviceOutcome;
    let message = rowsOf[0]!.message;
    let link: string | null | undefined;
    if (a.status === 'Succeeded') {
      outcome = 'succeeded';
      message = `${name} is ${spec.asked} (${a.type} ${a.id} succeeded).`;
      if (spec.withPackage) {
        link = await packageUri(api, a.id).catch((err: unknown) => {
          message += ` The package link could not be read: ${messageOf(err)}`;
          return null;
        });
      }
    } else if (OPEN_STATUSES.has(a.status)) {
      outcome = wait ? 'pending' : 'requested';
      message = wait
        ? `${a.type} ${a.id} on ${name} is still ${a.status} at the end of the wait; follow it with Get Machine Action (machine_action_id ${a.id}).`
        : `${message} It is ${a.status}; follow it with Get Machine Action (machine_action_id ${a.id}).`;
    } else {
      outcome = 'failed';
      message = `${a.type} ${a.id} on ${name} ended ${a.status}.`;
    }
    for (const r of rowsOf) Object.assign(r, { outcome, message, ...(spec.withPackage ? { package_uri: link ?? null } : {}) });
  }
  return outcomeOf(ctx, spec, rows, wait);
}

function outcomeOf(ctx: ActionContext<unknown>, spec: DeviceActionSpec, rows: DeviceRow[], wait: boolean): ActionOutcome<DeviceActionResult> {
  const ids = [...new Set(rows.map((r) => r.machine_action?.id).filter((id): id is string => typeof id === 'string'))];
  const entities = ctx.entities.map((e) => {
    const mine = rows.filter((r) => (r.source === e.type && r.given === e.identifier) || (e.type === 'FILEHASH' && r.sha1 === e.identifier.toLowerCase()));
    const status = mine.length > 0 && mine.every((r) => GOOD.has(r.outcome)) ? 'success' as const : mine.length > 0 && mine.every((r) => r.outcome === 'not_found') ? 'not_found' as const : mine.length === 0 && e.type !== 'FILEHASH' ? 'skipped' as const : 'failed' as const;
    const message = mine.length ? [...new Set(mine.map((r) => r.message))].join(' ') : e.type === 'FILEHASH' ? 'No device was acted on for this file.' : `${e.type} entities are not devices.`;
    return { Identifier: e.identifier, EntityType: e.type, status, message };
  });
  const count = (o: DeviceOutcome) => rows.filter((r) => r.outcome === o).length;
  const parts = (['succeeded', 'already', 'requested', 'pending', 'failed', 'unknown', 'not_found', 'ambiguous', 'not_sent'] as const).filter((o) => count(o)).map((o) => `${count(o)} ${o.replace('_', ' ')}`);
  const good = rows.filter((r) => GOOD.has(r.outcome)).length;
  return {
    result_value: rows.length > 0 && good === rows.length,
    output_message: `${good} of ${rows.length} device${rows.length === 1 ? '' : 's'} ${wait ? spec.asked : `${spec.asked} or requested`} (${parts.join(', ')}).${ids.length ? ` Machine actions: ${ids.join(', ')}.` : ''}`,
    json_result: { devices: rows, machine_action_ids: ids },
    entities,
    tables: [{
      title: `${spec.type} per device`,
      columns: ['Given', 'Device', 'Device id', 'Outcome', 'Machine action', 'Status', 'Message'],
      rows: rows.map((r) => [r.given, r.computer_dns_name, r.device_id, r.outcome, r.machine_action?.id ?? null, r.machine_action?.status ?? null, r.message]),
    }],
  };
}
