/**
 * The scratch table of a training in the database (src/engine/scratch-table.ts), on every
 * database: built by one CREATE TABLE … AS, its rows per role are the stream's
 * (RowSplitter's over the same source), a leftover of the model's crashed training is
 * replaced, and a source that fails on a late row (the database's own error mid-scan)
 * leaves no table behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, DialectName } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import { createScratchTable, dropScratchTable, ROLE_COLUMN, scratchSelect, scratchTableName, scratchTablePrefix } from '../../src/engine/scratch-table.js';
import type { ObjectiveEncoding } from '../../src/compile/objective-sql.js';
import { RowRole, RowSplitter, type SplitSpec } from '../../src/learn/split.js';
import { duckdbFixture } from '../adapters/fixtures/duckdb.js';
import type { DialectFixture } from '../adapters/fixtures/fixture.js';
import { serverFixtures } from '../adapters/fixtures/servers.js';
import { rejectionOf } from '../helpers/errors.js';
import { serverTargets } from '../helpers/servers.js';

const FIXTURES: Partial<Record<DialectName, DialectFixture>> = { duckdb: duckdbFixture, ...serverFixtures };
const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];
const SPEC: SplitSpec = { trainFraction: 0.7, validationFraction: 0.1, seed: 4 };
const ROWS = 3000;
/** A sample key bound: half the rows' keys are below it. */
const HALF = 2 ** 31;

it('names the table after the model, readably and apart from every other model, and apart from every other training', () => {
  expect(scratchTableName('churn')).toMatch(/^sqlml_scratch_churn_[0-9a-f]{8}_[0-9a-f]{8}$/);
  expect(scratchTableName('churn')).not.toBe(scratchTableName('churn'));
  expect(scratchTableName('churn').startsWith(scratchTablePrefix('churn'))).toBe(true);
  expect(scratchTablePrefix('Churn')).not.toBe(scratchTablePrefix('churn'));
  expect(scratchTableName('a b"; DROP TABLE x')).toMatch(/^sqlml_scratch_a_b_drop_table_x_[0-9a-f]{8}_[0-9a-f]{8}$/);
  // 63: PostgreSQL's identifiers; 64: MariaDB's lock names.
  expect(scratchTableName('x'.repeat(200)).length).toBeLessThanOrEqual(63);
});

