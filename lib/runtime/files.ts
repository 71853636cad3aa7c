// Small private files in M365D_STATE_DIR, shared by the token cache (lib/auth/cache.ts) and the daemon's fallback
// checkpoint (lib/daemon/store.ts): a folder 0700, files 0600 replaced atomically (temp file in the same folder +
// rename, so a reader sees the old file or the new one, never a part), and a lock file taken with O_EXCL that
// processes on one machine take turns on. No symbolic link is ever followed: not for the folder, not for a file
// (O_NOFOLLOW), so a link planted in the folder cannot lead a read or a write elsewhere.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const POSIX = process.platform !== 'win32';
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export function errno(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'error';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sleeps synchronously (only for a retried rename on Windows, where a reader can hold the target open for a moment). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** open() flags that never follow a symbolic link in the last component, nor block on a FIFO (POSIX). */
const NOFOLLOW = POSIX ? fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK : 0;

/** Opens `file` for reading without following a link in its last component. Throws the system error (ELOOP for a link). */
function openForRead(file: string): number {
  return fs.openSync(file, POSIX ? fs.constants.O_RDONLY | NOFOLLOW : 'r');
}

/** The whole text of `file`, read without following a link; throws the system error. */
function readNoFollow(file: string): string {
  const fd = openForRead(file);
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

interface LockInfo {
  pid: number;
  host: string;
  /** the holder's start time (processStartTime), where the host has one */
  start?: string;
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const data = JSON.parse(text) as Partial<LockInfo> | null;
    if (data && Number.isInteger(data.pid) && (data.pid as number) > 0 && typeof data.host === 'string') {
      const start = typeof data.start === 'string' && /^\d{1,20}$/.test(data.start) ? data.start : undefined;
      return { pid: data.pid as number, host: data.host, ...(start ? { start } : {}) };
    }
  } catch {
    /* empty (being written) or damaged: judged by its age only */
  }
  return undefined;
}

/**
 * When process `pid` started, as field 22 of /proc/<pid>/stat (clock ticks since boot, Linux): with the pid, it names
 * one process, so a pid that a crashed holder left and another process now has is told apart. Undefined where there
 * is no /proc, or the process is gone.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ")"; field 3 is first
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const start = fields[22 - 3];
    return start !== undefined && /^\d{1,20}$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

let ownStart: string | null | undefined;
const ownStartTime = (): string | undefined => {
  if (ownStart === undefined) ownStart = processStartTime(process.pid) ?? null;
  return ownStart ?? undefined;
};

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) !== 'ESRCH'; // EPERM: alive, someone else's
  }
}

const systemError = (code: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

/**
 * Checks the folder `dir` as it is: a real folder (a symbolic link in its place is not followed: ELOOP), narrowed to
 * 0700 when it is wider (through a descriptor of the folder itself, so it cannot be swapped for a link meanwhile).
 * One that others can write and that cannot be narrowed (someone else's) is refused (EACCES): a file in it could be
 * replaced behind the package's back. Throws the system error.
 */
function checkPrivateDir(dir: string): void {
  if (!POSIX) {
    if (!fs.lstatSync(dir).isDirectory()) throw systemError('ENOTDIR', 'not a directory');
    return;
  }
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | NOFOLLOW);
  } catch (err) {
    // a link: ELOOP on Linux, ENOTDIR or ELOOP elsewhere; a plain file: ENOTDIR
    if (errno(err) === 'ENOTDIR' && fs.lstatSync(dir).isSymbolicLink()) throw systemError('ELOOP', 'a symbolic link');
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isDirectory()) throw systemError('ENOTDIR', 'not a directory');
    if ((st.mode & 0o077) === 0) return;
    try {
      fs.fchmodSync(fd, DIR_MODE);
    } catch {
      // not ours: usable while no one else can write in it (its files are 0600 all the same)
      if ((st.mode & 0o022) !== 0) throw systemError('EACCES', 'writable by others');
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates `dir` with mode 0700 (parents too), and narrows it when it exists with a wider mode. A symbolic link in
 * its place is not followed, and a folder others can write that cannot be narrowed is refused. Throws the system error.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  checkPrivateDir(dir);
}

/**
 * Whether `dir` exists as a private folder to read from, under the rules of ensurePrivateDir (a wider mode is
 * narrowed here too, so that reading alone also mends it). Never creates it, never throws.
 */
