#!/usr/bin/env node
// The package's bench (`npm run bench`, which builds first). Asserts nothing: these machines are noisy; it prints
// readable tables and writes everything to build/bench/results.json. Sections:
//   1. Cold start: Ping (dist/actions/ping.js) with a cached token against the in-process emulator, N interleaved
//      rounds next to `node -e 0` (same stdin piping); median, p90 and the ratio of medians. Twice: with the machine's
//      environment as it is and with NODE_EXTRA_CA_CERTS removed from both commands. Before Ping exists, the test
//      fixture's echo action is measured instead (and the output says so).
//   2. Token requests made by 100 sequential Ping runs on a fresh state folder (target: 1).
//   3. Token requests made by 20 parallel Ping runs on an empty cache (informative).
//   4. The emulator bench (scripts/bench-emulator.mjs) in a child process, its output passed through.
//
//   node scripts/bench.mjs [--runs N] [--sequential N] [--parallel N] [--no-emulator-bench]
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
function numArg(name, dflt) {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) { process.stderr.write(`bench: ${name} needs a positive integer\n`); process.exit(2); }
  return n;
}
const RUNS = numArg('--runs', 21);
const SEQUENTIAL = numArg('--sequential', 100);
const PARALLEL = numArg('--parallel', 20);
const EMULATOR_BENCH = !argv.includes('--no-emulator-bench');

const out = (line = '') => process.stdout.write(`${line}\n`);
const ms = (v) => (v === undefined || v === null || Number.isNaN(v) ? '-' : v.toFixed(1));
const results = {
  startedAt: new Date().toISOString(),
  node: process.version,
  cpus: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  platform: `${os.platform()} ${os.release()}`,
  nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS ?? null,
  sections: {},
};

function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const numeric = headers.map((_, i) => rows.every((r) => /^[-\d.]+$/.test(String(r[i]))));
  const fmt = (r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  out(fmt(cells[0]));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) out(fmt(r));
}

function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]; // nearest rank
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { n: s.length, median, p90: q(0.9), min: s[0], max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Runs `node ...args` with `env`, `input` piped on stdin; wall time from spawn to exit (process.hrtime.bigint). */
function runNode(args, env, input) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let exited;
    let closed = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => undefined); // `node -e 0` may exit before reading
    child.stdin.end(input);
    child.on('error', reject);
    const done = () => {
      if (!exited || !closed) return;
      resolve({ ms: exited.ms, code: exited.code, signal: exited.signal, stdout, stderr });
    };
    child.on('exit', (code, signal) => { exited = { ms: Number(process.hrtime.bigint() - t0) / 1e6, code, signal }; done(); });
    child.on('close', () => { closed = true; done(); });
  });
}

/** The one JSON result of an action run, or a description of what went wrong. */
function outcome(run) {
  try {
    const r = JSON.parse(run.stdout);
    if (r.status === 'completed') return { ok: true };
    return { ok: false, why: `${r.status}: ${r.error?.code ?? ''} ${r.error?.message ?? r.output_message ?? ''}`.trim() };
  } catch {
    return { ok: false, why: `exit ${run.code ?? run.signal}, stdout ${JSON.stringify(run.stdout.slice(0, 200))}, stderr ${JSON.stringify(run.stderr.slice(-300))}` };
  }
}

/** process.env without M365D_* or proxy variables (an action must talk to the emulator directly), plus `extra`. */
function baseEnv(extra, { dropExtraCa = false } = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^M365D_/.test(k) || /^(https?|no|all)_proxy$/i.test(k)) continue;
    if (dropExtraCa && k === 'NODE_EXTRA_CA_CERTS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

const tempDirs = [];
function freshStateDir(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `m365d-bench-${label}-`));
  tempDirs.push(dir);
  return dir;
}

const isTokenRequest = (e) => e.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(e.path);

// ---------------------------------------------------------------------------------------------------------------
out('# m365d bench');
out(`node ${process.version} · ${results.cpus} CPUs (${results.cpuModel}) · ${results.platform}`);
out(`NODE_EXTRA_CA_CERTS: ${process.env.NODE_EXTRA_CA_CERTS ? `set (${process.env.NODE_EXTRA_CA_CERTS}${(() => {
  try { return `, ${Math.round(fs.statSync(process.env.NODE_EXTRA_CA_CERTS).size / 1024)} KB`; } catch { return ', unreadable'; }
})()})` : 'not set'}`);
out();

