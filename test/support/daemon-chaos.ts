// The daemons' chaos harness (Incidents Daemon and Alerts Daemon): scheduled runs of the built daemon while items are
// created and changed, with random faults and runs killed at random points, two instances (one whose state the engine
// keeps, one on its fallback file, with runs that overlap); then the union of what the engine took is checked against
// every version that existed: nothing twice, nothing that never existed, every last version, and every version that
// was current throughout a run that caught up.
import { expect } from 'chai';
import type { Emulator } from '../emulator/emulator';
import type { RunResult } from './run';
import { prng } from './prng';

type Json = Record<string, any>;

/** A timestamp in the checkpoint's canonical 7-digit form, for comparing the emulator's and the APIs' writing. */
export const canon = (s: string): string => {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(s)!;
  return `${m[1]}.${(m[2] ?? '').padEnd(7, '0').slice(0, 7)}Z`;
};
/** A version's key: id and canonical lastUpdateDateTime. */
export const versionKey = (id: unknown, at: string): string => `${String(id)}@${canon(at)}`;
/** How a daemon run's reading ended, from its log. */
export const endedOf = (r: RunResult): string => r.logs.find((l) => l['msg'] === 'Daemon run')?.['ended'];

export interface ChaosSubject {
  em: Emulator;
  /** the PRNG seed */
  seed: number;
  /** runs the built daemon once (contract checked by the caller's runner); `killAfterMs` kills it at a random point */
  daemon(env: Record<string, string>, input: Json, options?: { killAfterMs?: number }): Promise<RunResult>;
  /** the environment of a run with this state folder */
  env(dir: string, extra?: Record<string, string>): Record<string, string>;
  freshState(): string;
  /** the daemon's maximum parameter: "max_incidents_per_run" */
  maxParam: string;
  /** the ids of the items that exist now */
  ids(): string[];
  /** makes one change: a new item (`add`) or a change of the item `pick()` gives; returns its id and new lastUpdateDateTime */
  change(add: boolean, pick: () => string, rand: () => number): { id: string; lastUpdateDateTime: string };
  /** the paths faults go to ("/v1.0/") */
  faultPath: string;
  /** how many scheduled rounds */
  rounds?: number;
}

export async function chaos(s: ChaosSubject): Promise<void> {
  const { em } = s;
  const rand = prng(s.seed);
  const first = (dir: string) => s.daemon(s.env(dir), { first_fetch: '1m', [s.maxParam]: '10000' });
  const start = await first(s.freshState());
  // two daemon instances: the engine keeps A's state; B has none (its file, and runs that overlap)
  const instances = {
    A: { state: start.result['state'] as Json | undefined, dir: s.freshState(), taken: [] as string[], caughtUp: [] as Array<{ start: number; end: number }> },
    B: { state: undefined, dir: s.freshState(), taken: [] as string[], caughtUp: [] as Array<{ start: number; end: number }> },
  };
  // B starts from the same point as A
  const bFirst = await first(instances.B.dir);
  expect(bFirst.code).to.equal(0);
  const sinceStart = canon(em.now().toISOString());
  // every version that exists from now on: key -> [current from, current until]
  const life = new Map<string, { from: number; until: number }>();
  const current = new Map<string, string>();
  const ids = s.ids();
  const change = (): void => {
    const t = Date.now();
    const made = s.change(rand() < 0.15, () => ids[Math.floor(rand() * ids.length)]!, rand);
    if (!ids.includes(made.id)) ids.push(made.id);
    const k = versionKey(made.id, made.lastUpdateDateTime);
    const prev = current.get(made.id);
    if (prev && prev !== k) life.get(prev)!.until = t;
    current.set(made.id, k);
    if (!life.has(k)) life.set(k, { from: t, until: Infinity });
  };
  let changing = true;
  const changer = (async () => {
    while (changing) {
      change();
      await new Promise((r) => setTimeout(r, 30 + Math.floor(rand() * 90)));
    }
  })();
  const faults = [
    { kind: 'status', status: 429, retryAfter: 0 },
    { kind: 'status', status: 503, retryAfter: 0 },
    { kind: 'status', status: 500 },
    { kind: 'reset' },
    { kind: 'delay', delayMs: 1500 },
  ] as const;
  /** one scheduled run as an engine makes it; true when it completed, caught up and handed over nothing */
  const runOnce = async (name: 'A' | 'B', withChaos = true): Promise<boolean> => {
    const inst = instances[name];
    const input: Json = { first_fetch: '1m', [s.maxParam]: String(8 + Math.floor(rand() * 50)) };
    if (name === 'A' && inst.state) input['state'] = inst.state;
    const killAfterMs = withChaos && rand() < 0.15 ? 30 + Math.floor(rand() * 400) : undefined;
    const t0 = Date.now();
    const r = await s.daemon(s.env(inst.dir, { M365D_TIMEOUT: '1' }), input, killAfterMs !== undefined ? { killAfterMs } : {});
    const t1 = Date.now();
    if (r.code !== 0) return false; // failed or killed: the engine takes nothing and keeps the old state
    const items = r.result['json_result'] as Json[];
    for (const i of items) inst.taken.push(versionKey(i['id'], i['lastUpdateDateTime']));
    if (name === 'A') inst.state = r.result['state'];
    if (endedOf(r) === 'caught-up') inst.caughtUp.push({ start: t0, end: t1 });
    return endedOf(r) === 'caught-up' && items.length === 0;
  };
  const rounds = s.rounds ?? 70;
  for (let round = 0; round < rounds; round++) {
    if (rand() < 0.3) em.addFault({ ...faults[Math.floor(rand() * faults.length)]!, count: 1, match: { path: s.faultPath } } as never);
    if (rand() < 0.25) await Promise.all([runOnce('A'), runOnce('B'), runOnce('B')]);
    else await runOnce(rand() < 0.5 ? 'A' : 'B');
  }
  changing = false;
  await changer;
  em.clearFaults();
  // quiet: the daemon catches up
  for (const name of ['A', 'B'] as const) {
    let quiet = false;
    for (let k = 0; k < 40 && !quiet; k++) quiet = await runOnce(name, false);
    expect(quiet, `${name} caught up once the changes stopped`).to.equal(true);
  }
  const finalVersions = new Set([...current.values()]);
  for (const name of ['A', 'B'] as const) {
    const inst = instances[name];
    const taken = new Set(inst.taken);
    expect(taken.size, `${name}: no version taken twice`).to.equal(inst.taken.length);
    for (const k of taken) expect(k.split('@')[1]! >= sinceStart ? life.has(k) : true, `${name}: ${k} is a version that existed`).to.equal(true);
    for (const k of finalVersions) expect(taken.has(k), `${name}: the last version ${k} was taken`).to.equal(true);
    // every version that was current throughout a run that caught up was taken
    let required = 0;
    for (const [k, span] of life) {
      if (inst.caughtUp.some((run) => span.from < run.start && span.until > run.end)) {
        required++;
        expect(taken.has(k), `${name}: ${k} was current throughout a run that caught up`).to.equal(true);
      }
    }
    expect(required, `${name}: versions the oracle could check`).to.be.above(20);
    expect(inst.caughtUp.length, `${name}: runs that caught up`).to.be.above(5);
  }
  expect(life.size, 'versions made during the chaos').to.be.above(80);
}
