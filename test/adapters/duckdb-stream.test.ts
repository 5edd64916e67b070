/**
 * DuckDB's own side of a stream failing on a late row (the shared side is in
 * conformance.test.ts): DuckDB keeps the message of such a failure to itself, and the
 * adapter runs the query again to learn it. A failure that does not repeat must still
 * end the stream with an error.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import { SqlmlError } from '../../src/errors.js';

let adapter: Adapter;
beforeAll(async () => {
  adapter = await openAdapter('duckdb::memory:');
});
afterAll(async () => {
  await adapter.close();
});

it('ends a stream with an error when its late failure does not repeat on the second run', async () => {
  await adapter.query('CREATE SEQUENCE once');
  // Only the first late row ever fails: the sequence has moved on when the query runs again.
  const select = `SELECT CASE WHEN range > 900000 AND nextval('once') = 1 THEN error('boom') ELSE range END AS i FROM range(1000000)`;
  const stream = await adapter.openStream(select, { batchRows: 4096 });
  let rows = 0;
  let failure: unknown;
  try {
    for await (const batch of stream.batches()) rows += batch.rowCount;
  } catch (error) {
    failure = error;
  }
  expect(rows).toBeGreaterThan(4096);
  expect(rows).toBeLessThan(1_000_000);
  expect(failure).toBeInstanceOf(SqlmlError);
  expect((failure as SqlmlError).code).toBe('database');
  expect((failure as Error).message).toMatch(/failed part-way through its rows/);
  expect((await adapter.query('SELECT 9 AS nine')).rows).toEqual([[9]]);
});
