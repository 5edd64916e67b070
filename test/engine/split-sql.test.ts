/**
 * The split computed by the database (heldOutSql) agrees with the stream's: each content
 * has as many held-out copies either way. The content hash comes from JavaScript (no
 * database computes it yet), joined in from a table of the distinct contents; the
 * occurrence count and the held-out test are the database's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import { valueAt, type Value } from '../../src/data.js';
import { heldOutSql } from '../../src/engine/split-sql.js';
import { mulberry32 } from '../../src/learn/random.js';
import { hashRow, RowRole, RowSplitter, type SplitSpec } from '../../src/learn/split.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets())];
const ROWS = 'split_sql_rows';
const HASHES = 'split_sql_hashes';
const SPEC: SplitSpec = { trainFraction: 0.7, validationFraction: 0, seed: 3 };

/** 3,000 rows over 40 contents, NULL features and targets among them, in a shuffled order. */
function rows(): Value[][] {
  const next = mulberry32(17);
  const pool: Value[][] = Array.from({ length: 40 }, (_, i) => [i % 9 === 0 ? null : 18 + (i % 13) + 0.5, ['married', 'single', 'divorced', 'déjà vu'][i % 4]!, i % 11 === 0 ? null : i % 2]);
  return Array.from({ length: 3000 }, () => pool[Math.floor(next() ** 2 * pool.length)]!);
}

const literal = (value: Value): string => (value === null ? 'NULL' : typeof value === 'string' ? `'${value}'` : String(value));
const keyOf = (values: readonly Value[]): string => JSON.stringify(values.map((v) => (v === null ? null : String(Number.isNaN(Number(v)) ? v : Number(v)))));

describe.each(TARGETS)('the held-out test in SQL on $label', ({ url }) => {
  let adapter: Adapter;
  beforeAll(async () => {
    adapter = await openAdapter(url);
    for (const table of [ROWS, HASHES]) await adapter.query(`DROP TABLE IF EXISTS ${adapter.quoteIdent(table)}`);
    await adapter.query(`CREATE TABLE ${adapter.quoteIdent(ROWS)} (a DOUBLE PRECISION, b VARCHAR(20), y INTEGER)`);
    const all = rows();
    for (let from = 0; from < all.length; from += 500) {
      const values = all.slice(from, from + 500).map((row) => `(${row.map(literal).join(', ')})`);
      await adapter.query(`INSERT INTO ${adapter.quoteIdent(ROWS)} (a, b, y) VALUES ${values.join(', ')}`);
    }
  });
  afterAll(async () => {
    for (const table of [ROWS, HASHES]) await adapter.query(`DROP TABLE IF EXISTS ${adapter.quoteIdent(table)}`);
    await adapter.close();
  });

  it('holds out as many copies of each content as the stream does', async () => {
    // The stream's split, and each content's hash.
    const streamHeld = new Map<string, number>();
    let withTarget = 0;
    const hashes = new Map<string, { values: Value[]; hash: number }>();
    const stream = await adapter.openStream(`SELECT a, b, y FROM ${adapter.quoteIdent(ROWS)}`, { batchRows: 256 });
    const splitter = new RowSplitter(SPEC);
    const roles = new Uint8Array(256);
    for await (const batch of stream.batches()) {
      splitter.assign(batch, 2, roles);
      for (let row = 0; row < batch.rowCount; row++) {
        if (roles[row] === RowRole.Skip) continue;
        withTarget++;
        const values = stream.columns.map((column, c) => valueAt(column, batch.columns[c]!, row));
        const key = keyOf(values);
        streamHeld.set(key, (streamHeld.get(key) ?? 0) + (roles[row] === RowRole.Holdout ? 1 : 0));
        hashes.set(key, { values, hash: hashRow(batch, row, SPEC.seed) });
      }
    }

    const q = (name: string): string => adapter.quoteIdent(name);
    await adapter.query(`CREATE TABLE ${q(HASHES)} (a DOUBLE PRECISION, b VARCHAR(20), y INTEGER, h BIGINT)`);
    const hashRows = [...hashes.values()].map(({ values, hash }) => `(${[...values, hash].map(literal).join(', ')})`);
    await adapter.query(`INSERT INTO ${q(HASHES)} (a, b, y, h) VALUES ${hashRows.join(', ')}`);
    const held = heldOutSql('h.h', ['r.a', 'r.b', 'r.y'], SPEC.trainFraction!);
    const result = await adapter.query(
      `SELECT a, b, y, SUM(held) AS held FROM (
         SELECT r.a, r.b, r.y, ${held} AS held
         FROM (SELECT a, b, y FROM ${q(ROWS)} WHERE y IS NOT NULL) r
         JOIN ${q(HASHES)} h ON (r.a = h.a OR (r.a IS NULL AND h.a IS NULL)) AND r.b = h.b AND r.y = h.y
       ) s GROUP BY a, b, y`,
    );
    const sqlHeld = new Map(result.rows.map((row) => [keyOf(row.slice(0, 3)), Number(row[3])]));

    expect(sqlHeld).toEqual(streamHeld);
    // Not a vacuous agreement: most contents are split between the two sides.
    const total = [...streamHeld.values()].reduce((sum, n) => sum + n, 0);
    expect(withTarget).toBeGreaterThan(2000);
    expect(Math.abs(total / withTarget - 0.3)).toBeLessThan(0.02);
    expect([...streamHeld.values()].filter((n) => n > 0).length).toBeGreaterThan(20);
  });
});
