import { DuckDBInstance, type DuckDBConnection, type DuckDBDataChunk } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnType } from '../../src/data.js';
import { columnDefinitionType, columnTypeOf, createColumnDecoder, toColumn, toResultValue } from '../../adapters/duckdb/duckdb-types.js';
import { DUCKDB_TYPES } from '../../adapters/duckdb/dialect.js';

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Every row of every column of `sql`, decoded by the fast path or the `getItem` reference path. */
async function decode(sql: string, reference = false, sliceRows = 0): Promise<(number | string | null)[][]> {
  const result = await connection.run(sql);
  const types = result.columnTypes();
  const decoders = types.map((type) => createColumnDecoder(type, { reference }));
  const columns: (number | string | null)[][] = types.map(() => []);
  const chunks: DuckDBDataChunk[] = await result.fetchAllChunks();
  for (const chunk of chunks) {
    // Decode in slices (odd sizes, odd offsets) when asked, as the stream does when re-cutting batches.
    const step = sliceRows > 0 ? sliceRows : chunk.rowCount;
    for (let from = 0; from < chunk.rowCount; from += step) {
      const count = Math.min(step, chunk.rowCount - from);
      decoders.forEach((decoder, c) => {
        if (decoder.kind === 'number') {
          // Poisoned buffers: every slot must be written.
          const values = new Float64Array(count + 3).fill(-7);
          const nulls = new Uint8Array(count + 3).fill(9);
          decoder.decode(chunk, c, from, count, values, nulls, 3);
          for (let k = 0; k < count; k++) {
            expect(nulls[3 + k] === 0 || nulls[3 + k] === 1).toBe(true);
            if (nulls[3 + k] === 1) expect(values[3 + k]).toBe(0);
            columns[c]!.push(nulls[3 + k] === 1 ? null : values[3 + k]!);
          }
        } else {
          const values = new Array<string | null>(count + 2).fill('poison');
          decoder.decode(chunk, c, from, count, values, 2);
          columns[c]!.push(...values.slice(2));
        }
      });
    }
  }
  return columns;
}

async function typesOf(sql: string): Promise<ColumnType[]> {
  const result = await connection.run(sql);
  return result.columnTypes().map(columnTypeOf);
}

describe('columnTypeOf', () => {
  it('maps each DuckDB type to the sqlml type the adapter contract names', async () => {
    const cases: [string, ColumnType][] = [
      ['true', 'boolean'],
      ['1::TINYINT', 'integer'],
      ['1::SMALLINT', 'integer'],
      ['1::INTEGER', 'integer'],
      ['1::UTINYINT', 'integer'],
      ['1::USMALLINT', 'integer'],
      ['1::UINTEGER', 'integer'],
      ['1::BIGINT', 'bigint'],
      ['1::UBIGINT', 'bigint'],
      ['1::HUGEINT', 'bigint'],
      ['1::UHUGEINT', 'bigint'],
      ['1::FLOAT', 'double'],
      ['1::DOUBLE', 'double'],
      ['1::DECIMAL(10,2)', 'decimal'],
      ["'a'::VARCHAR", 'text'],
      ["'a'::ENUM('a', 'b')", 'text'],
      ["DATE '2020-01-01'", 'date'],
      ["TIMESTAMP '2020-01-01'", 'timestamp'],
      ["'2020-01-01'::TIMESTAMP_S", 'timestamp'],
      ["'2020-01-01'::TIMESTAMP_MS", 'timestamp'],
      ["'2020-01-01'::TIMESTAMP_NS", 'timestamp'],
      ["TIMESTAMPTZ '2020-01-01 00:00:00+00'", 'timestamp'],
      ["TIME '01:02:03'", 'other'],
      ['INTERVAL 3 DAY', 'other'],
      ['uuid()', 'other'],
      ["'x'::BLOB", 'other'],
      ['[1, 2]', 'other'],
      ["{'a': 1}", 'other'],
      ["MAP {'k': 1}", 'other'],
      ['\'{"a": 1}\'::JSON', 'other'],
    ];
    const types = await typesOf(`SELECT ${cases.map(([expression], i) => `${expression} AS c${i}`).join(', ')}`);
    expect(Object.fromEntries(cases.map(([expression], i) => [expression, types[i]]))).toEqual(
      Object.fromEntries(cases.map(([expression, type]) => [expression, type])),
    );
  });

  it('keeps DuckDB spelling of the type, alias first, as the column dbType', async () => {
    const result = await connection.run('SELECT 1.5::DECIMAL(10,2) AS d, \'{}\'::JSON AS j');
    const types = result.columnTypes();
    expect(toColumn('d', types[0]!)).toEqual({ name: 'd', type: 'decimal', dbType: 'DECIMAL(10,2)' });
    expect(toColumn('j', types[1]!)).toEqual({ name: 'j', type: 'other', dbType: 'JSON' });
  });
});

