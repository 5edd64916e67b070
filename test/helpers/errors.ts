import { expect } from 'vitest';
import { SqlmlError } from '../../src/errors.js';

/** Runs `fn`, expects it to throw a SqlmlError, and returns it for assertions on code and message. */
export function errorOf(fn: () => unknown): SqlmlError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SqlmlError);
    return error as SqlmlError;
  }
  throw new Error('expected an error');
}

/** Awaits `promise`, expects it to reject with a SqlmlError, and returns it for assertions on code and message. */
export async function rejectionOf(promise: Promise<unknown>): Promise<SqlmlError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SqlmlError);
    return error as SqlmlError;
  }
  throw new Error('expected a rejection');
}
