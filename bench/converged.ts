/**
 * The converged reference for bench/quality.ts: the same rows, the same 70/30 split and
 * the same encoded features sqlml trains on, fitted to convergence by full-batch L-BFGS
 * (scikit-learn's LogisticRegression defaults: L2 with C = 1, i.e. ½‖w‖² + Σ loss; plain
 * least squares for regression). The gap between sqlml and this is the learner's own
 * gap, free of the split-to-split noise that separates one split from scikit-learn's
 * median of five (bank without duration: AUC 0.781 to 0.802 across its splits).
 *
 * test/engine/train-in-database.test.ts holds the database engine's models to it too, on
 * every database: `rows` (the held-out rows it scored) lets a caller check that its split
 * is the engine's, and `classWeights: 'balanced'` weighs the loss as scikit-learn's
 * class_weight='balanced' and sqlml's class_weights = 'balanced' do (n / (k·n_c), from
 * the rows it fits).
 */
import type { Adapter } from '../adapters/adapter.js';
import { FeatureEncoder } from '../src/learn/encode.js';
import { inferLabel, LabelEncoder } from '../src/learn/label.js';
import { binaryMetrics, multiclassMetrics, regressionMetrics } from '../src/learn/metrics.js';
import { DEFAULT_OPTIONS } from '../src/learn/options.js';
import { Profiler } from '../src/learn/profile.js';
import { buildRecipe } from '../src/learn/recipe.js';
import { RowRole, RowSplitter } from '../src/learn/split.js';
import { createSparseVector, type Task } from '../src/learn/types.js';
import type { RowBatch } from '../src/data.js';
import type { Transform } from '../src/sql/ast.js';

interface Examples {
  rows: number;
  offsets: number[];
  indices: number[];
  values: number[];
  labels: number[];
}

function emptyExamples(): Examples {
  return { rows: 0, offsets: [0], indices: [], values: [], labels: [] };
}

/** Metrics of a converged fit on sqlml's own split and features for `seed`, and `rows`: the held-out rows they are of. */
export async function convergedReference(
  adapter: Adapter,
  query: string,
  target: string,
  transforms: readonly Transform[] | null,
  seed: number,
  fit: { readonly classWeights?: 'none' | 'balanced' } = {},
): Promise<Record<string, number>> {
  const options = { ...DEFAULT_OPTIONS, seed, classWeights: fit.classWeights ?? 'none' };
  // Everything in memory: the shared data sets are small, and this is a benchmark.
  const batches: RowBatch[] = [];
  const stream = await adapter.openStream(query, { batchRows: 4096 });
  for await (const batch of stream.batches()) batches.push(copyBatch(batch));
  const columns = stream.columns;
  const targetIndex = columns.findIndex((c) => c.name.toLowerCase() === target.toLowerCase());
  const profiler = new Profiler(columns);
  for (const batch of batches) profiler.add(batch);
  const profile = profiler.finish();
  const label = inferLabel(profile.columns[targetIndex]!, options);
  const recipe = buildRecipe(profile, label, transforms, options);
  const encoder = new FeatureEncoder(recipe, columns);
  const labels = new LabelEncoder(label, columns[targetIndex]!);
  const vector = createSparseVector(Math.max(16, encoder.maxNnz));
  const rows = emptyExamples();
  const holdout = emptyExamples();
  // sqlml's split: 70% train (of which 10% validation, which a batch solver trains on too), 30% held out.
  const splitter = new RowSplitter({ trainFraction: options.split, validationFraction: 0.1, seed: options.seed });
  for (const batch of batches) {
    const roles = new Uint8Array(batch.rowCount);
    splitter.assign(batch, targetIndex, roles);
    for (let row = 0; row < batch.rowCount; row++) {
      if (roles[row] === RowRole.Skip) continue;
      const y = labels.encode(batch.columns[targetIndex]!, row);
      if (Number.isNaN(y)) continue;
      encoder.encodeRow(batch, row, vector);
      const into = roles[row] === RowRole.Holdout ? holdout : rows;
      for (let j = 0; j < vector.nnz; j++) {
        into.indices.push(vector.indices[j]!);
        into.values.push(vector.values[j]!);
      }
      into.offsets.push(into.indices.length);
      into.labels.push(y);
      into.rows++;
    }
  }
  const task: Task = label.task;
  const K = task === 'multiclass' ? label.classes.length : 1;
  const dimension = recipe.dimension;
  const weights = lbfgs(objective(rows, task, K, dimension, balancedWeights(task, options.classWeights, rows, K)), (dimension + 1) * K);
  const margins = new Float64Array(K);
  const score = (e: Examples, r: number): Float64Array => {
    for (let k = 0; k < K; k++) margins[k] = weights[dimension * K + k]!;
    for (let j = e.offsets[r]!; j < e.offsets[r + 1]!; j++) {
      for (let k = 0; k < K; k++) margins[k]! += weights[e.indices[j]! * K + k]! * e.values[j]!;
    }
    return margins;
  };
  if (task === 'binary') {
    const scores = new Float64Array(holdout.rows);
    for (let r = 0; r < holdout.rows; r++) scores[r] = 1 / (1 + Math.exp(-score(holdout, r)[0]!));
    const m = binaryMetrics(holdout.labels, scores, holdout.rows, 0.5);
    return { auc: m.auc, accuracy: m.accuracy, rows: holdout.rows };
  }
  if (task === 'multiclass') {
    const probabilities = new Float64Array(holdout.rows * K);
    for (let r = 0; r < holdout.rows; r++) {
      const m = score(holdout, r);
      softmax(m, K);
      probabilities.set(m, r * K);
    }
    const m = multiclassMetrics(holdout.labels, probabilities, holdout.rows, K);
    return { accuracy: m.accuracy, macro_f1: m.macroF1, rows: holdout.rows };
  }
  const actual = new Float64Array(holdout.rows);
  const predicted = new Float64Array(holdout.rows);
  for (let r = 0; r < holdout.rows; r++) {
    actual[r] = holdout.labels[r]! * label.std + label.mean;
    predicted[r] = score(holdout, r)[0]! * label.std + label.mean;
  }
  const m = regressionMetrics(actual, predicted, holdout.rows, label.mean);
  return { rmse: m.rmse, r2: m.r2, rows: holdout.rows };
}

