/**
 * The binary COPY decoder against the real server's bytes: every decoded type, NULLs,
 * numeric digits/weights/scales/signs/NaN, dates and timestamps around PostgreSQL's 2000
 * epoch, and any chunking of the same bytes.
 */
import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { BinaryCopyDecoder, decodeNumeric, isBinaryDecodable } from '../../adapters/postgres/postgres-copy-reader.js';
import { parsePostgresUrl } from '../../adapters/postgres/postgres-url.js';
import type { RowBatch } from '../../src/data.js';
import { SqlmlError } from '../../src/errors.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const available = (await serverTargets()).some((target) => target.url === POSTGRES_URL);

/** The bytes of `COPY (<select>) TO STDOUT (FORMAT binary)` and the result's column type OIDs. */
async function binaryCopy(client: pg.Client, select: string): Promise<{ bytes: Buffer; oids: number[] }> {
  const described = await client.query({ text: `SELECT * FROM (${select}) AS q LIMIT 0`, rowMode: 'array' });
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyStreams.to(`COPY (${select}) TO STDOUT (FORMAT binary)`)) as AsyncIterable<Buffer>) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks), oids: described.fields.map((field) => field.dataTypeID) };
}

/** Every batch of `bytes` fed in chunks of `chunkSize` bytes. */
function decodeAll(bytes: Buffer, oids: number[], batchRows: number, chunkSize: number): RowBatch[] {
  const decoder = new BinaryCopyDecoder(oids, batchRows);
  const batches: RowBatch[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) batches.push(...decoder.push(bytes.subarray(at, at + chunkSize)));
  const last = decoder.finish();
  if (last !== null) batches.push(last);
  return batches;
}

/** Column `column` of all batches as plain values (null for NULL). */
function columnValues(batches: RowBatch[], column: number): (number | string | null)[] {
  const out: (number | string | null)[] = [];
  for (const batch of batches) {
    const data = batch.columns[column]!;
    for (let row = 0; row < batch.rowCount; row++) {
      if (data.kind === 'text') out.push(data.values[row] ?? null);
      else out.push(data.nulls[row] === 1 ? null : data.values[row]!);
    }
  }
  return out;
}

