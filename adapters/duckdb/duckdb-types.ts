/**
 * DuckDB's types as sqlml sees them: the logical `ColumnType` of a DuckDB column, the
 * DuckDB type `write()` creates for a `ColumnType`, result values for pass-through
 * statements, and the decoders that copy a result chunk's column into a `RowBatch`.
 *
 * Decoding is the read hot path. `@duckdb/node-api` hands out a value per `getItem`
 * call (an object for dates, timestamps and decimals, BigInt arithmetic for every
 * NULL check), so fixed-width columns and VARCHAR are read from the vector's raw bytes,
 * fetched in one call per column and chunk through the native bindings the installed
 * `@duckdb/node-api` itself uses.
 * Everything else (lists, structs, uuid, interval...) goes through `getItem`, which is
 * also the reference the fast path is tested against.
 */
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import {
  DuckDBDateValue,
  DuckDBDecimalType,
  DuckDBDecimalValue,
  DuckDBEnumType,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { decimalText, DOUBLE_EXACT_DIGITS, int64Text, mayCarryExact, type Column, type ColumnType, type Value } from '../../src/data.js';
import { TextInterner } from '../text-intern.js';
import { columnDefinitionType as ownOrDialectType } from '../column-definition.js';
import { DUCKDB_TYPES } from './dialect.js';
import { MS_PER_DAY } from '../../src/calendar.js';

const TWO_POW_32 = 4_294_967_296;
const TWO_POW_64 = TWO_POW_32 * TWO_POW_32;
/** DuckDB's `infinity` date is the largest int32, `-infinity` its negation. */
const DATE_INFINITY_DAYS = 2_147_483_647;
/** DuckDB's `infinity` timestamp is the largest int64 (2^63 - 1, which rounds to 2^63 as a double). */
const TIMESTAMP_INFINITY = 9_223_372_036_854_775_807;

/** The sqlml column type of a DuckDB type. JSON is VARCHAR by storage but not a category. */
export function columnTypeOf(type: DuckDBType): ColumnType {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'boolean';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
      return 'integer';
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return 'bigint';
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return 'double';
    case DuckDBTypeId.DECIMAL:
      return 'decimal';
    case DuckDBTypeId.VARCHAR:
      return type.alias?.toUpperCase() === 'JSON' ? 'other' : 'text';
    case DuckDBTypeId.ENUM:
      return 'text';
    case DuckDBTypeId.DATE:
      return 'date';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'timestamp';
    default:
      return 'other';
  }
}

/** A result column: its name, sqlml type and DuckDB's spelling of the type. */
export function toColumn(name: string, type: DuckDBType): Column {
  return { name, type: columnTypeOf(type), dbType: type.alias ?? type.toString() };
}

/** The DuckDB type `write()` gives a new column: the source's own for numbers (see column-definition.ts). */
export function columnDefinitionType(column: Column): string {
  return ownOrDialectType(column, DUCKDB_TYPES);
}


/**
 * A DuckDB value as a result `Value`: integers beyond 2^53 and decimals of more than 15
 * significant digits as exact decimal text (other numbers as numbers), dates as
 * `YYYY-MM-DD`, timestamps as ISO-8601 UTC (microseconds kept when present), anything
 * else (lists, structs, uuid, interval...) as DuckDB prints it.
 */
export function toResultValue(value: DuckDBValue): Value {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof DuckDBDecimalValue) return exactDecimalText(value) ?? decimalToNumber(value);
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return isoFromSubseconds(value.micros, 1000n, 3, value);
  if (value instanceof DuckDBTimestampMillisecondsValue) return isoFromSubseconds(value.millis, 1n, 0, value);
  if (value instanceof DuckDBTimestampSecondsValue) return isoFromSubseconds(value.seconds * 1000n, 1n, 0, value);
  if (value instanceof DuckDBTimestampNanosecondsValue) return isoFromSubseconds(value.nanos, 1_000_000n, 6, value);
  return value.toString();
}

/**
 * A sqlml number for a DuckDB value, with the conventions of `NumberColumnData`:
 * booleans 0/1, dates and timestamps in milliseconds since the epoch (UTC), decimals
 * and wide integers as the nearest double.
 */
