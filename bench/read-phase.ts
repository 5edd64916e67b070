/**
 * The read phase of CREATE MODEL, step by step, as JSON lines:
 *   npx tsx bench/read-phase.ts [--rows 1000000] [--repeat 3] [--postgres URL --table NAME]
 * Generates the synthetic table (bench/synthetic.ts) into a temporary DuckDB file (or,
 * with --postgres, reads the table NAME there through the binary COPY reader), then,
 * per repeat, streams it once exactly as train.ts's pass 0 does and times each step on
 * its own, in seconds and in this process's CPU seconds (`cpu_seconds`: what a step
 * costs a core, whatever else the machine runs; for `decode` the client's side only). On
 * PostgreSQL on this machine, the line of each repeat also gives the CPU seconds the
 * server's backend spent producing the COPY (from /proc: `server_cpu_seconds`), so the
 * read's whole CPU bill is on one line: the adapter's decoding (waiting for the next batch), splitter.assign (the
 * copies counted exactly as they come, and as training does: first copies' roles to a
 * role file, content keys to partitions on disk, the copies counted after the read:
 * src/engine/split-copies.ts), profiler.add and rowCache.append;
 * then the replay of the row cache. Steps are timed
 * inside one pass, not by subtracting whole runs, so the other steps' garbage and the
 * database's noise stay out of each figure as far as possible. The last line sums the
 * best repeat of each step.
 *
 * `--columns 'id, x1, …'` reads those columns of the table (default `*`; training's
 * dense model of bench/train-engines.ts reads `id, x1, …, x10, c1, c2, c3, label`).
 * `--copy-file PATH` (with --postgres and --table) decodes the bytes of one binary COPY
 * of the same SELECT saved in PATH (written from the server on first use) instead of
 * the server's, fed to the decoder in 64 KB chunks as a socket gives them: `decode` is
 * then the decoder's CPU alone, and no step waits for the server, so the figures hardly
 * depend on what else the machine runs (the server's line is null).
 */
import { createWriteStream, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { openDuckDBAdapter } from '../adapters/duckdb/duckdb-adapter.js';
import { BinaryCopyDecoder } from '../adapters/postgres/postgres-copy-reader.js';
import { columnTypeOf, typeNameOf } from '../adapters/postgres/postgres-types.js';
import { openAdapter } from '../adapters/registry.js';
import type { Column, RowBatch } from '../src/data.js';
import { CacheDir, RowCache } from '../src/engine/cache.js';
import { RoleFile, SplitCopies } from '../src/engine/split-copies.js';
import { BATCH_ROWS } from '../src/engine/context.js';
import { Profiler } from '../src/learn/profile.js';
import { contentHashes, RowSplitter, type SplitSpec } from '../src/learn/split.js';
import { syntheticTableSql } from './synthetic.js';

const args = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}
const rows = option('rows', 1_000_000);
const repeats = option('repeat', 3);
const text = (name: string): string | undefined => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const postgresUrl = text('postgres');
const table = text('table');
if (postgresUrl !== undefined && table === undefined) throw new Error('--postgres needs --table NAME (a table of that database)');
const selected = text('columns') ?? '*';
const copyFile = text('copy-file');
if (copyFile !== undefined && postgresUrl === undefined) throw new Error('--copy-file needs --postgres and --table (the COPY it saves, and its columns)');
/** The socket's chunk size the saved COPY is fed in. */
const COPY_CHUNK = 64 * 1024;

/** The defaults of CREATE MODEL: split 0.7, early stopping on (10% validation), seed 1. */
const split: SplitSpec = { trainFraction: 0.7, validationFraction: 0.1, seed: 1 };
const STEPS = ['decode', 'splitter.assign', 'splitter.assign (first copies, keys to disk)', 'copies.resolve', 'profiler.add', 'rowCache.append', 'rowCache.replay'] as const;
type Step = (typeof STEPS)[number];

