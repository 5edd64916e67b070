/**
 * The behaviour every adapter owes the engine, run against every database in TARGETS.
 * An adapter joins with its URL in test/helpers/servers.ts and a DialectFixture (the
 * little SQL that differs between databases) in test/adapters/fixtures/; the assertions
 * are shared.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, DialectName, TableRef } from '../../adapters/adapter.js';
import { DEFAULT_DATABASE_URL, openAdapter } from '../../adapters/registry.js';
import { openCatalogDb, type CatalogDb } from '../../src/catalog/catalog-db.js';
import { catalogDdl } from '../../src/catalog/ddl.js';
import type { CatalogDatabase } from '../../src/catalog/schema.js';
import { ModelStore, type NewModelVersion } from '../../src/catalog/model-store.js';
import { valueAt, isNumberType, type Column, type ColumnData, type ColumnType, type RowBatch, type Value } from '../../src/data.js';
import { SqlmlError } from '../../src/errors.js';
import { dayOfWeekOf, hourOf, monthOf, yearOf } from '../../src/learn/profile.js';
import { plainDecimal, type DatePart, type FunctionSpelling, type SqlFunction } from '../../adapters/dialect.js';
import { trickyText } from '../helpers/tricky-text.js';
import { doubleLiteral } from '../../src/compile/sql-values.js';
import { lowerPairs, probeLetters } from '../../adapters/lower-probe.js';
import { characterClass, PUNCTUATION_CLASS, WHITESPACE_CLASS } from '../../src/compile/text-cleaning.js';

import { duckdbFixture } from './fixtures/duckdb.js';
import type { DialectFixture } from './fixtures/fixture.js';
import { serverFixtures } from './fixtures/servers.js';
import { serverTargets } from '../helpers/servers.js';

/** DROP without a job check or function drops: the store's own rows only. */
const NO_JOBS_CHECK = { refuse: (): void => undefined, dropFunction: null };