function copyBatch(batch: RowBatch): RowBatch {
  return {
    rowCount: batch.rowCount,
    columns: batch.columns.map((c) =>
      c.kind === 'number' ? { kind: 'number', values: c.values.slice(), nulls: c.nulls.slice() } : { kind: 'text', values: c.values.slice() },
    ),
  } as RowBatch;
}

function softmax(m: Float64Array, K: number): void {
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, m[k]!);
  let sum = 0;
  for (let k = 0; k < K; k++) sum += m[k] = Math.exp(m[k]! - max);
  for (let k = 0; k < K; k++) m[k]! /= sum;
}

/**
 * Per-class weights n / (k·n_c) over the fitted rows (scikit-learn's 'balanced', as
 * src/engine/train.ts classWeights), or null.
 */
function balancedWeights(task: Task, classWeights: 'none' | 'balanced', e: Examples, K: number): Float64Array | null {
  if (classWeights === 'none' || task === 'regression') return null;
  const k = task === 'binary' ? 2 : K;
  const counts = new Float64Array(k);
  for (const y of e.labels) counts[y]!++;
  return counts.map((c) => (c > 0 ? e.rows / (k * c) : 0));
}

/**
 * f(w) and its gradient, as the mean over rows: mean loss + ‖w‖² / (2n) (C = 1; bias
 * unpenalized). With class weights each row's loss counts its class's weight, and the
 * mean is over n all the same: scikit-learn's C·Σ w_i·loss_i + ½‖w‖², divided by n.
 */
