import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignFolds } from '../../src/learn/folds.js';
import { crossValidates, CV_FOLDS, CV_MAX_VALIDATION_ROWS, halfDecadesAround, L2_PATH, weakestWithinOneStandardError, type PathStep } from '../../src/learn/l2-path.js';
import { polish } from '../../src/learn/polish.js';
import { OnlineLearner, type LearnerSpec } from '../../src/learn/sgd.js';
import { train } from '../../src/learn/train.js';
import type { ExampleBlock, Task } from '../../src/learn/types.js';
import { memorySource, synthesize, toBlocks } from '../helpers/synthetic.js';
import { smallWide, spec } from '../helpers/small-wide.js';
import { leastSquares } from '../helpers/least-squares.js';

function predict(block: ExampleBlock, r: number, w: Float64Array, dimension: number): number {
  let p = w[dimension]!;
  for (let j = block.offsets[r]!; j < block.offsets[r + 1]!; j++) p += w[block.indices[j]!]! * block.values[j]!;
  return p;
}

/**
 * The cross-validated path's candidates: a prefix of L2_PATH (the walk), then the half
 * decades around the decade with the lowest pooled loss; the amount kept is one of them,
 * no stronger than that lowest one.
 */
function checkCandidates(tried: readonly PathStep[], kept: number): void {
  const walked = tried.filter((step) => L2_PATH.includes(step.l2));
  expect(walked.map((step) => step.l2)).toEqual(L2_PATH.slice(0, walked.length));
  const lowest = (steps: readonly PathStep[]) => steps.reduce((a, b) => (b.validationLoss < a.validationLoss ? b : a));
  expect(tried.slice(walked.length).map((step) => step.l2)).toEqual(halfDecadesAround(lowest(walked).l2, L2_PATH));
  expect(tried.map((step) => step.l2)).toContain(kept);
  expect(kept).toBeLessThanOrEqual(lowest(tried).l2);
}

describe('folds (folds.ts)', () => {
  it('deals every row one fold, sizes within one per label, and the same folds for the same seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.boolean(),
        (count, folds, classes, seed, stratify) => {
          const labels = Float64Array.from({ length: count }, (_, i) => (i * 7 + (i >> 3)) % classes);
          const fold = assignFolds(labels, count, folds, seed, stratify);
          expect(fold).toEqual(assignFolds(labels, count, folds, seed, stratify));
          expect(fold.length).toBe(count);
          for (const f of fold) expect(f).toBeLessThan(folds);
          const groups = stratify ? classes : 1;
          for (let c = 0; c < groups; c++) {
            const sizes = new Array<number>(folds).fill(0);
            for (let r = 0; r < count; r++) if (!stratify || labels[r] === c) sizes[fold[r]!]!++;
            expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 200, seed: 19 },
    );
  });

  it('depends on the seed: another seed deals the rows differently, into folds of the same sizes', () => {
    const labels = Float64Array.from({ length: 100 }, (_, i) => i % 2);
    const a = assignFolds(labels, 100, 5, 1, true);
    const b = assignFolds(labels, 100, 5, 2, true);
    expect(b).not.toEqual(a);
    const sizes = (fold: Uint8Array) => Array.from({ length: 5 }, (_, k) => fold.filter((f) => f === k).length);
    expect(sizes(b)).toEqual(sizes(a));
  });
});

