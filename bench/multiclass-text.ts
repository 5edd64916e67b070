/**
 * A multiclass model's text feature compiled by this checkout and by another (`--base`),
 * side by side: `CREATE TABLE … AS` the compiled SELECT over the SMS spam messages
 * repeated `--times` times, each form twice alternately, as JSON lines:
 *   npx tsx bench/multiclass-text.ts --base /path/to/other/checkout [--times 9]
 *     [--db duckdb,postgres] [--postgres URL] [--data /work/shared/data]
 * The model (`ngram(msg, 2)`, 7 classes from the row number) is trained once on DuckDB.
 * PostgreSQL runs with parallel workers off and jit off, its backend's CPU seconds (from
 * /proc, the server being local) being the statement's; DuckDB with this process's CPU
 * seconds. A last line per database counts the rows whose label or score differ (0
 * expected). (bench/multiclass-slots.ts --text does the same over gen.py's 1M rows.)
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { duckdbDialect } from '../adapters/duckdb/dialect.js';
import { postgresDialect } from '../adapters/postgres/dialect.js';
import type { CompileModel } from '../src/compile/index.js';
import { compileModel } from '../src/compile/index.js';
import type { Column } from '../src/data.js';
import { Engine } from '../src/engine/engine.js';
import { deserializeModel } from '../src/learn/model-format.js';
import { serialBackend } from './serial-backend.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}

const base = resolve(option('base', ''));
const times = Number(option('times', '9'));
const databases = option('db', 'duckdb,postgres').split(',');
const postgresUrl = option('postgres', process.env.SQLML_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/sqlml_test');
const data = option('data', process.env.SQLML_SHARED_DATA ?? '/work/shared/data');
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
const print = (line: Record<string, unknown>): void => console.log(JSON.stringify({ ...line, load: load() }));

const baseCompile = ((await import(join(base, 'src/compile/index.ts'))) as { compileModel: CompileModel }).compileModel;
const COMPILERS: readonly [string, CompileModel][] = [
  ['this', compileModel],
  ['base', baseCompile],
];

const duck = await Engine.open('duckdb::memory:');
await duck.adapter.query(
  `CREATE TABLE sms AS SELECT row_number() OVER () AS id, text AS msg, (row_number() OVER ()) % 7 AS k FROM read_csv('${join(data, 'sms_spam.csv')}', header = true)`,
);
await duck.runAll('CREATE MODEL m FROM (SELECT msg, k FROM sms) PREDICT k RECIPE (ngram(msg, 2)) USING passes = 1;');
const model = deserializeModel((await duck.store.get('m'))!.model);
const messages = (await duck.adapter.query('SELECT id, msg FROM sms')).rows;
const columns: Column[] = [
  { name: 'id', type: 'bigint', dbType: '' },
  { name: 'msg', type: 'text', dbType: '' },
];

async function measure(db: string, dialect: typeof postgresDialect, table: string, run: (sql: string) => Promise<number>, differing: () => Promise<number>): Promise<void> {
  const selects = COMPILERS.map(([name, compile]) => {
    const compilation = compile(model, dialect, columns);
    if (!compilation.ok) throw new Error(`${name}: ${compilation.reason}`);
    return [name, compilation.compiled.select(table, ['id'])] as const;
  });
  for (let round = 0; round < 2; round++) {
    for (const [name, select] of round === 0 ? selects : [...selects].reverse()) {
      const cpu = await run(`CREATE TABLE out_${name} AS ${select}`);
      print({ db, variant: name, round, rows: messages.length * (times + 1), sql_chars: select.length, cpu_seconds: +cpu.toFixed(2) });
    }
  }
  print({ db, rows_differing: await differing() });
}

const DIFFER = 'SELECT count(*) AS n FROM out_this a JOIN out_base b USING (id) WHERE a.predicted_label <> b.predicted_label OR abs(a.score - b.score) > 1e-12';

if (databases.includes('duckdb')) {
  await duck.adapter.query(`CREATE TABLE big AS SELECT s.id + 100000 * r AS id, s.msg FROM sms s CROSS JOIN range(${times + 1}) t(r)`);
  await measure(
    'duckdb',
    duckdbDialect,
    'big',
    async (sql) => {
      await duck.adapter.query(`DROP TABLE IF EXISTS ${/out_\w+/.exec(sql)![0]}`);
      const before = process.cpuUsage();
      await duck.adapter.query(sql);
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1e6;
    },
    async () => Number((await duck.adapter.query(DIFFER)).rows[0]![0]),
  );
}

if (databases.includes('postgres')) {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS sqlml_bench_sms, out_this, out_base');
  await client.query('CREATE TABLE sqlml_bench_sms (id BIGINT, msg TEXT)');
  for (let i = 0; i < messages.length; i += 500) {
    const part = messages.slice(i, i + 500);
    await client.query(`INSERT INTO sqlml_bench_sms VALUES ${part.map((_, j) => `($${2 * j + 1}, $${2 * j + 2})`).join(', ')}`, part.flatMap((r) => [Number(r[0]), r[1]]));
  }
  await client.query(`INSERT INTO sqlml_bench_sms SELECT s.id + 100000 * r, s.msg FROM sqlml_bench_sms s CROSS JOIN generate_series(1, ${times}) AS r`);
  const cpuOf = await serialBackend(client);
  await measure(
    'postgres',
    postgresDialect,
    'sqlml_bench_sms',
    async (sql) => {
      await client.query(`DROP TABLE IF EXISTS ${/out_\w+/.exec(sql)![0]}`);
      const before = cpuOf();
      await client.query(sql);
      return cpuOf() - before;
    },
    async () => Number((await client.query(DIFFER)).rows[0].n),
  );
  await client.query('DROP TABLE IF EXISTS sqlml_bench_sms, out_this, out_base');
  await client.end();
}

await duck.close();
