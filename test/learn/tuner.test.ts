import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Transform } from '../../src/learn/clauses.js';
import { binaryMetrics } from '../../src/learn/metrics.js';
import { mulberry32 } from '../../src/learn/random.js';
import { transformText } from '../../src/learn/recipe.js';
import { bestTrials, hasQuantileBins, QUANTILE_BIN_COUNTS, sampleTrials, withQuantileBins, type TrialOptions } from '../../src/learn/tuner.js';
import { Yardstick, type ValidationPredictions } from '../../src/learn/yardstick.js';

const BASE: TrialOptions = { learningRate: null, l1: 0, l2: null, passes: 10, classWeights: 'none', bins: null };
const at = { line: 1, column: 1 };
const column = (name: string) => ({ kind: 'column' as const, name: { value: name, quoted: false } });
const num = (value: number) => ({ kind: 'number' as const, value, text: String(value) });

describe('sampleTrials', () => {
  it('is deterministic, keeps trial 1 the untuned model, and draws bin counts only for a recipe with quantile_bin', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: -1e6, max: 1e6 }), fc.constantFrom('binary', 'multiclass', 'regression' as const), (count, seed, task) => {
        const plain = sampleTrials(count, seed, BASE, new Set(), task);
        const binned = sampleTrials(count, seed, BASE, new Set(), task, true);
        expect(sampleTrials(count, seed, BASE, new Set(), task, true)).toEqual(binned);
        expect(plain).toHaveLength(count);
        expect(plain[0]).toEqual(BASE);
        expect(binned[0]).toEqual(BASE);
        for (let t = 1; t < count; t++) {
          expect(plain[t]!.bins).toBeNull();
          expect(QUANTILE_BIN_COUNTS).toContain(binned[t]!.bins);
          // Tuning bin counts draws from a generator of its own: the other options are the same.
          expect({ ...binned[t]!, bins: null }).toEqual(plain[t]);
          if (task === 'regression') expect(plain[t]!.classWeights).toBe('none');
        }
      }),
    );
  });

  it('keeps given options in every trial', () => {
    const trials = sampleTrials(30, 5, { ...BASE, l2: 0.01, classWeights: 'balanced' }, new Set(['l2', 'class_weights']), 'binary', true);
    for (const t of trials) expect(t).toMatchObject({ l2: 0.01, classWeights: 'balanced' });
    expect(new Set(trials.slice(1).map((t) => t.bins)).size).toBeGreaterThan(1);
  });
});

describe('quantile-bin counts of a recipe', () => {
  const recipe: Transform[] = [
    { name: 'quantile_bin', args: [column('age'), num(10)], position: at },
    { name: 'cartesian', args: [column('job'), { kind: 'transform', transform: { name: 'quantile_bin', args: [column('hours'), num(4)], position: at } }], position: at },
    { name: 'normalize', args: [column('balance')], position: at },
  ];

  it('rewrites every top-level quantile_bin and leaves nested ones and other transforms alone', () => {
    expect(hasQuantileBins(recipe)).toBe(true);
    expect(hasQuantileBins(recipe.slice(1))).toBe(false);
    expect(hasQuantileBins(null)).toBe(false);
    expect(withQuantileBins(recipe, 50).map(transformText)).toEqual(['quantile_bin(age, 50)', 'cartesian(job, quantile_bin(hours, 4))', 'normalize(balance)']);
    expect(recipe.map(transformText)[0]).toBe('quantile_bin(age, 10)');
  });
});

describe('bestTrials', () => {
  it('ranks by key, lower index first on ties, NaN last', () => {
    expect(bestTrials([3, NaN, 1, 1, 2], 3)).toEqual([2, 3, 4]);
    expect(bestTrials([NaN, 5], 1)).toEqual([1]);
  });
});

/** Binary predictions of `n` rows: labels drawn at `positive` rate, scores informative by `signal`. */
function binaryPredictions(n: number, seed: number, signal: number, labels?: Float64Array): ValidationPredictions {
  const random = mulberry32(seed);
  const y = labels ?? Float64Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0));
  const outputs = Float64Array.from(y, (label) => Math.min(0.999, Math.max(0.001, 0.5 + signal * (label - 0.5) + 0.4 * (random() - 0.5))));
  const losses = Float64Array.from(y, (label, i) => -Math.log(label === 1 ? outputs[i]! : 1 - outputs[i]!));
  return { count: n, labels: y, outputs, width: 1, losses, finite: true };
}

describe('Yardstick', () => {
  it('computes the metric EVALUATE computes, and the mean unweighted loss', () => {
    const p = binaryPredictions(500, 3, 0.3);
    const m = binaryMetrics(p.labels, p.outputs, p.count, 0.5);
    expect(new Yardstick('auc', 'binary', 0.5, 0).value(p)).toBe(m.auc);
    expect(new Yardstick('f1', 'binary', 0.5, 0).value(p)).toBe(m.f1);
    expect(new Yardstick('log_loss', 'binary', 0.5, 0).value(p)).toBeCloseTo(m.logLoss, 12);
    expect(new Yardstick('validation_loss', 'binary', 0.5, 0).value(p)).toBeCloseTo(p.losses.reduce((a, b) => a + b, 0) / p.count, 12);
    expect(new Yardstick('auc', 'binary', 0.5, 0).value({ ...p, finite: false })).toBeNaN();
  });

  it('ranks the better value first whichever way the metric points', () => {
    expect(new Yardstick('auc', 'binary', 0.5, 0).rankKey(0.9)).toBeLessThan(new Yardstick('auc', 'binary', 0.5, 0).rankKey(0.8));
    expect(new Yardstick('rmse', 'regression', 0.5, 0).rankKey(1)).toBeLessThan(new Yardstick('rmse', 'regression', 0.5, 0).rankKey(2));
    expect(new Yardstick('validation_loss', 'binary', 0.5, 0).rankKey(NaN)).toBe(Infinity);
  });

  it('gain: zero with no error for the same predictions, deterministic, and a clear gain for a clearly better model', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom('auc' as const, 'f1' as const, 'accuracy' as const, 'validation_loss' as const), (seed, name) => {
        const yardstick = new Yardstick(name, 'binary', 0.5, 0);
        const weak = binaryPredictions(300, seed, 0.05);
        expect(yardstick.gain(weak, weak, 7)).toEqual({ gain: 0, standardError: 0 });
        const strong = binaryPredictions(300, seed + 1, 0.8, weak.labels);
        const once = yardstick.gain(strong, weak, 7);
        expect(yardstick.gain(strong, weak, 7)).toEqual(once);
        expect(once.gain).toBeGreaterThan(once.standardError);
        // Swapped, the gain changes sign and the error stays.
        const back = yardstick.gain(weak, strong, 7);
        expect(back.gain).toBeCloseTo(-once.gain, 12);
        expect(back.standardError).toBeCloseTo(once.standardError, 12);
      }),
      { numRuns: 20 },
    );
  });
});
