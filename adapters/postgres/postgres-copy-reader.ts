/**
 * The binary COPY decoder: the bytes of `COPY … TO STDOUT (FORMAT binary)`, chunk by
 * chunk as the socket delivers them, straight into `RowBatch` typed arrays, column by
 * column with one decoder per PostgreSQL type. No per-row objects: a row is a run of
 * length-prefixed fields, read in place.
 *
 * Format (PostgreSQL docs, "COPY … Binary Format"): an 11-byte signature, int32 flags,
 * int32 header-extension length and the extension; then per row an int16 field count
 * and per field an int32 length (-1 = NULL) and the value in the type's send format;
 * an int16 -1 ends the data. All integers are big-endian.
 */
import { Buffer } from 'node:buffer';
import { DOUBLE_EXACT_DIGITS, int64Text, type ColumnData, type RowBatch } from '../../src/data.js';
import { SqlmlError } from '../../src/errors.js';
import { Oid } from './postgres-types.js';
import { TextInterner } from '../text-intern.js';
import { MS_PER_DAY } from '../../src/calendar.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** 2000-01-01, PostgreSQL's epoch for dates and timestamps, in days and ms since 1970-01-01. */
const PG_EPOCH_DAYS = 10_957;
/** 2000-01-01 in microseconds since 1970-01-01. */
const PG_EPOCH_US = PG_EPOCH_DAYS * MS_PER_DAY * 1000;
const TWO_POW_32 = 4_294_967_296;
const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;
const UINT32_MAX = 4_294_967_295;

/** How one column's fields are decoded; a small integer so the row loop switches on it. */
const enum FieldKind {
  Int2,
  Int4,
  Int8,
  Float4,
  Float8,
  Numeric,
  Bool,
  Text,
  Date,
  Timestamp,
}

/** Type OIDs the decoder reads in binary; everything else must be cast to text in the COPY query. */
export function isBinaryDecodable(oid: number): boolean {
  return fieldKindOf(oid) !== undefined;
}

function fieldKindOf(oid: number): FieldKind | undefined {
  switch (oid) {
    case Oid.int2:
      return FieldKind.Int2;
    case Oid.int4:
      return FieldKind.Int4;
    case Oid.int8:
      return FieldKind.Int8;
    case Oid.float4:
      return FieldKind.Float4;
    case Oid.float8:
      return FieldKind.Float8;
    case Oid.numeric:
      return FieldKind.Numeric;
    case Oid.bool:
      return FieldKind.Bool;
    case Oid.text:
    case Oid.varchar:
    case Oid.bpchar:
    case Oid.name:
    case Oid.char:
      return FieldKind.Text;
    case Oid.date:
      return FieldKind.Date;
    case Oid.timestamp:
    case Oid.timestamptz:
      return FieldKind.Timestamp;
    default:
      return undefined;
  }
}

/**
 * Decodes one binary COPY result. `push` each chunk in order; it returns the batches
 * completed by that chunk (fresh arrays each, `batchRows` rows), and `finish` returns the
 * last, shorter batch once the data has ended.
 */
export class BinaryCopyDecoder {
  readonly #kinds: readonly FieldKind[];
  readonly #batchRows: number;
  #pending: Buffer | undefined;
  #headerRead = false;
  #ended = false;
  #row = 0;
  #numbers: Float64Array[] = [];
  #nulls: Uint8Array[] = [];
  #texts: (string | null)[][] = [];
  /**
   * Per int8 and numeric column: the exact text of each row a double cannot hold (see
   * `NumberColumnData.exact`), or null while no row of the batch has one. Made on the
   * first such row: nearly every int8 column (ids, counts, flags, labels) has none, and
   * then its rows cost no write here, and the batch no array that every consumer scans.
   */
  #exact: ((string | undefined)[] | null)[] = [];
  /**
   * Per text column: each row's code in its interner's dictionary (-1: NULL), handed over
   * as the batch's `TextColumnData.codes` unless a value of the batch was not interned
   * (`#uncoded`): the row cache then looks a row up by code, not by string.
   */
  #codes: Int32Array[] = [];
  readonly #uncoded: Uint8Array;
  /** A text column's codes array its last batch did not hand over (uncoded), for the next batch. */
  readonly #idleCodes: (Int32Array | null)[];
  /** A consumed batch whose arrays the next batch is decoded into (see `recycle`). */
  #spare: RowBatch | null = null;
  /** Per column, for text columns: repeated short values decoded once. */
  readonly #interners: (TextInterner | null)[];

