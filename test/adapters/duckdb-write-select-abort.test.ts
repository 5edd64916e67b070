/**
 * DuckDB's writeSelect interrupts the adapter's shared connection when its statement's
 * signal aborts, and only while it runs: a writeSelect that failed before its statement
 * (its BEGIN refused) must leave no listener behind, or a later abort of that signal
 * interrupts whatever statement then holds the connection, another caller's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';

describe('duckdb writeSelect: its abort listener does not outlive it', () => {
  let adapter: Adapter;

  beforeAll(async () => {
    adapter = await openAdapter('duckdb::memory:');
  });

  afterAll(async () => {
    await adapter?.close();
  });

  it('a writeSelect whose BEGIN failed does not interrupt a later statement when its signal aborts', async () => {
    // A transaction left open on the shared connection: writeSelect's own BEGIN is refused.
    await adapter.query('BEGIN TRANSACTION');
    const controller = new AbortController();
    await expect(
      adapter.writeSelect({ name: 'scores' }, { select: 'SELECT 1 AS id, 0.5 AS score', passed: ['id'], computed: [{ name: 'score', type: 'double', dbType: '' }] }, 'replace', { signal: controller.signal }),
    ).rejects.toThrow(/transaction/i);
    await adapter.query('ROLLBACK');
    // Another caller's statement, long enough for the abort to land while it runs; not a
    // SELECT, whose failed stream would be read again.
    const other = adapter.query(`CREATE TABLE counted AS SELECT count(*) AS n FROM range(10000000) t(i) WHERE md5(CAST(i AS VARCHAR)) LIKE 'a%'`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await expect(other).resolves.toBeDefined();
    const [[n]] = (await adapter.query('SELECT n FROM counted')).rows as [[unknown]];
    expect(Number(n)).toBeGreaterThan(0);
  }, 120_000);
});
