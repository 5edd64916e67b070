/**
 * The hashed feature kinds (high-cardinality categories, text terms, crossings). Models
 * hash them with MurmurHash3 over UTF-16 code units, combined numerically, which no SQL
 * dialect reproduces, so they are refused: retraining gives a model whose hashes SQL
 * can compute.
 */
import type { CrossFeature, HashedCategoryFeature, Recipe, TextFeature } from '../learn/recipe-format.js';
import type { FeatureScope, Translated } from './terms.js';

/** Why a model whose features are hashed the earlier way cannot be compiled. */
export const MURMUR_REASON = 'stored by an earlier version whose hashing has no SQL equivalent; RETRAIN it to score it in the database';

export function translateHashed(_scope: FeatureScope, feature: HashedCategoryFeature | TextFeature | CrossFeature, _recipe: Recipe): Translated {
  const what = feature.kind === 'cartesian' ? `crossing ${feature.transform}` : `${feature.kind === 'text' ? 'text' : 'hashed category'} feature ${feature.column}`;
  return { ok: false, reason: `${what}: the model was ${MURMUR_REASON}` };
}
