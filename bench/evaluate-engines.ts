/**
 * EVALUATE MODEL … ON streamed through sqlml vs computed inside the database
 * (src/engine/evaluate-in-database.ts), side by side on DuckDB, PostgreSQL and MariaDB,
 * as JSON lines:
 *   npx tsx bench/evaluate-engines.ts [--rows 1000000,10000000] [--db duckdb,postgres,mysql]
 *     [--repeat 1] [--data /tmp/sqlml-predict-engines] [--timeout 600]
 *     [--postgres URL] [--mysql URL] [--models dense,hashed] [--train-rows 1000000]
 *     [--own /tmp/sqlml-evaluate-engines]
 * The table is ../shared/bench/gen.py's binary one, made and loaded by
 * bench/predict-engines.ts (`--setup-only`, its generator and loaders, not a copy): its
 * cached CSV in the data dir, its `pe_binary_<rows>` tables in the PostgreSQL and MariaDB
 * databases named here (SQLML_TEST_POSTGRES / SQLML_TEST_MYSQL by default). DuckDB gets
 * its own file in the script's own folder (`--own`, /tmp/sqlml-evaluate-engines), read from
 * that CSV, so a predict-engines run going on at the same time keeps its file.
 *
 * Two models, each trained once per database on the first `--train-rows` rows (streaming
 * CREATE MODEL, built package, default recipe): `dense` reads the numbers and the small
 * categories c1, c2 (one-hot: no hashed feature, what `engine = 'auto'` runs in the
 * database), `hashed` every column (c4, c5 hashed, c3 one-hot: their md5 and lookups in SQL are
 * src/compile/hashed-features.ts's cost, which this bench shows but does not own). Then each EVALUATE runs in a fresh
 * process on the built package (bench/predict-engines-one.mjs): its seconds, metrics,
 * peak RSS and the bytes it read (the rows that crossed the wire, for the servers). Per
 * size and database, a line compares the engines: seconds, the ratio against the issue's
 * goal (10M rows: DuckDB ≥ 5×, PostgreSQL ≥ 1.5×), and |AUC stream − AUC database|
 * (goal ≤ 1e-4; the database's AUC comes from a score histogram certified within 1e-4 of
 * exact, else exact: src/engine/binary-metrics-in-database.ts). Every line carries the load average: the
 * machine is shared.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine/engine.js';
import { buildOnce, createModelBuilt, statementBuilt, type BuiltStatement } from './built.js';
import { median } from './median.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const sizes = option('--rows', '1000000').split(',').map(Number).sort((a, b) => a - b);
const databases = option('--db', 'duckdb,postgres,mysql').split(',');
const repeats = Number(option('--repeat', '1'));
const dataDir = option('--data', '/tmp/sqlml-predict-engines');
const ownDir = option('--own', '/tmp/sqlml-evaluate-engines');
const timeoutSeconds = Number(option('--timeout', '600'));
const urls: Record<string, string> = {
  duckdb: `duckdb:${join(ownDir, 'bench.duckdb')}`,
  postgres: option('--postgres', process.env.SQLML_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/sqlml_bench'),
  mysql: option('--mysql', process.env.SQLML_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/sqlml_bench'),
};
const models = option('--models', 'dense,hashed').split(',');
const TRAINING_ROWS = Number(option('--train-rows', '1000000'));
/** The columns each model reads (besides id, which the recipe excludes). */
const MODEL_COLUMNS: Record<string, string> = {
  dense: 'id, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, c1, c2, label',
  hashed: '*',
};
/** predict-engines.ts's table names. */
const table = (rows: number): string => `pe_binary_${rows}`;
/** The goals at 10M rows: database engine vs stream. */
const GOALS: Record<string, number | null> = { duckdb: 5, postgres: 1.5, mysql: null };

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
function emit(record: Record<string, unknown>): void {
  const load = loadavg().map((x) => round(x, 2));
  process.stdout.write(`${JSON.stringify({ bench: 'evaluate-engines', ...record, load_average: load })}\n`);
}

/** The CSVs and the server tables, by predict-engines.ts --setup-only. */
function setup(): void {
  const servers = databases.filter((database) => database !== 'duckdb');
  if (servers.length === 0) return;
  const started = performance.now();
  execFileSync(
    'npx',
    ['tsx', join(here, 'predict-engines.ts'), '--setup-only', '--rows', sizes.join(','), '--db', servers.join(','), '--data', dataDir, '--postgres', urls.postgres!, '--mysql', urls.mysql!],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, SQLML_BENCH_BUILT: '1' } },
  );
  emit({ what: 'setup: bench/predict-engines.ts --setup-only (CSV, server tables)', seconds: round((performance.now() - started) / 1000) });
}

