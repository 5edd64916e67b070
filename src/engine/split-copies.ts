/**
 * The split's copy counts over a long stream, in memory that does not grow with it.
 *
 * The split gives the k-th copy (in stream order) of a row content the role
 * `roleOf(contentHash, spec, k)` (src/learn/split.ts); counting copies exactly as the rows
 * come takes 16-32 bytes per distinct row, and a filter of the contents seen (the way
 * before this) still 1.25 bytes a row, plus a role byte a row kept for the encoding.
 * Here, during the read, every row gets its first copy's role (k = 0), written to the
 * training's cache folder with the others (`RoleFile`, a byte a row on disk), and its
 * 64-bit content key and row number go to one of P partitions on disk (256 to 1024, by
 * the row estimate), chosen by the key, so that all copies of a content meet in one partition, in stream order. After the
 * read, each partition in turn is counted exactly (one OccurrenceCounter of at most about
 * ROWS_PER_PARTITION contents), and the rows whose copy number changes their role are
 * patched into the role file. The roles are the exact count's; memory is the partitions'
 * write buffers and one partition's counts, whatever the rows.
 */
import { OccurrenceCounter } from '../learn/occurrences.js';
import { roleOf, RowRole, type SplitSpec } from '../learn/split.js';
import type { CacheBudget } from './cache-dir.js';
import { BlockFile } from './cache.js';

/** Rows a partition is sized for (its counts then take about 4-8 MB). */
export const ROWS_PER_PARTITION = 1 << 18;
/**
 * Least partitions, whatever the estimate (their write buffers take 3 MB): a training
 * often has no row estimate (one is asked for only to show progress), and with one
 * partition the counts of 10M distinct rows took 190 MB more at the end of the read.
 * With 256, a partition holds about ROWS_PER_PARTITION rows up to 67M rows.
 */
export const MIN_PARTITIONS = 256;
/** Most partitions (their write buffers then take 12 MB); past 2^28 rows a partition holds more than ROWS_PER_PARTITION. */
const MAX_PARTITIONS = 1024;

/** How SplitCopies sizes its partitions (tests make them small). */
export interface PartitionSizing {
  readonly rowsPerPartition: number;
  readonly minPartitions: number;
}
/** Entries a partition buffers before it writes them out: (lo, hi, row), three int32 each. */
const BUFFER_ENTRIES = 1024;
/** Rows a stream may have: a row number is stored in 32 bits. */
const MAX_ROWS = 2 ** 32;

/** The roles of a stream's batches, a byte a row, in a file (one block per batch). */
export class RoleFile {
  readonly #file: BlockFile;
  #scratch = new Uint8Array(0);

  constructor(path: string, budget: CacheBudget | null = null) {
    this.#file = new BlockFile(path, 'write', budget);
  }

  get batchCount(): number {
    return this.#file.blockCount;
  }

  append(roles: Uint8Array, rowCount: number): void {
    this.#file.append([roles.subarray(0, rowCount)]);
  }

  /** Batch `batch`'s roles, in an array the next call reuses. */
  batch(batch: number): Uint8Array {
    const buffer = this.#file.read(batch, true);
    if (this.#scratch.length < buffer.length) this.#scratch = new Uint8Array(Math.max(buffer.length, 2 * this.#scratch.length));
    const roles = this.#scratch.subarray(0, buffer.length);
    roles.set(buffer);
    return roles;
  }

  /** Writes batch `batch`'s roles back, changed in place (same length). */
  rewrite(batch: number, roles: Uint8Array): void {
    this.#file.rewrite(batch, roles);
  }

  close(): void {
    this.#file.close();
  }
}

/** Counts the copies of a stream's row contents by partitions on disk (see the header). */
export class SplitCopies {
  readonly #spec: SplitSpec;
  readonly #file: BlockFile;
  readonly #partitions: number;
  readonly #buffers: Int32Array[];
  readonly #fill: Int32Array;
  /** Per partition, its blocks in the file, in stream order. */
  readonly #blocks: number[][];
  /** The stream's row number of the next batch's first row. */
  #row = 0;

  /** `expectedRows`: the rows the stream is expected to have (0: unknown), which sets the partitions. */
  constructor(
    path: string,
    spec: SplitSpec,
    expectedRows: number,
    budget: CacheBudget | null = null,
    sizing: PartitionSizing = { rowsPerPartition: ROWS_PER_PARTITION, minPartitions: MIN_PARTITIONS },
  ) {
    this.#spec = spec;
    this.#file = new BlockFile(path, 'write', budget);
    const wanted = Math.max(sizing.minPartitions, Math.ceil(expectedRows / sizing.rowsPerPartition), 1);
    this.#partitions = Math.min(MAX_PARTITIONS, 2 ** Math.ceil(Math.log2(wanted)));
    this.#buffers = Array.from({ length: this.#partitions }, () => new Int32Array(3 * BUFFER_ENTRIES));
    this.#fill = new Int32Array(this.#partitions);
    this.#blocks = Array.from({ length: this.#partitions }, () => []);
  }

