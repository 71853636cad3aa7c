#!/usr/bin/env node
// The build: a strict type check of everything (tsc, which also compiles the tests into build/), then one
// self-contained bundle per action of the manifest under dist/actions/ (esbuild), so an action process loads no
// schema compiler and no unused code. The test fixture package is bundled the same way.
//
//   node scripts/build.mjs                  type check + bundles (this package and the test fixture package)
//   node scripts/build.mjs --bundles-only   bundles only
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtureRoot = path.join(repoRoot, 'test', 'fixtures', 'pkg');

function typecheck() {
  const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', repoRoot], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => !/Unknown user config "nodedir"/.test(l)).join('\n').trim();
  if (out) process.stderr.write(`${out}\n`);
  if (r.status !== 0) throw new Error(`type check failed (tsc exit ${r.status})`);
}

function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Removes compiled files whose TypeScript source is gone (a deleted test must not keep running from build/). */
function removeStaleOutputs() {
  const out = path.join(repoRoot, 'build');
  for (const file of walk(out)) {
    const m = /^(.*)\.js(\.map)?$/.exec(path.relative(out, file));
    if (m && !m[1].startsWith('stale-check') && !fs.existsSync(path.join(repoRoot, `${m[1]}.ts`))) fs.rmSync(file);
  }
}

/**
 * The bundle's entry: the stdio guard first (before any dependency can write to stdout), then the action, then main,
 * which opens the connection to the API host as soon as the configuration is read (lib/http/transport.ts preconnect).
 */
function entryFor(root, id) {
  const rt = path.join(repoRoot, 'lib', 'runtime');
  return [
    `import ${JSON.stringify(path.join(rt, 'stdio'))};`,
    `import action from ${JSON.stringify(path.join(root, 'actions', id))};`,
    `import { main } from ${JSON.stringify(path.join(rt, 'main'))};`,
    `import { preconnect } from ${JSON.stringify(path.join(repoRoot, 'lib', 'http', 'transport'))};`,
    'void main(action, { onConfig: preconnect });',
  ].join('\n');
}

/**
 * Code an action loads only sometimes lives in shared bundles beside the actions (dist/shared/), so that a run that
 * does not need it never parses it: lib/auth/msal.ts (MSAL, about 1 MB) is needed only when the token cache misses,
 * lib/http/tunnel.ts only with a proxy.
 */
const SHARED = [
  { source: path.join(repoRoot, 'lib', 'auth', 'msal.ts'), out: 'dist/shared/msal.js' },
  // the CONNECT tunnel (https-proxy-agent and its dependencies), needed only when a proxy is configured
  { source: path.join(repoRoot, 'lib', 'http', 'tunnel.ts'), out: 'dist/shared/tunnel.js' },
];

/** Makes an action bundle require a shared bundle instead of inlining it. */
const sharedExternals = {
  name: 'shared-bundles',
  setup(build) {
    build.onResolve({ filter: /^\./ }, (args) => {
      const shared = SHARED.find((s) => path.resolve(args.resolveDir, args.path) === s.source.replace(/\.ts$/, ''));
      return shared ? { path: `../shared/${path.basename(shared.out)}`, external: true } : undefined;
    });
  },
};

/** Packages replaced in bundles by a shim (see each shim for why). */
const shims = {
  name: 'shims',
  setup(build) {
    build.onResolve({ filter: /^whatwg-url$/ }, () => ({ path: path.join(repoRoot, 'scripts', 'shims', 'whatwg-url.js') }));
  },
};

const COMMON = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, metafile: true, logLevel: 'warning', legalComments: 'eof' };

/** The bundle behind an action entry: dist/actions/ping.js -> dist/actions/ping.bundle.js (and .bundle.cache). */
export const bundleOf = (entry) => entry.replace(/\.js$/, '.bundle.js');

/**
 * The entry the engine runs (`node dist/actions/<id>.js`): the loader (lib/runtime/load.ts, bundled in, a few KB, so
 * that starting an action reads no module besides its bundle) handing it the action's bundle, which it runs with the
 * V8 code cache the build made for it when that fits.
 */
async function buildEntry(esbuild, root, manifest, action) {
  const bundleName = path.basename(bundleOf(action.entry));
  await esbuild.build({
    stdin: {
      contents: `require(${JSON.stringify(path.join(repoRoot, 'lib', 'runtime', 'load'))}).load(__dirname + ${JSON.stringify(`/${bundleName}`)}, module);`,
      resolveDir: root,
      loader: 'js',
      sourcefile: `entry-${action.id}.js`,
    },
    outfile: path.join(root, action.entry),
    ...COMMON,
    sourcemap: false,
    metafile: false,
    banner: { js: `// ${manifest.name}: ${action.name} (${action.id}). Runs ${bundleName} (the action) with its code cache, see lib/runtime/load.ts. Built by scripts/build.mjs; do not edit.` },
  });
}

