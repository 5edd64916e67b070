/**
 * The training's encoded values in SQL (src/compile/objective-sql.ts float32): on every
 * database, any double within float32's range, of either sign, stored by a
 * CREATE TABLE … AS (as the scratch table stores them) and read back in arithmetic with a
 * double (as each iteration reads them), is Math.fround of it, exactly; NULL stays NULL.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import { float32 } from '../../src/compile/objective-sql.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];
/** Below float32's largest finite value by more than half its last unit: the doubles that round to a finite float32. */
const FLOAT32_RANGE = 3.4028234663852886e38;
const EDGES = [0, -0, 0.1, -0.1, 1 - 2 ** -25, -(1 - 2 ** -25), 16777217, -16777217, 2 ** -149, -(2 ** -149), 1.5 * 2 ** -149, 2 ** -150, -(2 ** -151), 1e-300, -1e-300, 1e-44, FLOAT32_RANGE, -FLOAT32_RANGE];

describe.each(TARGETS)('encoded values on $label', ({ url }) => {
  let adapter: Adapter;
  const table = `encoded_values_${process.pid.toString(36)}`;
  beforeAll(async () => {
    adapter = await openAdapter(url);
  });
  afterAll(async () => {
    await adapter?.query(`DROP TABLE IF EXISTS ${adapter.sql.quoteIdent(table)}`).catch(() => undefined);
    await adapter?.close();
  });

  /** Each of `xs` (null: NULL) stored through float32 by a CTAS, then read back times a double 1. */
  const roundTrip = async (xs: readonly (number | null)[]): Promise<(number | null)[]> => {
    const q = (name: string): string => adapter.sql.quoteIdent(name);
    const double = (x: number | null): string => (x === null ? `CAST(NULL AS ${adapter.sql.split.doubleCast})` : `CAST('${Object.is(x, -0) ? '-0' : String(x)}' AS ${adapter.sql.split.doubleCast})`);
    const rows = xs.map((x, i) => `SELECT ${i} AS ${q('i')}, ${double(x)} AS ${q('x')}`).join(' UNION ALL ');
    await adapter.query(`DROP TABLE IF EXISTS ${q(table)}`);
    await adapter.query(`${adapter.sql.scratchTable.create} ${q(table)} AS SELECT ${q('i')}, ${float32(adapter.sql, q('x'))} AS ${q('v')} FROM (${rows}) AS ${q('t')}`);
    const result = await adapter.query(`SELECT ${q('i')}, ${q('v')} * CAST(1 AS ${adapter.sql.split.doubleCast}) FROM ${q(table)} ORDER BY ${q('i')}`);
    return result.rows.map((row) => (row[1] === null ? null : Number(row[1])));
  };

  it('is Math.fround of any double in range, either sign, read back exactly', async () => {
    // toEqual tells -0 from 0: what a database keeps of a zero's sign is not asked for (its products are ±0 alike, and add up the same).
    const zeroless = (x: number | null): number | null => (x === 0 ? 0 : x);
    expect((await roundTrip([...EDGES, null])).map(zeroless)).toEqual([...EDGES.map((x) => zeroless(Math.fround(x))), null]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.double({ min: -FLOAT32_RANGE, max: FLOAT32_RANGE, noNaN: true }), { minLength: 1, maxLength: 30 }), async (xs) => {
        expect((await roundTrip(xs)).map(zeroless)).toEqual(xs.map((x) => zeroless(Math.fround(x))));
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});