  get partitions(): number {
    return this.#partitions;
  }

  /**
   * The stream's next batch: its content hashes (`contentHashes`: lo, hi a row) and the
   * roles it was given (Skip rows are not counted, as the split does not count them).
   */
  add(hashes: Int32Array, roles: Uint8Array, rowCount: number): void {
    if (this.#row + rowCount > MAX_ROWS) throw new Error(`the split counts copies of at most ${MAX_ROWS} rows`);
    const scale = this.#partitions / 4294967296;
    const first = this.#row;
    for (let row = 0; row < rowCount; row++) {
      if (roles[row] === RowRole.Skip) continue;
      const hi = hashes[2 * row + 1]!;
      // By the key's second half: the first picks the counter's slots, so it stays well spread within a partition.
      const p = Math.floor((hi >>> 0) * scale);
      const buffer = this.#buffers[p]!;
      const at = 3 * this.#fill[p]!;
      buffer[at] = hashes[2 * row]!;
      buffer[at + 1] = hi;
      buffer[at + 2] = first + row;
      if (++this.#fill[p]! === BUFFER_ENTRIES) this.#flush(p);
    }
    this.#row += rowCount;
  }

  /**
   * After the read: counts each partition's copies and patches the roles that change
   * (those of copies past the first whose copy number gives another role) into `roles`,
   * whose batches hold `batchRows` rows each (the last may hold fewer), moving their
   * counts in `counts` (indexed by RowRole) from the first copy's role to the new one.
   * Returns how many rows changed role.
   */
  resolve(roles: RoleFile, batchRows: readonly number[], counts: Float64Array): number {
    for (let p = 0; p < this.#partitions; p++) this.#flush(p);
    const spec = this.#spec;
    // Changed rows as row · 4 + role: exact in a double for fewer than 2^51 rows, and sorted by row.
    let changed = new Float64Array(1024);
    let count = 0;
    // One counter for every partition, cleared between them, sized for the largest (4/3
    // of its entries: it need not grow); one per partition took a new table (and a
    // resizable buffer's reservation) 256 times or more, and grew most of them once.
    let largest = 0;
    for (const blocks of this.#blocks) largest = Math.max(largest, blocks.length);
    const copies = new OccurrenceCounter(Math.min(ROWS_PER_PARTITION, Math.ceil((largest * BUFFER_ENTRIES * 4) / 3)));
    for (let p = 0; p < this.#partitions; p++) {
      const blocks = this.#blocks[p]!;
      if (blocks.length === 0) continue;
      copies.clear();
      for (const block of blocks) {
        const buffer = this.#file.read(block, true);
        const entries = new Int32Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 2);
        for (let at = 0; at < entries.length; at += 3) {
          const lo = entries[at]!;
          const k = copies.next(lo, entries[at + 1]!);
          if (k === 0) continue;
          const role = roleOf(lo >>> 0, spec, k);
          if (role === roleOf(lo >>> 0, spec, 0)) continue;
          if (count === changed.length) {
            const grown = new Float64Array(2 * count);
            grown.set(changed);
            changed = grown;
          }
          changed[count++] = (entries[at + 2]! >>> 0) * 4 + role;
        }
      }
    }
    copies.release();
    changed = changed.subarray(0, count).sort();
    // Patched batch by batch, each read and written once.
    let i = 0;
    let batchStart = 0;
    for (let batch = 0; batch < batchRows.length && i < count; batch++) {
      const end = batchStart + batchRows[batch]!;
      if (changed[i]! < end * 4) {
        const batchRoles = roles.batch(batch);
        for (; i < count && changed[i]! < end * 4; i++) {
          const key = changed[i]!;
          const row = Math.floor(key / 4) - batchStart;
          const role = key - 4 * Math.floor(key / 4);
          counts[batchRoles[row]!]! -= 1;
          counts[role]! += 1;
          batchRoles[row] = role;
        }
        roles.rewrite(batch, batchRoles);
      }
      batchStart = end;
    }
    return count;
  }

  close(): void {
    this.#file.close();
  }

  #flush(p: number): void {
    const fill = this.#fill[p]!;
    if (fill === 0) return;
    this.#blocks[p]!.push(this.#file.blockCount);
    this.#file.append([this.#buffers[p]!.subarray(0, 3 * fill)]);
    this.#fill[p] = 0;
  }
}
