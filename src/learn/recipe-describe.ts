/**
 * How a recipe reads to a person: one line per feature for DESCRIBE MODEL, and a name
 * for any feature index (for the largest weights). Reads recipes, never builds them.
 */
import type { ColumnType } from '../data.js';
import { valueKey } from './profile.js';
import type { CrossFeature, FeatureSpec, Recipe, TextNormalization } from './recipe-format.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** One human line per feature (then dropped columns and the sizes), for DESCRIBE. */
export function describeRecipe(recipe: Recipe): string[] {
  const typeOf = new Map(recipe.inputs.map((i) => [i.name, i.type]));
  const lines = recipe.features.map((f) => {
    const from = f.transform !== null && f.kind !== 'cartesian' ? ` [${f.transform}]` : '';
    return `${describeFeature(f, typeOf, recipe.hashBits)}${from}`;
  });
  for (const d of recipe.dropped) lines.push(`${d.column}: not used (${d.reason})`);
  const hashed = recipe.hashBits > 0 ? `, hashed space 2^${recipe.hashBits}` : '';
  lines.push(`${recipe.denseSize} dense features${hashed}, dimension ${recipe.dimension}`);
  return lines;
}

function describeFeature(f: FeatureSpec, typeOf: ReadonlyMap<string, ColumnType>, hashBits: number): string {
  const nulls = 'nullSlot' in f && f.nullSlot ? ', NULL indicator' : '';
  switch (f.kind) {
    case 'number': {
      const { center, scale } = f.standardize;
      if (f.log === true) return `${f.column}: heavy-tailed, read as sign(x)·ln(1+|x|), standardized (mean ${num(center)}, std ${num(scale)})${nulls}`;
      return `${f.column}: standardized (mean ${num(center)}, std ${num(scale)})${nulls}`;
    }
    case 'boolean':
      return `${f.column}: 0/1${nulls}`;
    case 'one_hot': {
      const nullCategory = f.nullSlot ? ', NULL category' : '';
      return `${f.column}: one-hot, ${f.categories.length} categories + other${cleaning(f.normalize)}${nullCategory}`;
    }
    case 'hashed_category': {
      const values = `about ${f.distinctValues} values`;
      return `${f.column}: hashed one-hot (${values})${cleaning(f.normalize)} into 2^${hashBits} buckets${nulls}`;
    }
    case 'text': {
      const ngrams = f.n === 1 ? 'words' : `word n-grams up to ${f.n}`;
      const terms = f.mode === 'ngram' ? ngrams : `words and orthogonal sparse bigrams in a window of ${f.n}`;
      return `${f.column}: ${terms}${cleaning(f.normalize)}, hashed, each weighted 1/√terms${nulls}`;
    }
    case 'date': {
      const parts = ['month', 'day of week'];
      if (f.year !== null) parts.unshift('year');
      if (f.hour !== null) parts.push('hour');
      parts.push('days since 1970');
      const nullIndicator = f.slots.null >= 0 ? ', NULL indicator' : '';
      return `${f.column}: ${typeOf.get(f.column) ?? 'date'} parts (${parts.join(', ')})${nullIndicator}`;
    }
    case 'quantile_bin': {
      const type = typeOf.get(f.column) ?? 'double';
      const shown = f.cuts.slice(0, 10).map((c) => formatCut(type, c));
      const more = f.cuts.length > 10 ? ', …' : '';
      const cuts = f.cuts.length > 0 ? ` (cuts ${shown.join(', ')}${more})` : '';
      return `${f.column}: ${f.bins} quantile bins${cuts}${f.nullSlot ? ', NULL bin' : ''}`;
    }
    case 'cartesian':
      return `${f.transform}: hashed crossing of ${f.left.text} and ${f.right.text}`;
  }
}

function cleaning(n: TextNormalization): string {
  if (n.lowercase && n.noPunct) return ', lowercased, edge punctuation removed';
  if (n.lowercase) return ', lowercased';
  if (n.noPunct) return ', edge punctuation removed';
  return '';
}

/**
 * A readable name for feature index `index`: 'age', 'job=admin.', 'marital=<NULL>',
 * 'signup.month=3', 'age in [30, 40)'; an index in the hashed space names the features
 * that share it, e.g. 'text~hash' or 'city|cartesian(job, marital)~hash'.
 */
export function featureName(recipe: Recipe, index: number): string {
  if (index >= recipe.denseSize) {
    const sources = recipe.features.filter(writesHashes).map((f) => (f.kind === 'cartesian' ? f.transform : f.column));
    return `${[...new Set(sources)].join('|')}~hash`;
  }
  const typeOf = new Map(recipe.inputs.map((i) => [i.name, i.type]));
  for (const f of recipe.features) {
    if (f.kind === 'cartesian' || index < f.offset || index >= f.offset + f.size) continue;
    return slotName(f, index - f.offset, typeOf.get(f.column) ?? 'double');
  }
  return `#${index}`;
}

function slotName(f: Exclude<FeatureSpec, CrossFeature>, slot: number, type: ColumnType): string {
  const nullName = `${f.column}=<NULL>`;
  switch (f.kind) {
    case 'number':
    case 'boolean':
      return slot === 0 ? f.column : nullName;
    case 'hashed_category':
    case 'text':
      return nullName;
    case 'one_hot':
      if (slot < f.categories.length) return `${f.column}=${f.categories[slot]}`;
      return slot === f.categories.length ? `${f.column}=<other>` : nullName;
    case 'quantile_bin': {
      if (slot >= f.bins) return nullName;
      const cuts = f.cuts;
      if (cuts.length === 0) return `${f.column} (one bin)`;
      if (slot === 0) return `${f.column} < ${formatCut(type, cuts[0]!)}`;
      if (slot === cuts.length) return `${f.column} >= ${formatCut(type, cuts[cuts.length - 1]!)}`;
      return `${f.column} in [${formatCut(type, cuts[slot - 1]!)}, ${formatCut(type, cuts[slot]!)})`;
    }
    case 'date': {
      const s = f.slots;
      if (slot === s.year) return `${f.column}.year`;
      if (slot >= s.month && slot < s.month + 12) return `${f.column}.month=${slot - s.month + 1}`;
      if (slot >= s.weekday && slot < s.weekday + 7) return `${f.column}.weekday=${WEEKDAYS[slot - s.weekday]}`;
      if (slot === s.hour) return `${f.column}.hour`;
      if (slot === s.days) return `${f.column}.days`;
      return nullName;
    }
  }
}

function formatCut(type: ColumnType, value: number): string {
  return type === 'date' || type === 'timestamp' ? valueKey(type, value) : num(value);
}

/** Up to 4 significant digits, no exponent for everyday magnitudes. */
function num(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

function writesHashes(feature: FeatureSpec): boolean {
  return feature.kind === 'hashed_category' || feature.kind === 'text' || feature.kind === 'cartesian';
}
