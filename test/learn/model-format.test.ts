/**
 * The stored model's format (model-format.ts): the learner's bytes give back a learner
 * that predicts and learns on exactly as the original, the layout is the smaller of dense
 * and sparse, and the envelope rejects what it cannot read. Models stored by earlier
 * versions are old-models.test.ts's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqlmlError } from '../../src/errors.js';
import type { TrainedModel } from '../../src/learn/model.js';
import { decodeLearner, deserializeModel, encodeLearner, serializeModel } from '../../src/learn/model-format.js';
import { OnlineLearner } from '../../src/learn/sgd.js';
import type { ExampleBlock, Task } from '../../src/learn/types.js';
import { learnPasses, testSpec } from '../helpers/learner.js';
import { sliceBlock, synthesize } from '../helpers/synthetic.js';


function meanLoss(learner: OnlineLearner, block: ExampleBlock): number {
  let total = 0;
  for (let r = 0; r < block.count; r++) {
    total += learner.loss(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, block.labels[r]!);
  }
  return total / block.count;
}

describe('the learner bytes', () => {
  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    it(`${task}: a deserialized learner predicts exactly as the original`, () => {
      const data = synthesize({ task, rows: 2000, seed: 41, classes: 3, denseScales: [1, 10, 0.1], sparseFeatures: 10, sparsePerRow: 2 });
      const learner = new OnlineLearner(testSpec(task, data.dimension));
      learnPasses(learner, data.block, 2);
      const bytes = encodeLearner(learner);
      const restored = decodeLearner(bytes);
      expect(encodeLearner(restored)).toEqual(bytes);
      expect(restored.spec).toMatchObject({ task, dimension: data.dimension, l2: 1e-6, learningRate: null, seed: 1 });
      const K = task === 'multiclass' ? 3 : 1;
      const a = new Float64Array(K);
      const b = new Float64Array(K);
      const { block } = data;
      for (let r = 0; r < 300; r++) {
        learner.predict(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, a);
        restored.predict(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, b);
        expect(b).toEqual(a);
      }
    });
  }

  it('stores only the features with a weight when that is smaller, and the bytes are deterministic', () => {
    const data = synthesize({ task: 'binary', rows: 500, seed: 42, denseScales: [1, 1] });
    const make = (): OnlineLearner => {
      const learner = new OnlineLearner(testSpec('binary', 100_000));
      learnPasses(learner, data.block, 2);
      return learner;
    };
    const bytes = encodeLearner(make());
    expect(bytes.byteLength).toBeLessThan(200);
    expect(encodeLearner(make())).toEqual(bytes);
    const restored = decodeLearner(bytes);
    expect(restored.weight(99_999, 0)).toBe(0);
    expect(restored.weight(1, 0)).not.toBe(0);
  });

  it('a deserialized learner learns on from the restored weights', () => {
    const data = synthesize({ task: 'regression', rows: 3000, seed: 43, denseScales: [1, 2] });
    const learner = new OnlineLearner(testSpec('regression', data.dimension));
    learnPasses(learner, sliceBlock(data.block, 0, 1000), 1);
    const restored = decodeLearner(encodeLearner(learner));
    const { block } = data;
    const y = block.labels[1000]!;
    const before = learner.loss(block.indices, block.values, block.offsets[1000]!, block.offsets[1001]!, y);
    expect(restored.learn(block.indices, block.values, block.offsets[1000]!, block.offsets[1001]!, y, 1)).toBe(before);
    const rest = sliceBlock(data.block, 1001, 3000);
    const lossBefore = meanLoss(restored, rest);
    learnPasses(restored, rest, 2);
    expect(meanLoss(restored, rest)).toBeLessThan(lossBefore);
  });

  it('rejects bytes that are not a learner with an internal error', () => {
    const fail = (bytes: Uint8Array): unknown => {
      try {
        decodeLearner(bytes);
      } catch (error) {
        return error;
      }
      return null;
    };
    const good = encodeLearner(new OnlineLearner(testSpec('binary', 3)));
    for (const bad of [new Uint8Array(10), good.subarray(0, good.length - 1), Uint8Array.from([...good, 0])]) {
      const error = fail(bad);
      expect(error).toBeInstanceOf(SqlmlError);
      expect((error as SqlmlError).code).toBe('internal');
    }
  });
});

describe('the learner bytes of any weights', () => {
  it('give back the same spec and weights, bit for bit, in the smaller layout', () => {
    // -0 is left out: the sparse layout stores a feature whose weights are all zero as absent, which reads back as +0.
    const weight = fc.oneof(fc.constant(0), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((w) => !Object.is(w, -0)));
    fc.assert(
      fc.property(
        fc.constantFrom<Task>('binary', 'multiclass', 'regression'),
        fc.integer({ min: 0, max: 40 }),
        fc.array(weight, { minLength: 200, maxLength: 200 }),
        fc.boolean(),
        fc.option(fc.double({ min: 0.01, max: 100, noNaN: true }), { nil: null }),
        (task, dimension, pool, averaging, learningRate) => {
          const learnerSpec = testSpec(task, dimension, { averaging, learningRate, l1: 0.5, seed: 99 });
          const K = task === 'multiclass' ? 3 : 1;
          const weights = Float64Array.from({ length: (dimension + 1) * K }, (_, i) => pool[i % pool.length]!);
          const bytes = encodeLearner(OnlineLearner.restore(learnerSpec, weights));
          let rowsWithWeights = 0;
          for (let index = 0; index < dimension; index++) if (weights.subarray(index * K, index * K + K).some((w) => w !== 0)) rowsWithWeights++;
          const dense = dimension * K * 8;
          const sparse = 4 + rowsWithWeights * (4 + K * 8);
          expect(bytes.byteLength).toBe(48 + K * 8 + (sparse < dense ? sparse : dense));
          const decoded = decodeLearner(bytes);
          expect(decoded.spec).toEqual({ ...learnerSpec, averaging });
          expect(Buffer.from(decoded.modelCopy().buffer).equals(Buffer.from(weights.buffer))).toBe(true);
        },
      ),
    );
  });
});

describe('the stored model', () => {
  const learner = (): OnlineLearner => OnlineLearner.restore(testSpec('binary', 2), Float64Array.from([0.5, -0.25, 0.125]));
  const model = (): TrainedModel => ({
    task: 'binary',
    label: { kind: 'binary', positive: 'yes', negative: 'no' } as unknown as TrainedModel['label'],
    target: { name: 'y', type: 'text' } as unknown as TrainedModel['target'],
    inputColumns: [],
    recipe: { version: 1 } as unknown as TrainedModel['recipe'],
    transforms: null,
    options: {} as TrainedModel['options'],
    learner: learner(),
  });

  it('reads back what it wrote, and writes it again byte for byte', () => {
    const text = serializeModel(model());
    const read = deserializeModel(text);
    expect(read.label).toEqual(model().label);
    expect(read.learner.modelCopy()).toEqual(learner().modelCopy());
    expect(serializeModel(read)).toBe(text);
  });

  it('tags a model whose recipe hashes with md5 sqlml-model/2, so an earlier sqlml refuses it, and others sqlml-model/1', () => {
    const plain = JSON.parse(serializeModel(model())) as { format: string };
    expect(plain.format).toBe('sqlml-model/1');
    const hashed: TrainedModel = { ...model(), recipe: { version: 1, hash: 'md5' } as unknown as TrainedModel['recipe'] };
    const text = serializeModel(hashed);
    expect((JSON.parse(text) as { format: string }).format).toBe('sqlml-model/2');
    expect(deserializeModel(text).recipe.hash).toBe('md5');
    expect(serializeModel(deserializeModel(text))).toBe(text);
  });

  it('rejects text that is not JSON, another format, and a format tag that does not match the recipe hashing, with an internal error saying to retrain', () => {
    const stored = JSON.parse(serializeModel(model())) as Record<string, unknown>;
    const md5Recipe = { ...(stored.recipe as object), hash: 'md5' };
    const mismatched = [
      JSON.stringify({ ...stored, format: 'sqlml-model/2' }),
      JSON.stringify({ ...stored, recipe: md5Recipe }),
    ];
    for (const text of ['not json', JSON.stringify({ ...stored, format: 'sqlml-model/9' }), ...mismatched]) {
      let error: unknown = null;
      try {
        deserializeModel(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SqlmlError);
      expect((error as SqlmlError).code).toBe('internal');
      expect((error as SqlmlError).message).toMatch(/retrain it/);
    }
  });
});
