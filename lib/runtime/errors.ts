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

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ActionError';
  }
}

/** Exit code 2: bad input or configuration, found before anything was sent to Microsoft; 1: failed while running. */
export function exitCodeFor(code: ErrorCode): 1 | 2 {
  return code === 'INVALID_INPUT' || code === 'CONFIGURATION' ? 2 : 1;
}

export const invalidInput = (message: string): ActionError => new ActionError('INVALID_INPUT', message);
export const configurationError = (message: string): ActionError => new ActionError('CONFIGURATION', message);