export function isPrivateDir(dir: string): boolean {
  try {
    checkPrivateDir(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * The text of a private file, or undefined when it is missing or unreadable or not a regular file. Never throws.
 * O_NOFOLLOW: a symbolic link planted in place of the file is not followed (the file counts as missing). O_NONBLOCK: a
 * FIFO planted there must not hang the action. A mode wider than 0600 is narrowed.
 */
export function readPrivateFile(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openForRead(file);
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
    return fs.readFileSync(fd, 'utf8');
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
}

/** Writes `data` to a temp file (mode 0600, fsynced) beside `file`; `commit()` renames it over `file`, `abandon()` removes it. */
export function stageFile(file: string, data: string): { commit(): void; abandon(): void } {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const abandon = (): void => {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* never made, or already renamed */
    }
  };
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
  } catch (err) {
    abandon();
    throw err;
  }
  return {
    commit(): void {
      try {
        replaceFile(tmp, file);
      } catch (err) {
        abandon();
        throw err;
      }
    },
    abandon,
  };
}

/** Writes `file` atomically (stageFile + commit). Throws the system error. */
export function writeFileAtomic(file: string, data: string): void {
  stageFile(file, data).commit();
}

/** rename over the file; on Windows a reader holding it open makes the rename fail for a moment */
function replaceFile(tmp: string, file: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(tmp, file);
      return;
    } catch (err) {
      if (POSIX || attempt >= 20 || !['EPERM', 'EACCES', 'EBUSY'].includes(errno(err))) throw err;
      sleepSync(10 + attempt * 5);
    }
  }
}

/** Removes temp files of `stageFile` left in `dir` by processes killed mid-write, older than `maxAgeMs`. Best effort. */
export function sweepTempFiles(dir: string, maxAgeMs: number): void {
  try {
    const limit = Date.now() - maxAgeMs;
    for (const name of fs.readdirSync(dir)) {
      if (!/^\..+\.\d+\.[a-f0-9]{12}\.tmp$/.test(name)) continue;
      const p = path.join(dir, name);
      try {
        if (fs.lstatSync(p).mtimeMs < limit) fs.unlinkSync(p);
      } catch {
        /* taken care of by someone else */
      }
    }
  } catch {
    /* best effort */
  }
}

export interface FileLockOptions {
  /** how long acquire() waits for another process's lock (default 20 s) */
  timeoutMs?: number;
  /** a lock file not touched for this long is broken (default 30 s); its holder refreshes it (heartbeat) */
  staleMs?: number;
  /** makes the lock's folder when it is missing */
  ensureDir?: () => void;
}

/**
 * An exclusive lock across processes: a file created with O_EXCL holding the holder's pid, host, start time (where
 * the host has one) and a nonce. A lock that has not been touched for staleMs is broken, and so is one of this host
 * whose holder is gone: its pid is dead, or alive but another process (its start time is not the holder's, a pid
 * reused after a crash), so that an unrelated live process never makes every run wait. A lock without a start time
 * (written where there is none, or by an older version) is judged by its pid and its age.
 */
export class FileLock {
  private readonly timeoutMs: number;
  private readonly staleMs: number;
  private readonly ensureDir: () => void;

  constructor(readonly file: string, options: FileLockOptions = {}) {
    this.timeoutMs = Math.max(0, options.timeoutMs ?? 20_000);
    this.staleMs = Math.max(1, options.staleMs ?? 30_000);
    this.ensureDir = options.ensureDir ?? (() => ensurePrivateDir(path.dirname(file)));
  }

