// Isolate Device (Containment): isolates devices from the network (Full, Selective or UnManagedDevice); a device
// whose latest Isolate succeeded (with the same isolation type) is already isolated and nothing is sent.
// The devices, the wait and the outcomes: lib/defender/containment.ts.
import { defineAction } from '../lib/runtime';
import { runDeviceAction } from '../lib/defender/containment';
import { spec } from '../lib/generated/actions/isolate-device.spec';

export default defineAction({
  spec,
  entityTypes: ['HOSTNAME', 'ADDRESS'],
  run: (ctx) => runDeviceAction(ctx, { type: 'Isolate', what: 'isolating', asked: 'isolated', body: { IsolationType: ctx.params.isolation_type }, opposite: 'Unisolate', scope: ctx.params.isolation_type }),
});
