/**
 * What the default L2 choice costs against a given amount, as JSON lines:
 *   npx tsx bench/l2-cost.ts <csv> <target> [--db /tmp/x.duckdb] [--rounds N] [--drop col,col]
 * Loads the CSV once into a DuckDB file (reused when it holds the table), then trains
 * `CREATE MODEL … USING seed = 1` (the learner chooses L2: the path, cross-validated on few
 * validation rows) and the same with `l2 = 1e-6` (Amazon ML's default, given: no path), in
 * turns (default, given, default, given, …) so drift in the machine's load falls on both.
 * One line per model (seconds, the l2 kept, the path's steps and folds, the load average),
 * and a last line with the median seconds of each and their ratio. Timings are under
 * whatever else the machine runs: compare the ratio, not the seconds, across runs.
 */
import { loadavg } from 'node:os';
import { Engine } from '../src/engine/engine.js';
import { median } from './median.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const [csv, target] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (csv === undefined || target === undefined) throw new Error('usage: bench/l2-cost.ts <csv> <target> [--db file] [--rounds N] [--drop cols]');
const db = option('--db', '/tmp/sqlml-l2-cost.duckdb');
const rounds = Number(option('--rounds', '3'));
const dropped = option('--drop', '').split(',').filter((c) => c !== '');

const engine = await Engine.open(`duckdb:${db}`);
try {
  const [present] = await engine.runAll("SELECT count(*) FROM information_schema.tables WHERE table_name = 'l2_cost_data'");
  if (Number(present!.rows[0]![0]) === 0) {
    await engine.runAll(`CREATE TABLE l2_cost_data AS SELECT * ${dropped.length ? `EXCLUDE (${dropped.join(', ')})` : ''} FROM read_csv('${csv.replaceAll("'", "''")}')`);
  }
  const seconds: Record<string, number[]> = { default: [], given: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const [label, using] of [['default', 'seed = 1'], ['given', 'seed = 1, l2 = 1e-6']] as const) {
      const load = loadavg()[0]!;
      const started = performance.now();
      await engine.runAll(`CREATE OR REPLACE MODEL l2_cost_m FROM l2_cost_data PREDICT ${target} USING ${using}`);
      const elapsed = (performance.now() - started) / 1000;
      seconds[label]!.push(elapsed);
      const stats = (await engine.store.get('l2_cost_m'))!.trainingStats as { l2?: number; l2_path?: unknown[]; l2_folds?: number; rows_trained: number; polish?: unknown };
      console.log(
        JSON.stringify({
          bench: 'l2-cost',
          round,
          model: label,
          seconds: Number(elapsed.toFixed(2)),
          rows_trained: stats.rows_trained,
          finish: stats.polish !== undefined,
          l2: stats.l2,
          path_steps: stats.l2_path?.length ?? 0,
          folds: stats.l2_folds ?? 0,
          load_average_before: Number(load.toFixed(2)),
          load_average_after: Number(loadavg()[0]!.toFixed(2)),
        }),
      );
    }
  }
  const a = median(seconds.default!);
  const b = median(seconds.given!);
  console.log(JSON.stringify({ bench: 'l2-cost', summary: true, rounds, median_seconds_default: Number(a.toFixed(2)), median_seconds_given: Number(b.toFixed(2)), ratio: Number((a / b).toFixed(3)) }));
} finally {
  await engine.close();
}
