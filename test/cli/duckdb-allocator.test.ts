import { describe, expect, it } from 'vitest';
import { boundDuckDBAllocator, boundsDuckDBMemory, databaseUrlOf, RETURN_FREED_PAGES } from '../../src/cli/duckdb-allocator.js';

describe('cli: DuckDB allocator options for a bounded DuckDB', () => {
  it('reads the database URL as the CLI does: --db URL, --db=URL, else SQLML_DB', () => {
    expect(databaseUrlOf(['--db', 'duckdb:a.duckdb', '-e', 'SELECT 1'], {})).toBe('duckdb:a.duckdb');
    expect(databaseUrlOf(['-e', 'SELECT 1', '--db=duckdb:b.duckdb'], {})).toBe('duckdb:b.duckdb');
    expect(databaseUrlOf(['-e', 'SELECT 1'], { SQLML_DB: 'duckdb:c.duckdb' })).toBe('duckdb:c.duckdb');
    expect(databaseUrlOf(['--', '--db', 'duckdb:d.duckdb'], {})).toBeUndefined();
  });

  it('bounds only DuckDB URLs that set memory_limit or max_memory', () => {
    expect(boundsDuckDBMemory('duckdb:x.duckdb?memory_limit=128MB')).toBe(true);
    expect(boundsDuckDBMemory('duckdb::memory:?threads=2&MAX_MEMORY=1GB')).toBe(true);
    expect(boundsDuckDBMemory('duckdb:x.duckdb?threads=2')).toBe(false);
    expect(boundsDuckDBMemory('duckdb:x.duckdb')).toBe(false);
    expect(boundsDuckDBMemory('postgres://u@h/db?memory_limit=1GB')).toBe(false);
    expect(boundsDuckDBMemory(undefined)).toBe(false);
  });

  it('sets DUCKDB_JE_MALLOC_CONF for a bounded DuckDB, and never over what the user set', () => {
    const bounded = ['--db', 'duckdb:x.duckdb?memory_limit=128MB'];
    const env: NodeJS.ProcessEnv = {};
    expect(boundDuckDBAllocator(bounded, env)).toBe(true);
    expect(env.DUCKDB_JE_MALLOC_CONF).toBe(RETURN_FREED_PAGES);
    const own: NodeJS.ProcessEnv = { DUCKDB_JE_MALLOC_CONF: '' };
    expect(boundDuckDBAllocator(bounded, own)).toBe(false);
    expect(own.DUCKDB_JE_MALLOC_CONF).toBe('');
    const unbounded: NodeJS.ProcessEnv = {};
    expect(boundDuckDBAllocator(['--db', 'duckdb:x.duckdb'], unbounded)).toBe(false);
    expect(unbounded.DUCKDB_JE_MALLOC_CONF).toBeUndefined();
  });
});
