/** The online learner driven by hand in the learner's unit tests. */
import { OnlineLearner, type LearnerSpec } from '../../src/learn/sgd.js';
import type { ExampleBlock, Task } from '../../src/learn/types.js';

/** A learner spec with the tests' defaults (3 classes for multiclass, l2 1e-6, seed 1). */
export function testSpec(task: Task, dimension: number, overrides: Partial<LearnerSpec> = {}): LearnerSpec {
  return { task, dimension, classes: task === 'multiclass' ? 3 : 1, l1: 0, l2: 1e-6, learningRate: null, seed: 1, ...overrides };
}

/** `passes` passes of `learner.learn` over every row of `block`, in order. */
export function learnPasses(learner: OnlineLearner, block: ExampleBlock, passes: number): void {
  for (let p = 0; p < passes; p++) {
    for (let r = 0; r < block.count; r++) {
      learner.learn(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, block.labels[r]!, 1);
    }
    learner.endPass();
  }
}