export async function bundle(root) {
  const esbuild = require('esbuild');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest', 'manifest.json'), 'utf8'));
  const meta = {};
  const wanted = new Set(manifest.actions.flatMap((a) => [path.join(root, a.entry), path.join(root, bundleOf(a.entry))]));
  for (const file of walk(path.join(root, 'dist', 'actions'))) {
    // code caches are made again after every build (trainCodeCaches): one made for an older bundle goes now
    const keep = wanted.has(file) || (file.endsWith('.bundle.js.map') && wanted.has(file.replace(/\.map$/, '')));
    if (!keep) fs.rmSync(file);
  }
  for (const action of manifest.actions) {
    const entry = path.join(root, action.entry);
    const outfile = path.join(root, bundleOf(action.entry));
    const result = await esbuild.build({
      stdin: { contents: entryFor(root, action.id), resolveDir: root, loader: 'ts', sourcefile: `entry-${action.id}.ts` },
      outfile,
      ...COMMON,
      plugins: [sharedExternals, shims],
      banner: { js: `// ${manifest.name}: ${action.name} (${action.id}), the action's bundle, run by ${path.basename(action.entry)}. Built by scripts/build.mjs; do not edit.` },
    });
    await buildEntry(esbuild, root, manifest, action);
    meta[action.id] = {
      bytes: fs.statSync(outfile).size,
      bundle: path.relative(root, outfile).split(path.sep).join('/'),
      inputs: Object.keys(result.metafile.inputs).map((p) => path.relative(repoRoot, path.resolve(repoRoot, p))).sort(),
    };
  }
  const externals = new Set(Object.values(meta).length ? SHARED.map((s) => s.out) : []);
  for (const file of walk(path.join(root, 'dist', 'shared'))) {
    if (!externals.has(path.relative(root, file.replace(/\.map$/, '')).split(path.sep).join('/'))) fs.rmSync(file);
  }
  for (const shared of SHARED) {
    if (!externals.has(shared.out)) continue;
    const outfile = path.join(root, shared.out);
    const result = await esbuild.build({ entryPoints: [shared.source], outfile, ...COMMON, plugins: [shims], banner: { js: `// ${manifest.name}: shared bundle ${shared.out}. Built by scripts/build.mjs; do not edit.` } });
    meta[shared.out] = { bytes: fs.statSync(outfile).size, inputs: Object.keys(result.metafile.inputs).map((p) => path.relative(repoRoot, path.resolve(repoRoot, p))).sort() };
  }
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dist', 'bundles.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

/**
 * The code caches (dist/actions/<id>.bundle.cache): each action is run once, as an engine runs it, against the
 * emulator with a cached token and a realistic input (scripts/action-inputs.mjs), through the loader in training
 * mode, which writes at exit the V8 code of every function the run compiled. A later run deserialises that code
 * instead of compiling it (lib/runtime/load.ts; measured by npm run bench). A cache is valid only for this Node's V8:
 * on another version the entry compiles its bundle as usual. Returns why not, when no cache was made.
 */
export async function trainCodeCaches(root) {
  const emulatorJs = path.join(repoRoot, 'build', 'test', 'emulator', 'emulator.js');
  if (!fs.existsSync(emulatorJs)) return 'the emulator is not compiled (build/test/emulator)';
  const loaderJs = path.join(repoRoot, 'build', 'lib', 'runtime', 'load.js');
  if (!fs.existsSync(loaderJs)) return 'the loader is not compiled (build/lib/runtime/load.js)';
  const { startEmulator } = require(emulatorJs);
  const { cacheFileOf } = require(loaderJs);
  const { CONTEXT, inputFor } = await import('./action-inputs.mjs');
  const { runNode } = await import('./bench-run.mjs');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest', 'manifest.json'), 'utf8'));
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'm365d-build-cache-'));
  const em = await startEmulator({ incidents: 20, quotas: false });
  try {
    const env = { PATH: process.env.PATH ?? '', ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}), ...em.env, M365D_STATE_DIR: state };
    const run = (bundleFile, input, train) =>
      runNode([path.join(repoRoot, 'scripts', 'train-code-cache.cjs')], { ...env, TRAIN_BUNDLE: bundleFile, TRAIN_WRITE: train ? '1' : '0' }, JSON.stringify(input));
    const ping = manifest.actions.find((a) => a.id === 'ping');
    if (ping) await run(path.join(root, bundleOf(ping.entry)), CONTEXT, false); // fills the token cache: the runs below are cached-token runs
    const added = [1, 2].map((n) => em.addIncident({ displayName: `Code cache training ${n}` }));
    const ids = added.map((i) => String(i.id));
    const alertIds = added.flatMap((i) => (i.alerts ?? []).map((a) => String(a.id)));
    const failed = [];
    await Promise.all(
      manifest.actions.map(async (action) => {
        const input = inputFor(root, action, { ids, alertIds, state: undefined, round: 0 });
        if (!input) return;
        const bundleFile = path.join(root, bundleOf(action.entry));
        const r = await run(bundleFile, input, true);
        if (r.code !== 0 || !fs.existsSync(cacheFileOf(bundleFile))) {
          fs.rmSync(cacheFileOf(bundleFile), { force: true });
          failed.push(`${action.id} (exit ${r.code}: ${r.stdout.slice(0, 200)})`);
        }
      }),
    );
    if (failed.length) throw new Error(`the code cache training run failed for ${failed.join(', ')}`);
    return undefined;
  } finally {
    await em.stop();
    fs.rmSync(state, { recursive: true, force: true });
  }
}

async function main(argv) {
  const bundlesOnly = argv.includes('--bundles-only');
  const unknown = argv.filter((a) => a !== '--bundles-only');
  if (unknown.length) throw new Error(`unknown argument ${unknown[0]}; usage: build.mjs [--bundles-only]`);
  const t0 = Date.now();
  if (!bundlesOnly) {
    typecheck();
    removeStaleOutputs();
  }
  const ours = await bundle(repoRoot);
  await bundle(fixtureRoot);
  const noCache = bundlesOnly ? '--bundles-only' : await trainCodeCaches(repoRoot);
  if (noCache) process.stderr.write(`build: no code caches (${noCache}); the actions compile their bundles at each start\n`);
  const actions = Object.keys(ours).filter((k) => !k.startsWith('dist/'));
  process.stderr.write(`build: ${actions.length} action bundle(s) in dist/actions, ${Object.keys(ours).length - actions.length} shared, fixture bundles, in ${Date.now() - t0} ms\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`build failed: ${err.message ?? err}\n`);
    process.exit(1);
  });
}
