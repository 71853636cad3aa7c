// Restrict App Execution (Containment): devices run only applications signed by Microsoft; a device whose latest
// restriction action is a succeeded RestrictCodeExecution is already restricted and nothing is sent.
// The devices, the wait and the outcomes: lib/defender/containment.ts.
import { defineAction } from '../lib/runtime';
import { runDeviceAction } from '../lib/defender/containment';
import { spec } from '../lib/generated/actions/restrict-app-execution.spec';

export default defineAction({
  spec,
  entityTypes: ['HOSTNAME', 'ADDRESS'],
  run: (ctx) => runDeviceAction(ctx, { type: 'RestrictCodeExecution', what: 'restricting app execution', asked: 'restricted to Microsoft-signed applications', opposite: 'UnrestrictCodeExecution' }),
});