describe('sqlTypeFor', () => {
  it('creates each sqlml type as the DuckDB type of the contract', () => {
    const expected: Record<ColumnType, string> = {
      boolean: 'BOOLEAN',
      integer: 'INTEGER',
      bigint: 'BIGINT',
      double: 'DOUBLE',
      decimal: 'DOUBLE',
      text: 'VARCHAR',
      other: 'VARCHAR',
      date: 'DATE',
      timestamp: 'TIMESTAMP',
    };
    for (const [type, sqlType] of Object.entries(expected)) expect(DUCKDB_TYPES.sqlTypeFor[type as ColumnType]).toBe(sqlType);
  });

  it('reads back as the same sqlml type, except decimal (a double) and other (text)', async () => {
    const types: ColumnType[] = ['boolean', 'integer', 'bigint', 'double', 'decimal', 'text', 'other', 'date', 'timestamp'];
    const read = await typesOf(`SELECT ${types.map((type, i) => `NULL::${DUCKDB_TYPES.sqlTypeFor[type]} AS c${i}`).join(', ')}`);
    expect(read).toEqual(['boolean', 'integer', 'bigint', 'double', 'double', 'text', 'text', 'date', 'timestamp']);
  });
});

describe('columnDefinitionType', () => {
  it("keeps a number column's own type where DuckDB has it, whichever database spelled it, else the contract's type", () => {
    const spelled = (type: ColumnType, dbType: string): string => columnDefinitionType({ name: 'c', type, dbType });
    expect(spelled('bigint', 'BIGINT')).toBe('BIGINT');
    expect(spelled('bigint', 'bigint')).toBe('BIGINT');
    expect(spelled('decimal', 'DECIMAL(38,10)')).toBe('DECIMAL(38,10)');
    expect(spelled('decimal', 'numeric(38,10)')).toBe('DECIMAL(38,10)');
    expect(spelled('decimal', 'DECIMAL(65,30)')).toBe('DOUBLE');
    expect(spelled('decimal', 'numeric')).toBe('DOUBLE');
    expect(spelled('double', 'double precision')).toBe('DOUBLE PRECISION');
    expect(spelled('bigint', 'BIGINT UNSIGNED')).toBe('BIGINT');
    expect(spelled('double', '')).toBe('DOUBLE');
    expect(spelled('text', 'VARCHAR(3)')).toBe('VARCHAR');
    expect(spelled('integer', 'BIGINT')).toBe('INTEGER');
  });
});

