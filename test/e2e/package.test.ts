// The marketplace archive: `npm run package` (scripts/package.mjs), unpacked with our own reader into an empty
// folder; its file list checked against the manifest; Ping run from there against the emulator, with the unpacked
// folder as the only source of code (cwd there, no NODE_PATH).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020';
import { useEmulator } from '../support/emulator';
import { repoRoot } from '../support/paths';
import { startProxy } from '../support/proxy';
import { expectContract, runEntry } from '../support/run';
import { unzipTo, type ZipEntry } from '../support/zip';

interface ManifestAction {
  id: string;
  entry: string;
  parameters: string;
  result: string;
}
interface Manifest {
  $schema: string;
  version: string;
  icon?: string;
  actions: ManifestAction[];
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** The schema files a set of schema files reaches through `$ref`s to other files (this test's own walk). */
function refClosure(root: string, start: string[]): Set<string> {
  const out = new Set<string>();
  const todo = [...start];
  while (todo.length) {
    const rel = todo.pop()!;
    if (out.has(rel)) continue;
    out.add(rel);
    const text = fs.readFileSync(path.join(root, rel), 'utf8');
    for (const m of text.matchAll(/"\$ref"\s*:\s*"([^"#][^"#]*)(#[^"]*)?"/g)) todo.push(path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1]!)));
  }
  return out;
}

describe('the marketplace archive (npm run package)', function () {
  this.timeout(180_000);
  const emulator = useEmulator({ seed: 8, incidents: 10, quotas: false }, 'package');
  const manifest = readJson(path.join(repoRoot, 'manifest/manifest.json')) as Manifest;
  const pkg = readJson(path.join(repoRoot, 'package.json')) as { name: string; version: string };
  let archive = '';
  let dir = '';
  let entries: ZipEntry[] = [];
  let names: string[] = [];

  before(() => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/package.mjs')], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    archive = r.stdout.trim();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365d-unpacked-'));
    entries = unzipTo(fs.readFileSync(archive), dir);
    names = entries.map((e) => e.name);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is dist/<name>-<version>.zip with its sha256 beside it', () => {
    expect(archive).to.equal(path.join(repoRoot, 'dist', `${pkg.name}-${manifest.version}.zip`));
    const sha = crypto.createHash('sha256').update(fs.readFileSync(archive)).digest('hex');
    expect(fs.readFileSync(`${archive}.sha256`, 'utf8')).to.equal(`${sha}  ${path.basename(archive)}\n`);
  });

  it('is reproducible: packaging the same build again gives the same bytes', () => {
    const first = fs.readFileSync(archive);
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/package.mjs'), '--no-build'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.readFileSync(archive).equals(first)).to.equal(true);
  });

  it('holds exactly the manifest, its icon, its schemas and what they $ref, its bundles, README, CONTRACT, LICENSE and notices', () => {
    const bundles = readJson(path.join(repoRoot, 'dist/bundles.json')) as Record<string, unknown>;
    const schemaStarts = ['schemas/common/result.schema.json', path.posix.normalize(path.posix.join('manifest', manifest.$schema))];
    for (const a of manifest.actions) schemaStarts.push(a.parameters, a.result);
    const expected = new Set([
      'manifest/manifest.json',
      'README.md',
      'CONTRACT.md',
      'LICENSE',
      'THIRD-PARTY-NOTICES.md',
      ...(manifest.icon ? [manifest.icon] : []),
      ...manifest.actions.flatMap((a) => [a.entry, a.entry.replace(/\.js$/, '.bundle.js'), a.entry.replace(/\.js$/, '.bundle.cache')]),
      ...Object.keys(bundles).filter((k) => k.startsWith('dist/shared/')),
      ...refClosure(repoRoot, schemaStarts),
    ]);
    expect(expected.size).to.be.greaterThan(manifest.actions.length * 3);
    expect([...names].sort()).to.deep.equal([...expected].sort());
    expect(names).to.include.members(['schemas/common/context.schema.json', 'schemas/common/incident.schema.json', 'schemas/manifest.schema.json', 'dist/shared/msal.js', 'dist/shared/tunnel.js']);
  });

  it('holds no node_modules, tests, sources, source maps or secrets, and regular files only', () => {
    for (const e of entries) {
      expect(e.name).not.to.match(/^(test|build|lib|actions|scripts|node_modules)\/|\/node_modules\//);
      expect(e.name).not.to.match(/\.(map|ts|mts|cts|tsbuildinfo|env|pem|key)$/);
      expect(e.mode, e.name).to.equal(0o100644);
      const text = e.data.toString('utf8');
      expect(text, e.name).not.to.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=]{64}/);
      expect(text, e.name).not.to.match(/sourceMappingURL=data:/);
      expect(text, e.name).not.to.match(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./);
    }
  });

  it('holds the bundles as built, needing only Node built-ins and each other', () => {
    let relative = 0;
    for (const name of names.filter((n) => n.endsWith('.js'))) {
      const data = fs.readFileSync(path.join(dir, name));
      expect(data.equals(fs.readFileSync(path.join(repoRoot, name))), name).to.equal(true);
      const text = data.toString('utf8');
      // a require call in code (not inside a string, as Ajv's `.code = 'require("ajv/...")'` is)
      for (const m of text.matchAll(/(?<!['"\w.$])require\(\s*"([^"]+)"\s*\)/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) {
          relative++;
          expect(names, `${name} requires ${spec}`).to.include(path.posix.normalize(path.posix.join(path.posix.dirname(name), spec)));
        } else if (!builtinModules.includes(spec.replace(/^node:/, ''))) {
          // only an optional package, tried inside try/catch (node-fetch's `encoding`, for textConverted(), unused here)
          expect(text.slice(Math.max(0, m.index - 40), m.index), `${name} requires ${spec} outside a try block`).to.match(/try \{\s*(\w+ = )?$/);
        }
      }
    }
    expect(relative).to.be.greaterThan(0);
  });

  it('validates its manifest and compiles every action schema from the unpacked schemas alone', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    ajv.addVocabulary(['x-dropdown', 'x-list']);
    for (const name of names.filter((n) => n.startsWith('schemas/'))) ajv.addSchema(readJson(path.join(dir, name)));
    const unpacked = readJson(path.join(dir, 'manifest/manifest.json')) as Manifest;
    const validate = ajv.getSchema(readJson(path.join(dir, 'manifest', unpacked.$schema)).$id)!;
    expect(validate(unpacked), JSON.stringify(validate.errors)).to.equal(true);
    for (const a of unpacked.actions) {
      for (const file of [a.parameters, a.result]) expect(ajv.getSchema(readJson(path.join(dir, file)).$id), file).to.be.a('function');
    }
    expect(fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8')).to.match(/^MIT License/);
    expect(fs.readFileSync(path.join(dir, unpacked.icon!), 'utf8')).to.match(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(fs.readFileSync(path.join(dir, 'THIRD-PARTY-NOTICES.md'), 'utf8')).to.include('| @azure/msal-node |');
  });

  describe('run from the unpacked folder', () => {
    /** the environment of an engine: no NODE_PATH, nothing of this repository */
    const engineEnv = (env: Record<string, string | undefined>) => ({ ...env, NODE_PATH: undefined, NODE_OPTIONS: undefined, M365D_STATE_DIR: emulator.freshState() });
    const run = (entry: string, env: Record<string, string | undefined>, input: unknown) => runEntry(path.join(dir, entry), { cwd: dir, env: engineEnv(env), input, timeoutMs: 60_000 });

    it('every action of the manifest starts and answers by the contract', async () => {
      for (const a of manifest.actions) {
        const r = await run(a.entry, emulator.em.env, {});
        expectContract(r);
        expect([r.code, r.result['error']?.code], a.id).to.deep.equal([2, 'INVALID_INPUT']);
      }
    });

    for (const flavor of ['graph', 'defender'] as const) {
      it(`Ping on ${flavor === 'graph' ? 'Microsoft Graph' : 'the Defender XDR API'}: a token (MSAL from dist/shared), an incident and hunting`, async () => {
        const em = emulator.em;
        const r = await run('dist/actions/ping.js', flavor === 'graph' ? em.env : em.legacyEnv, { case_id: 'pkg', alert_group_identifiers: [], check_hunting: true });
        expectContract(r);
        expect(r.result['status'], r.stdout).to.equal('completed');
        expect(r.result['json_result']).to.deep.include({ api_family: flavor, credential: 'secret' });
        expect(r.result['json_result'].checks.map((c: { name: string; ok: boolean }) => `${c.name}:${c.ok}`)).to.deep.equal(['token:true', 'incident_read:true', 'hunting:true']);
      });
    }

    it('runs each bundle from the code cache the build made for it (lib/runtime/load.ts)', async () => {
      for (const a of manifest.actions) {
        const cache = a.entry.replace(/\.js$/, '.bundle.cache');
        expect(fs.readFileSync(path.join(dir, cache)).equals(fs.readFileSync(path.join(repoRoot, cache))), cache).to.equal(true);
      }
      const r = await run('dist/actions/ping.js', { ...emulator.em.env, M365D_LOG_LEVEL: 'debug' }, { case_id: 'pkg', alert_group_identifiers: [] });
      expect(r.result['status'], r.stdout).to.equal('completed');
      const configuration = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'Configuration');
      expect(configuration?.['code_cache'], r.stderr).to.equal('cache');
    });

    it('Ping through a proxy (the tunnel from dist/shared)', async () => {
      const proxy = await startProxy();
      try {
        const r = await run('dist/actions/ping.js', { ...emulator.em.env, M365D_PROXY_URL: proxy.url }, { case_id: 'pkg', alert_group_identifiers: [] });
        expectContract(r);
        expect(r.result['status'], r.stdout).to.equal('completed');
        expect(proxy.connects.map((c) => c.status)).to.include(200);
      } finally {
        await proxy.close();
      }
    });
  });
});
