// Command-line launcher: node build/test/emulator/cli.js [--port N] [--seed N] [--incidents N] [--alerts N] [--time-scale N]
//   [--no-quotas] [--hunting-rows N] [--token-lifetime N] [--action-seconds P,R] [--quiet]
// Prints as its first (and only) stdout line one JSON object {"url","env","legacy_env","apps"}; logs to stderr.
import * as fs from 'node:fs';
import { startEmulator, type EmulatorOptions, type RequestLogEntry } from './emulator';

const USAGE = `usage: emulator [--port N] [--seed N] [--incidents N] [--alerts N] [--time-scale N] [--no-quotas] [--hunting-rows N] [--token-lifetime N] [--action-seconds P,R] [--quiet]
  --port N            TCP port on 127.0.0.1 (0 = any free port; default 0)
  --seed N            seed for the tenant id, client ids, incidents and hunting rows (default 1)
  --incidents N       number of seeded incidents (default 100, or alerts / 2.5 with --alerts)
  --alerts N          number of seeded alerts, at least one per incident (default 1 to 4 per incident)
  --time-scale N      quota time runs N times faster: a minute lasts 60/N seconds (default 1)
  --no-quotas         switch the API quotas off
  --hunting-rows N    rows generated per hunting event table
  --token-lifetime N  access-token lifetime in seconds (default 3599)
  --action-seconds P,R  a machine action stays Pending P and InProgress R service-clock seconds, divided by the
                      time scale (default 15,45)
  --quiet             no per-request log lines on stderr`;

export class UsageError extends Error {}

export interface CliOptions extends EmulatorOptions { quiet: boolean }

function intArg(name: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined || !/^\d+$/.test(value)) throw new UsageError(`${name} needs a whole number, got ${value === undefined ? 'nothing' : `'${value}'`}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--port': o.port = intArg('--port', value(), 0, 65535); break;
      case '--seed': o.seed = intArg('--seed', value(), 0, 2 ** 31 - 1); break;
      case '--incidents': o.incidents = intArg('--incidents', value(), 0, 1_000_000); break;
      case '--alerts': o.alerts = intArg('--alerts', value(), 0, 4_000_000); break;
      case '--time-scale': {
        const v = value();
        const n = Number(v);
        if (v === undefined || !Number.isFinite(n) || n <= 0 || n > 1_000_000) throw new UsageError(`--time-scale needs a number > 0, got ${v === undefined ? 'nothing' : `'${v}'`}`);
        o.timeScale = n; break;
      }
      case '--no-quotas': o.quotas = false; break;
      case '--hunting-rows': o.huntingRowsPerTable = intArg('--hunting-rows', value(), 0, 10_000_000); break;
      case '--token-lifetime': o.tokenLifetimeSeconds = intArg('--token-lifetime', value(), 1, 86_400); break;
      case '--action-seconds': {
        const v = value();
        const m = v === undefined ? null : /^(\d+),(\d+)$/.exec(v);
        if (!m) throw new UsageError(`--action-seconds needs two whole numbers P,R (seconds Pending, then InProgress), got ${v === undefined ? 'nothing' : `'${v}'`}`);
        o.machineActionSeconds = { pending: Number(m[1]), running: Number(m[2]) }; break;
      }
      case '--quiet': o.quiet = true; break;
      default: throw new UsageError(`unknown argument '${raw}'`);
    }
  }
  return o;
}

function logLine(e: RequestLogEntry): string {
  const extra = [e.clientId && `client=${e.clientId}`, e.fault && `fault=${e.fault}`, e.throttled && `throttled=${e.throttled}`].filter(Boolean).join(' ');
  return `[emulator] ${e.time} #${e.seq} ${e.method} ${e.path}${e.query ? `?${e.query}` : ''} -> ${e.status ?? 'reset'} ${e.durationMs ?? 0}ms${extra ? ` ${extra}` : ''}\n`;
}

/**
 * Whether some process still holds the read end of our stdout pipe (Linux /proc; undefined when it cannot tell).
 * The emulator writes nothing to stdout after its first line, so it never gets EPIPE: without this,
 * `emulator | head -1 | ...` would never finish. A reader is a descriptor on the same pipe opened read-only.
 */
export function stdoutHasReader(): boolean | undefined {
  let link: string;
  try { link = fs.readlinkSync('/proc/self/fd/1'); } catch { return undefined; }
  if (!/^pipe:\[\d+\]$/.test(link)) return undefined;
  let pids: string[];
  try { pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)); } catch { return undefined; }
  for (const pid of pids) {
    let fds: string[];
    try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) !== link) continue;
        const flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        if (flags && (parseInt(flags[1], 8) & 3) === 0) return true; // O_RDONLY
      } catch { /* gone meanwhile */ }
    }
  }
  return false;
}

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) { process.stderr.write(`${USAGE}\n`); return; }
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`emulator: ${e.message}\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  const { quiet, ...emOptions } = opts;
  let em;
  try {
    em = await startEmulator({
      ...emOptions,
      onRequest: quiet ? undefined : (e) => process.stderr.write(logLine(e)),
      onError: (e) => process.stderr.write(`[emulator] error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`),
    });
  } catch (e) {
    process.stderr.write(`emulator: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
    return;
  }
  // checked before the line is written: a reader such as `head -1` may exit as soon as it has the line
  const readerAtStart = stdoutHasReader() === true;
  process.stdout.write(`${JSON.stringify({ url: em.url, env: em.env, legacy_env: em.legacyEnv, apps: em.apps })}\n`);
  process.stderr.write(`[emulator] listening on ${em.url} (tenant ${em.tenantId}); stop with Ctrl-C\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[emulator] ${signal}: stopping\n`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    em.stop().then(() => { process.exitCode = 0; }, (e: unknown) => {
      process.stderr.write(`[emulator] stop failed: ${String(e)}\n`);
      process.exitCode = 1;
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // stop when whoever read the first line has gone (e.g. `| head -1`), but only if a reader was seen at first
  if (readerAtStart) {
    const watch = setInterval(() => {
      if (stdoutHasReader() === false) { clearInterval(watch); stop('stdout closed'); }
    }, 1000);
    watch.unref();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`emulator: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
