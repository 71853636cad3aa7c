// The build's training run of one action (scripts/build.mjs trainCodeCaches): runs the bundle named by TRAIN_BUNDLE
// through the loader (lib/runtime/load.ts as tsc compiled it into build/) as its entry would, and with TRAIN_WRITE=1
// writes that run's V8 code cache beside the bundle at exit (without it, the loader's ordinary path: the run that
// fills the token cache). Input, configuration and output are the action's own (stdin, M365D_* variables, stdout).
'use strict';
const path = require('node:path');
const bundle = process.env.TRAIN_BUNDLE;
if (!bundle) throw new Error('TRAIN_BUNDLE is not set');
require(path.join(__dirname, '..', 'build', 'lib', 'runtime', 'load.js')).load(bundle, module, { train: process.env.TRAIN_WRITE === '1' });
