/**
 * A multiclass model compiled by this checkout's compiler against another's (its hashed
 * slots and text terms computed once per row in a layer below the margins, crossings
 * looked up in a dictionary, or not), side by side in one run, as JSON lines:
 *   npx tsx bench/multiclass-slots.ts --csv mc_1m.csv --base /path/to/other/checkout
 *     [--db duckdb,postgres] [--repeat 3] [--train-rows 200000] [--postgres URL]
 *     [--recipe 'cartesian(c2, c3)'] [--text sms_spam.csv] [--work /tmp/dir]
 * `--csv` is ../shared/bench/gen.py's multiclass table (`--task multiclass --rows 1000000
 * --seed 42`: c4 and c5 hashed, 7 classes); `--base` a checkout of the compiler to compare
 * with (e.g. `git worktree add --detach /tmp/base <commit>`), whose src/compile is loaded
 * beside this one. `--recipe` adds transforms to the recipe (after exclude(id));
 * `--text` adds a text column `msg`, row id's message being the (id mod N)th of that CSV's
 * `text` column (the SMS spam set: 5,574 messages). One model is trained once (DuckDB,
 * the first `--train-rows` rows) and compiled by both; then, alternately, `CREATE TABLE …
 * AS` the compiled SELECT of every row (what PREDICT … INTO runs): DuckDB embedded, timed
 * with this process's CPU seconds; PostgreSQL with parallel workers off, so the one
 * backend does all the work and its CPU seconds (from /proc, the server being local) are
 * the statement's. Each line carries the SQL's length, the seconds, the CPU seconds and
 * the load average; a last line per database counts the rows whose label or score differ
 * between the two (0 expected).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { postgresDialect } from '../adapters/postgres/dialect.js';
import type { CompileModel } from '../src/compile/index.js';
import { compileModel } from '../src/compile/index.js';
import type { Column } from '../src/data.js';
import { Engine } from '../src/engine/engine.js';
import { deserializeModel } from '../src/learn/model-format.js';
import type { TrainedModel } from '../src/learn/model.js';
import { median } from './median.js';
import { serialBackend } from './serial-backend.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}

const csv = resolve(option('csv', ''));
const base = resolve(option('base', ''));
const databases = option('db', 'duckdb,postgres').split(',');
const repeat = Number(option('repeat', '3'));
const trainRows = Number(option('train-rows', '200000'));
const postgresUrl = option('postgres', process.env.SQLML_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/sqlml_test');
const extraRecipe = option('recipe', '');
const textCsv = option('text', '');
const workDir = option('work', '/tmp');
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
const print = (line: Record<string, unknown>): void => console.log(JSON.stringify({ ...line, load: load() }));

const baseCompile = ((await import(join(base, 'src/compile/index.ts'))) as { compileModel: CompileModel }).compileModel;
const COMPILERS: readonly [string, CompileModel][] = [
  ['this', compileModel],
  ['base', baseCompile],
];

const TABLE = 'sqlml_bench_mc';
const work = join(workDir, `sqlml-multiclass-slots-${process.pid}.duckdb`);
const duck = await Engine.open(`duckdb:${work}`);
await duck.adapter.query(`CREATE TABLE ${TABLE} AS SELECT * FROM read_csv('${csv}', header = true)`);
if (textCsv !== '') {
  await duck.adapter.query(`CREATE TABLE sqlml_bench_sms AS SELECT row_number() OVER () - 1 AS rn, text FROM read_csv('${resolve(textCsv)}', header = true)`);
  await duck.adapter.query(
    `CREATE OR REPLACE TABLE ${TABLE} AS SELECT m.*, s.text AS msg FROM ${TABLE} m JOIN sqlml_bench_sms s ON m.id % (SELECT count(*) FROM sqlml_bench_sms) = s.rn ORDER BY m.id`,
  );
}
await duck.runAll(
  `CREATE MODEL mc FROM (SELECT * FROM ${TABLE} WHERE id < ${trainRows}) PREDICT label RECIPE (${['exclude(id)', ...(extraRecipe === '' ? [] : [extraRecipe])].join(', ')}) USING passes = 2;`,
);
const model: TrainedModel = deserializeModel((await duck.store.get('mc'))!.model);
print({ model: 'mc', task: model.task, classes: model.recipe.outputs, features: model.recipe.features.map((f) => f.kind), rows: Number((await duck.adapter.query(`SELECT count(*) FROM ${TABLE}`)).rows[0]![0]) });

async function columnsOf(engine: { openStream: Engine['adapter']['openStream'] }, select: string): Promise<Column[]> {
  const stream = await engine.openStream(select, { batchRows: 16 });
  const columns = [...stream.columns];
  await stream.close();
  return columns;
}

function selects(dialect: Engine['adapter']['sql'], columns: readonly Column[]): [string, string][] {
  return COMPILERS.map(([name, compile]) => {
    const compilation = compile(model, dialect, columns);
    if (!compilation.ok) throw new Error(`${name}: ${compilation.reason}`);
    return [name, compilation.compiled.select(dialect.quoteTable({ name: TABLE }), ['id'])];
  });
}

if (databases.includes('duckdb')) {
  const adapter = duck.adapter;
  const variants = selects(adapter.sql, await columnsOf(adapter, `SELECT * FROM ${TABLE}`));
  const times = new Map<string, { seconds: number[]; cpu: number[] }>(variants.map(([name]) => [name, { seconds: [], cpu: [] }]));
  for (let round = 0; round < repeat; round++) {
    for (const [name, select] of round % 2 === 0 ? variants : [...variants].reverse()) {
      await adapter.query(`DROP TABLE IF EXISTS out_${round}`);
      const cpu = process.cpuUsage();
      const started = performance.now();
      await adapter.query(`CREATE TABLE out_${round} AS ${select}`);
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const cpuSeconds = (used.user + used.system) / 1e6;
      times.get(name)!.seconds.push(seconds);
      times.get(name)!.cpu.push(cpuSeconds);
      print({ db: 'duckdb', variant: name, round, sql_chars: select.length, seconds: +seconds.toFixed(3), cpu_seconds: +cpuSeconds.toFixed(3) });
      await adapter.query(`DROP TABLE out_${round}`);
    }
  }
  for (const [name, select] of variants) {
    const t = times.get(name)!;
    print({ db: 'duckdb', variant: name, median: true, sql_chars: select.length, seconds: +median(t.seconds).toFixed(3), cpu_seconds: +median(t.cpu).toFixed(3) });
  }
  await adapter.query(`CREATE TABLE a AS ${variants[0]![1]}`);
  await adapter.query(`CREATE TABLE b AS ${variants[1]![1]}`);
  const differ = await adapter.query('SELECT count(*) FROM a JOIN b USING (id) WHERE a.predicted_label <> b.predicted_label OR abs(a.score - b.score) > 1e-12');
  print({ db: 'duckdb', rows_differing: Number(differ.rows[0]![0]) });
}

if (databases.includes('postgres')) {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
  const numbers = Array.from({ length: 10 }, (_, i) => `x${i + 1} DOUBLE PRECISION`).join(', ');
  const texts = Array.from({ length: 5 }, (_, i) => `c${i + 1} TEXT`).join(', ');
  await client.query(`CREATE TABLE ${TABLE} (id BIGINT, ${numbers}, ${texts}, label INTEGER${textCsv === '' ? '' : ', msg TEXT'})`);
  // The table as DuckDB holds it (with the text column, when there is one), in CSV.
  const copy = join(workDir, `sqlml-multiclass-slots-${process.pid}.csv`);
  await duck.adapter.query(`COPY (SELECT * FROM ${TABLE} ORDER BY id) TO '${copy}' (HEADER)`);
  execFileSync('psql', [postgresUrl, '-qc', `\\copy ${TABLE} FROM '${copy}' CSV HEADER`]);
  rmSync(copy, { force: true });
  await client.query(`VACUUM ANALYZE ${TABLE}`);
  const engine = await Engine.open(postgresUrl);
  const variants = selects(postgresDialect, await columnsOf(engine.adapter, `SELECT * FROM ${TABLE}`));
  await engine.close();
  const cpuOf = await serialBackend(client);
  const times = new Map<string, { seconds: number[]; cpu: number[] }>(variants.map(([name]) => [name, { seconds: [], cpu: [] }]));
  for (let round = 0; round < repeat; round++) {
    for (const [name, select] of round % 2 === 0 ? variants : [...variants].reverse()) {
      await client.query('DROP TABLE IF EXISTS sqlml_bench_out');
      const cpu = cpuOf();
      const started = performance.now();
      await client.query(`CREATE TABLE sqlml_bench_out AS ${select}`);
      const seconds = (performance.now() - started) / 1000;
      const cpuSeconds = cpuOf() - cpu;
      times.get(name)!.seconds.push(seconds);
      times.get(name)!.cpu.push(cpuSeconds);
      print({ db: 'postgres', variant: name, round, sql_chars: select.length, seconds: +seconds.toFixed(3), backend_cpu_seconds: +cpuSeconds.toFixed(2) });
    }
  }
  for (const [name, select] of variants) {
    const t = times.get(name)!;
    print({ db: 'postgres', variant: name, median: true, sql_chars: select.length, seconds: +median(t.seconds).toFixed(3), backend_cpu_seconds: +median(t.cpu).toFixed(2) });
  }
  await client.query('DROP TABLE IF EXISTS sqlml_bench_a, sqlml_bench_b');
  await client.query(`CREATE TABLE sqlml_bench_a AS ${variants[0]![1]}`);
  await client.query(`CREATE TABLE sqlml_bench_b AS ${variants[1]![1]}`);
  const differ = await client.query(
    'SELECT count(*) AS n FROM sqlml_bench_a a JOIN sqlml_bench_b b USING (id) WHERE a.predicted_label <> b.predicted_label OR abs(a.score - b.score) > 1e-12',
  );
  print({ db: 'postgres', rows_differing: Number(differ.rows[0].n) });
  await client.query(`DROP TABLE IF EXISTS sqlml_bench_a, sqlml_bench_b, sqlml_bench_out, ${TABLE}`);
  await client.end();
}

await duck.close();
rmSync(work, { force: true });
rmSync(`${work}.wal`, { force: true });
