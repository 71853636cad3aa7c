// The contract's error codes (CONTRACT.md section 4) and the one error type actions and lib/ throw.

export const ERROR_CODES = [
  'INVALID_INPUT',
  'CONFIGURATION',
  'AUTHENTICATION',
  'PERMISSION',
  'NOT_FOUND',
  'THROTTLED',
  'API_ERROR',
  'NETWORK',
  'TIMEOUT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Whether `value` carries `brand`: instanceof for classes that several bundles each carry a copy of. */
export function isBranded(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

const ACTION_ERROR = Symbol.for('m365d-soar.ActionError');

/**
 * A failure with a contract error code and a message a person can act on (never a secret).
 * `instanceof` goes by a registered symbol, not by the class object, so that it holds across bundles: an action
 * bundle and a shared bundle (dist/shared/) each carry their own copy of this class.
 */
export class ActionError extends Error {
  readonly [ACTION_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, ACTION_ERROR);
  }

  /** found after a request had gone to Microsoft (an input that only the incident as it is shows to be wrong): exit 1 */
  readonly afterRequest: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; afterRequest?: boolean },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ActionError';
    this.afterRequest = options?.afterRequest === true;
  }
}

/**
 * Exit code 2: bad input or configuration, found before anything was sent to Microsoft; 1: failed while running,
 * and an input found wrong only after a request was sent (`afterRequest`: the code still says what was wrong).
 */
export function exitCodeFor(code: ErrorCode, afterRequest = false): 1 | 2 {
  return !afterRequest && (code === 'INVALID_INPUT' || code === 'CONFIGURATION') ? 2 : 1;
}

/** INVALID_INPUT found only after a request went to Microsoft (exit 1, CONTRACT.md section 4). */
export const invalidInputAfterRequest = (message: string): ActionError => new ActionError('INVALID_INPUT', message, { afterRequest: true });

export const invalidInput = (message: string): ActionError => new ActionError('INVALID_INPUT', message);
export const configurationError = (message: string): ActionError => new ActionError('CONFIGURATION', message);
