#!/usr/bin/env node
// npm run --silent emulator -- [--port N] [--seed N] [--incidents N] [--time-scale N] [--no-quotas] [--hunting-rows N]
// Compiles the emulator (tsc -p test/emulator, output to stderr so stdout stays clean), then runs
// build/test/emulator/cli.js as a child that inherits stdio; SIGINT/SIGTERM are forwarded to it.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

let tsc;
try {
  // typescript's "exports" map does not expose bin/tsc; find it next to its package.json
  tsc = path.join(path.dirname(require.resolve('typescript/package.json', { paths: [root] })), 'bin', 'tsc');
} catch {
  process.stderr.write('emulator: TypeScript is not installed (run npm install)\n');
  process.exit(1);
}

const build = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'test', 'emulator')], {
  cwd: root, stdio: ['ignore', process.stderr, process.stderr],
});
if (build.error || build.status !== 0) {
  process.stderr.write(`emulator: compiling test/emulator failed (tsc exit ${build.status ?? build.error})\n`);
  process.exit(1);
}

const child = spawn(process.execPath, [path.join(root, 'build', 'test', 'emulator', 'cli.js'), ...process.argv.slice(2)], {
  cwd: root, stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { if (child.exitCode === null) child.kill(sig); });
}
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 + 15 : 1);
});
