// The daemon stops reading before its deadline and ends completed with what it has (in process, so that the
// deadline can be seconds instead of the manifest's 300): a slow tenant never turns into a failed run that starts over.
import { expect } from 'chai';
import type { ActionContext } from '../../lib/runtime/action';
import { loadConfig } from '../../lib/runtime/config';
import { JsonLogger } from '../../lib/runtime/log';
import { Redactor } from '../../lib/runtime/redact';
import { incidentSource, runDaemon, type DaemonOptions } from '../../lib/daemon/daemon';
import { initialCheckpoint, stampOf } from '../../lib/daemon/checkpoint';
import { useEmulator } from '../support/emulator';

describe('Incidents Daemon deadline (in process, against the emulator)', function () {
  this.timeout(120_000);
  const emulator = useEmulator({ seed: 3, incidents: 400, quotas: false }, 'daemon-deadline');

  const options: DaemonOptions = { firstFetch: new Date(Date.now() - 90 * 86_400_000), max: 10_000, statuses: [], includeAlerts: false, emitUpdates: true };

  function context(deadlineMs: number, state: Record<string, unknown> | undefined, logs: string[]): { ctx: ActionContext<unknown>; exit: () => void } {
    const atExit: (() => void)[] = [];
    const ctx: ActionContext<unknown> = {
      params: {},
      config: loadConfig({ ...emulator.em.env, M365D_STATE_DIR: emulator.freshState() }),
      entities: [],
      log: new JsonLogger((l) => logs.push(l), new Redactor(), 'incidents-daemon'),
      caseId: 'deadline',
      alertGroupIdentifiers: [],
      state,
      deadline: Date.now() + deadlineMs,
      signal: new AbortController().signal,
      remainingMs: () => 0,
      addSecret: () => undefined,
      onExit: (fn) => void atExit.push(fn),
    };
    return { ctx, exit: () => atExit.forEach((fn) => fn()) };
  }

  it('ends completed at its soft deadline with the pages it read, and the next run goes on from there', async () => {
    const em = emulator.em;
    // every page of the list takes 2.5 s: the soft deadline (12 s less the 2 s kept back) falls inside the fourth
    em.addFault({ kind: 'delay', delayMs: 2500, count: 6, match: { path: '/v1.0/security/incidents' } });
    const logs: string[] = [];
    // engine state from the start (`{}` is not a checkpoint: an engine leaves state out on a first run)
    const first = context(12_000, initialCheckpoint('lastUpdateDateTime', options.firstFetch) as unknown as Record<string, unknown>, logs);
    const started = Date.now();
    const run = await runDaemon(first.ctx, 'incidents-daemon', incidentSource(options), options);
    first.exit();
    expect(Date.now() - started, 'it returned before the deadline').to.be.below(12_000);
    expect(run.ended).to.equal('deadline');
    expect(run.items.length).to.be.above(0);
    expect(run.checkpoint.high, 'the checkpoint stands at the last incident handed over').to.equal(stampOf(run.items.at(-1)!.lastUpdateDateTime));
    em.clearFaults();
    const second = context(60_000, run.checkpoint as unknown as Record<string, unknown>, logs);
    const rest = await runDaemon(second.ctx, 'incidents-daemon', incidentSource(options), options);
    second.exit();
    expect(rest.ended).to.equal('caught-up');
    const all = [...run.items, ...rest.items].map((i) => `${i.id}@${i.lastUpdateDateTime}`);
    expect(new Set(all).size, 'nothing twice').to.equal(all.length);
    expect(all.length).to.equal(400);
  });
});