function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'read-phase', rows, ...record })}\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'sqlml-bench-read-'));
const adapter = postgresUrl === undefined ? await openDuckDBAdapter(`duckdb:${join(dir, 'bench.duckdb')}`) : await openAdapter(postgresUrl);
const source = postgresUrl === undefined ? `SELECT ${selected} FROM synthetic` : `SELECT ${selected} FROM ${adapter.sql.quoteIdent(table!)}`;
const saved = copyFile === undefined ? null : await savedCopy(copyFile);
try {
  if (postgresUrl === undefined) await adapter.query(syntheticTableSql('synthetic', rows));
  const best = new Map<Step, number>();
  for (let repeat = 1; repeat <= repeats; repeat++) {
    const { seconds, cpu, serverCpu } = await measure();
    for (const step of STEPS) {
      emit({ repeat, step, seconds: round(seconds[step]), cpu_seconds: round(cpu[step]), rows_per_second: Math.round(rows / seconds[step]) });
      best.set(step, Math.min(best.get(step) ?? Number.POSITIVE_INFINITY, seconds[step]));
    }
    // The replay is the encoding's, after the read; splitter.assign is the exact count training no longer does.
    const own = STEPS.filter((step) => step !== 'splitter.assign' && step !== 'rowCache.replay');
    emit({
      repeat,
      step: 'the read as training does it (decode, first copies and keys, copies.resolve, profiler.add, rowCache.append), CPU seconds',
      cpu_seconds: round(own.reduce((sum, step) => sum + cpu[step], 0)),
      server_cpu_seconds: serverCpu,
      load_1m: loadavg()[0],
    });
  }
  // The sum is of what training's read does: its split is the deferred one.
  const ownSteps = STEPS.filter((step) => step !== 'decode' && step !== 'splitter.assign');
  const total = ownSteps.reduce((sum, step) => sum + best.get(step)!, 0);
  emit({
    source: saved === null ? 'database' : 'saved COPY',
    step: 'best of repeats: splitter.assign (first copies, keys to disk) + copies.resolve + profiler.add + rowCache.append + rowCache.replay',
    seconds: round(total),
    load_1m: loadavg()[0],
    rows_per_second: Math.round(rows / total),
    ...Object.fromEntries(STEPS.map((step) => [step, round(best.get(step)!)])),
  });
} finally {
  await adapter.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The saved binary COPY of `source` (written from the server on first use) and its
 * columns, as the adapter describes them.
 */
async function savedCopy(path: string): Promise<{ bytes: Buffer; columns: Column[]; oids: number[] }> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const described = await client.query({ text: `SELECT * FROM (${source}) AS q LIMIT 0`, rowMode: 'array' });
    const oids = described.fields.map((field) => field.dataTypeID);
    const columns = described.fields.map((field) => ({ name: field.name, type: columnTypeOf(field.dataTypeID), dbType: typeNameOf(field.dataTypeID, field.dataTypeModifier) }));
    if (!existsSync(path)) {
      await pipeline(client.query(copyStreams.to(`COPY (${source}) TO STDOUT (FORMAT binary)`)), createWriteStream(`${path}.part`));
      renameSync(`${path}.part`, path);
    }
    return { bytes: readFileSync(path), columns, oids };
  } finally {
    await client.end();
  }
}

/** The saved COPY's batches, decoded chunk by chunk as the adapter's stream does (its batches recycled). */
async function* savedBatches(copy: { bytes: Buffer; oids: number[] }): AsyncGenerator<RowBatch> {
  const decoder = new BinaryCopyDecoder(copy.oids, BATCH_ROWS);
  for (let at = 0; at < copy.bytes.length; at += COPY_CHUNK) {
    for (const batch of decoder.push(copy.bytes.subarray(at, at + COPY_CHUNK))) {
      yield batch;
      decoder.recycle(batch);
    }
  }
  const last = decoder.finish();
  if (last !== null) yield last;
}

/**
 * CPU seconds the server's backend running this database's COPY has spent so far, from
 * /proc (the server on this machine, readable by this user), with its pid; null otherwise.
 */