function objective(e: Examples, task: Task, K: number, dimension: number, classWeights: Float64Array | null) {
  const n = e.rows;
  // Least squares has no penalty in the reference (LinearRegression); a whisper keeps it well posed.
  const lambda = task === 'regression' ? 1e-10 : 1 / n;
  const margins = new Float64Array(K);
  return (w: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    let loss = 0;
    const biasAt = dimension * K;
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < K; k++) margins[k] = w[biasAt + k]!;
      const from = e.offsets[r]!;
      const to = e.offsets[r + 1]!;
      for (let j = from; j < to; j++) {
        const at = e.indices[j]! * K;
        const x = e.values[j]!;
        for (let k = 0; k < K; k++) margins[k]! += w[at + k]! * x;
      }
      const y = e.labels[r]!;
      const weight = classWeights === null ? 1 : classWeights[y]!;
      if (task === 'binary') {
        const m = margins[0]!;
        loss += weight * (Math.max(m, 0) - m * y + Math.log1p(Math.exp(-Math.abs(m))));
        margins[0] = weight * (1 / (1 + Math.exp(-m)) - y);
      } else if (task === 'regression') {
        const d = margins[0]! - y;
        loss += 0.5 * d * d;
        margins[0] = d;
      } else {
        let max = -Infinity;
        for (let k = 0; k < K; k++) max = Math.max(max, margins[k]!);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(margins[k]! - max);
        loss += weight * (max + Math.log(sum) - margins[y]!);
        for (let k = 0; k < K; k++) margins[k] = weight * (Math.exp(margins[k]! - max) / sum - (k === y ? 1 : 0));
      }
      for (let k = 0; k < K; k++) gradient[biasAt + k]! += margins[k]!;
      for (let j = from; j < to; j++) {
        const at = e.indices[j]! * K;
        const x = e.values[j]!;
        for (let k = 0; k < K; k++) gradient[at + k]! += margins[k]! * x;
      }
    }
    let penalty = 0;
    for (let i = 0; i < dimension * K; i++) {
      penalty += w[i]! * w[i]!;
      gradient[i] = gradient[i]! / n + lambda * w[i]!;
    }
    for (let k = 0; k < K; k++) gradient[biasAt + k] = gradient[biasAt + k]! / n;
    return loss / n + 0.5 * lambda * penalty;
  };
}

/** Limited-memory BFGS (two-loop recursion, memory 10) with a backtracking Armijo line search. */
function lbfgs(f: (w: Float64Array, g: Float64Array) => number, size: number, maxIterations = 1000): Float64Array {
  const memory = 10;
  let w = new Float64Array(size);
  let g = new Float64Array(size);
  let value = f(w, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const direction = new Float64Array(size);
  const alpha = new Float64Array(memory);
  const nextW = new Float64Array(size);
  const nextG = new Float64Array(size);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    direction.set(g);
    for (let i = s.length - 1; i >= 0; i--) {
      alpha[i] = rho[i]! * dot(s[i]!, direction);
      axpy(-alpha[i]!, y[i]!, direction);
    }
    if (s.length > 0) {
      const last = s.length - 1;
      const gamma = dot(s[last]!, y[last]!) / dot(y[last]!, y[last]!);
      for (let i = 0; i < size; i++) direction[i]! *= gamma;
    }
    for (let i = 0; i < s.length; i++) {
      const beta = rho[i]! * dot(y[i]!, direction);
      axpy(alpha[i]! - beta, s[i]!, direction);
    }
    for (let i = 0; i < size; i++) direction[i] = -direction[i]!;
    let slope = dot(g, direction);
    if (slope >= 0) {
      // Not a descent direction: restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < size; i++) direction[i] = -g[i]!;
      slope = dot(g, direction);
    }
    let step = s.length === 0 ? Math.min(1, 1 / Math.sqrt(dot(g, g))) : 1;
    let nextValue = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < size; i++) nextW[i] = w[i]! + step * direction[i]!;
      nextValue = f(nextW, nextG);
      if (nextValue <= value + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    const sk = new Float64Array(size);
    const yk = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      sk[i] = nextW[i]! - w[i]!;
      yk[i] = nextG[i]! - g[i]!;
    }
    const sy = dot(sk, yk);
    const improvement = value - nextValue;
    w = nextW.slice();
    g = nextG.slice();
    value = nextValue;
    if (sy > 1e-12) {
      if (s.length === memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    if (Math.sqrt(dot(g, g)) < 1e-7 || improvement < 1e-12 * Math.max(1, Math.abs(value))) break;
  }
  return w;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i]! += a * x[i]!;
}
