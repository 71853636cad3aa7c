// Release Device From Isolation (Containment): releases devices from isolation; a device whose latest Isolate or
// Unisolate is a succeeded Unisolate is already released and nothing is sent.
// The devices, the wait and the outcomes: lib/defender/containment.ts.
import { defineAction } from '../lib/runtime';
import { runDeviceAction } from '../lib/defender/containment';
import { spec } from '../lib/generated/actions/release-device-from-isolation.spec';

export default defineAction({
  spec,
  entityTypes: ['HOSTNAME', 'ADDRESS'],
  run: (ctx) => runDeviceAction(ctx, { type: 'Unisolate', what: 'releasing from isolation', asked: 'released from isolation', opposite: 'Isolate' }),
});
