/**
 * CREATE MODEL streamed through sqlml vs trained inside the database (USING engine =
 * 'database': the profile and every full-batch iteration as aggregate queries), side by
 * side on a DuckDB file and PostgreSQL, as JSON lines:
 *   npx tsx bench/train-engines.ts [--rows 1000000,10000000,50000000] [--db duckdb,postgres[,mysql]]
 *     [--engines stream,database|default] [--repeat 1] [--data /tmp/sqlml-predict-engines]
 *     [--duckdb-file /tmp/sqlml-train-bench/train.duckdb] [--postgres URL] [--mysql URL] [--model te_binary]
 *     [--cache-dir /tmp/sqlml-train-bench/cache] [--memory-limit 128MB] [--threads-rows 10000000]
 *     [--columns 'id, x1, …, c3, label' | --hashed] [--no-limit] [--timeout 3600] [--setup-only]
 * The table is gen.py's binary one (bench/gen-tables.ts: CSV in the data dir, loaded
 * once into the DuckDB file and into PostgreSQL with VACUUM ANALYZE, kept between runs;
 * the smaller sizes are the first rows of the largest). `--postgres` and `--mysql` default to
 * SQLML_TEST_POSTGRES / SQLML_TEST_MYSQL, else the sqlml_bench database (MariaDB only when
 * asked for with `--db`: it has no COPY limit line). `--model` names the model each run
 * replaces and drops (two benches over one database need two names). `--help` prints this.
 *
 * Every CREATE MODEL runs in a fresh process on the built package
 * (bench/train-engines-one.mjs) with its own SQLML_CACHE_DIR, so its peak RSS is its own
 * and the disk its example cache takes is that folder's: this process samples the
 * folder's size (allocated blocks) every 200 ms while the child runs, and DuckDB's spill
 * folder (`<file>.tmp`) alike. One line per run: seconds and CPU seconds, iterations
 * (full-batch iterations for the database engine, SGD passes for the stream, whose
 * full-batch finish is `finish_iterations`) and seconds per iteration, queries, rows
 * that left the database (the training stats' rows_read: for the database engine the
 * warm start's sample, for the stream every row) and the MB the process read while it
 * ran (from the server's socket: the wire, none for embedded DuckDB; and in all, its cache
 * files and DuckDB's file I/O included), client peak RSS
 * (DuckDB's memory included: it runs in the process), peak cache and spill disk, the
 * held-out AUC, the load average and the CPU. An engine that fails (or is refused) is a
 * line with its `error`, and the bench goes on.
 *
 * Per database and size: each engine (`--repeat` times, alternating); on PostgreSQL the
 * limit line, one binary `COPY (SELECT …) TO STDOUT (FORMAT binary)` of the same rows into
 * this process, bytes counted, nothing decoded (the least a client can do to read them
 * out; alternated with the engines, so "CREATE MODEL ≤ 2× COPY" is a ratio from one run);
 * on DuckDB each engine again with `memory_limit = --memory-limit` (the peak RSS the issue
 * bounds at 350 MB), and at the `--threads-rows` sizes the database engine with
 * `threads = 1` and `threads = 2`. Then lines comparing them against the issue's goals,
 * and per database peak RSS, rows read out and cache disk by size (flat or bounded).
 * A run past `--timeout` seconds is killed, and cancelled on the server.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { parsePostgresUrl } from '../adapters/postgres/postgres-url.js';
import { GenTables, binaryTable, cancelServerQueries, emitter, machine, round, runIn } from './gen-tables.js';
import { buildOnce } from './built.js';
import { median } from './median.js';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  // The header comment is the usage.
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  process.stdout.write(`${text.slice(text.indexOf('/**') + 3, text.indexOf('*/')).replace(/^ \* ?/gm, '').trim()}\n`);
  process.exit(0);
}
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const sizes = option('--rows', '1000000,10000000,50000000').split(',').map(Number).sort((a, b) => a - b);
const databases = option('--db', 'duckdb,postgres').split(',');
const engines = option('--engines', 'stream,database').split(',');
const repeats = Number(option('--repeat', '1'));
const dataDir = option('--data', '/tmp/sqlml-predict-engines');
const duckdbFile = option('--duckdb-file', '/tmp/sqlml-train-bench/train.duckdb');
const cacheRoot = option('--cache-dir', '/tmp/sqlml-train-bench/cache');
/** DuckDB's buffer pool cap for the runs that measure the client's memory with DuckDB in it ('' skips them). */
const memoryLimit = option('--memory-limit', '128MB');
/** Sizes at which the DuckDB database engine runs again with threads = 1 and threads = 2. */
const threadsRows = option('--threads-rows', '10000000').split(',').map(Number);
/**
 * What the model reads: a column list (the source becomes a parenthesized SELECT), or `*`
 * (the whole table). The default, the dense model, leaves out c4 and c5 (250 and 1,000
 * values), which the recipe hashes; `--hashed` adds c5, the hashed model of
 * bench/predict-engines.ts (one hashed category, the dense columns beside it).
 */
