// Runs a built action entry the way an engine does: environment, stdin, stdout, exit code.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { expect } from 'chai';
import { fixtureRoot } from './paths';
import { envelopeValidator, validatorFor } from './schemas';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** the one JSON object on stdout */
  result: Record<string, any>;
  /** the JSON log lines on stderr */
  logs: Array<Record<string, any>>;
}

export interface RunOptions {
  /** the input: an object (sent as JSON), a string or a Buffer (sent as is), or null (stdin closed at once) */
  input?: unknown;
  env?: Record<string, string | undefined>;
  args?: string[];
  /** write the input in two halves, this many milliseconds apart (an engine that writes slowly) */
  slowInputMs?: number;
  /** kill with this signal after the given milliseconds, or once a log line matches */
  kill?: { signal: NodeJS.Signals; afterLog: RegExp };
  /** kill with SIGKILL this many milliseconds after the start, unless its result is out by then (see below) */
  killAfterMs?: number;
  cwd?: string;
  timeoutMs?: number;
}

/** A minimal valid configuration (no network is involved in the runtime tests). */
export const BASE_ENV: Record<string, string> = {
  M365D_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  M365D_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  M365D_CLIENT_SECRET: 'base-client-secret-value',
};

/**
 * The environment of the test process minus anything M365D_, proxy or Azure identity related (AZURE_*, IDENTITY_*,
 * MSI_*, IMDS_*: a test machine on Azure must not hand its own managed identity or federated token to a run), plus `env`.
 */
export function cleanEnv(env: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(M365D|AZURE|IDENTITY|MSI|IMDS)_/.test(k) && !/^(https?|no|all)_proxy$/i.test(k)) out[k] = v;
  }
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

export function entryOf(id: string, root = fixtureRoot): string {
  return path.join(root, 'dist', 'actions', `${id}.js`);
}

export function runEntry(entry: string, options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...(options.args ?? [])], {
      env: cleanEnv(options.env ?? BASE_ENV),
      cwd: options.cwd ?? process.cwd(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    // A kill at a random point, as an engine's: the run is stopped, what it already wrote is read, and it is killed
    // only if its result is not out yet. A run whose whole result is out is left to finish: killing it then, in the
    // instant between moving its fallback checkpoint and exiting, loses the batch by design (README, Incidents Daemon).
    const killer =
      options.killAfterMs !== undefined
        ? setTimeout(() => {
            if (!child.kill('SIGSTOP')) return;
            setTimeout(() => child.kill(/\n$/.test(stdout) ? 'SIGCONT' : 'SIGKILL'), 25);
          }, options.killAfterMs)
        : undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (options.kill && options.kill.afterLog.test(stderr)) {
        const { signal } = options.kill;
        options.kill = undefined;
        child.kill(signal);
      }
    });
    child.stdin.on('error', () => undefined);
    if (options.input === null || options.input === undefined) child.stdin.end();
    else {
      const text = typeof options.input === 'string' || Buffer.isBuffer(options.input) ? options.input : JSON.stringify(options.input);
      if (options.slowInputMs) {
        child.stdin.write(text.slice(0, text.length >> 1));
        setTimeout(() => child.stdin.end(text.slice(text.length >> 1)), options.slowInputMs);
      } else child.stdin.end(text);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      let result: Record<string, any> = {};
      try {
        result = JSON.parse(stdout);
      } catch {
        /* asserted by the callers through expectContract */
      }
      const logs = stderr.split('\n').filter(Boolean).map((l) => {
        try {
          return JSON.parse(l) as Record<string, any>;
        } catch {
          return { unparsable: l };
        }
      });
      resolve({ code, signal, stdout, stderr, result, logs });
    });
  });
}

/** Asserts what every run must satisfy: one JSON object + newline on stdout, JSON lines on stderr, exit code = status. */
export function expectContract(run: RunResult): void {
  expect(run.stdout.endsWith('\n'), 'stdout ends with a newline').to.equal(true);
  expect(run.stdout.trimEnd().includes('\n'), `stdout holds one line: ${run.stdout}`).to.equal(false);
  const parsed = JSON.parse(run.stdout) as Record<string, unknown>;
  expect(parsed).to.be.an('object');
  for (const line of run.logs) {
    expect(line, `stderr line is JSON: ${JSON.stringify(line)}`).not.to.have.property('unparsable');
    expect(line).to.include.keys('time', 'level', 'action', 'case_id', 'msg');
    expect(['error', 'warn', 'info', 'debug']).to.include(line['level']);
  }
  if (parsed['status'] === 'completed') expect(run.code).to.equal(0);
  else {
    expect(parsed['status']).to.equal('failed');
    const code = (parsed['error'] as { code: string }).code;
    // INVALID_INPUT found only after a request went out (an update checked against the incident it read) exits 1
    if (code === 'INVALID_INPUT') expect([1, 2]).to.include(run.code);
    else expect(run.code).to.equal(code === 'CONFIGURATION' ? 2 : 1);
  }
}

/**
 * The runner of an end-to-end suite: runs a built entry with the suite's case context, then checks the contract, the
 * result envelope against schemas/common/result.schema.json and, when the run completed, json_result against the
 * action's own result schema (schemas/actions/<id>.result.schema.json, <id> being the entry's file name).
 */
export function checkedRunner(context: Record<string, unknown>, timeoutMs?: number) {
  const envelope = envelopeValidator();
  return async (entry: string, env: Record<string, string | undefined>, input: Record<string, unknown>): Promise<RunResult> => {
    const r = await runEntry(entry, { env, input: { ...context, ...input }, ...(timeoutMs ? { timeoutMs } : {}) });
    expectContract(r);
    expect(envelope(r.result), JSON.stringify(envelope.errors)).to.equal(true);
    if (r.result['status'] === 'completed') {
      const v = validatorFor(`schemas/actions/${path.basename(entry, '.js')}.result.schema.json`);
      expect(v(r.result['json_result']), JSON.stringify(v.errors)).to.equal(true);
    }
    return r;
  };
}