  /** `oids` are the result columns' type OIDs, each one `isBinaryDecodable`. */
  constructor(oids: readonly number[], batchRows: number) {
    this.#kinds = oids.map((oid, index) => {
      const kind = fieldKindOf(oid);
      if (kind === undefined) throw new SqlmlError('internal', `binary COPY column ${index + 1} has type OID ${oid}, which has no binary decoder`);
      return kind;
    });
    this.#batchRows = batchRows;
    this.#interners = this.#kinds.map((kind) => (kind === FieldKind.Text ? new TextInterner() : null));
    this.#uncoded = new Uint8Array(this.#kinds.length);
    this.#idleCodes = this.#kinds.map(() => null);
    this.#allocate();
  }

  /** Whether the end-of-data marker has been read. */
  get ended(): boolean {
    return this.#ended;
  }

  push(chunk: Buffer): RowBatch[] {
    if (this.#ended) {
      if (chunk.length === 0) return [];
      throw new SqlmlError('database', 'the binary COPY data continued after its end marker');
    }
    const done: RowBatch[] = [];
    let position = 0;
    let buffer = chunk;
    if (!this.#headerRead) {
      if (this.#pending !== undefined) buffer = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
      position = readHeader(buffer);
      if (position < 0) {
        this.#pending = buffer;
        return done;
      }
      this.#headerRead = true;
    } else if (this.#pending !== undefined) {
      // The row the last chunk's end cut is completed from this chunk's first bytes, joined
      // to it in a small buffer: joining the whole chunk copied every byte of the COPY once
      // more, into a fresh chunk-sized buffer per chunk.
      const pending = this.#pending;
      this.#pending = undefined;
      let head = Math.min(chunk.length, JOIN_BYTES);
      for (;;) {
        const joined = Buffer.concat([pending, chunk.subarray(0, head)]);
        const end = this.#decode(joined, 0, pending.length, done);
        if (end >= pending.length) {
          position = end - pending.length;
          break;
        }
        if (head === chunk.length) {
          this.#pending = joined.subarray(end);
          return done;
        }
        head = Math.min(chunk.length, 4 * head);
      }
      if (this.#ended) {
        if (position < chunk.length) this.#pending = chunk.subarray(position);
        return done;
      }
    }
    const end = this.#decode(buffer, position, buffer.length, done);
    if (end < buffer.length) this.#pending = buffer.subarray(end);
    return done;
  }

  /**
   * Decodes the rows of `buffer` that start at `position` and before `stopAt`, pushing each
   * batch filled to `done`; returns where the first row it could not finish (cut off by
   * the buffer's end) starts, or the end of the last row or of the end marker.
   */
  #decode(buffer: Buffer, position: number, stopAt: number, done: RowBatch[]): number {
    const kinds = this.#kinds;
    const columnCount = kinds.length;
    const length = buffer.length;
    // Locals, not private fields, in the per-field loop; refreshed when a batch is handed over.
    let numbers = this.#numbers;
    let nulls = this.#nulls;
    let texts = this.#texts;
    let exact = this.#exact;
    let codes = this.#codes;
    let row = this.#row;
    const interners = this.#interners;
    const uncoded = this.#uncoded;
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
    while (position < stopAt) {
      if (position + 2 > length) break;
      const fields = view.getInt16(position);
      if (fields === -1) {
        this.#ended = true;
        position += 2;
        break;
      }
      if (fields !== columnCount) {
        throw new SqlmlError('database', `a binary COPY row has ${fields} fields where the query described ${columnCount} columns`);
      }
      // Decoded in place; if the row is cut off by the chunk's end, the next push decodes
      // it again from the start and overwrites whatever this attempt wrote.
      let at = position + 2;
      let complete = true;
      for (let column = 0; column < columnCount; column++) {
        if (at + 4 > length) {
          complete = false;
          break;
        }
        const size = view.getInt32(at);
        at += 4;
        const kind = kinds[column]!;
        if (size < 0) {
          if (kind === FieldKind.Text) {
            texts[column]![row] = null;
            codes[column]![row] = -1;
          } else {
            numbers[column]![row] = 0;
            nulls[column]![row] = 1;
          }
          continue;
        }
        if (at + size > length) {
          complete = false;
          break;
        }
        if (kind === FieldKind.Text) {
          const interner = interners[column]!;
          texts[column]![row] = interner.decode(buffer, at, size);
          const code = interner.code;
          codes[column]![row] = code;
          if (code < 0) uncoded[column] = 1;
        } else {
          const value = decodeNumber(kind, view, buffer, at, size);
          numbers[column]![row] = value;
          nulls[column]![row] = 0;
          // A batch's exact arrays are fresh (never recycled), so rows without exact text
          // leave their slot empty; a row decoded again after a cut writes the same text.
          if (kind === FieldKind.Int8) {
            if (value >= EXACT_INTEGER_LIMIT || value <= -EXACT_INTEGER_LIMIT) (exact[column] ??= this.#freshExact())[row] = int64Text(view.getInt32(at), view.getUint32(at + 4));
          } else if (kind === FieldKind.Numeric) {
            const text = exactNumericText(buffer, at, size);
            if (text !== undefined) (exact[column] ??= this.#freshExact())[row] = text;
          }
        }
        at += size;
      }
      if (!complete) break;
      position = at;
      if (++row === this.#batchRows) {
        this.#row = row;
        done.push(this.#take());
        numbers = this.#numbers;
        nulls = this.#nulls;
        texts = this.#texts;
        exact = this.#exact;
        codes = this.#codes;
        row = 0;
      }
    }
    this.#row = row;
    return position;
  }

  /** The rows decoded since the last full batch, or null when there are none; throws if the data was cut short. */
  finish(): RowBatch | null {
    if (!this.#ended || this.#pending !== undefined) {
      throw new SqlmlError('database', 'the binary COPY data ended before its end marker');
    }
    return this.#row === 0 ? null : this.#take();
  }

  /**
   * Hands back a full batch from `push` whose consumer is done with it, for the batch
   * after next to be decoded into its arrays instead of fresh ones.
   */
  recycle(batch: RowBatch): void {
    if (batch.rowCount !== this.#batchRows || batch.columns.length !== this.#kinds.length) return;
    this.#spare = batch;
  }

  #allocate(): void {
    const rows = this.#batchRows;
    const spare = this.#spare;
    this.#spare = null;
    if (spare !== null) {
      this.#numbers = spare.columns.map((data) => (data.kind === 'number' ? data.values : EMPTY_NUMBERS));
      this.#nulls = spare.columns.map((data) => (data.kind === 'number' ? data.nulls : EMPTY_NULLS));
      this.#texts = spare.columns.map((data) => (data.kind === 'text' ? (data.values as (string | null)[]) : EMPTY_TEXTS));
      this.#codes = spare.columns.map((data, column) => (data.kind === 'text' ? (data.codes ?? this.#idleCodesOf(column)) : EMPTY_CODES));
      this.#exact = this.#kinds.map(() => null);
      return;
    }
    this.#codes = this.#kinds.map((kind, column) => (kind === FieldKind.Text ? this.#idleCodesOf(column) : EMPTY_CODES));
    this.#exact = this.#kinds.map(() => null);
    this.#numbers = this.#kinds.map((kind) => (kind === FieldKind.Text ? EMPTY_NUMBERS : new Float64Array(rows)));
    this.#nulls = this.#kinds.map((kind) => (kind === FieldKind.Text ? EMPTY_NULLS : new Uint8Array(rows)));
    this.#texts = this.#kinds.map((kind) => (kind === FieldKind.Text ? new Array<string | null>(rows).fill(null) : EMPTY_TEXTS));
  }

  #idleCodesOf(column: number): Int32Array {
    const idle = this.#idleCodes[column];
    this.#idleCodes[column] = null;
    return idle ?? new Int32Array(this.#batchRows);
  }

  /** A batch's exact texts of one column, made on its first row that has one. */
  #freshExact(): (string | undefined)[] {
    return new Array<string | undefined>(this.#batchRows);
  }

  /** Hands over the current arrays (trimmed to the rows decoded) and starts fresh ones. */
  #take(): RowBatch {
    const rows = this.#row;
    const full = rows === this.#batchRows;
    const columns = this.#kinds.map((kind, column): ColumnData => {
      if (kind === FieldKind.Text) {
        const values = this.#texts[column]!;
        if (!full) values.length = rows;
        if (this.#uncoded[column] === 1) {
          this.#uncoded[column] = 0;
          this.#idleCodes[column] = this.#codes[column]!;
          return { kind: 'text', values };
        }
        const codes = this.#codes[column]!;
        return { kind: 'text', values, codes: full ? codes : codes.slice(0, rows), dictionary: this.#interners[column]!.dictionary };
      }
      const values = this.#numbers[column]!;
      const nulls = this.#nulls[column]!;
      const exact = this.#exact[column];
      if (exact !== null && exact !== undefined) {
        return full ? { kind: 'number', values, nulls, exact } : { kind: 'number', values: values.slice(0, rows), nulls: nulls.slice(0, rows), exact: exact.slice(0, rows) };
      }
      return full ? { kind: 'number', values, nulls } : { kind: 'number', values: values.slice(0, rows), nulls: nulls.slice(0, rows) };
    });
    this.#row = 0;
    this.#allocate();
    return { rowCount: rows, columns };
  }
}

