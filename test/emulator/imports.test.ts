import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';

// The emulator is an independent model of Microsoft's service: nothing under test/emulator/ may import from lib/,
// actions/ or scripts/, and the only packages it may use are Node built-ins, @kusto/language-service-next, and (in
// tests) chai and mocha.
const ROOT = path.resolve(__dirname, '..', '..', '..');
const EMULATOR = path.join(ROOT, 'test', 'emulator');
const FORBIDDEN = ['lib', 'actions', 'scripts'].map((d) => path.join(ROOT, d));
const ALLOWED_PACKAGES = ['@kusto/language-service-next', 'chai', 'mocha'];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** every module specifier: import ... from 'x', import 'x', export ... from 'x', import('x'), require('x') */
export function specifiers(text: string): string[] {
  const found: string[] = [];
  // comments are not imports
  const source = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\.resolve\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]);
  return found;
}

describe('emulator core: independence from the client', () => {
  it('finds the sources it checks', () => {
    const files = tsFiles(EMULATOR);
    expect(files.map((f) => path.relative(EMULATOR, f))).to.include.members(['emulator.ts', 'identity.ts', 'pki.ts', 'tenant/api.ts', 'hunting/api.ts']);
    const imp = 'imp' + 'ort'; const req = 'req' + 'uire'; // built so that this file's own scan does not see them
    expect(specifiers(`${imp} { a } from '../lib/x';\nconst b = ${req}('../../actions/y');\nexport * from './z';\n${imp}('node:fs') // ${req}('no')`))
      .to.have.members(['../lib/x', '../../actions/y', './z', 'node:fs']);
  });

  it('no file under test/emulator/ imports from lib/, actions/ or scripts/, or any package but the allowed ones', () => {
    const problems: string[] = [];
    for (const file of tsFiles(EMULATOR)) {
      const src = fs.readFileSync(file, 'utf8');
      for (const spec of specifiers(src)) {
        const where = path.relative(ROOT, file);
        if (spec.startsWith('.') || spec.startsWith('/')) {
          const target = path.resolve(path.dirname(file), spec);
          if (FORBIDDEN.some((d) => target === d || target.startsWith(d + path.sep))) problems.push(`${where}: imports ${spec}`);
          else if (!target.startsWith(EMULATOR + path.sep) && target !== EMULATOR) problems.push(`${where}: imports ${spec}, outside test/emulator/`);
        } else if (spec.startsWith('node:')) {
          // built-in
        } else {
          const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
          const builtin = require('node:module').builtinModules as string[];
          if (!ALLOWED_PACKAGES.includes(pkg) && !builtin.includes(pkg)) problems.push(`${where}: imports package ${spec}`);
        }
      }
    }
    expect(problems).to.deep.equal([]);
  });
});
