/**
 * PostgreSQL read, write-back and training figures, as JSON lines:
 *   npx tsx bench/postgres.ts [--rows 1000000] [--rss-rows 1000000,5000000] [--url postgres://…]
 * The synthetic table of bench/synthetic.ts (16 features + id + label) is generated in
 * DuckDB at the largest size and written to the server with the adapter's write();
 * every size reads `WHERE id < N`. Each measurement runs in a fresh process so its
 * peak RSS is its own. Side by side:
 * - the limit: `COPY (SELECT …) TO STDOUT (FORMAT binary)` into node, bytes counted, no
 *   decoding; pg-query-stream object rows; then sqlml's binary COPY and cursor reads;
 * - write-back of (key, prediction) rows by the adapter vs a plain `COPY FROM STDIN` of
 *   the same rows, pre-encoded in memory;
 * - replace into an existing table: the adapter's write() of those rows again over them
 *   (the table kept, its rows replaced in one transaction); alone with
 *   `--mode replace-existing [--repeat n]`;
 * - CREATE MODEL end to end vs one binary export, and PREDICT … INTO end to end;
 * - peak RSS of trainings at each `--rss-rows` size.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import QueryStream from 'pg-query-stream';
import { openAdapter } from '../adapters/registry.js';
import { parsePostgresUrl } from '../adapters/postgres/postgres-url.js';
import type { RowBatch } from '../src/data.js';
import { Engine } from '../src/engine/engine.js';
import { buildOnce, createModelBuilt } from './built.js';
import { syntheticTableSql } from './synthetic.js';

const TABLE = 'bench_pg_synthetic';
const SCORES = 'bench_pg_scores';
const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const url = option('--url', process.env.SQLML_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/sqlml_test');
const rows = Number(option('--rows', '1000000'));
const rssRows = option('--rss-rows', '1000000').split(',').map(Number);
const mode = option('--mode', 'all');

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'postgres', rows, ...record })}\n`);
}
async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { seconds: (performance.now() - started) / 1000, value };
}
function rawClient(): pg.Client {
  const s = parsePostgresUrl(url);
  return new pg.Client({ user: s.user, password: s.password, host: s.host, port: s.port, database: s.database });
}
const select = (n: number): string => `SELECT * FROM ${TABLE} WHERE id < ${n}`;

/** Runs one mode in a child process (its own peak RSS). */
function step(stepMode: string, stepRows = rows): void {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--mode', stepMode, '--rows', String(stepRows), '--url', url], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (child.status !== 0) process.exit(child.status ?? 1);
}

/** The child process gets the size to generate as its `--rows`. */
async function generate(): Promise<void> {
  const size = rows;
  const duckdb = await openAdapter('duckdb::memory:');
  const postgres = await openAdapter(url);
  await duckdb.query(syntheticTableSql('synthetic', size));
  const stream = await duckdb.openStream('SELECT * FROM synthetic ORDER BY id', { batchRows: 16_384 });
  const { seconds } = await timed(() => postgres.write({ name: TABLE }, stream.columns, stream.batches(), 'replace'));
  // VACUUM as well: the first scan of freshly written rows also sets their hint bits (it
  // writes pages), which made the limit, measured first, up to twice as slow as later reads.
  await postgres.query(`VACUUM ANALYZE ${TABLE}`);
  emit({ what: 'setup: synthetic table written by adapter write() (18 columns)', rows: size, seconds, rows_per_second: Math.round(size / seconds) });
  await Promise.all([duckdb.close(), postgres.close()]);
}

async function limitBinary(): Promise<void> {
  const client = rawClient();
  await client.connect();
  const { seconds, value: bytes } = await timed(async () => {
    let total = 0;
    for await (const chunk of client.query(copyStreams.to(`COPY (${select(rows)}) TO STDOUT (FORMAT binary)`)) as AsyncIterable<Buffer>) total += chunk.length;
    return total;
  });
  emit({ what: 'limit: binary COPY TO STDOUT into node, no decoding', seconds, rows_per_second: Math.round(rows / seconds), mb: Math.round(bytes / 1e6) });
  await client.end();
}

async function limitObjects(): Promise<void> {
  const client = rawClient();
  await client.connect();
  const { seconds, value: count } = await timed(async () => {
    let n = 0;
    for await (const _ of client.query(new QueryStream(select(rows), [], { batchSize: 1000 }))) n++;
    return n;
  });
  emit({ what: 'pg-query-stream object rows', seconds, rows_per_second: Math.round(count / seconds) });
  await client.end();
}

async function readAdapter(read: 'auto' | 'cursor'): Promise<void> {
  const adapter = await openAdapter(read === 'cursor' ? `${url}${url.includes('?') ? '&' : '?'}read=cursor` : url);
  const { seconds, value } = await timed(async () => {
    const stream = await adapter.openStream(select(rows), { batchRows: 4096 });
    let n = 0;
    for await (const batch of stream.batches()) n += batch.rowCount;
    return { n, method: stream.method };
  });
  emit({ what: `sqlml read: ${value.method} into RowBatches`, seconds, rows_per_second: Math.round(value.n / seconds), peak_rss_mb: peakRssMb() });
  await adapter.close();
}

/** (id, score) batches as the engine writes predictions. */
async function* predictionBatches(count: number, batchRows: number): AsyncGenerator<RowBatch> {
  for (let from = 0; from < count; from += batchRows) {
    const n = Math.min(batchRows, count - from);
    const ids = new Float64Array(n);
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ids[i] = from + i;
      scores[i] = ((from + i) * 0.6180339887) % 1;
    }
    yield { rowCount: n, columns: [{ kind: 'number', values: ids, nulls: new Uint8Array(n) }, { kind: 'number', values: scores, nulls: new Uint8Array(n) }] };
  }
}

