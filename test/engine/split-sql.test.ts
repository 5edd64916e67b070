/**
 * The split computed by the database agrees with the stream's, from the table alone:
 * contentHashSql gives every row the content hash the stream gives it (over every column
 * type sqlml reads, with NULLs, NaN and ±Infinity where the database has them, integers
 * beyond 2^53, 1e308, subnormals, -0, non-ASCII and mixed-case text, timestamps to the
 * microsecond with and without a zone), and heldOutSql holds
 * out as many copies of each content as the stream does; and, as a property, for any
 * doubles (the words of a double are read from its bits where the dialect can, worked out
 * by arithmetic elsewhere: both must give the stream's words bit for bit).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, DialectName } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import type { RowBatch } from '../../src/data.js';
import { CONTENT_HASH_COLUMN, contentHashSql, heldOutSql } from '../../src/engine/split-sql.js';
import { mulberry32 } from '../../src/learn/random.js';
import { contentHashes, RowRole, RowSplitter, type SplitSpec } from '../../src/learn/split.js';
import { serverTargets } from '../helpers/servers.js';
import { DATABASE_FACTS } from '../helpers/database-facts.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets())];
const ROWS = 'split_sql_cells';
const SPEC: SplitSpec = { trainFraction: 0.7, validationFraction: 0, seed: 3 };
const COLUMNS = ['i', 'b', 'd', 'n', 't', 'f', 'dt', 'ts', 'tz', 'y'] as const;

/** Each column's nasty values, as SQL literals for `dialect`; the pool cycles through them at coprime periods. */
function nastyValues(dialect: DialectName): string[][] {
  // Where a DOUBLE holds no NaN or infinity, NULLs stand in for them.
  const special = (v: string): string => (DATABASE_FACTS[dialect].nonFiniteDoubles ? `CAST('${v}' AS DOUBLE PRECISION)` : 'NULL');
  return [
    ['NULL', '0', '-1', '2147483647', '-2147483648', '7'],
    ['NULL', '9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808', '4294967296', '-4294967297', '12'],
    ['NULL', '0.0', '-0.0', '1e308', '-1e308', '0.1', '0.3333333333333333', '5e-324', '2.2250738585072014e-308', '9223372036854775808', '-9223372036854775808', '4.5e15', '-2.5', '1.7976931348623157e308', '1e-300', special('NaN'), special('Infinity'), special('-Infinity')],
    ['NULL', '12345678901234.56789', '-0.00001', '100.00000', '99999999999999.99999', '3.5'],
    ['NULL', "''", "'abc'", "'ABC'", "'abc '", "'déjà vu'", "'日本語'", "'😀'", "'Straße'"],
    ['NULL', 'TRUE', 'FALSE'],
    ['NULL', "DATE '2024-02-29'", "DATE '1969-12-31'", "DATE '1900-01-01'"],
    timestamps(dialect, 'ts'),
    timestamps(dialect, 'tz'),
  ];
}

/**
 * Timestamps to the microsecond, before 1970 and beyond 2^53 microseconds from it (where
 * the count itself rounds as a double), PostgreSQL's ±infinity, BC years and its last
 * microsecond (beyond an int64 of microseconds since 1970); `tz` is the
 * zone-aware column (MariaDB's TIMESTAMP, within its 1970-2038 range). NULL and
 * TIMESTAMP_VALUES distinct values apiece, so the pool reaches each (its periods 9 and 10
 * are coprime to 13).
 */
const TIMESTAMP_VALUES = 12;
function timestamps(dialect: DialectName, column: 'ts' | 'tz'): string[] {
  return ['NULL', ...TIMESTAMPS[dialect](column)];
}

const COMMON_TIMESTAMPS = ['1970-01-01 00:00:00.000001', '2024-02-29 13:14:15.123456', '2038-01-19 03:14:07.999999', '2001-09-09 01:46:40.1'];

/** Typed literals, `tz` at +05:30, then `far` (as they are, unzoned) where the database's range ends. */
function typedTimestamps(column: 'ts' | 'tz', far: readonly string[]): string[] {
  const type = column === 'ts' ? 'TIMESTAMP' : 'TIMESTAMPTZ';
  const zone = column === 'ts' ? '' : '+05:30';
  const more = ['1970-01-01 00:00:00', '1969-12-31 23:59:59.999999', '1000-01-01 00:00:00.000001', '9999-12-31 23:59:59.999999'];
  return [...[...COMMON_TIMESTAMPS, ...more].map((v) => `${type} '${v}${zone}'`), ...far.map((v) => `${type} '${v}'`)];
}

