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

/** A failure with a contract error code and a message a person can act on (never a secret). */
export class ActionError extends Error {
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
