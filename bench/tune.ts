/**
 * `USING tune = N` against the default on shared data sets, as JSON lines:
 *   npx tsx bench/tune.ts [file-substring] [--trials N] [--seed S] [--tune-metric M]
 * Per data set: the held-out headline metric and seconds of the default model and of
 * the tuned one (same seed, so the same split), how tuning chose (DESCRIBE's
 * tune_yardstick), then the tuned version's SHOW TRIALS. Every figure line carries the
 * load average and CPU it was taken under. The `recipe` sets tune quantile-bin counts too.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine/engine.js';

const sharedDataDir = process.env.SQLML_SHARED_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');

const args = process.argv.slice(2);
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const trials = Number(option('--trials') ?? 20);
const seed = Number(option('--seed') ?? 1);
const tuneMetric = option('--tune-metric');
const filter = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? '';

const SETS = [
  { name: 'bank', file: 'bank_additional_full.csv', target: 'y', metric: 'auc', recipe: '' },
  { name: 'adult', file: 'adult_train.csv', target: 'income', metric: 'auc', recipe: '' },
  { name: 'letters', file: 'letter_recognition.csv', target: 'letter', metric: 'accuracy', recipe: '' },
  {
    name: 'adult-recipe',
    file: 'adult_train.csv',
    target: 'income',
    metric: 'auc',
    recipe: 'RECIPE (quantile_bin(age, 10), quantile_bin(hours_per_week, 10), quantile_bin(education_num, 10))',
  },
];

const machine = (): Record<string, unknown> => ({ load_average: loadavg().map((l) => Number(l.toFixed(2))), cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}` });

const engine = await Engine.open('duckdb::memory:');
let loaded = '';
for (const set of SETS.filter((s) => s.name.includes(filter) || s.file.includes(filter))) {
  if (loaded !== set.file) {
    const path = resolve(sharedDataDir, set.file);
    await engine.runAll(`CREATE OR REPLACE TABLE data AS SELECT * FROM read_csv('${path.replaceAll("'", "''")}')`);
    loaded = set.file;
  }
  const figures: Record<string, unknown> = { bench: 'tune', set: set.name, file: set.file, trials, seed, ...(tuneMetric ? { tune_metric: tuneMetric } : {}), before: machine() };
  const tuned = `seed = ${seed}, tune = ${trials}${tuneMetric ? `, tune_metric = '${tuneMetric}'` : ''}`;
  for (const [label, using] of [['default', `seed = ${seed}`], ['tuned', tuned]] as const) {
    const [result] = await engine.runAll(`CREATE OR REPLACE MODEL bench_tune FROM data PREDICT ${set.target} ${set.recipe} USING ${using}`);
    const row = Object.fromEntries(result!.columns.map((c, i) => [c.name, result!.rows[0]![i]]));
    figures[`${label}_${set.metric}`] = Number(row[set.metric]);
    // The held-out figure the trials were compared by, too.
    if (tuneMetric !== undefined && tuneMetric !== set.metric) figures[`${label}_${tuneMetric}`] = Number(row[tuneMetric]);
    figures[`${label}_seconds`] = Number(row.seconds);
  }
  const [described] = await engine.runAll('DESCRIBE MODEL bench_tune');
  const property = described!.columns.findIndex((c) => c.name === 'property');
  const value = described!.columns.findIndex((c) => c.name === 'value');
  for (const row of described!.rows) if (row[property] === 'tune' || row[property] === 'tune_yardstick') figures[String(row[property])] = row[value];
  figures.after = machine();
  console.log(JSON.stringify(figures));
  const [shown] = await engine.runAll('SHOW TRIALS bench_tune');
  for (const row of shown!.rows) console.log(JSON.stringify({ bench: 'tune', set: set.name, trial: Object.fromEntries(shown!.columns.map((c, i) => [c.name, row[i]])) }));
}
await engine.close();