  /** Keeps a held lock fresh while its holder works longer than staleMs; returns the function that stops it. */
  heartbeat(): () => void {
    const timer = setInterval(() => {
      try {
        const t = new Date();
        fs.lutimesSync(this.file, t, t);
      } catch {
        /* gone: nothing to keep fresh */
      }
    }, Math.max(10, Math.min(5_000, Math.floor(this.staleMs / 3))));
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Takes the lock: its content (to release it by) when held, undefined when it could not be had (either reason). */
  async acquire(): Promise<string | undefined> {
    const r = await this.take();
    return r === 'timeout' || r === 'unavailable' ? undefined : r;
  }

  /**
   * Takes the lock: its content (to release it by) when held; 'timeout' when another live holder kept it for
   * timeoutMs; 'unavailable' when no lock file can be made here (a read-only folder, ...).
   */
  async take(): Promise<string | 'timeout' | 'unavailable'> {
    const start = ownStartTime();
    const content = JSON.stringify({
      pid: process.pid,
      host: os.hostname(),
      ...(start ? { start } : {}),
      nonce: crypto.randomBytes(8).toString('hex'),
      since: new Date().toISOString(),
    });
    const deadline = Date.now() + this.timeoutMs;
    let delay = 5;
    let madeDir = false;
    let quickRetries = 0;
    for (;;) {
      let fd: number | undefined;
      try {
        fd = fs.openSync(this.file, 'wx', FILE_MODE);
      } catch (err) {
        const code = errno(err);
        if (code === 'ENOENT' && !madeDir) {
          madeDir = true;
          try {
            this.ensureDir();
          } catch {
            return 'unavailable';
          }
          continue;
        }
        // anything but "someone holds it" (a read-only folder, ...): run without the lock
        // (on Windows a file being deleted answers EPERM for a moment)
        if (code !== 'EEXIST' && !(code === 'EPERM' && !POSIX)) return 'unavailable';
      }
      if (fd !== undefined) {
        try {
          fs.writeSync(fd, content);
          return content;
        } catch {
          try {
            fs.unlinkSync(this.file);
          } catch {
            /* leave it: it will be stale */
          }
          return 'unavailable';
        } finally {
          fs.closeSync(fd);
        }
      }
      // gone or broken: try again at once (a few times in a row at most, so a lock that cannot be removed is waited on)
      if (this.breakIfStale() && quickRetries++ < 5) continue;
      quickRetries = 0;
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await sleep(Math.min(left, delay + Math.floor(Math.random() * delay)));
      delay = Math.min(delay * 2, 40);
    }
  }

  /**
   * A lock file as it is now (identity, age, holder): 'gone' when there is none, undefined when it cannot be read.
   * Something other than a regular file in its place (a symbolic link, not followed; a FIFO) is no lock of this
   * package's: it is seen as a lock without a holder, untouched since ever, so it is broken at once.
   */
  private observe(file: string): { ino: number; mtimeMs: number; text: string } | 'gone' | undefined {
    const notALock = (ino: number) => ({ ino, mtimeMs: 0, text: '' });
    let fd: number | undefined;
    try {
      fd = openForRead(file);
      const st = fs.fstatSync(fd);
      if (!st.isFile()) return notALock(st.ino);
      return { ino: st.ino, mtimeMs: st.mtimeMs, text: fs.readFileSync(fd, 'utf8') };
    } catch (err) {
      const code = errno(err);
      if (code === 'ENOENT') return 'gone';
      if (code === 'ELOOP') {
        try {
          return notALock(fs.lstatSync(file).ino);
        } catch (again) {
          return errno(again) === 'ENOENT' ? 'gone' : undefined;
        }
      }
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
  }

  /** Stale: not touched for `maxAgeMs`, or its holder is a process of this host that is gone (dead, or its pid reused). */
  private static isStale(seen: { mtimeMs: number; text: string }, maxAgeMs: number): boolean {
    if (Date.now() - seen.mtimeMs > maxAgeMs) return true;
    const info = parseLock(seen.text);
    if (info === undefined || info.host !== os.hostname()) return false;
    if (!pidAlive(info.pid)) return true;
    if (info.start === undefined) return false;
    const start = processStartTime(info.pid);
    return start !== undefined && start !== info.start;
  }

  /**
   * True when the lock is gone or was broken (try again at once); false while a live holder has it.
   *
   * Breakers take turns under a second lock file (`<key>.lock.break`, held for a few system calls), and remove the
   * lock only if, under it, it is still the very file they judged stale: without that, a breaker that judged the old
   * lock could remove the fresh lock another breaker had just taken, and two processes would hold it.
   */
  private breakIfStale(): boolean {
    const seen = this.observe(this.file);
    if (seen === 'gone') return true;
    if (!seen || !FileLock.isStale(seen, this.staleMs)) return false;
    const guard = `${this.file}.break`;
    let fd: number;
    try {
      fd = fs.openSync(guard, 'wx', FILE_MODE);
    } catch (err) {
      if (errno(err) !== 'EEXIST') return false;
      // another breaker is at work; one that died at it leaves a guard that is soon stale
      const other = this.observe(guard);
      if (other === 'gone') return true;
      if (other && FileLock.isStale(other, Math.min(this.staleMs, 5_000))) {
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
      const now = this.observe(this.file);
      if (now === 'gone') return true;
      if (now && now.ino === seen.ino && now.mtimeMs === seen.mtimeMs && now.text === seen.text) {
        fs.unlinkSync(this.file);
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
  release(content: string): void {
    try {
      if (readNoFollow(this.file) === content) fs.unlinkSync(this.file);
    } catch {
      /* already gone */
    }
  }

}
