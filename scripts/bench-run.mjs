// What the bench scripts share: running an action process as an engine does and timing it.
import { spawn } from 'node:child_process';

/**
 * Runs `node ...args` with `env` and `input` piped on stdin (cwd: `cwd`); wall time from spawn to exit
 * (process.hrtime.bigint). Resolves once the process has exited and its output is closed.
 */
export function runNode(args, env, input, cwd = process.cwd()) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout = [];
    let stderr = '';
    let exited;
    let closed = false;
    child.stdout.on('data', (d) => stdout.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => undefined); // `node -e 0` may exit before reading
    child.stdin.end(input);
    child.on('error', reject);
    const done = () => {
      if (!exited || !closed) return;
      resolve({ ms: exited.ms, code: exited.code, signal: exited.signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr });
    };
    child.on('exit', (code, signal) => { exited = { ms: Number(process.hrtime.bigint() - t0) / 1e6, code, signal }; done(); });
    child.on('close', () => { closed = true; done(); });
  });
}
