// What the bench scripts (and the build's code cache training) share: running an action process as an engine does
// and timing it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

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

/**
 * A --require hook that writes the process's peak resident memory (kB) to `<dir>/peak-kb` when it exits, with no
 * change to the action: VmHWM, the high-water mark of its own address space. Not process.resourceUsage().maxRSS: on
 * Linux that keeps the RSS the process had before exec, i.e. the bench's own (fork copies it), and the bench holds the
 * emulator with its data. Returns the hook's path, `reset()` before a run, and `peakMb()` after it (NaN: none written).
 */
export function peakMemoryHook(dir) {
  const file = path.join(dir, 'peak-kb');
  const hook = path.join(dir, 'peak-memory-hook.cjs');
  fs.writeFileSync(hook, `process.on('exit', () => { let kb = process.resourceUsage().maxRSS; try { kb = Number(/^VmHWM:\\s*(\\d+) kB/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]); } catch {} require('fs').writeFileSync(${JSON.stringify(file)}, String(kb)); });\n`);
  return {
    hook,
    reset: () => fs.rmSync(file, { force: true }),
    peakMb: () => (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) / 1024 : NaN),
  };
}
