#!/usr/bin/env node
// Daemon bench: a first sync of 10,000 incidents through the built Incidents Daemon (dist/actions/incidents-daemon.js)
// against the in-process emulator, on both API families, and of 10,000 alerts through the built Alerts Daemon
// (dist/actions/alerts-daemon.js, on Graph): the API calls each made against the least possible (pages of 50 incidents
// on Graph, 100 on the Defender XDR API, 1000 alerts), wall time, and the action's peak RSS. Twice each: one run taking
// everything (max 10000) and the default runs of 100 until caught up. Asserts nothing.
//
//   node scripts/bench-daemon.mjs [--incidents N] [--alerts N] [--json] [--quick]     (build first: npm run build)
// Also importable: `benchDaemon({ incidents })` and `benchAlertsDaemon({ alerts })` return the rows.
import { peakMemoryHook, runNode } from './bench-run.mjs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ENTRY = path.join(root, 'dist', 'actions', 'incidents-daemon.js');
const ALERTS_ENTRY = path.join(root, 'dist', 'actions', 'alerts-daemon.js');
/** The Alerts Daemon's page: 1000 alerts, or the run's maximum when that is smaller (lib/daemon/alerts.ts). */
const alertPage = (max) => Math.min(1000, max);

/**
 * First syncs through one daemon entry until caught up, once per subject ({api, env, max, key}): the calls against the
 * least possible with pages of `page(subject)`, the wall time and the peak RSS of the largest run.
 */
