// The daemon's own checkpoint file, for engines that keep no state (CONTRACT.md section 6): one file per
// integration instance (tenant, client, API surface root and daemon) in M365D_STATE_DIR/daemon/, 0600, replaced atomically. A run
// holds the instance's lock from reading the checkpoint until it has written the next one, so two concurrent runs
// never both hand over an incident: the second waits, then reads what the first handed over.
//
// The next checkpoint is staged (written and fsynced to a temp file) before the result is printed, and renamed into
// place only after the result has been written to stdout; the process exits at once after. A run killed before the
// rename has handed over nothing (an engine takes a result only from a process that exits 0) and changed nothing.

import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Config } from '../runtime/config';
import { ActionError } from '../runtime/errors';
import { ensurePrivateDir, errno, FileLock, readPrivateFile, stageFile, sweepTempFiles } from '../runtime/files';

export interface FallbackState {
  /** the checkpoint stored by the last run that handed over, if any */
  stored: unknown;
  /** the file (for messages) */
  file: string;
  /** writes the next checkpoint to a temp file; the returned function puts it in place */
  stage(checkpoint: unknown): () => void;
  release(): void;
}

/** How long a run waits for another run of the same instance to finish before it hands over nothing. */
export const LOCK_WAIT_MS = 30_000;

/**
 * The instance's key: tenant, app, the root of the API surface the daemon reads (the configured API for incidents; the
 * Graph root for alerts, whatever the configured family) and the daemon's action id, so that two daemons never share
 * a checkpoint.
 */
export function stateFileKey(config: Pick<Config, 'tenantId' | 'clientId' | 'apiUrl' | 'credential'>, actionId: string, root: string = config.apiUrl): string {
  const parts = [config.tenantId, config.clientId, root, actionId];
  // A managed identity may have neither a tenant nor a client id (the system-assigned one, or a user-assigned one named
  // by its resource or object id): its kind and id make the instance, so that two identities never share a checkpoint.
  // The other methods keep the key they always had, so an upgrade finds its checkpoint.
  const c = config.credential;
  // A system-assigned identity is the host's own: two hosts sharing a state folder are two instances.
  if (c.kind === 'managed_identity') parts.push(`managed_identity:${c.identity.kind}:${c.identity.kind === 'system' ? os.hostname() : c.identity.value.toLowerCase()}`);
  return crypto.createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

/** The checkpoint in the file (undefined when there is none); the file is replaced atomically, so any read is whole. */
function readStored(file: string): unknown {
  const text = readPrivateFile(file);
  if (text === undefined) return undefined;
  try {
    return (JSON.parse(text) as { checkpoint?: unknown }).checkpoint;
  } catch {
    throw new ActionError('CONFIGURATION', `The daemon's checkpoint file ${file} is damaged; remove it to start again from first_fetch.`);
  }
}

/**
 * Opens the instance's checkpoint file under its lock. `busy` (with the checkpoint as it is) when another run held
 * the lock for `waitMs`.
 * CONFIGURATION when the folder cannot be written.
 */
export async function openFallbackState(config: Config, actionId: string, waitMs = LOCK_WAIT_MS, root: string = config.apiUrl): Promise<FallbackState | { busy: true; stored: unknown }> {
  const dir = path.join(config.stateDir, 'daemon');
  const key = stateFileKey(config, actionId, root);
  const file = path.join(dir, `${key}.json`);
  const unwritable = (err?: unknown): ActionError =>
    new ActionError('CONFIGURATION', `The daemon's checkpoint cannot be kept in ${dir}${err ? ` (${errno(err)})` : ''}; set M365D_STATE_DIR to a folder this user can write, or let the engine keep the state.`);
  try {
    ensurePrivateDir(dir);
  } catch (err) {
    throw unwritable(err);
  }
  const lock = new FileLock(path.join(dir, `${key}.lock`), { timeoutMs: waitMs, staleMs: 30_000 });
  const held = await lock.take();
  if (held === 'timeout') return { busy: true, stored: readStored(file) };
  if (held === 'unavailable') throw unwritable();
  const stopHeartbeat = lock.heartbeat();
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    stopHeartbeat();
    lock.release(held);
  };
  let stored: unknown;
  try {
    stored = readStored(file);
  } catch (err) {
    release();
    throw err;
  }
  sweepTempFiles(dir, 10 * 60_000);
  return {
    stored,
    file,
    stage(checkpoint) {
      let staged: ReturnType<typeof stageFile>;
      try {
        staged = stageFile(file, `${JSON.stringify({ checkpoint, writtenAt: new Date().toISOString() })}\n`);
      } catch (err) {
        throw unwritable(err);
      }
      return () => staged.commit();
    },
    release,
  };
}
