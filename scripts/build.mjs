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

/** The bundle's entry: the stdio guard first (before any dependency can write to stdout), then the action, then main. */
function entryFor(root, id) {
  const rt = path.join(repoRoot, 'lib', 'runtime');
  return [
    `import ${JSON.stringify(path.join(rt, 'stdio'))};`,
    `import action from ${JSON.stringify(path.join(root, 'actions', id))};`,
    `import { main } from ${JSON.stringify(path.join(rt, 'main'))};`,
    'void main(action);',
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

export async function bundle(root) {
  const esbuild = require('esbuild');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest', 'manifest.json'), 'utf8'));
  const meta = {};
  const wanted = new Set(manifest.actions.map((a) => path.join(root, a.entry)));
  for (const file of walk(path.join(root, 'dist', 'actions'))) {
    if (!wanted.has(file.replace(/\.map$/, ''))) fs.rmSync(file);
  }
  for (const action of manifest.actions) {
    const outfile = path.join(root, action.entry);
    const result = await esbuild.build({
      stdin: { contents: entryFor(root, action.id), resolveDir: root, loader: 'ts', sourcefile: `entry-${action.id}.ts` },
      outfile,
      ...COMMON,
      plugins: [sharedExternals, shims],
      banner: { js: `// ${manifest.name}: ${action.name} (${action.id}). Built by scripts/build.mjs; do not edit.` },
    });
    meta[action.id] = {
      bytes: fs.statSync(outfile).size,
      inputs: Object.keys(result.metafile.inputs).map((p) => path.relative(repoRoot, path.resolve(repoRoot, p))).sort(),
    };
  }
  const externals = new Set(Object.values(meta).length ? SHARED.map((s) => s.out) : []);
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
  const actions = Object.keys(ours).filter((k) => !k.startsWith('dist/'));
  process.stderr.write(`build: ${actions.length} action bundle(s) in dist/actions, ${Object.keys(ours).length - actions.length} shared, fixture bundles, in ${Date.now() - t0} ms\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`build failed: ${err.message ?? err}\n`);
    process.exit(1);
  });
}
