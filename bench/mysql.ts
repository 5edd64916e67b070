/**
 * MySQL/MariaDB read, write-back and training figures, as JSON lines:
 *   npx tsx bench/mysql.ts [--rows 1000000[,5000000]] [--url mysql://root@127.0.0.1:3306/sqlml_test]
 * Side by side in one run, on the synthetic 16-feature table of bench/synthetic.ts
 * (generated in DuckDB and written into the server with the adapter's write()):
 * - the limit: `mariadb --quick -e "SELECT * FROM t" > /dev/null`, vs the adapter's
 *   streaming read into RowBatches (what training reads);
 * - write-back of (key, prediction) rows by `write()` vs the mariadb client's own
 *   `LOAD DATA LOCAL INFILE` of the same rows from a file;
 * - replace into an existing table: `write()` of those rows again over them (the table
 *   kept, its rows replaced in one transaction), alone with `--only replace [--repeat n]`;
 * - CREATE MODEL end to end (with its peak RSS, each size in a process of its own)
 *   vs one client export of the same rows.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openAdapter } from '../adapters/registry.js';
import { parseMySQLUrl } from '../adapters/mysql/mysql-url.js';
import type { Column, RowBatch } from '../src/data.js';
import { Engine } from '../src/engine/engine.js';
import { buildOnce, createModelBuilt } from './built.js';
import { syntheticTableSql } from './synthetic.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const url = option('--url', process.env.SQLML_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/sqlml_test');
const settings = parseMySQLUrl(url);
const self = fileURLToPath(import.meta.url);
const table = (rows: number): string => `sqlml_bench_${rows}`;

function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record));
}

function mariadb(sql: string, extra: string[] = []): number {
  const started = performance.now();
  const child = spawnSync(
    'sh',
    ['-c', `mariadb --quick ${extra.join(' ')} -h ${settings.host} -P ${settings.port} -u ${settings.user} ${settings.database} -e "$SQL" > /dev/null`],
    { env: { ...process.env, SQL: sql, MYSQL_PWD: settings.password }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (child.status !== 0) throw new Error(`mariadb failed on: ${sql}`);
  return (performance.now() - started) / 1000;
}

async function generate(rows: number): Promise<void> {
  const duck = await openAdapter('duckdb::memory:');
  const server = await openAdapter(url);
  await duck.query(syntheticTableSql('synthetic', rows));
  const stream = await duck.openStream('SELECT * FROM synthetic', { batchRows: 8192 });
  const started = performance.now();
  await server.write({ name: table(rows) }, stream.columns, stream.batches(), 'replace');
  const seconds = (performance.now() - started) / 1000;
  emit({ step: 'generate', rows, columns: stream.columns.length, seconds: round(seconds), rows_per_second: Math.round(rows / seconds) });
  await Promise.all([duck.close(), server.close()]);
}

async function read(rows: number): Promise<void> {
  const adapter = await openAdapter(url);
  const started = performance.now();
  const stream = await adapter.openStream(`SELECT * FROM ${table(rows)}`, { batchRows: 4096 });
  let count = 0;
  for await (const batch of stream.batches()) count += batch.rowCount;
  const seconds = (performance.now() - started) / 1000;
  emit({ step: 'sqlml streaming read', method: stream.method, rows: count, seconds: round(seconds), rows_per_second: Math.round(count / seconds) });
  await adapter.close();
}

async function writeBack(rows: number): Promise<void> {
  const adapter = await openAdapter(url);
  const columns: Column[] = [
    { name: 'id', type: 'bigint', dbType: 'BIGINT' },
    { name: 'score', type: 'double', dbType: 'DOUBLE' },
  ];
  const batchRows = 4096;
  const scoreOf = (id: number): number => ((id * 2654435761) % 1000003) / 1000003;
  async function* batches(): AsyncGenerator<RowBatch> {
    for (let from = 0; from < rows; from += batchRows) {
      const n = Math.min(batchRows, rows - from);
      const ids = new Float64Array(n);
      const scores = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        ids[i] = from + i;
        scores[i] = scoreOf(from + i);
      }
      yield { rowCount: n, columns: [{ kind: 'number', values: ids, nulls: new Uint8Array(n) }, { kind: 'number', values: scores, nulls: new Uint8Array(n) }] };
    }
  }
  const started = performance.now();
  await adapter.write({ name: `sqlml_bench_scores_${rows}` }, columns, batches(), 'replace');
  const seconds = (performance.now() - started) / 1000;
  emit({ step: 'sqlml write() (key, score)', rows, seconds: round(seconds), rows_per_second: Math.round(rows / seconds) });
  await adapter.query(`DROP TABLE sqlml_bench_scores_${rows}`);
  await adapter.close();

  const dir = mkdtempSync(join(tmpdir(), 'sqlml-bench-mysql-'));
  try {
    const file = join(dir, 'scores.tsv');
    const lines: string[] = [];
    for (let id = 0; id < rows; id++) lines.push(`${id}\t${scoreOf(id)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const target = `sqlml_bench_load_${rows}`;
    mariadb(`DROP TABLE IF EXISTS ${target}; CREATE TABLE ${target} (id BIGINT, score DOUBLE)`);
    const loadSeconds = mariadb(`LOAD DATA LOCAL INFILE '${file}' INTO TABLE ${target} (id, score)`, ['--local-infile=1']);
    emit({ step: 'mariadb LOAD DATA LOCAL INFILE (key, score)', rows, seconds: round(loadSeconds), rows_per_second: Math.round(rows / loadSeconds) });
    mariadb(`DROP TABLE ${target}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** (key, score) rows written over an existing table of as many rows, `--repeat` times (default 1). */
