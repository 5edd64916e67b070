/**
 * Small-data robustness at default settings, as JSON lines:
 *   npx tsx bench/small-data.ts [--seeds N] [--splits N]
 * A seeded generator makes small (100–1,000 rows), wide (30–100 numeric columns), nearly
 * separable data sets, binary and multiclass, several shapes × seeds. For each, sqlml's
 * held-out AUC (binary) or accuracy (multiclass) at defaults is the median over `splits`
 * seeds of its own 70/30 split, and scikit-learn's `LogisticRegression()` (C = 1,
 * standardized features, /usr/bin/python3) the median over as many random 70/30 splits.
 * `diff` is sqlml minus scikit-learn; the last line gives the median diff per task.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/engine/engine.js';
import { mulberry32 } from '../src/learn/random.js';
import { RowSplitter } from '../src/learn/split.js';
import { median } from './median.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const seeds = option('--seeds', 3);
const only = args.includes('--shape') ? Number(args[args.indexOf('--shape') + 1]) : null;
const splits = option('--splits', 5);
const extra = args.includes('--l2') ? args[args.indexOf('--l2') + 1] : null;
/** More USING options for every model, e.g. --using "early_stopping = false". */
const moreUsing = args.includes('--using') ? `, ${args[args.indexOf('--using') + 1]}` : '';

interface Shape {
  readonly rows: number;
  readonly columns: number;
  /** 2 for binary. */
  readonly classes: number;
  /** Columns carrying signal. */
  readonly informative: number;
  /** Margin scale: larger is closer to separable. */
  readonly scale: number;
}

const SHAPES: readonly Shape[] = [
  { rows: 100, columns: 30, classes: 2, informative: 10, scale: 3 },
  { rows: 200, columns: 50, classes: 2, informative: 10, scale: 4 },
  { rows: 300, columns: 100, classes: 2, informative: 20, scale: 3 },
  { rows: 500, columns: 60, classes: 2, informative: 15, scale: 5 },
  { rows: 1000, columns: 100, classes: 2, informative: 30, scale: 4 },
  { rows: 300, columns: 30, classes: 3, informative: 10, scale: 3 },
  { rows: 600, columns: 50, classes: 4, informative: 15, scale: 3 },
  { rows: 1000, columns: 80, classes: 5, informative: 20, scale: 3 },
];

/** A standard normal draw (Box–Muller) from `random`. */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** CSV text of a seeded data set: columns x1..xp on different scales, target y. */
function generate(shape: Shape, seed: number): string {
  const random = mulberry32(seed * 1000 + shape.rows + shape.columns * 7 + shape.classes * 13);
  const K = shape.classes === 2 ? 1 : shape.classes;
  const weights = Array.from({ length: K }, () => Array.from({ length: shape.columns }, (_, j) => (j < shape.informative ? normal(random) : 0)));
  // Columns on different scales and offsets, as real data has them (the recipe standardizes).
  const scales = Array.from({ length: shape.columns }, () => Math.exp(normal(random) * 1.5));
  const offsets = Array.from({ length: shape.columns }, () => normal(random) * 10);
  const lines = [[...Array.from({ length: shape.columns }, (_, j) => `x${j + 1}`), 'y'].join(',')];
  const norm = Math.sqrt(shape.informative);
  for (let r = 0; r < shape.rows; r++) {
    const x = Array.from({ length: shape.columns }, () => normal(random));
    // A shared factor correlates the columns a little.
    const factor = normal(random);
    for (let j = 0; j < x.length; j++) x[j] = x[j]! + 0.3 * factor;
    const margins = weights.map((w) => (shape.scale * w.reduce((sum, wj, j) => sum + wj * x[j]!, 0)) / norm);
    let y: number;
    if (K === 1) {
      y = random() < 1 / (1 + Math.exp(-margins[0]!)) ? 1 : 0;
    } else {
      const top = Math.max(...margins);
      const e = margins.map((m) => Math.exp(m - top));
      let u = random() * e.reduce((a, b) => a + b, 0);
      y = 0;
      while (y < K - 1 && (u -= e[y]!) > 0) y++;
    }
    lines.push([...x.map((v, j) => (v * scales[j]! + offsets[j]!).toPrecision(6)), K === 1 ? String(y) : `c${y}`].join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * scikit-learn on sqlml's own split of each seed (the CSV's last column: 'train', 'validation'
 * or 'test'; scikit-learn fits the first two, as a batch solver trains on the validation
 * carve-out too, and is scored on 'test', the held-out rows): the paired comparison, free
 * of the split-to-split noise that dominates a 30-row held-out set.
 */
const SKLEARN_SAME_SPLIT = `
import sys, json, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
from sklearn.metrics import roc_auc_score, accuracy_score
scores = []
for path in sys.argv[1:]:
    d = np.genfromtxt(path, delimiter=',', skip_header=1, dtype=str)
    X = d[:, :-2].astype(float); y = d[:, -2]
    fit = (d[:, -1] == 'train') | (d[:, -1] == 'validation'); test = d[:, -1] == 'test'
    m = make_pipeline(StandardScaler(), LogisticRegression(max_iter=10000)).fit(X[fit], y[fit])
    if len(set(y)) == 2: scores.append(roc_auc_score(y[test], m.predict_proba(X[test])[:, list(m.classes_).index('1')]))
    else: scores.append(accuracy_score(y[test], m.predict(X[test])))
print(json.dumps(scores))
`;

const SKLEARN = `
import sys, json, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
from sklearn.model_selection import train_test_split
from sklearn.metrics import roc_auc_score, accuracy_score
splits = int(sys.argv[2])
d = np.genfromtxt(sys.argv[1], delimiter=',', skip_header=1, dtype=str)
X = d[:, :-1].astype(float); y = d[:, -1]
scores = []
for s in range(1, splits + 1):
    Xa, Xb, ya, yb = train_test_split(X, y, train_size=0.7, random_state=s)
    m = make_pipeline(StandardScaler(), LogisticRegression(max_iter=10000)).fit(Xa, ya)
    if len(set(y)) == 2: scores.append(roc_auc_score(yb, m.predict_proba(Xb)[:, 1]))
    else: scores.append(accuracy_score(yb, m.predict(Xb)))
print(json.dumps(float(np.median(scores))))
`;

// --keep DIR keeps the generated CSV files there.
const keep = args.includes('--keep') ? args[args.indexOf('--keep') + 1]! : null;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'sqlml-small-'));
const diffs: Record<string, number[]> = { binary: [], multiclass: [] };
const pairedDiffs: Record<string, number[]> = { binary: [], multiclass: [] };