describe.each(TARGETS)('the scratch table on $label', ({ url }) => {
  let adapter: Adapter;
  const source = `scratch_src_${process.pid.toString(36)}`;
  const model = `scratch model ${process.pid.toString(36)}`;
  const q = (name: string): string => adapter.sql.quoteIdent(name);
  /** The model's scratch tables (names listed, picked here: LIKE's escapes differ by database). */
  const scratchTables = async (): Promise<string[]> => {
    const listed = await adapter.query("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'sqlml%'");
    return listed.rows.map((row) => String(row[0])).filter((name) => name.startsWith(scratchTablePrefix(model)));
  };
  /**
   * A hand-written encoding of (x, label): the label as 1 / 0 (NULL for none), x as its
   * own value (x is k/4 for small k, a float32 already).
   */
  const encoding = (): ObjectiveEncoding => ({
    inner: [
      { name: 'sqlml_y', sql: `CASE WHEN ${q('label')} = 'yes' THEN 1 WHEN ${q('label')} = 'no' THEN 0 END` },
      { name: 'sqlml_x0', sql: `CAST(${q('x')} AS ${adapter.sql.split.doubleCast})` },
    ],
    outer: [
      { name: 'sqlml_y', sql: q('sqlml_y') },
      { name: 'sqlml_x0', sql: q('sqlml_x0') },
    ],
  });
  beforeAll(async () => {
    adapter = await openAdapter(url);
    await adapter.query(`DROP TABLE IF EXISTS ${q(source)}`);
    await adapter.query(`CREATE TABLE ${q(source)} (id INTEGER, g INTEGER, x ${adapter.sql.types.sqlTypeFor.double}, label VARCHAR(10))`);
    // Repeated contents (g, x, label without id) and NULL labels now and then.
    const values = Array.from({ length: ROWS }, (_, i) => `(${i}, ${i % 7}, ${(i % 11) / 4}, ${i % 19 === 0 ? 'NULL' : `'${i % 3 === 0 ? 'yes' : 'no'}'`})`);
    for (let from = 0; from < ROWS; from += 1000) await adapter.query(`INSERT INTO ${q(source)} VALUES ${values.slice(from, from + 1000).join(', ')}`);
    for (const sql of FIXTURES[adapter.sql.name]!.lateFailure.setup) await adapter.query(sql);
  }, 60_000);
  afterAll(async () => {
    await adapter?.query(`DROP TABLE IF EXISTS ${q(source)}`).catch(() => undefined);
    await adapter?.close();
  });

  it("holds the stream's roles, row for row in count, and is dropped after", async () => {
    const from = `(SELECT g, x, label FROM ${q(source)})`;
    const stream = await adapter.openStream(`SELECT * FROM ${from} AS s`, { batchRows: 1000 });
    const columns = stream.columns;
    const splitter = new RowSplitter(SPEC);
    const roles = new Uint8Array(1000);
    const expected = [0, 0, 0, 0];
    for await (const batch of stream.batches()) {
      splitter.assign(batch, 2, roles);
      for (let row = 0; row < batch.rowCount; row++) expected[roles[row]!]!++;
    }
    const select = scratchSelect(adapter, { source: from, columns, targetIndex: 2, fractions: SPEC, seed: SPEC.seed, encoding: encoding(), rawBelow: HALF });
    // A leftover of a crashed training (its lock free) is dropped; a live training's table (its lock held) is left alone.
    const dead = scratchTableName(model);
    const live = scratchTableName(model);
    await adapter.query(`CREATE TABLE ${q(dead)} (leftover INTEGER)`);
    const liveLock = (await adapter.holdLock(live))!;
    expect(liveLock).not.toBeNull();
    expect(await adapter.holdLock(live)).toBeNull();
    await adapter.query(`CREATE TABLE ${q(live)} (running INTEGER)`);
    const scratch = await createScratchTable(adapter, model, select, undefined);
    try {
      expect((await scratchTables()).sort()).toEqual([live, scratch.table.replaceAll(/["`]/g, '')].sort());
      await dropScratchTable(adapter, { table: q(live), lock: liveLock });
      expect([...scratch.roleCounts]).toEqual([expected[RowRole.Train], expected[RowRole.Validation], expected[RowRole.Holdout]]);
      expect(expected[RowRole.Skip]).toBeGreaterThan(100);
      const kept = await adapter.query(`SELECT * FROM ${scratch.table} WHERE ${ROLE_COLUMN} = ${RowRole.Validation}`);
      expect(kept.columns.map((c) => c.name)).toEqual(['sqlml_y', 'sqlml_x0', ROLE_COLUMN, 'sqlml_pick', 'g', 'x', 'label']);
      // The encoded columns on every row; the source's only where they are read back (held out, or under the sample bound) if the dialect can leave them out.
      const [encoded, holdoutRaw, sampleRaw, otherRaw] = (
        await adapter.query(
          `SELECT SUM(CASE WHEN ${q('sqlml_x0')} = CAST(${q('x')} AS ${adapter.sql.split.doubleCast}) OR ${q('x')} IS NULL THEN 1 ELSE 0 END), ` +
            `SUM(CASE WHEN ${ROLE_COLUMN} = ${RowRole.Holdout} AND ${q('label')} IS NOT NULL THEN 1 ELSE 0 END), ` +
            `SUM(CASE WHEN ${ROLE_COLUMN} <> ${RowRole.Holdout} AND sqlml_pick < ${HALF} AND ${q('label')} IS NOT NULL THEN 1 ELSE 0 END), ` +
            `SUM(CASE WHEN ${ROLE_COLUMN} <> ${RowRole.Holdout} AND sqlml_pick >= ${HALF} AND ${q('label')} IS NOT NULL THEN 1 ELSE 0 END) FROM ${scratch.table}`,
        )
      ).rows[0]!.map(Number);
      expect(encoded).toBe(scratch.roleCounts.reduce((a, b) => a + b, 0));
      expect(holdoutRaw).toBe(expected[RowRole.Holdout]);
      expect(sampleRaw).toBeGreaterThan(0);
      if (adapter.sql.scratchTable.keepIf === undefined) expect(otherRaw).toBeGreaterThan(0);
      else expect(otherRaw).toBe(0);
      expect(await scratchTables()).toHaveLength(1);
    } finally {
      await dropScratchTable(adapter, scratch);
    }
    expect(await scratchTables()).toEqual([]);
  }, 60_000);

  it("gives each content's copies the stream's roles, as many of each (unique and repeated contents)", async () => {
    // Every 5th row's content is its own (its id); the others repeat, many times over.
    const from = `(SELECT CASE WHEN ${q('id')} % 5 = 0 THEN ${q('id')} ELSE ${q('g')} END AS ${q('g')}, ${q('x')}, ${q('label')} FROM ${q(source)})`;
    const contentOf = (cells: readonly unknown[]): string => JSON.stringify(cells.map((cell) => (cell === null ? null : String(Number.isNaN(Number(cell)) ? cell : Number(cell)))));
    const stream = await adapter.openStream(`SELECT * FROM ${from} AS s`, { batchRows: 1000 });
    const columns = stream.columns;
    const splitter = new RowSplitter(SPEC);
    const roles = new Uint8Array(1000);
    const streamed = new Map<string, number>();
    for await (const batch of stream.batches()) {
      splitter.assign(batch, 2, roles);
      for (let row = 0; row < batch.rowCount; row++) {
        if (roles[row] === RowRole.Skip) continue;
        const cells = batch.columns.map((data) => (data.kind === 'text' ? data.values[row] : data.nulls[row] === 1 ? null : data.values[row]));
        const key = `${contentOf(cells)}#${roles[row]}`;
        streamed.set(key, (streamed.get(key) ?? 0) + 1);
      }
    }
    // The source's columns kept on every row (the sample bound past every key), to tell contents apart.
    const select = scratchSelect(adapter, { source: from, columns, targetIndex: 2, fractions: SPEC, seed: SPEC.seed, encoding: encoding(), rawBelow: 2 ** 32 });
    const scratch = await createScratchTable(adapter, model, select, undefined);
    try {
      const inSql = new Map<string, number>();
      for (const [g, x, label, role] of (await adapter.query(`SELECT ${q('g')}, ${q('x')}, ${q('label')}, ${ROLE_COLUMN} FROM ${scratch.table}`)).rows) {
        const key = `${contentOf([g, x, label])}#${Number(role)}`;
        inSql.set(key, (inSql.get(key) ?? 0) + 1);
      }
      expect(new Map([...inSql].sort())).toEqual(new Map([...streamed].sort()));
      // Not vacuous: contents seen once and contents seen many times, in every role.
      const copies = new Map<string, number>();
      for (const [key, n] of streamed) copies.set(key.split('#')[0]!, (copies.get(key.split('#')[0]!) ?? 0) + n);
      expect([...copies.values()].filter((n) => n === 1).length).toBeGreaterThan(300);
      expect([...copies.values()].filter((n) => n > 5).length).toBeGreaterThan(50);
      expect(new Set([...streamed.keys()].map((key) => key.split('#')[1])).size).toBe(3);
    } finally {
      await dropScratchTable(adapter, scratch);
    }
  }, 60_000);

  it("fails with the database's own error on a late row and leaves no table", async () => {
    const failure = FIXTURES[adapter.sql.name]!.lateFailure;
    const from = `(SELECT g, ${failure.expression('id', ROWS - 50)} AS x, label FROM ${q(source)})`;
    const stream = await adapter.openStream(`SELECT * FROM ${from} AS s LIMIT 0`, { batchRows: 10 });
    const columns = stream.columns;
    await stream.close();
    const select = scratchSelect(adapter, { source: from, columns, targetIndex: 2, fractions: SPEC, seed: SPEC.seed, encoding: encoding(), rawBelow: HALF });
    const error = await rejectionOf(createScratchTable(adapter, model, select, undefined));
    expect(error.message).toMatch(failure.message);
    expect(await scratchTables()).toEqual([]);
  }, 60_000);
});
