// Get Machine Action (Enrichment): one machine action by id (and the package link of a succeeded investigation package
// collection), or the latest machine actions of devices, to follow what a device action left open
// (lib/defender/device-reads.ts).
import { defineAction } from '../lib/runtime';
import { readMachineActions } from '../lib/defender/device-reads';
import { spec } from '../lib/generated/actions/get-machine-action.spec';
import type { GetMachineActionResult } from '../lib/generated/actions/get-machine-action.types';

export default defineAction({
  spec,
  entityTypes: ['HOSTNAME', 'ADDRESS'],
  async run(ctx) {
    const json: GetMachineActionResult = await readMachineActions(ctx, ctx.params);
    const a = json.machine_action;
    const actions = a ? [a] : json.devices.flatMap((d) => d.machine_actions);
    const message = a
      ? `Machine action ${a.id}: ${a.type} on ${typeof a['computerDnsName'] === 'string' ? a['computerDnsName'] : (a.machineId ?? 'a device')}, ${a.status}${json.package_uri ? '; the package is ready' : ''}.`
      : `${json.devices.filter((d) => d.outcome === 'found').length} of ${json.devices.length} device${json.devices.length === 1 ? '' : 's'} read: ${json.devices.map((d) => d.message).join(' ')}`;
    return {
      result_value: actions.length > 0,
      output_message: message,
      json_result: json,
      entities: ctx.entities.map((e) => {
        const d = json.devices.find((r) => r.source === e.type && r.given === e.identifier);
        return { Identifier: e.identifier, EntityType: e.type, status: d?.outcome === 'found' ? 'success' : d?.outcome === 'not_found' ? 'not_found' : a ? 'skipped' : 'failed', message: d?.message ?? (a ? 'machine_action_id was given' : 'not read') };
      }),
      tables: [{
        title: 'Machine actions',
        columns: ['Id', 'Type', 'Status', 'Device', 'Requested', 'Comment'],
        rows: actions.map((x) => [x.id, x.type, x.status, x.machineId, x.creationDateTimeUtc, x.requestorComment]),
      }],
    };
  },
});
