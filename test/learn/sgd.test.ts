import { describe, expect, it } from 'vitest';
import { decodeLearner, encodeLearner } from '../../src/learn/model-format.js';
import { logisticLoss, softmaxLoss, squaredLoss } from '../../src/learn/loss.js';
import { mulberry32 } from '../../src/learn/random.js';
import { OnlineLearner, type LearnerSpec } from '../../src/learn/sgd.js';
import type { ExampleBlock, Task } from '../../src/learn/types.js';
import { ReferenceLearner, type Entry } from '../helpers/reference-learner.js';
import { learnPasses, testSpec } from '../helpers/learner.js';
import { sliceBlock, synthesize, trueMarginsOf, type SyntheticData } from '../helpers/synthetic.js';



function entriesOf(block: ExampleBlock, r: number): Entry[] {
  const row: Entry[] = [];
  for (let j = block.offsets[r]!; j < block.offsets[r + 1]!; j++) row.push({ index: block.indices[j]!, value: block.values[j]! });
  return row;
}

/** A CSR block from explicit rows (Float64 values, so any double can be tested). */
function blockOf(rows: readonly Entry[][], labels: readonly number[]): ExampleBlock & { values: Float64Array } {
  const offsets = new Uint32Array(rows.length + 1);
  const flat = rows.flat();
  rows.forEach((row, r) => (offsets[r + 1] = offsets[r]! + row.length));
  return {
    count: rows.length,
    labels: Float64Array.from(labels),
    offsets,
    indices: Uint32Array.from(flat.map((e) => e.index)),
    values: Float64Array.from(flat.map((e) => e.value)) as unknown as Float32Array & Float64Array,
  };
}

describe('each step is the gradient step of the documented rule', () => {
  const x = [0.5, -2, 3];
  const indices = Uint32Array.from([0, 1, 2]);
  const values = Float64Array.from(x);
  const cases: { task: Task; y: number; K: number }[] = [
    { task: 'binary', y: 1, K: 1 },
    { task: 'regression', y: 1.7, K: 1 },
    { task: 'multiclass', y: 2, K: 3 },
  ];

  /** The loss as an explicit function of weights W[i][k] and biases b[k]. */
  function lossAt(task: Task, W: number[][], b: number[], y: number): number {
    const margins = b.map((bk, k) => bk + x.reduce((sum, xi, i) => sum + W[i]![k]! * xi, 0));
    if (task === 'binary') return Math.log1p(Math.exp(-margins[0]!));
    if (task === 'regression') return 0.5 * (margins[0]! - y) ** 2;
    return Math.log(margins.reduce((s, m) => s + Math.exp(m), 0)) - margins[y]!;
  }

  for (const { task, y, K } of cases) {
    it(`${task}: five steps each move every weight by -lr × finite-difference gradient / (max|x|² (1 + √Σg²))`, () => {
      const lr = 0.7;
      const learner = new OnlineLearner(testSpec(task, 3, { learningRate: lr, l2: 0, averaging: false }));
      const sumSquares = Array.from({ length: 4 }, () => new Array<number>(K).fill(0));
      const h = 1e-5;
      for (let step = 0; step < 5; step++) {
        const W = [0, 1, 2].map((i) => Array.from({ length: K }, (_, k) => learner.weight(i, k)));
        const b = Array.from({ length: K }, (_, k) => learner.bias(k));
        const expectedW = W.map((row) => row.slice());
        const expectedB = b.slice();
        for (let i = 0; i <= 3; i++) {
          for (let k = 0; k < K; k++) {
            const at = (delta: number): number => {
              const W2 = W.map((row) => row.slice());
              const b2 = b.slice();
              if (i < 3) W2[i]![k]! += delta;
              else b2[k]! += delta;
              return lossAt(task, W2, b2, y);
            };
            const gradient = (at(h) - at(-h)) / (2 * h);
            const scale = i < 3 ? Math.abs(x[i]!) : 1;
            const normalized = gradient / scale;
            sumSquares[i]![k]! += normalized * normalized;
            const delta = (-lr * gradient) / (scale * scale * (1 + Math.sqrt(sumSquares[i]![k]!)));
            if (i < 3) expectedW[i]![k]! += delta;
            else expectedB[k]! += delta;
          }
        }
        learner.learn(indices, values, 0, 3, y, 1);
        for (let k = 0; k < K; k++) {
          for (let i = 0; i < 3; i++) {
            expect(Math.abs(learner.weight(i, k) - expectedW[i]![k]!)).toBeLessThan(1e-7 * Math.max(1, Math.abs(expectedW[i]![k]!)));
          }
          expect(Math.abs(learner.bias(k) - expectedB[k]!)).toBeLessThan(1e-7 * Math.max(1, Math.abs(expectedB[k]!)));
        }
      }
      // The steps did move: the loss went down.
      const W = [0, 1, 2].map((i) => Array.from({ length: K }, (_, k) => learner.weight(i, k)));
      const b = Array.from({ length: K }, (_, k) => learner.bias(k));
      const zero = [0, 1, 2].map(() => new Array<number>(K).fill(0));
      expect(lossAt(task, W, b, y)).toBeLessThan(lossAt(task, zero, new Array<number>(K).fill(0), y));
    });
  }
});

