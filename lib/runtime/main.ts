// One action run, start to end (CONTRACT.md sections 1-5): read the input and the configuration, validate, resolve
// the entity scope, run the action against its deadline, and write exactly one JSON result with the exit code that
// agrees with it. The only module besides stdio.ts and input.ts that touches process.

import { setStrayOutputSink, writeLogLine, writeResult } from './stdio';
import type { ActionDefinition, ActionContext } from './action';
import type { ActionContextInput, ActionResultEnvelope } from '../generated/contract.types';
import { describeConfig, loadConfig, runSeconds, secretsIn, type Config } from './config';
import { resolveEntities } from './entities';
import { ActionError } from './errors';
import { parseArgs, readRawInput } from './input';
import { LOADED_WITH } from './load';
import { JsonLogger } from './log';
import { Redactor, redactShort } from './redact';
import { completion, failure, resultPieces } from './result';
import { validateInput } from './validate';

/** Pieces of the result are gathered into writes of about this many characters. */
const WRITE_CHARS = 64 * 1024;

export interface MainOptions {
  /**
   * Called with the configuration as soon as it is read, before the input is: work that needs nothing else starts
   * here and goes on while the input is read and checked (the entry bundles pass lib/http's preconnect). It must not
   * send anything: a run whose input is refused sends nothing.
   */
  onConfig?: (config: Config) => void;
}

