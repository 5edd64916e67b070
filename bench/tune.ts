/**
 * `USING tune = N` against the default on shared data sets, as JSON lines:
 *   npx tsx bench/tune.ts [file-substring] [--trials N] [--seed S]
 * Per data set: the held-out headline metric and seconds of the default model and of
 * the tuned one (same seed, so the same split), then the tuned version's SHOW TRIALS.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine/engine.js';

const sharedDataDir = process.env.SQLML_SHARED_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const trials = option('--trials', 20);
const seed = option('--seed', 1);
const filter = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? '';

const SETS = [
  { file: 'bank_additional_full.csv', target: 'y', metric: 'auc' },
  { file: 'adult_train.csv', target: 'income', metric: 'auc' },
  { file: 'letter_recognition.csv', target: 'letter', metric: 'accuracy' },
];

const engine = await Engine.open('duckdb::memory:');
for (const set of SETS.filter((s) => s.file.includes(filter))) {
  const path = resolve(sharedDataDir, set.file);
  await engine.runAll(`CREATE OR REPLACE TABLE data AS SELECT * FROM read_csv('${path.replaceAll("'", "''")}')`);
  const figures: Record<string, unknown> = { bench: 'tune', file: set.file, trials, seed };
  for (const [label, using] of [['default', `seed = ${seed}`], ['tuned', `seed = ${seed}, tune = ${trials}`]] as const) {
    const [result] = await engine.runAll(`CREATE OR REPLACE MODEL bench_tune FROM data PREDICT ${set.target} USING ${using}`);
    const row = Object.fromEntries(result!.columns.map((c, i) => [c.name, result!.rows[0]![i]]));
    figures[`${label}_${set.metric}`] = Number(row[set.metric]);
    figures[`${label}_seconds`] = Number(row.seconds);
  }
  console.log(JSON.stringify(figures));
  const [shown] = await engine.runAll('SHOW TRIALS bench_tune');
  for (const row of shown!.rows) console.log(JSON.stringify({ bench: 'tune', file: set.file, trial: Object.fromEntries(shown!.columns.map((c, i) => [c.name, row[i]])) }));
}
await engine.close();
