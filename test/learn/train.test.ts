import { describe, expect, it } from 'vitest';
import { encodeLearner } from '../../src/learn/model-format.js';
import { SqlmlError } from '../../src/errors.js';
import { DEFAULT_LEARNING_RATE, OnlineLearner } from '../../src/learn/sgd.js';
import { LEARNING_RATE_CANDIDATES, LEARNING_RATE_SEARCH_MAX_ROWS, SHUFFLE_BUFFER_ROWS, train, type ExampleSource, type PassInfo, type TrainSpec } from '../../src/learn/train.js';
import type { ExampleBlock, Task } from '../../src/learn/types.js';
import { meanLoss, memorySource, synthesize, toBlocks } from '../helpers/synthetic.js';

function trainSpec(task: Task, dimension: number, overrides: Partial<TrainSpec> = {}): TrainSpec {
  return {
    task,
    dimension,
    classes: task === 'multiclass' ? 3 : 1,
    l1: 0,
    l2: 1e-6,
    learningRate: null,
    seed: 1,
    passes: 5,
    earlyStopping: true,
    shuffle: true,
    classWeights: null,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<SqlmlError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SqlmlError) return error;
    throw error;
  }
  throw new Error('expected the promise to reject');
}

const regression = synthesize({ task: 'regression', rows: 25_000, seed: 61, denseScales: [1, 3, 0.5], sparseFeatures: 20, sparsePerRow: 2 });
const regressionTrain = toBlocks(regression.block, 2048, 0, 20_000);
const regressionValidation = toBlocks(regression.block, 2048, 20_000, 25_000);

describe('early stopping', () => {
  it('stops before the last pass on a problem that converges quickly, holding the best pass', async () => {
    const result = await train(memorySource(regressionTrain, regressionValidation), trainSpec('regression', regression.dimension, { passes: 30 }));
    expect(result.stoppedEarly).toBe(true);
    expect(result.passesRun).toBeLessThan(30);
    expect(result.curve).toHaveLength(result.passesRun);
    expect(result.bestPass).toBeGreaterThanOrEqual(0);
    expect(result.bestPass).toBeLessThan(result.passesRun);
    const losses = result.curve.map((info) => info.validationLoss!);
    expect(losses[result.bestPass]).toBe(Math.min(...losses));
    // The learner holds the best pass's model, not the last one's.
    expect(meanLoss(result.learner, regressionValidation)).toBe(losses[result.bestPass]);
    expect(result.trainRows).toBe(20_000);
  });

  it('restores the best pass when a later pass is worse', async () => {
    // A learning rate far too large makes later passes worse than the first.
    const data = synthesize({ task: 'binary', rows: 6000, seed: 62, denseScales: [1, 1, 1, 1] });
    const source = memorySource(toBlocks(data.block, 1000, 0, 4000), toBlocks(data.block, 1000, 4000, 6000));
    const result = await train(source, trainSpec('binary', data.dimension, { passes: 12, learningRate: 200, averaging: false }));
    const losses = result.curve.map((info) => info.validationLoss!);
    expect(result.bestPass).toBeLessThan(result.passesRun - 1);
    expect(meanLoss(result.learner, toBlocks(data.block, 1000, 4000, 6000))).toBe(losses[result.bestPass]);
    expect(Math.min(...losses)).toBe(losses[result.bestPass]);
  });

  it('runs every pass when early stopping is off', async () => {
    const result = await train(
      memorySource(regressionTrain, regressionValidation),
      trainSpec('regression', regression.dimension, { passes: 8, earlyStopping: false }),
    );
    expect(result.passesRun).toBe(8);
    expect(result.stoppedEarly).toBe(false);
    expect(result.bestPass).toBe(7);
  });

  it('watches the training loss when there are no validation rows, keeping the last pass', async () => {
    const passes: PassInfo[] = [];
    const result = await train(memorySource(regressionTrain), trainSpec('regression', regression.dimension, { passes: 30 }), {
      onPass: (info) => passes.push(info),
    });
    expect(passes.every((info) => info.validationLoss === null)).toBe(true);
    expect(result.stoppedEarly).toBe(true);
    expect(result.bestPass).toBe(result.passesRun - 1);
  });
});

