/**
 * adapter.introspect on every database: the user's schemas, tables and views (not the
 * system's), columns in table order with their types as PostgreSQL types, NOT NULL and
 * defaults, and primary keys in key order, for names with quotes in them too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import { serverTargets } from '../helpers/servers.js';
import { DATABASE_FACTS } from '../helpers/database-facts.js';

const suffix = `${process.pid % 10000}_${Date.now() % 100000}`;
const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((t) => t.label !== 'postgres (cursor)')];

describe.each(TARGETS)('adapter.introspect on $label', ({ label }) => {
  const table = `Intro'Odd "T"_${suffix}`;
  const view = `intro_view_${suffix}`;
  let adapter: Adapter;
  let schema: string;

  beforeAll(async () => {
    adapter = await openAdapter(TARGETS.find((t) => t.label === label)!.url);
    const q = (name: string): string => adapter.sql.quoteIdent(name);
    await adapter.query(`DROP VIEW IF EXISTS ${q(view)}`);
    await adapter.query(`DROP TABLE IF EXISTS ${q(table)}`);
    await adapter.query(
      `CREATE TABLE ${q(table)} (id INTEGER NOT NULL, ${q('Name')} VARCHAR(12), amount DECIMAL(9,3) DEFAULT 1.5, big BIGINT, ratio DOUBLE PRECISION, day DATE, PRIMARY KEY (${q('Name')}, id))`,
    );
    await adapter.query(`CREATE VIEW ${q(view)} AS SELECT id FROM ${q(table)}`);
    schema = (await adapter.introspect.location()).schema;
  }, 60_000);

  afterAll(async () => {
    if (!adapter) return;
    await adapter.query(`DROP VIEW IF EXISTS ${adapter.sql.quoteIdent(view)}`).catch(() => undefined);
    await adapter.query(`DROP TABLE IF EXISTS ${adapter.sql.quoteIdent(table)}`).catch(() => undefined);
    await adapter.close();
  });

  it('lists the current schema among the user schemas, and no system schema', async () => {
    const schemas = await adapter.introspect.schemas();
    expect(schemas).toContain(schema);
    expect(schemas).not.toContain('information_schema');
    expect(schemas).not.toContain('pg_catalog');
  });

  it('lists the table and the view, each once, by their own names', async () => {
    const tables = (await adapter.introspect.tables()).filter((t) => t.name.endsWith(suffix));
    expect(tables).toEqual([
      { schema, name: table, kind: 'table' },
      { schema, name: view, kind: 'view' },
    ]);
  });

  it('gives the columns in table order, typed as PostgreSQL would show them, with NOT NULL and defaults', async () => {
    const columns = await adapter.introspect.columns({ name: table });
    expect(columns.map((c) => [c.name, c.postgresType.display, c.nullable])).toEqual([
      ['id', 'integer', false],
      // DuckDB keeps no VARCHAR length.
      ['Name', DATABASE_FACTS[adapter.sql.name].varcharKeepsLength ? 'character varying(12)' : 'character varying', false],
      ['amount', 'numeric(9,3)', true],
      ['big', 'bigint', true],
      ['ratio', 'double precision', true],
      ['day', 'date', true],
    ]);
    expect(columns.map((c) => c.postgresType.oid)).toEqual([23, 1043, 1700, 20, 701, 1082]);
    expect(columns.find((c) => c.name === 'amount')!.default).toMatch(/^1\.50*$/);
    expect(columns.find((c) => c.name === 'big')!.default).toBeNull();
    expect(await adapter.introspect.columns({ schema, name: table })).toEqual(columns);
    const all = await adapter.introspect.allColumns();
    expect(all.filter((t) => t.name === table)).toEqual([{ schema, name: table, columns }]);
    expect(all.find((t) => t.name === view)?.columns.map((c) => c.name)).toEqual(['id']);
  });

  it('gives the primary key in key order', async () => {
    const key = await adapter.introspect.primaryKey({ name: table });
    expect(key?.columns).toEqual(['Name', 'id']);
    expect(key?.name).toEqual(expect.any(String));
  });

  it("gives a view's definition, and none for a table", async () => {
    expect(await adapter.introspect.viewDefinition({ name: view })).toMatch(/\bid\b/);
    expect(await adapter.introspect.viewDefinition({ name: table })).toBeUndefined();
  });

  it('has nothing for a table that does not exist', async () => {
    expect(await adapter.introspect.columns({ name: `no_such_${suffix}` })).toEqual([]);
    expect(await adapter.introspect.primaryKey({ name: `no_such_${suffix}` })).toBeUndefined();
    expect(await adapter.introspect.primaryKey({ name: view })).toBeUndefined();
  });
});
