import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlmlError } from '../../src/errors.js';
import type { LabelSpec } from '../../src/learn/label.js';
import { binaryMetrics, regressionMetrics, rocCurve } from '../../src/learn/metrics.js';
import { CacheBudget, CacheDir } from '../../src/engine/cache-dir.js';
import { EvaluationCollector, THRESHOLD_STEPS, thresholdStep } from '../../src/engine/evaluation.js';
import { HeldOutPairs } from '../../src/engine/held-out-pairs.js';
import { HeldOutScores } from '../../src/engine/held-out-scores.js';

const LABEL: LabelSpec = {
  task: 'binary',
  reason: 'two values',
  column: 'label',
  columnType: 'integer',
  positive: '1',
  negative: '0',
  positiveReason: null,
  classes: ['0', '1'],
  mean: 0,
  std: 1,
  counts: [60, 40],
};

const dirs: CacheDir[] = [];
function cacheDir(budget?: (parent: string) => CacheBudget): CacheDir {
  const parent = tmpdir();
  const dir = new CacheDir(parent, budget?.(parent));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.dispose();
});

interface Row {
  readonly label: 0 | 1;
  readonly score: number;
}

/** Every distinct score, ascending, with its positives and negatives. */
function runsOf(scores: HeldOutScores): [number, number, number][] {
  const runs: [number, number, number][] = [];
  scores.forEachRun((score, positives, negatives) => runs.push([score, positives, negatives]));
  return runs;
}

function collect(rows: readonly Row[], threshold: number, spill: CacheDir | null, rowsInMemory?: number) {
  const collector = new EvaluationCollector('binary', LABEL, threshold, { spill, ...(rowsInMemory === undefined ? {} : { rowsInMemory }) });
  const out = new Float64Array(2);
  for (const row of rows) {
    out[0] = row.score;
    out[1] = 1 - row.score;
    collector.add(row.label, out);
  }
  return collector.finish();
}

/**
 * Scores as the model gives them: probabilities, drawn from a few values so that ties
 * (within and across classes) are common, or from all of float32's [0, 1], which spreads
 * them over many buckets of the top bits.
 */