async function replaceExisting(rows: number): Promise<void> {
  const adapter = await openAdapter(url);
  const columns: Column[] = [
    { name: 'id', type: 'bigint', dbType: 'BIGINT' },
    { name: 'score', type: 'double', dbType: 'DOUBLE' },
  ];
  async function* batches(shift: number): AsyncGenerator<RowBatch> {
    for (let from = 0; from < rows; from += 4096) {
      const n = Math.min(4096, rows - from);
      const ids = new Float64Array(n);
      const scores = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        ids[i] = from + i;
        scores[i] = (((from + i + shift) * 2654435761) % 1000003) / 1000003;
      }
      yield { rowCount: n, columns: [{ kind: 'number', values: ids, nulls: new Uint8Array(n) }, { kind: 'number', values: scores, nulls: new Uint8Array(n) }] };
    }
  }
  const target = { name: `sqlml_bench_replace_${rows}` };
  await adapter.query(`DROP TABLE IF EXISTS sqlml_bench_replace_${rows}`);
  const created = performance.now();
  await adapter.write(target, columns, batches(0), 'replace');
  const createSeconds = (performance.now() - created) / 1000;
  // The cost a RENAME swap had: a staging table loaded, then renamed into place.
  emit({ step: 'sqlml write() into a new table (staging + RENAME)', rows, seconds: round(createSeconds), rows_per_second: Math.round(rows / createSeconds) });
  const repeat = Number(option('--repeat', '1'));
  for (let run = 1; run <= repeat; run++) {
    const started = performance.now();
    await adapter.write(target, columns, batches(run), 'replace');
    const seconds = (performance.now() - started) / 1000;
    emit({ step: 'sqlml write() replace into an existing table (key, score)', rows, run, seconds: round(seconds), rows_per_second: Math.round(rows / seconds) });
  }
  await adapter.query(`DROP TABLE sqlml_bench_replace_${rows}`);
  await adapter.close();
}

async function train(rows: number): Promise<void> {
  const model = `sqlml_bench_model_${rows}`;
  const figures = createModelBuilt(url, model, `SELECT * FROM ${table(rows)}`);
  emit({ step: 'CREATE MODEL end to end (built package)', rows, ...figures });
  const engine = await Engine.open(url);
  const started2 = performance.now();
  const predicted = await engine.runAll(`PREDICT ${model} FROM ${table(rows)} INTO sqlml_bench_predictions_${rows} KEY id;`);
  const predictSeconds = (performance.now() - started2) / 1000;
  await engine.runAll(`DROP MODEL ${model}; DROP TABLE sqlml_bench_predictions_${rows};`);
  await engine.close();
  emit({ step: 'PREDICT ... INTO ... KEY id end to end', rows, seconds: round(predictSeconds), rows_written: predicted[0]!.rows[0]![1], rows_per_second: Math.round(rows / predictSeconds) });
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function child(mode: string, rows: number): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', mode, String(rows), '--url', url], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (args.includes('--child')) {
  const mode = option('--child', '');
  const rows = Number(args[args.indexOf('--child') + 2]);
  const steps: Record<string, (rows: number) => Promise<void>> = { generate, read, write: writeBack, replace: replaceExisting, train };
  await steps[mode]!(rows);
} else if (args.includes('--only')) {
  for (const rows of option('--rows', '200000').split(',').map(Number)) await replaceExisting(rows);
} else {
  buildOnce();
  const sizes = option('--rows', '1000000').split(',').map(Number);
  for (const rows of sizes) {
    child('generate', rows);
    const exportSeconds = mariadb(`SELECT * FROM ${table(rows)}`);
    emit({ step: 'mariadb --quick SELECT * > /dev/null (the limit)', rows, seconds: round(exportSeconds), rows_per_second: Math.round(rows / exportSeconds) });
    child('read', rows);
    if (rows === sizes[0]) child('write', rows);
    if (rows === sizes[0]) child('replace', rows);
    child('train', rows);
    mariadb(`DROP TABLE ${table(rows)}`);
  }
}
