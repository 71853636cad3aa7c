// Get Device (Enrichment): the Defender for Endpoint record of each device of device_id and of the HOSTNAME and ADDRESS
// entities, with its isolation state from its latest Isolate or Unisolate action (lib/defender/device-reads.ts).
import { defineAction } from '../lib/runtime';
import { readDevices } from '../lib/defender/device-reads';
import { spec } from '../lib/generated/actions/get-device.spec';
import type { GetDeviceResult } from '../lib/generated/actions/get-device.types';

export default defineAction({
  spec,
  entityTypes: ['HOSTNAME', 'ADDRESS'],
  async run(ctx) {
    const devices = await readDevices(ctx, ctx.params.device_id);
    const found = devices.filter((d) => d.outcome === 'found');
    const json: GetDeviceResult = { devices };
    return {
      result_value: found.length > 0,
      output_message: `${found.length} of ${devices.length} device${devices.length === 1 ? '' : 's'} found${found.length ? `: ${found.map((d) => d.message).join(' ')}` : '.'}`,
      json_result: json,
      entities: ctx.entities.map((e) => {
        const d = devices.find((r) => r.source === e.type && r.given === e.identifier);
        return { Identifier: e.identifier, EntityType: e.type, status: d?.outcome === 'found' ? 'success' : d?.outcome === 'not_found' ? 'not_found' : 'failed', message: d?.message ?? 'not read' };
      }),
      tables: [{
        title: 'Devices',
        columns: ['Given', 'Name', 'Id', 'OS', 'Health', 'Risk', 'Exposure', 'Last IP', 'Last seen', 'Tags', 'Isolation'],
        rows: devices.map((r) => {
          const m = r.device;
          const text = (k: string) => (m && typeof m[k] === 'string' ? (m[k] as string) : null);
          return [r.given, m?.computerDnsName ?? null, m?.id ?? null, text('osPlatform'), text('healthStatus'), text('riskScore'), text('exposureLevel'), text('lastIpAddress'), text('lastSeen'), Array.isArray(m?.['machineTags']) ? (m!['machineTags'] as unknown[]).join(', ') : null, r.isolation_state];
        }),
      }],
    };
  },
});
