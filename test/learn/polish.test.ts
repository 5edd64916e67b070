import { describe, expect, it } from 'vitest';
import { encodeLearner } from '../../src/learn/model-format.js';
import type { Objective } from '../../src/learn/objective.js';
import { canPolish, minimize, polish } from '../../src/learn/polish.js';
import { OnlineLearner, type LearnerSpec } from '../../src/learn/sgd.js';
import { train, type TrainSpec } from '../../src/learn/train.js';
import type { ExampleBlock, Task } from '../../src/learn/types.js';
import { meanLoss, memorySource, synthesize, toBlocks } from '../helpers/synthetic.js';
import { leastSquares } from '../helpers/least-squares.js';

function spec(task: Task, dimension: number, overrides: Partial<TrainSpec> = {}): TrainSpec {
  return {
    task,
    dimension,
    classes: task === 'multiclass' ? 4 : 1,
    l1: 0,
    l2: 1e-6,
    learningRate: null,
    seed: 3,
    passes: 2,
    earlyStopping: true,
    shuffle: true,
    classWeights: null,
    ...overrides,
  };
}

/** One SGD pass without a finish: the starting point every test polishes. */
async function sgdLearner(learnerSpec: LearnerSpec, blocks: readonly ExampleBlock[]): Promise<OnlineLearner> {
  const learner = new OnlineLearner(learnerSpec);
  for (const block of blocks) {
    for (let r = 0; r < block.count; r++) {
      learner.learn(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, block.labels[r]!, 1);
    }
  }
  learner.endPass();
  return learner;
}