async function setupDuckdb(): Promise<void> {
  mkdirSync(ownDir, { recursive: true });
  const engine = await Engine.open(urls.duckdb!);
  try {
    for (const rows of sizes) {
      const present = await engine.adapter.query(`SELECT count(*) FROM information_schema.tables WHERE table_name = '${table(rows)}'`);
      if (Number(present.rows[0]![0]) > 0) continue;
      const csv = join(dataDir, `binary_${rows}.csv`);
      if (!existsSync(csv)) throw new Error(`${csv} is missing: bench/predict-engines.ts --setup-only makes it`);
      const started = performance.now();
      await engine.adapter.query(`CREATE TABLE ${table(rows)} AS SELECT * FROM read_csv('${csv}', header = true, nullstr = '')`);
      emit({ what: 'setup: read_csv into the DuckDB file', database: 'duckdb', rows, seconds: round((performance.now() - started) / 1000) });
    }
  } finally {
    await engine.close();
  }
}

function measure(database: string, statement: string, context: Record<string, unknown>): BuiltStatement | null {
  const outcome = statementBuilt(urls[database]!, '', statement, timeoutSeconds);
  if ('measured' in outcome) return outcome.measured;
  emit({ ...context, statement, failed: outcome.failed });
  return null;
}

function cpu(): Record<string, unknown> {
  const text = execFileSync('lscpu', { encoding: 'utf8' });
  const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
  return { cpu: field('Model name'), cpus: Number(field('CPU\\(s\\)')), node: process.version };
}

buildOnce();
emit({ what: 'machine', ...cpu() });
setup();
if (databases.includes('duckdb')) await setupDuckdb();
for (const database of databases) {
  for (const modelKind of models) {
    const MODEL = `ev_${modelKind}`;
    const training = createModelBuilt(urls[database]!, MODEL, `SELECT ${MODEL_COLUMNS[modelKind]} FROM ${table(sizes[0]!)} WHERE id <= ${TRAINING_ROWS}`);
    emit({ what: `CREATE MODEL on the first ${TRAINING_ROWS} rows (stream, built package)`, database, model: modelKind, seconds: training.seconds, auc: training.auc });
    for (const rows of sizes) {
      const seconds: Record<string, number[]> = {};
      const metrics: Record<string, Record<string, unknown>> = {};
      for (let run = 0; run < repeats; run++) {
        for (const engine of ['stream', 'database']) {
          const context = { what: 'EVALUATE MODEL … ON', database, model: modelKind, rows, engine };
          const measured = measure(database, `EVALUATE MODEL ${MODEL} ON ${table(rows)} USING engine = '${engine}';`, context);
          if (!measured) continue;
          (seconds[engine] ??= []).push(measured.seconds);
          metrics[engine] = measured.result;
          emit({ ...context, seconds: measured.seconds, rows_per_second: Math.round(rows / measured.seconds), peak_rss_mb: measured.peak_rss_mb, client_read_bytes: measured.client_read_bytes, metrics: measured.result });
        }
      }
      if (seconds.stream && seconds.database) {
        const ratio = round(median(seconds.stream) / median(seconds.database), 2);
        const goal = rows >= 10_000_000 ? (GOALS[database] ?? null) : null;
        const difference = Math.abs(Number(metrics.stream!.auc) - Number(metrics.database!.auc));
        const same = ['accuracy', 'precision', 'recall', 'f1', 'rows'].every((name) => metrics.stream![name] === metrics.database![name]);
        emit({
          what: 'EVALUATE ON: stream vs database',
          database,
          model: modelKind,
          rows,
          runs: seconds.stream.length,
          stream_seconds: median(seconds.stream),
          database_seconds: median(seconds.database),
          ratio,
          goal: goal === null ? null : `>= ${goal}`,
          met: goal === null ? null : ratio >= goal,
          auc_difference: difference,
          auc_goal: '<= 1e-4',
          auc_met: difference <= 1e-4,
          counts_identical: same,
        });
      }
    }
    const engine = await Engine.open(urls[database]!);
    await engine.runAll(`DROP MODEL IF EXISTS ${MODEL};`).finally(() => engine.close());
  }
}
