/**
 * The drift profile's sample of held-out scores (monitor.ts DriftScoreSample), taken during
 * the training's evaluation, where every held-out row is scored, must be the sample that
 * driftProfileOf's own pass over the held-out cache keeps, where only the sampled rows
 * are scored: every stride-th row from the first, at most SCORE_SAMPLE of them, in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DriftScoreSample, SCORE_SAMPLE } from '../../src/engine/monitor.js';
import type { TrainedModel } from '../../src/learn/model.js';

// A binary model's score is its first output (monitor.ts scoreOf); nothing else of the model is read.
const binary = { task: 'binary', label: { classes: ['0', '1'] } } as unknown as TrainedModel;

describe('DriftScoreSample', () => {
  it('keeps the same scores whether every row is scored (evaluation) or only the sampled ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * SCORE_SAMPLE + 7 }), fc.integer({ min: 0, max: 2 }), (rows, extra) => {
        // `extra`: rows beyond the count given, which neither path may keep past the sample's size.
        const everyRow = new DriftScoreSample(binary, rows);
        const sampledOnly = new DriftScoreSample(binary, rows);
        const out = new Float64Array(1);
        for (let row = 0; row < rows + extra; row++) {
          out[0] = row;
          everyRow.add(out);
          if (sampledOnly.wantsNext) sampledOnly.add(out);
          else sampledOnly.skip();
        }
        const stride = Math.max(1, Math.ceil(rows / SCORE_SAMPLE));
        const length = Math.ceil(rows / stride);
        expect(length).toBeLessThanOrEqual(SCORE_SAMPLE);
        for (const scores of [everyRow.scores, sampledOnly.scores]) {
          expect(scores.length).toBe(length);
          // The first row kept out of turn, if any (a plain loop: 100,000 scores compared one by one in expect take seconds).
          const wrong = scores.findIndex((score, i) => score !== i * stride);
          expect(wrong).toBe(-1);
        }
      }),
      { numRuns: 25, examples: [[0, 0], [1, 2], [SCORE_SAMPLE, 1], [SCORE_SAMPLE + 1, 2], [3 * SCORE_SAMPLE + 7, 2]] },
    );
  });
});
