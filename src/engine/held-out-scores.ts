/**
 * A binary evaluation's scores, kept for the exact AUC and the ROC curve within a memory
 * bound whatever the number of held-out rows.
 *
 * Up to `limit` rows the float32 scores stay in memory (positives from the front of one
 * buffer, negatives from its back) and are sorted there, as they always were. Past it
 * each full buffer goes to two files in the evaluation's cache folder (one per class, 4
 * bytes a row), and a count per bucket of the scores' top 16 bits (their order as
 * numbers: sign, exponent, 7 fraction bits) is kept. The first walk then cuts the buckets
 * into ranges: consecutive buckets holding at most `limit` rows together, or a single
 * bucket holding more than that (many equal scores). One pass over the files writes each
 * score into its range's place in a second pair of files (a counting sort by range: the
 * bucket counts give every range's offset), and the first pair is removed. Each walk then
 * reads each range once, from where it lies: a range is sorted in the buffer, an
 * oversized bucket counted per value of its low 16 bits, which with the top 16 is the
 * whole score. So a walk reads every score once whatever the number of ranges (reading
 * the whole files per range made the walks quadratic in the held-out rows). Either way
 * every distinct score comes out once, in ascending order, with how many positives and
 * negatives hold it: what the AUC and the ROC curve (learn/metrics.ts) are computed from,
 * the same numbers as from the rows in memory.
 *
 * Memory: the buffer (4 bytes × limit, also the pass's write buffers), the bucket counts
 * (1 MB), the range of each bucket (256 KB), a read buffer, and (once a bucket is too full
 * to sort) the low-bit counts (1 MB). Disk: 4 bytes a spilled row.
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

/** The fewest rows a range's write buffer holds while the spilled scores are ordered (1 KB). */
const MIN_WRITE_ROWS = 256;