const scoreOf = fc.oneof(
  fc.integer({ min: 0, max: 6 }).map((k) => k / 6),
  fc.float({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom(0, 1, 0.5, Math.fround(1e-30), 1 - 2 ** -24),
);
const rowsOf = (labels: fc.Arbitrary<0 | 1>) =>
  fc.array(fc.record({ label: labels, score: scoreOf }), { minLength: 0, maxLength: 300 });
const anyRows = fc.oneof(
  rowsOf(fc.constantFrom(0 as const, 1 as const)),
  rowsOf(fc.constant(1 as const)), // one class absent
  rowsOf(fc.constant(0 as const)),
  fc.tuple(scoreOf, fc.array(fc.constantFrom(0 as const, 1 as const), { maxLength: 300 })).map(([score, labels]) => labels.map((label) => ({ label, score }))), // every score equal
);

describe('a binary evaluation kept within a row bound', () => {
  it('gives the same evaluation from disk as from memory, whatever the bound (ties, one class absent, all scores equal)', () => {
    fc.assert(
      fc.property(anyRows, fc.integer({ min: 1, max: 40 }), fc.constantFrom(0.5, 0.3, 0), (rows, bound, threshold) => {
        const inMemory = collect(rows, threshold, null);
        const spilled = collect(rows, threshold, cacheDir(), bound);
        expect(spilled).toStrictEqual(inMemory);
      }),
      { numRuns: 300 },
    );
  });

  it("holds the figures of metrics.ts's functions over the rows' float32 scores", () => {
    fc.assert(
      fc.property(rowsOf(fc.constantFrom(0 as const, 1 as const)).filter((rows) => rows.length > 0), fc.integer({ min: 1, max: 40 }), (rows, bound) => {
        const labels = Uint8Array.from(rows, (r) => r.label);
        const scores = Float32Array.from(rows, (r) => r.score);
        const m = binaryMetrics(labels, scores, rows.length, 0.5);
        const roc = rocCurve(labels, scores, rows.length, 101);
        const evaluation = collect(rows, 0.5, cacheDir(), bound);
        expect(evaluation.metrics).toStrictEqual({
          auc: m.auc,
          accuracy: m.accuracy,
          precision: m.precision,
          recall: m.recall,
          f1: m.f1,
          log_loss: m.logLoss,
          threshold: 0.5,
          rows: rows.length,
        });
        expect(evaluation.details.roc).toStrictEqual({ fpr: roc.fpr, tpr: roc.tpr, thresholds: roc.thresholds });
        const table = evaluation.details.threshold_table as { positive: number[]; negative: number[] };
        const positive = new Array<number>(THRESHOLD_STEPS + 1).fill(0);
        for (let i = 0; i < rows.length; i++) if (labels[i] === 1) positive[thresholdStep(scores[i]!, THRESHOLD_STEPS)]!++;
        expect(table.positive).toStrictEqual(positive);
      }),
      { numRuns: 200 },
    );
  });

  it('walks the same distinct scores in the same order from disk as from memory', () => {
    fc.assert(
      fc.property(anyRows, fc.integer({ min: 1, max: 40 }), (rows, bound) => {
        const memory = new HeldOutScores(null);
        const disk = new HeldOutScores(cacheDir(), 16, bound);
        for (const row of rows) {
          memory.add(row.label === 1, Math.fround(row.score));
          disk.add(row.label === 1, Math.fround(row.score));
        }
        expect(disk.spilled).toBe(rows.length > bound);
        const runs = runsOf(memory);
        expect(runsOf(disk)).toStrictEqual(runs);
        // And again: the ROC curve walks a second time.
        expect(runsOf(disk)).toStrictEqual(runs);
        disk.close();
      }),
      { numRuns: 300 },
    );
  });

  it('holds at most the bound in memory, on a held-out set many times its size, and leaves no file behind', () => {
    const bound = 1000;
    const dir = cacheDir();
    const scores = new HeldOutScores(dir, 100_000, bound);
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const rows = 50_000;
    // Half the rows at one score (a bucket far over the bound, counted by value), the rest spread.
    for (let i = 0; i < rows; i++) scores.add(random() < 0.3, i % 2 === 0 ? 0.25 : Math.fround(random()));
    expect(scores.bufferRows).toBeLessThanOrEqual(bound);
    expect(scores.spilled).toBe(true);
    const files = readdirSync(dir.path);
    expect(files).toHaveLength(2);
    const bytes = files.reduce((sum, name) => sum + statSync(dir.file(name)).size, 0);
    // A full buffer goes to disk when the next score comes: every full one but the last.
    expect(bytes).toBe(4 * bound * Math.floor((rows - 1) / bound));
    let total = 0;
    scores.forEachRun((_score, positives, negatives) => {
      total += positives + negatives;
    });
    expect(total).toBe(rows);
    expect(scores.bufferRows).toBeLessThanOrEqual(bound);
    // Each range sorted holds at most the bound, so the spread half takes more than (rows / 2) / bound of them.
    expect(scores.largestSort).toBeLessThanOrEqual(bound);
    expect(scores.largestSort).toBeGreaterThan(bound / 2);
    expect(scores.rangesRead).toBeGreaterThan(rows / 2 / bound);
    // Every score is read once to put the ranges in order, then once per walk, however many ranges there are.
    expect(scores.scoresRead).toBe(2 * rows);
    let again = 0;
    scores.forEachRun((_score, positives, negatives) => {
      again += positives + negatives;
    });
    expect(again).toBe(rows);
    expect(scores.scoresRead).toBe(3 * rows);
    // The ordered pair replaced the spilled one.
    expect(readdirSync(dir.path)).toHaveLength(2);
    scores.close();
    expect(readdirSync(dir.path)).toHaveLength(0);
  });

  it("stops with the cache budget's error naming the limit when the scores outgrow it", () => {
    const dir = cacheDir((parent) => new CacheBudget(parent, 10_000, 'SQLML_CACHE_LIMIT=10000'));
    const collector = new EvaluationCollector('binary', LABEL, 0.5, { spill: dir, rowsInMemory: 100 });
    const out = new Float64Array([0.25, 0.75]);
    let error: unknown;
    try {
      for (let i = 0; i < 10_000; i++) collector.add(i % 2, out);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SqlmlError);
    expect((error as SqlmlError).code).toBe('training_failed');
    expect((error as Error).message).toMatch(/reached its limit of .* \(SQLML_CACHE_LIMIT=10000\)/);
    collector.close();
    expect(readdirSync(dir.path)).toHaveLength(0);
    expect(existsSync(dir.path)).toBe(true);
  });

  it('refuses a NaN score, naming the row', () => {
    const collector = new EvaluationCollector('binary', LABEL, 0.5, { spill: null });
    collector.add(1, new Float64Array([0.5, 0.5]));
    expect(() => collector.add(0, new Float64Array([NaN, NaN]))).toThrow(/no score \(NaN\) at row 1/);
  });
});

const REGRESSION: LabelSpec = { ...LABEL, task: 'regression', columnType: 'double', positive: null, negative: null, classes: [], mean: 3.25, std: 1.7, counts: [] };

function collectRegression(rows: readonly { y: number; out: number }[], spill: CacheDir | null, rowsInMemory?: number) {
  const collector = new EvaluationCollector('regression', REGRESSION, 0.5, { spill, ...(rowsInMemory === undefined ? {} : { rowsInMemory }) });
  const out = new Float64Array(1);
  for (const row of rows) {
    out[0] = row.out;
    collector.add(row.y, out);
  }
  return collector.finish();
}

describe('a regression evaluation kept within a row bound', () => {
  const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: -3, max: 3 }));
  const rows = fc.oneof(
    fc.array(fc.record({ y: value, out: value }), { maxLength: 300 }),
    fc.tuple(value, value, fc.nat({ max: 300 })).map(([y, out, n]) => Array.from({ length: n }, () => ({ y, out }))), // every residual equal
  );

  it('gives the same evaluation from disk as from memory, and metrics.ts\'s figures', () => {
    fc.assert(
      fc.property(rows, fc.integer({ min: 1, max: 40 }), (pairs, bound) => {
        const inMemory = collectRegression(pairs, null);
        const spilled = collectRegression(pairs, cacheDir(), bound);
        expect(spilled).toStrictEqual(inMemory);
        if (pairs.length === 0) return;
        const actual = Float64Array.from(pairs, (p) => p.y * REGRESSION.std + REGRESSION.mean);
        const predicted = Float64Array.from(pairs, (p) => p.out * REGRESSION.std + REGRESSION.mean);
        const m = regressionMetrics(actual, predicted, pairs.length, REGRESSION.mean);
        expect(spilled.metrics).toStrictEqual({ rmse: m.rmse, mae: m.mae, r2: m.r2, baseline_rmse: m.baselineRmse, rows: m.rows });
        const sample = spilled.details.sample as { actual: number[] };
        expect(sample.actual).toHaveLength(Math.min(pairs.length, 1000));
        const residuals = spilled.details.residuals as { counts: number[] };
        expect(residuals.counts.reduce((a, b) => a + b, 0)).toBe(pairs.length);
      }),
      { numRuns: 200 },
    );
  });

  it('holds at most the bound in memory and reads every row back in order', () => {
    const dir = cacheDir();
    const pairs = new HeldOutPairs(dir, 1_000_000, 500);
    for (let i = 0; i < 20_000; i++) pairs.add(i, -i);
    expect(pairs.bufferRows).toBeLessThanOrEqual(500);
    expect(pairs.spilled).toBe(true);
    let next = 0;
    pairs.forEach((actual, predicted, row) => {
      expect(row).toBe(next);
      if (actual !== next || predicted !== -next) throw new Error(`row ${row} came back as (${actual}, ${predicted})`);
      next++;
    });
    expect(next).toBe(20_000);
    pairs.close();
    expect(readdirSync(dir.path)).toHaveLength(0);
  });
});
