/**
 * PREDICT … INTO and EVALUATE MODEL … ON, streamed through sqlml vs computed inside the
 * database, side by side on DuckDB, PostgreSQL and MariaDB, as JSON lines:
 *   npx tsx bench/predict-engines.ts [--rows 1000000,10000000] [--db duckdb,postgres,mysql]
 *     [--engines stream,database] [--evaluate-rows 10000000] [--repeat 1]
 *     [--data /tmp/sqlml-predict-engines] [--duckdb-memory-limit 256MB] [--timeout 300] [--setup-only]
 *     [--model-columns '*'] [--select-rows 0] [--postgres URL] [--mysql URL]
 * The table is ../shared/bench/gen.py's binary one, made into CSV in the data dir and
 * loaded into each database once, kept between runs (bench/gen-tables.ts: a DuckDB file
 * there, PostgreSQL and MariaDB through ../shared/bench/load.py); the smaller sizes are
 * the first rows of the largest.
 * `--setup-only` generates and loads the tables, nothing else.
 *
 * The model is trained once per database and run (streaming CREATE MODEL on the first 1M
 * rows, default recipe: c5 hashed). Then every statement runs in a fresh process on the
 * built package (bench/predict-engines-one.mjs), so its peak RSS is its own, and reports
 * what that process read and wrote while the statement ran: for PostgreSQL and MariaDB
 * the bytes that crossed the wire; DuckDB is embedded, so there it is DuckDB's own file
 * I/O (no wire). `--engines` takes `stream`, `database`, `auto`, or `default` (no USING
 * engine clause, for a build that does not parse one). `--model-columns` names what the
 * model reads (default `*`: c3…c5 hashed; `id, x1, …, x10, c1, c2, label` makes a dense
 * model). A statement running past
 * `--timeout` seconds is killed (and cancelled on the server), and said so.
 *
 * Per size and database: PREDICT … INTO a new table with each engine, then the database
 * engine's REPLACE into the existing table; DuckDB's database engine again with
 * `threads = 1` and `threads = 2` (the default is one thread per core), and its limit line:
 * a hand-written CREATE TABLE … AS of the same model (ceilingSql), timed alike, with how
 * far its rows are from sqlml's; for DuckDB also the CPU seconds of stream and database
 * (embedded, the process does all the work: a figure the machine's load does not inflate
 * as it does the seconds); on MariaDB, the hand-written limit (`CREATE TABLE … AS SELECT
 * id, 1/(1+EXP(-(margin))) FROM table`: the least a statement of this model can do
 * there); PostgreSQL's `EXPLAIN (ANALYZE, VERBOSE)` of the `CREATE TABLE … AS` that
 * PREDICT … INTO runs, with its workers planned and launched, next to two hand-written
 * floors of it (postgresPlan). At `--evaluate-rows`: EVALUATE MODEL … ON with each
 * engine, its seconds and metrics; at `--select-rows`, PREDICT without INTO (every row
 * back to the client) with each engine. Each comparison ends in a line with the goal.
 */
