// What an action module declares, and the context its one function receives (DESIGN.md: "An action reads like a
// declaration").

import type { ActionSpec } from '../generated/spec';
import type { EntityOutcome, ResultTable } from '../generated/contract.types';
import type { Config } from './config';
import type { Entity, EntityType } from './entities';
import type { Logger } from './log';

export interface ActionContext<Input> {
  /** the typed, validated parameters (defaults filled) */
  params: Input;
  config: Config;
  /** the target entities in scope that the action supports, de-duplicated */
  entities: readonly Entity[];
  log: Logger;
  caseId: string;
  alertGroupIdentifiers: readonly string[];
  /** daemons: the checkpoint the engine handed back (undefined on the first run) */
  state: Record<string, unknown> | undefined;
  /** epoch milliseconds by which the run must have finished */
  deadline: number;
  /** aborted at the deadline or when the process is told to stop */
  signal: AbortSignal;
  /** milliseconds left before the deadline (never negative) */
  remainingMs(): number;
  /** registers a value that must never be printed (e.g. an access token) */
  addSecret(secret: string): void;
  /** runs `fn` just before the process exits, whatever the outcome (e.g. to release a lock); never throws out */
  onExit(fn: () => void): void;
}

/** What the action's function returns: the contract's result keys (status is the runtime's). */
export interface ActionOutcome<Result> {
  result_value: boolean;
  output_message: string;
  json_result: Result;
  entities?: EntityOutcome[];
  tables?: ResultTable[];
  /** daemons only */
  state?: Record<string, unknown>;
  /**
   * Runs once the completed result has been written to stdout, before the process exits 0 (a daemon's fallback
   * checkpoint is put in place here). Should it throw, the run exits 1 and the error is logged: an engine takes
   * nothing from a process that did not exit 0, so nothing is handed over twice.
   */
  afterOutput?: () => void;
}

export interface ActionDefinition<Input, Result> {
  /** id, name, type, deadline, input schema and validator: generated from the manifest and schemas */
  spec: ActionSpec<Input>;
  /** the entity types the action works on; omit for actions that do not work on entities */
  entityTypes?: readonly EntityType[];
  run(ctx: ActionContext<Input>): Promise<ActionOutcome<Result>>;
}

/** Declares an action; the identity function, there for the types. */
export function defineAction<Input, Result>(definition: ActionDefinition<Input, Result>): ActionDefinition<Input, Result> {
  return definition;
}
