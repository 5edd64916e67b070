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
const ONE_STATEMENT = fileURLToPath(new URL('./predict-engines-one.mjs', import.meta.url));

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

/** What bench/predict-engines-one.mjs prints for one statement. */
export interface BuiltStatement {
  readonly seconds: number;
  /** CPU seconds of every thread of the statement's process (bench/predict-engines-one.mjs). */
  readonly cpu_seconds: number;
  readonly result: Record<string, unknown>;
  readonly peak_rss_mb: number;
  readonly client_read_bytes: number | null;
  readonly client_written_bytes: number | null;
}

/** How a statement run by {@link statementBuilt} ended: its figures, or why there are none. */
export type StatementOutcome = { readonly measured: BuiltStatement } | { readonly failed: string; readonly timedOut: boolean };

/**
 * `setup` (untimed; may be '') then `statement` on the built package in a plain node
 * process (bench/predict-engines-one.mjs), killed after `timeoutSeconds`. A failure is
 * the first `…Error: ` line of its stderr (the rest of stderr is passed on when there is none).
 */
export function statementBuilt(url: string, setup: string, statement: string, timeoutSeconds: number): StatementOutcome {
  const child = spawnSync(process.execPath, [ONE_STATEMENT, url, setup, statement], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 24,
    timeout: timeoutSeconds * 1000,
  });
  if (child.status === 0) return { measured: JSON.parse(child.stdout.trim().split('\n').pop()!) as BuiltStatement };
  if (child.signal !== null) return { failed: `timed out: killed after ${timeoutSeconds} s (--timeout)`, timedOut: true };
  const message = child.stderr.split('\n').find((line) => /^\w*Error: /.test(line));
  if (message === undefined) process.stderr.write(child.stderr);
  return { failed: message?.trim() ?? `exit ${child.status}`, timedOut: false };
}