/** Per database, TIMESTAMP_VALUES timestamps of each column within what it can hold. */
const TIMESTAMPS: Readonly<Record<DialectName, (column: 'ts' | 'tz') => string[]>> = {
  // MariaDB's zoned TIMESTAMP holds 1970-2038 only, and its literals are plain strings.
  mysql: (column) => {
    const more =
      column === 'ts'
        ? ['1970-01-01 00:00:00', '1969-12-31 23:59:59.999999', '1000-01-01 00:00:00.000001', '9999-12-31 23:59:59.999999', '1900-01-01 00:00:00.5', '1969-07-20 20:17:40.000003', '1582-10-15 12:00:00.333333', '5000-06-15 06:30:00.000007']
        : ['1970-01-01 00:00:01', '2000-02-29 23:59:59.999999', '1999-12-31 23:59:59.000001', '2021-03-28 01:00:00.000002', '1985-06-30 23:59:59.7', '2012-06-30 23:59:59.999998', '2038-01-19 03:14:07', '1970-01-01 00:00:01.000001', '2037-12-31 12:00:00.5'];
    return [...(column === 'ts' ? COMMON_TIMESTAMPS : COMMON_TIMESTAMPS.slice(1)), ...more].map((v) => `'${v}'`);
  },
  // PostgreSQL's latest timestamps are beyond 2^63 microseconds since 1970.
  postgres: (column) => typedTimestamps(column, ['infinity', '-infinity', '0044-03-15 12:00:00.000007 BC', '294276-12-31 23:59:59.999999']),
  duckdb: (column) => typedTimestamps(column, ['0001-01-01 00:00:00.000001', '1582-10-15 12:00:00.333333', '5000-06-15 06:30:00.000007', '1969-07-20 20:17:40.000003']),
};

/** 2,000 rows over 60 contents (repeated, shuffled), targets NULL now and then. */
function rows(dialect: DialectName): string[][] {
  const values = nastyValues(dialect);
  const pool = Array.from({ length: 60 }, (_, p) => [...values.map((column, c) => column[(p * (c + 2) + c) % column.length]!), p % 13 === 0 ? 'NULL' : String(p % 2)]);
  const next = mulberry32(17);
  return Array.from({ length: 2000 }, () => pool[Math.floor(next() ** 2 * pool.length)]!);
}

/** The stream's 64-bit key of each row's first `width` columns, as text. */
function keys(batch: RowBatch, width: number): string[] {
  const hashes = contentHashes({ rowCount: batch.rowCount, columns: batch.columns.slice(0, width) }, SPEC.seed, new Int32Array(2 * batch.rowCount));
  return Array.from({ length: batch.rowCount }, (_, row) => `${hashes[2 * row]}:${hashes[2 * row + 1]}`);
}

/** The column types of the test table that are no sqlml type of the dialect's: a short text in full Unicode, a zoned timestamp. */
const COLUMN_TYPES = {
  duckdb: { text: 'VARCHAR(20)', zoned: 'TIMESTAMPTZ' },
  postgres: { text: 'VARCHAR(20)', zoned: 'TIMESTAMPTZ' },
  mysql: { text: 'VARCHAR(20) CHARACTER SET utf8mb4', zoned: 'TIMESTAMP(6) NULL' },
} as const;