describe('agreement with the slow reference learner', () => {
  /** Synthetic rows plus hand-made ones: a repeated index, a zero value (sparse only), a NaN row, a new larger maximum late. */
  function dataFor(task: Task, sparse: boolean): ExampleBlock & { values: Float64Array } {
    const data = synthesize({
      task,
      rows: 240,
      seed: 11,
      classes: 3,
      denseScales: [1, 3, 0.01, 250],
      sparseFeatures: sparse ? 12 : 0,
      sparsePerRow: 3,
    });
    const rows: Entry[][] = [];
    const labels: number[] = [];
    for (let r = 0; r < data.block.count; r++) {
      rows.push(entriesOf(data.block, r));
      labels.push(data.block.labels[r]!);
      if (r === 100) {
        // In dense data every feature keeps a non-zero value, so averaging is exact under l1/l2 too.
        const rest: Entry[] = sparse ? [] : [{ index: 2, value: 0.02 }, { index: 3, value: 1 }];
        rows.push([{ index: 1, value: 2 }, { index: 1, value: -7 }, { index: 0, value: sparse ? 0 : 0.5 }, ...rest]);
        labels.push(task === 'regression' ? 0.5 : 1);
        rows.push([{ index: 2, value: Number.NaN }, ...rest]);
        labels.push(0);
        rows.push([{ index: 3, value: 4000 }, { index: 0, value: 9 }, ...(sparse ? [] : [{ index: 1, value: 1 }, { index: 2, value: -0.01 }])]);
        labels.push(task === 'regression' ? -1 : 0);
      }
      if (r === 200) {
        // A repeated index within every feature's known scale: the second update must see the first.
        const rest: Entry[] = sparse ? [] : [{ index: 2, value: 0.005 }, { index: 3, value: 0.5 }];
        rows.push([{ index: 0, value: 0.25 }, { index: 1, value: 0.5 }, { index: 1, value: -0.25 }, { index: 0, value: 0.5 }, ...rest]);
        labels.push(task === 'regression' ? 0.25 : 1);
      }
    }
    return blockOf(rows, labels);
  }

  const configs: { name: string; sparse: boolean; overrides: Partial<LearnerSpec> }[] = [
    { name: 'averaged, no regularization, sparse rows', sparse: true, overrides: { l1: 0, l2: 0 } },
    { name: 'last iterate, l1 and l2, sparse rows', sparse: true, overrides: { l1: 0.01, l2: 0.02, averaging: false } },
    { name: 'averaged, l1 and l2, dense rows', sparse: false, overrides: { l1: 0.001, l2: 0.02 } },
    { name: 'averaged, learning rate 0.3', sparse: true, overrides: { l2: 0, learningRate: 0.3 } },
  ];

  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    for (const { name, sparse, overrides } of configs) {
      it(`${task}, ${name}: same weights to 1e-9 after each of three passes`, () => {
        const block = dataFor(task, sparse);
        const dimension = sparse ? 16 : 4;
        const learnerSpec = testSpec(task, dimension, overrides);
        const fast = new OnlineLearner(learnerSpec);
        const slow = new ReferenceLearner(learnerSpec);
        const K = task === 'multiclass' ? 3 : 1;
        const compare = (): void => {
          for (let k = 0; k < K; k++) {
            for (let i = 0; i < dimension; i++) {
              const expected = slow.weight(i, k);
              expect(Math.abs(fast.weight(i, k) - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
            }
            expect(Math.abs(fast.bias(k) - slow.bias(k))).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(slow.bias(k))));
          }
        };
        for (let pass = 0; pass < 3; pass++) {
          for (let r = 0; r < block.count; r++) {
            fast.learn(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, block.labels[r]!, 1);
            slow.learn(entriesOf(block, r), block.labels[r]!, 1);
            if (pass === 0 && r === 150) compare(); // the live iterate, mid-pass
          }
          fast.endPass();
          slow.endPass();
          compare();
        }
        expect(fast.nonZeroWeights()).toBeGreaterThan(0);
      });
    }
  }
});

