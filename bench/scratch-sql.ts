/**
 * Where a training in the database spends its CPU on DuckDB, statement by statement, and
 * the scratch table's one `CREATE TABLE … AS` (src/engine/scratch-table.ts) alone, over
 * gen.py's binary table (the dense model of bench/train-engines.ts), as JSON lines:
 *   npx tsx bench/scratch-sql.ts URL [--rows 10000000] [--repeat 2] [--variants phases,ctas,select,explain]
 *     [--configs ';-lowBits;-float32Value;-lowBits,-float32Value'] [--statements] [--dump FILE]
 * URL is a database holding bench/train-engines.ts's table (`--setup-only` loads it), e.g.
 * duckdb:/tmp/sqlml-train-bench/train.duckdb. DuckDB runs in this process, so the
 * process's CPU seconds around a statement are that statement's work. Variants, alternated:
 * - `phases`: one whole training (`USING engine = 'database'`), each statement sqlml
 *   sends through the adapter timed (wall and CPU seconds; with `--statements` a line
 *   each, its SQL's start; with `--dump FILE` each statement appended to FILE), summed per kind (profile,
 *   scratch table, gradient, curvature, validation, evaluation, other); the time outside
 *   the statements (the sample's stream, the warm start, the save) is `outside`;
 * - `ctas`: the scratch table's statement alone, as a training runs it (then dropped);
 *   its SELECT is the one a training builds, caught on its way to the database;
 * - `select`: that SELECT's rows hashed and summed (every column read, nothing written);
 * - `temp`, `memory` (DuckDB): the CTAS into a temporary table, into a table of an
 *   attached in-memory database;
 * - `explain`: EXPLAIN ANALYZE of the CTAS, its operators' timings printed to stderr.
 * `--configs`: the variants again per configuration of the dialect (';' between them):
 * the facts named with a leading '-' taken away (SplitSqlDialect's or SqlDialect's), ''
 * the dialect as it is; each configuration's SELECT is caught once.
 * Each line has the load average when it was taken, and the first the CPU.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Engine } from '../src/engine/engine.js';
import { ROLE_COLUMN, SCRATCH_PREFIX } from '../src/engine/scratch-table.js';
import { RowRole } from '../src/learn/split.js';
import { binaryTable, emitter, machine, round } from './gen-tables.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rows: { type: 'string', default: '10000000' },
    repeat: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'ctas,select' },
    configs: { type: 'string', default: '' },
    statements: { type: 'boolean', default: false },
    dump: { type: 'string' },
  },
});
const url = positionals[0];
if (url === undefined) throw new Error('usage: npx tsx bench/scratch-sql.ts URL [--rows N] [--repeat N] [--variants phases,ctas,select,explain]');
const emit = emitter('scratch-sql');
emit({ what: 'machine', ...machine() });

const engine = await Engine.open(url);
const adapter = engine.adapter;
const q = (name: string): string => adapter.sql.quoteIdent(name);
const DENSE = ['id', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10', 'c1', 'c2', 'c3', 'label'];
const rows = Number(args.rows);
const source = `(SELECT ${DENSE.map(q).join(', ')} FROM ${q(binaryTable(rows))})`;
const training = `CREATE OR REPLACE MODEL scratch_sql_bench FROM ${source} PREDICT label RECIPE (exclude(id)) USING engine = 'database';`;
const query = adapter.query.bind(adapter);
const cpuSeconds = (used: NodeJS.CpuUsage): number => (used.user + used.system) / 1e6;

/** A statement's kind, from what sqlml writes into it. */
function kindOf(sql: string): string {
  if (sql.startsWith(adapter.sql.scratchTable.create) && sql.includes(SCRATCH_PREFIX)) return 'scratch table';
  if (sql.includes('sqlml_pos')) return 'evaluation';
  if (sql.includes('sqlml_margins')) {
    if (sql.includes('sqlml_wd')) return 'paired validation';
    if (sql.includes('"sqlml_role" = 1') || sql.includes('sqlml_role = 1')) return 'validation';
    return sql.includes('sqlml_loss') ? 'gradient' : 'curvature';
  }
  if (sql.includes(SCRATCH_PREFIX)) return sql.includes(`${ROLE_COLUMN} = ${RowRole.Holdout}`) ? 'evaluation' : 'scratch other';
  if (sql.includes(binaryTable(rows))) return 'profile';
  return 'other';
}

/** Thrown where the training would build its scratch table: the SELECT is what `ctas` came for. */
class Caught extends Error {
  constructor(readonly select: string) {
    super('caught');
  }
}
/**
 * A configuration: the dialect's facts named with a leading '-' left out (e.g.
 * '-lowBits,-float32Value' takes split.lowBits and float32Value away), '' all of them.
 */
type Facts = Record<string, unknown>;
function withConfig<T>(config: string, run: () => Promise<T>): Promise<T> {
  const removed: [Facts, string, unknown][] = [];
  for (const name of config.split(',').filter((n) => n.startsWith('-'))) {
    const fact = name.slice(1);
    const owner = (fact in adapter.sql.split ? adapter.sql.split : adapter.sql) as unknown as Facts;
    if (!(fact in owner)) throw new Error(`the dialect has no fact ${fact}`);
    removed.push([owner, fact, owner[fact]]);
    delete owner[fact];
  }
  return run().finally(() => {
    for (const [owner, fact, value] of removed) owner[fact] = value;
  });
}

