import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { L2_PATH } from '../../src/learn/l2-path.js';
import { train } from '../../src/learn/train.js';
import type { Task } from '../../src/learn/types.js';
import { meanLoss, memorySource } from '../helpers/synthetic.js';
import { smallWide, spec } from '../helpers/small-wide.js';

/** `model` (real weights, the K biases after the dimension·K weights) with its biases' mean subtracted. */
function centredBiases(model: Float64Array, dimension: number): Float64Array {
  const K = model.length / (dimension + 1);
  let mean = 0;
  for (let k = 0; k < K; k++) mean += model[dimension * K + k]! / K;
  for (let k = 0; k < K; k++) model[dimension * K + k] = model[dimension * K + k]! - mean;
  return model;
}

describe('the default L2 amount, chosen on the validation rows (l2-path.ts)', () => {
  it('keeps an amount of the path (or the passes’ model), the one with the lowest validation loss', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Task>('binary', 'multiclass', 'regression'),
        fc.integer({ min: 1, max: 1_000 }),
        // A fifth of 500 rows or more is at least 100 validation rows: they choose (fewer cross-validate, l2-cv.test.ts).
        fc.integer({ min: 500, max: 700 }),
        fc.integer({ min: 8, max: 30 }),
        async (task, seed, rows, width) => {
          const { data, training, validation } = smallWide(task, seed, rows, width);
          const result = await train(memorySource(training, validation), spec(task, data.dimension, { seed, chooseL2: true }));
          const finish = result.polish!;
          expect(finish).not.toBeNull();
          expect(finish.l2Folds).toBe(0);
          const held = meanLoss(result.learner, validation);
          if (finish.kept === 'passes') {
            // The passes' model stays, and so does the given amount.
            expect(result.l2).toBe(1e-6);
            expect(held).toBeCloseTo(finish.startValidationLoss!, 9);
            return;
          }
          expect(finish.l2Path.length).toBeGreaterThan(0);
          expect(L2_PATH).toContain(result.l2);
          const lowest = Math.min(...finish.l2Path.map((step) => step.validationLoss));
          expect(finish.l2Path.find((step) => step.l2 === result.l2)!.validationLoss).toBe(lowest);
          // What is reported is the chosen step's validation loss; the refit then trains on those rows too.
          expect(finish.validationLoss).toBe(lowest);
          // The path's tried amounts are a prefix of L2_PATH, strongest first.
          expect(finish.l2Path.map((step) => step.l2)).toEqual(L2_PATH.slice(0, finish.l2Path.length));
        },
      ),
      { numRuns: 12, seed: 19 },
    );
  });

  it('never leaves a model with a worse validation loss than the passes’ model when the amount is given', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Task>('binary', 'multiclass', 'regression'), fc.integer({ min: 1, max: 1_000 }), async (task, seed) => {
        const { data, training, validation } = smallWide(task, seed, 120, 24);
        const result = await train(memorySource(training, validation), spec(task, data.dimension, { seed, l2: 1e-6 }));
        const finish = result.polish!;
        expect(finish.l2Path).toEqual([]);
        expect(finish.validationLoss!).toBeLessThanOrEqual(finish.startValidationLoss!);
        expect(meanLoss(result.learner, validation)).toBeCloseTo(finish.validationLoss!, 9);
        expect(result.l2).toBe(1e-6);
      }),
      { numRuns: 9, seed: 7 },
    );
  });

  it('regularizes small wide data more than the default amount, and lowers its validation loss against the unregularized fit', async () => {
    const { data, training, validation } = smallWide('binary', 5, 120, 40);
    const chosen = await train(memorySource(training, validation), spec('binary', data.dimension, { chooseL2: true }));
    const unregularized = await train(memorySource(training, validation), spec('binary', data.dimension));
    expect(chosen.polish!.l2Path.length).toBeGreaterThan(0);
    expect(meanLoss(chosen.learner, validation)).toBeLessThanOrEqual(meanLoss(unregularized.learner, validation));
  });

  it('refits the chosen amount on the training and validation rows together: the regularized optimum over both', async () => {
    for (const task of ['binary', 'multiclass', 'regression'] as const) {
      const { data, training, validation } = smallWide(task, 3, 160, 20);
      const chosen = await train(memorySource(training, validation), spec(task, data.dimension, { chooseL2: true, seed: 3 }));
      if (chosen.polish!.kept === 'passes') continue;
      expect(chosen.polish!.refitIterations).toBeGreaterThan(0);
      // The same amount fitted alone on every row of both sets, with no carve-out: a strictly
      // convex objective has one optimum, so the two fits agree wherever they started.
      const all = [...training, ...validation];
      const direct = await train(memorySource(all, []), spec(task, data.dimension, { l2: chosen.l2, seed: 3, earlyStopping: false }));
      expect(direct.polish!.kept).toBe('finish');
      // Biases are unpenalized, so a multiclass model's are known up to a shift shared by its classes: compared centred.
      const a = centredBiases(chosen.learner.modelCopy(), data.dimension);
      const b = centredBiases(direct.learner.modelCopy(), data.dimension);
      let largest = 0;
      let difference = 0;
      for (let i = 0; i < a.length; i++) {
        largest = Math.max(largest, Math.abs(b[i]!));
        difference = Math.max(difference, Math.abs(a[i]! - b[i]!));
      }
      expect(difference).toBeLessThan(1e-3 * Math.max(1, largest));
      // And it is not the fit on the training rows alone.
      const trainingOnly = await train(memorySource(training, validation), spec(task, data.dimension, { l2: chosen.l2, seed: 3 }));
      expect(centredBiases(trainingOnly.learner.modelCopy(), data.dimension)).not.toEqual(a);
    }
  });

  it('is deterministic: the same rows and seed choose the same amount and the same weights', async () => {
    const { data, training, validation } = smallWide('multiclass', 11, 150, 20);
    const a = await train(memorySource(training, validation), spec('multiclass', data.dimension, { chooseL2: true }));
    const b = await train(memorySource(training, validation), spec('multiclass', data.dimension, { chooseL2: true }));
    expect(b.l2).toBe(a.l2);
    expect(b.learner.modelCopy()).toEqual(a.learner.modelCopy());
  });
});