describe('the default L2 amount chosen by cross-validation when the validation rows are few (l2-path.ts)', () => {
  it('runs on few validation rows only', () => {
    expect(crossValidates(0)).toBe(true);
    expect(crossValidates(CV_MAX_VALIDATION_ROWS - 1)).toBe(true);
    expect(crossValidates(CV_MAX_VALIDATION_ROWS)).toBe(false);
  });

  it('pools the held-out loss of each fold’s exact ridge fit, keeps the weakest within a standard error of the lowest, and refits it on every row (regression, against the normal equations)', async () => {
    for (const seed of [3, 8]) {
      const data = synthesize({ task: 'regression', rows: 150, seed, denseScales: [1, 3, 0.5, 2, 1, 4], irrelevant: [3, 4, 5], noise: 1.5 });
      const cut = 120;
      const training = toBlocks(data.block, 50, 0, cut);
      const validation = toBlocks(data.block, 50, cut, 150);
      const learnerSpec: LearnerSpec = { ...spec('regression', data.dimension), l2: 1e-6 };
      const learner = new OnlineLearner(learnerSpec);
      for (const block of training) for (let r = 0; r < block.count; r++) learner.learn(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, block.labels[r]!, 1);
      learner.endPass();
      const result = (await polish(learner, memorySource(training, validation), { task: 'regression', l2: 1e-6, classWeights: null, pass: 1, l2Path: L2_PATH, seed }))!;
      expect(result.l2Folds).toBe(CV_FOLDS);
      expect(result.kept).toBe('finish');
      // The folds: training rows then validation rows, as the objective holds them (no duplicates here).
      const fold = assignFolds(data.block.labels, 150, CV_FOLDS, seed, false);
      const all = Array.from({ length: 150 }, (_, r) => r);
      const foldLosses = new Map<number, Float64Array>();
      for (const step of result.l2Path) {
        let loss = 0;
        const perFold = new Float64Array(CV_FOLDS);
        for (let k = 0; k < CV_FOLDS; k++) {
          const w = leastSquares(data.block, data.dimension, step.l2, all.filter((r) => fold[r] !== k));
          const held = all.filter((r) => fold[r] === k);
          for (const r of held) perFold[k] = perFold[k]! + 0.5 * (predict(data.block, r, w, data.dimension) - data.block.labels[r]!) ** 2;
          loss += perFold[k]!;
          perFold[k] = perFold[k]! / held.length;
        }
        expect(step.validationLoss).toBeCloseTo(loss / 150, 5);
        foldLosses.set(step.l2, perFold);
      }
      // The amount kept: the weakest the folds cannot tell from the lowest, by the exact fits' per-fold losses.
      const lowest = result.l2Path.reduce((a, b) => (b.validationLoss < a.validationLoss ? b : a));
      expect(result.l2).toBe(weakestWithinOneStandardError(foldLosses, lowest.l2));
      expect(result.validationLoss).toBe(result.l2Path.find((step) => step.l2 === result.l2)!.validationLoss);
      checkCandidates(result.l2Path, result.l2);
      // The data is noisy and small: some regularization beats none, so the choice is not the path's weak end.
      expect(result.l2).toBeGreaterThan(1e-6);
      // The refit: the exact ridge optimum over all 150 rows at the chosen amount.
      const exact = leastSquares(data.block, data.dimension, result.l2, all);
      for (let i = 0; i < data.dimension; i++) expect(learner.weight(i, 0)).toBeCloseTo(exact[i]!, 4);
      expect(learner.bias(0)).toBeCloseTo(exact[data.dimension]!, 4);
    }
  });

  it('chooses by cross-validation for binary, multiclass and regression on few validation rows: an amount tried, from the decades and the half decades around the best', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Task>('binary', 'multiclass', 'regression'),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 60, max: 200 }),
        fc.integer({ min: 8, max: 30 }),
        async (task, seed, rows, width) => {
          const { data, training, validation } = smallWide(task, seed, rows, width);
          const result = await train(memorySource(training, validation), spec(task, data.dimension, { seed, chooseL2: true }));
          const finish = result.polish!;
          expect(finish.l2Folds).toBe(CV_FOLDS);
          // Under cross-validation the passes' model is no candidate: the path's choice is always refitted.
          expect(finish.kept).toBe('finish');
          expect(finish.refitIterations).toBeGreaterThan(0);
          checkCandidates(finish.l2Path, result.l2);
          // The report is the kept amount's own cross-validated loss.
          expect(finish.validationLoss).toBe(finish.l2Path.find((step) => step.l2 === result.l2)!.validationLoss);
        },
      ),
      { numRuns: 9, seed: 19 },
    );
  });

  it('tries the half decades either side of the best decade, within the path, rounded to 3 digits', () => {
    fc.assert(
      fc.property(fc.constantFrom(...L2_PATH), (best) => {
        const around = halfDecadesAround(best, L2_PATH);
        for (const l2 of around) {
          expect(l2).toBeLessThanOrEqual(Math.max(...L2_PATH));
          expect(l2).toBeGreaterThanOrEqual(Math.min(...L2_PATH));
          expect(Number(l2.toPrecision(3))).toBe(l2);
          expect(Math.abs(Math.log10(l2 / best))).toBeCloseTo(0.5, 2);
          expect(L2_PATH).not.toContain(l2);
        }
        // Strongest first, one each side unless the path ends there.
        expect([...around].sort((a, b) => b - a)).toEqual(around);
        expect(around.length).toBe(best === Math.max(...L2_PATH) || best === Math.min(...L2_PATH) ? 1 : 2);
      }),
    );
    expect(halfDecadesAround(0.1, L2_PATH)).toEqual([0.316, 0.0316]);
  });

  it('keeps the weakest amount the folds cannot tell from the best (one standard error of the paired difference)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...L2_PATH, 0.316, 0.0316, 0.00316), { minLength: 1, maxLength: 9 }),
        fc.array(fc.array(fc.double({ min: 0.01, max: 2, noNaN: true }), { minLength: 5, maxLength: 5 }), { minLength: 9, maxLength: 9 }),
        (amounts, losses) => {
          const foldLosses = new Map(amounts.map((l2, i) => [l2, Float64Array.from(losses[i]!)]));
          const pooled = (l2: number) => foldLosses.get(l2)!.reduce((a, b) => a + b, 0) / 5;
          const best = amounts.reduce((a, b) => (pooled(b) < pooled(a) ? b : a));
          const chosen = weakestWithinOneStandardError(foldLosses, best);
          expect(amounts).toContain(chosen);
          expect(chosen).toBeLessThanOrEqual(best);
          // Each weaker amount than the one kept is worse than the best by more than a standard error.
          for (const l2 of amounts.filter((a) => a < chosen)) {
            const d = Array.from(foldLosses.get(l2)!, (v, k) => v - foldLosses.get(best)![k]!);
            const mean = d.reduce((a, b) => a + b, 0) / 5;
            const se = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / 4 / 5);
            expect(mean).toBeGreaterThan(se);
          }
        },
      ),
      { numRuns: 300, seed: 19 },
    );
    // Identical losses: the folds tell nothing apart, the weakest is kept.
    const same = Float64Array.from([0.5, 0.4, 0.6, 0.5, 0.5]);
    expect(weakestWithinOneStandardError(new Map([[1, same], [0.1, same], [0.01, same]]), 1)).toBe(0.01);
    // A clearly worse weaker amount (worse on every fold by the same) is not kept.
    const worse = Float64Array.from(same, (v) => v + 0.1);
    expect(weakestWithinOneStandardError(new Map([[0.1, same], [0.01, worse]]), 0.1)).toBe(0.1);
  });

  it('is deterministic, and its folds follow the seed', async () => {
    const { data, training, validation } = smallWide('binary', 4, 150, 24);
    const a = await train(memorySource(training, validation), spec('binary', data.dimension, { chooseL2: true, seed: 5 }));
    const b = await train(memorySource(training, validation), spec('binary', data.dimension, { chooseL2: true, seed: 5 }));
    expect(b.l2).toBe(a.l2);
    expect(b.polish!.l2Path).toEqual(a.polish!.l2Path);
    expect(b.learner.modelCopy()).toEqual(a.learner.modelCopy());
    // The polish seed alone changes the folds, so the pooled losses (the passes' model is the same start).
    const learner = () => {
      const l = new OnlineLearner({ ...spec('binary', data.dimension), l2: 1e-6 });
      for (const block of training) for (let r = 0; r < block.count; r++) l.learn(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, block.labels[r]!, 1);
      l.endPass();
      return l;
    };
    const one = await polish(learner(), memorySource(training, validation), { task: 'binary', l2: 1e-6, classWeights: null, pass: 1, l2Path: L2_PATH, seed: 1 });
    const two = await polish(learner(), memorySource(training, validation), { task: 'binary', l2: 1e-6, classWeights: null, pass: 1, l2Path: L2_PATH, seed: 2 });
    expect(two!.l2Path[0]!.validationLoss).not.toBe(one!.l2Path[0]!.validationLoss);
    // crossValidate = false (the database engine's rule): the validation rows choose, however few.
    const plain = await polish(learner(), memorySource(training, validation), { task: 'binary', l2: 1e-6, classWeights: null, pass: 1, l2Path: L2_PATH, seed: 1, crossValidate: false });
    expect(plain!.l2Folds).toBe(0);
    expect(plain!.l2Path.length).toBeGreaterThan(0);
    expect(plain!.l2Path[0]!.validationLoss).not.toBe(one!.l2Path[0]!.validationLoss);
  });

  it('never overrides a given amount: no path, no folds', async () => {
    for (const task of ['binary', 'multiclass', 'regression'] as const) {
      const { data, training, validation } = smallWide(task, 2, 120, 20);
      const result = await train(memorySource(training, validation), spec(task, data.dimension, { l2: 0.37 }));
      expect(result.l2).toBe(0.37);
      expect(result.polish!.l2Path).toEqual([]);
      expect(result.polish!.l2Folds).toBe(0);
    }
  });

  it('leaves the choice to the validation rows when they are many', async () => {
    // 640 training rows on 81 weights (within the path's 50 rows per weight) and 160 validation rows.
    const { data, training, validation } = smallWide('binary', 6, 800, 80);
    expect(validation.reduce((sum, block) => sum + block.count, 0)).toBeGreaterThanOrEqual(CV_MAX_VALIDATION_ROWS);
    const result = await train(memorySource(training, validation), spec('binary', data.dimension, { chooseL2: true, passes: 2 }));
    expect(result.polish!.l2Path.length).toBeGreaterThan(0);
    expect(result.polish!.l2Folds).toBe(0);
  });
});
