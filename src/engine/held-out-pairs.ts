/**
 * A regression evaluation's (actual, predicted) pairs, read again in their order after
 * the first pass (the squares around the mean, the residual histogram, the evenly spaced
 * sample), within a memory bound whatever the number of rows: up to `limit` pairs in
 * memory, and past it each full buffer appended to a file in the evaluation's cache
 * folder (16 bytes a row), read back a chunk at a time.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { CacheDir } from './cache-dir.js';

/** Pairs held in memory (16 bytes each) before they spill: 8 MB. */
export const HELD_OUT_PAIRS_IN_MEMORY = 1 << 19;
/** Pairs read back per system call (1 MB). */
const READ_PAIRS = 1 << 16;

let pairFiles = 0;

export class HeldOutPairs {
  readonly #limit: number;
  readonly #dir: CacheDir | null;
  /** actual, predicted, actual, predicted, …: the rows after those in the file. */
  #buffer: Float64Array;
  #held = 0;
  #file: { path: string; fd: number; rows: number } | null = null;
  #closed = false;

  /** `dir`: where the pairs spill past `limit` rows; null keeps them all in memory. `expectedRows` sizes the buffer (up to `limit`). */
  constructor(dir: CacheDir | null, expectedRows = 1024, limit = HELD_OUT_PAIRS_IN_MEMORY) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`held-out pairs need a whole positive row limit, not ${limit}`);
    this.#dir = dir;
    this.#limit = limit;
    this.#buffer = new Float64Array(2 * Math.max(1, dir === null ? expectedRows : Math.min(expectedRows, limit)));
  }

  /** Rows the buffer holds at most: what the memory bound is of. */
  get bufferRows(): number {
    return this.#buffer.length / 2;
  }

  get spilled(): boolean {
    return this.#file !== null;
  }

  add(actual: number, predicted: number): void {
    if (2 * this.#held === this.#buffer.length) this.#makeRoom();
    this.#buffer[2 * this.#held] = actual;
    this.#buffer[2 * this.#held + 1] = predicted;
    this.#held++;
  }

  /** Calls `visit` with every pair in the order added, and its row number. */
  forEach(visit: (actual: number, predicted: number, row: number) => void): void {
    let row = 0;
    const file = this.#file;
    if (file !== null) {
      const chunk = new Float64Array(2 * READ_PAIRS);
      const bytes = new Uint8Array(chunk.buffer);
      for (let from = 0; from < file.rows; from += READ_PAIRS) {
        const rows = Math.min(READ_PAIRS, file.rows - from);
        let done = 0;
        while (done < rows * 16) {
          const read = readSync(file.fd, bytes, done, rows * 16 - done, from * 16 + done);
          if (read === 0) throw new Error(`sqlml evaluation file ${file.path} ended at ${from * 16 + done} of ${file.rows * 16} bytes`);
          done += read;
        }
        for (let i = 0; i < rows; i++) visit(chunk[2 * i]!, chunk[2 * i + 1]!, row++);
      }
    }
    for (let i = 0; i < this.#held; i++) visit(this.#buffer[2 * i]!, this.#buffer[2 * i + 1]!, row++);
  }

  /** Closes and removes the spill file. */
  close(): void {
    if (this.#file === null || this.#closed) return;
    this.#closed = true;
    closeSync(this.#file.fd);
    rmSync(this.#file.path, { force: true });
  }

  #makeRoom(): void {
    const rows = this.#buffer.length / 2;
    if (this.#dir !== null && rows >= this.#limit) {
      this.#spill(this.#dir);
      return;
    }
    const grown = new Float64Array(2 * (this.#dir === null ? rows * 2 : Math.min(this.#limit, rows * 2)));
    grown.set(this.#buffer);
    this.#buffer = grown;
  }

  #spill(dir: CacheDir): void {
    if (this.#file === null) {
      const path = dir.file(`evaluation-${pairFiles++}-pairs.f64`);
      this.#file = { path, fd: openSync(path, 'w+'), rows: 0 };
    }
    const file = this.#file;
    const bytes = new Uint8Array(this.#buffer.buffer, 0, this.#held * 16);
    dir.budget.write(bytes.byteLength, () => writeSync(file.fd, bytes, 0, bytes.byteLength, file.rows * 16));
    file.rows += this.#held;
    this.#held = 0;
  }
}
