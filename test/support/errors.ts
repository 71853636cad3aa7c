import { expect } from 'chai';
import { ActionError, type ErrorCode } from '../../lib/runtime/errors';

/** Runs `fn`, expects it to throw (or reject with) an ActionError of `code`, and returns the error's message. */
export async function actionErrorOf(code: ErrorCode, fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ActionError);
    expect((err as ActionError).code).to.equal(code);
    return (err as Error).message;
  }
  throw new Error(`expected an ActionError ${code}`);
}

/** The synchronous form of actionErrorOf. */
export function syncActionErrorOf(code: ErrorCode, fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ActionError);
    expect((err as ActionError).code).to.equal(code);
    return (err as Error).message;
  }
  throw new Error(`expected an ActionError ${code}`);
}

/** The ActionError `fn` throws (anything else is rethrown; nothing thrown fails the test). */
export function thrownActionError(fn: () => unknown): ActionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ActionError) return err;
    throw err;
  }
  throw new Error('expected an ActionError; nothing was thrown');
}