describe('scale invariance', () => {
  // Unregularized: the penalty is on the weights of the values given (see the next test).
  it('rescaling a column by 5e6 and another by 1e-3 rescales their weights and leaves every prediction unchanged', () => {
    const data = synthesize({ task: 'binary', rows: 3000, seed: 5, denseScales: [1, 1, 1, 1] });
    const scaled = new Float64Array(data.block.values.length);
    const multipliers = [1, 5e6, 1e-3, 1];
    for (let j = 0; j < scaled.length; j++) scaled[j] = data.block.values[j]! * multipliers[data.block.indices[j]!]!;
    const original = { ...data.block, values: Float64Array.from(data.block.values) as unknown as Float32Array };
    const rescaled = { ...data.block, values: scaled as unknown as Float32Array };
    const a = new OnlineLearner(testSpec('binary', 4, { l2: 0 }));
    const b = new OnlineLearner(testSpec('binary', 4, { l2: 0 }));
    learnPasses(a, original, 3);
    learnPasses(b, rescaled, 3);
    for (let i = 0; i < 4; i++) {
      expect(b.weight(i, 0) * multipliers[i]!).toBeCloseTo(a.weight(i, 0), 9);
    }
    const outA = new Float64Array(1);
    const outB = new Float64Array(1);
    for (let r = 0; r < 200; r++) {
      a.predict(original.indices, original.values, original.offsets[r]!, original.offsets[r + 1]!, outA);
      b.predict(rescaled.indices, rescaled.values, rescaled.offsets[r]!, rescaled.offsets[r + 1]!, outB);
      expect(outB[0]).toBeCloseTo(outA[0]!, 10);
    }
  });
});

describe('regularization units', () => {
  it('penalizes the weight of the values given, so one outlier does not shrink its column more than a twin without one', () => {
    // y = x0 + x1 + noise with x0, x1 standard normal; row 0 puts x1 at 20 (its label agrees).
    // Measured on max|x| (the most a feature moves the margin), x1's penalty would be 20² times x0's.
    const next = mulberry32(41);
    const normal = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    const rows = 5000;
    const block: ExampleBlock = {
      count: rows,
      labels: new Float64Array(rows),
      offsets: Uint32Array.from({ length: rows + 1 }, (_, r) => 2 * r),
      indices: Uint32Array.from({ length: 2 * rows }, (_, j) => j % 2),
      values: new Float32Array(2 * rows),
    };
    for (let r = 0; r < rows; r++) {
      const x0 = normal();
      const x1 = r === 0 ? 20 : normal();
      block.values[2 * r] = x0;
      block.values[2 * r + 1] = x1;
      block.labels[r] = x0 + x1 + 0.1 * normal();
    }
    const learner = new OnlineLearner(testSpec('regression', 2, { l2: 1e-3 }));
    learnPasses(learner, block, 5);
    expect(learner.weight(0, 0)).toBeGreaterThan(0.9);
    expect(Math.abs(learner.weight(1, 0) - learner.weight(0, 0))).toBeLessThan(0.05);
  });
});

