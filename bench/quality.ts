/**
 * Held-out quality at default settings on every shared data set, next to the converged
 * scikit-learn reference (../shared/bench/reference.jsonl), as JSON lines:
 *   npx tsx bench/quality.ts [file-substring]
 * sqlml's figure is one 70/30 hash split (seed 1); the reference is the median of 5 random splits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine/engine.js';

const shared = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared');
const filter = process.argv[2] ?? '';

interface Reference {
  file: string;
  target: string;
  task: string;
  dropped: string[];
  rows: number;
  [metric: string]: unknown;
}

const references = readFileSync(resolve(shared, 'bench', 'reference.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Reference)
  .filter((r) => r.file.includes(filter));

const HEADLINE: Record<string, string[]> = {
  binary: ['auc', 'accuracy'],
  'binary-text': ['auc'],
  multiclass: ['accuracy', 'macro_f1'],
  regression: ['rmse', 'r2'],
};

const engine = await Engine.open('duckdb::memory:');
for (const ref of references) {
  const path = resolve(shared, 'data', ref.file);
  if (!existsSync(path)) {
    process.stdout.write(`${JSON.stringify({ bench: 'quality', file: ref.file, skipped: 'missing' })}\n`);
    continue;
  }
  await engine.runAll(`CREATE OR REPLACE TABLE data AS SELECT * FROM read_csv('${path.replaceAll("'", "''")}');`);
  const recipe = ref.dropped.length > 0 ? ` RECIPE (${ref.dropped.map((c) => `exclude(${c})`).join(', ')})` : '';
  const started = performance.now();
  const [trained] = await engine.runAll(`CREATE OR REPLACE MODEL m FROM data PREDICT ${ref.target}${recipe};`);
  const seconds = (performance.now() - started) / 1000;
  const row = Object.fromEntries(trained!.columns.map((c, i) => [c.name, trained!.rows[0]![i]]));
  const record: Record<string, unknown> = {
    bench: 'quality',
    file: ref.file,
    target: ref.target,
    dropped: ref.dropped,
    type: row.type,
    passes: row.passes,
    seconds: Math.round(seconds * 100) / 100,
  };
  for (const metric of HEADLINE[ref.task] ?? []) {
    const reference = (ref[metric] as { median: number } | undefined)?.median;
    record[metric] = row[metric];
    record[`reference_${metric}`] = reference;
    if (typeof reference === 'number' && typeof row[metric] === 'number') {
      record[`delta_${metric}`] = Math.round(((row[metric] as number) - reference) * 10000) / 10000;
    }
  }
  process.stdout.write(`${JSON.stringify(record)}\n`);
}
await engine.close();
