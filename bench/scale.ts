/**
 * Scale robustness and speed on ../shared/bench/gen.py's synthetic tables (numbers on
 * wildly different scales, NULLs, categoricals up to 1,000 values), at default settings,
 * as JSON lines:
 *   npx tsx bench/scale.ts [--rows 1000000] [--tasks binary,multiclass,regression] [--db duckdb,postgres]
 * The CSVs are generated once into /tmp/sqlml-scale (Debian's /usr/bin/python3 with
 * python3-numpy); PostgreSQL tables are loaded with ../shared/bench/load.py into the
 * `bench` database, as the peer benchmark (../shared/bench/peer.md) loads them. Each
 * CREATE MODEL runs in a fresh process so its peak RSS is its own. Next to each: the
 * generating model's own metric (the oracle, from gen.py) and the goal.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine/engine.js';
import { createModelBuilt } from './built.js';
import { median } from './median.js';

const here = dirname(fileURLToPath(import.meta.url));
const sharedBench = resolve(here, '..', '..', 'shared', 'bench');
const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const rows = Number(option('--rows', '1000000'));
const tasks = option('--tasks', 'binary,multiclass,regression').split(',');
const databases = option('--db', 'duckdb,postgres').split(',');
const dataDir = '/tmp/sqlml-scale';
const pgBench = process.env.SQLML_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/bench';

/** The goals at 1M rows (the generating model: AUC 0.8708, macro-F1 0.5543, RMSE 1.000). */
const GOALS: Record<string, { metric: string; goal: string; oracleKey: string }> = {
  binary: { metric: 'auc', goal: '>= 0.869', oracleKey: 'auc' },
  multiclass: { metric: 'macro_f1', goal: '>= 0.545', oracleKey: 'macro_f1' },
  regression: { metric: 'rmse', goal: '<= 1.005', oracleKey: 'rmse' },
};

function csvPath(task: string): string {
  return resolve(dataDir, `${task}_${rows}.csv`);
}

function tableName(task: string): string {
  return `scale_${task}_${rows}`;
}

function generate(task: string): Record<string, unknown> {
  const path = csvPath(task);
  const summaryPath = `${path}.summary.json`;
  if (!existsSync(path) || !existsSync(summaryPath)) {
    mkdirSync(dataDir, { recursive: true });
    const out = openSync(path, 'w');
    const err = openSync(summaryPath, 'w');
    const run = spawnSync('/usr/bin/python3', [resolve(sharedBench, 'gen.py'), '--task', task, '--rows', String(rows), '--seed', '42'], {
      stdio: ['ignore', out, err],
    });
    closeSync(out);
    closeSync(err);
    if (run.status !== 0) {
      // Half a CSV must not pass for a generated table on the next run.
      rmSync(path, { force: true });
      throw new Error(`gen.py failed for ${task} (exit ${run.status}): ${readFileSync(summaryPath, 'utf8').trim().split('\n').pop()}`);
    }
  }
  const lines = readFileSync(summaryPath, 'utf8').trim().split('\n').filter((l) => l.startsWith('{'));
  return lines.length > 0 ? (JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>) : {};
}

function oracleOf(summary: Record<string, unknown>, key: string): unknown {
  const oracle = summary.oracle as Record<string, unknown> | undefined;
  return oracle?.[key] ?? summary[`oracle_${key}`] ?? summary[key] ?? null;
}

