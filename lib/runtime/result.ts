// The result object (CONTRACT.md section 4): completed from an action's outcome, or failed from an error.

import type { ActionDefinition, ActionOutcome } from './action';
import type { ActionResultEnvelope } from '../generated/contract.types';
import { ActionError, exitCodeFor, type ErrorCode } from './errors';
import { jsonPieces, PIECE_DEPTH } from './json';
import type { Redactor } from './redact';

/**
 * The text of the result as it is written, in pieces (json.ts): every string and member name without the package's
 * own secrets (Redactor.redactSecrets), and nothing else of its data changed; the message of a failed result
 * (error.message, and output_message, which repeats it) is also redacted by pattern (Redactor.redact), as a log line
 * is. Each of those works on a value before it is encoded: the structure cannot change.
 */
export function resultPieces(envelope: ActionResultEnvelope, redactor: Redactor): Generator<string, void, undefined> {
  const written = envelope.error
    ? { ...envelope, output_message: redactor.redact(envelope.output_message), error: { ...envelope.error, message: redactor.redact(envelope.error.message) } }
    : envelope;
  return jsonPieces(written, PIECE_DEPTH, (text) => redactor.redactSecrets(text));
}

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
