// The result object (CONTRACT.md section 4): completed from an action's outcome, or failed from an error.

import type { ActionDefinition, ActionOutcome } from './action';
import type { ActionResultEnvelope } from '../generated/contract.types';
import { ActionError, exitCodeFor, type ErrorCode } from './errors';

/** The failed result for an error; unexpected errors are INTERNAL, with their message (redacted on output). */
export function failure(actionName: string, err: unknown): { envelope: ActionResultEnvelope; exitCode: 1 | 2 } {
  const code: ErrorCode = err instanceof ActionError ? err.code : 'INTERNAL';
  const detail = err instanceof Error ? err.message : String(err);
  const message = err instanceof ActionError ? detail : `Unexpected error: ${detail || (err instanceof Error ? err.name : 'unknown')}`;
  return {
    envelope: {
      status: 'failed',
      result_value: false,
      output_message: `${actionName} failed: ${message}`,
      json_result: {},
      error: { code, message },
    },
    exitCode: exitCodeFor(code, err instanceof ActionError && err.afterRequest),
  };
}

/** The completed result for an outcome; entities passed over by scope resolution are reported as skipped. */
export function completion<R>(definition: ActionDefinition<unknown, R>, outcome: ActionOutcome<R>, skipped: ActionResultEnvelope['entities']): ActionResultEnvelope {
  const json = outcome.json_result as unknown;
  if (json === null || typeof json !== 'object') throw new ActionError('INTERNAL', `The action returned a json_result that is not an object or an array (${json === null ? 'null' : typeof json}).`);
  if (typeof outcome.result_value !== 'boolean' || typeof outcome.output_message !== 'string') throw new ActionError('INTERNAL', 'The action returned no result_value or output_message.');
  const envelope: ActionResultEnvelope = {
    status: 'completed',
    result_value: outcome.result_value,
    output_message: outcome.output_message,
    json_result: json as ActionResultEnvelope['json_result'],
  };
  const entities = [...(outcome.entities ?? []), ...(skipped ?? [])];
  if (definition.entityTypes || entities.length) envelope.entities = entities;
  if (outcome.tables?.length) envelope.tables = outcome.tables;
  if (definition.spec.type === 'Daemon') {
    if (!outcome.state) throw new ActionError('INTERNAL', 'The daemon returned no checkpoint (state).');
    envelope.state = outcome.state;
  }
  return envelope;
}
