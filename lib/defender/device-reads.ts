// The device reads of Get Device and Get Machine Action: the same device resolution as the device actions
// (containment.ts), then the record or the latest machine actions of each device found.
//
// The machine record carries no isolation field (machine.md), so Get Device tells the isolation state from the
// device's latest Isolate or Unisolate action: Succeeded Isolate = isolated, an open one = isolating (releasing for
// Unisolate), Succeeded Unisolate = not isolated; none, or one that failed, = unknown.

import type { ActionContext } from '../runtime/action';
import { ActionError, invalidInput } from '../runtime/errors';
import type { Transport } from '../http';
import { deviceApi, resolveTargets, targetsOf, type DeviceRow } from './containment';
import { checkMachineActionId, getMachineAction, machineActionsOf, OPEN_STATUSES, packageUri, type Machine, type MachineAction } from './machines';

export type ReadOutcome = 'found' | 'not_found' | 'ambiguous' | 'failed' | 'not_sent';
export type IsolationState = 'isolated' | 'isolating' | 'not isolated' | 'releasing' | 'unknown';

interface ReadRow {
  source: DeviceRow['source'];
  given: string;
  outcome: ReadOutcome;
  message: string;
  candidates?: DeviceRow['candidates'];
}

const unresolved = (r: DeviceRow): ReadRow => ({
  source: r.source, given: r.given, outcome: r.outcome === 'not_found' || r.outcome === 'ambiguous' || r.outcome === 'not_sent' ? r.outcome : 'failed', message: r.message, ...(r.candidates ? { candidates: r.candidates } : {}),
});

export function isolationState(latest: MachineAction | undefined): IsolationState {
  if (!latest) return 'unknown';
  const open = OPEN_STATUSES.has(latest.status);
  if (latest.type === 'Isolate') return latest.status === 'Succeeded' ? 'isolated' : open ? 'isolating' : 'unknown';
  return latest.status === 'Succeeded' ? 'not isolated' : open ? 'releasing' : 'unknown';
}

/** Each device of `device_id` and the HOSTNAME/ADDRESS entities: its record and isolation state. */
export async function readDevices(ctx: ActionContext<unknown>, deviceIds: string | undefined, transport?: Transport) {
  const targets = targetsOf(deviceIds, ctx.entities, 'device_id');
  const { api } = deviceApi(ctx, transport);
  const { rows, devices } = await resolveTargets(api, targets);
  const out: Array<ReadRow & { device: Machine | null; isolation_state: IsolationState }> = rows.map((r) => ({ ...unresolved(r), device: null, isolation_state: 'unknown' }));
  for (const { machine, targets: named } of devices.values()) {
    const latest = (await machineActionsOf(api, machine.id, ['Isolate', 'Unisolate']))[0];
    const state = isolationState(latest);
    for (const t of named) out.push({ source: t.source, given: t.given, outcome: 'found', message: `${machine.computerDnsName ?? machine.id} (${machine.id}): ${state}.`, device: machine, isolation_state: state });
  }
  return out;
}

/**
 * One machine action by id (with the package link of a succeeded collection), or the latest `max` actions of each
 * device of `device_id` and the entities.
 */
export async function readMachineActions(ctx: ActionContext<unknown>, p: { machine_action_id?: string; device_id?: string; max_actions: number }, transport?: Transport) {
  const { api } = deviceApi(ctx, transport);
  if (p.machine_action_id !== undefined && p.machine_action_id.trim() !== '') {
    const id = checkMachineActionId(p.machine_action_id);
    const action = await getMachineAction(api, id);
    if (!action) throw new ActionError('NOT_FOUND', `The Defender for Endpoint API has no machine action ${id}.`);
    const link = action.type === 'CollectInvestigationPackage' && action.status === 'Succeeded' ? await packageUri(api, action.id) : null;
    return { machine_action: action, package_uri: link, devices: [] };
  }
  if ((p.device_id ?? '').trim() === '' && !ctx.entities.some((e) => e.type === 'HOSTNAME' || e.type === 'ADDRESS')) {
    throw invalidInput("Give 'machine_action_id', or 'device_id' or HOSTNAME / ADDRESS entities whose latest machine actions to read.");
  }
  const { rows, devices } = await resolveTargets(api, targetsOf(p.device_id, ctx.entities, 'device_id'));
  const out: Array<ReadRow & { device_id: string | null; computer_dns_name: string | null; machine_actions: MachineAction[] }> = rows.map((r) => ({ ...unresolved(r), device_id: null, computer_dns_name: null, machine_actions: [] }));
  for (const { machine, targets: named } of devices.values()) {
    const actions = (await machineActionsOf(api, machine.id)).slice(0, p.max_actions);
    const open = actions.filter((a) => OPEN_STATUSES.has(a.status)).length;
    for (const t of named) {
      out.push({ source: t.source, given: t.given, outcome: 'found', message: `${machine.computerDnsName ?? machine.id}: ${actions.length} latest machine action${actions.length === 1 ? '' : 's'}${open ? `, ${open} still open` : ''}.`, device_id: machine.id, computer_dns_name: machine.computerDnsName, machine_actions: actions });
    }
  }
  return { machine_action: null, package_uri: null, devices: out };
}