describe('recovering a known model from synthetic data', () => {
  /** Root-mean-square difference between learnt and true margins on rows [from, to). */
  function marginError(learner: OnlineLearner, data: SyntheticData, from: number, to: number): number {
    const truth = new Float64Array(data.classes);
    const out = new Float64Array(data.classes);
    const { block } = data;
    let total = 0;
    for (let r = from; r < to; r++) {
      trueMarginsOf(data, r, truth);
      learner.predict(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, out);
      const learnt = data.spec.task === 'binary' ? Math.log(out[0]! / (1 - out[0]!)) : out[0]!;
      total += (learnt - truth[0]!) ** 2;
    }
    return Math.sqrt(total / (to - from));
  }

  it('regression with columns scaled by 5e6 and 1e-3: weights within 0.02 of the truth on the unit scale', () => {
    const scales = [1, 5e6, 1e-3, 1, 2];
    const data = synthesize({ task: 'regression', rows: 20_000, seed: 21, denseScales: scales, irrelevant: [3], noise: 0.5 });
    const learner = new OnlineLearner(testSpec('regression', data.dimension, { l2: 0 }));
    learnPasses(learner, data.block, 6);
    for (let i = 0; i < scales.length; i++) {
      expect(Math.abs(learner.weight(i, 0) - data.weights[i]!) * scales[i]!).toBeLessThan(0.02);
    }
    expect(Math.abs(learner.bias(0) - data.biases[0]!)).toBeLessThan(0.02);
  });

  it('logistic with columns scaled by 5e6 and 1e-3: weights within 0.08 of the truth on the unit scale', () => {
    const scales = [1, 5e6, 1e-3, 2, 1];
    const data = synthesize({ task: 'binary', rows: 40_000, seed: 22, denseScales: scales, irrelevant: [4] });
    const learner = new OnlineLearner(testSpec('binary', data.dimension, { l2: 0 }));
    learnPasses(learner, data.block, 6);
    for (let i = 0; i < scales.length; i++) {
      expect(Math.abs(learner.weight(i, 0) - data.weights[i]!) * scales[i]!).toBeLessThan(0.08);
    }
    expect(Math.abs(learner.bias(0) - data.biases[0]!)).toBeLessThan(0.08);
  });

  it('regression on dense plus one-hot-like sparse features: learnt margins within 0.05 of the true ones on held-out rows', () => {
    const data = synthesize({ task: 'regression', rows: 25_000, seed: 23, denseScales: [1, 1, 1], sparseFeatures: 40, sparsePerRow: 3 });
    const learner = new OnlineLearner(testSpec('regression', data.dimension));
    learnPasses(learner, sliceBlock(data.block, 0, 20_000), 5);
    expect(marginError(learner, data, 20_000, 25_000)).toBeLessThan(0.05);
  });

  it('logistic on dense plus sparse features: learnt log-odds within 0.15 of the true ones on held-out rows', () => {
    const data = synthesize({ task: 'binary', rows: 45_000, seed: 24, denseScales: [1, 1e4, 1], sparseFeatures: 30, sparsePerRow: 2 });
    const learner = new OnlineLearner(testSpec('binary', data.dimension));
    learnPasses(learner, sliceBlock(data.block, 0, 40_000), 5);
    expect(marginError(learner, data, 40_000, 45_000)).toBeLessThan(0.15);
  });

  it('multiclass (4 classes): held-out accuracy within 0.015 and log loss within 0.02 of the generating model', () => {
    const data = synthesize({
      task: 'multiclass',
      classes: 4,
      rows: 40_000,
      seed: 25,
      denseScales: [1, 1, 300, 1],
      sparseFeatures: 20,
      sparsePerRow: 2,
    });
    const learner = new OnlineLearner(testSpec('multiclass', data.dimension, { classes: 4 }));
    learnPasses(learner, sliceBlock(data.block, 0, 30_000), 5);
    const { block } = data;
    const truth = new Float64Array(4);
    const out = new Float64Array(4);
    let trueCorrect = 0;
    let learntCorrect = 0;
    let trueLoss = 0;
    let learntLoss = 0;
    const argmax = (v: Float64Array): number => v.indexOf(Math.max(...v));
    for (let r = 30_000; r < 40_000; r++) {
      const y = block.labels[r]!;
      trueMarginsOf(data, r, truth);
      learner.predict(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, out);
      if (argmax(truth) === y) trueCorrect++;
      if (argmax(out) === y) learntCorrect++;
      trueLoss += softmaxLoss(truth, 4, y);
      learntLoss += -Math.log(out[y]!);
    }
    expect(learntCorrect / 10_000).toBeGreaterThan(trueCorrect / 10_000 - 0.015);
    expect(learntLoss / 10_000).toBeLessThan(trueLoss / 10_000 + 0.02);
  });
});

