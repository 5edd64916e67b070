/**
 * The errors every adapter raises the same way, whatever its driver: a statement the
 * database refused, a statement the caller cancelled, a stream asked for batches of no
 * rows or read twice. An adapter adds its own cases (a lost connection, a killed query) in front
 * of `asDatabaseError`.
 */
import { DatabaseError, SqlmlError, errorMessage } from '../src/errors.js';

/** A driver's error as sqlml reports it: a `SqlmlError` as it is, anything else as a `DatabaseError` with the driver's message, the driver's error as the cause. */
export function asDatabaseError(error: unknown): SqlmlError {
  return error instanceof SqlmlError ? error : new DatabaseError(errorMessage(error), error);
}

/** The error of a statement or stream stopped because its `signal` aborted. */
export function cancelled(): SqlmlError {
  return new SqlmlError('cancelled', 'the query was cancelled');
}

/** Refuses a `StreamOptions.batchRows` that is not a positive integer (a caller's bug, not the user's). */
export function checkBatchRows(batchRows: number): void {
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    throw new SqlmlError('internal', `batchRows must be a positive integer, got ${batchRows}`);
  }
}

/** The error of a second `RowStream.batches()` call (a caller's bug: a stream is read once). */
export function streamReadTwice(): SqlmlError {
  return new SqlmlError('internal', 'a row stream can be read only once');
}

/** Where the first NUL character of `text` is (an index), -1 for none. */
export function nulAt(text: string): number {
  return text.indexOf('\0');
}

/**
 * The error for SQL text holding a NUL character at `index`, which the database would read
 * only up to it or cannot carry at all (`why` says which): the statement is refused before
 * it is sent, never run cut short. The message names the character's place and what
 * precedes it, so the value or name holding it can be found.
 */
export function nulInStatement(text: string, index: number, why: string, cause?: unknown): SqlmlError {
  const before = text.slice(Math.max(0, index - 24), index).replace(/\s+/g, ' ');
  return new SqlmlError('unsupported', `the statement holds a NUL character (U+0000) at character ${index + 1}, after "${index > 24 ? '…' : ''}${before}": ${why}`, { cause });
}

/** Refuses `text` when it holds a NUL character (nulInStatement). */
export function refuseNul(text: string, why: string): void {
  const index = nulAt(text);
  if (index >= 0) throw nulInStatement(text, index, why);
}
