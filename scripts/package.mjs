#!/usr/bin/env node
// The marketplace archive: builds (scripts/build.mjs), then writes dist/<package name>-<version>.zip holding what an
// engine needs to install and run the package, with the archive's root as the package root (CONTRACT.md section 1:
// `node <root>/<entry>`). Everything is found from manifest/manifest.json, never from a list kept here:
//
//   manifest/manifest.json and its icon
//   the schemas it points at (its own $schema, each action's parameters and result), every file they $ref, and the
//     result envelope (schemas/common/result.schema.json)
//   each action's entry (dist/actions/<id>.js), its bundle (<id>.bundle.js) and code cache (<id>.bundle.cache, when
//     the build made one), and the shared bundles they require (dist/shared/*.js; the build's dist/bundles.json says
//     which exist); no source maps, no node_modules: the bundles are self-contained
//   README.md, CONTRACT.md (the interface it promises), LICENSE, and THIRD-PARTY-NOTICES.md (the licences of the npm packages inside the bundles)
//
// Also written: dist/<name>-<version>.zip.sha256 (sha256sum format). The archive is reproducible: sorted entries, one
// timestamp ($SOURCE_DATE_EPOCH, else the last commit's time, else 1980-01-01). Prints the archive's path on stdout.
//
//   node scripts/package.mjs             build, then package
//   node scripts/package.mjs --no-build  package what dist/ holds (after npm run build)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeZip } from './zip.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const posix = (p) => p.split(path.sep).join('/');

class PackageError extends Error {}

/** A path from the package root, checked to stay inside it. */
function inside(root, rel, what) {
  const abs = path.resolve(root, rel);
  const back = path.relative(root, abs);
  if (back.startsWith('..') || path.isAbsolute(back)) throw new PackageError(`${what} ${JSON.stringify(rel)} is outside the package`);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) throw new PackageError(`${what} ${posix(back)} does not exist`);
  return posix(back);
}

/** The schema files reachable from `start` through `$ref`s to other files (same-file refs need nothing). */
function schemaClosure(root, start) {
  const files = new Set();
  const queue = [...start];
  while (queue.length) {
    const rel = queue.shift();
    if (files.has(rel)) continue;
    files.add(rel);
    const visit = (node) => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) {
          if (/^[a-z][a-z0-9+.-]*:/i.test(v)) throw new PackageError(`${rel}: $ref ${v} points outside the package`);
          queue.push(inside(root, path.join(path.dirname(rel), v.split('#')[0]), `$ref in ${rel}:`));
        } else visit(v);
      }
    };
    visit(readJson(path.join(root, rel)));
  }
  return [...files];
}

