/**
 * One step of bench/train.ts in its own process: `train-one.ts ROWS generate|limit|sqlml FILE`
 * (sqlml: CREATE MODEL on the built package, see bench/built.ts; BENCH_ENCODE_WORKER=never|always to force the worker's use).
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openAdapter } from '../adapters/registry.js';
import { BATCH_ROWS } from '../src/engine/context.js';
import { createModelBuilt } from './built.js';
import { syntheticTableSql } from './synthetic.js';

const rows = Number(process.argv[2]);
const mode = process.argv[3];
const file = process.argv[4]!;
const dir = dirname(file);
/**
 * DuckDB's buffer pool lives in this process and caches the table's pages as they are
 * read (up to 80% of RAM by default), so it grows with the part of the table read;
 * capped low (a plain scan needs little), what remains is sqlml's own memory.
 */
const memoryLimit = process.env.BENCH_DUCKDB_MEMORY_LIMIT ?? '64MB';

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'train', database: 'duckdb', duckdb_memory_limit: memoryLimit, rows, ...record })}\n`);
}

if (mode === 'generate') {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  await connection.run(syntheticTableSql('synthetic', rows));
  connection.closeSync();
  instance.closeSync();
} else if (mode === 'limit') {
  const instance = await DuckDBInstance.create(file, { memory_limit: memoryLimit });
  const connection = await instance.connect();
  let started = performance.now();
  const result = await connection.stream(`SELECT * FROM synthetic WHERE id < ${rows}`);
  let streamed = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    streamed += chunk.rowCount;
  }
  let seconds = (performance.now() - started) / 1000;
  emit({ what: 'limit: duckdb chunks into node, no decoding', seconds, rows_per_second: Math.round(streamed / seconds), peak_rss_mb: peakRssMb() });
  // What a node program reading the rows gets from the client library itself: the same
  // stream with every chunk's values converted to JS (node-api's getColumns()).
  started = performance.now();
  const decoded = await connection.stream(`SELECT * FROM synthetic WHERE id < ${rows}`);
  let values = 0;
  for (;;) {
    const chunk = await decoded.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const column of chunk.getColumns()) values += column.length;
  }
  seconds = (performance.now() - started) / 1000;
  emit({ what: 'reference: duckdb chunks decoded to JS values by node-api (getColumns)', seconds, rows_per_second: Math.round(rows / seconds), values });
  started = performance.now();
  const exported = join(dir, 'export.csv');
  await connection.run(`COPY (SELECT * FROM synthetic WHERE id < ${rows}) TO '${exported}' (FORMAT csv)`);
  seconds = (performance.now() - started) / 1000;
  emit({ what: 'limit: duckdb COPY TO csv file', seconds, rows_per_second: Math.round(rows / seconds) });
  rmSync(exported, { force: true });
  connection.closeSync();
  instance.closeSync();
  // sqlml's own reader (the adapter CREATE MODEL reads through) with nothing done to the
  // batches: what reading alone costs CREATE MODEL.
  const adapter = await openAdapter(`duckdb:${file}?memory_limit=${memoryLimit}`);
  started = performance.now();
  const stream = await adapter.openStream(`SELECT * FROM synthetic WHERE id < ${rows}`, { batchRows: BATCH_ROWS, reuseBatches: true });
  let read = 0;
  for await (const batch of stream.batches()) read += batch.rowCount;
  seconds = (performance.now() - started) / 1000;
  await adapter.close();
  emit({ what: 'reference: sqlml duckdb reader, rows into typed batches, nothing else', seconds, rows_per_second: Math.round(read / seconds) });
} else {
  const figures = createModelBuilt(`duckdb:${file}?memory_limit=${memoryLimit}`, 'bench', `SELECT * FROM synthetic WHERE id < ${rows}`);
  emit({ what: 'sqlml CREATE MODEL end to end (built package)', ...figures });
}
