/** The L2 tests' training spec and small, wide data (l2-path.test.ts, l2-cv.test.ts). */
import type { TrainSpec } from '../../src/learn/train.js';
import type { Task } from '../../src/learn/types.js';
import { synthesize, toBlocks } from './synthetic.js';

/** A training spec with the L2 tests' defaults: 4 passes, early stopping, the finish on, l2 1e-6, seed 1. */
export function spec(task: Task, dimension: number, overrides: Partial<TrainSpec> = {}): TrainSpec {
  return {
    task,
    dimension,
    classes: task === 'multiclass' ? 3 : 1,
    l1: 0,
    l2: 1e-6,
    learningRate: null,
    seed: 1,
    passes: 4,
    earlyStopping: true,
    shuffle: true,
    classWeights: null,
    polish: true,
    ...overrides,
  };
}

/** Small, wide data (few rows per weight, where the L2 amount matters), cut into training and validation rows (a fifth). */
export function smallWide(task: Task, seed: number, rows: number, width: number) {
  const data = synthesize({
    task,
    rows,
    seed,
    classes: task === 'multiclass' ? 3 : undefined,
    denseScales: Array.from({ length: width }, (_, i) => 1 + (i % 5)),
    irrelevant: Array.from({ length: Math.floor(width / 2) }, (_, i) => width - 1 - i),
  } as Parameters<typeof synthesize>[0]);
  const cut = Math.floor(rows * 0.8);
  return { data, training: toBlocks(data.block, 64, 0, cut), validation: toBlocks(data.block, 64, cut, rows) };
}