describe.each(TARGETS)('the split in SQL on $label', ({ url }) => {
  let adapter: Adapter;
  const q = (name: string): string => adapter.sql.quoteIdent(name);
  beforeAll(async () => {
    adapter = await openAdapter(url);
    const { double, timestamp } = adapter.sql.types.sqlTypeFor;
    const { text, zoned } = COLUMN_TYPES[adapter.sql.name as keyof typeof COLUMN_TYPES];
    await adapter.query(`DROP TABLE IF EXISTS ${q(ROWS)}`);
    await adapter.query(`CREATE TABLE ${q(ROWS)} (i INTEGER, b BIGINT, d ${double}, n DECIMAL(19,5), t ${text}, f BOOLEAN, dt DATE, ts ${timestamp}, tz ${zoned}, y INTEGER)`);
    const all = rows(adapter.sql.name);
    for (let from = 0; from < all.length; from += 500) {
      await adapter.query(`INSERT INTO ${q(ROWS)} (${COLUMNS.join(', ')}) VALUES ${all.slice(from, from + 500).map((row) => `(${row.join(', ')})`).join(', ')}`);
    }
  });
  it('stores every timestamp value as written (none coerced to NULL or a zero date)', async () => {
    const counts = await adapter.query(`SELECT COUNT(DISTINCT ts) AS ts, COUNT(DISTINCT tz) AS tz FROM ${q(ROWS)}`);
    expect(counts.rows[0]!.map(Number)).toEqual([TIMESTAMP_VALUES, TIMESTAMP_VALUES]);
  });
  afterAll(async () => {
    await adapter.query(`DROP TABLE IF EXISTS ${q(ROWS)}`);
    await adapter.close();
  });

  it('gives every row the content hash the stream gives it, and holds out as many copies of each content', async () => {
    // The stream's roles, counted per content.
    const streamHeld = new Map<string, number>();
    let withTarget = 0;
    const source = `SELECT ${COLUMNS.map(q).join(', ')} FROM ${q(ROWS)}`;
    const stream = await adapter.openStream(source, { batchRows: 256 });
    const types = stream.columns.map((column) => column.type);
    expect(types).toEqual(['integer', 'bigint', 'double', 'decimal', 'text', 'boolean', 'date', 'timestamp', 'timestamp', 'integer']);
    const splitter = new RowSplitter(SPEC);
    const roles = new Uint8Array(256);
    for await (const batch of stream.batches()) {
      splitter.assign(batch, COLUMNS.length - 1, roles);
      const rowKeys = keys(batch, COLUMNS.length);
      for (let row = 0; row < batch.rowCount; row++) {
        if (roles[row] === RowRole.Skip) continue;
        withTarget++;
        streamHeld.set(rowKeys[row]!, (streamHeld.get(rowKeys[row]!) ?? 0) + (roles[row] === RowRole.Holdout ? 1 : 0));
      }
    }

    // The database's: content hash and held-out test from the table alone.
    const dialect = adapter.sql.split;
    const hashed = contentHashSql(dialect, `(${source})`, COLUMNS.map((name, c) => ({ sql: q(name), type: types[c]! })), SPEC.seed);
    const held = heldOutSql(q(CONTENT_HASH_COLUMN), COLUMNS.map((name, c) => dialect.partitionKey(q(name), types[c]!)), SPEC.trainFraction!);
    const inSql = await adapter.openStream(`SELECT h.*, ${held} AS held FROM (${hashed}) h WHERE ${q('y')} IS NOT NULL`, { batchRows: 256 });
    const hashColumn = inSql.columns.findIndex((column) => column.name === CONTENT_HASH_COLUMN);
    const heldColumn = inSql.columns.findIndex((column) => column.name === 'held');
    const sqlHeld = new Map<string, number>();
    const mismatches: string[] = [];
    for await (const batch of inSql.batches()) {
      const rowKeys = keys(batch, COLUMNS.length);
      const hashes = batch.columns[hashColumn]!;
      const heldFlags = batch.columns[heldColumn]!;
      if (hashes.kind !== 'number' || heldFlags.kind !== 'number') throw new Error('hash and held are numbers');
      for (let row = 0; row < batch.rowCount; row++) {
        const streamHash = Number(rowKeys[row]!.split(':')[0]) >>> 0;
        if (hashes.values[row] !== streamHash) {
          mismatches.push(COLUMNS.map((name, c) => `${name}=${JSON.stringify(cellText(batch, c, row))}`).join(' '));
        }
        sqlHeld.set(rowKeys[row]!, (sqlHeld.get(rowKeys[row]!) ?? 0) + heldFlags.values[row]!);
      }
    }
    expect([...new Set(mismatches)]).toEqual([]);
    expect(sqlHeld).toEqual(streamHeld);
    // Not a vacuous agreement: about 30% held out, most contents split between the sides.
    const total = [...streamHeld.values()].reduce((sum, n) => sum + n, 0);
    expect(withTarget).toBeGreaterThan(1500);
    expect(Math.abs(total / withTarget - 0.3)).toBeLessThan(0.03);
    expect([...streamHeld.values()].filter((n) => n > 0).length).toBeGreaterThan(25);
  });
});

