/**
 * The benches' CREATE MODEL steps run on the built package in a plain node process
 * (bench/create-model-built.mjs): a process running TypeScript through tsx carries its
 * loader and compile cache, in the worker thread too, which made the peak RSS figures
 * tens of MB larger than what users see.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./create-model-built.mjs', import.meta.url));

/** `npm run build` once per bench run: child steps inherit the mark and skip it. */
export function buildOnce(): void {
  if (process.env.SQLML_BENCH_BUILT === '1') return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('npm run build failed');
  process.env.SQLML_BENCH_BUILT = '1';
}

export interface BuiltTraining {
  readonly seconds: number;
  readonly read_method: string;
  readonly read_rows_per_second: number;
  readonly read_seconds: number;
  readonly train_seconds: number;
  readonly passes: number;
  readonly pass_rows_per_second: number[];
  /** Each pass's seconds; the passes after the first read the local example cache, no database and no encoding. */
  readonly pass_seconds: number[];
  readonly auc: number;
  readonly peak_rss_mb: number;
}

/** CREATE OR REPLACE MODEL `model` FROM (`select`) PREDICT label RECIPE (exclude(id)) in its own process; the model stays. */
export function createModelBuilt(url: string, model: string, select: string, worker = process.env.BENCH_ENCODE_WORKER ?? 'auto'): BuiltTraining {
  buildOnce();
  const child = spawnSync(process.execPath, [SCRIPT, url, model, select, worker], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`create-model-built.mjs failed (exit ${child.status})`);
  const { dist: _dist, encode_worker: _worker, ...figures } = JSON.parse(child.stdout.trim().split('\n').pop()!) as BuiltTraining & { dist: string; encode_worker: string };
  return figures;
}
