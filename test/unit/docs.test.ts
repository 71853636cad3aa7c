// The README's generated blocks (scripts/docs.mjs): fresh, made from the manifest and schemas, prose left alone.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const docs = (args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'scripts/docs.mjs'), ...args], { encoding: 'utf8' });

interface Manifest {
  configuration: Array<{ env: string; label: string }>;
  actions: Array<{ id: string; name: string; parameters: string; permissions: Array<{ graph: string; defender: string }> }>;
}

describe('README generated from the manifest and schemas (npm run docs)', function () {
  this.timeout(30_000);
  const manifest = readJson(path.join(repoRoot, 'manifest/manifest.json')) as Manifest;
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const block = (name: string) => readme.slice(readme.indexOf(`<!-- generated:${name} -->`), readme.indexOf(`<!-- /generated:${name} -->`));

  it('is up to date (scripts/docs.mjs --check)', () => {
    const r = docs(['--check']);
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
  });

  it('lists every configuration field, every action with each of its parameters, and each action\'s permissions', () => {
    for (const f of manifest.configuration) expect(block('configuration')).to.include(`| \`${f.env}\` |`).and.to.include(`**${f.label}.**`);
    for (const a of manifest.actions) {
      expect(block('actions')).to.include(`### ${a.name}\n\n\`${a.id}\``);
      for (const name of Object.keys(readJson(path.join(repoRoot, a.parameters)).properties ?? {})) {
        expect(block('actions').slice(block('actions').indexOf(`### ${a.name}\n`)), `${a.id}.${name}`).to.include(`| \`${name}\` |`);
      }
      const row = block('permissions').split('\n').find((l) => l.startsWith(`| ${a.name} |`));
      expect(row, a.id).to.be.a('string');
      for (const p of a.permissions) expect(row).to.include(`\`${p.graph}\``).and.to.include(`\`${p.defender}\``);
    }
  });

  describe('on a copy of the package', () => {
    let root = '';
    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-check-'));
      for (const part of ['README.md', 'manifest', 'schemas']) fs.cpSync(path.join(repoRoot, part), path.join(root, part), { recursive: true });
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it('reports the block a schema change makes stale, and rewrites only the blocks', () => {
      const file = path.join(root, 'schemas/actions/get-incident.input.schema.json');
      const schema = readJson(file);
      schema.properties.incident_id.description = 'A changed description.';
      fs.writeFileSync(file, JSON.stringify(schema));
      const readmeFile = path.join(root, 'README.md');
      fs.writeFileSync(readmeFile, fs.readFileSync(readmeFile, 'utf8').replace('## Quick start', '## Quick start\n\nHand-written words stay.'));
      const r = docs(['--check', '--root', root]);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.equal('README.md is out of date with the manifest and schemas (run npm run docs): generated:actions\n');
      expect(docs(['--root', root]).status).to.equal(0);
      expect(docs(['--check', '--root', root]).status).to.equal(0);
      const after = fs.readFileSync(readmeFile, 'utf8');
      expect(after).to.include('| `incident_id` | string |  | yes | A changed description. |');
      expect(after).to.include('## Quick start\n\nHand-written words stay.');
      expect(after.replace(/A changed description\./g, 'The incident number, as the Defender portal shows it (e.g. 42).')).to.equal(readme.replace('## Quick start', '## Quick start\n\nHand-written words stay.'));
    });

    it('follows the manifest: a new action and a new configuration field appear without touching the script', () => {
      const file = path.join(root, 'manifest/manifest.json');
      const m = readJson(file);
      m.actions.push({ ...m.actions.find((a: { id: string }) => a.id === 'get-incident'), id: 'new-action', name: 'New Action', permissions: [] });
      m.configuration.push({ ...m.configuration.find((f: { env: string }) => f.env === 'M365D_TIMEOUT'), name: 'extra', env: 'M365D_EXTRA', label: 'Extra' });
      fs.writeFileSync(file, JSON.stringify(m));
      expect(docs(['--check', '--root', root]).stderr).to.include('generated:configuration, generated:permissions, generated:actions');
      expect(docs(['--root', root]).status).to.equal(0);
      const after = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
      expect(after).to.include('### New Action\n\n`new-action`');
      expect(after).to.include('| New Action | none | none |');
      expect(after).to.include('| `M365D_EXTRA` | number | `60` |');
    });

    it('refuses a README without its markers, and a parameter without a description', () => {
      const readmeFile = path.join(root, 'README.md');
      fs.writeFileSync(readmeFile, readme.replace('<!-- /generated:permissions -->', ''));
      let r = docs(['--check', '--root', root]);
      expect([r.status, r.stderr]).to.deep.equal([2, 'docs failed: README.md must hold <!-- generated:permissions --> and then <!-- /generated:permissions -->, once each\n']);
      fs.writeFileSync(readmeFile, readme);
      const file = path.join(root, 'schemas/actions/get-incident.input.schema.json');
      const schema = readJson(file);
      delete schema.properties.incident_id.description;
      fs.writeFileSync(file, JSON.stringify(schema));
      r = docs(['--root', root]);
      expect([r.status, r.stderr]).to.deep.equal([2, "docs failed: schemas/actions/get-incident.input.schema.json: parameter 'incident_id' has no description\n"]);
      expect(fs.readFileSync(readmeFile, 'utf8')).to.equal(readme);
    });
  });
});
