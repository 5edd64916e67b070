/**
 * A row's RowRole in SQL (split-sql.ts roleSql, with validationHashSql and
 * occurrenceSql) equals the stream's: a property test against src/learn/split.ts roleOf
 * over random hashes, occurrences and fractions (evaluated by DuckDB), and on real data
 * in every database, the roles the stream's RowSplitter gives each content's copies
 * (train, validation, held out: how many of each) are the roles SQL gives them.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import type { RowBatch } from '../../src/data.js';
import { CONTENT_HASH_COLUMN, contentHashSql, occurrenceSql, roleSql, validationHashSql } from '../../src/engine/split-sql.js';
import { roleOf, RowRole, RowSplitter, type SplitSpec } from '../../src/learn/split.js';
import { serverTargets } from '../helpers/servers.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

describe('roleSql against roleOf', () => {
  let duck: Adapter;
  beforeAll(async () => {
    duck = await openAdapter('duckdb::memory:');
  });
  afterAll(async () => {
    await duck.close();
  });

  it('gives every (hash, occurrence) the role roleOf gives it, for any fractions', async () => {
    const fraction = fc.oneof(fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.constantFrom(0.5, 0.7, 0.9, 0.1));
    await fc.assert(
      fc.asyncProperty(
        fc.option(fraction, { nil: null }),
        fc.oneof(fc.constant(0), fraction),
        fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff)), fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 5_000_000 }))), { minLength: 1, maxLength: 60 }),
        async (trainFraction, validationFraction, rows) => {
          const spec: SplitSpec = { trainFraction, validationFraction, seed: 1 };
          const values = rows.map(([h, k], i) => `(${i}, CAST(${h} AS BIGINT), CAST(${k} AS BIGINT))`).join(', ');
          const inner = `(SELECT i, h, k, ${validationHashSql(duck.sql.split, 'h')} AS vh FROM (VALUES ${values}) AS t(i, h, k)) AS l`;
          const result = await duck.query(`SELECT i, ${roleSql({ contentHash: 'h', validationHash: 'vh', occurrence: 'k' }, spec)} AS role FROM ${inner} ORDER BY i`);
          const got = result.rows.map((row) => Number(row[1]));
          expect(got).toEqual(rows.map(([h, k]) => roleOf(h, spec, k)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is not vacuous: the validation carve-out and the held-out test both fire', async () => {
    const spec: SplitSpec = { trainFraction: 0.7, validationFraction: 0.2, seed: 1 };
    const roles = await duck.query(
      `SELECT ${roleSql({ contentHash: 'h', validationHash: 'vh', occurrence: 'k' }, spec)} AS role, COUNT(*) FROM (SELECT h, k, ${validationHashSql(duck.sql.split, 'h')} AS vh FROM (SELECT (i * 2654435761) % 4294967296 AS h, i % 3 AS k FROM range(0, 20000) t(i))) GROUP BY role ORDER BY role`,
    );
    const counts = Object.fromEntries(roles.rows.map((row) => [Number(row[0]), Number(row[1])]));
    expect(counts[RowRole.Holdout]! / 20000).toBeCloseTo(0.3, 1);
    expect(counts[RowRole.Validation]! / 20000).toBeCloseTo(0.14, 1);
  });
});

const bankFile = sharedDataFile('bank_additional_full.csv');
const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];
const SPEC: SplitSpec = { trainFraction: 0.7, validationFraction: 0.1, seed: 11 };
/** Few columns, so many rows share a content and the occurrences reach the dozens. */
const COLUMNS = ['job', 'marital', 'education', 'housing', 'y'] as const;