async function loadPostgres(task: string): Promise<void> {
  const admin = await Engine.open(pgBench.replace(/\/bench$/, '/postgres'));
  const exists = await admin.runAll("SELECT 1 FROM pg_database WHERE datname = 'bench'");
  if (exists[0]!.rows.length === 0) await admin.runAll('CREATE DATABASE bench');
  await admin.close();
  const engine = await Engine.open(pgBench);
  const present = await engine.runAll(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = '${tableName(task)}'`);
  await engine.close();
  if (Number(present[0]!.rows[0]![0]) > 0) return;
  execFileSync('/usr/bin/python3', [resolve(sharedBench, 'load.py'), csvPath(task), '--table', tableName(task), '--db', 'pg'], {
    env: { ...process.env, PGDATABASE: 'bench', PGPASSWORD: process.env.PGPASSWORD ?? '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** One CREATE MODEL in this process (child mode): prints its figures as JSON. */
async function trainHere(database: string, task: string): Promise<void> {
  const url = database === 'duckdb' ? 'duckdb::memory:' : pgBench;
  const engine = await Engine.open(url);
  const source =
    database === 'duckdb'
      ? `(SELECT * FROM read_csv('${csvPath(task)}', header = true, nullstr = ''))`
      : tableName(task);
  const started = performance.now();
  const [result] = await engine.runAll(`CREATE OR REPLACE MODEL scale_${task} FROM ${source} PREDICT label RECIPE (exclude(id));`);
  const seconds = (performance.now() - started) / 1000;
  const row = Object.fromEntries(result!.columns.map((c, i) => [c.name, result!.rows[0]![i]]));
  const stats = (await engine.store.get(`scale_${task}`))!.trainingStats as Record<string, unknown>;
  await engine.runAll(`DROP MODEL scale_${task};`);
  await engine.close();
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      passes: row.passes,
      read_seconds: stats.read_seconds,
      train_seconds: stats.train_seconds,
      read_method: stats.read_method,
      learning_rate: stats.learning_rate,
      metrics: Object.fromEntries(['auc', 'accuracy', 'macro_f1', 'rmse', 'r2'].filter((m) => m in row).map((m) => [m, row[m]])),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
}

if (args[0] === '--child') {
  await trainHere(args[1]!, args[2]!);
} else {
  for (const task of tasks) {
    const summary = generate(task);
    const goal = GOALS[task]!;
    for (const database of databases) {
      if (database === 'postgres') await loadPostgres(task);
      // DuckDB reads the CSV itself here, so its time includes parsing the CSV.
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', database, task, '--rows', String(rows)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 24,
      });
      if (child.status !== 0) throw new Error(`training ${task} on ${database} failed`);
      const figures = JSON.parse(child.stdout.trim().split('\n').pop()!) as { metrics: Record<string, number> } & Record<string, unknown>;
      process.stdout.write(
        `${JSON.stringify({
          bench: 'scale',
          task,
          rows,
          database,
          ...figures,
          metric: goal.metric,
          value: figures.metrics[goal.metric],
          goal: goal.goal,
          oracle: oracleOf(summary, goal.oracleKey),
        })}\n`,
      );
      if (database === 'postgres' && task === 'binary') await comparePeer(task);
    }
  }
}

/**
 * The peer a user would pick instead (../shared/bench/sklearn_peer.py: pandas.read_sql +
 * scikit-learn SGDClassifier) on the same PostgreSQL table, alternating with CREATE MODEL
 * on the built package `--peer-repeat` times (default 3), so both are timed in the same
 * minutes on the same machine. Without the peer's Python packages it says so and gives
 * peer.md's figure (another machine) instead.
 */
async function comparePeer(task: string): Promise<void> {
  const repeats = Number(option('--peer-repeat', '3'));
  const base = { bench: 'scale', task, rows, database: 'postgres', what: 'sqlml CREATE MODEL vs the pandas + scikit-learn peer, same table', goal: 'peer / sqlml >= 5' };
  const python = spawnSync('/usr/bin/python3', ['-c', 'import pandas, sqlalchemy, sklearn, psycopg2'], { stdio: 'ignore' });
  if (python.status !== 0) {
    process.stdout.write(
      `${JSON.stringify({ ...base, peer: 'not run: /usr/bin/python3 lacks pandas, sqlalchemy, sklearn or psycopg2 (../shared/bench/peer.md); peer.md measured 18.5 s (read + preprocess + fit) on its machine' })}\n`,
    );
    return;
  }
  const sqlml: number[] = [];
  const peer: number[] = [];
  // Metrics and memory of the last run (they do not change between runs; the times do).
  let sqlmlFigures: Record<string, unknown> = {};
  let peerFigures: Record<string, unknown> = {};
  for (let run = 0; run < repeats; run++) {
    const built = createModelBuilt(pgBench, `scale_peer_${task}`, `SELECT * FROM ${tableName(task)}`);
    sqlml.push(built.seconds);
    sqlmlFigures = { auc: built.auc, peak_rss_mb: built.peak_rss_mb };
    const child = spawnSync(
      '/usr/bin/python3',
      [resolve(sharedBench, 'sklearn_peer.py'), '--db', 'pg', '--table', tableName(task), '--task', task, '--method', 'sgd', '--writeback', 'none'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PGDATABASE: 'bench' } },
    );
    if (child.status !== 0) throw new Error(`sklearn_peer.py failed (exit ${child.status})`);
    const record = JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<string, number>;
    // The peer's training: read + preprocess + fit, as peer.md sums it (its predict and write-back are PREDICT's part).
    peer.push(record.read_s! + record.preprocess_s! + record.fit_s!);
    peerFigures = { read_seconds: record.read_s, preprocess_seconds: record.preprocess_s, fit_seconds: record.fit_s, auc: record.auc, rss_mb: record.rss_after_fit_mb };
  }
  process.stdout.write(
    `${JSON.stringify({
      ...base,
      runs: repeats,
      sqlml_seconds: median(sqlml),
      peer_seconds: median(peer),
      ratio: Number((median(peer) / median(sqlml)).toFixed(2)),
      sqlml: sqlmlFigures,
      peer: peerFigures,
      peer_md_seconds: 18.5,
    })}\n`,
  );
  const engine = await Engine.open(pgBench);
  await engine.runAll(`DROP MODEL IF EXISTS scale_peer_${task};`);
  await engine.close();
}