export function toNumber(value: Exclude<DuckDBValue, null>): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof DuckDBDecimalValue) return decimalToNumber(value);
  if (value instanceof DuckDBDateValue) {
    if (Math.abs(value.days) === DATE_INFINITY_DAYS) return value.days > 0 ? Infinity : -Infinity;
    return value.days * MS_PER_DAY;
  }
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return timestampToNumber(value.micros, 1, 1000);
  if (value instanceof DuckDBTimestampMillisecondsValue) return timestampToNumber(value.millis, 1, 1);
  if (value instanceof DuckDBTimestampSecondsValue) return timestampToNumber(value.seconds, 1000, 1);
  if (value instanceof DuckDBTimestampNanosecondsValue) return timestampToNumber(value.nanos, 1, 1_000_000);
  return Number(value.toString());
}

function decimalToNumber(value: DuckDBDecimalValue): number {
  return Number(value.value) / 10 ** value.scale;
}

/** 10^15: a scaled integer below it has at most 15 significant digits, which a double gives back. */
const EXACT_UNSCALED_LIMIT = 10 ** DOUBLE_EXACT_DIGITS;
const EXACT_UNSCALED_LIMIT_BIG = BigInt(EXACT_UNSCALED_LIMIT);

/** A decimal's exact text when a double cannot hold it, else undefined. */
function exactDecimalText(value: DuckDBDecimalValue): string | undefined {
  const unscaled = value.value;
  return unscaled >= EXACT_UNSCALED_LIMIT_BIG || unscaled <= -EXACT_UNSCALED_LIMIT_BIG ? decimalText(unscaled, value.scale) : undefined;
}

/** The exact text of a wide integer or decimal a double cannot hold, else undefined (see `NumberColumnData.exact`). */
export function toExactText(value: Exclude<DuckDBValue, null>): string | undefined {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? undefined : value.toString();
  if (value instanceof DuckDBDecimalValue) return exactDecimalText(value);
  return undefined;
}

function timestampToNumber(ticks: bigint, multiplier: number, divisor: number): number {
  const raw = Number(ticks);
  if (raw >= TIMESTAMP_INFINITY) return Infinity;
  if (raw <= -TIMESTAMP_INFINITY) return -Infinity;
  return (raw * multiplier) / divisor;
}

/**
 * ISO-8601 text of `ticks` (units of 1/`perMilli` ms). The fraction beyond milliseconds
 * is appended only when non-zero, so millisecond data reads exactly like `valueAt`.
 */
function isoFromSubseconds(ticks: bigint, perMilli: bigint, extraDigits: number, original: DuckDBValue): string {
  let millis = ticks / perMilli;
  let rest = ticks % perMilli;
  if (rest < 0n) {
    millis -= 1n;
    rest += perMilli;
  }
  const date = new Date(Number(millis));
  // ±infinity and years beyond JavaScript's Date range: DuckDB's own spelling.
  if (Number.isNaN(date.getTime())) return String(original);
  const iso = date.toISOString();
  return rest === 0n ? iso : `${iso.slice(0, -1)}${rest.toString().padStart(extraDigits, '0')}Z`;
}

// ---------------------------------------------------------------------------------------
// Chunk decoding

/** The native handle behind a `DuckDBDataChunk`. */
type RawChunk = DuckDBDataChunk['chunk'];
declare const rawVectorBrand: unique symbol;
/** A native vector handle; only ever passed back to the bindings. */
interface RawVector {
  readonly [rawVectorBrand]: true;
}

/** The four functions of `@duckdb/node-bindings` the fast path needs (its C API names). */
interface VectorBindings {
  data_chunk_get_vector(chunk: RawChunk, columnIndex: number): RawVector;
  /** A copy of the first `byteCount` bytes of the vector's data. */
  vector_get_data(vector: RawVector, byteCount: number): Uint8Array;
  /** A copy of the validity bitmask (bit i of little-endian uint64 words), or null when every row is valid. */
  vector_get_validity(vector: RawVector, byteCount: number): Uint8Array | null;
  /** The `byteCount` bytes that the pointer stored at `pointerOffset` in `buffer` points to (long strings). */
  get_data_from_pointer(buffer: ArrayBufferLike, pointerOffset: number, byteCount: number): Uint8Array;
}

/**
 * Resolved from `@duckdb/node-api`'s own location so that it is exactly the native
 * module (and version) the API layer runs on, whatever the package manager's layout.
 */
