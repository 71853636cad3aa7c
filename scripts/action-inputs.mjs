// Realistic inputs for each action of the manifest, shared by the bench (scripts/bench.mjs) and the build's code
// cache training run (scripts/build.mjs): what a playbook would send, against the emulator's seeded data.
import fs from 'node:fs';
import path from 'node:path';

export const CONTEXT = { case_id: 'bench', alert_group_identifiers: [] };
export const ENTITIES = [
  { Identifier: 'HR-001.CONTOSO.COM', EntityType: 'HOSTNAME', IsSuspicious: true, IsInternal: true },
  { Identifier: '203.0.113.7', EntityType: 'ADDRESS', IsSuspicious: true, IsInternal: false },
];

/**
 * A realistic input for each action of the manifest, as a function of the round (so an update changes something each
 * time) and of what the setup found (`ids`: incidents that exist; `alertIds`: alerts that exist; `state`: the daemon's
 * last checkpoint). A Daemon without an input of its own here gets one from its schema's parameters. undefined: no
 * input known, not measured.
 */
export function inputFor(root, action, { ids, alertIds = [], state, round }) {
  const hunting = { ...CONTEXT, target_entities: ENTITIES };
  const device = { ...CONTEXT, target_entities: [ENTITIES[0]] };
  switch (action.id) {
    case 'ping': return { ...CONTEXT };
    case 'search-incidents': return { ...CONTEXT, status: 'Active, In Progress', severity: 'High, Medium', created_from: '30d', max_results: '10' };
    case 'get-incident': return { ...CONTEXT, incident_id: ids[0] };
    case 'update-incident': return { ...CONTEXT, incident_id: ids[1] ?? ids[0], tags: `bench-${process.pid}-${round}` };
    case 'add-comment-to-incident': return { ...CONTEXT, incident_id: ids[1] ?? ids[0], comment: `Bench round ${round}: triaged by the playbook.` };
    case 'search-alerts': return { ...CONTEXT, status: 'New, In Progress', severity: 'High, Medium', created_from: '30d', max_results: '10' };
    case 'get-alert': return alertIds.length ? { ...CONTEXT, alert_id: alertIds[0] } : undefined;
    case 'update-alert': return alertIds.length ? { ...CONTEXT, alert_id: alertIds[1] ?? alertIds[0], status: 'In Progress', custom_details: JSON.stringify({ bench: `${process.pid}-${round}` }) } : undefined;
    case 'add-comment-to-alert': return alertIds.length ? { ...CONTEXT, alert_id: alertIds[1] ?? alertIds[0], comment: `Bench round ${round}: triaged by the playbook.` } : undefined;
    case 'execute-query': return { ...hunting, table_names: 'DeviceProcessEvents', query: '| where ActionType == "ProcessCreated"', time_frame: 'Last Week', fields_to_return: 'Timestamp, DeviceName, FileName', max_results_to_return: '10' };
    case 'execute-custom-query': return { ...hunting, query: 'DeviceProcessEvents | project Timestamp, DeviceName, FileName, ProcessCommandLine', max_results_to_return: '10' };
    case 'execute-entity-query': return { ...hunting, table_names: 'DeviceNetworkEvents, DeviceLogonEvents', time_frame: 'Last Month', fields_to_return: 'Timestamp, DeviceName, ActionType', max_results_to_return: '10' };
    // the device actions without waiting (a playbook that follows up with Get Machine Action), on the seeded device
    case 'isolate-device': return { ...device, comment: `Bench round ${round}`, isolation_type: 'Selective', wait_for_completion: false };
    case 'release-device-from-isolation':
    case 'restrict-app-execution':
    case 'remove-app-restriction':
    case 'collect-investigation-package': return { ...device, comment: `Bench round ${round}`, wait_for_completion: false };
    case 'run-antivirus-scan': return { ...device, comment: `Bench round ${round}`, scan_type: 'Quick', wait_for_completion: false };
    case 'stop-and-quarantine-file': return { ...device, comment: `Bench round ${round}`, sha1: '3395856ce81f2b7382dee72602f798b642f14140', wait_for_completion: false };
    case 'get-device':
    case 'get-machine-action': return { ...device };
    // the account actions on a seeded user (a re-run finds a disable already done), the indicators on one hash
    case 'get-account':
    case 'disable-account':
    case 'enable-account':
    case 'force-password-reset':
    case 'revoke-all-sessions':
    case 'require-sign-in-again':
    case 'mark-user-as-compromised': return { ...CONTEXT, target_entities: [{ Identifier: 'ksmith@contoso.com', EntityType: 'USERUNIQNAME' }] };
    case 'submit-indicators': return { ...CONTEXT, target_entities: [{ Identifier: '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f', EntityType: 'FILEHASH' }], action: 'Block', title: 'Bench' };
    case 'list-indicators': return { ...CONTEXT, indicator_type: 'FileSha256', max_results: '10' };
    case 'delete-indicators': return { ...CONTEXT, indicator_values: 'bench-missing.example.com' };
    default: {
      if (action.type !== 'Daemon') return undefined;
      let props = {};
      try { props = JSON.parse(fs.readFileSync(path.join(root, action.parameters), 'utf8')).properties ?? {}; } catch { /* defaults below */ }
      const input = { ...CONTEXT, ...(state ? { state } : {}) };
      if ('first_fetch' in props) input.first_fetch = String(props.first_fetch.default ?? props.first_fetch.examples?.[0] ?? '7d');
      if ('max_incidents_per_run' in props) input.max_incidents_per_run = '50';
      if ('max_alerts_per_run' in props) input.max_alerts_per_run = '50';
      return input;
    }
  }
}
