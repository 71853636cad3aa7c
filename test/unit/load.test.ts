// lib/runtime/load.ts: an action bundle runs the same with and without its code cache, and a cache that was not made
// for exactly this bundle on this V8 is never used. Each case runs the loader in a child process, as an entry would.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';

// as tsc compiled it (the entries carry the same code, bundled in by esbuild)
const loader = path.join(repoRoot, 'build', 'lib', 'runtime', 'load.js');

/** A bundle that reports what it was given as a CommonJS module, and what the loader says it used. */
const BUNDLE = `'use strict';
const parts = [typeof module.exports, typeof require('node:path').join, path_ok(), __filename === module.filename, String(globalThis[Symbol.for('m365d-soar.codeCache')])];
function path_ok() { return require('./helper.js').value === 42 && __dirname === require('node:path').dirname(__filename); }
process.stdout.write(JSON.stringify(parts));
`;

describe('the action loader (lib/runtime/load.ts)', () => {
  let dir: string;
  let bundle: string;
  let cacheFile: string;
  let entry: string;
  const runEntry = (extraEnv: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [entry], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...extraEnv } });
    expect(r.status, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as unknown[];
  };
  const train = () => {
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(loader)}).load(${JSON.stringify(bundle)}, module, { train: true })`], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365d-load-'));
    bundle = path.join(dir, 'x.bundle.js');
    cacheFile = path.join(dir, 'x.bundle.cache');
    entry = path.join(dir, 'x.js');
    fs.writeFileSync(bundle, BUNDLE);
    fs.writeFileSync(path.join(dir, 'helper.js'), 'module.exports = { value: 42 };');
    fs.writeFileSync(entry, `require(${JSON.stringify(loader)}).load(__dirname + '/x.bundle.js', module);`);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('without a cache: an ordinary require', () => {
    expect(runEntry()).to.deep.equal(['object', 'function', true, true, 'require']);
  });

  it('the training run writes a cache that the next run uses, with the same behaviour', () => {
    train();
    expect(fs.statSync(cacheFile).size).to.be.greaterThan(32);
    expect(runEntry()).to.deep.equal(['object', 'function', true, true, 'cache']);
  });

  it('ignores a cache made for another bundle of the same length (V8 itself would take it)', () => {
    train();
    const changed = BUNDLE.replace('42', '43');
    expect(changed.length).to.equal(BUNDLE.length);
    fs.writeFileSync(bundle, changed);
    fs.writeFileSync(path.join(dir, 'helper.js'), 'module.exports = { value: 43 };');
    expect(runEntry()).to.deep.equal(['object', 'function', true, true, 'require']);
  });

  it('ignores a cache stamped for another V8 version, and survives V8 refusing a damaged one', () => {
    train();
    const good = fs.readFileSync(cacheFile);
    // another V8 (or CPU architecture): the stamp differs, so the bundle is required as usual
    const other = Buffer.from(good);
    other[0] = other[0]! ^ 0xff;
    fs.writeFileSync(cacheFile, other);
    expect(runEntry()).to.deep.equal(['object', 'function', true, true, 'require']);
    // the right stamp with damaged V8 data: V8 refuses it, the bundle is compiled from source and runs the same
    const damaged = Buffer.from(good);
    for (let i = 40; i < damaged.length; i += 7) damaged[i] = damaged[i]! ^ 0x5a;
    fs.writeFileSync(cacheFile, damaged);
    expect(runEntry()).to.deep.equal(['object', 'function', true, true, 'rejected']);
    // and a cache file too short to hold a stamp
    fs.writeFileSync(cacheFile, Buffer.alloc(10));
    expect(runEntry()).to.deep.equal(['object', 'function', true, true, 'require']);
  });
});