const ROLE_NAMES = ['train', 'validation', 'test', 'skip'];

/** Writes `data` with sqlml's role of each row under `seed` (fit or test) as a CSV for SKLEARN_SAME_SPLIT. */
async function writeSplit(engine: Engine, file: string, seed: number): Promise<void> {
  const stream = await engine.adapter.openStream('SELECT * FROM data', { batchRows: 4096 });
  const columns = stream.columns;
  const target = columns.findIndex((c) => c.name === 'y');
  const splitter = new RowSplitter({ trainFraction: 0.7, validationFraction: 0.1, seed });
  const lines = [[...columns.map((c) => c.name), 'role'].join(',')];
  for await (const batch of stream.batches()) {
    const roles = new Uint8Array(batch.rowCount);
    splitter.assign(batch, target, roles);
    for (let row = 0; row < batch.rowCount; row++) {
      const cells = batch.columns.map((c) => String(c.kind === 'number' ? c.values[row] : c.values[row]));
      lines.push([...cells, ROLE_NAMES[roles[row]!]].join(','));
    }
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

try {
  const engine = await Engine.open('duckdb::memory:');
  for (const shape of only === null ? SHAPES : [SHAPES[only]!]) {
    for (let seed = 1; seed <= seeds; seed++) {
      const file = join(dir, `data-${shape.rows}-${shape.columns}-${shape.classes}-${seed}.csv`);
      writeFileSync(file, generate(shape, seed));
      await engine.runAll(`CREATE OR REPLACE TABLE data AS SELECT * FROM read_csv('${file}')`);
      const task = shape.classes === 2 ? 'binary' : 'multiclass';
      const metric = task === 'binary' ? 'auc' : 'accuracy';
      const values: number[] = [];
      const splitFiles: string[] = [];
      const chosen: number[] = [];
      let seconds = 0;
      for (let split = 1; split <= splits; split++) {
        const using = `seed = ${split}${extra === null ? '' : `, l2 = ${extra}`}${moreUsing}`;
        const [created] = await engine.runAll(`CREATE OR REPLACE MODEL small_m FROM data PREDICT y USING ${using}`);
        const row = Object.fromEntries(created!.columns.map((c, i) => [c.name, created!.rows[0]![i]]));
        values.push(Number(row[metric]));
        const splitFile = file.replace(/\.csv$/, `-split${split}.csv`);
        await writeSplit(engine, splitFile, split);
        splitFiles.push(splitFile);
        seconds += Number(row.seconds);
        const [described] = await engine.runAll('DESCRIBE MODEL small_m');
        const l2Row = described!.rows.find((r) => r[0] === 'training' && r[1] === 'l2');
        if (l2Row) chosen.push(Number(l2Row[2]));
      }
      const sklearn = JSON.parse(execFileSync('/usr/bin/python3', ['-c', SKLEARN, file, String(splits)], { encoding: 'utf8' })) as number;
      const paired = JSON.parse(execFileSync('/usr/bin/python3', ['-c', SKLEARN_SAME_SPLIT, ...splitFiles], { encoding: 'utf8' })) as number[];
      const sqlml = median(values);
      const diff = round(sqlml - sklearn);
      diffs[task]!.push(diff);
      // The paired difference: per split, sqlml minus scikit-learn on the same rows; its median.
      const diffSameSplit = round(median(values.map((v, i) => v - paired[i]!)));
      pairedDiffs[task]!.push(diffSameSplit);
      console.log(
        JSON.stringify({
          bench: 'small-data',
          task,
          ...shape,
          seed,
          metric,
          sqlml: round(sqlml),
          sklearn: round(sklearn),
          diff,
          sklearn_same_split: round(median(paired)),
          diff_same_split: diffSameSplit,
          l2: chosen,
          seconds_per_model: round(seconds / splits),
        }),
      );
    }
  }
  await engine.close();
  console.log(
    JSON.stringify({
      bench: 'small-data',
      summary: true,
      binary_median_diff_auc: median(diffs.binary!),
      binary_worst_diff_auc: Math.min(...diffs.binary!),
      multiclass_median_diff_accuracy: median(diffs.multiclass!),
      multiclass_worst_diff_accuracy: Math.min(...diffs.multiclass!),
      binary_median_diff_same_split_auc: median(pairedDiffs.binary!),
      binary_worst_diff_same_split_auc: Math.min(...pairedDiffs.binary!),
      multiclass_median_diff_same_split_accuracy: median(pairedDiffs.multiclass!),
      multiclass_worst_diff_same_split_accuracy: Math.min(...pairedDiffs.multiclass!),
    }),
  );
} finally {
  if (keep === null) rmSync(dir, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