describe('full-batch finish (L-BFGS after the SGD passes)', () => {
  it('reaches the exact least-squares optimum on badly scaled columns from a rough SGD start', async () => {
    // Columns from 1e-3 to 1e4 in scale: the finish works in normalized coordinates, so their units do not matter.
    const data = synthesize({ task: 'regression', rows: 5000, seed: 11, denseScales: [1e-3, 1, 50, 1e4, 0.2], noise: 0.3 });
    const trainBlocks = toBlocks(data.block, 1000, 0, 5000);
    const whole = toBlocks(data.block, 5000, 0, 5000)[0]!;
    const exact = leastSquares(whole, data.dimension);
    const learnerSpec = { ...spec('regression', data.dimension), l2: 0 };
    // A rough start: SGD on the first 1,000 rows only.
    const learner = await sgdLearner(learnerSpec, trainBlocks.slice(0, 1));
    // Largest relative error of a weight or the bias against the exact optimum.
    const gap = (): number =>
      Math.max(
        Math.abs(learner.bias(0) - exact[data.dimension]!) / Math.abs(exact[data.dimension]!),
        ...Array.from({ length: data.dimension }, (_, i) => Math.abs(learner.weight(i, 0) - exact[i]!) / Math.abs(exact[i]!)),
      );
    const gapBefore = gap();

    // Validating on the training rows themselves makes the validation loss the objective (l2 = 0).
    const result = await polish(learner, memorySource(trainBlocks, trainBlocks), { task: 'regression', l2: 0, classWeights: null, pass: 1 });
    expect(result).not.toBeNull();
    expect(gap()).toBeLessThan(1e-4);
    expect(gapBefore).toBeGreaterThan(10 * gap());
    expect(result!.validationLoss).toBeLessThan(result!.startValidationLoss!);
    expect(meanLoss(learner, trainBlocks)).toBeCloseTo(result!.validationLoss!, 12);
  });

  it("runs without validation rows (early_stopping = false), reaching the same optimum, and reports no held-out loss", async () => {
    const data = synthesize({ task: 'regression', rows: 3000, seed: 13, denseScales: [1e-2, 1, 300], noise: 0.3 });
    const trainBlocks = toBlocks(data.block, 1000, 0, 3000);
    const exact = leastSquares(toBlocks(data.block, 3000, 0, 3000)[0]!, data.dimension);
    const learner = await sgdLearner({ ...spec('regression', data.dimension), l2: 0 }, trainBlocks.slice(0, 1));
    const result = await polish(learner, memorySource(trainBlocks, []), { task: 'regression', l2: 0, classWeights: null, pass: 1 });
    expect(result).not.toBeNull();
    expect(result!.startValidationLoss).toBeNull();
    expect(result!.validationLoss).toBeNull();
    for (let i = 0; i < data.dimension; i++) expect(Math.abs(learner.weight(i, 0) - exact[i]!)).toBeLessThan(1e-4 * Math.abs(exact[i]!));
    // And train() runs it when the source has no validation rows.
    const trained = await train(memorySource(trainBlocks, []), spec('regression', data.dimension, { polish: true }));
    expect(trained.polish).not.toBeNull();
    expect(trained.polish!.iterations).toBeGreaterThan(0);
  });

  it('penalizes the real weights: it reaches the exact ridge optimum on columns from 1e-3 to 1e4 in scale', async () => {
    // On the real weights, the 1e-3 column (variance 1e-6 against l2 = 0.05) is shrunk to
    // almost nothing and the 1e4 one not at all; measured on the normalized weights
    // (w·max|x|) the penalty would be about the same for both.
    const data = synthesize({ task: 'regression', rows: 4000, seed: 12, denseScales: [1e-3, 1, 50, 1e4, 0.2], noise: 0.3 });
    const trainBlocks = toBlocks(data.block, 1000, 0, 4000);
    const whole = toBlocks(data.block, 4000, 0, 4000)[0]!;
    const l2 = 0.05;
    const ridge = leastSquares(whole, data.dimension, l2);
    const plain = leastSquares(whole, data.dimension);
    const learner = await sgdLearner({ ...spec('regression', data.dimension), l2 }, trainBlocks);
    const result = await polish(learner, memorySource(trainBlocks, trainBlocks), { task: 'regression', l2, classWeights: null, pass: 1 });
    expect(result).not.toBeNull();
    for (let i = 0; i < data.dimension; i++) {
      expect(Math.abs(learner.weight(i, 0) - ridge[i]!)).toBeLessThan(1e-4 * Math.abs(ridge[i]!));
    }
    expect(Math.abs(ridge[0]!)).toBeLessThan(0.01 * Math.abs(plain[0]!));
    expect(Math.abs(ridge[3]! / plain[3]! - 1)).toBeLessThan(0.2);
    expect(learner.bias(0)).toBeCloseTo(ridge[data.dimension]!, 6);
  });

  it('lowers the training loss of a multiclass model and reports the validation loss of the model it leaves', async () => {
    const data = synthesize({ task: 'multiclass', classes: 4, rows: 8000, seed: 5, denseScales: [1, 200, 0.01], sparseFeatures: 30, sparsePerRow: 3 });
    const trainBlocks = toBlocks(data.block, 1024, 0, 6000);
    const validation = toBlocks(data.block, 1024, 6000, 8000);
    const learner = await sgdLearner(spec('multiclass', data.dimension), trainBlocks);
    const before = meanLoss(learner, trainBlocks);
    const result = await polish(learner, memorySource(trainBlocks, validation), { task: 'multiclass', l2: 1e-6, classWeights: null, pass: 1 });
    expect(result!.iterations).toBeGreaterThan(0);
    expect(meanLoss(learner, validation)).toBeCloseTo(result!.validationLoss!, 12);
    expect(meanLoss(learner, trainBlocks)).toBeLessThan(before);
  });

  it('folds duplicate rows into one weighted row, with the same result as summing them', async () => {
    const data = synthesize({ task: 'binary', rows: 3000, seed: 8, denseScales: [1, 5], sparseFeatures: 12, sparsePerRow: 2 });
    const once = toBlocks(data.block, 500, 0, 2500);
    const thrice = [...once, ...once, ...once];
    const validation = toBlocks(data.block, 500, 2500, 3000);
    const finish = { task: 'binary' as const, l2: 1e-6, classWeights: null, pass: 1 };
    const a = await sgdLearner(spec('binary', data.dimension), once);
    const b = await sgdLearner(spec('binary', data.dimension), once);
    const ra = await polish(a, memorySource(once, validation), finish);
    const rb = await polish(b, memorySource(thrice, validation), finish);
    expect(rb!.distinctRows).toBe(ra!.distinctRows);
    expect(ra!.distinctRows).toBe(2500);
    expect(rb!.iterations).toBe(ra!.iterations);
    for (let i = 0; i < data.dimension; i++) expect(b.weight(i, 0)).toBeCloseTo(a.weight(i, 0), 9);
  });

  it('does not run with l1 (not smooth), nor past its memory budget, and leaves the model as it was', async () => {
    const data = synthesize({ task: 'binary', rows: 2000, seed: 9, denseScales: [1, 2, 3] });
    const blocks = toBlocks(data.block, 500, 0, 1500);
    const validation = toBlocks(data.block, 500, 1500, 2000);
    const withL1 = await sgdLearner({ ...spec('binary', data.dimension), l1: 1e-4 }, blocks);
    expect(canPolish(withL1)).toBe(false);
    const result = await train(memorySource(blocks, validation), spec('binary', data.dimension, { l1: 1e-4, polish: true }));
    expect(result.polish).toBeNull();

    const learner = await sgdLearner(spec('binary', data.dimension), blocks);
    const bytes = encodeLearner(learner);
    const over = await polish(learner, memorySource(blocks, validation), { task: 'binary', l2: 1e-6, classWeights: null, pass: 1, maxNnz: 100 });
    expect(over).toBeNull();
    expect(encodeLearner(learner)).toEqual(bytes);
  });

  it('stops with a cancelled error when its signal is aborted, leaving the SGD model in place', async () => {
    const data = synthesize({ task: 'multiclass', classes: 4, rows: 4000, seed: 31, denseScales: [1, 30], sparseFeatures: 10, sparsePerRow: 2 });
    const blocks = toBlocks(data.block, 512, 0, 3000);
    const validation = toBlocks(data.block, 512, 3000, 4000);
    const learner = await sgdLearner(spec('multiclass', data.dimension), blocks);
    const bytes = encodeLearner(learner);
    const controller = new AbortController();
    const finishing = polish(
      learner,
      memorySource(blocks, validation),
      { task: 'multiclass', l2: 1e-6, classWeights: null, pass: 1 },
      { signal: controller.signal, onIteration: (iteration) => iteration === 2 && controller.abort() },
    );
    await expect(finishing).rejects.toMatchObject({ code: 'cancelled' });
    expect(encodeLearner(learner)).toEqual(bytes);
  });

  it('is deterministic: the same rows and seed give the same model bytes', async () => {
    const data = synthesize({ task: 'multiclass', classes: 4, rows: 4000, seed: 21, denseScales: [1, 30], sparseFeatures: 10, sparsePerRow: 2 });
    const blocks = toBlocks(data.block, 512, 0, 3000);
    const validation = toBlocks(data.block, 512, 3000, 4000);
    const run = async (): Promise<Uint8Array> => {
      const result = await train(memorySource(blocks, validation), spec('multiclass', data.dimension, { polish: true }));
      expect(result.polish).not.toBeNull();
      return encodeLearner(result.learner);
    };
    expect(await run()).toEqual(await run());
  });
});