const scratch = mkdtempSync(join(tmpdir(), 'sqlml-conformance-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const TARGETS: readonly { readonly label: string; readonly url: string }[] = [
  { label: 'duckdb (memory)', url: 'duckdb::memory:' },
  { label: 'duckdb (file)', url: `duckdb:${join(scratch, 'conformance.duckdb')}` },
  ...(await serverTargets()),
];

const FIXTURES: Partial<Record<DialectName, DialectFixture>> = {
  duckdb: duckdbFixture,
  ...serverFixtures,
};

/** Rows read through a stream, as `valueAt` gives them. */
async function readAll(adapter: Adapter, select: string, batchRows = 1000, reuseBatches = false): Promise<{ columns: readonly Column[]; rows: Value[][] }> {
  const stream = await adapter.openStream(select, { batchRows, reuseBatches });
  const rows: Value[][] = [];
  for await (const batch of stream.batches()) {
    for (let row = 0; row < batch.rowCount; row++) rows.push(stream.columns.map((column, c) => valueAt(column, batch.columns[c]!, row)));
  }
  return { columns: stream.columns, rows };
}

/** A batch from rows of plain values: booleans as 0/1, dates and timestamps as epoch milliseconds. */
function toBatch(columns: readonly Column[], rows: readonly (readonly (Value | undefined)[])[]): RowBatch {
  const data = columns.map((column, c): ColumnData => {
    if (!isNumberType(column.type)) return { kind: 'text', values: rows.map((row) => (row[c] ?? null) as string | null) };
    const values = new Float64Array(rows.length);
    const nulls = new Uint8Array(rows.length);
    rows.forEach((row, r) => {
      const value = row[c] ?? null;
      if (value === null) nulls[r] = 1;
      else values[r] = Number(value); // true → 1, false → 0
    });
    return { kind: 'number', values, nulls };
  });
  return { rowCount: rows.length, columns: data };
}

async function* batchesOf(columns: readonly Column[], batches: readonly (readonly (readonly Value[])[])[], failAfter?: number): AsyncGenerator<RowBatch> {
  for (let index = 0; index < batches.length; index++) {
    if (failAfter !== undefined && index === failAfter) throw new Error(`source failed after ${failAfter} batches`);
    yield toBatch(columns, batches[index]!);
  }
  if (failAfter !== undefined && failAfter >= batches.length) throw new Error(`source failed after ${failAfter} batches`);
}

/** A column sqlml makes itself: no database spelling, so write() gives it the dialect's type for `type`. */
function column(name: string, type: ColumnType): Column {
  return { name, type, dbType: '' };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Distinguishes the targets of one run in the tags of the objects they create. */
let targetCounter = 0;

describe.each(TARGETS)('$label', ({ url }) => {
  let adapter: Adapter;
  let fixture: DialectFixture;
  let q: (name: string) => string;
  let tableCounter = 0;
  // Server databases outlive a run and two targets can share one server (postgres and its
  // cursor path): names carry a tag unique to this run and target, and tables are dropped after.
  const runTag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${(++targetCounter).toString(36)}`;
  const created: TableRef[] = [];
  /** A fresh table name per test, so tests never see each other's tables. */
  const fresh = (stem: string): TableRef => {
    const table = { name: `conf_${stem}_${runTag}_${++tableCounter}` };
    created.push(table);
    return table;
  };

  beforeAll(async () => {
    adapter = await openAdapter(url);
    const found = FIXTURES[adapter.sql.name];
    if (!found) throw new Error(`no conformance fixture for dialect ${adapter.sql.name}: add one to FIXTURES`);
    fixture = found;
    q = (name) => adapter.sql.quoteIdent(name);
  });

  afterAll(async () => {
    for (const table of created) await adapter?.query(`DROP TABLE IF EXISTS ${adapter.sql.quoteTable(table)}`).catch(() => undefined);
    await adapter?.close();
  });

  /** The integers in scan order, failing after 90% of them; `lateAfter()` is the last good one. */
  const lateAfter = (): number => Math.floor(fixture.lateFailure.rows * 0.9);
  const lateFailing = async (): Promise<string> => {
    for (const statement of fixture.lateFailure.setup) await adapter.query(statement);
    return `SELECT ${fixture.lateFailure.expression(q('i'), lateAfter())} AS ${q('i')} FROM (${fixture.range(fixture.lateFailure.rows)}) AS src`;
  };

  /** Reads the late-failing query to its end: the rows and batches delivered, and how it ended. */
  const readLateFailure = async (batchRows: number, reuseBatches: boolean): Promise<{ rows: number; batches: number; error: unknown }> => {
    const stream = await adapter.openStream(await lateFailing(), { batchRows, reuseBatches });
    let rows = 0;
    let batches = 0;
    const error = await rejection(
      (async () => {
        for await (const batch of stream.batches()) {
          rows += batch.rowCount;
          batches++;
        }
      })(),
    );
    return { rows, batches, error };
  };

  describe(`types`, () => {
    it('streams every type with its sqlml column type and values, NULLs included', async () => {
      const table = adapter.sql.quoteTable(fresh('types'));
      await adapter.query(`CREATE TABLE ${table} (${fixture.typeColumns.map((c) => `${q(c.name)} ${c.sqlType}`).join(', ')})`);
      await adapter.query(`INSERT INTO ${table} VALUES ${fixture.typeRows.join(', ')}`);
      const { columns, rows } = await readAll(adapter, `SELECT * FROM ${table} ORDER BY ${q('id')}`);
      expect(columns.map((c) => [c.name, c.type])).toEqual(fixture.typeColumns.map((c) => [c.name, c.type]));
      expect(rows).toEqual(fixture.typeValues);
    });

    it('returns the same values from a pass-through SELECT', async () => {
      const table = adapter.sql.quoteTable(fresh('types'));
      await adapter.query(`CREATE TABLE ${table} (${fixture.typeColumns.map((c) => `${q(c.name)} ${c.sqlType}`).join(', ')})`);
      await adapter.query(`INSERT INTO ${table} VALUES ${fixture.typeRows.join(', ')}`);
      const result = await adapter.query(`SELECT * FROM ${table} ORDER BY ${q('id')}`);
      expect(result.command).toBe('SELECT');
      expect(result.columns).toEqual(fixture.typeColumns.map((c) => ({ name: c.name, type: c.type })));
      expect(result.rows).toEqual(fixture.typeValues);
    });

    it('writes streamed rows back with write() and reads them again unchanged', async () => {
      const source = adapter.sql.quoteTable(fresh('types'));
      await adapter.query(`CREATE TABLE ${source} (${fixture.typeColumns.map((c) => `${q(c.name)} ${c.sqlType}`).join(', ')})`);
      await adapter.query(`INSERT INTO ${source} VALUES ${fixture.typeRows.join(', ')}`);
      const copy = fresh('copy');
      const stream = await adapter.openStream(`SELECT * FROM ${source} ORDER BY ${q('id')}`, { batchRows: 2 });
      expect(await adapter.write(copy, stream.columns, stream.batches(), 'replace')).toBe(3);
      const { columns, rows } = await readAll(adapter, `SELECT * FROM ${adapter.sql.quoteTable(copy)} ORDER BY ${q('id')}`);
      // write() keeps numbers in their own types (a decimal stays a decimal) and creates `other` as text; the values survive.
      const written = fixture.typeColumns.map((c) => (c.type === 'other' ? 'text' : c.type));
      expect(columns.map((c) => c.type)).toEqual(written);
      expect(rows).toEqual(fixture.typeValues);
    });
  });

  describe('streaming', () => {
    it('streams 300k generated rows in batches of at most 4096 with the right total', async () => {
      const n = 300_000;
      const stream = await adapter.openStream(fixture.range(n), { batchRows: 4096 });
      expect(stream.columns.map((c) => c.name)).toEqual(['i']);
      let rows = 0;
      let sum = 0;
      let batches = 0;
      let first: RowBatch | undefined;
      for await (const batch of stream.batches()) {
        expect(batch.rowCount).toBeGreaterThan(0);
        expect(batch.rowCount).toBeLessThanOrEqual(4096);
        const data = batch.columns[0]!;
        if (data.kind !== 'number') throw new Error('range values must be numbers');
        for (let row = 0; row < batch.rowCount; row++) sum += data.values[row]!;
        rows += batch.rowCount;
        batches++;
        first ??= batch;
      }
      expect(rows).toBe(n);
      expect(sum).toBe((n * (n - 1)) / 2);
      expect(batches).toBe(Math.ceil(n / 4096));
      // The consumer may keep a batch: later batches must not overwrite it.
      const kept = first!.columns[0]!;
      expect(kept.kind === 'number' && Array.from(kept.values.subarray(0, 3))).toEqual([0, 1, 2]);
      expect(kept.kind === 'number' && kept.values[4095]).toBe(4095);
    });

    it('reads the same rows when the consumer lets it reuse batch arrays (reuseBatches), text and NULLs included', async () => {
      const source = adapter.sql.quoteTable(fresh('reuse'));
      await adapter.query(`CREATE TABLE ${source} (${fixture.typeColumns.map((c) => `${q(c.name)} ${c.sqlType}`).join(', ')})`);
      await adapter.query(`INSERT INTO ${source} VALUES ${fixture.typeRows.join(', ')}`);
      const select = `SELECT * FROM ${source} ORDER BY ${q('id')}`;
      // Batches of 2 over 3 rows: a reused full batch, then a short last one.
      expect((await readAll(adapter, select, 2, true)).rows).toEqual((await readAll(adapter, select, 2)).rows);
      const range = `SELECT * FROM (${fixture.range(10_000)}) AS src ORDER BY i`;
      expect((await readAll(adapter, range, 1000, true)).rows).toEqual((await readAll(adapter, range, 1000)).rows);
    });

    it('knows the columns before the first batch and yields no batch for an empty result', async () => {
      const stream = await adapter.openStream(`SELECT * FROM (${fixture.range(10)}) AS src WHERE i < 0`, { batchRows: 100 });
      expect(stream.columns.map((c) => c.name)).toEqual(['i']);
      const seen: RowBatch[] = [];
      for await (const batch of stream.batches()) seen.push(batch);
      expect(seen).toEqual([]);
    });

    it('cancels mid-stream when the signal aborts, and stays usable', async () => {
      const controller = new AbortController();
      const stream = await adapter.openStream(fixture.range(100_000_000), { batchRows: 1000, signal: controller.signal });
      let batches = 0;
      const error = await rejection(
        (async () => {
          for await (const batch of stream.batches()) {
            expect(batch.rowCount).toBe(1000);
            if (++batches === 2) controller.abort();
          }
        })(),
      );
      expect(error).toBeInstanceOf(SqlmlError);
      expect((error as SqlmlError).code).toBe('cancelled');
      expect(batches).toBe(2);
      expect((await adapter.query('SELECT 1 AS one')).rows).toEqual([[1]]);
    });

    it('cancels a query still computing its first row', async () => {
      const controller = new AbortController();
      const started = performance.now();
      setTimeout(() => controller.abort(), 150);
      const error = await rejection(
        (async () => {
          const stream = await adapter.openStream(fixture.slowQuery, { batchRows: 10, signal: controller.signal });
          for await (const _ of stream.batches());
        })(),
      );
      expect((error as SqlmlError).code).toBe('cancelled');
      expect(performance.now() - started).toBeLessThan(5000);
      expect((await adapter.query('SELECT 2 AS two')).rows).toEqual([[2]]);
    });

    it('cancels while the next batch is being fetched', async () => {
      const controller = new AbortController();
      const stream = await adapter.openStream(fixture.range(100_000_000), { batchRows: 1000, signal: controller.signal });
      const error = await rejection(
        (async () => {
          for await (const _ of stream.batches()) setImmediate(() => controller.abort());
        })(),
      );
      expect((error as SqlmlError).code).toBe('cancelled');
      expect((await adapter.query('SELECT 6 AS six')).rows).toEqual([[6]]);
    });

    it('refuses to start with an already aborted signal', async () => {
      const error = await rejection(adapter.openStream(fixture.range(10), { batchRows: 10, signal: AbortSignal.abort() }));
      expect((error as SqlmlError).code).toBe('cancelled');
    });

    it('releases the cursor when the consumer stops early', async () => {
      const stream = await adapter.openStream(fixture.range(1_000_000), { batchRows: 500 });
      for await (const batch of stream.batches()) {
        expect(batch.rowCount).toBe(500);
        break;
      }
      await stream.close();
      expect((await adapter.query('SELECT 3 AS three')).rows).toEqual([[3]]);
    });

    it('reports a failing query as a database error', async () => {
      const error = await rejection(adapter.openStream('SELECT * FROM conf_no_such_table', { batchRows: 10 }));
      expect(error).toBeInstanceOf(SqlmlError);
      expect((error as SqlmlError).code).toBe('database');
      expect((error as Error).message).toMatch(/conf_no_such_table/);
    });

    it("ends a stream whose query fails on a late row with the database's error, after the rows before it", async () => {
      const { rows, batches, error } = await readLateFailure(4096, false);
      // Several batches came before the failure, so it was reported mid-stream.
      expect(batches).toBeGreaterThanOrEqual(2);
      expect(rows).toBeLessThanOrEqual(lateAfter() + 1);
      expect(error).toBeInstanceOf(SqlmlError);
      expect((error as SqlmlError).code).toBe('database');
      expect((error as Error).message).toMatch(fixture.lateFailure.message);
      expect((await adapter.query('SELECT 7 AS seven')).rows).toEqual([[7]]);
    });

    it('ends a late-failing stream with the error when the consumer lets it reuse batch arrays', async () => {
      const { batches, error } = await readLateFailure(1000, true);
      expect(batches).toBeGreaterThanOrEqual(2);
      expect((error as SqlmlError).code).toBe('database');
      expect((error as Error).message).toMatch(fixture.lateFailure.message);
    });
  });

  describe('pass-through statements', () => {
    it('runs DDL, INSERT, UPDATE, DELETE and SELECT with their command tags and counts', async () => {
      const table = adapter.sql.quoteTable(fresh('pass'));
      expect(await adapter.query(`CREATE TABLE ${table} (id INTEGER, name VARCHAR(20))`)).toMatchObject({ command: 'CREATE TABLE', rows: [] });
      expect(await adapter.query(`INSERT INTO ${table} VALUES (1, 'a'), (2, 'b'), (3, 'c')`)).toMatchObject({ command: 'INSERT', rowsAffected: 3 });
      expect(await adapter.query(`UPDATE ${table} SET name = 'z' WHERE id >= 2`)).toMatchObject({ command: 'UPDATE', rowsAffected: 2 });
      expect(await adapter.query(`DELETE FROM ${table} WHERE id = 1`)).toMatchObject({ command: 'DELETE', rowsAffected: 1 });
      expect(await adapter.query(`SELECT id, name FROM ${table} ORDER BY id`)).toEqual({
        command: 'SELECT',
        columns: [
          { name: 'id', type: 'integer' },
          { name: 'name', type: 'text' },
        ],
        rows: [
          [2, 'z'],
          [3, 'z'],
        ],
      });
      expect(await adapter.query(`/* leading comment */ WITH t AS (SELECT 1 AS x) SELECT x FROM t`)).toMatchObject({ command: 'SELECT', rows: [[1]] });
      expect(await adapter.query(`DROP TABLE ${table}`)).toMatchObject({ command: 'DROP TABLE', rows: [] });
    });

    it("reports a failing statement with the database's message and stays usable", async () => {
      const missing = await rejection(adapter.query('SELECT * FROM conf_missing_table'));
      expect(missing).toBeInstanceOf(SqlmlError);
      expect((missing as SqlmlError).code).toBe('database');
      expect((missing as Error).message).toMatch(/conf_missing_table/);
      const syntax = await rejection(adapter.query('SELEC 1'));
      expect((syntax as SqlmlError).code).toBe('database');
      expect((syntax as Error).message).toMatch(/SELEC/);
      expect((await adapter.query('SELECT 4 AS four')).rows).toEqual([[4]]);
    });

    it("fails a SELECT that fails on a late row with the database's error, not with the rows before it", async () => {
      const error = await rejection(adapter.query(await lateFailing()));
      expect(error).toBeInstanceOf(SqlmlError);
      expect((error as SqlmlError).code).toBe('database');
      expect((error as Error).message).toMatch(fixture.lateFailure.message);
      expect((await adapter.query('SELECT 8 AS eight')).rows).toEqual([[8]]);
    });
  });

  describe('identifiers', () => {
    it('quotes reserved words and embedded quotes so they work in a real table', async () => {
      const table: TableRef = { name: `default` };
      const weird = `we"ird 'col`;
      await adapter.query(`DROP TABLE IF EXISTS ${adapter.sql.quoteTable(table)}`);
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} (${q('select')} INTEGER, ${q(weird)} VARCHAR(20))`);
      const columns = [column('select', 'integer'), column(weird, 'text')];
      expect(await adapter.write(table, columns, batchesOf(columns, [[[7, 'x"y']]]), 'append')).toBe(1);
      const result = await adapter.query(`SELECT ${q('select')}, ${q(weird)} FROM ${adapter.sql.quoteTable(table)}`);
      expect(result.columns.map((c) => c.name)).toEqual(['select', weird]);
      expect(result.rows).toEqual([[7, 'x"y']]);
      expect(await adapter.tableExists(table)).toBe(true);
      await adapter.query(`DROP TABLE ${adapter.sql.quoteTable(table)}`);
    });

    it('tells whether a table exists, unqualified or in the default schema', async () => {
      const table = fresh('exists');
      expect(await adapter.tableExists(table)).toBe(false);
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} (x INTEGER)`);
      expect(await adapter.tableExists(table)).toBe(true);
      expect(await adapter.tableExists({ schema: fixture.defaultSchema, name: table.name })).toBe(true);
      expect(await adapter.tableExists({ schema: 'conf_no_such_schema', name: table.name })).toBe(false);
    });
  });

  describe('write', () => {
    const scored = [column('id', 'integer'), column('label', 'text'), column('score', 'double'), column('day', 'date'), column('ok', 'boolean')];
    const day = Date.UTC(2024, 4, 1);
    const firstRows: Value[][][] = [
      [
        [1, 'a', 0.5, day, true],
        [2, null, null, null, null],
      ],
      [[3, 'c', -1.25, day + 86_400_000, false]],
      [[4, 'd', 2, day, true]],
    ];

    async function contents(table: TableRef): Promise<Value[][]> {
      return (await adapter.query(`SELECT * FROM ${adapter.sql.quoteTable(table)} ORDER BY 1`)).rows.map((row) => [...row]);
    }

    it('creates a missing table from the columns and returns the rows written', async () => {
      const table = fresh('new');
      expect(await adapter.write(table, scored, batchesOf(scored, firstRows), 'replace')).toBe(4);
      const { columns, rows } = await readAll(adapter, `SELECT * FROM ${adapter.sql.quoteTable(table)} ORDER BY 1`);
      expect(columns.map((c) => [c.name, c.type])).toEqual(scored.map((c) => [c.name, c.type]));
      expect(rows).toEqual([
        [1, 'a', 0.5, '2024-05-01', true],
        [2, null, null, null, null],
        [3, 'c', -1.25, '2024-05-02', false],
        [4, 'd', 2, '2024-05-01', true],
      ]);
    });

    it('replaces the rows of an existing table, keeping the table and its columns', async () => {
      const table = fresh('replace');
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(10), score DOUBLE PRECISION)`);
      await adapter.query(`INSERT INTO ${adapter.sql.quoteTable(table)} VALUES (1, 'old', 0.25), (2, 'old', 0.5)`);
      const next = [column('score', 'double'), column('id', 'integer')];
      expect(await adapter.write(table, next, batchesOf(next, [[[1.5, 10]]]), 'replace')).toBe(1);
      const result = await adapter.query(`SELECT * FROM ${adapter.sql.quoteTable(table)}`);
      expect(result.columns.map((c) => c.name)).toEqual(['id', 'label', 'score']);
      expect(result.rows).toEqual([[10, null, 1.5]]);
      // Still the same table: its primary key refuses a duplicate.
      await expect(adapter.query(`INSERT INTO ${adapter.sql.quoteTable(table)} VALUES (10, 'dup', 0)`)).rejects.toThrow();
    });

    it('describes an existing table: its own id and its columns', async () => {
      const table = fresh('described');
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(50) NOT NULL, plan VARCHAR(10), n INTEGER DEFAULT 0)`);
      const described = await adapter.describeTable(table);
      expect(described?.columns).toEqual(['id', 'email', 'plan', 'n']);
      const other = fresh('described_other');
      expect(await adapter.describeTable(other)).toBeUndefined();
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(other)} (id INTEGER)`);
      expect((await adapter.describeTable(other))?.id).not.toBe(described?.id);
      expect((await adapter.describeTable(table))?.id).toBe(described?.id);
    });

    it("lists the foreign keys of other tables that reference a table, once each, leaving out the table's own", async () => {
      // Named child first: the tables are dropped in the order they were named.
      const child = fresh('referencing');
      const parent = fresh('referenced');
      const [p, c] = [adapter.sql.quoteTable(parent), adapter.sql.quoteTable(child)];
      await adapter.query(`CREATE TABLE ${p} (id INTEGER NOT NULL, part INTEGER NOT NULL, up INTEGER, PRIMARY KEY (id, part), UNIQUE (id))`);
      if (fixture.foreignKeys.addedByAlterTable) await adapter.query(`ALTER TABLE ${p} ADD CONSTRAINT ${adapter.sql.quoteIdent(`${parent.name}_self`)} FOREIGN KEY (up) REFERENCES ${p} (id)`);
      expect((await adapter.describeTable(parent))?.referencedBy).toEqual([]);
      const given = `${child.name}_fk`;
      await adapter.query(`CREATE TABLE ${c} (n INTEGER, pid INTEGER, ppart INTEGER, CONSTRAINT ${adapter.sql.quoteIdent(given)} FOREIGN KEY (pid, ppart) REFERENCES ${p} (id, part))`);
      const [reference, ...more] = (await adapter.describeTable(parent))?.referencedBy ?? [];
      expect(more).toEqual([]);
      expect(reference?.table).toBe(child.name);
      // DuckDB ignores a foreign key's given name and makes its own.
      if (fixture.foreignKeys.keepsGivenNames) expect(reference?.constraint).toBe(given);
      else expect(reference?.constraint).toMatch(new RegExp(`^${child.name}_.*fkey$`));
      expect((await adapter.describeTable(child))?.referencedBy).toEqual([]);
    });

    it('appends by column name, in any order, with NULL for columns not given', async () => {
      const table = fresh('append');
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} (id INTEGER, label VARCHAR(10), score DOUBLE PRECISION)`);
      await adapter.query(`INSERT INTO ${adapter.sql.quoteTable(table)} VALUES (1, 'old', 0.25)`);
      const given = [column('score', 'double'), column('id', 'integer')];
      expect(await adapter.write(table, given, batchesOf(given, [[[9.5, 2]], [[-1, 3]]]), 'append')).toBe(2);
      expect(await contents(table)).toEqual([
        [1, 'old', 0.25],
        [2, null, 9.5],
        [3, null, -1],
      ]);
    });

    it('refuses to append a column the table lacks, naming it, and leaves the table alone', async () => {
      const table = fresh('append_bad');
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} (id INTEGER)`);
      await adapter.query(`INSERT INTO ${adapter.sql.quoteTable(table)} VALUES (1)`);
      const given = [column('id', 'integer'), column('surprise', 'double')];
      const error = await rejection(adapter.write(table, given, batchesOf(given, [[[2, 1]]]), 'append'));
      expect((error as SqlmlError).code).toBe('bad_column');
      expect((error as Error).message).toMatch(/surprise/);
      expect(await contents(table)).toEqual([[1]]);
    });

    // Large batches: some databases' bulk writers (DuckDB's appender) flush on their own
    // after ~200k rows, so only the transaction can undo what came before the failure.
    const bulk = [column('id', 'integer'), column('score', 'double')];
    const BULK_ROWS = 120_000;
    /** `batches` batches of BULK_ROWS rows, then the source fails if `fail`. */
    async function* bulkRows(batches: number, fail: boolean): AsyncGenerator<RowBatch> {
      for (let index = 0; index < batches; index++) {
        const ids = new Float64Array(BULK_ROWS).map((_, row) => index * BULK_ROWS + row);
        const scores = ids.map((id) => id / 2);
        yield {
          rowCount: BULK_ROWS,
          columns: [
            { kind: 'number', values: ids, nulls: new Uint8Array(BULK_ROWS) },
            { kind: 'number', values: scores, nulls: new Uint8Array(BULK_ROWS) },
          ],
        };
      }
      if (fail) throw new Error(`source failed after ${batches} batches`);
    }

    it('leaves a replaced table exactly as it was when the rows fail part-way', async () => {
      const table = fresh('atomic_replace');
      await adapter.write(table, scored, batchesOf(scored, firstRows), 'replace');
      const before = await contents(table);
      const failure = await rejection(adapter.write(table, bulk, bulkRows(2, true), 'replace'));
      expect((failure as Error).message).toBe('source failed after 2 batches');
      expect(await contents(table)).toEqual(before);
      expect((await adapter.query(`SELECT * FROM ${adapter.sql.quoteTable(table)}`)).columns.map((c) => c.name)).toEqual(scored.map((c) => c.name));
    });

    // MyISAM cannot roll back: the rows must not go straight into it.
    it.runIf(url.startsWith('mysql'))('leaves a replaced MyISAM table exactly as it was when the rows fail part-way', async () => {
      const table = fresh('atomic_myisam');
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} (id INTEGER, score DOUBLE PRECISION) ENGINE = MyISAM`);
      await adapter.query(`INSERT INTO ${adapter.sql.quoteTable(table)} VALUES (-1, 0.5)`);
      const failure = await rejection(adapter.write(table, bulk, bulkRows(2, true), 'replace'));
      expect((failure as Error).message).toBe('source failed after 2 batches');
      expect(await contents(table)).toEqual([[-1, 0.5]]);
      expect(await adapter.write(table, bulk, bulkRows(1, false), 'replace')).toBe(BULK_ROWS);
      expect((await adapter.query(`SELECT count(*) FROM ${adapter.sql.quoteTable(table)}`)).rows).toEqual([[BULK_ROWS]]);
    });

    it('leaves an appended table exactly as it was when the rows fail part-way', async () => {
      const table = fresh('atomic_append');
      await adapter.write(table, bulk, batchesOf(bulk, [[[-1, 0.5]]]), 'replace');
      const failure = await rejection(adapter.write(table, bulk, bulkRows(2, true), 'append'));
      expect((failure as Error).message).toBe('source failed after 2 batches');
      expect(await contents(table)).toEqual([[-1, 0.5]]);
    });

    it('creates no table when the rows for a new table fail part-way', async () => {
      const table = fresh('atomic_new');
      const failure = await rejection(adapter.write(table, bulk, bulkRows(2, true), 'replace'));
      expect((failure as Error).message).toBe('source failed after 2 batches');
      expect(await adapter.tableExists(table)).toBe(false);
    });

    it('passes the source error through unchanged when small batches fail part-way', async () => {
      const table = fresh('atomic_small');
      const failure = await rejection(adapter.write(table, scored, batchesOf(scored, firstRows, 2), 'replace'));
      expect((failure as Error).message).toBe('source failed after 2 batches');
      expect(failure).not.toBeInstanceOf(SqlmlError);
      expect(await adapter.tableExists(table)).toBe(false);
    });

    it('never lets a statement run during a write see half of it', async () => {
      const table = fresh('concurrent');
      await adapter.write(table, bulk, batchesOf(bulk, [[[-1, 0]]]), 'replace');
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let paused!: () => void;
      const midway = new Promise<void>((resolve) => (paused = resolve));
      async function* pausingRows(): AsyncGenerator<RowBatch> {
        // Big enough for bulk writers that flush on their own to have written it already.
        yield* bulkRows(2, false);
        paused();
        await gate;
      }
      const writing = adapter.write(table, bulk, pausingRows(), 'append');
      await midway;
      const counting = adapter.query(`SELECT count(*) AS n FROM ${adapter.sql.quoteTable(table)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      open();
      expect(await writing).toBe(2 * BULK_ROWS);
      // Before the write (1 row) or after it, never what it had written so far.
      expect([[[1]], [[1 + 2 * BULK_ROWS]]]).toContainEqual((await counting).rows);
    });

    // Servers only: another session is what a dashboard reading the table during a PREDICT … INTO is.
    it.runIf(!url.startsWith('duckdb'))('lets another session read the old rows, without waiting, while a replace is part-way', async () => {
      const table = fresh('replace_visible');
      await adapter.write(table, bulk, batchesOf(bulk, [[[-1, 0], [-2, 0]]]), 'replace');
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let paused!: () => void;
      const midway = new Promise<void>((resolve) => (paused = resolve));
      async function* pausingRows(): AsyncGenerator<RowBatch> {
        yield* bulkRows(2, false);
        paused();
        await gate;
      }
      const reader = await openAdapter(url);
      try {
        const writing = adapter.write(table, bulk, pausingRows(), 'replace');
        // A write that fails before the pause fails the test, rather than leave it waiting.
        await Promise.race([midway, writing]);
        // The writer holds the rows it has sent and waits for the gate; a reader that had to
        // wait for it (a lock) would not answer before the gate opens.
        let timer: NodeJS.Timeout | undefined;
        const waited = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the reader waited for the write')), 10_000)));
        const during = await Promise.race([reader.query(`SELECT count(*) AS n, min(id) AS low FROM ${reader.sql.quoteTable(table)}`), waited]).finally(() => clearTimeout(timer));
        open();
        expect(await writing).toBe(2 * BULK_ROWS);
        expect(during.rows.map((row) => row.map(Number))).toEqual([[2, -2]]);
        const after = await reader.query(`SELECT count(*) AS n, min(id) AS low FROM ${reader.sql.quoteTable(table)}`);
        expect(after.rows.map((row) => row.map(Number))).toEqual([[2 * BULK_ROWS, 0]]);
      } finally {
        open();
        await reader.close();
      }
    });

    it('rolls back when the database refuses a row, and reports its message', async () => {
      const table = fresh('refused');
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} (id ${fixture.integerType}, n ${fixture.integerType})`);
      await adapter.query(`INSERT INTO ${adapter.sql.quoteTable(table)} VALUES (1, 1)`);
      const given = [column('id', 'integer'), column('n', 'text')];
      const error = await rejection(adapter.write(table, given, batchesOf(given, [[[2, '2']], [[3, 'not a number']]]), 'append'));
      expect((error as SqlmlError).code).toBe('database');
      expect((error as Error).message).toMatch(/not a number/);
      expect(await contents(table)).toEqual([[1, 1]]);
      expect((await adapter.query('SELECT 5 AS five')).rows).toEqual([[5]]);
    });

    it('fails a replace whose rows the table refuses (a duplicate key, NULL into NOT NULL), leaving its rows; rounds into DECIMAL as an INSERT does', async () => {
      const table = fresh('replace_refused');
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} (id INTEGER NOT NULL PRIMARY KEY, score DECIMAL(5,2) NOT NULL)`);
      await adapter.query(`INSERT INTO ${adapter.sql.quoteTable(table)} VALUES (1, 0.25), (2, 0.5)`);
      const given = [column('id', 'integer'), column('score', 'double')];
      const kept = `SELECT id FROM ${adapter.sql.quoteTable(table)} WHERE (id = 1 AND score = 0.25) OR (id = 2 AND score = 0.5) ORDER BY id`;
      // The offending row comes after a whole batch of good ones, so the refusal happens mid-load.
      const duplicate = await rejection(adapter.write(table, given, batchesOf(given, [[[5, 0.1], [6, 0.2]], [[7, 0.3], [5, 0.4]]]), 'replace'));
      expect((duplicate as SqlmlError).code).toBe('database');
      expect((duplicate as Error).message).toMatch(/duplicate|unique|primary key/i);
      expect((await adapter.query(kept)).rows).toEqual([[1], [2]]);
      const missing = await rejection(adapter.write(table, given, batchesOf(given, [[[5, 0.1]], [[6, null]]]), 'replace'));
      expect((missing as SqlmlError).code).toBe('database');
      expect((missing as Error).message).toMatch(/null/i);
      expect((await adapter.query(kept)).rows).toEqual([[1], [2]]);
      expect(await adapter.write(table, given, batchesOf(given, [[[3, 0.126]]]), 'replace')).toBe(1);
      expect((await adapter.query(`SELECT id FROM ${adapter.sql.quoteTable(table)} WHERE score = 0.13`)).rows).toEqual([[3]]);
      expect((await adapter.query(`SELECT count(*) FROM ${adapter.sql.quoteTable(table)}`)).rows).toEqual([[1]]);
      const session = fixture.sessionSettingAfterWrite;
      // What a bulk write switches for itself only: the session's setting is as it was.
      if (session) expect((await adapter.query(session.read)).rows).toEqual([[session.value]]);
    });
  });

  describe('dialect (adapter.sql)', () => {
    const scalar = async (expression: string): Promise<Value> => (await adapter.query(`SELECT ${expression} AS ${q('v')}`)).rows[0]![0]!;
    const double = (x: string): string => `CAST(${x} AS ${adapter.sql.split.doubleCast})`;

    it('quoteString: SELECT of the literal gives back any string', async () => {
      await fc.assert(
        fc.asyncProperty(trickyText, async (text) => {
          expect(await scalar(adapter.sql.quoteString(text))).toBe(text);
        }),
        { numRuns: 60 },
      );
    });

    it('probabilityAsFloat32: Math.fround of any probability, read back as a double, with no underflow error', async () => {
      const check = async (x: number): Promise<void> => {
        expect(Number(await scalar(adapter.sql.probabilityAsFloat32(double(`'${x}'`)))), String(x)).toBe(Math.fround(x));
      };
      for (const x of [0, 1, 0.5, 0.1, 1 - 1e-9, 1e-50, 2 ** -150, 2 ** -149, 1e-44, 1e-300]) await check(x);
      await fc.assert(fc.asyncProperty(fc.double({ min: 0, max: 1, noNaN: true }), check), { numRuns: 40 });
    });

    it('compiledSettings: run with the statement in one query string and last for it only', async () => {
      const settings = adapter.sql.compiledSettings;
      expect((await adapter.query([...settings, `SELECT 1 AS ${q('one')}`].join('; '))).rows).toEqual([[1]]);
      const setting = fixture.compiledSetting;
      if (setting) {
        expect((await adapter.query([...settings, setting.read].join('; '))).rows).toEqual([[setting.value]]);
        expect((await adapter.query(setting.read)).rows).not.toEqual([[setting.value]]);
      } else expect(settings).toEqual([]);
    });

    it('foldIdentifier: names an unquoted or quoted table as the database resolves it', async () => {
      const bare = fresh('Folded');
      const quoted = fresh('Quoted');
      await adapter.query(`CREATE TABLE ${bare.name} (a INTEGER)`);
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteIdent(quoted.name)} (a INTEGER)`);
      created.push({ name: adapter.sql.foldIdentifier(bare.name, false) });
      expect(await adapter.tableExists({ name: adapter.sql.foldIdentifier(bare.name, false) })).toBe(true);
      expect(await adapter.tableExists({ name: adapter.sql.foldIdentifier(quoted.name, true) })).toBe(true);
    });

    it('castTypeFor: a CAST to each sqlml type keeps the value', async () => {
      const samples: [keyof typeof adapter.sql.types.castTypeFor, string, string][] = [
        ['integer', adapter.sql.quoteString('-42'), '-42'],
        ['bigint', adapter.sql.exactNumber('9223372036854775807'), '9223372036854775807'],
        ['double', adapter.sql.quoteString('0.5'), '0.5'],
        ['text', adapter.sql.quoteString('é x'), 'é x'],
        ['date', adapter.sql.quoteString('2024-02-29'), '2024-02-29'],
        ['decimal', adapter.sql.exactNumber('-12.5'), '-12.5'],
        ['other', adapter.sql.quoteString('x y'), 'x y'],
      ];
      for (const [type, literal, text] of samples) {
        const value = await scalar(`CAST(CAST(${literal} AS ${adapter.sql.types.castTypeFor[type]}) AS ${adapter.sql.split.textCast})`);
        const shown = type === 'decimal' ? plainDecimal(String(value)).text : String(value);
        expect(shown.replace(/\.0+$/, ''), type).toBe(text);
      }
      // Booleans and timestamps print differently per database: read back as numbers.
      expect(Number(await scalar(adapter.sql.split.booleanToInteger(`CAST(1 = 1 AS ${adapter.sql.types.castTypeFor.boolean})`)))).toBe(1);
      const stamp = `CAST(${adapter.sql.quoteString('2024-02-29 13:14:15')} AS ${adapter.sql.types.castTypeFor.timestamp})`;
      expect(Number(await scalar(adapter.sql.split.timestampToEpochMs!(stamp)))).toBe(Date.parse('2024-02-29T13:14:15Z'));
      // Every sqlml type has a sample above.
      expect(Object.keys(adapter.sql.types.castTypeFor).sort()).toEqual([...samples.map(([type]) => type), 'boolean', 'timestamp'].sort());
    });

    it('doubleLiteral (src/compile): any double, ±0, subnormals, ±1e308 and integers beyond 2^53 included, reads back bit for bit', async () => {
      const special = fc.constantFrom(0, -0, 5e-324, -5e-324, 2.2250738585072014e-308, -1e-308, 1e308, -1e308, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 53 + 2, -(2 ** 60), 2 ** 63, 1e21, 0.1, 1 / 3);
      const number = fc.oneof(special, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer().map((i) => i * 2 ** 40));
      await fc.assert(
        fc.asyncProperty(fc.array(number, { minLength: 1, maxLength: 40 }), async (xs) => {
          const row = (await adapter.query(`SELECT ${xs.map((x, i) => `${doubleLiteral(adapter.sql, x)} AS ${q(`c${i}`)}`).join(', ')}`)).rows[0]!;
          // -0 is written as 0 (databases differ on keeping the sign of a zero; no score depends on it).
          xs.forEach((x, i) => expect(row[i], String(x)).toBe(Object.is(x, -0) ? 0 : x));
        }),
        { numRuns: 30 },
      );
    });

    it('exactNumber: keeps every digit of decimals with up to 30 digits', async () => {
      for (const text of ['123456789012345.123456789012345', '-0.123456789012345678901234567890', '123456789012345678901234567890', '1.25e-3', '-4.5E+4', '0']) {
        const value = await scalar(`CAST(${adapter.sql.exactNumber(text)} AS ${adapter.sql.split.textCast})`);
        // Compared as plain decimals: DuckDB prints 0.5 as .5.
        expect(plainDecimal(String(value)).text, text).toBe(plainDecimal(text).text);
      }
      expect(Number(await scalar(adapter.sql.split.booleanToInteger(`(${adapter.sql.exactNumber('0.1')} + ${adapter.sql.exactNumber('0.2')} = ${adapter.sql.exactNumber('0.3')})`)))).toBe(1);
    });

    it('safeExp: ±1000 without an error (huge or Infinity, tiny or 0), exact where exp is, NULL for NULL', async () => {
      const high = Number(await scalar(adapter.sql.safeExp(double('1000'))));
      const low = Number(await scalar(adapter.sql.safeExp(double('-1000'))));
      expect(high > 1e300).toBe(true);
      expect(low >= 0 && low < 1e-300).toBe(true);
      expect(Number(await scalar(adapter.sql.safeExp(double('1'))))).toBeCloseTo(Math.E, 12);
      expect(await scalar(adapter.sql.safeExp(`CAST(NULL AS ${adapter.sql.split.doubleCast})`))).toBeNull();
    });

    it('datePart: year, month, weekday and hour as the learner computes them', async () => {
      const { date, timestamp } = adapter.sql.types.sqlTypeFor;
      const learner: Record<DatePart, (ms: number) => number> = { year: yearOf, month: monthOf, weekday: dayOfWeekOf, hour: hourOf };
      const times = ['1970-01-01 00:00:00', '1969-12-31 23:59:59', '2024-02-29 13:14:15', '1999-12-31 23:00:00', '2000-03-05 07:30:00', '2038-01-19 03:14:08'];
      for (const text of times) {
        const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
        for (const part of Object.keys(learner) as DatePart[]) {
          const ofTimestamp = await scalar(adapter.sql.datePart(part, `CAST('${text}' AS ${timestamp})`));
          expect(Number(ofTimestamp), `${part} of ${text}`).toBe(learner[part](ms));
          const day = text.slice(0, 10);
          const ofDate = await scalar(adapter.sql.datePart(part, `CAST('${day}' AS ${date})`));
          expect(Number(ofDate), `${part} of ${day}`).toBe(learner[part](Date.parse(`${day}T00:00:00Z`)));
        }
      }
    });

    it('regexpSplit: one row per piece, where the database has it', async () => {
      const split = adapter.sql.regexpSplit;
      if (split === undefined) {
        expect(adapter.sql.name).toBe('mysql');
        return;
      }
      const result = await adapter.query(`SELECT ${split(adapter.sql.quoteString('a, b,c'), adapter.sql.quoteString(', *'))} AS ${q('part')}`);
      expect(result.rows).toEqual([['a'], ['b'], ['c']]);
    });

    it('lowerText: every letter lower-cased as toLowerCase does it alone (checked on connecting, else absent with the reason), NULL stays NULL', async () => {
      const lower = adapter.sql.lowerText;
      const probe = adapter.sql.quoteString(probeLetters());
      if (lower === undefined) {
        // Absent only where the database's own lower() really differs, saying how.
        expect(adapter.sql.lowerTextGap).toMatch(/does not lower-case as the model does: \d+ letters differ/);
        const differing = String(await scalar(`LOWER(${probe})`)).split('|').filter((got, i) => got !== lowerPairs()[i]![1]);
        expect(differing.length).toBeGreaterThan(0);
        return;
      }
      expect(String(await scalar(lower(probe))).split('|')).toEqual(lowerPairs().map(([, want]) => want));
      for (const text of ['ABC xyz', 'ÉCOLE Ärger ÑANDÚ', 'ЖУРНАЛ Ёлка', 'ΩΜΕΓΑ αβγ', 'ǅ Ǆ', 'ＡＢＣ', '']) {
        expect(await scalar(lower(adapter.sql.quoteString(text))), text).toBe(text.toLowerCase());
      }
      expect(await scalar(lower(`CAST(NULL AS ${adapter.sql.split.textCast})`))).toBeNull();
    });

    it('regexpReplaceAll: every match replaced, \\1 the first group, bracket expressions of literal specials', async () => {
      const replace = adapter.sql.regexpReplaceAll;
      if (replace === undefined) throw new Error(`${adapter.sql.name} has no regexpReplaceAll`);
      const s = (text: string): string => adapter.sql.quoteString(text);
      expect(await scalar(replace(s('a1b22c333'), s('([0-9]+)'), s('<\\1>')))).toBe('a<1>b<22>c<333>');
      expect(await scalar(replace(s('  a   b '), s('[ ]+'), s(' ')))).toBe(' a b ');
      // The compiler's classes (text-cleaning.ts characterClass) escape \\ ] [ ^ - with a backslash.
      const specials = characterClass((code) => '\\][^-'.includes(String.fromCharCode(code)));
      expect(await scalar(replace(s('a\\b]c[d^e-f'), s(`${specials}+`), s('')))).toBe('abcdef');
      expect(await scalar(replace(s('x é, ü! y'), s(PUNCTUATION_CLASS), s('')))).toBe('x é ü y');
      expect(await scalar(replace(s('a\u00a0\u2003b\tc'), s(`${WHITESPACE_CLASS}+`), s(' ')))).toBe('a b c');
    });

    it('profile: charLength counts code points; rowHash and valueHash are seeded integers in [0, 2^32), equal for equal values', async () => {
      const p = adapter.sql.profile;
      const s = adapter.sql.quoteString;
      expect(Number(await scalar(p.charLength(s('a😀é '))))).toBe(4);
      const inRange = (h: number): void => {
        expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32, String(h)).toBe(true);
      };
      // Typed values, as the columns the profile hashes are (PostgreSQL hashes no `unknown`).
      const text = (x: string): string => `CAST(${s(x)} AS ${adapter.sql.split.textCast})`;
      const row = async (seed: number, x: string): Promise<number> => Number(await scalar(p.rowHash([text(x), double(`'1.5'`), double('NULL')], seed)));
      const h = await row(1, 'a');
      inRange(h);
      expect(await row(1, 'a')).toBe(h);
      expect(await row(2, 'a')).not.toBe(h);
      expect(await row(1, 'b')).not.toBe(h);
      const value = p.valueHash;
      if (value === undefined) return;
      for (const [x, kind] of [[double(`'2.25'`), 'double'], [text('Ab😀'), 'text']] as const) {
        const v = Number(await scalar(value(x, kind)));
        inRange(v);
        expect(Number(await scalar(value(x, kind)))).toBe(v);
      }
      expect(Number(await scalar(value(text('a'), 'text')))).not.toBe(Number(await scalar(value(text('A'), 'text'))));
    });

    it('isFiniteTime: true for dates and timestamps, false for ±infinity where the database has them', async () => {
      const finite = adapter.sql.isFiniteTime;
      if (finite === undefined) throw new Error(`${adapter.sql.name} has no isFiniteTime`);
      const { date, timestamp } = adapter.sql.types.castTypeFor;
      const truth = async (x: string): Promise<number> => Number(await scalar(adapter.sql.split.booleanToInteger(`(${finite(x)})`)));
      expect(await truth(`CAST('2024-02-29' AS ${date})`)).toBe(1);
      expect(await truth(`CAST('1969-12-31 23:59:59' AS ${timestamp})`)).toBe(1);
      // A database without infinite times refuses the text, or reads it as NULL (MySQL).
      const infinite = await adapter.query(`SELECT CAST('infinity' AS ${timestamp}) AS ${q('v')}`).then(
        (result) => result.rows[0]![0] !== null,
        () => false,
      );
      if (!infinite) {
        expect(finite('x')).toBe('TRUE');
        return;
      }
      for (const type of [date, timestamp]) for (const text of ['infinity', '-infinity']) expect(await truth(`CAST('${text}' AS ${type})`), `${text} ${type}`).toBe(0);
    });

    it('textArrays: split at a separator, items by position (NULL past the end), length, and a series of positions', async () => {
      const arrays = adapter.sql.textArrays;
      if (arrays === undefined) {
        expect(adapter.sql.regexpSplit).toBeUndefined();
        return;
      }
      const words = arrays.split(adapter.sql.quoteString('ab c  é'), adapter.sql.quoteString(' '));
      expect(await scalar(arrays.item(words, '1'))).toBe('ab');
      expect(await scalar(arrays.item(words, '3'))).toBe('');
      expect(await scalar(arrays.item(words, '4'))).toBe('é');
      expect(await scalar(arrays.item(words, '5'))).toBeNull();
      expect(Number(await scalar(arrays.length(words)))).toBe(4);
      const series = await adapter.query(`SELECT ${q('n')} FROM ${arrays.series('2', '4')} AS s(${q('n')}) ORDER BY ${q('n')}`);
      expect(series.rows.map((row) => Number(row[0]))).toEqual([2, 3, 4]);
      expect((await adapter.query(`SELECT ${q('n')} FROM ${arrays.series('1', '0')} AS s(${q('n')})`)).rows).toEqual([]);
    });

    it('capabilities.correlatedDerivedTables: a derived table in a scalar subquery reads the outer row exactly where the dialect says it can', async () => {
      const statement = `SELECT (SELECT t.${q('v')} + 1 FROM (SELECT o.${q('a')} AS ${q('v')}) AS t) AS ${q('v')} FROM (SELECT 41 AS ${q('a')}) AS o`;
      const works = await adapter.query(statement).then(
        (result) => Number(result.rows[0]![0]) === 42,
        () => false,
      );
      expect(works).toBe(adapter.sql.capabilities.correlatedDerivedTables === true);
    });

    it('maxSelectList: a SELECT list that long runs', async () => {
      const n = Math.min(adapter.sql.maxSelectList, 5000);
      const result = await adapter.query(`SELECT ${Array.from({ length: n }, (_, i) => `${i} AS ${q(`c${i}`)}`).join(', ')}`);
      expect(result.columns).toHaveLength(n);
    });

    it('capabilities.transactionalDdl: ROLLBACK undoes a CREATE TABLE exactly where the dialect says it does', async () => {
      const table = fresh('txddl');
      const statements = ['BEGIN', `CREATE TABLE ${adapter.sql.quoteTable(table)} (a INTEGER)`, 'ROLLBACK'];
      // One text where the driver takes several statements (a pooled adapter keeps them on one
      // connection so); one at a time on the adapter's session where it takes one.
      await adapter.query(statements.join('; ')).catch(async () => {
        for (const statement of statements) await adapter.query(statement);
      });
      expect(await adapter.tableExists(table)).toBe(!adapter.sql.capabilities.transactionalDdl);
    });

    it('capabilities.createTableAsSelect: CREATE TABLE ... AS SELECT makes the table', async () => {
      if (!adapter.sql.capabilities.createTableAsSelect) return;
      const table = fresh('ctas');
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} AS SELECT 1 AS ${q('a')}`);
      expect((await adapter.query(`SELECT * FROM ${adapter.sql.quoteTable(table)}`)).rows).toEqual([[1]]);
    });
  });

  describe('dialect: exported functions (adapter.sql.functions)', () => {
    const fns = (): FunctionSpelling => adapter.sql.functions;
    const made: string[] = [];
    afterAll(async () => {
      for (const signature of made) await adapter.query(fns().drop(signature)).catch(() => undefined);
    });
    /** A function of (integer, text) whose body reads a subquery with columns named like its parameters. */
    const defined = (name: TableRef, body: (a: string, b: string) => string): SqlFunction => {
      const { integer, text, double } = adapter.sql.types.sqlTypeFor;
      const [a, b] = [fns().parameter(0), fns().parameter(1)];
      return { name, parameterTypes: [integer, text], returns: double, body: body(a, b) };
    };
    const create = async (fn: SqlFunction): Promise<void> => {
      for (const statement of fns().create(fn)) await adapter.query(statement);
      made.push(fns().signature(fn));
    };

    it('create / existing / drop: a function callable in a SELECT over a table whose columns are named like its parameters, NULLs passed in', async () => {
      const name = { name: `conf fn "x" 'y' ${runTag}` };
      expect((await adapter.query(fns().existing(name))).rows).toEqual([]);
      // The body reads a subquery's columns `a` and `b`, as a compiled model's text
      // features do: parameters named so would capture them (MySQL) or clash (DuckDB).
      const [p0, p1] = [fns().parameter(0), fns().parameter(1)];
      // The table's columns are named like the parameters where those are names (not $1).
      const [c0, c1] = [p0, p1].map((ref, i) => (/^[a-z_][a-z0-9_]*$/.test(ref) ? ref : `p${i}`)) as [string, string];
      const inner = `(SELECT 1000 AS ${q('a')}, 'zz' AS ${q('b')})`;
      const fn = defined(
        name,
        (a, b) => `(SELECT ${a} * 2 + CASE WHEN ${b} IS NULL THEN 0.5 WHEN ${b} = 'x' THEN 1 ELSE 0 END + s.${q('a')} - 1000 FROM ${inner} AS s WHERE s.${q('b')} = 'zz')`,
      );
      await create(fn);
      expect((await adapter.query(fns().existing(name))).rows.length).toBeGreaterThan(0);

      const table = fresh('fnargs');
      await adapter.query(`CREATE TABLE ${adapter.sql.quoteTable(table)} (${q(c0)} INTEGER, ${q(c1)} ${adapter.sql.types.sqlTypeFor.text})`);
      await adapter.query(`INSERT INTO ${adapter.sql.quoteTable(table)} VALUES (3, 'x'), (4, NULL), (NULL, 'y')`);
      const call = `${adapter.sql.quoteTable(name)}(${q(c0)}, ${q(c1)})`;
      const result = await adapter.query(`SELECT ${q(c1)}, ${call} AS ${q('v')} FROM ${adapter.sql.quoteTable(table)}`);
      const byText = new Map(result.rows.map(([text, v]) => [text, v === null ? null : Number(v)]));
      expect(byText).toEqual(new Map([['x', 7], [null, 8.5], ['y', null]]));

      await adapter.query(fns().drop(fns().signature(fn)));
      expect((await adapter.query(fns().existing(name))).rows).toEqual([]);
      await adapter.query(fns().drop(fns().signature(fn)));
    });

    it('nameFits: a name that fits is kept whole; one a character longer is refused or cut to one that fits', async () => {
      const stem = `conf_fn_long_${runTag}_`;
      let name = stem;
      while (fns().nameFits(`${name}é`) && name.length < 300) name += 'é';
      if (name.length >= 300) return; // no limit to reach
      const fitting = defined({ name }, (a) => `${a} + 1`);
      await create(fitting);
      expect((await adapter.query(fns().existing({ name }))).rows.length).toBeGreaterThan(0);
      await adapter.query(fns().drop(fns().signature(fitting)));
      expect((await adapter.query(fns().existing({ name }))).rows).toEqual([]);

      const made = await (async () => {
        for (const statement of fns().create(defined({ name: `${name}é` }, (a) => `${a} + 1`))) await adapter.query(statement);
      })().then(
        () => true,
        () => false,
      );
      // Made under the cut name, so two long names could be one function: hence nameFits.
      if (made) expect((await adapter.query(fns().existing({ name }))).rows.length).toBeGreaterThan(0);
    });

    it('create replaces a function of the same signature; existing finds it by schema too', async () => {
      const name = { name: `conf_fn_replaced_${runTag}` };
      await create(defined(name, (a) => `${a} + 1`));
      await create(defined(name, (a) => `${a} + 2`));
      expect(Number((await adapter.query(`SELECT ${adapter.sql.quoteTable(name)}(1, 'a') AS ${q('v')}`)).rows[0]![0])).toBe(3);
      const schema = fixture.defaultSchema;
      expect((await adapter.query(fns().existing({ schema, name: name.name }))).rows.length).toBeGreaterThan(0);
      expect((await adapter.query(fns().existing({ schema, name: `${name.name}_other` }))).rows).toEqual([]);
    });
  });

  describe('catalog', () => {
    let catalog: CatalogDb;
    beforeAll(async () => {
      await adapter.ensureCatalog(catalogDdl(adapter.sql.name));
      catalog = openCatalogDb(adapter);
    });

    it('runs the catalog DDL a second time without complaint', async () => {
      await adapter.ensureCatalog(catalogDdl(adapter.sql.name));
      for (const name of ['sqlml_models', 'sqlml_model_versions', 'sqlml_jobs', 'sqlml_job_runs', 'sqlml_exports', 'sqlml_trials']) {
        expect(await adapter.tableExists({ name })).toBe(true);
      }
    });

    it("creates exactly the columns of schema.ts's catalog types", async () => {
      // `satisfies` makes the compiler check these lists against schema.ts, both ways.
      const expected = {
        sqlml_models: { name: 1, active_version: 1, created_at: 1, updated_at: 1 },
        sqlml_model_versions: {
          name: 1, version: 1, status: 1, type: 1, target: 1, options: 1, recipe: 1, model: 1,
          training_stats: 1, evaluation: 1, source_query: 1, created_at: 1,
        },
        sqlml_jobs: { name: 1, schedule_kind: 1, schedule: 1, statement: 1, created_at: 1 },
        sqlml_job_runs: { id: 1, job: 1, started_at: 1, finished_at: 1, outcome: 1, error: 1, rows: 1 },
        sqlml_job_leases: { job: 1, holder: 1, expires_at: 1, next_run_at: 1 },
        sqlml_exports: { function_schema: 1, function_name: 1, model: 1, version: 1, signature: 1, created_at: 1 },
        sqlml_monitor_runs: { id: 1, model: 1, version: 1, run_at: 1, source_query: 1, rows: 1, results: 1 },
        sqlml_trials: {
          name: 1, version: 1, trial: 1, rung: 1, options: 1, validation_loss: 1, metric: 1, metric_value: 1, passes: 1, seconds: 1, kept: 1,
        },
      } satisfies { [T in keyof CatalogDatabase]: Record<keyof CatalogDatabase[T], 1> };
      for (const [table, columns] of Object.entries(expected)) {
        const result = await adapter.query(`SELECT * FROM ${q(table)} WHERE 1 = 0`);
        expect(result.columns.map((c) => c.name)).toEqual(Object.keys(columns));
      }
    });

    it('rolls back a Kysely transaction that throws', async () => {
      const error = await rejection(
        catalog.transaction().execute(async (trx) => {
          await trx.insertInto('sqlml_jobs').values({ name: 'conf_job', schedule_kind: 'every', schedule: '1 hour', statement: 'RUN JOB x', created_at: 'now' }).execute();
          expect(await trx.selectFrom('sqlml_jobs').select('name').where('name', '=', 'conf_job').execute()).toHaveLength(1);
          throw new Error('changed my mind');
        }),
      );
      expect((error as Error).message).toBe('changed my mind');
      expect(await catalog.selectFrom('sqlml_jobs').select('name').where('name', '=', 'conf_job').execute()).toEqual([]);
    });

    it('keeps the catalog usable when another query builder on its dialect is destroyed: the adapter owns the connection', async () => {
      const other = openCatalogDb(adapter);
      expect(await other.selectFrom('sqlml_jobs').select('name').where('name', '=', 'conf_no_such_job').execute()).toEqual([]);
      await other.destroy();
      expect(await catalog.selectFrom('sqlml_jobs').select('name').where('name', '=', 'conf_no_such_job').execute()).toEqual([]);
      expect((await adapter.query('SELECT 1 AS one')).rows).toEqual([[1]]);
    });

    it('numbers job runs by itself', async () => {
      const run = { job: `conf_numbered_${runTag}`, started_at: '2024-01-01T00:00:00.000Z', finished_at: null, outcome: 'running', error: null, rows: null };
      await catalog.insertInto('sqlml_job_runs').values(run).execute();
      await catalog.insertInto('sqlml_job_runs').values({ ...run, rows: 12 }).execute();
      const runs = await catalog.selectFrom('sqlml_job_runs').select(['id', 'rows']).where('job', '=', `conf_numbered_${runTag}`).orderBy('id').execute();
      expect(runs).toHaveLength(2);
      expect(typeof runs[0]!.id).toBe('number');
      expect(runs[1]!.id).toBeGreaterThan(runs[0]!.id);
      expect(runs.map((r) => r.rows)).toEqual([null, 12]);
    });

    it('keeps model versions: the newest is active, a failed save changes nothing, drop removes all', async () => {
      const store = new ModelStore(adapter);
      await store.ensureSchema();
      // Unique per run: test runs may share a server catalog at the same time.
      const modelName = `conf_churn_${runTag}`;
      const version = (n: number): NewModelVersion => ({
        name: modelName,
        type: 'binary',
        target: 'churned',
        options: { passes: n },
        recipe: { features: ['a'] },
        model: `weights-${n}`,
        trainingStats: { rows: 100 * n },
        evaluation: { task: 'binary', metrics: { auc: 0.5 + n / 10 } },
        sourceQuery: 'SELECT * FROM customers',
      });
      expect((await store.saveVersion(version(1))).version).toBe(1);
      expect((await store.saveVersion(version(2))).version).toBe(2);
      expect(await store.get(modelName)).toMatchObject({ version: 2, active: true, model: 'weights-2', options: { passes: 2 } });
      // NOT NULL refuses the target half-way through the transaction.
      const broken = { ...version(3), target: null as unknown as string };
      expect(((await rejection(store.saveVersion(broken))) as SqlmlError).code).toBe('database');
      expect(await store.get(modelName)).toMatchObject({ version: 2, active: true });
      expect(await store.get(modelName, 3)).toBeUndefined();
      expect(await store.get(modelName, 1)).toMatchObject({ version: 1, active: false, model: 'weights-1' });
      // A server catalog may hold other runs' models too.
      expect((await store.list()).filter((summary) => summary.name === modelName)).toEqual([
        expect.objectContaining({ name: modelName, version: 2, versions: 2, headline: { metric: 'auc', value: 0.7 } }),
      ]);
      expect((await store.drop(modelName, NO_JOBS_CHECK)).dropped).toBe(true);
      expect(await store.exists(modelName)).toBe(false);
      expect(await store.get(modelName, 1)).toBeUndefined();
      expect((await store.drop(modelName, NO_JOBS_CHECK)).dropped).toBe(false);
    });
  });
});

describe('connection URLs', () => {
  it('opens DuckDB in memory from duckdb::memory: and from duckdb: alone', async () => {
    for (const url of ['duckdb::memory:', 'duckdb:']) {
      const adapter = await openAdapter(url);
      expect(adapter.sql.name).toBe('duckdb');
      expect((await adapter.query('SELECT 1 AS one')).rows).toEqual([[1]]);
      await adapter.close();
    }
  });

  it('creates a database file relative to the working directory and keeps its tables across opens', async () => {
    const file = join(scratch, 'relative.duckdb');
    const url = `duckdb:${relative(process.cwd(), file)}`;
    const first = await openAdapter(url);
    await first.query('CREATE TABLE kept (x INTEGER)');
    await first.query('INSERT INTO kept VALUES (42)');
    await first.close();
    const second = await openAdapter(url);
    expect((await second.query('SELECT x FROM kept')).rows).toEqual([[42]]);
    await second.close();
  });

  it('shares one database between adapters on the same file, and keeps in-memory ones apart', async () => {
    const url = `duckdb:${join(scratch, 'shared.duckdb')}`;
    const first = await openAdapter(url);
    const second = await openAdapter(url);
    await first.query('CREATE TABLE shared_rows (x INTEGER)');
    await first.query('INSERT INTO shared_rows VALUES (1), (2)');
    expect((await second.query('SELECT count(*) AS n FROM shared_rows')).rows).toEqual([[2]]);
    await first.close();
    expect((await second.query('SELECT count(*) AS n FROM shared_rows')).rows).toEqual([[2]]);
    await second.close();
    const memoryA = await openAdapter('duckdb::memory:');
    const memoryB = await openAdapter('duckdb::memory:');
    await memoryA.query('CREATE TABLE only_in_a (x INTEGER)');
    expect(await memoryB.tableExists({ name: 'only_in_a' })).toBe(false);
    await Promise.all([memoryA.close(), memoryB.close()]);
  });

  it('uses SQLML_DB when no URL is given, and duckdb:sqlml.duckdb in the working directory without either', async () => {
    const saved = { cwd: process.cwd(), db: process.env.SQLML_DB };
    const workdir = mkdtempSync(join(scratch, 'cwd-'));
    const keepOne = async (adapter: Adapter, value: number): Promise<void> => {
      expect(adapter.sql.name).toBe('duckdb');
      await adapter.query(`CREATE TABLE kept AS SELECT ${value} AS x`);
      await adapter.close();
    };
    try {
      process.chdir(workdir);
      process.env.SQLML_DB = 'duckdb:from-env.duckdb';
      await keepOne(await openAdapter(), 1);
      expect(readdirSync(workdir).filter((name) => name.endsWith('.duckdb'))).toEqual(['from-env.duckdb']);
      // Unset or empty, SQLML_DB is not given.
      for (const unset of [undefined, '']) {
        if (unset === undefined) delete process.env.SQLML_DB;
        else process.env.SQLML_DB = unset;
        const adapter = await openAdapter();
        if (unset === undefined) await keepOne(adapter, 2);
        else {
          expect((await adapter.query('SELECT x FROM kept')).rows).toEqual([[2]]);
          await adapter.close();
        }
      }
      expect(readdirSync(workdir).filter((name) => name.endsWith('.duckdb')).sort()).toEqual(['from-env.duckdb', 'sqlml.duckdb']);
      for (const [file, value] of [['from-env.duckdb', 1], ['sqlml.duckdb', 2]] as const) {
        const adapter = await openAdapter(`duckdb:${join(workdir, file)}`);
        expect((await adapter.query('SELECT x FROM kept')).rows).toEqual([[value]]);
        await adapter.close();
      }
    } finally {
      process.chdir(saved.cwd);
      if (saved.db === undefined) delete process.env.SQLML_DB;
      else process.env.SQLML_DB = saved.db;
    }
    expect(DEFAULT_DATABASE_URL).toBe('duckdb:sqlml.duckdb');
  });

  it('names the missing directory of a DuckDB file', async () => {
    const error = await rejection(openAdapter(`duckdb:${join(scratch, 'no-such-dir', 'x.duckdb')}`));
    expect((error as SqlmlError).code).toBe('connection');
    expect((error as Error).message).toContain(join(scratch, 'no-such-dir'));
  });

  it('rejects an unknown URL, naming it (password hidden) and the accepted forms', async () => {
    const error = await rejection(openAdapter('sqlite://user:secret@host/file.db'));
    expect((error as SqlmlError).code).toBe('bad_url');
    expect((error as Error).message).toContain('sqlite://user:***@host/file.db');
    expect((error as Error).message).not.toContain('secret');
    expect((error as Error).message).toContain('duckdb::memory:');
    expect(((await rejection(openAdapter('just-a-file.duckdb'))) as SqlmlError).code).toBe('bad_url');
  });

  it('ends an open stream with a connection error when the adapter closes under it', async () => {
    const adapter = await openAdapter('duckdb::memory:');
    const stream = await adapter.openStream('SELECT range AS i FROM range(10000000)', { batchRows: 100 });
    const error = await rejection(
      (async () => {
        for await (const _ of stream.batches()) await adapter.close();
      })(),
    );
    expect((error as SqlmlError).code).toBe('connection');
  });

  it('refuses statements once the adapter is closed', async () => {
    const adapter = await openAdapter('duckdb::memory:');
    await adapter.close();
    expect(((await rejection(adapter.query('SELECT 1'))) as SqlmlError).code).toBe('connection');
  });
});