import { join } from 'node:path';
import pg from 'pg';
import { postgresDialect } from '../adapters/postgres/dialect.js';
import { parsePostgresUrl } from '../adapters/postgres/postgres-url.js';
import { createStagingSql } from '../adapters/select-into.js';
import { compileModel } from '../src/compile/index.js';
import type { Column } from '../src/data.js';
import { predictionColumns } from '../src/learn/model.js';
import { deserializeModel } from '../src/learn/model-format.js';
import { Engine } from '../src/engine/engine.js';
import { GenTables, binaryTable, cancelServerQueries, emitter, machine, round, runIn } from './gen-tables.js';
import { buildOnce, createModelBuilt, statementBuilt, type BuiltStatement as Measured } from './built.js';
import { median } from './median.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const sizes = option('--rows', '1000000,10000000').split(',').map(Number).sort((a, b) => a - b);
const databases = option('--db', 'duckdb,postgres,mysql').split(',');
const engines = option('--engines', 'stream,database').split(',');
const evaluateRows = Number(option('--evaluate-rows', String(sizes[sizes.length - 1])));
const repeats = Number(option('--repeat', '1'));
const dataDir = option('--data', '/tmp/sqlml-predict-engines');
const duckdbMemoryLimit = option('--duckdb-memory-limit', '256MB');
const statementTimeoutSeconds = Number(option('--timeout', '300'));
/** The columns the model reads: `*` (c3…c5 hashed) or a list leaving the hashed ones out (a dense model). */
const modelColumns = option('--model-columns', '*');
/** PREDICT without INTO (every row back to the client) at this many rows, a head of the smallest table; 0: not run. */
const selectRows = Number(option('--select-rows', '0'));
const urls: Record<string, string> = {
  duckdb: `duckdb:${join(dataDir, 'bench.duckdb')}?memory_limit=${duckdbMemoryLimit}`,
  postgres: option('--postgres', process.env.SQLML_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/sqlml_bench'),
  mysql: option('--mysql', process.env.SQLML_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/sqlml_bench'),
};
const MODEL = 'pe_binary';
const TARGET = 'pe_scores';
const TRAINING_ROWS = 1_000_000;
const table = binaryTable;
const emit = emitter('predict-engines');
const tables = new GenTables(dataDir, emit);

/** The goals: database engine vs stream, per database and size. */
function predictGoal(database: string, rows: number): number | null {
  if (database === 'postgres') return 1.5;
  if (database === 'mysql') return 2;
  return rows >= 10_000_000 ? 5 : null;
}
const EVALUATE_GOALS: Record<string, number | null> = { duckdb: 5, postgres: 1.5, mysql: null };

/** Runs statements in this process (setup and plans, not measured). */
const run = (database: string, script: string): ReturnType<typeof runIn> => runIn(urls[database]!, script);

/**
 * One statement in a fresh process on the built package, after `setup` (not timed)
 * there; a statement that fails, or runs past `--timeout` seconds, is a line saying so
 * (the bench goes on), and null.
 */
async function measure(url: string, setup: string, statement: string, context: { database: string } & Record<string, unknown>): Promise<Measured | null> {
  const outcome = statementBuilt(url, setup, statement, statementTimeoutSeconds);
  if ('measured' in outcome) return outcome.measured;
  if (outcome.timedOut) await cancelServerQueries(urls[context.database]!);
  emit({ ...context, statement, failed: outcome.failed });
  return null;
}

const usingEngine = (engine: string): string => (engine === 'default' ? '' : ` USING engine = '${engine}'`);
const threadsUrl = (url: string, threads: number): string => `${url}${url.includes('?') ? '&' : '?'}threads=${threads}`;

/** PREDICT … INTO, `repeats` times (alternating with the other engines by the caller), the median's figures. */
async function predictInto(database: string, rows: number, engine: string, options: { url?: string; replace?: boolean; label?: string } = {}): Promise<Measured | null> {
  const setup = options.replace ? '' : `DROP TABLE IF EXISTS ${TARGET};`;
  const statement = `PREDICT ${MODEL} FROM ${table(rows)} INTO ${TARGET} KEY id${options.replace ? ' REPLACE' : ''}${usingEngine(engine)};`;
  const context = { what: `PREDICT … INTO ${options.replace ? 'an existing table (REPLACE)' : 'a new table'}`, database, rows, engine: options.label ?? engine };
  const measured = await measure(options.url ?? urls[database]!, setup, statement, context);
  if (!measured) return null;
  emit({
    ...context,
    engine_used: measured.result.engine ?? null,
    seconds: measured.seconds,
    cpu_seconds: measured.cpu_seconds,
    rows_per_second: Math.round(rows / measured.seconds),
    rows_written: measured.result.rows_written,
    peak_rss_mb: measured.peak_rss_mb,
    client_read_bytes: measured.client_read_bytes,
    client_written_bytes: measured.client_written_bytes,
    client_read_bytes_per_row: measured.client_read_bytes === null ? null : round(measured.client_read_bytes / rows, 2),
    ...(database === 'duckdb' ? { io: 'embedded: DuckDB file I/O in the process, no wire' } : {}),
  });
  return measured;
}

function compare(
  what: string,
  database: string,
  rows: number,
  slow: { label: string; seconds: number[] },
  fast: { label: string; seconds: number[] },
  goal: number | null,
  extra: Record<string, unknown> = {},
): void {
  const ratio = round(median(slow.seconds) / median(fast.seconds), 2);
  emit({
    what,
    database,
    rows,
    runs: slow.seconds.length,
    [`${slow.label}_seconds`]: median(slow.seconds),
    [`${fast.label}_seconds`]: median(fast.seconds),
    ratio,
    goal: goal === null ? null : `>= ${goal}`,
    met: goal === null ? null : ratio >= goal,
    ...extra,
  });
}

/**
 * The ceiling for DuckDB's PREDICT … INTO: the same model's CTAS as a person would write it
 * for this table, from the compiled SQL's own terms: each number `COALESCE(w * ((x - c) /
 * s), w_null)` (no NaN/Infinity test and no clip: gen.py's table has neither), the
 * categories' and hashed terms as compiled, `1 / (1 + exp(-margin))`, no staging table or
 * swap. What sqlml's statement costs above it is its generality and its guarantees.
 */
function ceilingSql(select: string, rows: number): string {
  const end = select.indexOf(' AS "sqlml_margin_0"');
  const start = select.lastIndexOf('"label", ', end);
  if (end < 0 || start < 0) throw new Error('the compiled SQL has no single margin to rewrite');
  let numbers = 0;
  const margin = select.slice(start + '"label", '.length, end).replace(
    /\(CASE WHEN (?:\(NOT COALESCE\(isfinite\(CAST\("(\w+)" AS DOUBLE\)\), FALSE\)\)|"(\w+)" IS NULL) THEN (CAST\('[^']*' AS DOUBLE\)) ELSE (CAST\('[^']*' AS DOUBLE\)) \* GREATEST\(CAST\('-1000000' AS DOUBLE\), LEAST\(CAST\('1000000' AS DOUBLE\), \(\(CAST\("\w+" AS DOUBLE\) - (CAST\('[^']*' AS DOUBLE\))\) \/ (CAST\('[^']*' AS DOUBLE\))\)\)\) END\)/g,
    (_, double: string | undefined, integer: string | undefined, missing: string, weight: string, center: string, scale: string) => {
      numbers++;
      return `COALESCE(${weight} * (("${double ?? integer}" - ${center}) / ${scale}), ${missing})`;
    },
  );
  if (numbers !== 10) throw new Error(`the ceiling rewrote ${numbers} of gen.py's 10 number terms: the compiled SQL's shape changed`);
  return `CREATE TABLE pe_ceiling AS SELECT id, CAST(CASE WHEN score >= 0.5 THEN 1 ELSE 0 END AS BIGINT) AS predicted_label, score FROM (SELECT id, 1 / (1 + exp(-(${margin}))) AS score FROM ${table(rows)}) AS scored`;
}

/** The hand-written CTAS (ceilingSql) in a fresh process, as the statements are measured. */
async function duckdbCeiling(rows: number): Promise<Measured | null> {
  const [explained] = await run('duckdb', `EXPLAIN PREDICT ${MODEL} FROM ${table(rows)};`);
  const select = explained!.rows[0]![explained!.columns.findIndex((c) => c.name === 'sql')] as string;
  const context = { what: 'PREDICT … INTO limit: hand-written CREATE TABLE … AS of the same model', database: 'duckdb', rows, kind: 'limit' };
  const measured = await measure(urls.duckdb!, 'DROP TABLE IF EXISTS pe_ceiling;', ceilingSql(select, rows), context);
  if (measured) emit({ ...context, seconds: measured.seconds, cpu_seconds: measured.cpu_seconds, rows_per_second: Math.round(rows / measured.seconds), peak_rss_mb: measured.peak_rss_mb });
  return measured;
}

/** Whether the ceiling computed what sqlml's database engine wrote (its last PREDICT … INTO). */
async function ceilingAgreement(): Promise<Record<string, unknown>> {
  const [agreement] = await run(
    'duckdb',
    `SELECT count(*) AS n, count(*) FILTER (WHERE s.predicted_label IS DISTINCT FROM c.predicted_label) AS labels_differing, max(abs(s.score - c.score)) AS max_score_difference
     FROM ${TARGET} AS s FULL JOIN pe_ceiling AS c USING (id); DROP TABLE pe_ceiling;`,
  );
  const [n, labels, difference] = agreement!.rows[0]!;
  return { rows_compared: Number(n), labels_differing: Number(labels), max_score_difference: Number(difference) };
}

/**
 * PostgreSQL: EXPLAIN (ANALYZE, VERBOSE) of the CREATE TABLE … AS that PREDICT … INTO
 * KEY id runs (the SELECT of EXPLAIN PREDICT, its KEY and prediction columns cast as
 * adapters/select-into.ts createStagingSql writes them, into a scratch table rolled
 * back), with the settings sqlml scopes to it (`jit = off`): the workers planned and
 * launched, each node's time. Then two floors of the same CTAS by hand, to show what the
 * database itself needs: the scan and write alone (id and two constants), and those plus
 * the two md5 per row the hashed categories need (c4, c5), nothing else of the model;
 * both with parallel costs set to 0, as the planner would scan them serially.
 */
async function postgresPlan(rows: number): Promise<void> {
  // The SELECT that PREDICT … INTO … KEY id hands the adapter: the model compiled against
  // the source's columns, keeping only the KEY (src/engine/in-database.ts predictionSelect).
  let select: string;
  let computed: Column[];
  const engine = await Engine.open(urls.postgres);
  try {
    const model = deserializeModel((await engine.store.get(MODEL))!.model);
    const stream = await engine.adapter.openStream(`SELECT * FROM ${table(rows)} LIMIT 0`, { batchRows: 1 });
    const columns = [...stream.columns];
    await stream.close();
    const compilation = compileModel(model, postgresDialect, columns);
    if (!compilation.ok) throw new Error(compilation.reason);
    select = compilation.compiled.select(table(rows), ['id']);
    computed = predictionColumns(model);
  } catch (error) {
    emit({ what: 'postgres plan of the compiled CREATE TABLE … AS', database: 'postgres', rows, failed: (error as Error).message });
    return;
  } finally {
    await engine.close();
  }
  const server = parsePostgresUrl(urls.postgres!);
  const client = new pg.Client({ user: server.user, password: server.password, host: server.host, port: server.port, database: server.database });
  await client.connect();
  const scratch = { name: 'pe_plan' };
  const md5 = (column: string): string => postgresDialect.split.md5Word(`CONCAT('p|', ${column})`, 0);
  // The floors' expressions are cheap to the planner's eye (it costs md5 as an addition),
  // so it would scan them serially: their parallel costs are set to 0 to give them the
  // plan sqlml's statement gets.
  const parallel = ['SET LOCAL parallel_setup_cost = 0', 'SET LOCAL parallel_tuple_cost = 0'];
  const statements: [string, string, string[]][] = [
    ['PREDICT … INTO KEY id as sqlml runs it', createStagingSql(postgresDialect, scratch, { select, passed: ['id'], computed }, 'cast'), []],
    ['floor: the same scan and write, no model (id, a constant, x1)', `CREATE TABLE pe_plan AS SELECT id, CAST(1 AS BIGINT) AS predicted_label, CAST(x1 AS DOUBLE PRECISION) AS score FROM ${table(rows)}`, parallel],
    [
      'floor: scan, write and the md5 of c4 and c5 per row',
      `CREATE TABLE pe_plan AS SELECT id, CAST(1 AS BIGINT) AS predicted_label, CAST((${md5('c4')} + ${md5('c5')}) AS DOUBLE PRECISION) AS score FROM ${table(rows)}`,
      parallel,
    ],
  ];
  for (const [what, statement, settings] of statements) {
    let lines: string[];
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL statement_timeout = ${statementTimeoutSeconds * 1000}`);
      for (const setting of [...postgresDialect.compiledSettings, ...settings]) await client.query(setting);
      const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, VERBOSE) ${statement}`);
      lines = plan.rows.map((row) => row['QUERY PLAN']);
    } catch (error) {
      emit({ what: `postgres EXPLAIN (ANALYZE) CREATE TABLE … AS: ${what}`, database: 'postgres', rows, failed: (error as Error).message });
      continue;
    } finally {
      await client.query('ROLLBACK');
    }
    const number = (pattern: RegExp): number | null => {
      const line = lines.find((l) => pattern.test(l));
      return line ? Number(pattern.exec(line)![1]) : null;
    };
    emit({
      what: `postgres EXPLAIN (ANALYZE, VERBOSE) CREATE TABLE … AS: ${what}`,
      database: 'postgres',
      rows,
      workers_planned: number(/Workers Planned: (\d+)/),
      workers_launched: number(/Workers Launched: (\d+)/),
      execution_ms: number(/Execution Time: ([0-9.]+) ms/),
      // The node lines (Output: lists left out: the compiled expressions are long).
      plan: lines.filter((l) => !/^\s*(Output|Planning|Execution)/.test(l)).map((l) => l.trimEnd()),
    });
  }
  await client.end();
}

/**
 * MariaDB's ceiling for PREDICT … INTO: the minimal hand-written statement of the same
 * model, `CREATE TABLE … AS SELECT id, 1/(1+EXP(-(margin))) FROM table`, the margin
 * taken from EXPLAIN PREDICT's SQL (no label, no overflow guard, no layer, no swap).
 * Timed in this process: the server does all of it.
 */
async function handWrittenLimit(rows: number): Promise<number | null> {
  const [explained] = await run('mysql', `EXPLAIN PREDICT ${MODEL} FROM ${table(rows)};`);
  const sql = String(explained!.rows[0]![explained!.columns.findIndex((c) => c.name === 'sql')]);
  // The margin follows the kept columns, gen.py's last being `label`.
  const end = sql.indexOf(' AS `sqlml_margin_0` FROM');
  const start = sql.lastIndexOf('`label`, ', end) + '`label`, '.length;
  if (end < 0 || start < '`label`, '.length) {
    emit({ what: 'PREDICT INTO: hand-written limit', database: 'mysql', rows, failed: 'no margin in EXPLAIN PREDICT' });
    return null;
  }
  const margin = sql.slice(start, end);
  const statement = `CREATE TABLE pe_limit AS SELECT id, 1e0 / (1e0 + EXP(-(${margin}))) AS score FROM ${table(rows)}`;
  const engine = await Engine.open(urls.mysql!);
  try {
    await engine.adapter.query('DROP TABLE IF EXISTS pe_limit');
    const started = performance.now();
    await engine.adapter.query(statement);
    const seconds = round((performance.now() - started) / 1000);
    emit({ what: 'PREDICT INTO: hand-written limit, CREATE TABLE t AS SELECT id, 1/(1+EXP(-(margin))) FROM src', database: 'mysql', rows, engine: 'limit', seconds, rows_per_second: Math.round(rows / seconds) });
    return seconds;
  } finally {
    await engine.adapter.query('DROP TABLE IF EXISTS pe_limit').catch(() => undefined);
    await engine.close();
  }
}

/** PREDICT without INTO over the first `rows` rows: every row comes back to the client, with each engine. */
async function predictRows(database: string, rows: number): Promise<void> {
  const seconds: Record<string, number[]> = {};
  for (let run = 0; run < repeats; run++) {
    for (const engine of engines) {
      const context = { what: 'PREDICT without INTO (rows returned)', database, rows, engine };
      const measured = await measure(urls[database]!, '', `PREDICT ${MODEL} FROM (SELECT * FROM ${table(sizes[0]!)} WHERE id <= ${rows})${usingEngine(engine)};`, context);
      if (!measured) continue;
      (seconds[engine] ??= []).push(measured.seconds);
      emit({ ...context, seconds: measured.seconds, rows_per_second: Math.round(rows / measured.seconds), peak_rss_mb: measured.peak_rss_mb, client_read_bytes: measured.client_read_bytes });
    }
  }
  if (seconds.stream && seconds.database) {
    compare('PREDICT without INTO: stream / database seconds', database, rows, { label: 'stream', seconds: seconds.stream }, { label: 'database', seconds: seconds.database }, null);
  }
}

async function evaluate(database: string, rows: number): Promise<void> {
  const seconds: Record<string, number[]> = {};
  const metrics: Record<string, Record<string, unknown>> = {};
  for (let run = 0; run < repeats; run++) {
    for (const engine of engines) {
      const context = { what: 'EVALUATE MODEL … ON', database, rows, engine };
      const measured = await measure(urls[database]!, '', `EVALUATE MODEL ${MODEL} ON ${table(rows)}${usingEngine(engine)};`, context);
      if (!measured) continue;
      (seconds[engine] ??= []).push(measured.seconds);
      metrics[engine] = measured.result;
      emit({
        ...context,
        seconds: measured.seconds,
        rows_per_second: Math.round(rows / measured.seconds),
        peak_rss_mb: measured.peak_rss_mb,
        client_read_bytes: measured.client_read_bytes,
        metrics: measured.result,
      });
    }
  }
  if (seconds.stream && seconds.database) {
    const auc = (engine: string): number => Number(metrics[engine]!.auc);
    compare('EVALUATE ON: stream / database seconds', database, rows, { label: 'stream', seconds: seconds.stream }, { label: 'database', seconds: seconds.database }, EVALUATE_GOALS[database] ?? null);
    const difference = Math.abs(auc('stream') - auc('database'));
    emit({ what: 'EVALUATE ON: |AUC stream - AUC database|', database, rows, auc_stream: auc('stream'), auc_database: auc('database'), difference, goal: '<= 1e-4', met: difference <= 1e-4 });
  }
}

buildOnce();
emit({ what: 'machine', ...machine() });
for (const size of sizes) tables.csvOf(size);
for (const database of databases) {
  for (const size of sizes) await tables.load(urls[database]!, size);
  if (args.includes('--setup-only')) continue;
  const [version] = await run(database, 'SELECT version() AS v;');
  const training = createModelBuilt(urls[database]!, MODEL, `SELECT ${modelColumns} FROM ${table(sizes[0]!)} WHERE id <= ${TRAINING_ROWS}`);
  emit({ what: `CREATE MODEL on the first ${TRAINING_ROWS} rows (stream, built package, default recipe)`, database, model_columns: modelColumns, server: String(version!.rows[0]![0]), oracle_auc: tables.oracleAuc(sizes), ...training });
  /** Peak RSS of PREDICT INTO a new table, per engine and size: flat when memory does not grow with rows. */
  const rss: Record<string, Record<number, number>> = {};
  /** Engines that failed or timed out at a smaller size: not run again at a larger one. */
  const given = new Set<string>();
  for (const rows of sizes) {
    const seconds: Record<string, number[]> = {};
    const readBytes: Record<string, number | null> = {};
    const cpuSeconds: Record<string, number[]> = {};
    for (let run = 0; run < repeats; run++) {
      for (const engine of engines) {
        if (given.has(engine)) {
          emit({ what: 'PREDICT … INTO a new table', database, rows, engine, skipped: 'failed or timed out at a smaller size' });
          continue;
        }
        const measured = await predictInto(database, rows, engine);
        if (!measured) given.add(engine);
        if (!measured) continue;
        (seconds[engine] ??= []).push(measured.seconds);
        (cpuSeconds[engine] ??= []).push(measured.cpu_seconds);
        readBytes[engine] = measured.client_read_bytes;
        (rss[engine] ??= {})[rows] = Math.max(rss[engine]![rows] ?? 0, measured.peak_rss_mb);
      }
      // MariaDB's limit in each round too: the load on a shared machine moves between rounds.
      if (database === 'mysql') {
        const limit = await handWrittenLimit(rows);
        if (limit !== null) (seconds.limit ??= []).push(limit);
      }
      if (database === 'duckdb' && seconds.database) {
        for (const threads of [1, 2]) {
          const measured = await predictInto(database, rows, 'database', { url: threadsUrl(urls.duckdb!, threads), label: `database, threads = ${threads}` });
          if (measured) (seconds[`threads${threads}`] ??= []).push(measured.seconds);
        }
        const limit = await duckdbCeiling(rows);
        if (limit) (seconds.ceiling ??= []).push(limit.seconds);
      }
    }
    // The variants of a database run that failed would fail alike, or time out.
    if (seconds.database) await predictInto(database, rows, 'database', { replace: true });
    if (seconds.stream && seconds.database) {
      compare('PREDICT INTO: stream / database seconds', database, rows, { label: 'stream', seconds: seconds.stream }, { label: 'database', seconds: seconds.database }, predictGoal(database, rows), {
        client_read_bytes: readBytes,
      });
      // Embedded DuckDB does all the work in the measured process: its CPU seconds compare the work, whatever the machine's load.
      if (database === 'duckdb') {
        compare('PREDICT INTO: stream / database CPU seconds (all threads of the process)', database, rows, { label: 'stream_cpu', seconds: cpuSeconds.stream! }, { label: 'database_cpu', seconds: cpuSeconds.database! }, null);
      }
    }
    if (seconds.database && seconds.ceiling) {
      compare('PREDICT INTO limit, DuckDB: sqlml database engine / hand-written CTAS seconds (1 = at the ceiling)', database, rows, { label: 'sqlml', seconds: seconds.database }, { label: 'hand_written', seconds: seconds.ceiling }, null, {
        kind: 'limit',
        ...(await ceilingAgreement()),
      });
    }
    if (seconds.stream && seconds.limit) {
      compare('PREDICT INTO: stream / hand-written CREATE TABLE … AS (the limit)', database, rows, { label: 'stream', seconds: seconds.stream }, { label: 'limit', seconds: seconds.limit }, predictGoal(database, rows));
    }
    if (seconds.threads1 && seconds.threads2) {
      compare('PREDICT INTO, DuckDB database engine: threads = 1 / threads = 2 seconds', database, rows, { label: 'threads1', seconds: seconds.threads1 }, { label: 'threads2', seconds: seconds.threads2 }, rows >= 10_000_000 ? 1.6 : null);
    }
    if (database === 'postgres' && seconds.database) await postgresPlan(rows);
  }
  for (const [engine, bySize] of Object.entries(rss)) emit({ what: 'PREDICT INTO: client peak RSS (MB) by rows', database, engine, peak_rss_mb: bySize });
  if (selectRows > 0) await predictRows(database, Math.min(selectRows, sizes[0]!));
  if (sizes.includes(evaluateRows)) await evaluate(database, evaluateRows);
  await run(database, `DROP TABLE IF EXISTS ${TARGET}; DROP MODEL IF EXISTS ${MODEL};`);
}
