// The loader behind every action entry (dist/actions/<id>.js): runs the action's bundle (<id>.bundle.js) the way
// Node's CommonJS loader would, but with the V8 code cache the build made for it (<id>.bundle.cache, see
// scripts/build.mjs), so that the functions a typical run needs are deserialised instead of parsed and compiled:
// about 7 ms of CPU per run, some 15% of what an action adds to `node -e 0`.
//
// The cache is only a shortcut. It starts with a SHA-256 of the V8 version, the CPU architecture and the bundle it was
// made from, and is ignored unless that matches (V8's own check compares only the source's length); V8 still refuses
// one made with other flags. Without a usable cache the bundle is simply required. Nothing here writes a file except
// the build's training run (train), and nothing is read but the two files beside the entry.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

const HASH_BYTES = 32;

export interface LoadOptions {
  /** the build's training run: compile without a cache and write the code cache of what this run compiled at exit */
  train?: boolean;
}

/** The code cache file of a bundle: `ping.bundle.js` -> `ping.bundle.cache`. */
export const cacheFileOf = (bundle: string): string => bundle.replace(/\.js$/, '.cache');

/** What a cache is bound to: the exact bundle, and the V8 and CPU architecture that made it. */
function stamp(source: string): Buffer {
  return createHash('sha256').update(`${process.versions.v8}\0${process.arch}\0`).update(source).digest();
}

/**
 * The bundle's source with the V8 data of its cache, when the cache was made from exactly that source by this V8;
 * else undefined (no cache, one too short to hold a stamp, or another stamp). The bundle is read only if a cache is
 * there.
 */
function cachedCode(bundle: string): { source: string; cachedData: Buffer } | undefined {
  let file: Buffer;
  try {
    file = fs.readFileSync(cacheFileOf(bundle));
  } catch {
    return undefined;
  }
  if (file.length <= HASH_BYTES) return undefined;
  const source = fs.readFileSync(bundle, 'utf8');
  return file.subarray(0, HASH_BYTES).equals(stamp(source)) ? { source, cachedData: file.subarray(HASH_BYTES) } : undefined;
}

/** How the running bundle was loaded, for the runtime's debug log ('Configuration' line: code_cache). */
export const LOADED_WITH = Symbol.for('m365d-soar.codeCache');
export type LoadedWith = 'cache' | 'rejected' | 'require';

type Wrapper = (exports: unknown, require: NodeJS.Require, module: NodeModule, filename: string, dirname: string) => void;

/**
 * Runs `bundle` for the entry module `parent`. A bundle must not use `import()`: vm.Script gives it no module loader
 * (test/unit/package.test.ts checks the bundles). With a cache made for it: compiled from the cache through vm.Script, as
 * Node's loader would wrap it. Without one: an ordinary require (Node's own loader compiles faster than vm.Script
 * without a cache, so a package on another Node version loses nothing).
 */
export function load(bundle: string, parent: NodeModule, options: LoadOptions = {}): LoadedWith {
  const found = options.train ? { source: fs.readFileSync(bundle, 'utf8'), cachedData: undefined } : cachedCode(bundle);
  const global = globalThis as Record<symbol, unknown>;
  if (!found) {
    global[LOADED_WITH] = 'require';
    parent.require(bundle);
    return 'require';
  }
  const { source, cachedData } = found;
  const script = new vm.Script(Module.wrap(source), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  if (options.train) {
    // at exit, so that the cache holds every function the run compiled, not only the top level
    process.once('exit', () => fs.writeFileSync(cacheFileOf(bundle), Buffer.concat([stamp(source), script.createCachedData()])));
  }
  const how: LoadedWith = cachedData && !script.cachedDataRejected ? 'cache' : cachedData ? 'rejected' : 'require';
  global[LOADED_WITH] = how;
  const mod = new Module(bundle, parent);
  mod.filename = bundle;
  const wrapper = script.runInThisContext({ displayErrors: true }) as Wrapper;
  wrapper.call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, path.dirname(bundle));
  return how;
}