/** The npm packages whose code went into the given bundles, with their licence texts. */
function thirdPartyNotices(root, bundleMeta) {
  const dirs = new Set();
  for (const meta of bundleMeta) {
    for (const input of meta.inputs) {
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) dirs.add(m[1]);
    }
  }
  const sections = [...dirs]
    .map((dir) => {
      const pkg = readJson(path.join(root, dir, 'package.json'));
      const licenceFile = fs.readdirSync(path.join(root, dir)).filter((f) => /^(licen[cs]e|copying|notice)(\.|-|$)/i.test(f)).sort()[0];
      const text = licenceFile ? fs.readFileSync(path.join(root, dir, licenceFile), 'utf8').trim() : `(the package ships no licence file; package.json says ${pkg.license ?? 'nothing'})`;
      return { name: pkg.name, version: pkg.version, license: typeof pkg.license === 'string' ? pkg.license : JSON.stringify(pkg.license), text };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = [
    '# Third-party notices',
    '',
    'The action bundles under dist/ include code from these npm packages, under their own licences.',
    '',
    '| package | version | licence |',
    '|---|---|---|',
    ...sections.map((s) => `| ${s.name} | ${s.version} | ${s.license} |`),
    '',
  ];
  for (const s of sections) lines.push(`## ${s.name} ${s.version}`, '', '```', s.text, '```', '');
  return lines.join('\n');
}

/** Collects the archive's files: Map of path in the archive -> content. */
export function collect(root = repoRoot) {
  const manifestRel = 'manifest/manifest.json';
  const manifest = readJson(path.join(root, manifestRel));
  const pkg = readJson(path.join(root, 'package.json'));
  if (manifest.version !== pkg.version) throw new PackageError(`manifest version ${manifest.version} differs from package.json version ${pkg.version}`);
  const files = new Map();
  const add = (rel, data) => files.set(rel, data ?? fs.readFileSync(path.join(root, rel)));

  add(manifestRel);
  if (manifest.icon) add(inside(root, manifest.icon, 'the manifest icon'));

  const schemaStarts = ['schemas/common/result.schema.json'];
  if (manifest.$schema) schemaStarts.push(inside(root, path.join('manifest', manifest.$schema), 'the manifest $schema'));
  for (const a of manifest.actions) schemaStarts.push(inside(root, a.parameters, `${a.id} parameters`), inside(root, a.result, `${a.id} result`));
  for (const rel of schemaClosure(root, schemaStarts.map((s) => posix(path.normalize(s))))) add(rel);

  const bundlesFile = path.join(root, 'dist', 'bundles.json');
  if (!fs.existsSync(bundlesFile)) throw new PackageError('dist/bundles.json is missing: build first (npm run build)');
  const bundles = readJson(bundlesFile);
  const built = Object.keys(bundles).filter((k) => !k.startsWith('dist/')).sort();
  const wanted = manifest.actions.map((a) => a.id).sort();
  if (JSON.stringify(built) !== JSON.stringify(wanted)) throw new PackageError(`dist/ was built for actions ${built.join(', ')} but the manifest lists ${wanted.join(', ')}: build again`);
  const code = [];
  for (const a of manifest.actions) {
    code.push([inside(root, a.entry, `${a.id} entry`), { inputs: [] }]);
    if (!bundles[a.id].bundle) throw new PackageError(`dist/bundles.json names no bundle for ${a.id}: build again`);
    const bundleRel = inside(root, bundles[a.id].bundle, `${a.id} bundle`);
    code.push([bundleRel, bundles[a.id]]);
    // the V8 code cache the build made for the bundle (lib/runtime/load.ts); a package built without one still works
    const cacheRel = bundleRel.replace(/\.js$/, '.cache');
    if (fs.existsSync(path.join(root, cacheRel))) add(cacheRel);
  }
  for (const shared of Object.keys(bundles).filter((k) => k.startsWith('dist/'))) code.push([inside(root, shared, 'shared bundle'), bundles[shared]]);
  for (const [rel] of code) add(rel);
  // every relative require of a bundle must be in the archive: the archive is the only source of code at run time
  for (const [rel] of code) {
    const text = files.get(rel).toString('utf8');
    for (const m of text.matchAll(/\brequire\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)) {
      const target = posix(path.normalize(path.join(path.dirname(rel), m[1])));
      if (!files.has(target)) throw new PackageError(`${rel} requires ${m[1]}, which is not in the archive`);
    }
  }

  add('README.md');
  add('CONTRACT.md');
  add(inside(root, 'LICENSE', 'the licence'));
  add('THIRD-PARTY-NOTICES.md', Buffer.from(thirdPartyNotices(root, code.map(([, meta]) => meta))));

  for (const rel of files.keys()) {
    if (/(^|\/)node_modules\/|\.map$|\.tsx?$|(^|\/)test\//.test(rel)) throw new PackageError(`${rel} must not be in the archive`);
  }
  return { manifest, pkg, files };
}

/** The archive's timestamp: $SOURCE_DATE_EPOCH (reproducible-builds.org), else the last commit's, else none. */
function sourceDateMs() {
  let epoch = process.env.SOURCE_DATE_EPOCH;
  if (!epoch) {
    const git = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    epoch = git.status === 0 ? git.stdout.trim() : '';
  }
  return /^\d+$/.test(epoch ?? '') ? Number(epoch) * 1000 : undefined;
}

function main(argv) {
  const noBuild = argv.includes('--no-build');
  const unknown = argv.filter((a) => a !== '--no-build');
  if (unknown.length) throw new PackageError(`unknown argument ${unknown[0]}; usage: package.mjs [--no-build]`);
  if (!noBuild) {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs')], { stdio: ['ignore', 2, 2] });
    if (r.status !== 0) throw new PackageError(`the build failed (exit ${r.status})`);
  }
  const { pkg, files } = collect(repoRoot);
  const mtimeMs = sourceDateMs();
  const names = [...files.keys()].sort();
  const zip = writeZip(names.map((name) => ({ name, data: files.get(name) })), { mtimeMs });
  const base = `${pkg.name}-${pkg.version}.zip`;
  const dist = path.join(repoRoot, 'dist');
  for (const old of fs.readdirSync(dist)) if (old.startsWith(`${pkg.name}-`) && /\.zip(\.sha256)?$/.test(old)) fs.rmSync(path.join(dist, old));
  const out = path.join(dist, base);
  fs.writeFileSync(out, zip);
  const sha256 = crypto.createHash('sha256').update(zip).digest('hex');
  fs.writeFileSync(`${out}.sha256`, `${sha256}  ${base}\n`);
  const unpacked = names.reduce((n, f) => n + files.get(f).length, 0);
  process.stderr.write(`package: ${names.length} files, ${(unpacked / 1024).toFixed(0)} KB unpacked, ${(zip.length / 1024).toFixed(0)} KB zipped, sha256 ${sha256}\n`);
  process.stdout.write(`${out}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`package failed: ${err instanceof PackageError ? err.message : (err.stack ?? err)}\n`);
    process.exit(1);
  }
}
