/**
 * After a training: the names of the values that landed in each hashed slot with a
 * weight (learn/weight-names.ts), read back from the training's row cache, so SHOW
 * WEIGHTS and explanations can say `job × education = admin. × secondary` rather than
 * `slot 1234`. Bounded twice: the rows read (NAME_ROWS, in the order they were read)
 * and the characters kept (what max_model_size leaves, at most NAME_CHARS).
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

/** The names of `model`'s live hashed slots, or null when it hashes nothing. */
export function nameHashedSlots(model: TrainedModel, cache: RowCache, columns: readonly Column[], maxModelSize: number): HashedNames | null {
  const recipe = model.recipe;
  if (recipe.hashBits === 0) return null;
  const K = recipe.outputs;
  const weights = model.learner.modelCopy();
  const live = (index: number): boolean => {
    for (let k = 0; k < K; k++) if (weights[index * K + k] !== 0) return true;
    return false;
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
