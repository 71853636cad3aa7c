// The persistent token cache in M365D_STATE_DIR: one small JSON file per key, `<stateDir>/tokens/<key>.json`, mode
// 0600 in a 0700 folder, replaced atomically (temp file in the same folder + rename), so that a reader always sees
// a whole file. A lock file per key (created with O_EXCL) lets the many action processes that start together with
// an empty cache make one token request between them. The lock is only ever an optimisation: it never fails an action.
//
// The hit path (`read()`) is one small file read: no lock, no MSAL.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionError } from '../runtime/errors';

export interface CachedToken {
  accessToken: string;
  /** epoch seconds */
  expiresOn: number;
  scope: string;
  tokenType: string;
}

export interface TokenCacheOptions {
  /** the clock, in epoch milliseconds (default Date.now); used for token validity only, never for locks */
  now?: () => number;
  /** how long withLock waits for another process's lock before running fn anyway (default 20 s) */
  lockTimeoutMs?: number;
  /** a lock file not touched for this long is broken (default 30 s); its holder refreshes it while it runs */
  staleLockMs?: number;
}

/** A token is used only while it has at least this long to live. */
export const MIN_VALIDITY_SECONDS = 300;

const KEY = /^[a-f0-9]{16,64}$/;
const POSIX = process.platform !== 'win32';
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** leftover temp files of a process killed mid-write are removed after this long */
const TEMP_MAX_AGE_MS = 10 * 60_000;

function errno(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'error';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sleeps synchronously (only for a retried rename on Windows, where a reader can hold the target open for a moment). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function parseToken(text: string): CachedToken | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const t = data as Record<string, unknown>;
  if (typeof t.accessToken !== 'string' || t.accessToken === '') return undefined;
  if (typeof t.expiresOn !== 'number' || !Number.isFinite(t.expiresOn)) return undefined;
  if (typeof t.scope !== 'string' || typeof t.tokenType !== 'string') return undefined;
  return { accessToken: t.accessToken, expiresOn: t.expiresOn, scope: t.scope, tokenType: t.tokenType };
}

interface LockInfo {
  pid: number;
  host: string;
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const data = JSON.parse(text) as Partial<LockInfo> | null;
    if (data && Number.isInteger(data.pid) && (data.pid as number) > 0 && typeof data.host === 'string') {
      return { pid: data.pid as number, host: data.host };
    }
  } catch {
    /* empty (being written) or damaged: judged by its age only */
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) !== 'ESRCH'; // EPERM: alive, someone else's
  }
}

export class TokenCache {
  /** the folder of the cache files: `<stateDir>/tokens` (the only path any error message names) */
  readonly dir: string;
  private readonly file: string;
  private readonly lockFile: string;
  private readonly key: string;
  private readonly now: () => number;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;

  constructor(stateDir: string, key: string, options: TokenCacheOptions = {}) {
    if (!KEY.test(key)) throw new ActionError('INTERNAL', 'The token cache key must be a hash of 16 to 64 lower-case hex digits.');
    this.key = key;
    this.dir = path.join(path.resolve(stateDir), 'tokens');
    this.file = path.join(this.dir, `${key}.json`);
    this.lockFile = path.join(this.dir, `${key}.lock`);
    this.now = options.now ?? Date.now;
    this.lockTimeoutMs = Math.max(0, options.lockTimeoutMs ?? 20_000);
    this.staleLockMs = Math.max(1, options.staleLockMs ?? 30_000);
  }

