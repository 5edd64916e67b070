/**
 * Whether a crossing's dictionary of known pairs pays: the crossing's offset alone, as
 * the compiler states it with the model's names (the pairs searched, md5 for the rest)
 * and without them (md5 for every row), summed over every row of gen.py's table, each
 * form `--repeat` times alternately, as JSON lines:
 *   npx tsx bench/cross-dictionary.ts --csv mc_1m.csv [--crossing 'cartesian(c2, c3)']
 *     [--db duckdb,postgres] [--repeat 5] [--train-rows 200000] [--postgres URL] [--work /tmp/dir]
 * The model (the crossing and nothing else) is trained once on DuckDB. PostgreSQL runs
 * with parallel workers off, its backend's CPU seconds (from /proc, the server being
 * local) being the statement's; DuckDB (which has no byte-order search of its own: the
 * bench gives its dialect one, VARCHAR comparing by bytes) with this process's CPU
 * seconds. Each line carries the CPU seconds, the SQL's length and the load average; the
 * two forms' sums must agree (`same`).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { duckdbDialect } from '../adapters/duckdb/dialect.js';
import type { SqlDialect } from '../adapters/dialect.js';
import { postgresDialect } from '../adapters/postgres/dialect.js';
import { translate } from '../src/compile/compile-model.js';
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
const crossingText = option('crossing', 'cartesian(c2, c3)');
const databases = option('db', 'duckdb,postgres').split(',');
const repeat = Number(option('repeat', '5'));
const trainRows = Number(option('train-rows', '200000'));
const postgresUrl = option('postgres', process.env.SQLML_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/sqlml_test');
const workDir = option('work', '/tmp');
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
const print = (line: Record<string, unknown>): void => console.log(JSON.stringify({ ...line, crossing: crossingText, load: load() }));

const TABLE = 'sqlml_bench_cross';
const work = join(workDir, `sqlml-cross-dictionary-${process.pid}.duckdb`);
const duck = await Engine.open(`duckdb:${work}`);
await duck.adapter.query(`CREATE TABLE ${TABLE} AS SELECT * FROM read_csv('${csv}', header = true)`);
const sides = /cartesian\((\w+), *(\w+)\)/.exec(crossingText)!.slice(1);
await duck.runAll(`CREATE MODEL x FROM (SELECT ${sides.join(', ')}, label FROM ${TABLE} WHERE id < ${trainRows}) PREDICT label RECIPE (${crossingText}) USING passes = 1;`);
const model: TrainedModel = deserializeModel((await duck.store.get('x'))!.model);

/** The crossing's offset as the compiler states it, with the model's names or without. */
function offsetOf(dialect: SqlDialect, columns: readonly Column[], withNames: boolean): string {
  const feature = model.recipe.features.find((f) => f.kind === 'cartesian')!;
  let offset: string | null = null;
  const scope = {
    dialect,
    weights: { outputs: 1, weight: (): number => 0 },
    columns: (name: string): string => dialect.quoteIdent(name),
    column: (name: string): Column => columns.find((c) => c.name === name)!,
    share: (expression: string): string => (offset = expression),
  };
  const translated = translate(scope, feature, { recipe: model.recipe, hashedNames: withNames ? model.hashedNames : null });
  if (!translated.ok) throw new Error(translated.reason);
  return offset!;
}

const columns: Column[] = sides.map((name) => ({ name, type: 'text', dbType: '' }));

async function measure(db: string, run: (sql: string) => Promise<{ cpu: number; sum: string }>, dialect: SqlDialect): Promise<void> {
  const forms: [string, string][] = [
    ['dictionary', `SELECT sum(${offsetOf(dialect, columns, true)}) FROM ${TABLE}`],
    ['md5', `SELECT sum(${offsetOf(dialect, columns, false)}) FROM ${TABLE}`],
  ];
  const cpu = new Map<string, number[]>(forms.map(([name]) => [name, []]));
  const sums = new Map<string, string>();
  for (let round = 0; round < repeat; round++) {
    for (const [name, sql] of round % 2 === 0 ? forms : [...forms].reverse()) {
      const got = await run(sql);
      cpu.get(name)!.push(got.cpu);
      sums.set(name, got.sum);
      print({ db, form: name, round, sql_chars: sql.length, cpu_seconds: +got.cpu.toFixed(3) });
    }
  }
  for (const [name, sql] of forms) print({ db, form: name, median: true, sql_chars: sql.length, cpu_seconds: +median(cpu.get(name)!).toFixed(3) });
  print({ db, same: sums.get('dictionary') === sums.get('md5'), sum: sums.get('md5') });
}

print({ pairs_named: Object.values(model.hashedNames?.slots ?? {}).flat().filter(([f]) => f >= 0).length, rows: Number((await duck.adapter.query(`SELECT count(*) FROM ${TABLE}`)).rows[0]![0]) });

if (databases.includes('duckdb')) {
  // A byte-order search for the bench only: DuckDB's VARCHAR compares by bytes.
  const searching: SqlDialect = { ...duckdbDialect, hashedTextKey: (x) => `CAST(${x} AS VARCHAR)`, textKeyBelow: (key, value) => `${key} < ${duckdbDialect.textKeyConstant(value)}` };
  await measure(
    'duckdb',
    async (sql) => {
      const before = process.cpuUsage();
      const result = await duck.adapter.query(sql);
      const used = process.cpuUsage(before);
      return { cpu: (used.user + used.system) / 1e6, sum: String(result.rows[0]![0]) };
    },
    searching,
  );
}

if (databases.includes('postgres')) {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await client.query(`CREATE TABLE ${TABLE} (${sides.map((s) => `${s} TEXT`).join(', ')})`);
  const copy = join(workDir, `sqlml-cross-dictionary-${process.pid}.csv`);
  await duck.adapter.query(`COPY (SELECT ${sides.join(', ')} FROM ${TABLE}) TO '${copy}' (HEADER)`);
  execFileSync('psql', [postgresUrl, '-qc', `\\copy ${TABLE} FROM '${copy}' CSV HEADER`]);
  rmSync(copy, { force: true });
  await client.query(`VACUUM ANALYZE ${TABLE}`);
  const cpuOf = await serialBackend(client);
  await measure(
    'postgres',
    async (sql) => {
      const before = cpuOf();
      const result = await client.query(sql);
      return { cpu: cpuOf() - before, sum: String(result.rows[0].sum) };
    },
    postgresDialect,
  );
  await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await client.end();
}

await duck.close();
rmSync(work, { force: true });
rmSync(`${work}.wal`, { force: true });
