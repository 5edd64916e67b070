/**
 * How long psql's and JDBC's catalog queries take through `serve --pg` where sqlml answers
 * them (src/server/pg-catalog.ts), as JSON lines:
 *   npx tsx bench/wire-introspection.ts [--tables 200] [--columns 10] [--runs 5] [--mysql URL]
 * Creates the tables in an in-memory DuckDB (and, with --mysql, in that MySQL database,
 * which should be one of the bench's own: its tables are dropped after), starts the wire
 * listener in this process and sends, through node `pg`, the queries psql 15 sends for
 * `\dt` and `\d name` (the lookup, the columns, the primary key) and the one JDBC's
 * getColumns(null, null, "%", "%") sends. The median of --runs per query.
 */
import pg from 'pg';
import { Engine } from '../src/engine/engine.js';
import { startPgServer } from '../src/server/pg-gateway.js';
import { median } from './median.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const TABLES = Number(option('--tables', '200'));
const COLUMNS = Number(option('--columns', '10'));
const RUNS = Number(option('--runs', '5'));
const MYSQL = option('--mysql', '');

const DT = `SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;`;

const LOOKUP = (name: string): string => `SELECT c.oid,
  n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(${name})$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 2, 3;`;

const ATTRIBUTES = (oid: string): string => `SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  a.attnotnull
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '${oid}' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;`;

const INDEXES = (oid: string): string => `SELECT c2.relname, i.indisprimary, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true)
FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
WHERE c.oid = '${oid}' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
ORDER BY i.indisprimary DESC, c2.relname;`;

const GET_COLUMNS = `SELECT * FROM (SELECT n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull AS attnotnull,a.atttypmod,a.attlen,-1 AS typtypmod,a.attnum AS attnum, NULL as attidentity, NULL as attgenerated, pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc, NULL AS description, 0 AS typbasetype, 'b' AS typtype FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid) JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid) WHERE c.relkind in ('r','p','v','f','m') AND c.relname LIKE '%') c WHERE true AND attname LIKE '%' ORDER BY nspname,c.relname,attnum`;

function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'wire-introspection', tables: TABLES, columns: COLUMNS, ...record })}\n`);
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return Math.round(median(times) * 10) / 10;
}

async function bench(label: string, url: string): Promise<void> {
  const engine = await Engine.open(url);
  const sql = engine.adapter.sql;
  const names = Array.from({ length: TABLES }, (_, i) => `bench_intro_${i}`);
  const columns = Array.from({ length: COLUMNS }, (_, j) => `c${j} ${j === 0 ? 'INTEGER PRIMARY KEY' : j % 2 ? 'VARCHAR(40)' : 'DOUBLE PRECISION'}`).join(', ');
  for (const name of names) await engine.adapter.query(`CREATE TABLE ${sql.quoteIdent(name)} (${columns})`);
  const server = await startPgServer(engine, { port: 0, token: 'bench' });
  const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'bench', password: 'bench', database: 'bench' });
  await client.connect();
  try {
    const listed = await client.query(DT);
    if (listed.rows.length < TABLES) throw new Error(`\\dt listed ${listed.rows.length} tables, expected at least ${TABLES}`);
    emit({ database: label, query: 'psql \\dt', ms: await timed(() => client.query(DT)) });
    const target = names[TABLES >> 1]!;
    emit({
      database: label,
      query: 'psql \\d name (lookup, columns, primary key)',
      ms: await timed(async () => {
        const oid = String((await client.query(LOOKUP(target))).rows[0].oid);
        await client.query(ATTRIBUTES(oid));
        await client.query(INDEXES(oid));
      }),
    });
    const all = await client.query(GET_COLUMNS);
    if (all.rows.length < TABLES * COLUMNS) throw new Error(`getColumns gave ${all.rows.length} columns, expected at least ${TABLES * COLUMNS}`);
    emit({ database: label, query: 'JDBC getColumns(%, %)', rows: all.rows.length, ms: await timed(() => client.query(GET_COLUMNS)) });
  } finally {
    await client.end();
    await server.close();
    for (const name of names) await engine.adapter.query(`DROP TABLE IF EXISTS ${sql.quoteIdent(name)}`);
    await engine.close();
  }
}

await bench('duckdb', 'duckdb::memory:');
if (MYSQL) await bench('mysql', MYSQL);