describe.skipIf(bankFile === null).each(TARGETS)('the roles on real data in $label', ({ url }) => {
  let reader: Adapter;
  let adapter: Adapter;
  const table = `roles_bank_${process.pid.toString(36)}`;
  beforeAll(async () => {
    reader = await openAdapter('duckdb::memory:');
    // Every 3rd row, y NULL in every 17th: skipped rows are not counted as occurrences.
    await reader.query(
      `CREATE TABLE bank AS SELECT job, marital, education, housing, CASE WHEN n % 17 = 0 THEN NULL ELSE y END AS y FROM (SELECT *, row_number() OVER () AS n FROM read_csv(${sqlString(bankFile!)})) WHERE n % 3 = 0`,
    );
    adapter = await openAdapter(url);
    const stream = await reader.openStream('SELECT * FROM bank', { batchRows: 4096 });
    await adapter.write({ name: table }, stream.columns, stream.batches(), 'replace');
  }, 120_000);
  afterAll(async () => {
    await adapter?.query(`DROP TABLE IF EXISTS ${adapter.sql.quoteIdent(table)}`).catch(() => undefined);
    await adapter?.close();
    await reader?.close();
  });

  it("gives each content's copies the stream's roles, as many of each", async () => {
    const q = (name: string): string => adapter.sql.quoteIdent(name);
    const source = `SELECT ${COLUMNS.map(q).join(', ')} FROM ${q(table)}`;
    const stream = await adapter.openStream(source, { batchRows: 1000 });
    const types = stream.columns.map((column) => column.type);
    const splitter = new RowSplitter(SPEC);
    const roles = new Uint8Array(1000);
    const streamed = new Map<string, number>();
    for await (const batch of stream.batches()) {
      splitter.assign(batch, COLUMNS.length - 1, roles);
      for (let row = 0; row < batch.rowCount; row++) {
        if (roles[row] === RowRole.Skip) continue;
        const key = `${contentOf(batch, row)}#${roles[row]}`;
        streamed.set(key, (streamed.get(key) ?? 0) + 1);
      }
    }
    const dialect = adapter.sql.split;
    const hashed = contentHashSql(dialect, `(${source})`, COLUMNS.map((name, c) => ({ sql: q(name), type: types[c]! })), SPEC.seed);
    const withValidation = `(SELECT h.*, ${validationHashSql(dialect, `h.${CONTENT_HASH_COLUMN}`)} AS sqlml_vh FROM (${hashed}) h WHERE h.${q('y')} IS NOT NULL) v`;
    const withOccurrence = `(SELECT v.*, ${occurrenceSql(COLUMNS.map((name, c) => dialect.partitionKey(q(name), types[c]!)))} AS sqlml_k FROM ${withValidation}) o`;
    const role = roleSql({ contentHash: CONTENT_HASH_COLUMN, validationHash: 'sqlml_vh', occurrence: 'sqlml_k' }, SPEC);
    const inSql = await adapter.openStream(`SELECT ${COLUMNS.map(q).join(', ')}, ${role} AS sqlml_role FROM ${withOccurrence}`, { batchRows: 1000 });
    const counted = new Map<string, number>();
    for await (const batch of inSql.batches()) {
      const roleColumn = batch.columns[COLUMNS.length]!;
      if (roleColumn.kind !== 'number') throw new Error('the role is a number');
      for (let row = 0; row < batch.rowCount; row++) {
        const key = `${contentOf(batch, row)}#${roleColumn.values[row]}`;
        counted.set(key, (counted.get(key) ?? 0) + 1);
      }
    }
    expect(new Map([...counted].sort())).toEqual(new Map([...streamed].sort()));
    // Not vacuous: every role occurs, and contents repeat (the occurrences matter).
    const perRole = [0, 0, 0];
    for (const [key, n] of streamed) perRole[Number(key.split('#')[1])]! += n;
    expect(perRole.every((n) => n > 500)).toBe(true);
    expect(streamed.size).toBeLessThan(perRole[0]! / 2);
  }, 120_000);
});

/** The first COLUMNS.length cells of a row, as text that tells contents apart. */
function contentOf(batch: RowBatch, row: number): string {
  return JSON.stringify(batch.columns.slice(0, COLUMNS.length).map((data) => (data.kind === 'text' ? data.values[row] : data.nulls[row] === 1 ? null : data.values[row])));
}