const bindings = createRequire(createRequire(import.meta.url).resolve('@duckdb/node-api'))(
  '@duckdb/node-bindings',
) as VectorBindings;

/** The fast path reads little-endian words; elsewhere every type takes the `getItem` path. */
const RAW_READS = endianness() === 'LE';

/** Decodes one column of DuckDB result chunks into numbers (see `NumberColumnData`). */
export interface NumberColumnDecoder {
  readonly kind: 'number';
  /** Whether `decode` fills an `exact` array (wide integers and decimals: see `NumberColumnData.exact`). */
  readonly exact: boolean;
  /**
   * Copies rows `[from, from + count)` of the chunk's column `column` to `values`/`nulls`
   * (and, for an `exact` decoder, every slot of `exact`) at `at`.
   */
  decode(
    chunk: DuckDBDataChunk,
    column: number,
    from: number,
    count: number,
    values: Float64Array,
    nulls: Uint8Array,
    at: number,
    exact?: (string | undefined)[],
  ): void;
}

/** Decodes one column of DuckDB result chunks into text (see `TextColumnData`). */
export interface TextColumnDecoder {
  readonly kind: 'text';
  /** Copies rows `[from, from + count)` of the chunk's column `column` to `values` at `at`. */
  decode(chunk: DuckDBDataChunk, column: number, from: number, count: number, values: (string | null)[], at: number): void;
}

export type ColumnDecoder = NumberColumnDecoder | TextColumnDecoder;

export interface DecoderOptions {
  /** Read every type through `getItem` (the slow reference path); for tests. */
  readonly reference?: boolean;
}

/**
 * The decoder for a result column of type `type`: a number decoder for every type whose
 * `columnTypeOf` is numeric-like, a text decoder otherwise.
 */
export function createColumnDecoder(type: DuckDBType, options: DecoderOptions = {}): ColumnDecoder {
  const columnType = columnTypeOf(type);
  const raw = RAW_READS && !options.reference;
  if (columnType === 'text' || columnType === 'other') {
    if (raw && type.typeId === DuckDBTypeId.VARCHAR) return varcharDecoder();
    if (raw && type instanceof DuckDBEnumType) return enumDecoder(type);
    return referenceTextDecoder;
  }
  const reference = mayCarryExact(columnType) ? referenceExactDecoder : referenceNumberDecoder;
  if (!raw) return reference;
  return rawNumberDecoder(type) ?? reference;
}

function referenceDecoder(exact: boolean): NumberColumnDecoder {
  return {
    kind: 'number',
    exact,
    decode(chunk, column, from, count, values, nulls, at, exactOut) {
      const vector = chunk.getColumnVector(column);
      for (let k = 0; k < count; k++) {
        const value = vector.getItem(from + k);
        if (value === null) {
          values[at + k] = 0;
          nulls[at + k] = 1;
          if (exactOut) exactOut[at + k] = undefined;
        } else {
          values[at + k] = toNumber(value);
          nulls[at + k] = 0;
          if (exactOut) exactOut[at + k] = toExactText(value);
        }
      }
    },
  };
}

const referenceNumberDecoder = referenceDecoder(false);
const referenceExactDecoder = referenceDecoder(true);

const referenceTextDecoder: TextColumnDecoder = {
  kind: 'text',
  decode(chunk, column, from, count, values, at) {
    const vector = chunk.getColumnVector(column);
    for (let k = 0; k < count; k++) {
      const value = vector.getItem(from + k);
      values[at + k] = value === null ? null : typeof value === 'string' ? value : String(toResultValue(value));
    }
  },
};

/** A column's bytes and validity bits for rows `[0, end)` of a chunk. */
interface VectorView {
  readonly data: Uint8Array;
  readonly validity: Uint8Array | null;
}

function vectorView(chunk: DuckDBDataChunk, column: number, end: number, bytesPerRow: number): VectorView {
  const vector = bindings.data_chunk_get_vector(chunk.chunk, column);
  return {
    data: bindings.vector_get_data(vector, end * bytesPerRow),
    validity: bindings.vector_get_validity(vector, Math.ceil(end / 64) * 8),
  };
}

/**
 * Sets `nulls[at..]` from DuckDB's validity bits (bit i of little-endian uint64 words is
 * byte i/8, bit i%8) and zeroes the values of NULL rows, which hold whatever bytes DuckDB
 * left there while `NumberColumnData` promises 0.
 */
