/**
 * A binary evaluation's scores, kept for the exact AUC and the ROC curve within a memory
 * bound whatever the number of held-out rows.
 *
 * Up to `limit` rows the float32 scores stay in memory (positives from the front of one
 * buffer, negatives from its back) and are sorted there, as they always were. Past it
 * each full buffer goes to two files in the evaluation's cache folder (one per class, 4
 * bytes a row), and a count per bucket of the scores' top 16 bits (their order as
 * numbers: sign, exponent, 7 fraction bits) is kept. The walk then takes consecutive
 * buckets holding at most `limit` rows together, reads the files once per such range,
 * keeps the range's scores in the same buffer and sorts them; a single bucket holding more
 * rows than that (many equal scores) is counted per value of its low 16 bits instead, which
 * with the top 16 is the whole score. Either way every distinct score comes out once, in
 * ascending order, with how many positives and negatives hold it: what the AUC and the ROC
 * curve (learn/metrics.ts) are computed from, the same numbers as from the rows in memory.
 *
 * Memory: the buffer (4 bytes × limit), the bucket counts (1 MB), a read buffer, and
 * (once a bucket is too full to sort) the low-bit counts (1 MB).
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { forEachScoreRun } from '../learn/metrics.js';
import type { CacheDir } from './cache-dir.js';

/** Scores held in memory (4 bytes each) before they spill, and the most one range of the walk holds: 4 MB. */
export const HELD_OUT_SCORES_IN_MEMORY = 1 << 20;

const BUCKET_BITS = 16;
const BUCKETS = 1 << BUCKET_BITS;
const LOW_MASK = BUCKETS - 1;
/** Scores read from a spill file per system call (256 KB). */
const READ_ROWS = 1 << 16;

/** Visits one distinct score: its value, and how many positive and negative rows hold it. */
export type ScoreRunVisitor = (score: number, positives: number, negatives: number) => void;

