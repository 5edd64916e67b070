/**
 * After a training: the names of the values that landed in each hashed slot with a
 * weight (learn/weight-names.ts), read back from the training's row cache, so SHOW
 * WEIGHTS and explanations can say `job × education = admin. × secondary` rather than
 * `slot 1234`. Bounded three times: the slots named (the NAMED_SLOTS largest by
 * |weight|: what SHOW WEIGHTS and explanations show first), the rows read (NAME_ROWS, in
 * the order they were read) and the characters kept (what max_model_size leaves, at most
 * NAME_CHARS).
 */
import type { Column } from '../data.js';
import type { TrainedModel } from '../learn/model.js';
import { serializeModel } from '../learn/model-format.js';
import { SlotNamer, type HashedNames } from '../learn/weight-names.js';
import type { RowCache } from './cache.js';

/** Rows whose values are named: enough for every value of any column a person would read through. */
export const NAME_ROWS = 250_000;
/** Characters of names a model keeps at most (a few MB of JSON). */
export const NAME_CHARS = 4_000_000;
/**
 * Hashed slots named at most, the largest by |weight|. Measured on sms with
 * ngram(lowercase(text), 2) (docs/explain.md): naming every live slot kept 1.18 MB of
 * names, 65% of the model; the smaller weights, rarely shown first, now read `slot N`.
 */
export const NAMED_SLOTS = 8_192;

/** The names of `model`'s live hashed slots, or null when it hashes nothing. */
export function nameHashedSlots(model: TrainedModel, cache: RowCache, columns: readonly Column[], maxModelSize: number): HashedNames | null {
  const recipe = model.recipe;
  if (recipe.hashBits === 0) return null;
  const K = recipe.outputs;
  const weights = model.learner.modelCopy();
  const dense = recipe.denseSize;
  // Each hashed slot's largest |weight| over the outputs; the NAMED_SLOTS largest are named.
  const magnitude = new Float64Array(recipe.dimension - dense);
  for (let slot = 0; slot < magnitude.length; slot++) {
    let largest = 0;
    for (let k = 0; k < K; k++) largest = Math.max(largest, Math.abs(weights[(dense + slot) * K + k]!));
    magnitude[slot] = largest;
  }
  const floor = smallestNamed(magnitude, NAMED_SLOTS);
  const live = (index: number): boolean => {
    const m = magnitude[index - dense]!;
    return m > 0 && m >= floor;
  };
  const budget = Math.min(NAME_CHARS, Math.floor((maxModelSize - serializeModel(model).length) * 0.9));
  const namer = new SlotNamer(recipe, columns, live, budget);
  if (!namer.active) return null;
  let rows = 0;
  for (let block = 0; block < cache.batchCount && rows < NAME_ROWS; block++) {
    const batch = cache.batch(block);
    rows += batch.rowCount;
    if (!namer.observe(batch)) break;
  }
  return namer.finish();
}

/** The |weight| of the `count`-th largest slot (ties at it are named too, so a few more may be); 0 when fewer have a weight. */
function smallestNamed(magnitude: Float64Array, count: number): number {
  let nonZero = 0;
  for (const m of magnitude) if (m > 0) nonZero++;
  if (nonZero <= count) return 0;
  // Only the weights that are not zero are sorted: a hashed space is mostly empty.
  const live = new Float64Array(nonZero);
  let at = 0;
  for (const m of magnitude) if (m > 0) live[at++] = m;
  live.sort();
  return live[nonZero - count]!;
}