async function writeBack(): Promise<void> {
  const adapter = await openAdapter(url);
  const columns = [
    { name: 'id', type: 'bigint' as const, dbType: 'bigint' },
    { name: 'score', type: 'double' as const, dbType: 'double precision' },
  ];
  const adapterWrite = await timed(() => adapter.write({ name: SCORES }, columns, predictionBatches(rows, 4096), 'replace'));
  emit({ what: 'sqlml write-back: adapter write() (key, prediction), replace', seconds: adapterWrite.seconds, rows_per_second: Math.round(rows / adapterWrite.seconds) });
  // The reference: the same rows, already encoded, through a plain COPY FROM STDIN.
  const encoded: Buffer[] = [];
  for await (const batch of predictionBatches(rows, 4096)) {
    const ids = batch.columns[0]!;
    const scores = batch.columns[1]!;
    if (ids.kind !== 'number' || scores.kind !== 'number') throw new Error('unreachable');
    let text = '';
    for (let i = 0; i < batch.rowCount; i++) text += `${ids.values[i]}\t${scores.values[i]}\n`;
    encoded.push(Buffer.from(text));
  }
  const client = rawClient();
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS ${SCORES}_ref; CREATE TABLE ${SCORES}_ref (id bigint, score double precision)`);
  const reference = await timed(async () => {
    const copy = client.query(copyStreams.from(`COPY ${SCORES}_ref FROM STDIN`));
    for (const chunk of encoded) if (!copy.write(chunk)) await new Promise((resolve) => copy.once('drain', resolve));
    copy.end();
    await new Promise<void>((resolve, reject) => copy.on('finish', resolve).on('error', reject));
  });
  emit({ what: 'limit: COPY FROM STDIN of the same rows, pre-encoded', seconds: reference.seconds, rows_per_second: Math.round(rows / reference.seconds) });
  emit({ what: 'write-back / COPY FROM', ratio: Number((reference.seconds / adapterWrite.seconds).toFixed(3)) });
  await client.query(`DROP TABLE IF EXISTS ${SCORES}_ref`);
  await client.end();
  await adapter.close();
}

/** (key, score) rows written over an existing table of as many rows, `--repeat` times (default 1). */
async function replaceExisting(): Promise<void> {
  const adapter = await openAdapter(url);
  const columns = [
    { name: 'id', type: 'bigint' as const, dbType: 'bigint' },
    { name: 'score', type: 'double' as const, dbType: 'double precision' },
  ];
  const target = { name: `${SCORES}_replace` };
  await adapter.query(`DROP TABLE IF EXISTS ${target.name}`);
  const created = await timed(() => adapter.write(target, columns, predictionBatches(rows, 4096), 'replace'));
  emit({ what: 'sqlml write() into a new table (CREATE + COPY in one transaction)', seconds: created.seconds, rows_per_second: Math.round(rows / created.seconds) });
  const repeat = Number(option('--repeat', '1'));
  for (let run = 1; run <= repeat; run++) {
    const { seconds } = await timed(() => adapter.write(target, columns, predictionBatches(rows, 4096), 'replace'));
    emit({ what: 'sqlml write() replace into an existing table (key, prediction)', run, seconds, rows_per_second: Math.round(rows / seconds) });
  }
  await adapter.query(`DROP TABLE IF EXISTS ${target.name}`);
  await adapter.close();
}

function createModel(): void {
  emit({ what: 'sqlml CREATE MODEL end to end (built package)', ...createModelBuilt(url, 'bench_pg', select(rows)) });
}

async function predictInto(): Promise<void> {
  const engine = await Engine.open(url);
  const { seconds } = await timed(() => engine.runAll(`PREDICT bench_pg FROM (${select(rows)}) INTO ${SCORES} KEY id;`));
  emit({ what: 'sqlml PREDICT … INTO … KEY id end to end', seconds, rows_per_second: Math.round(rows / seconds), peak_rss_mb: peakRssMb() });
  await engine.runAll(`DROP TABLE IF EXISTS ${SCORES}; DROP MODEL IF EXISTS bench_pg;`);
  await engine.close();
}

switch (mode) {
  case 'all':
    buildOnce();
    // Generated once at the largest size; every step reads its first N rows.
    step('generate', Math.max(rows, ...rssRows));
    step('limit-binary');
    step('limit-objects');
    step('read-copy');
    step('read-cursor');
    step('write-back');
    step('replace-existing');
    step('create-model');
    step('predict-into');
    for (const size of rssRows) step('create-model', size);
    step('cleanup');
    break;
  case 'generate':
    await generate();
    break;
  case 'limit-binary':
    await limitBinary();
    break;
  case 'limit-objects':
    await limitObjects();
    break;
  case 'read-copy':
    await readAdapter('auto');
    break;
  case 'read-cursor':
    await readAdapter('cursor');
    break;
  case 'write-back':
    await writeBack();
    break;
  case 'replace-existing':
    await replaceExisting();
    break;
  case 'create-model':
    createModel();
    break;
  case 'predict-into':
    await predictInto();
    break;
  case 'cleanup': {
    const adapter = await openAdapter(url);
    await adapter.query(`DROP TABLE IF EXISTS ${TABLE}; DROP TABLE IF EXISTS ${SCORES}`);
    await adapter.close();
    break;
  }
  default:
    throw new Error(`unknown --mode ${mode}`);
}
