/**
 * `USING tune = N`: which option sets the N trials try, and successive halving's
 * schedule of which trials go on. Pure and seeded: the same seed, N and given options
 * give the same trials; the engine (src/engine/tune.ts) runs them.
 *
 * - Trial 1 is the untuned model (every option at the user's value or its default, the
 *   learner choosing step size and L2), so tuning keeps the default unless a trial beats
 *   it on the validation rows.
 * - Options the user gave are never tuned: every trial takes the user's value.
 * - Successive halving (η = HALVING_RATE): every trial first runs a 1/η^R share of its
 *   passes, the best 1/η by the yardstick (yardstick.ts) go on to η times more, until the
 *   last rung runs the survivors' full passes. Losers cost a fraction of a training each.
 * - A recipe's `quantile_bin(col, n)` transforms get one bin count per trial from
 *   QUANTILE_BIN_COUNTS (trial 1: the recipe's own); the engine encodes each count once.
 */

import { mulberry32 } from './random.js';
import { hashCombine, hashNumber } from './hash.js';
import type { Transform } from './clauses.js';
import type { Task } from './types.js';

/** The options a trial sets; null means the learner's own choice (learning_rate, l2). */
export interface TrialOptions {
  readonly learningRate: number | null;
  readonly l1: number;
  readonly l2: number | null;
  readonly passes: number;
  readonly classWeights: 'none' | 'balanced';
  /** The bin count of every top-level quantile_bin transform; null: the recipe as written. */
  readonly bins: number | null;
}

/** Bin counts a trial gives the recipe's quantile_bin transforms (a few, so each is encoded once). */
export const QUANTILE_BIN_COUNTS: readonly number[] = [5, 10, 20, 50];

/** The tuned options by their USING names (and the recipe's quantile-bin counts, which have none). */
export const TUNABLE_OPTIONS = ['learning_rate', 'l1', 'l2', 'passes', 'class_weights'] as const;
export type TunableOption = (typeof TUNABLE_OPTIONS)[number];

/** Trials kept per rung: 1 in HALVING_RATE goes on. */
export const HALVING_RATE = 3;

/** Ranges sampled (log-uniform for amounts and step sizes). */
const LEARNING_RATE_RANGE = [0.25, 32] as const;
const L2_RANGE = [1e-7, 1] as const;
const L1_RANGE = [1e-7, 1e-2] as const;
const PASSES_RANGE = [5, 40] as const;

/**
 * The N trials' options: trial 1 is `base` (the untuned model), the rest are drawn from
 * a generator seeded by `seed`; options in `given` keep `base`'s value in every trial.
 * class_weights is only drawn for classifiers, bin counts only when `tunesBins` (the
 * recipe has quantile_bin transforms).
 */
export function sampleTrials(count: number, seed: number, base: TrialOptions, given: ReadonlySet<string>, task: Task, tunesBins = false): TrialOptions[] {
  const random = mulberry32(hashCombine(hashNumber(seed, 0x7e57), count));
  const logUniform = ([low, high]: readonly [number, number]): number => round(Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low))));
  // Bin counts come from a generator of their own: a recipe with quantile_bin transforms gets the same other options as one without.
  const binRandom = mulberry32(hashCombine(hashNumber(seed, 0xb125), count));
  const trials: TrialOptions[] = [base];
  for (let t = 1; t < count; t++) {
    // Every draw is made whether or not it is used, so which options are given does not shift the others' values.
    const learningRate = logUniform(LEARNING_RATE_RANGE);
    const l2 = logUniform(L2_RANGE);
    const l1Draw = random();
    const l1 = logUniform(L1_RANGE);
    const passes = PASSES_RANGE[0] + Math.floor(random() * (PASSES_RANGE[1] - PASSES_RANGE[0] + 1));
    const balanced = random() < 0.5;
    const bins = QUANTILE_BIN_COUNTS[Math.floor(binRandom() * QUANTILE_BIN_COUNTS.length)]!;
    trials.push({
      learningRate: given.has('learning_rate') ? base.learningRate : learningRate,
      // Half the trials without L1: most data sets want none, and with it the finish does not run.
      l1: given.has('l1') ? base.l1 : l1Draw < 0.5 ? 0 : l1,
      l2: given.has('l2') ? base.l2 : l2,
      passes: given.has('passes') ? base.passes : passes,
      classWeights: given.has('class_weights') || task === 'regression' ? base.classWeights : balanced ? 'balanced' : 'none',
      bins: tunesBins ? bins : base.bins,
    });
  }
  return trials;
}

/** Rungs of successive halving for `count` trials: rung r runs `passShare` of each survivor's passes. */
export function halvingRungs(count: number): { passShare: number }[] {
  let rungs = 1;
  while (Math.ceil(count / HALVING_RATE ** rungs) > 1 && rungs < 4) rungs++;
  return Array.from({ length: rungs }, (_, r) => ({ passShare: HALVING_RATE ** (r - (rungs - 1)) }));
}

/** How many of `count` trials go on to the next rung. */
export function survivors(count: number): number {
  return Math.max(1, Math.ceil(count / HALVING_RATE));
}

/** Passes a trial with `passes` runs at a rung with `passShare`: at least one. */
export function rungPasses(passes: number, passShare: number): number {
  return Math.max(1, Math.round(passes * passShare));
}

/**
 * The indices of the `keep` lowest rank keys (Yardstick.rankKey: the better first), the
 * lower index first on ties (deterministic); NaN ranks last.
 */
export function bestTrials(keys: readonly number[], keep: number): number[] {
  const order = keys.map((_, i) => i);
  const key = (i: number): number => (Number.isNaN(keys[i]!) ? Infinity : keys[i]!);
  order.sort((a, b) => key(a) - key(b) || a - b);
  return order.slice(0, keep);
}

/** Whether the transforms hold a top-level quantile_bin, whose bin count trials vary. */
export function hasQuantileBins(transforms: readonly Transform[] | null): boolean {
  return (transforms ?? []).some(isQuantileBin);
}

/**
 * The transforms with every top-level `quantile_bin(col, n)` at `bins` bins. Nested ones
 * (inside cartesian) keep theirs: there the count multiplies a crossing's size.
 */
export function withQuantileBins(transforms: readonly Transform[], bins: number): Transform[] {
  return transforms.map((t) =>
    isQuantileBin(t) ? { ...t, args: [t.args[0]!, { kind: 'number', value: bins, text: String(bins) }] } : t,
  );
}

function isQuantileBin(t: Transform): boolean {
  return t.name.toLowerCase() === 'quantile_bin' && t.args.length === 2;
}

/** Three significant digits: trial options read as written, and store the same way. */
function round(x: number): number {
  return Number(x.toPrecision(3));
}