  /**
   * The cached token if it is valid for at least `minValiditySeconds` more (default 300). Never throws: a missing,
   * unreadable or corrupt file is an empty cache. A file whose mode is wider than 0600 is narrowed on the way.
   */
  read(minValiditySeconds = MIN_VALIDITY_SECONDS): CachedToken | undefined {
    let fd: number | undefined;
    let text: string;
    try {
      // O_NONBLOCK: a FIFO planted in place of the file must not hang the action
      fd = fs.openSync(this.file, POSIX ? fs.constants.O_RDONLY | fs.constants.O_NONBLOCK : 'r');
      if (POSIX) {
        const st = fs.fstatSync(fd);
        if (!st.isFile()) return undefined;
        if ((st.mode & 0o077) !== 0) {
          try {
            fs.fchmodSync(fd, FILE_MODE);
          } catch {
            /* not ours to change; still usable */
          }
        }
      }
      text = fs.readFileSync(fd, 'utf8');
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) {
        try {
          fs.closeSync(fd);
        } catch {
          /* nothing to do */
        }
      }
    }
    const token = parseToken(text);
    if (!token) return undefined;
    if (token.expiresOn - this.now() / 1000 < minValiditySeconds) return undefined;
    return token;
  }

  /**
   * Stores the token: a temp file (mode 0600) in the same folder, renamed over the cache file, so a reader sees the
   * old file or the new one, never a part. Creates the folder with mode 0700 (and narrows it if it is wider).
   * Throws a CONFIGURATION ActionError naming only the folder when it cannot be written.
   */
  write(token: CachedToken): void {
    if (!parseToken(JSON.stringify(token ?? null))) throw new ActionError('INTERNAL', 'The token cache was given something that is not a token.');
    const data = `${JSON.stringify({
      accessToken: token.accessToken,
      expiresOn: token.expiresOn,
      scope: token.scope,
      tokenType: token.tokenType,
      writtenAt: new Date().toISOString(),
    })}\n`;
    this.ensureDir();
    const tmp = path.join(this.dir, `.${this.key}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
    try {
      const fd = fs.openSync(tmp, 'wx', FILE_MODE);
      try {
        if (POSIX) fs.fchmodSync(fd, FILE_MODE); // whatever the umask
        fs.writeFileSync(fd, data);
        try {
          fs.fsyncSync(fd);
        } catch {
          /* not supported here: the rename is still atomic */
        }
      } finally {
        fs.closeSync(fd);
      }
      this.replace(tmp);
    } catch (err) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* never made, or already renamed */
      }
      throw this.failure(err);
    }
    this.sweep();
  }

  /** Removes the entry if it still holds `accessToken` (a 401 on a cached token drops it). Never throws. */
  drop(accessToken: string): void {
    try {
      const token = parseToken(fs.readFileSync(this.file, 'utf8'));
      if (token && token.accessToken === accessToken) fs.unlinkSync(this.file);
    } catch {
      /* nothing cached, or not ours to remove */
    }
  }

  /**
   * Runs `fn` holding an exclusive lock for this key across processes. Waits (short sleeps) while another process
   * holds it; breaks a lock whose holder is dead or that has not been touched for staleLockMs; after lockTimeoutMs,
   * or when no lock file can be made at all, runs fn without the lock. The lock is released also when fn throws.
   */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const held = await this.acquire();
    let heartbeat: NodeJS.Timeout | undefined;
    if (held !== undefined) {
      // keep the lock fresh while fn runs longer than staleLockMs (a slow token request), so no one breaks it
      heartbeat = setInterval(() => {
        try {
          const t = new Date();
          fs.utimesSync(this.lockFile, t, t);
        } catch {
          /* gone: nothing to keep fresh */
        }
      }, Math.max(10, Math.min(5_000, Math.floor(this.staleLockMs / 3))));
      heartbeat.unref();
    }
    try {
      return await fn();
    } finally {
      if (heartbeat) clearInterval(heartbeat);
      if (held !== undefined) this.release(held);
    }
  }

  /** Takes the lock: its content (to release it by) when held, undefined when fn is to run without it. */
  private async acquire(): Promise<string | undefined> {
    const content = JSON.stringify({
      pid: process.pid,
      host: os.hostname(),
      nonce: crypto.randomBytes(8).toString('hex'),
      since: new Date().toISOString(),
    });
    const deadline = Date.now() + this.lockTimeoutMs;
    let delay = 5;
    let madeDir = false;
    let quickRetries = 0;
    for (;;) {
      let fd: number | undefined;
      try {
        fd = fs.openSync(this.lockFile, 'wx', FILE_MODE);
      } catch (err) {
        const code = errno(err);
        if (code === 'ENOENT' && !madeDir) {
          madeDir = true;
          try {
            this.ensureDir();
          } catch {
            return undefined;
          }
          continue;
        }
        // anything but "someone holds it" (a read-only folder, ...): run without the lock
        // (on Windows a file being deleted answers EPERM for a moment)
        if (code !== 'EEXIST' && !(code === 'EPERM' && !POSIX)) return undefined;
      }
      if (fd !== undefined) {
        try {
          fs.writeSync(fd, content);
          return content;
        } catch {
          try {
            fs.unlinkSync(this.lockFile);
          } catch {
            /* leave it: it will be stale */
          }
          return undefined;
        } finally {
          fs.closeSync(fd);
        }
      }
      // gone or broken: try again at once (a few times in a row at most, so a lock that cannot be removed is waited on)
      if (this.breakIfStale() && quickRetries++ < 5) continue;
      quickRetries = 0;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await sleep(Math.min(left, delay + Math.floor(Math.random() * delay)));
      delay = Math.min(delay * 2, 40);
    }
  }

  /** A lock file as it is now (identity, age, holder): 'gone' when there is none, undefined when it cannot be read. */
  private observe(file: string): { ino: number; mtimeMs: number; text: string } | 'gone' | undefined {
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      const st = fs.fstatSync(fd);
      return { ino: st.ino, mtimeMs: st.mtimeMs, text: fs.readFileSync(fd, 'utf8') };
    } catch (err) {
      return errno(err) === 'ENOENT' ? 'gone' : undefined;
    } finally {
      if (fd !== undefined) {
        try {
          fs.closeSync(fd);
        } catch {
          /* nothing to do */
        }
      }
    }
  }

  /** Stale: not touched for `maxAgeMs`, or its holder is a dead process of this host. */
  private static isStale(seen: { mtimeMs: number; text: string }, maxAgeMs: number): boolean {
    if (Date.now() - seen.mtimeMs > maxAgeMs) return true;
    const info = parseLock(seen.text);
    return info !== undefined && info.host === os.hostname() && !pidAlive(info.pid);
  }

  /**
   * True when the lock is gone or was broken (try again at once); false while a live holder has it.
   *
   * Breakers take turns under a second lock file (`<key>.lock.break`, held for a few system calls), and remove the
   * lock only if, under it, it is still the very file they judged stale: without that, a breaker that judged the old
   * lock could remove the fresh lock another breaker had just taken, and two processes would hold it.
   */
  private breakIfStale(): boolean {
    const seen = this.observe(this.lockFile);
    if (seen === 'gone') return true;
    if (!seen || !TokenCache.isStale(seen, this.staleLockMs)) return false;
    const guard = `${this.lockFile}.break`;
    let fd: number;
    try {
      fd = fs.openSync(guard, 'wx', FILE_MODE);
    } catch (err) {
      if (errno(err) !== 'EEXIST') return false;
      // another breaker is at work; one that died at it leaves a guard that is soon stale
      const other = this.observe(guard);
      if (other === 'gone') return true;
      if (other && TokenCache.isStale(other, Math.min(this.staleLockMs, 5_000))) {
        try {
          fs.unlinkSync(guard);
        } catch {
          /* someone else did */
        }
        return true;
      }
      return false;
    }
    try {
      try {
        fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname() }));
      } finally {
        fs.closeSync(fd);
      }
      const now = this.observe(this.lockFile);
      if (now === 'gone') return true;
      if (now && now.ino === seen.ino && now.mtimeMs === seen.mtimeMs && now.text === seen.text) {
        fs.unlinkSync(this.lockFile);
      }
    } catch {
      /* best effort: look again */
    } finally {
      try {
        fs.unlinkSync(guard);
      } catch {
        /* already gone */
      }
    }
    return true;
  }

  /** Removes the lock file if it is still ours (it may have been broken as stale and taken by another process). */
  private release(content: string): void {
    try {
      if (fs.readFileSync(this.lockFile, 'utf8') === content) fs.unlinkSync(this.lockFile);
    } catch {
      /* already gone */
    }
  }

  /** Creates `<stateDir>/tokens` with mode 0700, and narrows it when it exists with a wider mode. */
  private ensureDir(): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: DIR_MODE });
      const st = fs.statSync(this.dir);
      if (!st.isDirectory()) {
        throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      }
      if (POSIX && (st.mode & 0o077) !== 0) {
        try {
          fs.chmodSync(this.dir, DIR_MODE);
        } catch {
          /* not ours: the files in it are 0600 all the same */
        }
      }
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** rename over the cache file; on Windows a reader holding it open makes the rename fail for a moment */
  private replace(tmp: string): void {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.renameSync(tmp, this.file);
        return;
      } catch (err) {
        if (POSIX || attempt >= 20 || !['EPERM', 'EACCES', 'EBUSY'].includes(errno(err))) throw err;
        sleepSync(10 + attempt * 5);
      }
    }
  }

  /** Removes temp files left by processes killed mid-write. Best effort. */
  private sweep(): void {
    try {
      const limit = Date.now() - TEMP_MAX_AGE_MS;
      for (const name of fs.readdirSync(this.dir)) {
        if (!/^\.[a-f0-9]{16,64}\.\d+\.[a-f0-9]+\.tmp$/.test(name)) continue;
        const p = path.join(this.dir, name);
        try {
          if (fs.statSync(p).mtimeMs < limit) fs.unlinkSync(p);
        } catch {
          /* taken care of by someone else */
        }
      }
    } catch {
      /* best effort */
    }
  }

  private failure(err: unknown): ActionError {
    return new ActionError(
      'CONFIGURATION',
      `The token cache cannot be written in ${this.dir} (${errno(err)}); set M365D_STATE_DIR to a folder this user can write.`,
    );
  }
}