const DENSE_COLUMNS = 'id, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, c1, c2, c3, label';
const columns = option('--columns', args.includes('--hashed') ? DENSE_COLUMNS.replace(', label', ', c5, label') : DENSE_COLUMNS);
const timeoutSeconds = Number(option('--timeout', '3600'));
const urls: Record<string, string> = {
  duckdb: `duckdb:${duckdbFile}`,
  postgres: option('--postgres', process.env.SQLML_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/sqlml_bench'),
  mysql: option('--mysql', process.env.SQLML_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/sqlml_bench'),
};
const unknown = databases.find((database) => !(database in urls));
if (unknown !== undefined) throw new Error(`--db ${unknown}: not one of ${Object.keys(urls).join(', ')}`);
const MODEL = option('--model', 'te_binary');
if (!/^[a-z_][a-z0-9_]*$/.test(MODEL)) throw new Error(`--model ${MODEL}: a plain lower-case name, as the bench writes it unquoted`);
/** The child that runs one CREATE MODEL. */
const ONE = fileURLToPath(new URL('./train-engines-one.mjs', import.meta.url));

const emit = emitter('train-engines');
const tables = new GenTables(dataDir, emit);
const cpu = machine();

/** What CREATE MODEL reads: the table itself, or the chosen columns of it. */
const source = (rows: number): string => (columns === '*' ? binaryTable(rows) : `(SELECT ${columns} FROM ${binaryTable(rows)})`);
const usingEngine = (engine: string): string => (engine === 'default' ? '' : `USING engine = '${engine}'`);
const withSetting = (url: string, setting: string): string => `${url}${url.includes('?') ? '&' : '?'}${setting}`;

/** Bytes allocated on disk under `path` (what the folder takes, sparse files as they are), 0 when it is not there. */
function diskBytes(path: string): number {
  let stats;
  try {
    stats = lstatSync(path);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.blocks * 512;
  let total = stats.blocks * 512;
  let names: string[];
  try {
    names = readdirSync(path);
  } catch {
    return total;
  }
  for (const name of names) total += diskBytes(join(path, name));
  return total;
}

const MB = 1024 * 1024;

interface Child {
  seconds: number;
  cpu_seconds: number;
  result: Record<string, unknown>;
  stats: Record<string, unknown>;
  pass_seconds: number[];
  peak_rss_mb: number;
  wire_read_bytes: number | null;
  client_read_bytes: number | null;
  client_written_bytes: number | null;
}

type Outcome = { child: Child; cachePeakMb: number; spillPeakMb: number } | { error: string; timedOut: boolean };

/**
 * One CREATE MODEL in a fresh process with its own cache folder, the folder (and DuckDB's
 * spill folder) sampled while it runs; the folder is removed after.
 */
async function train(url: string, rows: number, using: string): Promise<Outcome> {
  const cacheDir = join(cacheRoot, `run-${process.pid}-${Date.now()}`);
  mkdirSync(cacheDir, { recursive: true });
  const spillDir = `${duckdbFile}.tmp`;
  const watchSpill = url.startsWith('duckdb:');
  let cachePeak = 0;
  let spillPeak = 0;
  const sample = (): void => {
    cachePeak = Math.max(cachePeak, diskBytes(cacheDir));
    if (watchSpill) spillPeak = Math.max(spillPeak, diskBytes(spillDir));
  };
  const sampler = setInterval(sample, 200);
  const child = spawn(process.execPath, [ONE, url, MODEL, source(rows), using], {
    env: { ...process.env, SQLML_CACHE_DIR: cacheDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutSeconds * 1000);
  const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  clearTimeout(timer);
  clearInterval(sampler);
  sample();
  rmSync(cacheDir, { recursive: true, force: true });
  if (timedOut) {
    await cancelServerQueries(url);
    return { error: `timed out: killed after ${timeoutSeconds} s (--timeout)`, timedOut: true };
  }
  if (status !== 0) {
    const message = stderr.split('\n').find((line) => /^\w*Error: /.test(line));
    if (message === undefined) process.stderr.write(stderr);
    return { error: message?.trim() ?? `exit ${status}`, timedOut: false };
  }
  return { child: JSON.parse(stdout.trim().split('\n').pop()!) as Child, cachePeakMb: round(cachePeak / MB, 1), spillPeakMb: round(spillPeak / MB, 1) };
}

/** What one run's line says, from the child's figures. */
function figures(rows: number, outcome: Extract<Outcome, { child: Child }>): Record<string, unknown> {
  const { child } = outcome;
  // The database engine's figures are the stats' `in_database` (DESCRIBE's training section).
  const inDatabase = (child.stats.in_database ?? {}) as Record<string, unknown>;
  const stats = { ...child.stats, ...inDatabase };
  const number = (value: unknown): number | null => (typeof value === 'number' ? value : null);
  // The database engine counts full-batch iterations; the stream, passes over the rows.
  const fullBatch = number(stats.iterations) !== null;
  const iterations = fullBatch ? number(stats.iterations)! : number(stats.passes);
  const perIteration =
    (number(stats.seconds_per_iteration) === null ? null : round(number(stats.seconds_per_iteration)!)) ??
    (child.pass_seconds.length > 0 ? round(child.pass_seconds.reduce((a, b) => a + b, 0) / child.pass_seconds.length) : null);
  const polish = stats.polish as { iterations?: number } | undefined;
  return {
    engine_used: stats.engine ?? 'stream',
    seconds: child.seconds,
    cpu_seconds: child.cpu_seconds,
    rows_per_second: Math.round(rows / child.seconds),
    iterations,
    iteration_kind: fullBatch ? 'full-batch iteration (aggregate queries)' : 'SGD pass over the rows',
    seconds_per_iteration: perIteration,
    finish_iterations: fullBatch ? null : (polish?.iterations ?? null),
    queries: number(stats.queries),
    rows_read: number(stats.rows_read),
    wire_read_mb: child.wire_read_bytes === null ? null : round(child.wire_read_bytes / 1e6, 1),
    client_read_mb: child.client_read_bytes === null ? null : round(child.client_read_bytes / 1e6, 1),
    peak_rss_mb: child.peak_rss_mb,
    cache_peak_mb: outcome.cachePeakMb,
    ...(outcome.spillPeakMb > 0 ? { duckdb_spill_peak_mb: outcome.spillPeakMb } : {}),
    auc: number(child.result.auc),
    read_method: stats.read_method ?? null,
    // Where the database engine's seconds went (absent for the stream).
    ...Object.fromEntries(
      ['profile_seconds', 'scratch_seconds', 'sample_rows', 'evaluate_seconds'].filter((key) => key in inDatabase).map((key) => [key, typeof inDatabase[key] === 'number' ? round(inDatabase[key]) : inDatabase[key]]),
    ),
  };
}

/** The binary COPY of the same rows into this process, bytes counted, nothing decoded: the limit of reading them out. */
async function copyLimit(rows: number): Promise<number | null> {
  const server = parsePostgresUrl(urls.postgres!);
  const client = new pg.Client({ user: server.user, password: server.password, host: server.host, port: server.port, database: server.database });
  await client.connect();
  const select = `SELECT ${columns} FROM ${binaryTable(rows)}`;
  try {
    const started = performance.now();
    let bytes = 0;
    for await (const chunk of client.query(copyStreams.to(`COPY (${select}) TO STDOUT (FORMAT binary)`)) as AsyncIterable<Buffer>) bytes += chunk.length;
    const seconds = round((performance.now() - started) / 1000);
    emit({ what: 'limit: binary COPY (SELECT …) TO STDOUT into node, no decoding', db: 'postgres', rows, engine: 'copy', kind: 'limit', seconds, rows_per_second: Math.round(rows / seconds), mb: Math.round(bytes / 1e6), loadavg: loadavg().map((l) => round(l, 2)), cpu: cpu.cpu });
    return seconds;
  } catch (error) {
    emit({ what: 'limit: binary COPY (SELECT …) TO STDOUT into node, no decoding', db: 'postgres', rows, engine: 'copy', error: (error as Error).message });
    return null;
  } finally {
    await client.end();
  }
}

/** One run's line, and its figures kept by `key` for the comparisons. */
interface Kept {
  seconds: number[];
  peakRss: number;
  rowsRead: number | null;
  cachePeak: number;
}
type Runs = Record<string, Kept>;

async function measure(database: string, rows: number, engine: string, runs: Runs, variant: { key: string; label: string | null; url: string }): Promise<boolean> {
  const context = { what: 'CREATE MODEL', db: database, rows, engine, ...(variant.label === null ? {} : { variant: variant.label }) };
  const outcome = await train(variant.url, rows, usingEngine(engine));
  const machineNow = { loadavg: loadavg().map((l) => round(l, 2)), cpu: cpu.cpu };
  if ('error' in outcome) {
    emit({ ...context, error: outcome.error, ...machineNow });
    return false;
  }
  const line = figures(rows, outcome);
  emit({ ...context, ...line, ...machineNow });
  const kept = (runs[variant.key] ??= { seconds: [], peakRss: 0, rowsRead: null, cachePeak: 0 });
  kept.seconds.push(outcome.child.seconds);
  kept.peakRss = Math.max(kept.peakRss, outcome.child.peak_rss_mb);
  kept.rowsRead = line.rows_read as number | null;
  kept.cachePeak = Math.max(kept.cachePeak, outcome.cachePeakMb);
  return true;
}

/** slow / fast, the medians' ratio, against a goal (ratio ≥ goal) when there is one. */
function compare(what: string, database: string, rows: number, slow: [string, number[]], fast: [string, number[]], goal: { atLeast?: number; atMost?: number } | null): void {
  const ratio = round(median(slow[1]) / median(fast[1]), 2);
  const met = goal === null ? null : (goal.atLeast === undefined || ratio >= goal.atLeast) && (goal.atMost === undefined || ratio <= goal.atMost);
  emit({
    what,
    db: database,
    rows,
    [`${slow[0]}_seconds`]: round(median(slow[1])),
    [`${fast[0]}_seconds`]: round(median(fast[1])),
    ratio,
    ...(goal === null ? {} : { goal: goal.atLeast !== undefined ? `>= ${goal.atLeast}` : `<= ${goal.atMost}`, met }),
    runs: slow[1].length,
  });
}

buildOnce();
mkdirSync(dirname(duckdbFile), { recursive: true });
const free = statfsSync(existsSync(cacheRoot) ? cacheRoot : dirname(duckdbFile));
emit({ what: 'machine', ...cpu, loadavg: loadavg().map((l) => round(l, 2)), disk_free_gb: round((Number(free.bavail) * Number(free.bsize)) / 1024 ** 3, 1) });
for (const size of sizes) tables.csvOf(size);
for (const database of databases) {
  const url = urls[database]!;
  for (const size of sizes) await tables.load(url, size);
  if (args.includes('--setup-only')) continue;
  const [version] = await runIn(url, 'SELECT version() AS v;');
  emit({ what: 'database', db: database, server: String(version!.rows[0]![0]), oracle_auc: tables.oracleAuc(sizes), columns });
  /** Per size, the runs by engine and variant. */
  const bySize: Record<number, Runs> = {};
  /** Engines (and variants) that failed or timed out at a smaller size: not run again at a larger one. */
  const given = new Set<string>();
  for (const rows of sizes) {
    const runs: Runs = (bySize[rows] = {});
    const limit: number[] = [];
    const variants = (engine: string): { key: string; label: string | null; url: string }[] => [
      // `default` (no USING engine clause, for a build that does not parse one) trains on the stream.
      { key: engine === 'default' ? 'stream' : engine, label: null, url },
      ...(database === 'duckdb' && memoryLimit !== '' ? [{ key: `${engine === 'default' ? 'stream' : engine}, memory_limit`, label: `memory_limit = '${memoryLimit}'`, url: withSetting(url, `memory_limit=${memoryLimit}`) }] : []),
      ...(database === 'duckdb' && engine === 'database' && threadsRows.includes(rows)
        ? [1, 2].map((threads) => ({ key: `${engine}, threads = ${threads}`, label: `threads = ${threads}`, url: withSetting(url, `threads=${threads}`) }))
        : []),
    ];
    for (let run = 0; run < repeats; run++) {
      if (database === 'postgres' && !args.includes('--no-limit')) {
        const seconds = await copyLimit(rows);
        if (seconds !== null) limit.push(seconds);
      }
      for (const engine of engines) {
        for (const variant of variants(engine)) {
          if (given.has(variant.key)) {
            emit({ what: 'CREATE MODEL', db: database, rows, engine, variant: variant.label, skipped: 'failed or timed out at a smaller size' });
            continue;
          }
          if (!(await measure(database, rows, engine, runs, variant))) given.add(variant.key);
        }
      }
    }
    await runIn(url, `DROP MODEL IF EXISTS ${MODEL};`).catch(() => undefined);
    const seconds = (key: string): number[] | undefined => runs[key]?.seconds;
    if (seconds('stream') && seconds('database')) {
      compare('CREATE MODEL: stream / database seconds', database, rows, ['stream', seconds('stream')!], ['database', seconds('database')!], database === 'duckdb' && rows >= 10_000_000 ? { atLeast: 1 } : null);
    }
    if (seconds('database, threads = 1') && seconds('database, threads = 2')) {
      compare('CREATE MODEL, DuckDB database engine: threads = 1 / threads = 2 seconds', database, rows, ['threads1', seconds('database, threads = 1')!], ['threads2', seconds('database, threads = 2')!], rows >= 10_000_000 ? { atLeast: 1.6 } : null);
    }
    for (const engine of new Set(engines.map((name) => (name === 'default' ? 'stream' : name)))) {
      if (limit.length > 0 && seconds(engine)) {
        compare(`CREATE MODEL (${engine}) / binary COPY of the same rows`, database, rows, [engine, seconds(engine)!], ['copy', limit], engine === 'stream' && rows === 1_000_000 ? { atMost: 2 } : null);
      }
    }
  }
  // By size: client peak RSS (bounded and flat), rows read out of the database (the
  // sample's, not the table's, for the database engine) and the cache's disk.
  const keys = [...new Set(Object.values(bySize).flatMap((runs) => Object.keys(runs)))];
  for (const key of keys) {
    const of = (pick: (kept: Kept) => number | null): Record<number, number | null> =>
      Object.fromEntries(sizes.filter((rows) => bySize[rows]?.[key]).map((rows) => [rows, pick(bySize[rows]![key]!)]));
    const rss = Object.values(of((k) => k.peakRss)) as number[];
    const bound = database !== 'duckdb' ? 200 : key.endsWith('memory_limit') ? 350 : null;
    const growth = rss.length > 1 ? round(Math.max(...rss) / Math.min(...rss), 2) : null;
    emit({
      what: 'CREATE MODEL by rows: client peak RSS (MB), rows read out of the database, cache disk (MB)',
      db: database,
      run: key,
      peak_rss_mb: of((k) => k.peakRss),
      // Flat: the largest size's peak within 20% of the smallest's (the bench's reading of the "flat").
      peak_rss_growth: growth,
      ...(bound === null ? {} : { peak_rss_goal: `<= ${bound} MB and flat (growth <= 1.2)`, peak_rss_met: Math.max(...rss) <= bound && (growth === null || growth <= 1.2) }),
      rows_read: of((k) => k.rowsRead),
      cache_peak_mb: of((k) => k.cachePeak),
    });
  }
}