/** Bytes of a chunk first joined to the row the chunk before cut (a row of gen.py's 17 columns is about 200). */
const JOIN_BYTES = 1024;
const EMPTY_NUMBERS = new Float64Array(0);
const EMPTY_NULLS = new Uint8Array(0);
const EMPTY_CODES = new Int32Array(0);
const EMPTY_TEXTS: (string | null)[] = [];
/** int8 values of magnitude 2^53 and up may not be doubles: they get their exact text. */
const EXACT_INTEGER_LIMIT = 2 ** 53;
/** A numeric whose base-10000 digits sum to 10^15 or more may have more significant digits than a double keeps. */
const EXACT_NUMERIC_LIMIT = 10 ** DOUBLE_EXACT_DIGITS;

/** Reads the file header; returns the position of the first row, or -1 if the buffer is too short. */
function readHeader(buffer: Buffer): number {
  if (buffer.length < SIGNATURE.length + 8) return -1;
  if (!buffer.subarray(0, SIGNATURE.length).equals(SIGNATURE)) {
    throw new SqlmlError('database', 'the COPY output does not start with the binary COPY signature');
  }
  const extension = buffer.readInt32BE(SIGNATURE.length + 4);
  const start = SIGNATURE.length + 8 + extension;
  return buffer.length < start ? -1 : start;
}

