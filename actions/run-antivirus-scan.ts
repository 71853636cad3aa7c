// Run Antivirus Scan (Containment): a Quick or Full Microsoft Defender Antivirus scan on devices.
// The devices, the wait and the outcomes: lib/defender/containment.ts.
import { defineAction } from '../lib/runtime';
import { runDeviceAction } from '../lib/defender/containment';
import { spec } from '../lib/generated/actions/run-antivirus-scan.spec';

export default defineAction({
  spec,
  entityTypes: ['HOSTNAME', 'ADDRESS'],
  run: (ctx) => runDeviceAction(ctx, { type: 'RunAntiVirusScan', what: 'running an antivirus scan', asked: 'scanned', body: { ScanType: ctx.params.scan_type } }),
});