const emulatorJs = path.join(root, 'build', 'test', 'emulator', 'emulator.js');
if (!fs.existsSync(emulatorJs)) {
  // `npm run bench` builds first; when run on its own, compile the emulator like bench-emulator.mjs does.
  const tsc = path.join(path.dirname(require.resolve('typescript/package.json', { paths: [root] })), 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'test', 'emulator')], { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
  if (r.status !== 0) { process.stderr.write('bench: compiling test/emulator failed\n'); process.exit(1); }
}
const { startEmulator } = require(emulatorJs);

const pingEntry = path.join(root, 'dist', 'actions', 'ping.js');
const echoEntry = path.join(root, 'test', 'fixtures', 'pkg', 'dist', 'actions', 'echo.js');
const havePing = fs.existsSync(pingEntry);
const subject = havePing
  ? { name: 'ping', entry: pingEntry, input: JSON.stringify({ case_id: 'bench', alert_group_identifiers: [] }) }
  : { name: 'echo (fixture)', entry: echoEntry, input: JSON.stringify({ case_id: 'b', alert_group_identifiers: [], message: 'm' }) };
results.subject = { action: subject.name, entry: path.relative(root, subject.entry), pingMissing: !havePing };

let em;
let crashed = false;
try {
  em = await startEmulator({ incidents: 50, quotas: false });

  // 1. Cold start ------------------------------------------------------------------------------------------------
  out(`## Cold start: ${havePing ? 'ping with a cached token' : subject.name} vs \`node -e 0\`, ${RUNS} interleaved rounds (wall ms, spawn to exit)`);
  if (!havePing) out(`   NOTE: dist/actions/ping.js does not exist yet; measuring ${path.relative(root, echoEntry)} instead (no network, no token).`);
  if (!fs.existsSync(subject.entry)) throw new Error(`${path.relative(root, subject.entry)} does not exist; run npm run build`);
  const coldState = freshStateDir('cold');
  const actionEnvExtra = { ...em.env, M365D_STATE_DIR: coldState };
  const fill = await runNode([subject.entry], baseEnv(actionEnvExtra), subject.input);
  const fillOutcome = outcome(fill);
  out(`   state folder ${coldState}; first run${havePing ? ' (fills the token cache)' : ''}: ${fill.ms.toFixed(1)} ms, ${fillOutcome.ok ? 'completed' : `NOT completed (${fillOutcome.why})`}`);
  const variants = [
    { key: 'machineEnv', label: process.env.NODE_EXTRA_CA_CERTS ? 'environment as is (NODE_EXTRA_CA_CERTS set)' : 'environment as is (NODE_EXTRA_CA_CERTS not set on this machine)', dropExtraCa: false },
    { key: 'withoutNodeExtraCaCerts', label: 'NODE_EXTRA_CA_CERTS removed from both commands', dropExtraCa: true },
  ];
  const coldRows = [];
  const cold = { subject: subject.name, runs: RUNS, fillRun: { ms: fill.ms, completed: fillOutcome.ok }, variants: {} };
  for (const v of variants) {
    const seqBefore = em.requests().at(-1)?.seq ?? 0;
    const baseline = [];
    const action = [];
    const failures = [];
    const envBaseline = baseEnv({}, { dropExtraCa: v.dropExtraCa });
    const envAction = baseEnv(actionEnvExtra, { dropExtraCa: v.dropExtraCa });
    await runNode(['-e', '0'], envBaseline, subject.input); // warm-up
    await runNode([subject.entry], envAction, subject.input); // warm-up
    for (let i = 0; i < RUNS; i++) {
      // alternate which command goes first, so neither always runs right after the other
      const order = i % 2 === 0 ? ['baseline', 'action'] : ['action', 'baseline'];
      for (const which of order) {
        if (which === 'baseline') baseline.push((await runNode(['-e', '0'], envBaseline, subject.input)).ms);
        else {
          const r = await runNode([subject.entry], envAction, subject.input);
          action.push(r.ms);
          const o = outcome(r);
          if (!o.ok) failures.push(o.why);
        }
      }
    }
    const tokenRequests = em.requests(seqBefore).filter(isTokenRequest).length;
    const b = stats(baseline);
    const a = stats(action);
    const ratio = a.median / b.median;
    cold.variants[v.key] = { label: v.label, baseline: { ...b, samples: baseline }, action: { ...a, samples: action }, ratioOfMedians: ratio, failedRuns: failures.length, firstFailure: failures[0] ?? null, tokenRequests };
    coldRows.push([v.label, 'node -e 0', b.median, b.p90, b.min, b.max, '1.00', '']);
    coldRows.push(['', `node ${path.relative(root, subject.entry)}`, a.median, a.p90, a.min, a.max, ratio.toFixed(2), `${RUNS - failures.length}/${RUNS} ok, ${tokenRequests} token req`]);
  }
  out();
  table(['environment', 'command', 'median ms', 'p90 ms', 'min ms', 'max ms', 'ratio (medians)', 'runs'],
    coldRows.map((r) => r.map((c) => (typeof c === 'number' ? ms(c) : c))));
  for (const v of variants) {
    const f = cold.variants[v.key];
    if (f.failedRuns) out(`   ${f.failedRuns} run(s) did not complete (${v.label}); first: ${f.firstFailure}`);
  }
  if (havePing) out('   target (issue 4): ping within 1.5x of node -e 0');
  results.sections.coldStart = cold;
  out();

  // 2. Token requests per 100 sequential runs ---------------------------------------------------------------------
  out(`## Token requests per ${SEQUENTIAL} sequential Ping runs (fresh state folder; target: 1)`);
  if (!havePing) {
    out('   SKIPPED: dist/actions/ping.js does not exist yet.');
    results.sections.tokenRequestsSequential = { skipped: 'dist/actions/ping.js does not exist yet' };
  } else {
    const state = freshStateDir('seq');
    const seqBefore = em.requests().at(-1)?.seq ?? 0;
    const env = baseEnv({ ...em.env, M365D_STATE_DIR: state });
    const failures = [];
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < SEQUENTIAL; i++) {
      const o = outcome(await runNode([pingEntry], env, subject.input));
      if (!o.ok) failures.push(o.why);
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const log = em.requests(seqBefore);
    const tokens = log.filter(isTokenRequest).length;
    table(['runs', 'completed', 'token requests', 'all requests', 'wall ms'], [[SEQUENTIAL, SEQUENTIAL - failures.length, tokens, log.length, ms(wall)]]);
    if (failures.length) out(`   first failure: ${failures[0]}`);
    results.sections.tokenRequestsSequential = { runs: SEQUENTIAL, completed: SEQUENTIAL - failures.length, tokenRequests: tokens, allRequests: log.length, wallMs: wall, firstFailure: failures[0] ?? null };
  }
  out();

  // 3. Token requests, parallel runs on an empty cache ------------------------------------------------------------
  out(`## Token requests with ${PARALLEL} parallel Ping runs on an empty cache (informative)`);
  if (!havePing) {
    out('   SKIPPED: dist/actions/ping.js does not exist yet.');
    results.sections.tokenRequestsParallel = { skipped: 'dist/actions/ping.js does not exist yet' };
  } else {
    const state = freshStateDir('par');
    const seqBefore = em.requests().at(-1)?.seq ?? 0;
    const env = baseEnv({ ...em.env, M365D_STATE_DIR: state });
    const t0 = process.hrtime.bigint();
    const runs = await Promise.all(Array.from({ length: PARALLEL }, () => runNode([pingEntry], env, subject.input)));
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const failures = runs.map(outcome).filter((o) => !o.ok).map((o) => o.why);
    const log = em.requests(seqBefore);
    const tokens = log.filter(isTokenRequest).length;
    let cacheFile = '-';
    try {
      const files = fs.readdirSync(state);
      cacheFile = files.length ? files.map((f) => `${f} (${(fs.statSync(path.join(state, f)).mode & 0o777).toString(8)})`).join(', ') : '(empty)';
    } catch { /* informative only */ }
    table(['parallel runs', 'completed', 'token requests', 'all requests', 'wall ms'], [[PARALLEL, PARALLEL - failures.length, tokens, log.length, ms(wall)]]);
    out(`   state folder afterwards: ${cacheFile}`);
    if (failures.length) out(`   first failure: ${failures[0]}`);
    results.sections.tokenRequestsParallel = { runs: PARALLEL, completed: PARALLEL - failures.length, tokenRequests: tokens, allRequests: log.length, wallMs: wall, stateFolder: cacheFile, firstFailure: failures[0] ?? null };
  }
  out();
} catch (e) {
  crashed = true;
  process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
} finally {
  if (em) await em.stop();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
}

