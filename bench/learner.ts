/**
 * Learner throughput: one JSON line per task with feature-updates per second over
 * 1M synthetic rows × 16 features (10 standardized numbers + 6 one-hot categories),
 * timing the learn loop alone (no encoding, no I/O) and then train() with its shuffle
 * buffer. Run: npx tsx bench/learner.ts [rows]
 */
import { mulberry32 } from '../src/learn/random.js';
import { OnlineLearner, type LearnerSpec } from '../src/learn/sgd.js';
import { train } from '../src/learn/train.js';
import type { ExampleBlock, Task } from '../src/learn/types.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const DENSE = 10;
const CATEGORIES = [3, 12, 60, 250, 1000, 40];
const FEATURES = DENSE + CATEGORIES.length;
const BLOCK_ROWS = 2048;


/** Rows in blocks of 2,048, labels from a random linear model. */
function generate(task: Task, classes: number): { blocks: ExampleBlock[]; dimension: number } {
  const next = mulberry32(42);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const dimension = DENSE + CATEGORIES.reduce((a, b) => a + b, 0);
  const truth = Float64Array.from({ length: dimension * classes }, () => normal());
  const blocks: ExampleBlock[] = [];
  const margins = new Float64Array(classes);
  for (let first = 0; first < ROWS; first += BLOCK_ROWS) {
    const count = Math.min(BLOCK_ROWS, ROWS - first);
    const labels = new Float64Array(count);
    const offsets = new Uint32Array(count + 1);
    const indices = new Uint32Array(count * FEATURES);
    const values = new Float32Array(count * FEATURES);
    for (let r = 0, at = 0; r < count; r++) {
      for (let i = 0; i < DENSE; i++, at++) {
        indices[at] = i;
        values[at] = normal();
      }
      let base = DENSE;
      for (const cardinality of CATEGORIES) {
        indices[at] = base + Math.floor(next() ** 2 * cardinality);
        values[at++] = 1;
        base += cardinality;
      }
      offsets[r + 1] = at;
      margins.fill(0);
      for (let j = offsets[r]!; j < at; j++) {
        for (let k = 0; k < classes; k++) margins[k] = margins[k]! + 0.3 * truth[indices[j]! * classes + k]! * values[j]!;
      }
      if (task === 'regression') labels[r] = margins[0]! + normal();
      else if (task === 'binary') labels[r] = next() < 1 / (1 + Math.exp(-margins[0]!)) ? 1 : 0;
      else labels[r] = margins.indexOf(Math.max(...margins));
    }
    blocks.push({ count, labels, offsets, indices, values });
  }
  return { blocks, dimension };
}

async function measure(task: Task, classes: number): Promise<void> {
  const { blocks, dimension } = generate(task, classes);
  const spec: LearnerSpec = { task, dimension, classes, l1: 0, l2: 1e-6, learningRate: null, seed: 1 };

  // Warm up the JIT on a separate learner, then time one full pass.
  const warm = new OnlineLearner(spec);
  for (const block of blocks.slice(0, 20)) {
    for (let r = 0; r < block.count; r++) {
      warm.learn(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, block.labels[r]!, 1);
    }
  }
  const learner = new OnlineLearner(spec);
  const started = performance.now();
  for (const block of blocks) {
    for (let r = 0; r < block.count; r++) {
      learner.learn(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, block.labels[r]!, 1);
    }
  }
  learner.endPass();
  const learnSeconds = (performance.now() - started) / 1000;

  const out = new Float64Array(classes);
  const predictStarted = performance.now();
  for (const block of blocks) {
    for (let r = 0; r < block.count; r++) learner.predict(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, out);
  }
  const predictSeconds = (performance.now() - predictStarted) / 1000;

  const trainStarted = performance.now();
  const source = {
    async *trainingPass() {
      yield* blocks;
    },
    async *validation() {},
  };
  await train(source, { ...spec, passes: 1, earlyStopping: false, shuffle: true, classWeights: null });
  const trainSeconds = (performance.now() - trainStarted) / 1000;

  const updates = ROWS * FEATURES;
  console.log(
    JSON.stringify({
      bench: 'learner',
      task,
      classes,
      rows: ROWS,
      features_per_row: FEATURES,
      dimension,
      learn_seconds: round(learnSeconds),
      feature_updates_per_second: Math.round(updates / learnSeconds),
      weight_updates_per_second: Math.round((updates * classes) / learnSeconds),
      predict_rows_per_second: Math.round(ROWS / predictSeconds),
      train_pass_seconds: round(trainSeconds),
      train_feature_updates_per_second: Math.round(updates / trainSeconds),
      rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    }),
  );
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

await measure('binary', 1);
await measure('multiclass', 7);
await measure('regression', 1);