function copyNulls(
  validity: Uint8Array | null,
  from: number,
  count: number,
  values: Float64Array,
  nulls: Uint8Array,
  at: number,
  exact?: (string | undefined)[],
): void {
  if (validity === null) {
    nulls.fill(0, at, at + count);
    return;
  }
  for (let k = 0; k < count; k++) {
    const row = from + k;
    if (((validity[row >> 3]! >> (row & 7)) & 1) === 1) {
      nulls[at + k] = 0;
    } else {
      nulls[at + k] = 1;
      values[at + k] = 0;
      if (exact) exact[at + k] = undefined;
    }
  }
}

/** Reads a numeric vector whose rows are one element of a typed array each. */
type ElementArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

function elementDecoder(
  bytesPerRow: number,
  view: (bytes: Uint8Array, rows: number) => ElementArray,
  multiplier: number,
  divisor: number,
): NumberColumnDecoder {
  return {
    kind: 'number',
    exact: false,
    decode(chunk, column, from, count, values, nulls, at) {
      const end = from + count;
      const { data, validity } = vectorView(chunk, column, end, bytesPerRow);
      const elements = view(data, end);
      for (let k = 0; k < count; k++) values[at + k] = (elements[from + k]! * multiplier) / divisor;
      copyNulls(validity, from, count, values, nulls, at);
    },
  };
}

/**
 * 64-bit integers as two 32-bit halves: no BigInt per row, exact below 2^53 and the
 * nearest double above. `infinite` maps DuckDB's ±infinity timestamps to ±Infinity.
 * With `exactScale` (BIGINT: 0, a DECIMAL: its scale) a value the double cannot hold,
 * whose integer reaches `exactFrom`, also gets its exact text, the only BigInt made.
 */
function int64Decoder(signed: boolean, multiplier: number, divisor: number, infinite: boolean, exactScale = -1, exactFrom = Infinity): NumberColumnDecoder {
  const withExact = exactScale >= 0;
  return {
    kind: 'number',
    exact: withExact,
    decode(chunk, column, from, count, values, nulls, at, exact) {
      const end = from + count;
      const { data, validity } = vectorView(chunk, column, end, 8);
      const words = new Int32Array(data.buffer, data.byteOffset, end * 2);
      for (let k = 0; k < count; k++) {
        const w = (from + k) * 2;
        const high = signed ? words[w + 1]! : words[w + 1]! >>> 0;
        const raw = high * TWO_POW_32 + (words[w]! >>> 0);
        values[at + k] = infinite && Math.abs(raw) >= TIMESTAMP_INFINITY ? (raw > 0 ? Infinity : -Infinity) : (raw * multiplier) / divisor;
        if (withExact && exact) {
          exact[at + k] = raw >= exactFrom || raw <= -exactFrom ? exactIntegerText(high, words[w]! >>> 0, exactScale) : undefined;
        }
      }
      copyNulls(validity, from, count, values, nulls, at, exact);
    },
  };
}

function exactIntegerText(high: number, low: number, scale: number): string {
  return scale === 0 ? int64Text(high, low) : decimalText(BigInt(int64Text(high, low)), scale);
}

/**
 * HUGEINT, UHUGEINT and wide DECIMAL: 128-bit two's complement, as the nearest double,
 * and the exact text (of `scale` fraction digits) of a value whose integer reaches `exactFrom`.
 */
