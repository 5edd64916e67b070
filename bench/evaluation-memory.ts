/**
 * The held-out evaluation's memory and time by held-out rows, with the scores kept in
 * memory (what the evaluation did before) and with the bound of held-out-scores.ts (past
 * 2^20 rows, on disk), as JSON lines:
 *   npx tsx bench/evaluation-memory.ts [--rows 1500000,3000000,7500000] [--task binary|regression]
 *     [--cache-dir /tmp/sqlml-evaluation-bench]
 * The rows are synthetic, seeded: a margin from a sum of uniforms, the score its sigmoid,
 * the label drawn with that probability (regression: a value and a noisy prediction).
 * 1.5M, 3M and 7.5M held-out rows are what split 0.7 holds out of 10M, 20M and 50M. Each
 * run is its own process (this script with --child), so its peak RSS (VmHWM) is its own;
 * tsx's loader is in every one alike. The lines say the seconds of add() over every row and
 * of finish(), the peak RSS, the AUC (or RMSE) of both variants, and whether the two
 * evaluations are equal.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { CacheDir } from '../src/engine/cache-dir.js';
import { EvaluationCollector } from '../src/engine/evaluation.js';
import type { LabelSpec } from '../src/learn/label.js';
import { machine } from './gen-tables.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const task = option('--task', 'binary') as 'binary' | 'regression';
const cacheParent = option('--cache-dir', '/tmp/sqlml-evaluation-bench');

const LABEL: LabelSpec = {
  task,
  reason: 'bench',
  column: 'label',
  columnType: task === 'binary' ? 'integer' : 'double',
  positive: task === 'binary' ? '1' : null,
  negative: task === 'binary' ? '0' : null,
  positiveReason: null,
  classes: task === 'binary' ? ['0', '1'] : [],
  mean: task === 'binary' ? 0 : 10,
  std: task === 'binary' ? 1 : 3,
  counts: [],
};

function hwmMb(): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
}

if (args.includes('--child')) {
  const rows = Number(option('--child-rows', '0'));
  const variant = option('--variant', 'memory');
  mkdirSync(cacheParent, { recursive: true });
  const dir = new CacheDir(cacheParent);
  try {
    const collector = new EvaluationCollector(task, LABEL, 0.5, variant === 'memory' ? { expectedRows: rows, spill: null } : { expectedRows: rows, spill: dir });
    let seed = 42;
    const uniform = (): number => {
      // xorshift32: the same rows in every process.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const out = new Float64Array(1);
    const started = performance.now();
    for (let i = 0; i < rows; i++) {
      const margin = (uniform() + uniform() + uniform() - 1.5) * 3;
      if (task === 'binary') {
        out[0] = 1 / (1 + Math.exp(-margin));
        collector.add(uniform() < out[0] ? 1 : 0, out);
      } else {
        out[0] = margin;
        collector.add(margin + uniform() - 0.5, out);
      }
    }
    const added = performance.now();
    const evaluation = collector.finish();
    const finished = performance.now();
    console.log(
      JSON.stringify({
        add_seconds: Number(((added - started) / 1000).toFixed(2)),
        finish_seconds: Number(((finished - added) / 1000).toFixed(2)),
        peak_rss_mb: Math.round(hwmMb()),
        metric: task === 'binary' ? evaluation.metrics.auc : evaluation.metrics.rmse,
        digest: createHash('sha256').update(JSON.stringify(evaluation)).digest('hex').slice(0, 16),
      }),
    );
  } finally {
    dir.dispose();
  }
} else {
  const sizes = option('--rows', '1500000,3000000,7500000').split(',').map(Number);
  const emit = (line: Record<string, unknown>): void => console.log(JSON.stringify({ bench: 'evaluation-memory', ...line, loadavg: loadavg().map((l) => Number(l.toFixed(2))) }));
  emit({ what: 'machine', ...machine() });
  const script = fileURLToPath(import.meta.url);
  for (const rows of sizes) {
    const results: Record<string, { digest: string }> = {};
    // Alternating, so both variants see the same load.
    for (const variant of ['memory', 'bounded']) {
      const child = spawnSync('npx', ['tsx', script, '--child', '--child-rows', String(rows), '--variant', variant, '--task', task, '--cache-dir', cacheParent], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (child.status !== 0) throw new Error(`the ${variant} run at ${rows} rows failed (exit ${child.status})`);
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { digest: string };
      results[variant] = result;
      emit({ what: 'held-out evaluation', task, held_out_rows: rows, variant, ...result });
    }
    emit({ what: 'bounded = memory', task, held_out_rows: rows, equal: results.memory!.digest === results.bounded!.digest });
  }
}