/** A double as a SQL literal: JavaScript's shortest round-trip digits with an exponent (MariaDB reads `0.1` as a DECIMAL, `0.1e0` as a double). */
function doubleLiteral(x: number, nonFinite: boolean): string {
  if (Number.isFinite(x)) {
    const digits = Object.is(x, -0) ? '-0' : String(x);
    return digits.includes('e') ? digits : `${digits}e0`;
  }
  if (!nonFinite) return 'NULL';
  return `CAST('${Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity'}' AS DOUBLE PRECISION)`;
}

/** Doubles of every kind: any bit pattern's, integers beyond 2^53 and at int64's ends, subnormals, ±0, NaN, ±Infinity, powers of two and their neighbours. */
const anyDouble = fc.oneof(
  fc.double(),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(Number),
  fc.integer({ min: -1074, max: 1023 }).chain((e) => fc.constantFrom(2 ** e, -(2 ** e), 2 ** e * (1 + Number.EPSILON), 2 ** e * (1 - Number.EPSILON / 2))),
  fc.double({ min: -Number.MIN_VALUE * 2 ** 52, max: Number.MIN_VALUE * 2 ** 52 }),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 63, -(2 ** 63), 2 ** 63 - 1024, 2 ** 53 + 2),
);

describe.each(TARGETS)('a double\'s content hash in SQL on $label', ({ url }) => {
  let adapter: Adapter;
  const q = (name: string): string => adapter.sql.quoteIdent(name);
  const TABLE = 'split_sql_doubles';
  beforeAll(async () => {
    adapter = await openAdapter(url);
    await adapter.query(`DROP TABLE IF EXISTS ${q(TABLE)}`);
    await adapter.query(`CREATE TABLE ${q(TABLE)} (n INTEGER, d ${adapter.sql.types.sqlTypeFor.double})`);
  });
  afterAll(async () => {
    await adapter.query(`DROP TABLE IF EXISTS ${q(TABLE)}`);
    await adapter.close();
  });

  it('is the stream\'s for any doubles', async () => {
    const nonFinite = DATABASE_FACTS[adapter.sql.name].nonFiniteDoubles;
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(anyDouble, { minLength: 50, maxLength: 200 }), async (values) => {
        await adapter.query(`DELETE FROM ${q(TABLE)}`);
        await adapter.query(`INSERT INTO ${q(TABLE)} (n, d) VALUES ${values.map((x, n) => `(${n}, ${doubleLiteral(x, nonFinite)})`).join(', ')}`);
        const source = `SELECT n, d FROM ${q(TABLE)}`;
        const hashed = contentHashSql(adapter.sql.split, `(${source})`, [{ sql: 'n', type: 'integer' }, { sql: 'd', type: 'double' }], SPEC.seed);
        const stream = await adapter.openStream(`${hashed} ORDER BY n`, { batchRows: 256 });
        const hashColumn = stream.columns.findIndex((column) => column.name === CONTENT_HASH_COLUMN);
        const mismatches: string[] = [];
        for await (const batch of stream.batches()) {
          const rowKeys = keys(batch, 2);
          const hashes = batch.columns[hashColumn]!;
          const d = batch.columns[1]!;
          if (hashes.kind !== 'number' || d.kind !== 'number') throw new Error('hash and d are numbers');
          for (let row = 0; row < batch.rowCount; row++) {
            if (hashes.values[row] !== Number(rowKeys[row]!.split(':')[0]) >>> 0) mismatches.push(String(cellText(batch, 1, row)));
            const sent = values[batch.columns[0]!.values[row] as number]!;
            // Not vacuous: the database kept the double sent (a NULL where it holds no NaN or infinity).
            if (d.nulls[row] === 0 && (Object.is(d.values[row], sent) || (Number.isNaN(sent) && Number.isNaN(d.values[row]!)))) stored++;
          }
        }
        expect(mismatches).toEqual([]);
      }),
      { numRuns: 25 },
    );
    expect(stored).toBeGreaterThan(1000);
  });
});

function cellText(batch: RowBatch, c: number, row: number): unknown {
  const data = batch.columns[c]!;
  if (data.kind === 'text') return data.values[row];
  return data.nulls[row] === 1 ? null : (data.exact?.[row] ?? data.values[row]);
}
