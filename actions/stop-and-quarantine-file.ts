// Stop And Quarantine File (Containment): stops a file's processes and quarantines it on devices, one machine action per
// device and SHA-1 (the sha1 parameter and FILEHASH entities; a hash of another length is refused by name before
// anything is sent). The devices, the wait and the outcomes: lib/defender/containment.ts.
import { defineAction } from '../lib/runtime';
import { runDeviceAction, sha1sOf } from '../lib/defender/containment';
import { spec } from '../lib/generated/actions/stop-and-quarantine-file.spec';

export default defineAction({
  spec,
  entityTypes: ['HOSTNAME', 'ADDRESS', 'FILEHASH'],
  run: (ctx) => runDeviceAction(ctx, { type: 'StopAndQuarantineFile', what: 'stopping and quarantining the file', asked: 'rid of the file (stopped and quarantined)', sha1s: sha1sOf(ctx.params.sha1, ctx.entities) }),
});