describe('column decoders', () => {
  it('read hand-computed numbers for every numeric-like type', async () => {
    const [row] = transpose(
      await decode(`SELECT
        true, false::BOOLEAN,
        (-128)::TINYINT, 255::UTINYINT, (-32768)::SMALLINT, 65535::USMALLINT,
        (-2147483648)::INTEGER, 4294967295::UINTEGER,
        (-1)::BIGINT, 9007199254740993::BIGINT, 18446744073709551615::UBIGINT,
        (-170141183460469231731687303715884105728)::HUGEINT, 340282366920938463463374607431768211455::UHUGEINT,
        0.25::FLOAT, (-1.5e300)::DOUBLE,
        123.4::DECIMAL(4,1), (-123456.789)::DECIMAL(9,3), 123456789012.345678::DECIMAL(18,6),
        (-12345678901234567890.1234567891)::DECIMAL(38,10),
        (-0.00001)::DECIMAL(19,5), (-1.5)::DECIMAL(19,5), (-1)::HUGEINT,
        DATE '1969-12-31', DATE '2024-02-29',
        TIMESTAMP '1970-01-01 00:00:01.5', TIMESTAMP '1969-12-31 23:59:59.999999',
        '2024-01-02 03:04:05'::TIMESTAMP_S, '2024-01-02 03:04:05.123'::TIMESTAMP_MS,
        '1970-01-01 00:00:00.000001234'::TIMESTAMP_NS,
        TIMESTAMPTZ '2024-01-02 03:04:05+02',
        DATE 'infinity', DATE '-infinity', TIMESTAMP 'infinity'`),
    );
    expect(row).toEqual([
      1, 0,
      -128, 255, -32768, 65535,
      -2147483648, 4294967295,
      -1, 9007199254740992, 18446744073709551615,
      -1.7014118346046923e38, 3.402823669209385e38,
      0.25, -1.5e300,
      123.4, -123456.789, 123456789012.345678,
      -12345678901234567890.1234567891,
      -0.00001, -1.5, -1,
      -86_400_000, Date.UTC(2024, 1, 29),
      1500, -0.001,
      Date.UTC(2024, 0, 2, 3, 4, 5), Date.UTC(2024, 0, 2, 3, 4, 5, 123),
      0.001234,
      Date.UTC(2024, 0, 2, 1, 4, 5),
      Infinity, -Infinity, Infinity,
    ]);
  });

  it('agree with the getItem reference path on NULLs at validity word edges and odd slices', async () => {
    const sql = `SELECT
        CASE WHEN i IN (0, 63, 64, 127, 128, 2047, 2048, 4095) OR i % 7 = 3 THEN NULL ELSE i END AS k,
        CASE WHEN i % 5 = 1 THEN NULL ELSE (i % 3 = 0) END AS b,
        CASE WHEN i % 11 = 2 THEN NULL ELSE ((i % 256) - 128)::TINYINT END AS tiny,
        CASE WHEN i % 9 = 4 THEN NULL ELSE (i * 800003 - 2000000000)::INTEGER END AS n,
        CASE WHEN i % 13 = 5 THEN NULL ELSE (i - 2000) * 4611686018427 END::BIGINT AS big,
        CASE WHEN i % 6 = 0 THEN NULL ELSE (i - 3000) * 1e20 END::HUGEINT AS huge,
        CASE WHEN i % 4 = 0 THEN NULL ELSE (i - 2000) / 7.0 END::DOUBLE AS d,
        CASE WHEN i % 8 = 0 THEN NULL ELSE ((i - 2000) / 8.0)::DECIMAL(4,1) END AS dec4,
        CASE WHEN i % 8 = 1 THEN NULL ELSE ((i - 2000) * 1.001)::DECIMAL(9,3) END AS dec9,
        CASE WHEN i % 8 = 2 THEN NULL ELSE ((i - 2000) * 12345.678901)::DECIMAL(18,6) END AS dec18,
        CASE WHEN i % 8 = 3 THEN NULL ELSE ((i - 2000) * 1e15)::DECIMAL(38,2) END AS dec38,
        CASE WHEN i % 10 = 0 THEN NULL ELSE DATE '1960-01-01' + i::INTEGER END AS dt,
        CASE WHEN i % 10 = 1 THEN NULL ELSE TIMESTAMP '1965-06-01' + to_microseconds(i * 123456789) END AS ts,
        CASE WHEN i % 10 = 2 THEN NULL ELSE (TIMESTAMP '1965-06-01' + to_seconds(i * 1234))::TIMESTAMP_S END AS ts_s,
        CASE WHEN i % 10 = 3 THEN NULL ELSE (TIMESTAMP '1965-06-01' + to_milliseconds(i * 1234))::TIMESTAMP_MS END AS ts_ms,
        CASE WHEN i % 10 = 4 THEN NULL ELSE (TIMESTAMP '1965-06-01' + to_microseconds(i * 1234))::TIMESTAMP_NS END AS ts_ns,
        CASE WHEN i % 10 = 5 THEN NULL ELSE (TIMESTAMP '2001-06-01' + to_microseconds(i * 77))::TIMESTAMPTZ END AS tz,
        CASE WHEN i % 3 = 0 THEN NULL ELSE repeat('é', (i % 15)::INTEGER) || i END AS s,
        CASE WHEN i % 4 = 1 THEN NULL ELSE (['lo', 'mid', 'hi'])[(i % 3 + 1)::INTEGER]::ENUM('lo', 'mid', 'hi') END AS e,
        CASE WHEN i % 5 = 2 THEN NULL ELSE [i, i + 1] END AS l
      FROM range(5000) t(i)`;
    const reference = await decode(sql, true);
    expect(reference[0]!.filter((v) => v === null).length).toBeGreaterThan(700);
    expect(await decode(sql, false)).toEqual(reference);
    expect(await decode(sql, false, 70)).toEqual(reference);
  });

  it('hand out remembered short strings exactly as decoded, for repeated, near-identical and too many distinct values', async () => {
    // Repeats of every inline length (0..12, multi-byte too), values differing in one byte or
    // only in length (a zero byte at the end), more distinct values than the table holds
    // (5,000 + 2,000), and a high-cardinality column that makes the decoder stop looking.
    const sql = `SELECT
        CASE WHEN i % 17 = 0 THEN NULL ELSE left('abcdéfghijkl', (i % 13)::INTEGER) END AS lengths,
        CASE WHEN i % 2 = 0 THEN 'ab' ELSE 'ab' || chr(0) END AS zero_tail,
        'v' || (i % 5000) AS many,
        'k' || i AS unique_ids,
        CASE WHEN i % 3 = 0 THEN 'x' || (i % 2000) ELSE repeat('long value ', 2) || (i % 4) END AS mixed
      FROM range(200000) t(i)`;
    const reference = await decode(sql, true);
    expect(new Set(reference[2]).size).toBe(5000);
    expect(await decode(sql, false)).toEqual(reference);
    expect(await decode(sql, false, 333)).toEqual(reference);
  });

  it('read strings inline up to 12 bytes and through the pointer beyond, keeping empty apart from NULL', async () => {
    const [values] = await decode(`SELECT s FROM (VALUES (0, ''), (1, NULL), (2, '123456789012'), (3, '1234567890123'),
        (4, 'ééééé1'), (5, 'éééééé1'), (6, '日本語のテキスト'), (7, repeat('x', 5000))) t(i, s) ORDER BY i`);
    expect(values).toEqual(['', null, '123456789012', '1234567890123', 'ééééé1', 'éééééé1', '日本語のテキスト', 'x'.repeat(5000)]);
  });

  it('read nested and special types as the text DuckDB prints for them', async () => {
    const [row] = transpose(
      await decode(`SELECT [1, 2], {'a': 1, 'b': 'x'}, INTERVAL 3 DAY, TIME '01:02:03',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID, '{"a": 1}'::JSON, NULL::INTEGER[]`),
    );
    expect(row).toEqual(['[1, 2]', "{'a': 1, 'b': 'x'}", '3 days', '01:02:03', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', null]);
  });
});

describe('exact texts of wide integers and decimals', () => {
  /** Each column's exact texts, by the fast or the reference path, from poisoned arrays (every slot must be written). */
  async function exactTexts(sql: string, reference: boolean): Promise<(string | undefined)[][]> {
    const result = await connection.run(sql);
    const types = result.columnTypes();
    const decoders = types.map((type) => createColumnDecoder(type, { reference }));
    const columns: (string | undefined)[][] = types.map(() => []);
    for (const chunk of await result.fetchAllChunks()) {
      decoders.forEach((decoder, c) => {
        if (decoder.kind !== 'number') throw new Error('a number column was expected');
        expect(decoder.exact).toBe(true);
        const n = chunk.rowCount;
        const exact = new Array<string | undefined>(n + 1).fill('poison');
        decoder.decode(chunk, c, 0, n, new Float64Array(n + 1), new Uint8Array(n + 1), 1, exact);
        columns[c]!.push(...exact.slice(1));
      });
    }
    return columns;
  }

  it('keep the exact text exactly where a double cannot hold the value, on both paths', async () => {
    const sql = `SELECT * FROM (VALUES
      (9007199254740993::BIGINT, 9223372036854775807::BIGINT, 18446744073709551615::UBIGINT, -170141183460469231731687303715884105727::HUGEINT,
       12345678901234567890.1234567890::DECIMAL(38,10), -123456789012.345678::DECIMAL(18,6), 12.5::DECIMAL(38,10)),
      (42::BIGINT, -9223372036854775807::BIGINT, 7::UBIGINT, 5::HUGEINT, 0.0000000001::DECIMAL(38,10), 1.5::DECIMAL(18,6), NULL),
      (NULL, NULL, NULL, NULL, NULL, NULL, NULL)) t`;
    const expected = [
      ['9007199254740993', undefined, undefined],
      ['9223372036854775807', '-9223372036854775807', undefined],
      ['18446744073709551615', undefined, undefined],
      ['-170141183460469231731687303715884105727', undefined, undefined],
      ['12345678901234567890.1234567890', undefined, undefined],
      ['-123456789012.345678', undefined, undefined],
      [undefined, undefined, undefined],
    ];
    expect(await exactTexts(sql, false)).toEqual(expected);
    expect(await exactTexts(sql, true)).toEqual(expected);
  });

  it('print a wide decimal exactly in pass-through results', async () => {
    const [row] = await (await connection.run(`SELECT 12345678901234567890.1234567890::DECIMAL(38,10), 0.5::DECIMAL(38,10)`)).getRows();
    expect(row!.map(toResultValue)).toEqual(['12345678901234567890.1234567890', 0.5]);
  });
});

describe('toResultValue', () => {
  it('turns DuckDB values into values JSON and the wire protocol carry', async () => {
    const result = await connection.run(`SELECT 42::BIGINT, 9007199254740993::BIGINT, -9007199254740993::HUGEINT,
      DATE '2024-02-29', DATE '0099-01-01', TIMESTAMP '2024-01-02 03:04:05.123', TIMESTAMP '2024-01-02 03:04:05.123456',
      TIMESTAMPTZ '2024-01-02 03:04:05+02', '2024-01-02 03:04:05.000000789'::TIMESTAMP_NS, '2024-01-02 03:04:05'::TIMESTAMP_S,
      12.50::DECIMAL(10,2), [1, 2], TIMESTAMP 'infinity', 'x'::ENUM('x'), NULL, true, 1.5::FLOAT`);
    const [row] = await result.getRows();
    expect(row!.map(toResultValue)).toEqual([
      42, '9007199254740993', '-9007199254740993',
      '2024-02-29', '0099-01-01', '2024-01-02T03:04:05.123Z', '2024-01-02T03:04:05.123456Z',
      '2024-01-02T01:04:05.000Z', '2024-01-02T03:04:05.000000789Z', '2024-01-02T03:04:05.000Z',
      12.5, '[1, 2]', 'infinity', 'x', null, true, 1.5,
    ]);
  });
});

function transpose<T>(columns: T[][]): T[][] {
  const rows = columns[0]?.length ?? 0;
  return Array.from({ length: rows }, (_, r) => columns.map((column) => column[r]!));
}
