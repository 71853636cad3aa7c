// Remove App Restriction (Containment): lifts the restriction of application execution; a device whose latest
// restriction action is a succeeded UnrestrictCodeExecution is already unrestricted and nothing is sent.
// The devices, the wait and the outcomes: lib/defender/containment.ts.
import { defineAction } from '../lib/runtime';
import { runDeviceAction } from '../lib/defender/containment';
import { spec } from '../lib/generated/actions/remove-app-restriction.spec';

export default defineAction({
  spec,
  entityTypes: ['HOSTNAME', 'ADDRESS'],
  run: (ctx) => runDeviceAction(ctx, { type: 'UnrestrictCodeExecution', what: 'removing the app restriction', asked: 'free of the app restriction', opposite: 'RestrictCodeExecution' }),
});
