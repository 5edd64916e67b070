/**
 * Synthetic examples drawn from a known linear model, so a learner's weights and
 * held-out quality can be checked against the truth. Seeded and deterministic.
 *
 * Dense features are `scale × N(0, 1)`: the true weight is given on the unit-scale
 * value, so the real weight a learner should find is trueWeight / scale. Sparse
 * features are indicators (value 1), `sparsePerRow` of them on per row, uniformly.
 */
import type { OnlineLearner } from '../../src/learn/sgd.js';
import type { ExampleSource } from '../../src/learn/train.js';
import { mulberry32 as seededRandom } from '../../src/learn/random.js';
import type { ExampleBlock, Task } from '../../src/learn/types.js';

export { seededRandom };

/** Standard normal draws by Box–Muller from a uniform generator. */
export function normalFrom(random: () => number): () => number {
  return () => {
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

export interface SyntheticSpec {
  task: Task;
  rows: number;
  seed: number;
  /** Multiplier of each dense feature (its count is the array's length). */
  denseScales: readonly number[];
  /** Number of indicator features after the dense ones (0 for none). */
  sparseFeatures?: number;
  /** Indicators switched on per row. */
  sparsePerRow?: number;
  /** K for multiclass. */
  classes?: number;
  /** Standard deviation of the regression noise (default 0.5). */
  noise?: number;
  /** Dense features whose true weight is 0 (irrelevant), by position. */
  irrelevant?: readonly number[];
}

export interface SyntheticData {
  readonly spec: SyntheticSpec;
  readonly dimension: number;
  readonly classes: number;
  /** All rows as one CSR block. */
  readonly block: ExampleBlock;
  /** True weight of feature i for output k on the values as generated: index·K + k. */
  readonly weights: Float64Array;
  /** True bias per output. */
  readonly biases: Float64Array;
}

/** Draws `spec.rows` rows and labels from a random true model (itself drawn from the seed). */
export function synthesize(spec: SyntheticSpec): SyntheticData {
  const random = seededRandom(spec.seed);
  const normal = normalFrom(random);
  const dense = spec.denseScales.length;
  const sparse = spec.sparseFeatures ?? 0;
  const perRow = sparse > 0 ? Math.min(spec.sparsePerRow ?? 1, sparse) : 0;
  const K = spec.task === 'multiclass' ? (spec.classes ?? 3) : 1;
  const dimension = dense + sparse;
  const irrelevant = new Set(spec.irrelevant ?? []);

  const weights = new Float64Array(dimension * K);
  const biases = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    biases[k] = 0.3 * normal();
    for (let i = 0; i < dense; i++) {
      weights[i * K + k] = irrelevant.has(i) ? 0 : normal() / spec.denseScales[i]!;
    }
    for (let i = dense; i < dimension; i++) weights[i * K + k] = 0.8 * normal();
  }

  const nnz = spec.rows * (dense + perRow);
  const indices = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  const offsets = new Uint32Array(spec.rows + 1);
  const labels = new Float64Array(spec.rows);
  const margins = new Float64Array(K);
  let at = 0;
  for (let r = 0; r < spec.rows; r++) {
    offsets[r] = at;
    for (let i = 0; i < dense; i++) {
      indices[at] = i;
      values[at] = spec.denseScales[i]! * normal();
      at++;
    }
    for (let s = 0; s < perRow; s++) {
      // Distinct indicators: draw until unused in this row (perRow is small).
      let index: number;
      do index = dense + Math.floor(random() * sparse);
      while (indices.subarray(offsets[r]! + dense, at).includes(index));
      indices[at] = index;
      values[at] = 1;
      at++;
    }
    for (let k = 0; k < K; k++) {
      let m = biases[k]!;
      // Float32 values, as the learner will see them.
      for (let j = offsets[r]!; j < at; j++) m += weights[indices[j]! * K + k]! * values[j]!;
      margins[k] = m;
    }
    labels[r] = drawLabel(spec, margins, K, random, normal);
  }
  offsets[spec.rows] = at;
  return {
    spec,
    dimension,
    classes: K,
    block: { count: spec.rows, labels, offsets, indices, values },
    weights,
    biases,
  };
}

function drawLabel(
  spec: SyntheticSpec,
  margins: Float64Array,
  K: number,
  random: () => number,
  normal: () => number,
): number {
  if (spec.task === 'regression') return margins[0]! + (spec.noise ?? 0.5) * normal();
  if (spec.task === 'binary') return random() < 1 / (1 + Math.exp(-margins[0]!)) ? 1 : 0;
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, margins[k]!);
  let total = 0;
  for (let k = 0; k < K; k++) total += Math.exp(margins[k]! - max);
  let u = random() * total;
  for (let k = 0; k < K; k++) {
    u -= Math.exp(margins[k]! - max);
    if (u < 0) return k;
  }
  return K - 1;
}

/** Rows [from, to) of a block as a block of their own (views, no copy of the values). */
export function sliceBlock(block: ExampleBlock, from: number, to: number): ExampleBlock {
  const base = block.offsets[from]!;
  const offsets = new Uint32Array(to - from + 1);
  for (let r = from; r <= to; r++) offsets[r - from] = block.offsets[r]! - base;
  return {
    count: to - from,
    labels: block.labels.subarray(from, to),
    offsets,
    indices: block.indices.subarray(base, block.offsets[to]!),
    values: block.values.subarray(base, block.offsets[to]!),
  };
}

/** Cuts rows [from, to) into blocks of `blockRows`. */
export function toBlocks(block: ExampleBlock, blockRows: number, from = 0, to = block.count): ExampleBlock[] {
  const blocks: ExampleBlock[] = [];
  for (let r = from; r < to; r += blockRows) blocks.push(sliceBlock(block, r, Math.min(to, r + blockRows)));
  return blocks;
}

/** An ExampleSource over in-memory blocks: the same training order every pass. */
export function memorySource(training: readonly ExampleBlock[], validation: readonly ExampleBlock[] = []): ExampleSource {
  return {
    async *trainingPass() {
      yield* training;
    },
    async *validation() {
      yield* validation;
    },
  };
}

/** The generating model's K margins for row `row`: what a learner should come close to. */
export function trueMarginsOf(data: SyntheticData, row: number, out: Float64Array): void {
  const { block, weights, biases, classes: K } = data;
  for (let k = 0; k < K; k++) {
    let m = biases[k]!;
    for (let j = block.offsets[row]!; j < block.offsets[row + 1]!; j++) {
      m += weights[block.indices[j]! * K + k]! * block.values[j]!;
    }
    out[k] = m;
  }
}

/** The learner's mean loss over the blocks' rows (unweighted). */
export function meanLoss(learner: OnlineLearner, blocks: readonly ExampleBlock[]): number {
  let total = 0;
  let rows = 0;
  for (const block of blocks) {
    for (let r = 0; r < block.count; r++) {
      total += learner.loss(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, block.labels[r]!);
    }
    rows += block.count;
  }
  return total / rows;
}