/** The position of a float32's bits in the numbers' order, as an unsigned 32-bit key (NaN excluded, −0 taken as +0 before). */
function orderedKey(bits: number): number {
  return (bits & 0x80000000) !== 0 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

const keyBits = new Uint32Array(1);
const keyValue = new Float32Array(keyBits.buffer);

/** The float32 whose ordered key is `key`. */
function scoreOfKey(key: number): number {
  keyBits[0] = (key & 0x80000000) !== 0 ? key & 0x7fffffff : ~key;
  return keyValue[0]!;
}

/** An append-only file of float32 scores in the cache folder, within its disk budget. */
class ScoreFile {
  readonly #path: string;
  readonly #fd: number;
  readonly #dir: CacheDir;
  /** Scores written. */
  rows = 0;

  constructor(dir: CacheDir, name: string) {
    this.#dir = dir;
    this.#path = dir.file(name);
    this.#fd = openSync(this.#path, 'w+');
  }

  append(scores: Float32Array): void {
    if (scores.length === 0) return;
    const bytes = new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength);
    this.#dir.budget.write(bytes.byteLength, () => writeSync(this.#fd, bytes, 0, bytes.byteLength, this.rows * 4));
    this.rows += scores.length;
  }

  /** Calls `each` with the file's scores in order, a chunk at a time (the chunk is reused). */
  forEachChunk(chunk: Float32Array, each: (scores: Float32Array, bits: Uint32Array) => void): void {
    const bits = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length);
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let from = 0; from < this.rows; from += chunk.length) {
      const rows = Math.min(chunk.length, this.rows - from);
      let done = 0;
      while (done < rows * 4) {
        const read = readSync(this.#fd, bytes, done, rows * 4 - done, from * 4 + done);
        if (read === 0) throw new Error(`sqlml evaluation file ${this.#path} ended at ${from * 4 + done} of ${this.rows * 4} bytes`);
        done += read;
      }
      each(chunk.subarray(0, rows), bits.subarray(0, rows));
    }
  }

  close(): void {
    closeSync(this.#fd);
    rmSync(this.#path, { force: true });
  }
}

let spillFiles = 0;

export class HeldOutScores {
  readonly #limit: number;
  readonly #dir: CacheDir | null;
  /** Positives in [0, #positives), negatives in [length − #negatives, length). */
  #buffer: Float32Array;
  #positives = 0;
  #negatives = 0;
  #sorted = false;
  #closed = false;
  #files: { positives: ScoreFile; negatives: ScoreFile } | null = null;
  /** Spilled rows per bucket of the ordered key's top bits: positives at [bucket], negatives at [BUCKETS + bucket]. */
  #buckets: Float64Array | null = null;
  #chunk: Float32Array | null = null;
  #lowCounts: Float64Array | null = null;

  /**
   * `dir`: where the scores spill past `limit` rows; null keeps them all in memory.
   * `expectedRows`, when known, sizes the buffer (up to `limit`).
   */
  constructor(dir: CacheDir | null, expectedRows = 1024, limit = HELD_OUT_SCORES_IN_MEMORY) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`held-out scores need a whole positive row limit, not ${limit}`);
    this.#dir = dir;
    this.#limit = limit;
    this.#buffer = new Float32Array(Math.max(1, Math.min(expectedRows, dir === null ? expectedRows : limit)));
  }

  /** Rows added. */
  get rows(): number {
    return this.#positives + this.#negatives + (this.#files === null ? 0 : this.#files.positives.rows + this.#files.negatives.rows);
  }

  /** Scores the buffer holds at most: what the memory bound is of. */
  get bufferRows(): number {
    return this.#buffer.length;
  }

  /** Reads of the spill files so far (one per range of buckets the walks took), and the most scores sorted at once. */
  rangesRead = 0;
  largestSort = 0;

  /** Whether any score went to disk. */
  get spilled(): boolean {
    return this.#files !== null;
  }

  /** One row's score (a float32, not NaN) and class. */
  add(positive: boolean, score: number): void {
    if (this.#positives + this.#negatives === this.#buffer.length) this.#makeRoom();
    // −0 and +0 are one score: one key.
    if (positive) this.#buffer[this.#positives++] = score + 0;
    else this.#buffer[this.#buffer.length - ++this.#negatives] = score + 0;
  }

  /**
   * Calls `visit` once per distinct score, lowest first, with how many positives and
   * negatives hold it. May be called again (the AUC, then the ROC curve, which needs the
   * number of distinct scores first); add nothing after the first call.
   */
  forEachRun(visit: ScoreRunVisitor): void {
    if (this.#files === null) {
      const { positives, negatives } = this.#held();
      if (!this.#sorted) {
        positives.sort();
        negatives.sort();
        this.#sorted = true;
      }
      forEachScoreRun(positives, negatives, visit);
      return;
    }
    this.#spill();
    const buckets = this.#buckets!;
    let bucket = 0;
    while (bucket < BUCKETS) {
      const rows = buckets[bucket]! + buckets[BUCKETS + bucket]!;
      if (rows === 0) {
        bucket++;
      } else if (rows > this.#limit) {
        this.#countBucket(bucket, visit);
        bucket++;
      } else {
        let end = bucket + 1;
        let total = rows;
        while (end < BUCKETS) {
          const next = buckets[end]! + buckets[BUCKETS + end]!;
          if (total + next > this.#limit) break;
          total += next;
          end++;
        }
        this.#sortRange(bucket, end, visit);
        bucket = end;
      }
    }
  }

  /** Closes and removes the spill files (the memory goes with the object). */
  close(): void {
    if (this.#files === null || this.#closed) return;
    this.#closed = true;
    this.#files.positives.close();
    this.#files.negatives.close();
  }

  #held(): { positives: Float32Array; negatives: Float32Array } {
    return {
      positives: this.#buffer.subarray(0, this.#positives),
      negatives: this.#buffer.subarray(this.#buffer.length - this.#negatives),
    };
  }

  #makeRoom(): void {
    const length = this.#buffer.length;
    if (this.#dir !== null && length >= this.#limit) {
      this.#spill();
      return;
    }
    const grown = new Float32Array(this.#dir === null ? length * 2 : Math.min(this.#limit, length * 2));
    const { positives, negatives } = this.#held();
    grown.set(positives);
    grown.set(negatives, grown.length - negatives.length);
    this.#buffer = grown;
  }

  /** Writes the held scores to the class files and counts them into the buckets. */
  #spill(): void {
    if (this.#files === null) {
      const id = spillFiles++;
      const dir = this.#dir!;
      const positives = new ScoreFile(dir, `evaluation-${id}-positives.f32`);
      let negatives: ScoreFile;
      try {
        negatives = new ScoreFile(dir, `evaluation-${id}-negatives.f32`);
      } catch (error) {
        positives.close();
        throw error;
      }
      this.#files = { positives, negatives };
      this.#buckets = new Float64Array(2 * BUCKETS);
    }
    const { positives, negatives } = this.#held();
    this.#files.positives.append(positives);
    this.#files.negatives.append(negatives);
    const buckets = this.#buckets!;
    const bits = new Uint32Array(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.length);
    for (let i = 0; i < this.#positives; i++) buckets[orderedKey(bits[i]!) >>> BUCKET_BITS]!++;
    for (let i = this.#buffer.length - this.#negatives; i < this.#buffer.length; i++) buckets[BUCKETS + (orderedKey(bits[i]!) >>> BUCKET_BITS)]!++;
    this.#positives = 0;
    this.#negatives = 0;
  }

  /** Reads each class's scores whose bucket is in [from, to) into the buffer, sorts them and walks their runs. */
  #sortRange(from: number, to: number, visit: ScoreRunVisitor): void {
    const buckets = this.#buckets!;
    let positiveCount = 0;
    let negativeCount = 0;
    for (let b = from; b < to; b++) {
      positiveCount += buckets[b]!;
      negativeCount += buckets[BUCKETS + b]!;
    }
    const buffer = this.#buffer;
    let p = 0;
    let n = buffer.length - negativeCount;
    const chunk = (this.#chunk ??= new Float32Array(READ_ROWS));
    this.#files!.positives.forEachChunk(chunk, (scores, bits) => {
      for (let i = 0; i < scores.length; i++) {
        const bucket = orderedKey(bits[i]!) >>> BUCKET_BITS;
        if (bucket >= from && bucket < to) buffer[p++] = scores[i]!;
      }
    });
    this.#files!.negatives.forEachChunk(chunk, (scores, bits) => {
      for (let i = 0; i < scores.length; i++) {
        const bucket = orderedKey(bits[i]!) >>> BUCKET_BITS;
        if (bucket >= from && bucket < to) buffer[n++] = scores[i]!;
      }
    });
    if (p !== positiveCount || n !== buffer.length) {
      throw new Error(`sqlml evaluation files gave ${p} and ${n - (buffer.length - negativeCount)} scores for buckets holding ${positiveCount} and ${negativeCount}`);
    }
    this.rangesRead++;
    this.largestSort = Math.max(this.largestSort, positiveCount + negativeCount);
    const positives = buffer.subarray(0, positiveCount).sort();
    const negatives = buffer.subarray(buffer.length - negativeCount).sort();
    forEachScoreRun(positives, negatives, visit);
  }

  /** One bucket, too full to sort in the buffer: its rows counted per score (its low 16 bits), walked in order. */
  #countBucket(bucket: number, visit: ScoreRunVisitor): void {
    const counts = (this.#lowCounts ??= new Float64Array(2 * BUCKETS));
    counts.fill(0);
    const chunk = (this.#chunk ??= new Float32Array(READ_ROWS));
    this.#files!.positives.forEachChunk(chunk, (_scores, bits) => {
      for (let i = 0; i < bits.length; i++) {
        const key = orderedKey(bits[i]!);
        if (key >>> BUCKET_BITS === bucket) counts[key & LOW_MASK]!++;
      }
    });
    this.#files!.negatives.forEachChunk(chunk, (_scores, bits) => {
      for (let i = 0; i < bits.length; i++) {
        const key = orderedKey(bits[i]!);
        if (key >>> BUCKET_BITS === bucket) counts[BUCKETS + (key & LOW_MASK)]!++;
      }
    });
    this.rangesRead++;
    const high = (bucket << BUCKET_BITS) >>> 0;
    for (let low = 0; low < BUCKETS; low++) {
      const positives = counts[low]!;
      const negatives = counts[BUCKETS + low]!;
      if (positives + negatives > 0) visit(scoreOfKey((high | low) >>> 0), positives, negatives);
    }
  }
}