describe('determinism and shuffling', () => {
  const data = synthesize({ task: 'multiclass', rows: 12_000, seed: 63, classes: 3, denseScales: [1, 2, 1], sparseFeatures: 10, sparsePerRow: 2 });
  const trainBlocks = toBlocks(data.block, 1000, 0, 10_000);
  const heldOut = toBlocks(data.block, 1000, 10_000, 12_000);

  it('gives identical bytes for the same data and seed', async () => {
    const spec = trainSpec('multiclass', data.dimension, { passes: 3, earlyStopping: false });
    const a = await train(memorySource(trainBlocks), spec);
    const b = await train(memorySource(trainBlocks), spec);
    expect(encodeLearner(b.learner)).toEqual(encodeLearner(a.learner));
  });

  it('another seed gives another row order but nearly the same held-out loss', async () => {
    const a = await train(memorySource(trainBlocks), trainSpec('multiclass', data.dimension, { passes: 3, earlyStopping: false, seed: 1 }));
    const b = await train(memorySource(trainBlocks), trainSpec('multiclass', data.dimension, { passes: 3, earlyStopping: false, seed: 2 }));
    expect(encodeLearner(b.learner)).not.toEqual(encodeLearner(a.learner));
    const lossA = meanLoss(a.learner, heldOut);
    const lossB = meanLoss(b.learner, heldOut);
    expect(Math.abs(lossA - lossB) / lossA).toBeLessThan(0.01);
  });

  it('without shuffling learns the rows in source order, as a hand-written loop does', async () => {
    const spec = trainSpec('multiclass', data.dimension, { passes: 2, shuffle: false, earlyStopping: false });
    const result = await train(memorySource(trainBlocks), spec);
    const learner = new OnlineLearner(spec);
    for (let pass = 0; pass < 2; pass++) {
      for (const block of trainBlocks) {
        for (let r = 0; r < block.count; r++) {
          learner.learn(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, block.labels[r]!, 1);
        }
      }
      learner.endPass();
    }
    expect(encodeLearner(result.learner)).toEqual(encodeLearner(learner));
  });

  it('shuffling changes the order within the pass', async () => {
    const spec = trainSpec('multiclass', data.dimension, { passes: 1, earlyStopping: false });
    const shuffled = await train(memorySource(trainBlocks), spec);
    const ordered = await train(memorySource(trainBlocks), { ...spec, shuffle: false });
    expect(encodeLearner(shuffled.learner)).not.toEqual(encodeLearner(ordered.learner));
  });

  it('copies what it buffers, so a source may reuse its arrays for every block', async () => {
    const reused: ExampleSource = {
      async *trainingPass() {
        const labels = new Float64Array(1000);
        const offsets = new Uint32Array(1001);
        const indices = new Uint32Array(1000 * 8);
        const values = new Float32Array(1000 * 8);
        for (const block of trainBlocks) {
          labels.set(block.labels);
          offsets.set(block.offsets);
          indices.set(block.indices);
          values.set(block.values);
          yield { count: block.count, labels, offsets, indices, values };
          labels.fill(Number.NaN);
          values.fill(Number.NaN);
        }
      },
      async *validation() {},
    };
    const spec = trainSpec('multiclass', data.dimension, { passes: 2, earlyStopping: false });
    const fresh = await train(memorySource(trainBlocks), spec);
    const fromReused = await train(reused, spec);
    expect(encodeLearner(fromReused.learner)).toEqual(encodeLearner(fresh.learner));
  });

  it('handles more rows than one shuffle buffer holds', async () => {
    const big = synthesize({ task: 'binary', rows: SHUFFLE_BUFFER_ROWS + 4500, seed: 64, denseScales: [1, 1] });
    const blocks = toBlocks(big.block, 2048);
    const progress: number[] = [];
    const spec = trainSpec('binary', big.dimension, { passes: 1 });
    const result = await train(memorySource(blocks), spec, { onRows: (rows) => progress.push(rows) });
    expect(result.trainRows).toBe(big.block.count);
    expect(progress.at(-1)).toBe(big.block.count);
    expect(progress).toHaveLength(blocks.length);
    expect(progress.every((rows, i) => i === 0 || rows > progress[i - 1]!)).toBe(true);
    const again = await train(memorySource(blocks), spec);
    expect(encodeLearner(again.learner)).toEqual(encodeLearner(result.learner));
  });
});