async function syncRows(em, { entry, maxParam, subjects, page, noNextLink = () => false }) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'm365d-bench-daemon-'));
  const rows = [];
  try {
    // the action's own peak memory (VmHWM), written when it exits: see peakMemoryHook
    const memory = peakMemoryHook(tmp);
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^M365D_|^(https?|no|all)_proxy$/i.test(k)));
    for (const subject of subjects) {
      const { api, max } = subject;
      const env = { ...base, ...subject.env, M365D_STATE_DIR: path.join(tmp, subject.key) };
      // warm the token cache so that the runs measure the sync, not the token request (with a checkpoint of now as
      // engine state, so that the fallback file is left alone; `{}` is not a checkpoint)
      const now = { version: 1, ...(entry === ALERTS_ENTRY ? { kind: 'alerts' } : {}), field: 'lastUpdateDateTime', from: new Date().toISOString().replace(/Z$/, '0000Z'), high: null, seen: {} };
      await runNode([entry], env, JSON.stringify({ case_id: 'bench', alert_group_identifiers: [], first_fetch: '1m', [maxParam]: '1', state: now }));
      const since = em.requests().at(-1)?.seq ?? 0;
      let state;
      let handed = 0;
      let runs = 0;
      let wall = 0;
      let peak = 0;
      let failed = 0;
      for (;;) {
        const input = JSON.stringify({ case_id: 'bench', alert_group_identifiers: [], first_fetch: '90d', [maxParam]: String(max), ...(state ? { state } : {}) });
        memory.reset();
        const r = await runNode(['--require', memory.hook, entry], env, input);
        runs++;
        wall += r.ms;
        peak = Math.max(peak, memory.peakMb());
        let result;
        try {
          result = JSON.parse(r.stdout);
        } catch {
          result = undefined;
        }
        if (!result || result.status !== 'completed') {
          failed++;
          if (failed > 3) throw new Error(`the daemon failed: ${r.stdout.slice(0, 300)}${r.stderr.slice(-300)}`);
          continue;
        }
        handed += result.json_result.length;
        state = result.state;
        const ended = /"msg":"Daemon run".*?"ended":"([a-z-]+)"/.exec(r.stderr)?.[1];
        if (ended === 'caught-up' || runs > 500) break;
      }
      const calls = em.requests(since).filter((q) => q.path.startsWith('/v1.0/') || q.path.startsWith('/api/'));
      const size = page(subject);
      // the least possible: full pages, and without a nextLink (the Defender XDR API) one more to see the end when the
      // last page is full
      const least = Math.ceil(handed / size) + (noNextLink(subject) && handed % size === 0 ? 1 : 0);
      // runs of `max`: at least one call per run, and whole pages within each
      // plus one call for each run that only finds nothing more (the caught-up run that ends the sync)
      const leastRuns = Math.max(least, Math.ceil(handed / max) * Math.ceil(Math.min(max, handed) / size)) + Math.max(0, runs - Math.ceil(handed / max));
      rows.push({ api, max, runs, handed, calls: calls.length, least: leastRuns, overPct: ((calls.length / leastRuns - 1) * 100), wallMs: wall, peakRssMb: peak, stateBytes: JSON.stringify(state).length });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

export async function benchDaemon({ incidents = 10_000 } = {}) {
  const { startEmulator } = require(path.join(root, 'build', 'test', 'emulator', 'emulator.js'));
  const em = await startEmulator({ port: 0, incidents, quotas: false });
  try {
    const subjects = ['graph', 'defender'].flatMap((flavor) => [10_000, 100].map((max) => ({ api: flavor === 'graph' ? 'Microsoft Graph' : 'Defender XDR', flavor, env: flavor === 'graph' ? em.env : em.legacyEnv, max, key: `${flavor}-${max}` })));
    return await syncRows(em, { entry: ENTRY, maxParam: 'max_incidents_per_run', subjects, page: (s) => (s.flavor === 'graph' ? 50 : 100), noNextLink: (s) => s.flavor === 'defender' });
  } finally {
    await em.stop();
  }
}

export async function benchAlertsDaemon({ alerts = 10_000 } = {}) {
  const { startEmulator } = require(path.join(root, 'build', 'test', 'emulator', 'emulator.js'));
  const em = await startEmulator({ port: 0, alerts, quotas: false });
  try {
    const subjects = [10_000, 100].map((max) => ({ api: 'Microsoft Graph', env: em.env, max, key: `alerts-${max}` }));
    return await syncRows(em, { entry: ALERTS_ENTRY, maxParam: 'max_alerts_per_run', subjects, page: (s) => alertPage(s.max) });
  } finally {
    await em.stop();
  }
}

const TABLE_HEADERS = ['API', 'max per run', 'runs', 'handed over', 'API calls', 'least', 'over least', 'wall s (all runs)', 'peak RSS MB', 'state bytes'];
const tableRow = (r) => [r.api, r.max, r.runs, r.handed, r.calls, r.least, `${r.overPct.toFixed(1)}%`, (r.wallMs / 1000).toFixed(1), r.peakRssMb.toFixed(0), r.stateBytes];
const line = (r) => `${r.api.padEnd(16)} max ${String(r.max).padStart(5)}: ${r.runs} run(s), ${r.handed} handed over, ${r.calls} API calls (least ${r.least}, +${r.overPct.toFixed(1)}%), wall ${(r.wallMs / 1000).toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB, state ${r.stateBytes} B`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const number = (flag) => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? Number(process.argv[i + 1]) : quick ? 1_000 : 10_000;
  };
  const incidents = number('--incidents');
  const alerts = number('--alerts');
  const rows = await benchDaemon({ incidents });
  const alertRows = await benchAlertsDaemon({ alerts });
  if (!process.argv.includes('--json')) {
    process.stdout.write(`Daemon first sync of ${incidents} incidents (first_fetch 90d, with alerts)\n${rows.map(line).join('\n')}\n`);
    process.stdout.write(`Alerts Daemon first sync of ${alerts} alerts (first_fetch 90d, with evidence)\n${alertRows.map(line).join('\n')}\n`);
  } else {
    for (const r of [...rows, ...alertRows]) process.stdout.write(`${line(r)}\n`);
    const incidentsSection = {
      title: `Daemon first sync of ${incidents.toLocaleString('en-US')} incidents`,
      intro: 'The built Incidents Daemon against the in-process emulator (first_fetch 90d, with alerts, engine state), on each API family: once with max_incidents_per_run 10000 (the whole sync in one run, plus the run that finds nothing more), and in the default runs of 100 until one catches up. "least" is full pages: 50 on Graph, 100 on the Defender XDR API (one more there when the last page is full, since it has no nextLink); in runs of 100, at least the calls each run needs for its 100. Peak RSS is the action process at its largest run (VmHWM, see peakMemoryHook in scripts/bench-run.mjs).',
      table: { headers: TABLE_HEADERS, rows: rows.map(tableRow) },
      notes: [
        'Graph reads pages of 50 ordered by lastUpdateDateTime, each starting again at the last timestamp of the one before (so an incident sharing it is never skipped): about one call per 49 incidents.',
        'The Defender XDR API cannot sort, so the daemon reads time windows that come back whole in one page of 100, sized for about 75: correct without relying on an undocumented order, at about 1.5 times the calls of full pages.',
      ],
    };
    const alertsSection = {
      title: `Alerts Daemon first sync of ${alerts.toLocaleString('en-US')} alerts`,
      intro: 'The built Alerts Daemon against the in-process emulator (Graph alerts_v2, first_fetch 90d, with evidence and comments, engine state): once with max_alerts_per_run 10000 (the whole sync in one run, plus the run that finds nothing more), and in the default runs of 100 until one catches up. "least" is full pages of new alerts: 1000 a page, or the run\'s maximum when smaller; in runs of 100, at least one call per run. Peak RSS as above.',
      table: { headers: TABLE_HEADERS, rows: alertRows.map(tableRow) },
      notes: [
        'Each page after the first starts again at the last timestamp of the one before, and asks for as many more alerts as it will read again there (usually one: $top=1001), so that every call brings a full page of new alerts; the first page of a run asks for the versions its checkpoint has seen on top.',
      ],
    };
    const targets = [
      ...rows.filter((r) => r.max === 10_000).map((r) => ({ target: `daemon API calls within 2% of the least possible (${r.api}, first sync of ${incidents} incidents)`, measured: `${r.calls} calls against ${r.least} (+${r.overPct.toFixed(1)}%)`, met: r.overPct <= 2 })),
      ...alertRows.filter((r) => r.max === 10_000).map((r) => ({ target: `Alerts Daemon API calls within 2% of the least possible (first sync of ${alerts} alerts)`, measured: `${r.calls} calls against ${r.least} (+${r.overPct.toFixed(1)}%), peak RSS ${r.peakRssMb.toFixed(0)} MB`, met: r.overPct <= 2 })),
    ];
    process.stdout.write(`${JSON.stringify({ sections: [incidentsSection, alertsSection], targets })}\n`);
  }
}
