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
import { createScratchTable, dropScratchTable, ROLE_COLUMN, SCRATCH_PREFIX, scratchSelect, scratchTableName } from '../../src/engine/scratch-table.js';
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

it('names the table after the model, readably and apart from every other model', () => {
  expect(scratchTableName('churn')).toMatch(/^sqlml_scratch_churn_[0-9a-f]{8}$/);
  expect(scratchTableName('Churn')).not.toBe(scratchTableName('churn'));
  expect(scratchTableName('a b"; DROP TABLE x')).toMatch(/^sqlml_scratch_a_b_drop_table_x_[0-9a-f]{8}$/);
  expect(scratchTableName('x'.repeat(200)).length).toBeLessThanOrEqual(63);
});

describe.each(TARGETS)('the scratch table on $label', ({ url }) => {
  let adapter: Adapter;
  const source = `scratch_src_${process.pid.toString(36)}`;
  const model = `scratch model ${process.pid.toString(36)}`;
  const q = (name: string): string => adapter.sql.quoteIdent(name);
  const scratchTables = async (): Promise<number> => {
    const like = `${SCRATCH_PREFIX}%`;
    const result = await adapter.query(`SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE '${like.replaceAll('_', '\\_')}' ${adapter.sql.name === 'mysql' ? '' : "ESCAPE '\\'"} AND table_name LIKE '%${scratchTableName(model).slice(-8)}'`);
    return Number(result.rows[0]![0]);
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
    // A leftover of a crashed training of the same model is replaced, not an error.
    await adapter.query(`CREATE TABLE ${q(scratchTableName(model))} (leftover INTEGER)`);
    const scratch = await createScratchTable(adapter, model, select, undefined);
    try {
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
      expect(await scratchTables()).toBe(1);
    } finally {
      await dropScratchTable(adapter, scratch.table);
    }
    expect(await scratchTables()).toBe(0);
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
    expect(await scratchTables()).toBe(0);
  }, 60_000);
});
