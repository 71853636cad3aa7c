// The package's own files: manifest against its schema and the contract, generated files fresh, bundles lean.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PERMISSIONS } from '../../lib/defender/api';
import { permissionFor, type Capability } from '../../lib/defender/surfaces';
import { fixtureRoot, repoRoot } from '../support/paths';
import { validatorFor } from '../support/schemas';

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** CONTRACT.md section 3, variable by variable, with its default. */
const CONTRACT_CONFIGURATION: Record<string, unknown> = {
  M365D_CLOUD: 'Worldwide',
  M365D_API_URL: null,
  M365D_API_FLAVOR: null,
  M365D_LOGIN_URL: null,
  M365D_ENDPOINT_API_URL: null,
  M365D_TENANT_ID: null,
  M365D_CLIENT_ID: null,
  M365D_CLIENT_SECRET: null,
  M365D_CLIENT_CERTIFICATE: null,
  M365D_AUTH: null,
  M365D_MANAGED_IDENTITY_RESOURCE_ID: null,
  M365D_MANAGED_IDENTITY_OBJECT_ID: null,
  M365D_FEDERATED_TOKEN_FILE: null,
  M365D_VERIFY_SSL: true,
  M365D_CA_CERTIFICATE: null,
  M365D_PROXY_URL: null,
  M365D_TIMEOUT: 60,
  M365D_ACTION_TIMEOUT: null,
  M365D_STATE_DIR: null,
  M365D_LOG_LEVEL: 'info',
};