/** Consecutive buckets [from, to) the walk takes at once, their rows per class, and where those lie in the ordered files. */
interface ScoreRange {
  readonly from: number;
  readonly to: number;
  readonly positives: number;
  readonly negatives: number;
  readonly positivesAt: number;
  readonly negativesAt: number;
}

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

  /** Writes `scores` at row `at` of a file sized beforehand (`rows` set to its length). */
  writeAt(scores: Float32Array, at: number): void {
    if (scores.length === 0) return;
    const bytes = new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength);
    this.#dir.budget.write(bytes.byteLength, () => writeSync(this.#fd, bytes, 0, bytes.byteLength, at * 4));
  }

  /** Reads `into.length` scores from row `at`. */
  readAt(into: Float32Array, at: number): void {
    const bytes = new Uint8Array(into.buffer, into.byteOffset, into.byteLength);
    let done = 0;
    while (done < bytes.byteLength) {
      const read = readSync(this.#fd, bytes, done, bytes.byteLength - done, at * 4 + done);
      if (read === 0) throw new Error(`sqlml evaluation file ${this.#path} ended at ${at * 4 + done} of ${this.rows * 4} bytes`);
      done += read;
    }
  }

  /** Calls `each` with the scores of rows [from, to) in order, a chunk at a time (the chunk is reused). */
  forEachChunk(chunk: Float32Array, each: (scores: Float32Array, bits: Uint32Array) => void, from = 0, to = this.rows): void {
    const bits = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length);
    for (let at = from; at < to; at += chunk.length) {
      const rows = Math.min(chunk.length, to - at);
      this.readAt(chunk.subarray(0, rows), at);
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
  /** The walk's ranges, once the spilled scores lie in their order (#order). */
  #ranges: ScoreRange[] | null = null;

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
  /** Scores read back from the spill files: the pass that orders them, then each walk's (about 3 × the spilled rows for the AUC and the ROC). */
  scoresRead = 0;

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
    const ranges = (this.#ranges ??= this.#order());
    for (const range of ranges) {
      if (range.positives + range.negatives > this.#limit) this.#countBucket(range, visit);
      else this.#sortRange(range, visit);
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

  /** A new pair of class files in the cache folder. */
  #newFiles(kind: string): { positives: ScoreFile; negatives: ScoreFile } {
    const id = spillFiles++;
    const dir = this.#dir!;
    const positives = new ScoreFile(dir, `evaluation-${id}-${kind}-positives.f32`);
    try {
      return { positives, negatives: new ScoreFile(dir, `evaluation-${id}-${kind}-negatives.f32`) };
    } catch (error) {
      positives.close();
      throw error;
    }
  }

  /** Writes the held scores to the class files and counts them into the buckets. */
  #spill(): void {
    if (this.#files === null) {
      this.#files = this.#newFiles('spilled');
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

  /**
   * Cuts the buckets into the walk's ranges, and writes every spilled score into its
   * range's place in a new pair of files (a counting sort by range), removing the first.
   */
  #order(): ScoreRange[] {
    this.#spill();
    const buckets = this.#buckets!;
    const ranges: ScoreRange[] = [];
    const rangeOf = new Uint32Array(BUCKETS);
    let positivesAt = 0;
    let negativesAt = 0;
    let bucket = 0;
    while (bucket < BUCKETS) {
      const rows = buckets[bucket]! + buckets[BUCKETS + bucket]!;
      if (rows === 0) {
        bucket++;
        continue;
      }
      // Consecutive buckets holding at most the limit together; a bucket over it alone.
      let end = bucket + 1;
      if (rows <= this.#limit) {
        let total = rows;
        while (end < BUCKETS) {
          const next = buckets[end]! + buckets[BUCKETS + end]!;
          if (total + next > this.#limit) break;
          total += next;
          end++;
        }
      }
      let positives = 0;
      let negatives = 0;
      for (let b = bucket; b < end; b++) {
        positives += buckets[b]!;
        negatives += buckets[BUCKETS + b]!;
        rangeOf[b] = ranges.length;
      }
      ranges.push({ from: bucket, to: end, positives, negatives, positivesAt, negativesAt });
      positivesAt += positives;
      negativesAt += negatives;
      bucket = end;
    }
    const files = this.#files!;
    const ordered = this.#newFiles('ordered');
    try {
      this.#scatter(files.positives, ordered.positives, ranges.map((r) => r.positivesAt), ranges.map((r) => r.positives), rangeOf);
      this.#scatter(files.negatives, ordered.negatives, ranges.map((r) => r.negativesAt), ranges.map((r) => r.negatives), rangeOf);
    } catch (error) {
      ordered.positives.close();
      ordered.negatives.close();
      throw error;
    }
    files.positives.close();
    files.negatives.close();
    this.#files = ordered;
    return ranges;
  }

  /**
   * Writes `source`'s scores to `target`, each at the next place of its range (range r's
   * rows start at `starts[r]`), through a write buffer per range carved out of the score
   * buffer, which holds nothing while the spilled scores are ordered.
   */
  #scatter(source: ScoreFile, target: ScoreFile, starts: readonly number[], counts: readonly number[], rangeOf: Uint32Array): void {
    const ranges = starts.length;
    const fromBuffer = Math.floor(this.#buffer.length / ranges);
    const size = Math.max(fromBuffer, MIN_WRITE_ROWS);
    const staging = fromBuffer >= MIN_WRITE_ROWS ? this.#buffer : new Float32Array(ranges * size);
    const staged = new Uint32Array(ranges);
    const next = Float64Array.from(starts);
    target.rows = source.rows;
    const chunk = (this.#chunk ??= new Float32Array(READ_ROWS));
    source.forEachChunk(chunk, (scores, bits) => {
      for (let i = 0; i < scores.length; i++) {
        const range = rangeOf[orderedKey(bits[i]!) >>> BUCKET_BITS]!;
        const slot = range * size;
        staging[slot + staged[range]!] = scores[i]!;
        if (++staged[range]! === size) {
          target.writeAt(staging.subarray(slot, slot + size), next[range]!);
          next[range]! += size;
          staged[range] = 0;
        }
      }
    });
    this.scoresRead += source.rows;
    for (let range = 0; range < ranges; range++) {
      const slot = range * size;
      target.writeAt(staging.subarray(slot, slot + staged[range]!), next[range]!);
      next[range]! += staged[range]!;
      if (next[range]! !== starts[range]! + counts[range]!) {
        throw new Error(`sqlml evaluation file gave ${next[range]! - starts[range]!} scores for a range of buckets holding ${counts[range]}`);
      }
    }
  }

  /** One range's scores, read from where they lie into the buffer, sorted, and their runs walked. */
  #sortRange(range: ScoreRange, visit: ScoreRunVisitor): void {
    const buffer = this.#buffer;
    const positives = buffer.subarray(0, range.positives);
    const negatives = buffer.subarray(buffer.length - range.negatives);
    this.#files!.positives.readAt(positives, range.positivesAt);
    this.#files!.negatives.readAt(negatives, range.negativesAt);
    this.scoresRead += range.positives + range.negatives;
    this.rangesRead++;
    this.largestSort = Math.max(this.largestSort, range.positives + range.negatives);
    forEachScoreRun(positives.sort(), negatives.sort(), visit);
  }

  /** One bucket, too full to sort in the buffer: its rows counted per score (its low 16 bits), walked in order. */
  #countBucket(range: ScoreRange, visit: ScoreRunVisitor): void {
    const counts = (this.#lowCounts ??= new Float64Array(2 * BUCKETS));
    counts.fill(0);
    const chunk = (this.#chunk ??= new Float32Array(READ_ROWS));
    this.#files!.positives.forEachChunk(chunk, (_scores, bits) => {
      for (let i = 0; i < bits.length; i++) counts[orderedKey(bits[i]!) & LOW_MASK]!++;
    }, range.positivesAt, range.positivesAt + range.positives);
    this.#files!.negatives.forEachChunk(chunk, (_scores, bits) => {
      for (let i = 0; i < bits.length; i++) counts[BUCKETS + (orderedKey(bits[i]!) & LOW_MASK)]!++;
    }, range.negativesAt, range.negativesAt + range.negatives);
    this.scoresRead += range.positives + range.negatives;
    this.rangesRead++;
    const high = (range.from << BUCKET_BITS) >>> 0;
    for (let low = 0; low < BUCKETS; low++) {
      const positives = counts[low]!;
      const negatives = counts[BUCKETS + low]!;
      if (positives + negatives > 0) visit(scoreOfKey((high | low) >>> 0), positives, negatives);
    }
  }
}