// 3b. A 100,000-row hunting result through Execute Custom Query --------------------------------------------------
if (!crashed && fs.existsSync(path.join(root, 'dist', 'actions', 'execute-custom-query.js')) && !process.argv.includes('--no-hunting-bench')) {
  out('## A 100,000-row hunting result (Execute Custom Query, Graph; emulator with 100,000 rows per table)');
  let big;
  try {
    big = await startEmulator({ incidents: 20, quotas: false, huntingRowsPerTable: 100_000 });
    const rssFile = path.join(freshStateDir('rss'), 'maxrss');
    const hook = path.join(path.dirname(rssFile), 'rss-hook.cjs');
    // the action's own peak memory, written when it exits (no change to the action)
    fs.writeFileSync(hook, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
    const input = JSON.stringify({ case_id: 'bench', alert_group_identifiers: [], query: 'union DeviceProcessEvents, DeviceNetworkEvents | project Timestamp, DeviceId, DeviceName, ActionType, InitiatingProcessFileName, InitiatingProcessCommandLine, InitiatingProcessAccountName', max_results_to_return: '100000' });
    const env = baseEnv({ ...big.env, M365D_STATE_DIR: freshStateDir('hunt') });
    const rows = [];
    for (let i = 0; i < 3; i++) {
      const run = await runNode(['--require', hook, path.join(root, 'dist', 'actions', 'execute-custom-query.js')], env, input);
      const o = outcome(run);
      let count = null;
      try { count = JSON.parse(run.stdout).json_result.row_count; } catch { /* reported below */ }
      const rssMb = Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
      rows.push({ run: i + 1, ok: o.ok, why: o.why, wallMs: run.ms, rows: count, stdoutMb: Buffer.byteLength(run.stdout) / 1048576, peakRssMb: rssMb });
    }
    out(table(['run', 'completed', 'rows', 'wall ms', 'stdout MB', 'action peak RSS MB'], rows.map((r) => [String(r.run), r.ok ? 'yes' : `no: ${r.why}`, String(r.rows), r.wallMs.toFixed(0), r.stdoutMb.toFixed(1), r.peakRssMb.toFixed(0)])));
    out('   the first run includes the emulator loading its Kusto parser; target (issue 8): peak memory under 200 MB');
    results.sections.hunting100k = rows;
  } catch (e) {
    out(`   failed: ${e instanceof Error ? e.message : String(e)}`);
    results.sections.hunting100k = { error: String(e) };
  } finally {
    if (big) await big.stop();
  }
  out();
}

// 4. The emulator bench, in a child process ---------------------------------------------------------------------
if (EMULATOR_BENCH && !crashed) {
  out('## Emulator bench (scripts/bench-emulator.mjs)');
  const t0 = process.hrtime.bigint();
  const lines = [];
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'bench-emulator.mjs')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop();
      lines.push(...parts);
    });
    child.on('error', (e) => { process.stderr.write(`bench: ${e.message}\n`); resolve(null); });
    child.on('close', (c) => { if (buf) lines.push(buf); resolve(c); });
  });
  results.sections.emulatorBench = { exitCode: code, wallMs: Number(process.hrtime.bigint() - t0) / 1e6, output: lines };
  if (code !== 0) { out(`   the emulator bench exited with ${code}`); crashed = true; }
  out();
} else if (!EMULATOR_BENCH) {
  results.sections.emulatorBench = { skipped: '--no-emulator-bench' };
}

results.finishedAt = new Date().toISOString();
results.crashed = crashed;
const resultsFile = path.join(root, 'build', 'bench', 'results.json');
fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
fs.writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
out(`results: ${path.relative(root, resultsFile)}`);
process.exitCode = crashed ? 1 : 0;
