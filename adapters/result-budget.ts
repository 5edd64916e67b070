/**
 * The bound on a statement's in-memory result. Faces choose the limit (a server keeps
 * it small, the CLI generous); adapters and the engine count every row they hold
 * against it and stop reading the moment it is exceeded, so one huge SELECT fails with
 * one clear error instead of exhausting the process or coming back truncated.
 */
import type { Value } from '../src/data.js';
import { SqlmlError } from '../src/errors.js';
import { formatBytes } from '../src/format.js';

export interface ResultLimit {
  /** Most rows one statement's result may hold. */
  readonly rows: number;
  /** Most estimated bytes of memory its values may take (text dominates). */
  readonly bytes: number;
}

/** A server's default: one client's request must not take memory from everyone else's. */
export const SERVER_RESULT_LIMIT: ResultLimit = { rows: 1_000_000, bytes: 256 << 20 };
/**
 * The CLI's default: a person's own process, so generous, but still a clear error rather
 * than an out-of-memory crash (the whole result is formatted before it prints, --json too).
 */
export const CLI_RESULT_LIMIT: ResultLimit = { rows: 10_000_000, bytes: 1 << 30 };

/** JS's cost of a row array and of each slot in it, and of a string's header. */
const ROW_OVERHEAD = 32;
const VALUE_BYTES = 8;
const STRING_OVERHEAD = 16;

/** Counts rows and their estimated memory; `admit` throws once either passes the limit. */
export class ResultBudget {
  readonly #limit: ResultLimit | undefined;
  #rows = 0;
  #bytes = 0;

  constructor(limit: ResultLimit | undefined) {
    this.#limit = limit;
  }

  /** Counts one row about to be kept; throws `result_too_large` when it does not fit. */
  admit(row: readonly Value[]): void {
    const limit = this.#limit;
    if (limit === undefined) return;
    let bytes = ROW_OVERHEAD + VALUE_BYTES * row.length;
    for (let i = 0; i < row.length; i++) {
      const value = row[i];
      if (typeof value === 'string') bytes += STRING_OVERHEAD + value.length;
    }
    this.#rows += 1;
    this.#bytes += bytes;
    if (this.#rows > limit.rows || this.#bytes > limit.bytes) throw resultTooLarge(limit);
  }

  /** Starts over (a multi-statement string whose next result replaces the last). */
  reset(): void {
    this.#rows = 0;
    this.#bytes = 0;
  }
}

export function isResultTooLarge(error: unknown): boolean {
  return error instanceof SqlmlError && error.code === 'result_too_large';
}

export function resultTooLarge(limit: ResultLimit): SqlmlError {
  return new SqlmlError(
    'result_too_large',
    `the result is larger than the limit of ${limit.rows.toLocaleString('en-US')} rows / ${formatBytes(limit.bytes)}; add a LIMIT, or write it to a table with PREDICT … INTO / CREATE TABLE … AS`,
  );
}

/** Parses a size like `256MB`, `2GB`, `64kB` or a plain number of bytes; undefined when it is not one. */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = { b: 1, kb: 1 << 10, mb: 1 << 20, gb: 1 << 30 }[(match[2] ?? 'b').toLowerCase() as 'b'];
  const bytes = Math.floor(Number(match[1]) * unit);
  return bytes > 0 ? bytes : undefined;
}