describe('package files', () => {
  for (const root of [repoRoot, fixtureRoot]) {
    const name = path.relative(repoRoot, root) || 'this package';
    describe(`manifest of ${name}`, () => {
      const manifest = readJson(path.join(root, 'manifest/manifest.json'));

      it('validates against schemas/manifest.schema.json', () => {
        const validate = validatorFor('schemas/manifest.schema.json');
        expect(validate(manifest), JSON.stringify(validate.errors, null, 1)).to.equal(true);
      });

      it('points at schemas that exist and compile, and at entries under dist/actions named by id', () => {
        const ids = new Set<string>();
        for (const action of manifest.actions) {
          expect(ids.has(action.id), `duplicate id ${action.id}`).to.equal(false);
          ids.add(action.id);
          expect(action.entry).to.equal(`dist/actions/${action.id}.js`);
          for (const file of [action.parameters, action.result]) {
            expect(fs.existsSync(path.join(root, file)), file).to.equal(true);
            expect(() => validatorFor(path.join(root, file))).not.to.throw();
          }
          expect(fs.existsSync(path.join(root, 'actions', `${action.id}.ts`)), `actions/${action.id}.ts`).to.equal(true);
        }
      });
    });
  }

  it('lists every configuration variable of the contract once, with its default', () => {
    const manifest = readJson(path.join(repoRoot, 'manifest/manifest.json'));
    const byEnv = Object.fromEntries(manifest.configuration.map((f: { env: string; default: unknown }) => [f.env, f.default]));
    expect(manifest.configuration.map((f: { env: string }) => f.env)).to.have.members(Object.keys(CONTRACT_CONFIGURATION));
    expect(byEnv).to.deep.equal(CONTRACT_CONFIGURATION);
    const required = manifest.configuration.filter((f: { required: boolean }) => f.required).map((f: { env: string }) => f.env);
    // none: a managed identity needs neither a tenant nor a client id, so the configuration asks for them where the
    // sign-in method needs them (CONFIGURATION naming the variable), and their default_description says when
    expect(required).to.deep.equal([]);
    const described = Object.fromEntries(manifest.configuration.map((f: { env: string; default_description?: string }) => [f.env, f.default_description]));
    expect(described['M365D_TENANT_ID']).to.match(/^required, except with a managed identity/);
    expect(described['M365D_CLIENT_ID']).to.match(/^required for an app registration/);
  });

  it('lists each action\'s permissions as pairs of PERMISSIONS (lib/defender/api.ts), so the README cannot name others', () => {
    const manifest = readJson(path.join(repoRoot, 'manifest/manifest.json'));
    const pairs = Object.entries(PERMISSIONS).map(([capability, p]) => ({ capability, ...p }));
    const used = new Set<string>();
    for (const action of manifest.actions as Array<{ id: string; parameters: string; permissions: Array<{ graph: string; defender: string; when?: string; api?: string }> }>) {
      expect(action.permissions, action.id).to.be.an('array');
      for (const p of action.permissions) {
        // one capability's names on both API families, as lib/defender/api.ts pairs them
        const match = pairs.find((c) => c.graph === p.graph && c.defender === p.defender);
        expect(match, `${action.id}: ${p.graph} / ${p.defender} is not a pair of PERMISSIONS`).to.not.equal(undefined);
        used.add(match!.capability);
        // a permission on another API than the configured one says which (alerts: Graph, also with Defender XDR configured)
        const elsewhere = (['graph', 'defender'] as const).map((family) => permissionFor(match!.capability as Capability, family).surface).find((surface, i) => surface !== ['graph', 'defender'][i]);
        expect((p as { api?: string }).api, `${action.id}: ${p.graph} is on ${elsewhere ?? 'the configured API'}`).to.equal(elsewhere);
        // a condition names a parameter of the action
        if (p.when) expect(readJson(path.join(repoRoot, action.parameters)).properties, `${action.id}: when ${p.when}`).to.have.property(p.when.split(' ')[0]!);
      }
      expect(new Set(action.permissions.map((p) => p.graph)).size, `${action.id} lists a permission twice`).to.equal(action.permissions.length);
    }
    // every capability is needed by some action
    expect([...used].sort()).to.deep.equal(['accountActions', 'collect', 'hunting', 'indicators', 'isolate', 'readAccounts', 'readAlerts', 'readIncidents', 'readMachines', 'restrict', 'scan', 'stopAndQuarantine', 'writeAlerts', 'writeIncidents']);
    const byId = Object.fromEntries(manifest.actions.map((a: { id: string; permissions: unknown }) => [a.id, a.permissions]));
    expect(byId['ping']).to.deep.equal([PERMISSIONS.readIncidents, { ...PERMISSIONS.hunting, when: 'check_hunting is true' }, { ...PERMISSIONS.readMachines, when: 'check_endpoint_api is true', api: 'endpoint' }]);
    expect(byId['isolate-device']).to.deep.equal([{ ...PERMISSIONS.isolate, api: 'endpoint' }, { ...PERMISSIONS.readMachines, api: 'endpoint' }]);
    expect(PERMISSIONS.isolate).to.deep.equal({ graph: 'Machine.Isolate', defender: 'Machine.Isolate' });
  });

  it('rejects a manifest that breaks its schema', () => {
    const validate = validatorFor('schemas/manifest.schema.json');
    const manifest = readJson(path.join(fixtureRoot, 'manifest/manifest.json'));
    const broken = { ...manifest, actions: [{ ...manifest.actions[0], type: 'Magic', entry: 'actions/echo.ts' }] };
    expect(validate(broken)).to.equal(false);
    expect((validate.errors ?? []).map((e) => e.instancePath)).to.include.members(['/actions/0/type', '/actions/0/entry']);
  });

  describe('generated files (lib/generated)', function () {
    this.timeout(60_000);
    const codegen = (args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'scripts/codegen.mjs'), ...args], { encoding: 'utf8' });

    for (const root of [repoRoot, fixtureRoot]) {
      it(`are up to date with the schemas in ${path.relative(repoRoot, root) || 'this package'}`, () => {
        const r = codegen(['--check', '--root', root]);
        expect(r.stderr).to.equal('');
        expect(r.status).to.equal(0);
      });
    }

    it('are reported stale when a schema changes', () => {
      // a copy of the fixture package at the same depth, so its relative $refs still resolve
      const copy = path.join(repoRoot, 'build', 'stale-check', 'pkg');
      fs.rmSync(copy, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(copy), { recursive: true });
      fs.cpSync(fixtureRoot, copy, { recursive: true, filter: (src) => !src.includes(`${path.sep}dist`) });
      expect(codegen(['--check', '--root', copy]).status).to.equal(0);
      const file = path.join(copy, 'schemas/echo.input.schema.json');
      const schema = readJson(file);
      schema.properties.count.maximum = 6;
      fs.writeFileSync(file, JSON.stringify(schema));
      fs.writeFileSync(path.join(copy, 'lib/generated/leftover.ts'), '');
      const r = codegen(['--check', '--root', copy]);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.include('stale: lib/generated/actions/echo.spec.ts');
      expect(r.stderr).to.include('not generated by codegen: lib/generated/leftover.ts');
      expect(codegen(['--root', copy]).status).to.equal(0);
      expect(codegen(['--check', '--root', copy]).status).to.equal(0);
      expect(fs.existsSync(path.join(copy, 'lib/generated/leftover.ts'))).to.equal(false);
    });
  });

  describe('action bundles', () => {
    for (const root of [repoRoot, fixtureRoot]) {
      it(`of ${path.relative(repoRoot, root) || 'this package'} hold no schema compiler, code generator, parser, MSAL or URL tables`, () => {
        const meta = readJson(path.join(root, 'dist/bundles.json')) as Record<string, { inputs: string[] }>;
        const manifest = readJson(path.join(root, 'manifest/manifest.json'));
        const actions = Object.keys(meta).filter((k) => !k.startsWith('dist/'));
        expect(actions.sort()).to.deep.equal(manifest.actions.map((a: { id: string }) => a.id).sort());
        for (const id of actions) {
          const inputs = meta[id]!.inputs;
          const heavy = inputs.filter((p) => /node_modules\/(ajv\/dist\/(?!runtime\/)|json-schema-to-typescript|prettier|@kusto|typescript|esbuild|mocha|chai|sinon|@azure|jsonwebtoken|whatwg-url|tr46)/.test(p));
          expect(heavy, id).to.deep.equal([]);
          expect(inputs.filter((p) => p.startsWith('test/emulator')), id).to.deep.equal([]);
          expect(inputs, id).not.to.include('lib/auth/msal.ts');
          expect(inputs.filter((p) => /https-proxy-agent|agent-base|node_modules\/debug\//.test(p)), id).to.deep.equal([]);
        }
      });
    }

    it('hold no dynamic import(): the loader runs them through vm.Script, which has no module loader for it', () => {
      const meta = readJson(path.join(repoRoot, 'dist/bundles.json')) as Record<string, { bundle?: string }>;
      const bundles = Object.entries(meta).filter(([k]) => !k.startsWith('dist/'));
      expect(bundles.length).to.be.greaterThan(0);
      for (const [id, m] of bundles) {
        expect(m.bundle, id).to.equal(`dist/actions/${id}.bundle.js`);
        const code = fs.readFileSync(path.join(repoRoot, m.bundle!), 'utf8');
        expect(code.match(/[^\w$.]import\(/g) ?? [], id).to.deep.equal([]);
      }
    });

    it('load MSAL from the shared bundle, only when a token must be fetched', () => {
      const meta = readJson(path.join(repoRoot, 'dist/bundles.json')) as Record<string, { inputs: string[] }>;
      expect(meta['dist/shared/msal.js']?.inputs).to.include('lib/auth/msal.ts');
      expect(meta['dist/shared/msal.js']?.inputs.some((p) => p.startsWith('node_modules/@azure/msal-node/'))).to.equal(true);
      const ping = fs.readFileSync(path.join(repoRoot, 'dist/actions/ping.bundle.js'), 'utf8');
      expect(ping).to.include('require("../shared/msal.js")');
      expect(ping).to.include('require("../shared/tunnel.js")');
      expect(meta['dist/shared/tunnel.js']?.inputs.some((p) => p.includes('https-proxy-agent'))).to.equal(true);
    });
  });
});