async function capture(): Promise<string> {
  adapter.query = (async (sql: string, options?: object) => {
    if (kindOf(sql) === 'scratch table') throw new Caught(sql.slice(sql.indexOf(' AS ') + 4));
    return query(sql, options);
  }) as typeof adapter.query;
  try {
    await engine.runAll(training);
  } catch (error) {
    // The engine wraps an error it does not know as an internal one, with the original as its cause.
    const caught = error instanceof Caught ? error : (error as Error).cause;
    if (!(caught instanceof Caught)) throw error;
    return caught.select;
  } finally {
    adapter.query = query;
  }
  throw new Error('the training built no scratch table');
}
const configs = args.configs.split(';');
const selects = new Map<string, string>();

async function phases(config: string): Promise<void> {
  const kinds = new Map<string, { statements: number; seconds: number; cpu: number }>();
  adapter.query = (async (sql: string, options?: object) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    try {
      return await query(sql, options);
    } finally {
      const kind = kindOf(sql);
      const sums = kinds.get(kind) ?? { statements: 0, seconds: 0, cpu: 0 };
      const seconds = (performance.now() - started) / 1000;
      const used = cpuSeconds(process.cpuUsage(cpu));
      sums.statements++;
      sums.seconds += seconds;
      sums.cpu += used;
      kinds.set(kind, sums);
      if (args.statements) emit({ what: 'statement', config, kind, seconds: round(seconds), cpu_seconds: round(used), sql: sql.slice(0, 160) });
      if (args.dump !== undefined) appendFileSync(args.dump, `-- ${kind}: ${round(seconds)} s, ${round(used)} CPU s\n${sql};\n`);
    }
  }) as typeof adapter.query;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let auc: unknown = null;
  try {
    const [result] = await engine.runAll(training);
    const at = result!.columns.findIndex((c) => c.name === 'auc');
    if (at >= 0) auc = result!.rows[0]?.[at] ?? null;
  } finally {
    adapter.query = query;
  }
  const seconds = (performance.now() - started) / 1000;
  const total = cpuSeconds(process.cpuUsage(cpu));
  const stats = (await engine.store.get('scratch_sql_bench'))!.trainingStats as { in_database?: { iterations?: number }; polish?: { evaluations?: number } };
  const inside = [...kinds.values()].reduce((a, k) => ({ seconds: a.seconds + k.seconds, cpu: a.cpu + k.cpu }), { seconds: 0, cpu: 0 });
  emit({
    what: 'training',
    config,
    rows,
    seconds: round(seconds),
    cpu_seconds: round(total),
    iterations: stats.in_database?.iterations,
    evaluations: stats.polish?.evaluations,
    auc,
    kinds: Object.fromEntries([...kinds].map(([kind, k]) => [kind, { statements: k.statements, seconds: round(k.seconds), cpu_seconds: round(k.cpu) }])),
    outside: { seconds: round(seconds - inside.seconds), cpu_seconds: round(total - inside.cpu) },
  });
}

const table = q('scratch_sql_bench_table');
if (args.variants.split(',').includes('memory')) await adapter.query(`ATTACH IF NOT EXISTS ':memory:' AS sqlml_bench_memory`);
const statements: Record<string, (select: string) => string[]> = {
  ctas: (select) => [`${adapter.sql.scratchTable.create} ${table} AS ${select}`, `DROP TABLE ${table}`],
  select: (select) => [`SELECT SUM(hash(COLUMNS(*))) FROM (${select}) AS s`],
  // DuckDB: into a temporary table, and into an attached in-memory database (no file written).
  temp: (select) => [`CREATE TEMPORARY TABLE ${table} AS ${select}`, `DROP TABLE ${table}`],
  memory: (select) => [`CREATE TABLE sqlml_bench_memory.${table} AS ${select}`, `DROP TABLE sqlml_bench_memory.${table}`],
  explain: (select) => [`EXPLAIN ANALYZE ${adapter.sql.scratchTable.create} ${table} AS ${select}`, `DROP TABLE ${table}`],
};
for (let n = 0; n < Number(args.repeat); n++) {
  for (const config of configs) for (const variant of args.variants.split(',')) {
    if (variant === 'phases') {
      await withConfig(config, () => phases(config));
      continue;
    }
    if (!selects.has(config)) selects.set(config, await withConfig(config, capture));
    const select = selects.get(config)!;
    const cpu = process.cpuUsage();
    const started = performance.now();
    let seconds = 0;
    let used = 0;
    for (const [i, sql] of statements[variant]!(select).entries()) {
      const result = await adapter.query(sql);
      if (i === 0) {
        seconds = (performance.now() - started) / 1000;
        used = cpuSeconds(process.cpuUsage(cpu));
      }
      if (variant === 'explain' && i === 0) process.stderr.write(`${String(result.rows[0]?.[1] ?? '')}\n`);
    }
    emit({ what: 'scratch', variant, config, rows, seconds: round(seconds), cpu_seconds: round(used) });
  }
}
await engine.runAll('DROP MODEL IF EXISTS scratch_sql_bench;').catch(() => undefined);
await engine.close();
