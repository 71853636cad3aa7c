// Collect Investigation Package (Containment): collects a forensics package from devices; a collection that
// succeeded carries the package's download link (GetPackageUri).
// The devices, the wait and the outcomes: lib/defender/containment.ts.
import { defineAction } from '../lib/runtime';
import { runDeviceAction } from '../lib/defender/containment';
import { spec } from '../lib/generated/actions/collect-investigation-package.spec';

export default defineAction({
  spec,
  entityTypes: ['HOSTNAME', 'ADDRESS'],
  run: (ctx) => runDeviceAction(ctx, { type: 'CollectInvestigationPackage', what: 'collecting an investigation package', asked: 'collected (the package is ready)', withPackage: true }),
});
