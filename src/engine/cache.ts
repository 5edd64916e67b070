/**
 * Local spill files that let a training read the database exactly once.
 *
 * Pass 0 streams the source into a `RowCache` (raw columnar batches) while profiling it; once the recipe is known, the rows are encoded once
 * into `ExampleCache`s (CSR blocks of features), and every training pass reads those.
 * Both live in a private temporary folder and are deleted with it (cache-dir.ts: where,
 * how much, and whose); memory holds only the block index (one entry per few thousand
 * rows), never the rows.
 */
import { closeSync, openSync, readSync, writeSync, writevSync } from 'node:fs';
import type { Column, ColumnData, RowBatch, TextColumnData } from '../data.js';
import { isNumberType, mayCarryExact } from '../data.js';
import { CodeTable } from '../learn/code-table.js';
import type { ExampleBlock } from '../learn/types.js';
import type { CacheBudget } from './cache-dir.js';

export { CacheDir } from './cache-dir.js';

/** Where one block of a BlockFile lies. */
export interface BlockEntry {
  readonly offset: number;
  readonly length: number;
}

/** Append-only file of length-known blocks, read back by block (and rewritten in place, same length). */
export class BlockFile {
  readonly #fd: number;
  readonly #budget: CacheBudget | null;
  #scratch: Buffer | null = null;
  readonly #offsets: number[];
  readonly #lengths: number[];
  #size = 0;
  /** Creates the file, or opens one another thread writes, for reading the blocks it reports (`addEntry`). */
  constructor(path: string, mode: 'write' | 'read' = 'write', budget: CacheBudget | null = null) {
    this.#fd = openSync(path, mode === 'read' ? 'r' : 'w+');
    this.#budget = budget;
    this.#offsets = [];
    this.#lengths = [];
  }
  get blockCount(): number {
    return this.#offsets.length;
  }
  entry(block: number): BlockEntry {
    return { offset: this.#offsets[block]!, length: this.#lengths[block]! };
  }
  addEntry(entry: BlockEntry): void {
    this.#offsets.push(entry.offset);
    this.#lengths.push(entry.length);
  }
  append(parts: readonly ArrayBufferView[]): void {
    let length = 0;
    for (const part of parts) length += part.byteLength;
    // One system call per block (libuv itself resumes short writes, so a short one means a full device).
    const write = (): number => writevSync(this.#fd, parts as NodeJS.ArrayBufferView[], this.#size);
    if (this.#budget !== null) this.#budget.write(length, write);
    else {
      const written = write();
      if (written !== length) throw new Error(`sqlml cache file took ${written} of a ${length}-byte block`);
    }
    this.#offsets.push(this.#size);
    this.#lengths.push(length);
    this.#size += length;
  }
  /** Writes block `block` over with `data`, of its length. */
  rewrite(block: number, data: Uint8Array): void {
    const length = this.#lengths[block]!;
    if (data.byteLength !== length) throw new Error(`sqlml cache block ${block} is ${length} bytes, not ${data.byteLength}`);
    let done = 0;
    while (done < length) done += writeSync(this.#fd, data, done, length - done, this.#offsets[block]! + done);
  }
  /**
   * Reads block `block` into a new buffer, or with `reuse` into this file's one scratch
   * buffer, valid until the next such read: the hot loops read every block once and
   * drop it, and fresh half-megabyte buffers are garbage the young generation does not
   * see, which piled up as tens of megabytes of RSS before a full collection took them.
   */
  read(block: number, reuse = false): Buffer {
    const length = this.#lengths[block]!;
    // Unpooled, so it starts its own ArrayBuffer and typed-array views over it are aligned;
    // not zero-filled, since every byte is read over.
    let buffer: Buffer;
    if (reuse) {
      if (this.#scratch === null || this.#scratch.length < length) this.#scratch = Buffer.allocUnsafeSlow(Math.max(length, (this.#scratch?.length ?? 0) * 2));
      buffer = this.#scratch.subarray(0, length);
    } else {
      buffer = Buffer.allocUnsafeSlow(length);
    }
    let done = 0;
    while (done < length) {
      const n = readSync(this.#fd, buffer, done, length - done, this.#offsets[block]! + done);
      if (n === 0) throw new Error('sqlml cache file is shorter than its index');
      done += n;
    }
    return buffer;
  }
  close(): void {
    closeSync(this.#fd);
  }
}

/**
 * The split's content hashes of every batch of the read (two int32 a row), on disk: the
 * split resolves the copies it deferred from them once the read has ended
 * (RowSplitter.resolve), so they need not stay in memory (8 bytes a row).
 */
export class SplitHashFile {
  readonly #file: BlockFile;
  #scratch = new Int32Array(0);

  constructor(path: string, budget: CacheBudget | null = null) {
    this.#file = new BlockFile(path, 'write', budget);
  }

  get batchCount(): number {
    return this.#file.blockCount;
  }

  append(hashes: Int32Array, rowCount: number): void {
    this.#file.append([hashes.subarray(0, 2 * rowCount)]);
  }

  /** Batch `batch`'s hashes, in an array reused by the next call. */
  batch(batch: number): Int32Array {
    const buffer = this.#file.read(batch, true);
    const n = buffer.byteLength >>> 2;
    if (this.#scratch.length < n) this.#scratch = new Int32Array(Math.max(n, 2 * this.#scratch.length));
    // Copied out: the reused read buffer need not be 4-byte aligned.
    const into = this.#scratch.subarray(0, n);
    new Uint8Array(into.buffer, 0, buffer.byteLength).set(buffer);
    return into;
  }

  close(): void {
    this.#file.close();
  }
}

/** Reads typed arrays out of a block buffer, 8-byte aligned. */
class Cursor {
  #at = 0;
  constructor(readonly buffer: Buffer) {}
  #take(bytes: number): number {
    const at = this.#at;
    this.#at += (bytes + 7) & ~7;
    return at;
  }
  f64(n: number): Float64Array {
    return new Float64Array(this.buffer.buffer, this.buffer.byteOffset + this.#take(n * 8), n);
  }
  f32(n: number): Float32Array {
    return new Float32Array(this.buffer.buffer, this.buffer.byteOffset + this.#take(n * 4), n);
  }
  u32(n: number): Uint32Array {
    return new Uint32Array(this.buffer.buffer, this.buffer.byteOffset + this.#take(n * 4), n);
  }
  i32(n: number): Int32Array {
    return new Int32Array(this.buffer.buffer, this.buffer.byteOffset + this.#take(n * 4), n);
  }
  u8(n: number): Uint8Array {
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset + this.#take(n), n);
  }
  text(start: number, end: number): string {
    return this.buffer.toString('utf8', start, end);
  }
  skip(bytes: number): number {
    return this.#take(bytes);
  }
}

const PAD = new Uint8Array(8);

function padded(view: ArrayBufferView): ArrayBufferView[] {
  const rest = view.byteLength & 7;
  return rest === 0 ? [view] : [view, PAD.subarray(0, 8 - rest)];
}

/** `String.prototype.isWellFormed` / `toWellFormed` (ES2024, in Node 20), which lib ES2023 does not declare. */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * The values of a text column's first `n` rows back to back (NULL as nothing), with lone
 * surrogates replaced by U+FFFD as UTF-8 encoding each value on its own would do: in
 * the joined text, a lone surrogate ending one value and one starting the next would
 * otherwise pair up and survive the round trip.
 */
function joinedText(values: readonly (string | null | undefined)[], n: number): string {
  const joined = (values.length === n ? values : values.slice(0, n)).join('');
  if ((joined as unknown as WellFormedString).isWellFormed()) return joined;
  let repaired = '';
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value !== null && value !== undefined) repaired += (value as unknown as WellFormedString).toWellFormed();
  }
  return repaired;
}

/** Distinct values a text column's dictionary holds; a column with more is stored as plain text from then on. */
export const TEXT_DICTIONARY_MAX = 65_536;
const TEXT_PLAIN = 0;
const TEXT_DICTIONARY = 1;

/** The string a value reads back as: what its UTF-8 bytes decode to (lone surrogates become U+FFFD). */
function wellFormed(value: string): string {
  return (value as unknown as WellFormedString).isWellFormed() ? value : (value as unknown as WellFormedString).toWellFormed();
}

/**
 * One text column of a RowCache. While a column has at most TEXT_DICTIONARY_MAX distinct
 * values, a block stores a 32-bit id per row and only the values first seen in it, so
 * categorical columns cost 4 bytes a row on disk, no UTF-8 work, and read back as the
 * same string objects (whose hashes later Map lookups reuse). A column with more values
 * (free text, ids) switches to plain blocks: lengths and the UTF-8 of all values joined.
 */
class TextColumnCoder {
  /** Writer: each value's id. Null once the column went plain. */
  #ids: Map<string, number> | null = new Map();
  /** The dictionary by id, as the values read back. */
  readonly strings: string[] = [];
  /** Writer: the id of each code of the producer's dictionary (-1: not seen yet), for batches that come with codes. */
  readonly #idOfCode = new CodeTable();

  /**
   * Writes the first `n` values. `given`: the producer's codes of them
   * (TextColumnData.codes), by which a value already seen is found without its string.
   */
  encode(values: readonly (string | null | undefined)[], n: number, parts: ArrayBufferView[], given?: Int32Array, dictionary?: readonly string[]): void {
    const ids = this.#ids;
    if (ids !== null) {
      const codes = new Int32Array(n);
      const first = this.strings.length;
      const added: string[] = [];
      let overflow = false;
      const idOfCode = given !== undefined && dictionary !== undefined ? this.#idOfCode.of(dictionary) : null;
      for (let i = 0; i < n; i++) {
        // A NULL (code -1) and a value not seen yet are taken by their string below.
        const code = idOfCode === null ? -1 : given![i]!;
        if (code >= 0) {
          const known = idOfCode![code]!;
          if (known >= 0) {
            codes[i] = known;
            continue;
          }
        }
        const value = values[i];
        if (value === null || value === undefined) {
          codes[i] = -1;
          continue;
        }
        let id = ids.get(value);
        if (id === undefined) {
          id = first + added.length;
          if (id >= TEXT_DICTIONARY_MAX) {
            overflow = true;
            break;
          }
          ids.set(value, id);
          added.push(value);
        }
        codes[i] = id;
        if (code >= 0) idOfCode![code] = id;
      }
      if (!overflow) {
        for (const value of added) this.strings.push(wellFormed(value));
        const bytes = Buffer.from(joinedText(added, added.length), 'utf8');
        parts.push(new Float64Array([TEXT_DICTIONARY, first, added.length, bytes.length]));
        parts.push(...padded(codes));
        parts.push(...padded(Int32Array.from(added, (value) => value.length)));
        parts.push(...padded(bytes));
        return;
      }
      // Values this block added are forgotten with the map: no block refers to them.
      this.#ids = null;
      this.#idOfCode.clear();
    }
    const lengths = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const value = values[i];
      lengths[i] = value === null || value === undefined ? -1 : value.length;
    }
    const bytes = Buffer.from(joinedText(values, n), 'utf8');
    parts.push(new Float64Array([TEXT_PLAIN, 0, 0, bytes.length]));
    parts.push(...padded(lengths));
    parts.push(...padded(bytes));
  }

  /**
   * A block's values; in a dictionary block also each row's id (-1: NULL) into
   * `strings`, as `TextColumnData.codes` (a view of the block's buffer).
   */
  decode(cursor: Cursor, n: number): TextColumnData {
    const header = cursor.f64(4);
    const values: (string | null)[] = new Array(n);
    if (header[0] === TEXT_DICTIONARY) {
      const first = header[1]!;
      const count = header[2]!;
      const codes = cursor.i32(n);
      const lengths = cursor.i32(count);
      const at = cursor.skip(header[3]!);
      // A reader learns the dictionary block by block; the writer (and a second read) has these already.
      if (this.strings.length === first) {
        const joined = cursor.text(at, at + header[3]!);
        for (let i = 0, start = 0; i < count; i++) {
          this.strings.push(joined.slice(start, start + lengths[i]!));
          start += lengths[i]!;
        }
      }
      const strings = this.strings;
      for (let i = 0; i < n; i++) {
        const id = codes[i]!;
        values[i] = id < 0 ? null : strings[id]!;
      }
      return { kind: 'text', values, codes, dictionary: strings };
    }
    const lengths = cursor.i32(n);
    const total = header[3]!;
    const at = cursor.skip(total);
    const joined = cursor.text(at, at + total);
    for (let i = 0, start = 0; i < n; i++) {
      const length = lengths[i]!;
      if (length < 0) values[i] = null;
      else {
        values[i] = joined.slice(start, start + length);
        start += length;
      }
    }
    return { kind: 'text', values };
  }
}

/**
 * Raw rows of pass 0, batch by batch (the split roles live with the profiling, see
 * row-pipeline.ts). Numbers are stored as they are; text columns as TextColumnCoder
 * writes them. A reader in another thread learns each text column's dictionary from the
 * blocks in order, so it reads every block once in order before reading any out of order
 * (RowCache.batch catches up by itself when asked for a later block first).
 */
export class RowCache {
  readonly #file: BlockFile;
  readonly #columns: readonly Column[];
  /** Per column: its coder, or null for a number column. */
  readonly #text: (TextColumnCoder | null)[];
  /**
   * Per bigint and decimal column: the coder of its exact texts (see `NumberColumnData.exact`),
   * written after the numbers behind a flag, only in blocks that have any.
   */
  readonly #exact: (TextColumnCoder | null)[];
  /** Blocks whose dictionary entries this cache knows (a writer knows all of its own). */
  #known = 0;
  rows = 0;
  /** A new cache file, or (mode 'read') one another thread writes, read as `addEntry` reports its blocks. */
  constructor(path: string, columns: readonly Column[], mode: 'write' | 'read' = 'write', budget: CacheBudget | null = null) {
    this.#file = new BlockFile(path, mode, budget);
    this.#columns = columns;
    this.#text = columns.map((column) => (isNumberType(column.type) ? null : new TextColumnCoder()));
    this.#exact = columns.map((column) => (mayCarryExact(column.type) ? new TextColumnCoder() : null));
  }

  get batchCount(): number {
    return this.#file.blockCount;
  }

  /** Appends a batch; returns the new block's number. */
  append(batch: RowBatch): number {
    const n = batch.rowCount;
    const parts: ArrayBufferView[] = [new Float64Array([n])];
    batch.columns.forEach((data, c) => {
      if (data.kind === 'number') {
        parts.push(data.values.subarray(0, n));
        parts.push(...padded(data.nulls.subarray(0, n)));
        const coder = this.#exact[c];
        if (coder) {
          const exact = hasExact(data.exact, n) ? data.exact : undefined;
          parts.push(new Float64Array([exact ? 1 : 0]));
          if (exact) coder.encode(exact, n, parts);
        }
      } else {
        this.#text[c]!.encode(data.values, n, parts, data.codes, data.dictionary);
      }
    });
    this.#file.append(parts);
    this.rows += n;
    this.#known = this.#file.blockCount;
    return this.#file.blockCount - 1;
  }

  /** Where block `block` lies, for a reader in another thread (see `addEntry`). */
  entry(block: number): BlockEntry {
    return this.#file.entry(block);
  }

  /** Tells a reader opened elsewhere about a block the writer has appended since. */
  addEntry(entry: BlockEntry): void {
    this.#file.addEntry(entry);
  }

  /** Replays the cached batches in the order they were written, or in `order` (a permutation of batch numbers). */
  *batches(order?: ArrayLike<number>): Generator<RowBatch> {
    for (let i = 0; i < this.#file.blockCount; i++) yield this.batch(order ? order[i]! : i);
  }

  /** Reads back batch number `block`. */
  batch(block: number): RowBatch {
    return this.#batch(block, false);
  }

  /** `batch`, with its number columns in a scratch buffer that the next `transientBatch` overwrites. */
  transientBatch(block: number): RowBatch {
    return this.#batch(block, true);
  }

  #batch(block: number, reuse: boolean): RowBatch {
    while (this.#known < block) this.#read(this.#known++, true);
    if (this.#known === block) this.#known++;
    return this.#read(block, reuse);
  }

  #read(block: number, reuse: boolean): RowBatch {
    const cursor = new Cursor(this.#file.read(block, reuse));
    const n = cursor.f64(1)[0]!;
    const columns: ColumnData[] = this.#columns.map((column, c) => {
      const text = this.#text[c];
      if (text) return text.decode(cursor, n);
      const values = cursor.f64(n);
      const nulls = cursor.u8(n);
      const coder = this.#exact[c];
      if (coder && cursor.f64(1)[0] === 1) {
        const texts = coder.decode(cursor, n).values;
        const exact = new Array<string | undefined>(n);
        for (let i = 0; i < n; i++) exact[i] = texts[i] ?? undefined;
        return { kind: 'number', values, nulls, exact };
      }
      return { kind: 'number', values, nulls };
    });
    return { rowCount: n, columns };
  }

  close(): void {
    this.#file.close();
  }
}

/** Whether any of the first `n` rows has exact text (`some` skips a sparse array's holes). */
function hasExact(exact: readonly (string | undefined)[] | undefined, n: number): exact is (string | undefined)[] {
  return exact !== undefined && exact.some((text, row) => row < n && text !== undefined);
}

/** The four arrays a block is built in, at full capacity (a block is views of their first rows and entries). */
export interface BlockArrays {
  readonly labels: Float64Array;
  readonly offsets: Uint32Array;
  readonly indices: Uint32Array;
  readonly values: Float32Array;
}

/** The buffers of a block's arrays, as sent back to the thread that built it. */
export interface BlockBuffers {
  readonly labels: ArrayBuffer;
  readonly offsets: ArrayBuffer;
  readonly indices: ArrayBuffer;
  readonly values: ArrayBuffer;
}

/** A block's buffers, to hand them back (after which the block must not be used). */
export function blockBuffers(block: ExampleBlock): BlockBuffers {
  return {
    labels: block.labels.buffer as ArrayBuffer,
    offsets: block.offsets.buffer as ArrayBuffer,
    indices: block.indices.buffer as ArrayBuffer,
    values: block.values.buffer as ArrayBuffer,
  };
}

/** Whole-buffer arrays over handed-back buffers, ready to build another block in. */
export function blockArraysOf(buffers: BlockBuffers): BlockArrays {
  return {
    labels: new Float64Array(buffers.labels),
    offsets: new Uint32Array(buffers.offsets),
    indices: new Uint32Array(buffers.indices),
    values: new Float32Array(buffers.values),
  };
}

/**
 * Gathers encoded rows into CSR blocks of `blockRows` rows and hands each finished block
 * to `emit` as views of the arrays it was built in; one copy per row into them, none per
 * block.
 *
 * Without `spare`, the builder goes on in the same arrays: the block is valid only
 * until `emit` returns (the receiver writes it out or copies it). With `spare`, the
 * receiver keeps the arrays (e.g. moves them to another thread) and the builder goes on
 * in `spare()`'s arrays, handed back by the receiver, or new ones. Why not a fresh copy
 * per block: a block's entries take about 280 KB per array, above glibc's mmap threshold,
 * and after the first such buffer is freed glibc serves them from its heaps instead;
 * allocated in one thread and freed in another, block after block, they fragmented the
 * heaps until peak RSS grew with the row count (PostgreSQL, 1M → 5M rows: 203 → 240 MB).
 */
export class ExampleBlockBuilder {
  readonly #blockRows: number;
  readonly #emit: (block: ExampleBlock) => void;
  readonly #spare: (() => BlockArrays | null) | null;
  #labels: Float64Array;
  #offsets: Uint32Array;
  #indices: Uint32Array;
  #values: Float32Array;
  #count = 0;
  #nnz = 0;

  constructor(emit: (block: ExampleBlock) => void, blockRows = EXAMPLE_BLOCK_ROWS, spare: (() => BlockArrays | null) | null = null) {
    this.#emit = emit;
    this.#blockRows = blockRows;
    this.#spare = spare;
    this.#labels = new Float64Array(blockRows);
    this.#offsets = new Uint32Array(blockRows + 1);
    this.#indices = new Uint32Array(blockRows * 16);
    this.#values = new Float32Array(blockRows * 16);
  }

  add(indices: Uint32Array, values: Float64Array, nnz: number, label: number): void {
    if (this.#nnz + nnz > this.#indices.length) {
      const capacity = Math.max(this.#indices.length * 2, this.#nnz + nnz);
      const grownIndices = new Uint32Array(capacity);
      grownIndices.set(this.#indices.subarray(0, this.#nnz));
      const grownValues = new Float32Array(capacity);
      grownValues.set(this.#values.subarray(0, this.#nnz));
      this.#indices = grownIndices;
      this.#values = grownValues;
    }
    for (let i = 0; i < nnz; i++) {
      this.#indices[this.#nnz + i] = indices[i]!;
      this.#values[this.#nnz + i] = values[i]!;
    }
    this.#nnz += nnz;
    this.#labels[this.#count] = label;
    this.#count++;
    this.#offsets[this.#count] = this.#nnz;
    if (this.#count === this.#blockRows) this.flush();
  }

  /** Emits the partial block, if any. Call once after the last `add`. */
  flush(): void {
    if (this.#count === 0) return;
    const n = this.#count;
    const nnz = this.#nnz;
    this.#count = 0;
    this.#nnz = 0;
    this.#emit({
      count: n,
      labels: this.#labels.subarray(0, n),
      offsets: this.#offsets.subarray(0, n + 1),
      indices: this.#indices.subarray(0, nnz),
      values: this.#values.subarray(0, nnz),
    });
    if (this.#spare === null) return;
    const next = this.#spare();
    // Handed-back arrays of another block size (none today) are left to the collector.
    if (next !== null && next.labels.length === this.#blockRows) {
      this.#labels = next.labels;
      this.#offsets = next.offsets;
      this.#indices = next.indices;
      this.#values = next.values;
    } else {
      this.#labels = new Float64Array(this.#blockRows);
      this.#offsets = new Uint32Array(this.#blockRows + 1);
      this.#indices = new Uint32Array(this.#indices.length);
      this.#values = new Float32Array(this.#values.length);
    }
  }
}

/** Rows per example block. */
export const EXAMPLE_BLOCK_ROWS = 4096;

/** An example cache file one thread wrote, as another opens it (`ExampleCache.opened`). */
export interface WrittenExamples {
  readonly path: string;
  readonly entries: readonly BlockEntry[];
  readonly rows: number;
}

/** Encoded examples in CSR blocks on disk; reads return whole blocks. */
export class ExampleCache {
  readonly #file: BlockFile;
  readonly #builder: ExampleBlockBuilder;
  readonly path: string;
  rows = 0;

  /** `budget`: what the training may still write (cache-dir.ts); none for a cache only read. */
  constructor(path: string, blockRows = EXAMPLE_BLOCK_ROWS, mode: 'write' | 'read' = 'write', budget: CacheBudget | null = null) {
    this.path = path;
    this.#file = new BlockFile(path, mode, budget);
    this.#builder = new ExampleBlockBuilder((block) => this.appendBlock(block), blockRows);
  }

  /** A cache another thread wrote and closed: its blocks are where `written` says. */
  static opened(written: WrittenExamples): ExampleCache {
    const cache = new ExampleCache(written.path, EXAMPLE_BLOCK_ROWS, 'read');
    for (const entry of written.entries) cache.#file.addEntry(entry);
    cache.rows = written.rows;
    return cache;
  }

  /** Where this cache's blocks lie, for `ExampleCache.opened` in another thread. */
  written(): WrittenExamples {
    const entries: BlockEntry[] = [];
    for (let block = 0; block < this.#file.blockCount; block++) entries.push(this.#file.entry(block));
    return { path: this.path, entries, rows: this.rows };
  }

  get blockCount(): number {
    return this.#file.blockCount;
  }

  /** Adds one row; whole blocks are written as they fill. */
  add(indices: Uint32Array, values: Float64Array, nnz: number, label: number): void {
    this.#builder.add(indices, values, nnz, label);
  }

  /** Writes the partial block of `add`, if any. Call once after the last `add`. */
  flush(): void {
    this.#builder.flush();
  }

  /** Writes a finished block as it is. */
  appendBlock(block: ExampleBlock): void {
    const n = block.count;
    const nnz = block.offsets[n]! - block.offsets[0]!;
    if (block.offsets[0] !== 0) throw new Error('sqlml example blocks start at offset 0');
    this.#file.append([
      new Float64Array([n, nnz]),
      block.labels.subarray(0, n),
      ...padded(block.offsets.subarray(0, n + 1)),
      ...padded(block.indices.subarray(0, nnz)),
      ...padded(block.values.subarray(0, nnz)),
    ]);
    this.rows += n;
  }

  readBlock(block: number): ExampleBlock {
    return this.#block(block, false);
  }

  #block(block: number, reuse: boolean): ExampleBlock {
    const cursor = new Cursor(this.#file.read(block, reuse));
    const header = cursor.f64(2);
    const n = header[0]!;
    const nnz = header[1]!;
    const labels = cursor.f64(n);
    const offsets = cursor.u32(n + 1);
    const indices = cursor.u32(nnz);
    const values = cursor.f32(nnz);
    return { count: n, labels, offsets, indices, values };
  }

  /** All blocks, in `order` (a permutation of block numbers) when given; each is valid until the next is asked for. */
  async *blocks(order?: ArrayLike<number>): AsyncGenerator<ExampleBlock> {
    const count = this.#file.blockCount;
    for (let i = 0; i < count; i++) {
      yield this.#block(order ? order[i]! : i, true);
    }
  }

  close(): void {
    this.#file.close();
  }
}