describe.skipIf(!available)('binary COPY decoding (PostgreSQL server bytes)', () => {
  let client: pg.Client;
  beforeAll(async () => {
    const settings = parsePostgresUrl(POSTGRES_URL);
    client = new pg.Client({ user: settings.user, host: settings.host, port: settings.port, database: settings.database });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  /** One typed column of `literals` (SQL text, NULL allowed), decoded. */
  async function decodeColumn(sqlType: string, literals: string[]): Promise<(number | string | null)[]> {
    const values = literals.map((literal, index) => `(${index}, ${literal}::${sqlType})`).join(', ');
    const { bytes, oids } = await binaryCopy(client, `SELECT v FROM (VALUES ${values}) AS t(i, v) ORDER BY i`);
    return columnValues(decodeAll(bytes, oids, 1000, 64 * 1024), 0);
  }

  it('decodes smallint, integer and bigint at their limits, and NULL', async () => {
    // Quoted: `-32768::smallint` would cast 32768 first.
    expect(await decodeColumn('smallint', ["'-32768'", "'32767'", "'0'", 'NULL'])).toEqual([-32768, 32767, 0, null]);
    expect(await decodeColumn('integer', ["'-2147483648'", "'2147483647'", "'-1'", 'NULL'])).toEqual([-2147483648, 2147483647, -1, null]);
    expect(await decodeColumn('bigint', ["'-9007199254740991'", "'9007199254740991'", "'-1'", "'4294967296'", 'NULL'])).toEqual([
      -9007199254740991, 9007199254740991, -1, 4294967296, null,
    ]);
    // Beyond 2^53 the nearest double.
    expect(await decodeColumn('bigint', ["'9223372036854775807'", "'-9223372036854775808'"])).toEqual([9223372036854775807, -9223372036854775808]);
  });

  it('decodes real and double precision, NaN and infinities included', async () => {
    expect(await decodeColumn('real', ["'0.1'", "'-2.5'", "'NaN'", 'NULL'])).toEqual([Math.fround(0.1), -2.5, Number.NaN, null]);
    expect(await decodeColumn('double precision', ["'0.1'", "'-1e300'", "'Infinity'", "'-Infinity'", 'NULL'])).toEqual([0.1, -1e300, Infinity, -Infinity, null]);
  });

  it('decodes numeric with any weight, scale and sign as the nearest double of its text', async () => {
    const texts = ['0', '12.34', '-0.5', '10000', '0.0001', '-1234.5678', '99999999.99', '123456789012345', '0.000000000123', '1e30', '-7.00', '3.14159265358979'];
    const decoded = await decodeColumn('numeric', texts.map((text) => `'${text}'`));
    expect(decoded).toEqual(texts.map(Number));
    expect(await decodeColumn('numeric', ["'NaN'", "'Infinity'", "'-Infinity'", 'NULL'])).toEqual([Number.NaN, Infinity, -Infinity, null]);
  });

  it('keeps the exact text of bigints beyond 2^53 and numerics of more than 15 digits, and only theirs', async () => {
    const exactOf = async (sqlType: string, literals: string[]): Promise<(string | undefined)[]> => {
      const values = literals.map((literal, index) => `(${index}, ${literal}::${sqlType})`).join(', ');
      const { bytes, oids } = await binaryCopy(client, `SELECT v FROM (VALUES ${values}) AS t(i, v) ORDER BY i`);
      return decodeAll(bytes, oids, 1000, 7).flatMap((batch) => {
        const data = batch.columns[0]!;
        if (data.kind !== 'number') throw new Error('a number column was expected');
        return Array.from({ length: batch.rowCount }, (_, row) => data.exact?.[row]);
      });
    };
    expect(await exactOf('bigint', ["'9223372036854775807'", "'9223372036854775806'", "'-9223372036854775808'", "'9007199254740993'", "'42'", 'NULL'])).toEqual([
      '9223372036854775807', '9223372036854775806', '-9223372036854775808', '9007199254740993', undefined, undefined,
    ]);
    expect(
      await exactOf('numeric(38,10)', ["'12345678901234567890.1234567890'", "'-0.0000000001'", "'12.5'", "'-98765432109876543210'", 'NULL']),
    ).toEqual(['12345678901234567890.1234567890', undefined, undefined, '-98765432109876543210.0000000000', undefined]);
    expect(await exactOf('numeric', ["'0.1234567890123456789'", "'1e30'", "'NaN'"])).toEqual(['0.1234567890123456789', undefined, undefined]);
  });

  it('gives a batch exact texts only where one of its rows has one: other bigint and numeric batches carry none', async () => {
    // Batches of 3: rows 1-3 fit a double, row 5 (in the second batch) does not; a NULL in each.
    const { bytes, oids } = await binaryCopy(
      client,
      `SELECT CASE WHEN i = 5 THEN 9007199254740993 WHEN i = 2 THEN NULL ELSE i END AS b,
              CASE WHEN i = 4 THEN 12345678901234567.5 WHEN i = 1 THEN NULL ELSE i END::numeric AS n
         FROM generate_series(1, 7) AS g(i) ORDER BY i`,
    );
    for (const chunkSize of [1, 5, 64 * 1024]) {
      const batches = decodeAll(bytes, oids, 3, chunkSize);
      const exact = (column: number): ((string | undefined)[] | undefined)[] =>
        batches.map((batch) => {
          const data = batch.columns[column]!;
          if (data.kind !== 'number') throw new Error('a number column was expected');
          return data.exact === undefined ? undefined : Array.from({ length: batch.rowCount }, (_, row) => data.exact![row]);
        });
      expect(exact(0)).toEqual([undefined, [undefined, '9007199254740993', undefined], undefined]);
      expect(exact(1)).toEqual([undefined, ['12345678901234567.5', undefined, undefined], undefined]);
      expect(columnValues(batches, 0)).toEqual([1, null, 3, 4, 9007199254740992, 6, 7]);
    }
  });

  it('clears the exact texts of recycled arrays: a row after a wide one is not taken for it', async () => {
    const { bytes, oids } = await binaryCopy(
      client,
      `SELECT CASE WHEN i <= 4 THEN 9007199254740993 + i ELSE i END AS v FROM generate_series(1, 12) AS g(i)`,
    );
    const decoder = new BinaryCopyDecoder(oids, 4);
    const read: (string | undefined)[] = [];
    // Byte by byte, so each batch is handed back before the one after next is decoded (into its arrays).
    for (let at = 0; at < bytes.length; at++) {
      for (const batch of decoder.push(bytes.subarray(at, at + 1))) {
        const data = batch.columns[0]!;
        if (data.kind !== 'number') throw new Error('a number column was expected');
        for (let row = 0; row < batch.rowCount; row++) read.push(data.exact?.[row]);
        decoder.recycle(batch);
      }
    }
    expect(decoder.finish()).toBeNull();
    expect(read).toEqual(['9007199254740994', '9007199254740995', '9007199254740996', '9007199254740997', ...new Array(8).fill(undefined)]);
  });

  it('decodes booleans as 0/1', async () => {
    expect(await decodeColumn('boolean', ['true', 'false', 'NULL'])).toEqual([1, 0, null]);
  });

  it('decodes text, varchar, char and name as text, UTF-8 and control characters intact', async () => {
    expect(await decodeColumn('text', [`'béta "q" ''x'''`, `E'tab\\there\\nline'`, "''", 'NULL'])).toEqual([`béta "q" 'x'`, 'tab\there\nline', '', null]);
    expect(await decodeColumn('varchar(5)', ["'αβγ'"])).toEqual(['αβγ']);
    expect(await decodeColumn('char(4)', ["'ab'"])).toEqual(['ab  ']);
    expect(await decodeColumn('name', ["'pg_class'"])).toEqual(['pg_class']);
  });

  it('decodes dates before and after 2000 as UTC midnight milliseconds, infinities as ±Infinity', async () => {
    const decoded = await decodeColumn('date', ["'2000-01-01'", "'1999-12-31'", "'1969-07-20'", "'1900-03-01'", "'2024-02-29'", "'0044-03-15 BC'", "'infinity'", "'-infinity'", 'NULL']);
    expect(decoded).toEqual([
      946_684_800_000,
      946_598_400_000,
      Date.UTC(1969, 6, 20),
      Date.UTC(1900, 2, 1),
      Date.UTC(2024, 1, 29),
      // 44 BC is astronomical year -43: 2013 years before 1970 plus leap days, via Date.
      new Date('-000043-03-15T00:00:00Z').getTime(),
      Infinity,
      -Infinity,
      null,
    ]);
  });

  it('decodes timestamps with microseconds, and timestamptz as UTC whatever its offset', async () => {
    expect(await decodeColumn('timestamp', ["'2000-01-01 00:00:00.000001'", "'1969-07-20 20:17:40'", "'1999-12-31 23:59:59.5'", "'infinity'", 'NULL'])).toEqual([
      946_684_800_000.001,
      Date.UTC(1969, 6, 20, 20, 17, 40),
      946_684_799_500,
      Infinity,
      null,
    ]);
    expect(await decodeColumn('timestamptz', ["'2024-02-29 13:14:15.25+01'", "'1950-06-01 00:00:00-05:30'"])).toEqual([
      Date.UTC(2024, 1, 29, 12, 14, 15, 250),
      Date.UTC(1950, 5, 1, 5, 30),
    ]);
  });

  it('decodes the same rows whatever the chunking, in batches of batchRows and a shorter last one', async () => {
    const { bytes, oids } = await binaryCopy(
      client,
      `SELECT i, i::numeric / 8 AS n, 'row ' || i AS t, CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END AS b FROM generate_series(1, 10) AS g(i)`,
    );
    const whole = decodeAll(bytes, oids, 4, bytes.length);
    for (const chunkSize of [1, 3, 7, 19]) {
      const pieces = decodeAll(bytes, oids, 4, chunkSize);
      expect(pieces.map((batch) => batch.rowCount)).toEqual([4, 4, 2]);
      for (let column = 0; column < 4; column++) expect(columnValues(pieces, column)).toEqual(columnValues(whole, column));
    }
    expect(columnValues(whole, 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(columnValues(whole, 1)).toEqual([0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 1.125, 1.25]);
    expect(columnValues(whole, 2)[9]).toBe('row 10');
    expect(columnValues(whole, 3)).toEqual([0, 1, null, 1, 0, null, 0, 1, null, 1]);
    // Batches are fresh arrays: the first is not overwritten by the later ones.
    expect(columnValues(whole.slice(0, 1), 0)).toEqual([1, 2, 3, 4]);
  });

  it('decodes rows longer than the bytes first joined across a chunk boundary, at any chunking', async () => {
    // Rows of up to 11 KB: a cut row is completed from 1 KB of the next chunk, then 4 KB, 16 KB…
    const { bytes, oids } = await binaryCopy(client, `SELECT i, repeat(chr(65 + i), i * 700) AS t, i * 0.5 AS x FROM generate_series(1, 16) AS g(i)`);
    const whole = decodeAll(bytes, oids, 5, bytes.length);
    expect(columnValues(whole, 1).map((text) => (text as string).length)).toEqual(Array.from({ length: 16 }, (_, i) => (i + 1) * 700));
    for (const chunkSize of [1, 2, 699, 1024, 1025, 3000, 5000, 64 * 1024]) {
      const pieces = decodeAll(bytes, oids, 5, chunkSize);
      expect(pieces.map((batch) => batch.rowCount)).toEqual([5, 5, 5, 1]);
      for (let column = 0; column < 3; column++) expect(columnValues(pieces, column)).toEqual(columnValues(whole, column));
    }
  });

  it('hands each text batch its interned codes, the same string by code, and none for a batch with a value it did not intern', async () => {
    // t repeats short values (and NULLs); u's values are longer than the interner keeps, from row 9 on.
    const { bytes, oids } = await binaryCopy(
      client,
      `SELECT CASE WHEN i % 4 = 0 THEN NULL ELSE 'c' || (i % 3) || 'é' END AS t, CASE WHEN i < 9 THEN 'short' ELSE repeat('long', 10) || i END AS u
         FROM generate_series(1, 20) AS g(i) ORDER BY i`,
    );
    for (const chunkSize of [1, 7, 64 * 1024]) {
      const decoder = new BinaryCopyDecoder(oids, 4);
      const coded: boolean[][] = [[], []];
      const check = (batch: RowBatch): void => {
        batch.columns.forEach((data, column) => {
          if (data.kind !== 'text') throw new Error('a text column was expected');
          coded[column]!.push(data.codes !== undefined);
          if (data.codes === undefined) return;
          expect(data.codes.length).toBe(batch.rowCount);
          for (let row = 0; row < batch.rowCount; row++) {
            const value = data.values[row];
            if (value === null) expect(data.codes[row]).toBe(-1);
            else expect(data.dictionary![data.codes[row]!]).toBe(value);
          }
        });
        // Handed back: the next batches are decoded into its arrays, codes included.
        decoder.recycle(batch);
      };
      for (let at = 0; at < bytes.length; at += chunkSize) for (const batch of decoder.push(bytes.subarray(at, at + chunkSize))) check(batch);
      const last = decoder.finish();
      expect(last).toBeNull();
      expect(coded).toEqual([
        [true, true, true, true, true],
        [true, true, false, false, false],
      ]);
    }
  });

  it('decodes the same rows into recycled arrays when each batch is handed back once read', async () => {
    const { bytes, oids } = await binaryCopy(
      client,
      `SELECT i, 'row ' || i AS t, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1.5 END AS x FROM generate_series(1, 23) AS g(i)`,
    );
    const expected = decodeAll(bytes, oids, 4, bytes.length).map((batch) => [0, 1, 2].map((c) => columnValues([batch], c)));
    // Whole data in one chunk (every batch decoded before the first is read) and byte by byte.
    for (const chunkSize of [bytes.length, 1, 50]) {
      const decoder = new BinaryCopyDecoder(oids, 4);
      const read: unknown[] = [];
      for (let at = 0; at < bytes.length; at += chunkSize) {
        for (const batch of decoder.push(bytes.subarray(at, at + chunkSize))) {
          read.push([0, 1, 2].map((c) => columnValues([batch], c)));
          decoder.recycle(batch);
        }
      }
      const last = decoder.finish();
      if (last !== null) read.push([0, 1, 2].map((c) => columnValues([last], c)));
      expect(read).toEqual(expected);
    }
  });

  it('says so when the data ends before its end marker', async () => {
    const { bytes, oids } = await binaryCopy(client, 'SELECT generate_series(1, 3) AS i');
    const decoder = new BinaryCopyDecoder(oids, 10);
    decoder.push(bytes.subarray(0, bytes.length - 5));
    expect(() => decoder.finish()).toThrow(SqlmlError);
  });
});

describe('numeric send format', () => {
  /** A numeric field: digit count, weight, sign, scale, base-10000 digits. */
  function numeric(weight: number, sign: number, scale: number, digits: number[]): Buffer {
    const buffer = Buffer.alloc(8 + 2 * digits.length);
    buffer.writeInt16BE(digits.length, 0);
    buffer.writeInt16BE(weight, 2);
    buffer.writeUInt16BE(sign, 4);
    buffer.writeInt16BE(scale, 6);
    digits.forEach((digit, index) => buffer.writeInt16BE(digit, 8 + 2 * index));
    return buffer;
  }
  const decode = (buffer: Buffer): number => decodeNumeric(buffer, 0, buffer.length);

  it('places the first digit at 10000^weight', () => {
    expect(decode(numeric(0, 0, 2, [12, 3400]))).toBe(12.34);
    expect(decode(numeric(1, 0, 0, [1]))).toBe(10000);
    expect(decode(numeric(2, 0, 0, [5, 0, 1]))).toBe(500000001);
    expect(decode(numeric(-1, 0, 4, [5000]))).toBe(0.5);
    expect(decode(numeric(-2, 0, 8, [1]))).toBe(1e-8);
  });

  it('reads the sign word: negative, NaN and the infinities', () => {
    expect(decode(numeric(0, 0x4000, 1, [7, 5000]))).toBe(-7.5);
    expect(decode(numeric(0, 0xc000, 0, []))).toBeNaN();
    expect(decode(numeric(0, 0xd000, 0, []))).toBe(Infinity);
    expect(decode(numeric(0, 0xf000, 0, []))).toBe(-Infinity);
    expect(decode(numeric(0, 0, 0, []))).toBe(0);
  });

  it('knows which types it decodes in binary', () => {
    expect([16, 20, 21, 23, 25, 700, 701, 1042, 1043, 1082, 1114, 1184, 1700].every(isBinaryDecodable)).toBe(true);
    expect([17, 114, 1007, 2950, 3802].some(isBinaryDecodable)).toBe(false);
  });
});
