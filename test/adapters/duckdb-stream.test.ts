/**
 * DuckDB's own side of a stream failing on a late row (the shared side is in
 * conformance.test.ts): DuckDB keeps the message of such a failure to itself, and the
 * adapter runs the query again to learn it. A failure that does not repeat must still
 * end the stream with an error. And a stream left before its end must not keep its file
 * database open after the adapter closed: reopening it would wait in DuckDB's instance
 * cache until the abandoned result happened to be garbage-collected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, RowStream } from '../../adapters/adapter.js';
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

describe('a stream left before its end, on a file database', () => {
  const folder = mkdtempSync(join(tmpdir(), 'sqlml-duckdb-abandon-'));
  const url = `duckdb:${join(folder, 'abandon.duckdb')}`;
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  beforeAll(async () => {
    const setup = await openAdapter(url);
    await setup.query('CREATE TABLE numbers AS SELECT range AS i, range * 0.5 AS x FROM range(500000)');
    await setup.close();
  });

  /** Opening the file again; a stall shows as this rejecting (the busy wait never ends while the result is reachable). */
  async function reopenWithin(ms: number): Promise<Adapter> {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`reopening the database took over ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([openAdapter(url), stalled]);
    } finally {
      clearTimeout(timer);
    }
  }

  it.each([
    ['the consumer breaks out after the first batch', async (stream: RowStream) => {
      for await (const batch of stream.batches()) {
        expect(batch.rowCount).toBe(4096);
        break;
      }
    }],
    ['the consumer throws on the first batch', async (stream: RowStream) => {
      await expect(async () => {
        for await (const batch of stream.batches()) throw new Error(`consumer failed at ${batch.rowCount} rows`);
      }).rejects.toThrow('consumer failed at 4096 rows');
    }],
    ['the stream is closed unread', (stream: RowStream) => stream.close()],
  ])('%s: closing the adapter releases the file, which reopens at once', async (_, abandon) => {
    let adapter = await openAdapter(url);
    for (let round = 0; round < 3; round++) {
      await abandon(await adapter.openStream('SELECT i, x FROM numbers', { batchRows: 4096 }));
      await adapter.close();
      adapter = await reopenWithin(5_000);
      expect((await adapter.query('SELECT count(*) AS n FROM numbers')).rows).toEqual([[500000]]);
    }
    await adapter.close();
  });
});

it('reads every row of a query whose filter drops whole vectors (chunks that come out empty inside the pipeline), through query() and streams', async () => {
  // Multiples of 2048 rows (DuckDB's vector size) pass in runs with whole vectors dropped
  // between them, and a tail after a long empty stretch; on 2 threads the scan is split
  // into morsels whose filtered chunks are empty.
  const select = 'SELECT range AS i FROM range(3000000) WHERE (range // 2048) % 97 = 0 OR range >= 2999000';
  const expected = Number((await adapter.query(`SELECT count(*) FROM (${select}) AS counted`)).rows[0]![0]);
  expect(expected).toBe(16 * 2048 + 1000);
  for (let attempt = 0; attempt < 5; attempt++) {
    const queried = await adapter.query(select);
    expect(queried.rows).toHaveLength(expected);
    const stream = await adapter.openStream(select, { batchRows: 4096 });
    let rows = 0;
    let last = -1;
    for await (const batch of stream.batches()) {
      rows += batch.rowCount;
      const values = (batch.columns[0] as { values: Float64Array }).values;
      last = Math.max(last, values[batch.rowCount - 1]!);
    }
    expect(rows).toBe(expected);
    expect(last).toBe(2999999);
  }
});