/** A fixed-width or numeric field as sqlml's number (see `NumberColumnData`). */
/**
 * A field's number, read through a DataView of the chunk (big-endian reads that the JIT
 * turns into a load and a byte swap, where Buffer's readDoubleBE and friends go through
 * a JavaScript byte shuffle with bounds checks: a third of the read's time).
 */
function decodeNumber(kind: FieldKind, view: DataView, buffer: Buffer, at: number, size: number): number {
  switch (kind) {
    case FieldKind.Int2:
      return view.getInt16(at);
    case FieldKind.Int4:
      return view.getInt32(at);
    case FieldKind.Int8:
      return view.getInt32(at) * TWO_POW_32 + view.getUint32(at + 4);
    case FieldKind.Float4:
      return view.getFloat32(at);
    case FieldKind.Float8:
      return view.getFloat64(at);
    case FieldKind.Bool:
      return view.getUint8(at) === 0 ? 0 : 1;
    case FieldKind.Date: {
      const days = view.getInt32(at);
      if (days === INT32_MAX) return Infinity;
      if (days === INT32_MIN) return -Infinity;
      return (days + PG_EPOCH_DAYS) * MS_PER_DAY;
    }
    case FieldKind.Timestamp: {
      // ±infinity are the int64 extremes, 2^63 - 1 and -2^63.
      const high = view.getInt32(at);
      const low = view.getUint32(at + 4);
      if (high === INT32_MAX && low === UINT32_MAX) return Infinity;
      if (high === INT32_MIN && low === 0) return -Infinity;
      // The double nearest the microseconds since 1970 (high · 2^32 and low + the epoch
      // shift are exact, so their sum rounds once), divided by 1000: what the split's SQL
      // computes (see adapters/split-sql-dialect.ts timestampToEpochMs).
      return (high * TWO_POW_32 + (low + PG_EPOCH_US)) / 1000;
    }
    case FieldKind.Numeric:
      return decodeNumeric(buffer, at, size);
    default:
      throw new SqlmlError('internal', `binary COPY field kind ${kind} is not numeric`);
  }
}