describe('class weights', () => {
  it('weighting the rare class up raises its predicted probability', async () => {
    const data = synthesize({ task: 'binary', rows: 8000, seed: 65, denseScales: [1, 1] });
    const blocks = toBlocks(data.block, 1000);
    const plain = await train(memorySource(blocks), trainSpec('binary', data.dimension, { passes: 3, earlyStopping: false }));
    const weighted = await train(
      memorySource(blocks),
      trainSpec('binary', data.dimension, { passes: 3, earlyStopping: false, classWeights: Float64Array.from([1, 4]) }),
    );
    const meanProbability = (learner: OnlineLearner): number => {
      const out = new Float64Array(1);
      let total = 0;
      for (let r = 0; r < 1000; r++) {
        learner.predict(data.block.indices, data.block.values, data.block.offsets[r]!, data.block.offsets[r + 1]!, out);
        total += out[0]!;
      }
      return total / 1000;
    };
    expect(meanProbability(weighted.learner)).toBeGreaterThan(meanProbability(plain.learner) + 0.1);
  });

  it('weights the reported losses by class', async () => {
    const data = synthesize({ task: 'binary', rows: 2000, seed: 66, denseScales: [1] });
    const blocks = toBlocks(data.block, 500);
    const spec = trainSpec('binary', data.dimension, { passes: 1, shuffle: false, classWeights: Float64Array.from([1, 3]) });
    const result = await train(memorySource(blocks, blocks), spec);
    let total = 0;
    let weight = 0;
    for (const block of blocks) {
      for (let r = 0; r < block.count; r++) {
        const y = block.labels[r]!;
        const w = y === 1 ? 3 : 1;
        total += w * result.learner.loss(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, y);
        weight += w;
      }
    }
    expect(result.curve[0]!.validationLoss).toBeCloseTo(total / weight, 12);
  });

  it('rejects a class weight list of the wrong length', async () => {
    const error = await failure(
      train(memorySource(regressionTrain), trainSpec('multiclass', regression.dimension, { classWeights: Float64Array.from([1, 1]) })),
    );
    expect(error.code).toBe('internal');
    expect(error.message).toMatch(/class weights have 2 entries/);
  });
});