describe('regularization', () => {
  const relevant = 8;
  const irrelevant = Array.from({ length: 24 }, (_, i) => relevant + i);
  const data = synthesize({
    task: 'regression',
    rows: 6000,
    seed: 31,
    denseScales: new Array(relevant + irrelevant.length).fill(1),
    irrelevant,
    noise: 1,
  });
  const train = (overrides: Partial<LearnerSpec>): OnlineLearner => {
    const learner = new OnlineLearner(testSpec('regression', data.dimension, overrides));
    learnPasses(learner, data.block, 4);
    return learner;
  };

  it('a strong l1 sets the irrelevant weights to exactly zero and keeps the large relevant ones', () => {
    const none = train({ l1: 0 });
    const strong = train({ l1: 0.05 });
    expect(none.nonZeroWeights()).toBe(data.dimension);
    for (const i of irrelevant) expect(strong.weight(i, 0)).toBe(0);
    for (let i = 0; i < relevant; i++) {
      if (Math.abs(data.weights[i]!) > 0.5) expect(strong.weight(i, 0)).not.toBe(0);
    }
    expect(strong.nonZeroWeights()).toBeLessThanOrEqual(relevant);
  });

  it('l1 zeros stay exact in the serialized model', () => {
    const strong = train({ l1: 0.05 });
    const restored = decodeLearner(encodeLearner(strong));
    for (const i of irrelevant) expect(restored.weight(i, 0)).toBe(0);
    expect(restored.nonZeroWeights()).toBe(strong.nonZeroWeights());
  });

  it('l2 shrinks the weight vector', () => {
    const norm = (learner: OnlineLearner): number => {
      let total = 0;
      for (let i = 0; i < data.dimension; i++) total += learner.weight(i, 0) ** 2;
      return Math.sqrt(total);
    };
    const light = norm(train({ l2: 0 }));
    const heavy = norm(train({ l2: 0.5 }));
    expect(heavy).toBeLessThan(0.8 * light);
    expect(heavy).toBeGreaterThan(0);
  });
});