async function serverCpu(pid?: number): Promise<{ pid: number; seconds: number } | null> {
  if (postgresUrl === undefined || saved !== null) return null;
  try {
    pid ??= Number((await adapter.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'COPY (SELECT * FROM%'`)).rows[0]?.[0]);
    if (!Number.isInteger(pid)) return null;
    // utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks (100 a second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { pid, seconds: (Number(fields[11]) + Number(fields[12])) / 100 };
  } catch {
    return null;
  }
}

async function measure(): Promise<{ seconds: Record<Step, number>; cpu: Record<Step, number>; serverCpu: number | null }> {
  const zero = (): Record<Step, number> => ({
    decode: 0,
    'splitter.assign': 0,
    'splitter.assign (first copies, keys to disk)': 0,
    'copies.resolve': 0,
    'profiler.add': 0,
    'rowCache.append': 0,
    'rowCache.replay': 0,
  });
  const elapsed = zero();
  const cpu = zero();
  // As training reads: each batch is done with before the next is asked for (reuseBatches).
  const stream = saved === null ? await adapter.openStream(source, { batchRows: BATCH_ROWS, reuseBatches: true }) : null;
  const columns = saved === null ? stream!.columns : saved.columns;
  const targetIndex = columns.findIndex((column) => column.name === 'label');
  const cacheDir = new CacheDir();
  const rowCache = new RowCache(cacheDir.file('rows.bin'), columns);
  try {
    const profiler = new Profiler(columns);
    const roles = new Uint8Array(BATCH_ROWS);
    const splitter = new RowSplitter(split);
    // What training's row processor does instead (row-pipeline.ts): the hashes computed
    // apart and kept on disk, a filter in place of the exact counts, the copies resolved after.
    const deferred = new RowSplitter(split, { firstCopies: true });
    const roleFile = new RoleFile(cacheDir.file('roles.bin'));
    const copies = new SplitCopies(cacheDir.file('copies.bin'), split, rows);
    const hashes = new Int32Array(2 * BATCH_ROWS);
    const own = new Uint8Array(BATCH_ROWS);
    const batchRows: number[] = [];
    const iterator = (saved === null ? stream!.batches() : savedBatches(saved))[Symbol.asyncIterator]();
    let at = 0;
    let cpuAt = process.cpuUsage();
    let step: Step = 'decode';
    const lap = (): number => {
      const now = performance.now();
      const seconds = (now - at) / 1000;
      at = now;
      const used = process.cpuUsage(cpuAt);
      cpu[step] += (used.user + used.system) / 1e6;
      cpuAt = process.cpuUsage();
      return seconds;
    };
    // The server's CPU from its first batch (the COPY's backend is found once it runs).
    let server: { pid: number; seconds: number } | null | undefined;
    for (;;) {
      at = performance.now();
      cpuAt = process.cpuUsage();
      step = 'decode';
      const next = await iterator.next();
      elapsed.decode += lap();
      if (next.done === true) break;
      if (server === undefined) {
        server = await serverCpu();
        at = performance.now();
        cpuAt = process.cpuUsage();
      }
      const batch = next.value;
      step = 'splitter.assign';
      splitter.assign(batch, targetIndex, roles);
      elapsed['splitter.assign'] += lap();
      step = 'splitter.assign (first copies, keys to disk)';
      deferred.assign(batch, targetIndex, own, contentHashes(batch, split.seed, hashes));
      copies.add(hashes, own, batch.rowCount);
      roleFile.append(own, batch.rowCount);
      batchRows.push(batch.rowCount);
      elapsed['splitter.assign (first copies, keys to disk)'] += lap();
      step = 'profiler.add';
      profiler.add(batch);
      elapsed['profiler.add'] += lap();
      step = 'rowCache.append';
      rowCache.append(batch);
      elapsed['rowCache.append'] += lap();
    }
    const serverSeconds = server ? ((await serverCpu(server.pid))?.seconds ?? Number.NaN) - server.seconds : null;
    profiler.finish();
    const resolving = performance.now();
    let cpuAt2 = process.cpuUsage();
    const counts = new Float64Array(4);
    copies.resolve(roleFile, batchRows, counts);
    copies.close();
    roleFile.close();
    elapsed['copies.resolve'] = (performance.now() - resolving) / 1000;
    cpu['copies.resolve'] = cpuSince(cpuAt2);
    const started = performance.now();
    cpuAt2 = process.cpuUsage();
    let replayed = 0;
    for (const batch of rowCache.batches()) replayed += batch.rowCount;
    elapsed['rowCache.replay'] = (performance.now() - started) / 1000;
    cpu['rowCache.replay'] = cpuSince(cpuAt2);
    if (replayed !== rows) throw new Error(`the row cache replayed ${replayed} rows, not ${rows}`);
    return { seconds: elapsed, cpu, serverCpu: serverSeconds === null ? null : round(serverSeconds) };
  } finally {
    rowCache.close();
    cacheDir.dispose();
  }
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