describe('hooks, progress and errors', () => {
  it('reports each pass and the rows learnt so far, and yields to the event loop between blocks', async () => {
    let macrotaskRan = false;
    setImmediate(() => (macrotaskRan = true));
    const seenByRows: boolean[] = [];
    const passes: PassInfo[] = [];
    const rowsByPass = new Map<number, number[]>();
    const spec = trainSpec('regression', regression.dimension, { passes: 2, earlyStopping: false, shuffle: false });
    await train(memorySource(regressionTrain, regressionValidation), spec, {
      onRows: (rows, pass) => {
        seenByRows.push(macrotaskRan);
        rowsByPass.set(pass, [...(rowsByPass.get(pass) ?? []), rows]);
      },
      onPass: (info) => passes.push(info),
    });
    expect(seenByRows[0]).toBe(false);
    expect(seenByRows[1]).toBe(true);
    expect([...rowsByPass.keys()]).toEqual([0, 1]);
    expect(rowsByPass.get(0)!.at(-1)).toBe(20_000);
    expect(rowsByPass.get(0)![0]).toBe(2048);
    expect(passes.map((info) => info.pass)).toEqual([0, 1]);
    for (const info of passes) {
      expect(info.rows).toBe(20_000);
      expect(info.trainLoss).toBeGreaterThan(0);
      expect(info.validationLoss).toBeGreaterThan(0);
      expect(info.seconds).toBeGreaterThanOrEqual(0);
    }
    // Progressive training loss falls from the first pass to the second.
    expect(passes[1]!.trainLoss).toBeLessThan(passes[0]!.trainLoss);
  });

  it('throws cancelled when the signal is aborted mid-pass', async () => {
    const controller = new AbortController();
    const error = await failure(
      train(memorySource(regressionTrain), trainSpec('regression', regression.dimension), {
        signal: controller.signal,
        onRows: () => controller.abort(),
      }),
    );
    expect(error.code).toBe('cancelled');
  });

  it('throws empty_input when the source has no training rows', async () => {
    const error = await failure(train(memorySource([]), trainSpec('binary', 3)));
    expect(error.code).toBe('empty_input');
    expect(error.message).toMatch(/no training rows/);
  });

  it('rejects a number of passes below 1, naming the option', async () => {
    const error = await failure(train(memorySource(regressionTrain), trainSpec('regression', regression.dimension, { passes: 0 })));
    expect(error.code).toBe('bad_option');
    expect(error.message).toMatch(/^passes /);
  });
});

describe('step-size search', () => {
  /** memorySource, plus the row counts that make `train` consider a search. */
  function countedSource(training: readonly ExampleBlock[], validation: readonly ExampleBlock[]): ExampleSource {
    const count = (blocks: readonly ExampleBlock[]): number => blocks.reduce((n, b) => n + b.count, 0);
    return { ...memorySource(training, validation), trainRows: count(training), validationRows: count(validation) };
  }

  it('trains every candidate step on a small set and keeps the one with the lowest validation loss', async () => {
    const result = await train(countedSource(regressionTrain, regressionValidation), trainSpec('regression', regression.dimension, { passes: 6 }));
    expect(result.learningRatesTried.map((t) => t.learningRate)).toEqual([...LEARNING_RATE_CANDIDATES]);
    const best = Math.min(...result.learningRatesTried.map((t) => t.validationLoss));
    const chosen = result.learningRatesTried.find((t) => t.learningRate === result.learningRate)!;
    expect(chosen.validationLoss).toBe(best);
    // The learner handed back is the chosen one, at its best pass.
    expect(meanLoss(result.learner, regressionValidation)).toBeCloseTo(best, 12);
    expect(result.curve).toHaveLength(chosen.passes);
    expect(result.learner.spec.learningRate).toBe(result.learningRate);
  });

  it('is deterministic: the same data and seed give the same model bytes', async () => {
    const spec = trainSpec('regression', regression.dimension, { passes: 4 });
    const a = await train(countedSource(regressionTrain, regressionValidation), spec);
    const b = await train(countedSource(regressionTrain, regressionValidation), spec);
    expect(Buffer.from(encodeLearner(a.learner)).equals(Buffer.from(encodeLearner(b.learner)))).toBe(true);
  });

  it('does not search when the user set the step, when there are no validation rows, or on a large set', async () => {
    const spec = trainSpec('regression', regression.dimension, { passes: 3 });
    const given = await train(countedSource(regressionTrain, regressionValidation), { ...spec, learningRate: 0.5 });
    expect(given.learningRatesTried).toEqual([]);
    expect(given.learningRate).toBe(0.5);
    const noValidation = await train(countedSource(regressionTrain, []), spec);
    expect(noValidation.learningRatesTried).toEqual([]);
    const large: ExampleSource = { ...countedSource(regressionTrain, regressionValidation), trainRows: LEARNING_RATE_SEARCH_MAX_ROWS + 1 };
    const single = await train(large, spec);
    expect(single.learningRatesTried).toEqual([]);
    expect(single.learningRate).toBe(DEFAULT_LEARNING_RATE);
  });
});