function int128Decoder(signed: boolean, divisor: number, scale: number, exactFrom: number): NumberColumnDecoder {
  return {
    kind: 'number',
    exact: true,
    decode(chunk, column, from, count, values, nulls, at, exact) {
      const end = from + count;
      const { data, validity } = vectorView(chunk, column, end, 16);
      const words = new Int32Array(data.buffer, data.byteOffset, end * 4);
      for (let k = 0; k < count; k++) {
        const w = (from + k) * 4;
        const top = signed ? words[w + 3]! : words[w + 3]! >>> 0;
        // A negative value is read as its magnitude: as high·2^64 + low, the low 64 bits
        // of a small negative number (near 2^64) would round away in the double.
        const negative = top < 0;
        let w0 = words[w]! >>> 0;
        let w1 = words[w + 1]! >>> 0;
        let w2 = words[w + 2]! >>> 0;
        let w3 = words[w + 3]! >>> 0;
        if (negative) {
          w0 = ~w0 >>> 0;
          w1 = ~w1 >>> 0;
          w2 = ~w2 >>> 0;
          w3 = ~w3 >>> 0;
          if (++w0 === TWO_POW_32) {
            w0 = 0;
            if (++w1 === TWO_POW_32) {
              w1 = 0;
              if (++w2 === TWO_POW_32) {
                w2 = 0;
                w3 = (w3 + 1) >>> 0;
              }
            }
          }
        }
        const magnitude = (w3 * TWO_POW_32 + w2) * TWO_POW_64 + (w1 * TWO_POW_32 + w0);
        const raw = negative ? -magnitude : magnitude;
        values[at + k] = raw / divisor;
        if (exact) {
          exact[at + k] =
            raw >= exactFrom || raw <= -exactFrom
              ? decimalText(
                  (BigInt(int64Text(top, words[w + 2]! >>> 0)) << 64n) | BigInt(int64Text(words[w + 1]! >>> 0, words[w]! >>> 0)),
                  scale,
                )
              : undefined;
        }
      }
      copyNulls(validity, from, count, values, nulls, at, exact);
    },
  };
}

/** DuckDB's bool is one byte on every platform it builds for; any non-zero byte is true. */
const booleanDecoder: NumberColumnDecoder = {
  kind: 'number',
  exact: false,
  decode(chunk, column, from, count, values, nulls, at) {
    const end = from + count;
    const { data, validity } = vectorView(chunk, column, end, 1);
    for (let k = 0; k < count; k++) values[at + k] = data[from + k] === 0 ? 0 : 1;
    copyNulls(validity, from, count, values, nulls, at);
  },
};

const dateDecoder: NumberColumnDecoder = {
  kind: 'number',
  exact: false,
  decode(chunk, column, from, count, values, nulls, at) {
    const end = from + count;
    const { data, validity } = vectorView(chunk, column, end, 4);
    const days = new Int32Array(data.buffer, data.byteOffset, end);
    for (let k = 0; k < count; k++) {
      const day = days[from + k]!;
      values[at + k] = day === DATE_INFINITY_DAYS ? Infinity : day === -DATE_INFINITY_DAYS ? -Infinity : day * MS_PER_DAY;
    }
    copyNulls(validity, from, count, values, nulls, at);
  },
};

/** The raw decoder of a numeric-like type, or undefined when only `getItem` can read it. */
function rawNumberDecoder(type: DuckDBType): NumberColumnDecoder | undefined {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return booleanDecoder;
    case DuckDBTypeId.TINYINT:
      return elementDecoder(1, (b, n) => new Int8Array(b.buffer, b.byteOffset, n), 1, 1);
    case DuckDBTypeId.UTINYINT:
      return elementDecoder(1, (b, n) => new Uint8Array(b.buffer, b.byteOffset, n), 1, 1);
    case DuckDBTypeId.SMALLINT:
      return elementDecoder(2, (b, n) => new Int16Array(b.buffer, b.byteOffset, n), 1, 1);
    case DuckDBTypeId.USMALLINT:
      return elementDecoder(2, (b, n) => new Uint16Array(b.buffer, b.byteOffset, n), 1, 1);
    case DuckDBTypeId.INTEGER:
      return elementDecoder(4, (b, n) => new Int32Array(b.buffer, b.byteOffset, n), 1, 1);
    case DuckDBTypeId.UINTEGER:
      return elementDecoder(4, (b, n) => new Uint32Array(b.buffer, b.byteOffset, n), 1, 1);
    case DuckDBTypeId.FLOAT:
      return elementDecoder(4, (b, n) => new Float32Array(b.buffer, b.byteOffset, n), 1, 1);
    case DuckDBTypeId.DOUBLE:
      return elementDecoder(8, (b, n) => new Float64Array(b.buffer, b.byteOffset, n), 1, 1);
    case DuckDBTypeId.BIGINT:
      return int64Decoder(true, 1, 1, false, 0, EXACT_INTEGER_LIMIT);
    case DuckDBTypeId.UBIGINT:
      return int64Decoder(false, 1, 1, false, 0, EXACT_INTEGER_LIMIT);
    case DuckDBTypeId.HUGEINT:
      return int128Decoder(true, 1, 0, EXACT_INTEGER_LIMIT);
    case DuckDBTypeId.UHUGEINT:
      return int128Decoder(false, 1, 0, EXACT_INTEGER_LIMIT);
    case DuckDBTypeId.DATE:
      return dateDecoder;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return int64Decoder(true, 1, 1000, true);
    case DuckDBTypeId.TIMESTAMP_S:
      return int64Decoder(true, 1000, 1, true);
    case DuckDBTypeId.TIMESTAMP_MS:
      return int64Decoder(true, 1, 1, true);
    case DuckDBTypeId.TIMESTAMP_NS:
      return int64Decoder(true, 1, 1_000_000, true);
    case DuckDBTypeId.DECIMAL:
      return type instanceof DuckDBDecimalType ? decimalDecoder(type) : undefined;
    default:
      return undefined;
  }
}