/** ½ Σ a_i (v_i − c_i)², an Objective whose minimum and Hessian are known. */
class Quadratic implements Objective {
  evaluations = 0;
  readonly distinctRows = 0;
  constructor(
    private readonly a: Float64Array,
    private readonly c: Float64Array,
  ) {}
  fromModel(model: Float64Array): Float64Array {
    return model.slice();
  }
  toModel(v: Float64Array): Float64Array {
    return v.slice();
  }
  async evaluate(v: Float64Array, gradient: Float64Array): Promise<number> {
    this.evaluations++;
    let value = 0;
    for (let i = 0; i < v.length; i++) {
      const d = v[i]! - this.c[i]!;
      value += 0.5 * this.a[i]! * d * d;
      gradient[i] = this.a[i]! * d;
    }
    return value;
  }
  async inverseDiagonal(_v: Float64Array, out: Float64Array): Promise<void> {
    for (let i = 0; i < out.length; i++) out[i] = 1 / this.a[i]!;
  }
  async validationLoss(): Promise<number | null> {
    return null;
  }
}

describe('the L-BFGS minimizer over any Objective', () => {
  it('reaches the minimum of a badly scaled quadratic, reaching the rows only through the interface', async () => {
    const a = Float64Array.from([1e-6, 1, 1e4, 3]);
    const c = Float64Array.from([5, -2, 0.001, 7]);
    const objective = new Quadratic(a, c);
    const { iterations, v } = await minimize(objective, new Float64Array(4), 50, {});
    expect(iterations).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) expect(v[i]).toBeCloseTo(c[i]!, 6);
    expect(objective.evaluations).toBeGreaterThan(iterations);
  });

  it('stops at maxIterations and reports each iteration with a non-increasing objective', async () => {
    const a = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const c = Float64Array.from([1, -1, 2, -2, 3, -3, 4, -4]);
    // A diagonal that is not the Hessian's, so the minimizer needs its curvature pairs.
    const objective = new Quadratic(a, c);
    objective.inverseDiagonal = async (_v, out) => void out.fill(1);
    const seen: number[] = [];
    const { iterations } = await minimize(objective, new Float64Array(8), 2, { onIteration: (_i, value) => seen.push(value) });
    expect(iterations).toBe(2);
    expect(seen).toHaveLength(2);
    expect(seen[1]!).toBeLessThanOrEqual(seen[0]!);
  });
});