const NUMERIC_NEGATIVE = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;
const NBASE = 10_000;

/**
 * A numeric's send format: int16 digit count, int16 weight (power of 10000 of the first
 * digit), uint16 sign, int16 display scale, then base-10000 digits. The digits are summed
 * as one integer and scaled once, so a value with ≤ 15 significant digits (every
 * NUMERIC(15, s)) is the double nearest its decimal text, as `Number(text)` would give.
 */
/**
 * A numeric's exact decimal text (its display scale's fraction digits) when it has more
 * significant digits than a double keeps, else undefined: the only string made per row,
 * and only for such values.
 */
export function exactNumericText(buffer: Buffer, at: number, size: number): string | undefined {
  if (size < 8) return undefined;
  const digits = buffer.readInt16BE(at);
  const weight = buffer.readInt16BE(at + 2);
  const sign = buffer.readUInt16BE(at + 4);
  if (sign !== 0 && sign !== NUMERIC_NEGATIVE) return undefined;
  let integer = 0;
  for (let i = 0; i < digits; i++) integer = integer * NBASE + buffer.readInt16BE(at + 8 + 2 * i);
  if (integer < EXACT_NUMERIC_LIMIT) return undefined;
  const scale = buffer.readInt16BE(at + 6);
  const digit = (index: number): number => (index >= 0 && index < digits ? buffer.readInt16BE(at + 8 + 2 * index) : 0);
  // Digit i stands for 10000^(weight - i).
  let whole = '';
  for (let power = weight; power >= 0; power--) {
    const value = digit(weight - power);
    whole += whole === '' ? String(value) : String(value).padStart(4, '0');
  }
  if (whole === '') whole = '0';
  let fraction = '';
  for (let power = -1; fraction.length < scale; power--) fraction += String(digit(weight - power)).padStart(4, '0');
  const text = scale > 0 ? `${whole}.${fraction.slice(0, scale)}` : whole;
  return sign === NUMERIC_NEGATIVE ? `-${text}` : text;
}

export function decodeNumeric(buffer: Buffer, at: number, size: number): number {
  if (size < 8) throw new SqlmlError('database', `a binary numeric field has ${size} bytes, fewer than its 8-byte header`);
  const digits = buffer.readInt16BE(at);
  const weight = buffer.readInt16BE(at + 2);
  const sign = buffer.readUInt16BE(at + 4);
  if (sign === NUMERIC_NAN) return Number.NaN;
  if (sign === NUMERIC_PINF) return Infinity;
  if (sign === NUMERIC_NINF) return -Infinity;
  let integer = 0;
  for (let i = 0; i < digits; i++) integer = integer * NBASE + buffer.readInt16BE(at + 8 + 2 * i);
  // The last digit stands for 10000^(weight - digits + 1).
  const exponent = 4 * (weight - digits + 1);
  let value: number;
  if (exponent >= 0) value = integer * 10 ** exponent;
  else if (exponent >= -22) value = integer / 10 ** -exponent;
  else value = Number(`${integer}e${exponent}`);
  return sign === NUMERIC_NEGATIVE ? -value : value;
}