export async function main<Input, Result>(definition: ActionDefinition<Input, Result>, options: MainOptions = {}): Promise<void> {
  const started = Date.now();
  const { spec } = definition;
  const redactor = new Redactor();
  for (const secret of secretsIn(process.env)) redactor.add(secret);
  const log = new JsonLogger(writeLogLine, redactor, spec.id);
  // stray output is held by stdio.ts until the log level is known, then logged at warn
  const attachStrayOutput = (): void =>
    setStrayOutputSink((stream, text) => log.warn(`Unexpected output on ${stream} was diverted to the log`, { text: redactShort(redactor, text.trimEnd(), 2000) }));

  const controller = new AbortController();
  const atExit: (() => void)[] = [];
  const runExitHooks = (): void => {
    for (const fn of atExit.splice(0).reverse()) {
      try {
        fn();
      } catch {
        /* exit hooks are best effort */
      }
    }
  };
  let finished = false;
  // The result is serialised and redacted on its values in pieces (resultPieces in result.ts), gathered into writes of
  // about WRITE_CHARS, written one after the other as the reader takes them: a 100,000-row result never exists as one
  // string. A small result is one write.
  const finish = async (envelope: ActionResultEnvelope, exitCode: 0 | 1 | 2, afterOutput?: () => void): Promise<void> => {
    if (finished) return;
    finished = true;
    let written = 0;
    try {
      let chunk: string[] = [];
      let size = 0;
      for (const piece of resultPieces(envelope, redactor)) {
        chunk.push(piece);
        size += piece.length;
        if (size >= WRITE_CHARS) {
          const text = chunk.join('');
          chunk = [];
          size = 0;
          written += text.length;
          await writeResult(text);
        }
      }
      chunk.push('\n');
      await writeResult(chunk.join(''));
    } catch (err) {
      // only a value JSON cannot hold (a getter that throws, say) can get here; nothing of it was written unless it
      // came after the first chunk, and then stdout holds a cut result: the exit code at least says it failed
      log.error('The result could not be written', { error: err instanceof Error ? err.message : String(err), written_characters: written });
      if (written === 0) {
        const { envelope: failed } = failure(spec.name, err);
        await writeResult(`${[...resultPieces(failed, redactor)].join('')}\n`);
      }
      runExitHooks();
      process.exit(1);
    }
    // (not resourceUsage().maxRSS: on Linux it starts from the RSS of the process that spawned this one)
    if (log.enabled('debug')) log.debug('Result written', { status: envelope.status, rss_mb: Math.round(process.memoryUsage.rss() / 1048576) });
    if (afterOutput && exitCode === 0) {
      try {
        afterOutput();
      } catch (err) {
        exitCode = 1;
        log.error(`${spec.name} wrote its result but could not finish after it; the run counts as failed, so nothing it returned is taken`, { error: err instanceof Error ? err.message : String(err) });
      }
    }
    runExitHooks();
    process.exit(exitCode);
  };
  const fail = (err: unknown): Promise<void> => {
    attachStrayOutput();
    const { envelope, exitCode } = failure(spec.name, err);
    const level = exitCode === 2 ? 'warn' : 'error';
    log[level](`${spec.name} failed`, { code: envelope.error?.code, error: envelope.error?.message, duration_ms: Date.now() - started });
    if (!(err instanceof ActionError) && err instanceof Error) log.debug('Stack of the unexpected error', { stack: err.stack });
    return finish(envelope, exitCode);
  };

  process.on('uncaughtException', (err) => void fail(err));
  process.on('unhandledRejection', (err) => void fail(err));
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const) {
    process.once(signal, () => {
      controller.abort(new ActionError('TIMEOUT', `stopped by ${signal}`));
      void fail(new ActionError('TIMEOUT', `The run was stopped by ${signal} before it finished; nothing was handed over.`));
    });
  }

  let timer: NodeJS.Timeout | undefined;
  try {
    // the configuration is read first so that onConfig's work overlaps reading the input; a configuration error is
    // reported after the input is read, as before (the log line then has the case id)
    let early: { config: Config } | { error: unknown };
    try {
      early = { config: loadConfig(process.env) };
    } catch (error) {
      early = { error }; // thrown below
    }
    if ('config' in early && options.onConfig) {
      try {
        options.onConfig(early.config);
      } catch (err) {
        log.debug('onConfig failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
    const raw = await readRawInput(parseArgs(process.argv.slice(2)), process.stdin);
    if (typeof raw['case_id'] === 'string') log.caseId = raw['case_id'];
    if ('error' in early) throw early.error;
    const { config } = early;
    if (config.credential.kind === 'certificate') redactor.add(config.credential.pem);
    log.level = config.logLevel;
    attachStrayOutput();
    for (const warning of config.warnings) log.warn(warning);

    const params = validateInput(spec, raw);
    const context = params as unknown as Required<Pick<ActionContextInput, 'case_id' | 'alert_group_identifiers' | 'target_entities' | 'scope'>> & ActionContextInput;
    const { entities, skipped, duplicates } = resolveEntities(context.target_entities, context.scope, definition.entityTypes);

    const { seconds, because } = runSeconds(spec.timeoutSeconds, config.actionTimeoutSeconds);
    const deadline = started + seconds * 1000;
    timer = setTimeout(() => {
      controller.abort(new ActionError('TIMEOUT', 'deadline reached'));
      void fail(new ActionError('TIMEOUT', `${spec.name} did not finish within its ${seconds} seconds${because ? ` (${because})` : ''}.`));
    }, Math.max(0, deadline - Date.now()));

    const ctx: ActionContext<Input> = {
      params,
      config,
      entities,
      log,
      caseId: context.case_id,
      alertGroupIdentifiers: context.alert_group_identifiers,
      state: spec.type === 'Daemon' ? context.state : undefined,
      deadline,
      signal: controller.signal,
      remainingMs: () => Math.max(0, deadline - Date.now()),
      addSecret: (secret) => redactor.add(secret),
      onExit: (fn) => void atExit.push(fn),
    };
    log.debug('Configuration', { ...describeConfig(config), code_cache: (globalThis as Record<symbol, unknown>)[LOADED_WITH] });
    log.info(`${spec.name} started`, { entities: entities.length, skipped_entities: skipped.length, duplicate_entities: duplicates || undefined });
    const outcome = await definition.run(ctx);
    const envelope = completion(definition as ActionDefinition<unknown, Result>, outcome, skipped);
    log.info(`${spec.name} completed`, { result_value: envelope.result_value, duration_ms: Date.now() - started });
    await finish(envelope, 0, outcome.afterOutput);
  } catch (err) {
    await fail(err);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