describe('state, guards and errors', () => {
  const data = synthesize({ task: 'binary', rows: 1000, seed: 51, denseScales: [1, 1, 1] });
  const { block } = data;

  it('predicts 0.5, uniform probabilities and 0 before learning anything', () => {
    const out = new Float64Array(3);
    new OnlineLearner(testSpec('binary', 3)).predict(block.indices, block.values, 0, 3, out);
    expect(out[0]).toBe(0.5);
    new OnlineLearner(testSpec('multiclass', 3)).predict(block.indices, block.values, 0, 3, out);
    for (const p of out) expect(p).toBeCloseTo(1 / 3, 15);
    new OnlineLearner(testSpec('regression', 3)).predict(block.indices, block.values, 0, 3, out);
    expect(out[0]).toBe(0);
  });

  it('restore returns to the snapshot exactly', () => {
    const learner = new OnlineLearner(testSpec('binary', 3));
    learnPasses(learner, block, 1);
    const snapshot = learner.snapshot();
    const bytes = encodeLearner(learner);
    learnPasses(learner, block, 2);
    expect(encodeLearner(learner)).not.toEqual(bytes);
    learner.restore(snapshot);
    expect(encodeLearner(learner)).toEqual(bytes);
    expect(learner.examplesSeen).toBe(1000);
  });

  it('a snapshot can reuse an earlier one\'s arrays', () => {
    const learner = new OnlineLearner(testSpec('binary', 3));
    learnPasses(learner, block, 1);
    const first = learner.snapshot();
    learnPasses(learner, block, 1);
    const bytes = encodeLearner(learner);
    const second = learner.snapshot(first);
    expect(second.state).toBe(first.state);
    expect(second.model).toBe(first.model);
    learnPasses(learner, block, 1);
    learner.restore(second);
    expect(encodeLearner(learner)).toEqual(bytes);
    expect(learner.examplesSeen).toBe(2000);
  });

  it('skips a row with a NaN or infinite value, and an importance weight of 0', () => {
    const learner = new OnlineLearner(testSpec('binary', 3, { averaging: false }));
    learner.learn(block.indices, block.values, 0, 3, 1, 1);
    const before = encodeLearner(learner);
    const indices = Uint32Array.from([0, 1]);
    expect(learner.learn(indices, Float64Array.from([1, Number.NaN]), 0, 2, 1, 1)).toBeNaN();
    expect(learner.learn(indices, Float64Array.from([Infinity, 1]), 0, 2, 1, 1)).toBeNaN();
    const loss = learner.learn(indices, Float64Array.from([5, 1]), 0, 2, 1, 0);
    expect(loss).toBeGreaterThan(0);
    expect(encodeLearner(learner)).toEqual(before);
    expect(learner.examplesSeen).toBe(1);
  });

  it('a larger importance weight moves the weights further', () => {
    const light = new OnlineLearner(testSpec('binary', 3));
    const heavy = new OnlineLearner(testSpec('binary', 3));
    light.learn(block.indices, block.values, 0, 3, 1, 1);
    heavy.learn(block.indices, block.values, 0, 3, 1, 3);
    for (let i = 0; i < 3; i++) expect(Math.abs(heavy.weight(i, 0))).toBeGreaterThan(Math.abs(light.weight(i, 0)));
  });

  it('raises training_failed after a pass whose weights became non-finite', () => {
    const learner = new OnlineLearner(testSpec('regression', 1));
    const indices = Uint32Array.from([0]);
    const values = Float64Array.from([1]);
    learner.learn(indices, values, 0, 1, 1e200, 1);
    expect(() => learner.endPass()).toThrowError(
      expect.objectContaining({ code: 'training_failed', message: expect.stringContaining('learning_rate') }),
    );
  });

  it('rejects labels, indices and options that do not fit the model, naming them', () => {
    const learner = new OnlineLearner(testSpec('multiclass', 3));
    expect(() => learner.learn(block.indices, block.values, 0, 3, 3, 1)).toThrowError(
      expect.objectContaining({ code: 'internal', message: expect.stringContaining('label 3') }),
    );
    expect(() => learner.learn(block.indices, block.values, 0, 3, 1.5, 1)).toThrowError(/label 1.5/);
    expect(() => new OnlineLearner(testSpec('binary', 3)).learn(block.indices, block.values, 0, 3, 2, 1)).toThrowError(/label 2 is not 0 or 1/);
    expect(() => learner.learn(Uint32Array.from([3]), Float64Array.from([1]), 0, 1, 0, 1)).toThrowError(/feature index 3/);
    expect(() => new OnlineLearner(testSpec('binary', 3, { l2: -1 }))).toThrowError(
      expect.objectContaining({ code: 'bad_option', message: expect.stringMatching(/^l2 /) }),
    );
    expect(() => new OnlineLearner(testSpec('binary', 3, { l1: Number.NaN }))).toThrowError(/^l1 /);
    expect(() => new OnlineLearner(testSpec('binary', 3, { learningRate: 0 }))).toThrowError(
      expect.objectContaining({ code: 'bad_option', message: expect.stringMatching(/^learning_rate /) }),
    );
    expect(() => new OnlineLearner(testSpec('multiclass', 3, { classes: 1 }))).toThrowError(/classes/);
    expect(() => learner.weight(3, 0)).toThrowError(/weight \(3, 0\)/);
  });

  it('a feature never seen has weight 0 and adds nothing to a prediction', () => {
    const learner = new OnlineLearner(testSpec('binary', 5));
    learnPasses(learner, block, 1);
    expect(learner.weight(4, 0)).toBe(0);
    const out = new Float64Array(1);
    const withUnseen = new Float64Array(1);
    learner.predict(Uint32Array.from([0, 1]), Float64Array.from([1, 2]), 0, 2, out);
    learner.predict(Uint32Array.from([0, 1, 4]), Float64Array.from([1, 2, 1e9]), 0, 3, withUnseen);
    expect(withUnseen[0]).toBe(out[0]);
    expect(learner.nonZeroWeights()).toBe(3);
  });

  it('reports losses as the loss functions define them', () => {
    const learner = new OnlineLearner(testSpec('regression', 3));
    learnPasses(learner, { ...block, labels: block.labels.map((y) => y * 2 - 1) }, 1);
    const out = new Float64Array(1);
    learner.predict(block.indices, block.values, 0, 3, out);
    expect(learner.loss(block.indices, block.values, 0, 3, 0.25)).toBeCloseTo(squaredLoss.loss(out[0]!, 0.25), 15);
    const binary = new OnlineLearner(testSpec('binary', 3));
    learnPasses(binary, block, 1);
    binary.predict(block.indices, block.values, 0, 3, out);
    const margin = Math.log(out[0]! / (1 - out[0]!));
    expect(binary.loss(block.indices, block.values, 0, 3, 1)).toBeCloseTo(logisticLoss.loss(margin, 1), 12);
  });
});
