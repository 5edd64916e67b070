import { describe, expect, it } from 'vitest';
import { openAdapter } from '../../adapters/registry.js';
import { duckdbConfig, duckdbLocation } from '../../adapters/duckdb/duckdb-adapter.js';

describe('duckdb: URL settings', () => {
  it('passes ?key=value pairs to DuckDB as configuration, apart from the path', async () => {
    expect(duckdbLocation('duckdb::memory:?memory_limit=300MB')).toBe(':memory:');
    expect(duckdbConfig('duckdb:x.duckdb?memory_limit=300MB&threads=1')).toEqual({ memory_limit: '300MB', threads: '1' });
    const adapter = await openAdapter('duckdb::memory:?threads=1');
    try {
      const result = await adapter.query("SELECT current_setting('threads') AS t");
      expect(Number(result.rows[0]![0])).toBe(1);
    } finally {
      await adapter.close();
    }
  });

  it('names a setting DuckDB does not know', async () => {
    await expect(openAdapter('duckdb::memory:?bogus=1')).rejects.toThrow(/bogus/);
  });
});
