import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TokenCache, type CachedToken } from '../../../lib/auth/cache';
import { processStartTime } from '../../../lib/runtime/files';
import { ActionError } from '../../../lib/runtime/errors';
import { repoRoot } from '../../support/paths';

const KEY = '0123456789abcdef0123456789abcdef';
const NOW = 1_800_000_000_000; // ms
const POSIX = process.platform !== 'win32';

const token = (accessToken: string, expiresOn = NOW / 1000 + 3600): CachedToken => ({
  accessToken,
  expiresOn,
  scope: 'https://graph.microsoft.com/.default',
  tokenType: 'Bearer',
});

const mode = (p: string): number => fs.statSync(p).mode & 0o777;

/** The compiled module, for the child processes. */
const CACHE_JS = path.join(repoRoot, 'build', 'lib', 'auth', 'cache.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A pid that is no longer running: a node process that has ended (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  expect(child.status).to.equal(0);
  return child.pid as number;
}

/**
 * Starts `count` node processes running `script` with `args`, lets them all pass a barrier at the same moment (so
 * that they really contend, however long each takes to start), and waits for every one to end.
 */
async function runTogether(dir: string, script: string, args: (i: number) => string[], count: number): Promise<Run[]> {
  const barrier = fs.mkdtempSync(path.join(dir, 'barrier-'));
  const runs: Array<Promise<Run>> = [];
  let ended = 0;
  for (let i = 0; i < count; i++) {
    runs.push(
      new Promise<Run>((resolve) => {
        const child = spawn(process.execPath, [script, barrier, ...args(i)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => {
          ended++;
          resolve({ code, stdout, stderr });
        });
      }),
    );
  }
  // open the barrier once every process is ready (or as soon as one has ended early, which the caller then sees)
  while (fs.readdirSync(barrier).length < count && ended === 0) await new Promise((r) => setTimeout(r, 10));
  fs.writeFileSync(path.join(barrier, 'go'), '');
  return Promise.all(runs);
}

/** The barrier every child script starts with. */
const BARRIER = `
const fs = require('node:fs');
const path = require('node:path');
async function barrier(dir) {
  fs.writeFileSync(path.join(dir, 'ready-' + process.pid), '');
  while (!fs.existsSync(path.join(dir, 'go'))) await new Promise((r) => setTimeout(r, 5));
}
`;

/** read() → hit; miss → withLock(read() ?? fetch + write), as the auth layer does. "fetch" is counted in a file. */
const FETCH_SCRIPT = `${BARRIER}
const [barrierDir, cacheJs, stateDir, key, counter] = process.argv.slice(2);
const { TokenCache } = require(cacheJs);
(async () => {
  const cache = new TokenCache(stateDir, key);
  await barrier(barrierDir);
  let source = 'hit';
  let token = cache.read();
  if (!token) {
    token = await cache.withLock(async () => {
      const again = cache.read();
      if (again) { source = 'hit after the lock'; return again; }
      source = 'fetch';
      fs.appendFileSync(counter, process.pid + '\\n');
      await new Promise((r) => setTimeout(r, 100));
      const t = { accessToken: 'token-of-' + process.pid, expiresOn: Math.floor(Date.now() / 1000) + 3600, scope: 'https://graph.microsoft.com/.default', tokenType: 'Bearer' };
      cache.write(t);
      return t;
    });
  }
  process.stdout.write(JSON.stringify({ source, token }));
})().catch((err) => { process.stderr.write(String((err && err.stack) || err)); process.exit(3); });
`;

/** Writes its own tokens (of varying sizes) many times; after each write reads the raw file, which must be whole. */
const WRITE_SCRIPT = `${BARRIER}
const [barrierDir, cacheJs, stateDir, key, rounds] = process.argv.slice(2);
const { TokenCache } = require(cacheJs);
(async () => {
  const cache = new TokenCache(stateDir, key);
  const file = path.join(stateDir, 'tokens', key + '.json');
  await barrier(barrierDir);
  let bad = 0;
  for (let i = 0; i < Number(rounds); i++) {
    const size = 500 + ((process.pid * 7 + i * 13) % 60) * 100;
    cache.write({ accessToken: 'tok-' + process.pid + '-' + i + '-' + 'x'.repeat(size), expiresOn: Math.floor(Date.now() / 1000) + 3600, scope: 's', tokenType: 'Bearer' });
    try {
      const t = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (!/^tok-\\d+-\\d+-x+$/.test(t.accessToken)) bad++;
    } catch { bad++; }
    if (!cache.read(0)) bad++;
    if (i % 4 === 0) await new Promise((r) => setImmediate(r));
  }
  process.stdout.write(JSON.stringify({ bad }));
})().catch((err) => { process.stderr.write(String((err && err.stack) || err)); process.exit(3); });
`;

describe('token cache (M365D_STATE_DIR/tokens)', function () {
  this.timeout(60_000);
  let dir: string;
  let stateDir: string;
  let tokensDir: string;
  let file: string;
  let lockFile: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365d-cache-test-'));
    stateDir = path.join(dir, 'state');
    tokensDir = path.join(stateDir, 'tokens');
    file = path.join(tokensDir, `${KEY}.json`);
    lockFile = path.join(tokensDir, `${KEY}.lock`);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cache = (options: ConstructorParameters<typeof TokenCache>[2] = {}): TokenCache => new TokenCache(stateDir, KEY, { now: () => NOW, ...options });

  describe('read and write', () => {
    it('round-trips a token through <stateDir>/tokens/<key>.json', () => {
      const c = cache();
      expect(c.read()).to.equal(undefined);
      c.write(token('first-token'));
      expect(fs.existsSync(file)).to.equal(true);
      expect(c.read()).to.deep.equal(token('first-token'));
      expect(cache().read()).to.deep.equal(token('first-token')); // another instance (another process) sees it
      c.write(token('second-token'));
      expect(c.read()).to.deep.equal(token('second-token'));
      expect(new TokenCache(stateDir, 'fedcba9876543210', { now: () => NOW }).read()).to.equal(undefined); // keys are apart
      expect(fs.readdirSync(tokensDir)).to.deep.equal([`${KEY}.json`]); // no temp file left
    });

    it('returns a token only while it is valid for the margin asked (300 s by default)', () => {
      const c = cache();
      c.write(token('t', NOW / 1000 + 600));
      expect(c.read()?.accessToken).to.equal('t');
      expect(c.read(600)?.accessToken).to.equal('t');
      expect(c.read(601)).to.equal(undefined);
      expect(c.read(0)?.accessToken).to.equal('t');
      c.write(token('t', NOW / 1000 + 299));
      expect(c.read()).to.equal(undefined);
      expect(c.read(299)?.accessToken).to.equal('t');
      c.write(token('t', NOW / 1000 - 10));
      expect(c.read(0)).to.equal(undefined);
      // the real clock by default
      const real = new TokenCache(stateDir, KEY);
      real.write(token('t', Math.floor(Date.now() / 1000) + 3600));
      expect(real.read()?.accessToken).to.equal('t');
      real.write(token('t', Math.floor(Date.now() / 1000) + 100));
      expect(real.read()).to.equal(undefined);
    });

    it('treats a missing, corrupt or unreadable file as empty, and writes over it', () => {
      const c = cache();
      expect(c.read()).to.equal(undefined); // no folder at all
      fs.mkdirSync(tokensDir, { recursive: true });
      for (const junk of ['', '{"accessToken":"x","expiresOn":', 'null', '[]', '"token"', '{"accessToken":"","expiresOn":1e12,"scope":"s","tokenType":"Bearer"}', '{"accessToken":"x","expiresOn":"soon","scope":"s","tokenType":"Bearer"}', '{"accessToken":"x","expiresOn":1e12}', '\u0000\u0001garbage']) {
        fs.writeFileSync(file, junk);
        expect(c.read(), junk).to.equal(undefined);
      }
      c.write(token('fresh'));
      expect(c.read()?.accessToken).to.equal('fresh');
      fs.rmSync(file);
      fs.mkdirSync(file); // a folder where the file should be
      expect(c.read()).to.equal(undefined);
    });

    it('drops its token only while the file still holds it', () => {
      const c = cache();
      c.drop('nothing-cached'); // no file: no error
      c.write(token('current'));
      c.drop('an-older-token');
      expect(c.read()?.accessToken).to.equal('current');
      c.drop('current');
      expect(c.read()).to.equal(undefined);
      expect(fs.existsSync(file)).to.equal(false);
      fs.writeFileSync(file, '{corrupt');
      c.drop('current');
      expect(fs.readFileSync(file, 'utf8')).to.equal('{corrupt');
    });

    it('refuses a key that is not a hash, without echoing it', () => {
      for (const key of ['../../etc/passwd', 'ABCDEF0123456789', 'abc', 'g'.repeat(32), `${'a'.repeat(16)}.json`]) {
        try {
          new TokenCache(stateDir, key);
          expect.fail(`accepted ${key}`);
        } catch (err) {
          expect(err).to.be.instanceOf(ActionError);
          expect((err as Error).message).to.not.include(key);
        }
      }
    });

    it('fails to write with a CONFIGURATION error naming the folder only', () => {
      fs.writeFileSync(path.join(dir, 'a-file'), 'not a folder');
      const c = new TokenCache(path.join(dir, 'a-file'), KEY);
      try {
        c.write(token('secret-access-token-value'));
        expect.fail('wrote into a file');
      } catch (err) {
        expect(err).to.be.instanceOf(ActionError);
        expect((err as ActionError).code).to.equal('CONFIGURATION');
        const message = (err as Error).message;
        expect(message).to.include(path.join(dir, 'a-file', 'tokens'));
        expect(message).to.include('M365D_STATE_DIR');
        expect(message).to.not.include('secret-access-token-value');
        expect(message).to.not.include(KEY);
      }
    });
  });

  describe('symbolic links (never followed)', () => {
    const planted = (): string => {
      const elsewhere = path.join(dir, 'elsewhere');
      fs.mkdirSync(elsewhere, { recursive: true });
      fs.writeFileSync(path.join(elsewhere, `${KEY}.json`), JSON.stringify(token('planted-token')));
      return elsewhere;
    };

    it('a link in place of the cache file is an empty cache; a write replaces the link, not its target', () => {
      const elsewhere = planted();
      const target = path.join(elsewhere, `${KEY}.json`);
      const before = fs.readFileSync(target, 'utf8');
      fs.mkdirSync(tokensDir, { recursive: true, mode: 0o700 });
      fs.symlinkSync(target, file);
      const c = cache();
      expect(c.read(), 'read through the link').to.equal(undefined);
      c.drop('planted-token');
      expect(fs.lstatSync(file).isSymbolicLink(), 'drop() removed a token it read through the link').to.equal(true);
      c.write(token('own-token'));
      expect(fs.lstatSync(file).isFile()).to.equal(true);
      expect(c.read()?.accessToken).to.equal('own-token');
      expect(fs.readFileSync(target, 'utf8')).to.equal(before);
    });

    it('a link in place of the tokens folder is not read from, nor written through', () => {
      const elsewhere = planted();
      fs.mkdirSync(stateDir, { recursive: true });
      fs.symlinkSync(elsewhere, tokensDir);
      const c = cache();
      expect(c.read()).to.equal(undefined);
      expect(() => c.write(token('own-token'))).to.throw(ActionError, /The token cache cannot be written in .*tokens \(ELOOP\)/);
      expect(fs.readdirSync(elsewhere)).to.deep.equal([`${KEY}.json`]);
      expect(mode(elsewhere), 'the target folder was not narrowed either').to.not.equal(0o700);
    });

    it('a link or a FIFO in place of the lock file is broken at once, not waited on', async () => {
      const elsewhere = planted();
      fs.mkdirSync(tokensDir, { recursive: true, mode: 0o700 });
      const lockTarget = path.join(elsewhere, 'a-lock');
      fs.writeFileSync(lockTarget, JSON.stringify({ pid: process.pid, host: os.hostname(), nonce: 'planted' }));
      fs.symlinkSync(lockTarget, lockFile);
      const inside = await cache({ lockTimeoutMs: 60_000 }).withLock(async () => fs.readFileSync(lockFile, 'utf8'));
      expect(JSON.parse(inside)).to.include({ pid: process.pid }).and.not.include({ nonce: 'planted' });
      expect(fs.existsSync(lockFile)).to.equal(false);
      expect(fs.readFileSync(lockTarget, 'utf8'), 'the target is left alone').to.include('planted');
      const fifo = spawnSync('mkfifo', [lockFile]);
      if (fifo.status === 0) {
        const again = await cache({ lockTimeoutMs: 60_000 }).withLock(async () => fs.readFileSync(lockFile, 'utf8'));
        expect(JSON.parse(again)).to.include({ pid: process.pid });
      }
    });
  });

  describe('file modes', () => {
    it('creates the folders 0700 and the file 0600, whatever the umask', () => {
      const old = process.umask(0);
      try {
        cache().write(token('t'));
      } finally {
        process.umask(old);
      }
      expect(mode(stateDir)).to.equal(0o700);
      expect(mode(tokensDir)).to.equal(0o700);
      expect(mode(file)).to.equal(0o600);
    });

    it('narrows a folder and a file that are wider, and leaves an existing state folder alone', () => {
      fs.mkdirSync(tokensDir, { recursive: true });
      fs.chmodSync(stateDir, 0o755);
      fs.chmodSync(tokensDir, 0o777);
      fs.writeFileSync(file, JSON.stringify(token('old')));
      fs.chmodSync(file, 0o644);
      const c = cache();
      c.write(token('new'));
      expect(mode(file)).to.equal(0o600);
      expect(mode(tokensDir)).to.equal(0o700);
      expect(mode(stateDir)).to.equal(0o755); // M365D_STATE_DIR may be a shared folder: not ours to change
      // a file made wider behind the cache's back is narrowed by the next read
      fs.chmodSync(file, 0o664);
      expect(c.read()?.accessToken).to.equal('new');
      expect(mode(file)).to.equal(0o600);
    });

    it('narrows a folder made wider behind the cache\'s back on a read too, and reads on', () => {
      const c = cache();
      c.write(token('t'));
      fs.chmodSync(tokensDir, 0o777);
      expect(c.read()?.accessToken).to.equal('t');
      expect(mode(tokensDir)).to.equal(0o700);
      fs.chmodSync(tokensDir, 0o755);
      expect(cache().read()?.accessToken).to.equal('t');
      expect(mode(tokensDir)).to.equal(0o700);
    });
  });

  describe('lock', () => {
    /** A lock file as another process would leave it. */
    function plantLock(content: object, ageMs = 0): string {
      fs.mkdirSync(tokensDir, { recursive: true });
      const text = JSON.stringify(content);
      fs.writeFileSync(lockFile, text);
      if (ageMs) {
        const t = new Date(Date.now() - ageMs);
        fs.utimesSync(lockFile, t, t);
      }
      return text;
    }

    it('runs fn holding the lock file, returns its value and releases the lock', async () => {
      const c = cache();
      const value = await c.withLock(async () => {
        const held = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { pid: number; host: string };
        expect(held.pid).to.equal(process.pid);
        expect(held.host).to.equal(os.hostname());
        return 42;
      });
      expect(value).to.equal(42);
      expect(fs.existsSync(lockFile)).to.equal(false);
    });

    it('releases the lock when fn throws, and passes the error on', async () => {
      const c = cache();
      const boom = new Error('fetch failed');
      let caught: unknown;
      try {
        await c.withLock(async () => {
          expect(fs.existsSync(lockFile)).to.equal(true);
          throw boom;
        });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.equal(boom);
      expect(fs.existsSync(lockFile)).to.equal(false);
    });

    it('breaks a stale lock (not touched for staleLockMs), whoever holds it', async () => {
      const planted = plantLock({ pid: process.pid, host: os.hostname(), nonce: 'planted' }, 60_000);
      const inside = await cache().withLock(async () => fs.readFileSync(lockFile, 'utf8'));
      expect(inside).to.not.equal(planted); // fn ran under a lock of its own, not after the 20 s timeout
      expect(JSON.parse(inside)).to.include({ pid: process.pid });
      expect(fs.existsSync(lockFile)).to.equal(false);
      expect(fs.readdirSync(tokensDir)).to.deep.equal([]); // the broken lock is not left aside
    });

    it('breaks a lock whose process is dead (same host)', async () => {
      const planted = plantLock({ pid: deadPid(), host: os.hostname(), nonce: 'planted' });
      const inside = await cache().withLock(async () => fs.readFileSync(lockFile, 'utf8'));
      expect(inside).to.not.equal(planted);
      expect(JSON.parse(inside)).to.include({ pid: process.pid });
      expect(fs.existsSync(lockFile)).to.equal(false);
    });

    it('records its holder\'s start time, where the host has one (/proc)', async () => {
      const held = await cache().withLock(async () => JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { start?: string });
      expect(held.start).to.equal(processStartTime(process.pid));
      if (process.platform === 'linux') expect(held.start).to.match(/^\d+$/);
    });

    it('breaks a fresh lock whose pid is alive but another process (a pid reused after a crash), without waiting', async () => {
      const linux = processStartTime(process.pid) !== undefined;
      // an unrelated live process: a child that sleeps, holding a lock that names its pid with another start time
      const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      try {
        await new Promise((resolve) => sleeper.once('spawn', resolve));
        const pid = sleeper.pid as number;
        for (const holder of [
          { pid, host: os.hostname(), start: processStartTime(process.pid) ?? '1', nonce: 'reused' },
          { pid: process.pid, host: os.hostname(), start: String(Number(processStartTime(process.pid) ?? '1') + 1), nonce: 'reused-self' },
        ]) {
          if (linux) expect(processStartTime(holder.pid)).to.not.equal(holder.start);
          const text = plantLock(holder);
          // a timeout far longer than the test's: only breaking the lock lets fn run under a lock of its own in time
          const inside = await cache({ lockTimeoutMs: linux ? 600_000 : 100 }).withLock(async () => fs.readFileSync(lockFile, 'utf8'));
          if (linux) {
            expect(inside, holder.nonce).to.not.equal(text);
            expect(JSON.parse(inside)).to.include({ pid: process.pid });
          } else {
            expect(inside, 'without /proc the lock is judged by pid and age').to.equal(text);
          }
          fs.rmSync(lockFile, { force: true });
        }
      } finally {
        sleeper.kill();
      }
    });

    it('waits for a live lock whose start time is its holder\'s (the same process)', async () => {
      const start = processStartTime(process.pid);
      const planted = plantLock({ pid: process.pid, host: os.hostname(), ...(start ? { start } : {}), nonce: 'same' });
      const inside = await cache({ lockTimeoutMs: 200 }).withLock(async () => fs.readFileSync(lockFile, 'utf8'));
      expect(inside).to.equal(planted);
      expect(fs.readFileSync(lockFile, 'utf8')).to.equal(planted);
    });

    it('runs fn anyway when a live lock is held past lockTimeoutMs, and leaves that lock alone', async () => {
      const planted = plantLock({ pid: process.pid, host: os.hostname(), nonce: 'live' });
      const inside = await cache({ lockTimeoutMs: 200 }).withLock(async () => fs.readFileSync(lockFile, 'utf8'));
      expect(inside).to.equal(planted);
      expect(fs.readFileSync(lockFile, 'utf8')).to.equal(planted);
      // a pid of another host is not judged by this host's processes: it waits for the age instead
      const remote = plantLock({ pid: deadPid(), host: `not-${os.hostname()}`, nonce: 'remote' });
      expect(await cache({ lockTimeoutMs: 200 }).withLock(async () => fs.readFileSync(lockFile, 'utf8'))).to.equal(remote);
      expect(fs.readFileSync(lockFile, 'utf8')).to.equal(remote);
    });

    it('runs fn without a lock where no lock file can be made', async () => {
      fs.writeFileSync(path.join(dir, 'a-file'), '');
      const c = new TokenCache(path.join(dir, 'a-file'), KEY, { lockTimeoutMs: 60_000 });
      expect(await c.withLock(async () => 'ran')).to.equal('ran');
    });

    it('keeps its own lock fresh while fn runs longer than staleLockMs, so no one breaks it', async () => {
      const order: string[] = [];
      let releaseFirst!: () => void;
      const firstMayEnd = new Promise<void>((r) => (releaseFirst = r));
      const first = cache({ staleLockMs: 1_000 }).withLock(async () => {
        order.push('first starts');
        await firstMayEnd;
        order.push('first ends');
      });
      const second = cache({ staleLockMs: 1_000, lockTimeoutMs: 60_000 }).withLock(async () => {
        order.push('second runs');
      });
      await new Promise((r) => setTimeout(r, 2_500)); // well past staleLockMs
      releaseFirst();
      await Promise.all([first, second]);
      expect(order).to.deep.equal(['first starts', 'first ends', 'second runs']);
      expect(fs.existsSync(lockFile)).to.equal(false);
    });
  });

  describe('across processes', () => {
    let scripts: string;
    before(() => {
      if (!fs.existsSync(CACHE_JS)) throw new Error(`${CACHE_JS} is missing: compile first (npx tsc -p .)`);
      scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'm365d-cache-scripts-'));
      fs.writeFileSync(path.join(scripts, 'fetch.cjs'), FETCH_SCRIPT);
      fs.writeFileSync(path.join(scripts, 'write.cjs'), WRITE_SCRIPT);
    });
    after(() => fs.rmSync(scripts, { recursive: true, force: true }));

    async function fetchTogether(count: number): Promise<Array<{ source: string; token: CachedToken }>> {
      const counter = path.join(dir, 'fetches.txt');
      const runs = await runTogether(dir, path.join(scripts, 'fetch.cjs'), () => [CACHE_JS, stateDir, KEY, counter], count);
      for (const run of runs) {
        expect(run.stderr, 'a process failed').to.equal('');
        expect(run.code).to.equal(0);
      }
      return runs.map((r) => JSON.parse(r.stdout) as { source: string; token: CachedToken });
    }
    const fetches = (): string[] => fs.readFileSync(path.join(dir, 'fetches.txt'), 'utf8').split('\n').filter(Boolean);

    it('20 processes starting together on an empty cache make one token request and share its token', async () => {
      const results = await fetchTogether(20);
      expect(fetches()).to.have.length(1);
      expect(results.filter((r) => r.source === 'fetch')).to.have.length(1);
      const fetched = results.find((r) => r.source === 'fetch')?.token;
      expect(fetched?.accessToken).to.equal(`token-of-${fetches()[0]}`);
      for (const r of results) expect(r.token).to.deep.equal(fetched);
      expect(new TokenCache(stateDir, KEY).read()).to.deep.equal(fetched);
      expect(fs.readdirSync(tokensDir)).to.deep.equal([`${KEY}.json`]); // lock released, no temp file

      // a warm cache: every process hits, none fetches
      const again = await fetchTogether(5);
      expect(again.map((r) => r.source)).to.deep.equal(Array(5).fill('hit'));
      expect(fetches()).to.have.length(1);
    });

    for (const [name, plant] of [
      ['a stale lock (old mtime)', (): object => ({ pid: process.pid, host: os.hostname(), age: 60_000 })],
      ['the lock of a dead process', (): object => ({ pid: deadPid(), host: os.hostname(), age: 0 })],
    ] as const) {
      it(`20 processes finding ${name} break it once and make one token request`, async () => {
        const { age, ...content } = plant() as { age: number };
        fs.mkdirSync(tokensDir, { recursive: true });
        fs.writeFileSync(lockFile, JSON.stringify(content));
        if (age) fs.utimesSync(lockFile, new Date(Date.now() - age), new Date(Date.now() - age));
        const results = await fetchTogether(20);
        expect(fetches()).to.have.length(1);
        const fetched = results.find((r) => r.source === 'fetch')?.token;
        expect(fetched).to.not.equal(undefined);
        for (const r of results) expect(r.token).to.deep.equal(fetched);
        expect(fs.readdirSync(tokensDir)).to.deep.equal([`${KEY}.json`]);
      });
    }

    it('20 processes writing different tokens at once never leave a torn file', async () => {
      const runs = await runTogether(dir, path.join(scripts, 'write.cjs'), () => [CACHE_JS, stateDir, KEY, '40'], 20);
      for (const run of runs) {
        expect(run.stderr).to.equal('');
        expect(run.code).to.equal(0);
        expect(JSON.parse(run.stdout)).to.deep.equal({ bad: 0 });
      }
      const last = JSON.parse(fs.readFileSync(file, 'utf8')) as CachedToken;
      expect(last.accessToken).to.match(/^tok-\d+-39-x+$/); // each process's last write may be the one that stayed
      expect(fs.readdirSync(tokensDir)).to.deep.equal([`${KEY}.json`]);
      if (POSIX) expect(mode(file)).to.equal(0o600);
    });
  });
});