/** DuckDB stores a DECIMAL as a scaled integer whose width follows the precision. */
function decimalDecoder(type: DuckDBDecimalType): NumberColumnDecoder {
  const divisor = 10 ** type.scale;
  if (type.width <= 4) return elementDecoder(2, (b, n) => new Int16Array(b.buffer, b.byteOffset, n), 1, divisor);
  if (type.width <= 9) return elementDecoder(4, (b, n) => new Int32Array(b.buffer, b.byteOffset, n), 1, divisor);
  if (type.width <= 18) return int64Decoder(true, 1, divisor, false, type.scale, EXACT_UNSCALED_LIMIT);
  return int128Decoder(true, divisor, type.scale, EXACT_UNSCALED_LIMIT);
}

/** Integers of magnitude 2^53 and up may not be doubles: they get their exact text (2^53 itself is, but one rule is simpler). */
const EXACT_INTEGER_LIMIT = 2 ** 53;

/** A DuckDB string_t is 16 bytes: a uint32 length, then the bytes inline (≤ 12) or a pointer at +8. */
const STRING_BYTES = 16;
const INLINE_STRING_MAX = 12;
const textDecoder = new TextDecoder();

/**
 * VARCHAR columns. A string of up to 12 bytes lies wholly inside its 16-byte string_t, so
 * those bytes go through the column's TextInterner: a repeated category is decoded once
 * and handed out as the same string after (no allocation per row; later Map lookups reuse
 * its cached hash).
 */
function varcharDecoder(): TextColumnDecoder {
  const interner = new TextInterner();
  return {
    kind: 'text',
    decode(chunk, column, from, count, values, at) {
      const end = from + count;
      const { data, validity } = vectorView(chunk, column, end, STRING_BYTES);
      // One Buffer view per chunk: decoding a slice of it allocates only the string.
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      for (let k = 0; k < count; k++) {
        const row = from + k;
        if (validity !== null && ((validity[row >> 3]! >> (row & 7)) & 1) === 0) {
          values[at + k] = null;
          continue;
        }
        const offset = row * STRING_BYTES;
        const length = bytes.readUInt32LE(offset);
        values[at + k] =
          length <= INLINE_STRING_MAX
            ? interner.decode(bytes, offset + 4, length)
            : textDecoder.decode(bindings.get_data_from_pointer(data.buffer, data.byteOffset + offset + 8, length));
      }
    },
  };
}

/** An ENUM is stored as an index into the type's dictionary, 1, 2 or 4 bytes wide. */
function enumDecoder(type: DuckDBEnumType): TextColumnDecoder {
  const dictionary = type.values;
  const width = type.internalTypeId === DuckDBTypeId.UTINYINT ? 1 : type.internalTypeId === DuckDBTypeId.USMALLINT ? 2 : 4;
  return {
    kind: 'text',
    decode(chunk, column, from, count, values, at) {
      const end = from + count;
      const { data, validity } = vectorView(chunk, column, end, width);
      const indexes =
        width === 1
          ? new Uint8Array(data.buffer, data.byteOffset, end)
          : width === 2
            ? new Uint16Array(data.buffer, data.byteOffset, end)
            : new Uint32Array(data.buffer, data.byteOffset, end);
      for (let k = 0; k < count; k++) {
        const row = from + k;
        const valid = validity === null || ((validity[row >> 3]! >> (row & 7)) & 1) === 1;
        values[at + k] = valid ? (dictionary[indexes[row]!] ?? null) : null;
      }
    },
  };
}
