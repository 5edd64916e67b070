/**
 * The read phase of CREATE MODEL, step by step, as JSON lines:
 *   npx tsx bench/read-phase.ts [--rows 1000000] [--repeat 3]
 * Generates the synthetic table (bench/synthetic.ts) into a temporary DuckDB file, then,
 * per repeat, streams it once exactly as train.ts's pass 0 does and times each step on
 * its own: the adapter's decoding (waiting for the next batch), splitter.assign (the
 * copies counted exactly as they come, and as training does: first copies' roles to a
 * role file, content keys to partitions on disk, the copies counted after the read:
 * src/engine/split-copies.ts), profiler.add and rowCache.append;
 * then the replay of the row cache. Steps are timed
 * inside one pass, not by subtracting whole runs, so the other steps' garbage and the
 * database's noise stay out of each figure as far as possible. The last line sums the
 * best repeat of each step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDuckDBAdapter } from '../adapters/duckdb/duckdb-adapter.js';
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

/** The defaults of CREATE MODEL: split 0.7, early stopping on (10% validation), seed 1. */
const split: SplitSpec = { trainFraction: 0.7, validationFraction: 0.1, seed: 1 };
const STEPS = ['decode', 'splitter.assign', 'splitter.assign (first copies, keys to disk)', 'copies.resolve', 'profiler.add', 'rowCache.append', 'rowCache.replay'] as const;
type Step = (typeof STEPS)[number];

function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'read-phase', rows, ...record })}\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'sqlml-bench-read-'));
const adapter = await openDuckDBAdapter(`duckdb:${join(dir, 'bench.duckdb')}`);
try {
  await adapter.query(syntheticTableSql('synthetic', rows));
  const best = new Map<Step, number>();
  for (let repeat = 1; repeat <= repeats; repeat++) {
    const seconds = await measure();
    for (const step of STEPS) {
      emit({ repeat, step, seconds: round(seconds[step]), rows_per_second: Math.round(rows / seconds[step]) });
      best.set(step, Math.min(best.get(step) ?? Number.POSITIVE_INFINITY, seconds[step]));
    }
  }
  // The sum is of what training's read does: its split is the deferred one.
  const ownSteps = STEPS.filter((step) => step !== 'decode' && step !== 'splitter.assign');
  const total = ownSteps.reduce((sum, step) => sum + best.get(step)!, 0);
  emit({
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

async function measure(): Promise<Record<Step, number>> {
  const elapsed: Record<Step, number> = {
    decode: 0,
    'splitter.assign': 0,
    'splitter.assign (first copies, keys to disk)': 0,
    'copies.resolve': 0,
    'profiler.add': 0,
    'rowCache.append': 0,
    'rowCache.replay': 0,
  };
  const stream = await adapter.openStream('SELECT * FROM synthetic', { batchRows: BATCH_ROWS });
  const targetIndex = stream.columns.findIndex((column) => column.name === 'label');
  const cacheDir = new CacheDir();
  const rowCache = new RowCache(cacheDir.file('rows.bin'), stream.columns);
  try {
    const profiler = new Profiler(stream.columns);
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
    const iterator = stream.batches()[Symbol.asyncIterator]();
    let at = 0;
    const lap = (): number => {
      const now = performance.now();
      const seconds = (now - at) / 1000;
      at = now;
      return seconds;
    };
    for (;;) {
      at = performance.now();
      const next = await iterator.next();
      elapsed.decode += lap();
      if (next.done === true) break;
      const batch = next.value;
      splitter.assign(batch, targetIndex, roles);
      elapsed['splitter.assign'] += lap();
      deferred.assign(batch, targetIndex, own, contentHashes(batch, split.seed, hashes));
      copies.add(hashes, own, batch.rowCount);
      roleFile.append(own, batch.rowCount);
      batchRows.push(batch.rowCount);
      elapsed['splitter.assign (first copies, keys to disk)'] += lap();
      profiler.add(batch);
      elapsed['profiler.add'] += lap();
      rowCache.append(batch);
      elapsed['rowCache.append'] += lap();
    }
    profiler.finish();
    const resolving = performance.now();
    const counts = new Float64Array(4);
    copies.resolve(roleFile, batchRows, counts);
    copies.close();
    roleFile.close();
    elapsed['copies.resolve'] = (performance.now() - resolving) / 1000;
    const started = performance.now();
    let replayed = 0;
    for (const batch of rowCache.batches()) replayed += batch.rowCount;
    elapsed['rowCache.replay'] = (performance.now() - started) / 1000;
    if (replayed !== rows) throw new Error(`the row cache replayed ${replayed} rows, not ${rows}`);
  } finally {
    rowCache.close();
    cacheDir.dispose();
  }
  return elapsed;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
