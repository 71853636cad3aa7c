// CONTRACT.md, the interface this package promises, kept true where the code can check it: the error codes and exit
// codes (lib/runtime/errors.ts), the configuration variables (the manifest's configuration fields: exactly the rows
// of section 3 not marked planned), the action types (the manifest's schema); and the README links to it.
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES, exitCodeFor } from '../../lib/runtime/errors';
import { repoRoot } from '../support/paths';

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(repoRoot, file), 'utf8'));
const contract = fs.readFileSync(path.join(repoRoot, 'CONTRACT.md'), 'utf8');

/** The text of section `n` ("## n. ..."), up to the next section. */
function section(n: number): string {
  const start = contract.search(new RegExp(`^## ${n}\\. `, 'm'));
  expect(start, `section ${n}`).to.be.greaterThan(-1);
  const rest = contract.slice(start + 1);
  const next = rest.search(/^## \d+\. /m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The rows of the first markdown table in `text` after `header` (a line starting with it), as arrays of cells. */
function tableAfter(text: string, header: string): string[][] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(header));
  expect(at, header).to.be.greaterThan(-1);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(' | ').map((c) => c.trim()));
  }
  return rows;
}

/** sections 1 to 8 of the action-runner contract as the interface states them */
const INTERFACE_SHA256 = '73bfe1523e3e4092aa213e3c3644050bebda8ebca61aa6e7a1d68937ed168cda';

const codesIn = (text: string): string[] => [...text.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!);

describe('CONTRACT.md', () => {
  it('has the sections of the interface and the package\'s own decisions', () => {
    const headings = [...contract.matchAll(/^## (\d+)\. (.+)$/gm)].map((m) => `${m[1]}. ${m[2]}`);
    expect(headings).to.deep.equal([
      '1. Invocation', '2. Action input (stdin)', '3. Configuration (environment)', '4. Result (stdout)', '5. Logs (stderr)',
      '6. Daemon actions', '7. The manifest', '8. Actions that start work at Microsoft', '9. What this package decided where the contract is silent',
    ]);
  });

  it('names the error codes of lib/runtime/errors.ts, in order', () => {
    const row = tableAfter(section(4), '| key |').find((r) => r[0] === '`error`');
    expect(row, 'the error row of section 4').to.not.equal(undefined);
    expect(codesIn(row![2]!)).to.deep.equal([...ERROR_CODES]);
  });

  it('gives each error code the exit code exitCodeFor gives it, and says so in section 4\'s words', () => {
    const rows = tableAfter(section(9), '| `error.code` | exit code |');
    expect(rows.map((r) => codesIn(r[0]!)[0])).to.deep.equal([...ERROR_CODES]);
    for (const [code, exit] of rows) expect(Number(exit), code).to.equal(exitCodeFor(codesIn(code!)[0] as (typeof ERROR_CODES)[number]));
    const two = ERROR_CODES.filter((c) => exitCodeFor(c) === 2);
    expect(two).to.deep.equal(['INVALID_INPUT', 'CONFIGURATION']);
    expect(section(4)).to.include('`2` invalid input or configuration, found before anything was sent to Microsoft');
  });

  it('lists as implemented exactly the configuration variables of the manifest, and marks the others planned', () => {
    const manifest = readJson('manifest/manifest.json') as { configuration: Array<{ env: string }> };
    const rows = tableAfter(section(3), '| variable |');
    const implemented: string[] = [];
    const planned: string[] = [];
    for (const [variable, meaning] of rows) {
      const names = [...variable!.matchAll(/`(M365D_[A-Z_]+)`/g)].map((m) => m[1]!);
      expect(names, variable).to.not.deep.equal([]);
      (/\*Planned \(issues? [\d/ ,and]+\)/.test(meaning!) ? planned : implemented).push(...names);
    }
    expect(implemented).to.have.members(manifest.configuration.map((f) => f.env));
    expect(implemented).to.have.length(manifest.configuration.length);
    expect(planned).to.have.members(['M365D_AUTH', 'M365D_MANAGED_IDENTITY_RESOURCE_ID', 'M365D_MANAGED_IDENTITY_OBJECT_ID', 'M365D_FEDERATED_TOKEN_FILE']);
  });

  it('names the action types of the manifest\'s schema', () => {
    const schema = readJson('schemas/manifest.schema.json');
    const m = /`type` is one of ([^;]+);/.exec(section(7));
    expect(m, 'the sentence naming the action types').to.not.equal(null);
    expect([...m![1]!.matchAll(/`(\w+)`/g)].map((x) => x[1])).to.deep.equal(schema.$defs.Action.properties.type.enum);
  });

  it('keeps sections 1 to 8 as the interface wrote them: only *Planned (issue N): ...* marks are added', () => {
    const body = contract.slice(contract.search(/^## 1\. /m), contract.search(/^## 9\. /m));
    const interfaceText = body.replace(/\.? \*Planned \(issues? [^)]*\):[^*]*\*/g, '').replace(/\n\n\*Planned \(issues? [^)]*\):[^*]*\*\n/g, '\n');
    expect(interfaceText).not.to.match(/planned/i);
    // the SHA-256 of the shared interface's sections 1 to 8: a change to them is a change of the interface, made on
    // purpose (update this hash with it), never an edit of this package's
    expect(crypto.createHash('sha256').update(interfaceText.trimEnd()).digest('hex')).to.equal(INTERFACE_SHA256);
  });

  it('is what the README links to, in the repository and in the archive', () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    expect(readme).to.include('](CONTRACT.md)');
    expect(readme).not.to.include('../shared/CONTRACT.md');
    expect(fs.readFileSync(path.join(repoRoot, 'scripts/package.mjs'), 'utf8')).to.include("add('CONTRACT.md')");
  });
});
