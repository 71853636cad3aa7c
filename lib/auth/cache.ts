// The persistent token cache in M365D_STATE_DIR: one small JSON file per key, `<stateDir>/tokens/<key>.json`, mode
// 0600 in a 0700 folder, replaced atomically (temp file in the same folder + rename), so that a reader always sees
// a whole file. A lock file per key (created with O_EXCL) lets the many action processes that start together with
// an empty cache make one token request between them. The lock is only ever an optimisation: it never fails an action.
//
// The hit path (`read()`) is one small file read: no lock, no MSAL.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError } from '../runtime/errors';
import { ensurePrivateDir, errno, FileLock, isPrivateDir, readPrivateFile, sweepTempFiles, writeFileAtomic } from '../runtime/files';

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
/** leftover temp files of a process killed mid-write are removed after this long */
const TEMP_MAX_AGE_MS = 10 * 60_000;

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

export class TokenCache {
  /** the folder of the cache files: `<stateDir>/tokens` (the only path any error message names) */
  readonly dir: string;
  private readonly file: string;
  private readonly lock: FileLock;
  private readonly now: () => number;

  constructor(stateDir: string, key: string, options: TokenCacheOptions = {}) {
    if (!KEY.test(key)) throw new ActionError('INTERNAL', 'The token cache key must be a hash of 16 to 64 lower-case hex digits.');
    this.dir = path.join(path.resolve(stateDir), 'tokens');
    this.file = path.join(this.dir, `${key}.json`);
    this.lock = new FileLock(path.join(this.dir, `${key}.lock`), { timeoutMs: options.lockTimeoutMs ?? 20_000, staleMs: options.staleLockMs ?? 30_000, ensureDir: () => this.ensureDir() });
    this.now = options.now ?? Date.now;
  }

  /**
   * The cached token if it is valid for at least `minValiditySeconds` more (default 300). Never throws: a missing,
   * unreadable or corrupt file is an empty cache, and so is a symbolic link in place of the file or of its folder (never
   * followed). A file whose mode is wider than 0600, or a folder wider than 0700, is narrowed on the way.
   */
  read(minValiditySeconds = MIN_VALIDITY_SECONDS): CachedToken | undefined {
    // the folder as ensureDir leaves it: a link in its place is not followed, a wider mode is narrowed
    if (!isPrivateDir(this.dir)) return undefined;
    const text = readPrivateFile(this.file);
    const token = text === undefined ? undefined : parseToken(text);
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
    try {
      writeFileAtomic(this.file, data);
    } catch (err) {
      throw this.failure(err);
    }
    sweepTempFiles(this.dir, TEMP_MAX_AGE_MS);
  }

  /** Removes the entry if it still holds `accessToken` (a 401 on a cached token drops it). Never throws. */
  drop(accessToken: string): void {
    try {
      const text = isPrivateDir(this.dir) ? readPrivateFile(this.file) : undefined;
      const token = text === undefined ? undefined : parseToken(text);
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
    const held = await this.lock.acquire();
    // keep the lock fresh while fn runs longer than staleLockMs (a slow token request), so no one breaks it
    const stop = held !== undefined ? this.lock.heartbeat() : undefined;
    try {
      return await fn();
    } finally {
      stop?.();
      if (held !== undefined) this.lock.release(held);
    }
  }

  /** Creates `<stateDir>/tokens` with mode 0700, and narrows it when it exists with a wider mode. */
  private ensureDir(): void {
    try {
      ensurePrivateDir(this.dir);
    } catch (err) {
      throw this.failure(err);
    }
  }

  private failure(err: unknown): ActionError {
    return new ActionError(
      'CONFIGURATION',
      `The token cache cannot be written in ${this.dir} (${errno(err)}); set M365D_STATE_DIR to a folder this user can write.`,
    );
  }
}
