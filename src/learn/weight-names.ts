/**
 * What each learned weight means, as a (feature, value) pair: `age` / NULL, `job` /
 * `admin.`, `balance` / `[0, 448)`, `cartesian(job, education)` / `admin. × secondary`,
 * `ngram(text, 2)` / `free money`. Dense indices are named from the recipe alone; the
 * hashed space has no inverse, so the names of the values seen at training are recorded
 * next to their slots (`SlotNamer`, stored with the model as `HashedNames`), bounded in
 * size, every name sharing a slot listed. A slot without a recorded name (models stored
 * before names were kept, or past the bound) is called `slot N`.
 */
import type { Column, ColumnData, ColumnType, RowBatch } from '../data.js';
import { FeatureEncoder } from './encode.js';
import { valueKey } from './profile.js';
import type { CrossFeature, CrossInput, FeatureSpec, Recipe } from './recipe-format.js';
import { isHashed } from './recipe-format.js';
import { isPunctuation, isWhitespace, normalizeValue } from './tokenize-text.js';
import { createSparseVector } from './types.js';

/** What a weight stands for: the feature (input column or transform) and its value (NULL for a number). */
export interface WeightName {
  readonly feature: string;
  readonly value: string | null;
}

/**
 * Names recorded for hashed slots: `slots[s]` (s = index − denseSize, as text) lists the
 * `[feature number in recipe.features, value]` pairs seen in that slot at training; a
 * slot that had more than it keeps ends with `[-1, '']`.
 */
export interface HashedNames {
  readonly slots: Record<string, readonly (readonly [number, string])[]>;
  /** True when the size bound stopped the recording before every slot with a weight had its names. */
  readonly truncated: boolean;
}

/** Names kept per slot; further names mark the slot as having more. */
export const NAMES_PER_SLOT = 4;
/** Shown between the names sharing one hashed slot. */
export const NAME_SEPARATOR = ' | ';
/** Between the two values of a crossing. */
export const CROSS_SEPARATOR = ' × ';
export const NULL_VALUE = '<NULL>';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** The feature's name in weights and explanations: its transform as written, else its column. */
export function featureLabel(f: FeatureSpec): string {
  return f.kind === 'cartesian' ? f.transform : (f.transform ?? f.column);
}

/** The name of feature index `index` (0 ≤ index < recipe.dimension). */
export function weightName(recipe: Recipe, names: HashedNames | null, index: number): WeightName {
  if (index >= recipe.denseSize) return hashedName(recipe, names, index - recipe.denseSize);
  for (const f of recipe.features) {
    if (f.kind === 'cartesian' || index < f.offset || index >= f.offset + f.size) continue;
    return denseName(f, index - f.offset, recipe.inputs.find((i) => i.name === f.column)?.type ?? 'double');
  }
  return { feature: `#${index}`, value: null };
}

function hashedName(recipe: Recipe, names: HashedNames | null, slot: number): WeightName {
  const recorded = names?.slots[String(slot)];
  if (recorded !== undefined && recorded.length > 0) {
    const features: string[] = [];
    const values: string[] = [];
    for (const [feature, value] of recorded) {
      if (feature < 0) {
        values.push('…');
        continue;
      }
      const label = featureLabel(recipe.features[feature]!);
      if (!features.includes(label)) features.push(label);
      values.push(value);
    }
    return { feature: features.join(NAME_SEPARATOR), value: values.join(NAME_SEPARATOR) };
  }
  const sources = [...new Set(recipe.features.filter(isHashed).map(featureLabel))];
  return { feature: sources.join(NAME_SEPARATOR), value: `slot ${slot}` };
}

function denseName(f: Exclude<FeatureSpec, CrossFeature>, slot: number, type: ColumnType): WeightName {
  const feature = featureLabel(f);
  const nullName = { feature, value: NULL_VALUE };
  switch (f.kind) {
    case 'number':
    case 'boolean':
      return slot === 0 ? { feature, value: null } : nullName;
    case 'hashed_category':
    case 'text':
      return nullName;
    case 'one_hot':
      if (slot < f.categories.length) return { feature, value: f.categories[slot]! };
      return slot === f.categories.length ? { feature, value: '<other>' } : nullName;
    case 'quantile_bin':
      return slot >= f.bins ? nullName : { feature, value: binRange(f.cuts, slot, type) };
    case 'date': {
      const s = f.slots;
      if (slot === s.year) return { feature: `${feature}.year`, value: null };
      if (slot >= s.month && slot < s.month + 12) return { feature: `${feature}.month`, value: String(slot - s.month + 1) };
      if (slot >= s.weekday && slot < s.weekday + 7) return { feature: `${feature}.weekday`, value: WEEKDAYS[slot - s.weekday]! };
      if (slot === s.hour) return { feature: `${feature}.hour`, value: null };
      if (slot === s.days) return { feature: `${feature}.days`, value: null };
      return nullName;
    }
  }
}

/** Bin `bin` of `cuts` as a half-open range: `< 30`, `[30, 40)`, `>= 60`. */
export function binRange(cuts: readonly number[], bin: number, type: ColumnType): string {
  if (cuts.length === 0) return 'all';
  if (bin === 0) return `< ${cutText(type, cuts[0]!)}`;
  if (bin >= cuts.length) return `>= ${cutText(type, cuts[cuts.length - 1]!)}`;
  return `[${cutText(type, cuts[bin - 1]!)}, ${cutText(type, cuts[bin]!)})`;
}

function cutText(type: ColumnType, value: number): string {
  if (type === 'date' || type === 'timestamp') return valueKey(type, value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

// ---- recording the names of hashed slots at training ----

/** One hashed feature's encoder (the recipe cut down to it) and how a row's terms are named. */
interface FeatureNamer {
  readonly feature: number;
  readonly encoder: FeatureEncoder;
  readonly names: (batch: RowBatch, row: number) => readonly string[];
}

/**
 * Records, for the hashed slots whose weight `live` says is not zero, the values that
 * land there, until `budget` characters of names are kept. Each feature is encoded on
 * its own by the very encoder prediction uses, so a name sits in exactly the slot its
 * value hashes to.
 */
export class SlotNamer {
  readonly #recipe: Recipe;
  readonly #live: (index: number) => boolean;
  readonly #namers: FeatureNamer[];
  readonly #slots = new Map<number, [number, string][]>();
  readonly #vector = createSparseVector(64);
  #budget: number;
  #truncated = false;

  constructor(recipe: Recipe, columns: readonly Column[], live: (index: number) => boolean, budget: number) {
    this.#recipe = recipe;
    this.#live = live;
    this.#budget = budget;
    const byName = new Map(columns.map((c, i) => [c.name, i]));
    this.#namers = [];
    recipe.features.forEach((f, feature) => {
      if (!isHashed(f)) return;
      const encoder = new FeatureEncoder({ ...recipe, features: [f] }, columns);
      const names = rowNames(f, byName, columns);
      this.#namers.push({ feature, encoder, names });
    });
  }

  /** Whether there is anything to name. */
  get active(): boolean {
    return this.#namers.length > 0 && this.#budget > 0;
  }

  /** Records the names of `batch`'s rows; false once the budget is spent (further batches change nothing). */
  observe(batch: RowBatch): boolean {
    const dense = this.#recipe.denseSize;
    const vector = this.#vector;
    for (const namer of this.#namers) {
      const encoded = namer.encoder.encodeBatch(batch);
      for (let row = 0; row < batch.rowCount; row++) {
        encoded.row(row, vector);
        let names: readonly string[] | null = null;
        let term = 0;
        for (let j = 0; j < vector.nnz; j++) {
          const index = vector.indices[j]!;
          if (index < dense) continue; // a NULL indicator: named from the recipe
          const at = term++;
          if (!this.#live(index)) continue;
          names ??= namer.names(batch, row);
          const name = names[at];
          if (name === undefined || !this.#add(index - dense, namer.feature, name)) {
            if (this.#budget <= 0) return false;
          }
        }
      }
    }
    return this.#budget > 0;
  }

  #add(slot: number, feature: number, name: string): boolean {
    let list = this.#slots.get(slot);
    if (list === undefined) {
      list = [];
      this.#slots.set(slot, list);
    }
    for (const [f, v] of list) if (f === feature && v === name) return true;
    if (list.length > NAMES_PER_SLOT) return true;
    if (list.length === NAMES_PER_SLOT) {
      list.push([-1, '']);
      return true;
    }
    const cost = name.length + 8;
    if (cost > this.#budget) {
      this.#budget = 0;
      this.#truncated = true;
      return false;
    }
    this.#budget -= cost;
    list.push([feature, name]);
    return true;
  }

  finish(): HashedNames | null {
    if (this.#namers.length === 0) return null;
    const slots: Record<string, [number, string][]> = {};
    for (const slot of [...this.#slots.keys()].sort((a, b) => a - b)) slots[String(slot)] = this.#slots.get(slot)!;
    return { slots, truncated: this.#truncated };
  }
}

/** The names of one row's hashed terms, in the order the feature's encoder writes them. */
function rowNames(f: FeatureSpec, byName: ReadonlyMap<string, number>, columns: readonly Column[]): (batch: RowBatch, row: number) => readonly string[] {
  const column = (name: string): number => byName.get(name) ?? columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
  switch (f.kind) {
    case 'hashed_category': {
      const c = column(f.column);
      const type = columns[c]!.type;
      return (batch, row) => {
        const value = textOf(batch.columns[c]!, row, type);
        return value === null ? [] : [clean(value, f.normalize)];
      };
    }
    case 'text': {
      const c = column(f.column);
      const type = columns[c]!.type;
      return (batch, row) => {
        const value = textOf(batch.columns[c]!, row, type);
        return value === null ? [] : termNames(value, f.normalize.lowercase, f.normalize.noPunct, f.mode, f.n);
      };
    }
    case 'cartesian': {
      const left = crossSide(f.left, column(f.left.column), columns);
      const right = crossSide(f.right, column(f.right.column), columns);
      return (batch, row) => [`${left(batch, row)}${CROSS_SEPARATOR}${right(batch, row)}`];
    }
    default:
      return () => [];
  }
}

function crossSide(input: CrossInput, c: number, columns: readonly Column[]): (batch: RowBatch, row: number) => string {
  const type = columns[c]!.type;
  return (batch, row) => {
    const data = batch.columns[c]!;
    if (input.kind === 'text') {
      const value = textOf(data, row, type);
      return value === null ? NULL_VALUE : clean(value, input.normalize);
    }
    const v = data.kind === 'number' && data.nulls[row] !== 1 && Number.isFinite(data.values[row]!) ? data.values[row]! : Number.NaN;
    if (Number.isNaN(v)) return NULL_VALUE;
    if (input.cuts !== null) return binRange(input.cuts, binOf(input.cuts, v), type);
    return valueKey(type, v);
  }
}

function binOf(cuts: readonly number[], v: number): number {
  let bin = 0;
  while (bin < cuts.length && cuts[bin]! <= v) bin++;
  return bin;
}

function textOf(data: ColumnData, row: number, type: ColumnType): string | null {
  if (data.kind === 'text') return data.values[row] ?? null;
  const v = data.values[row]!;
  return data.nulls[row] === 1 || !Number.isFinite(v) ? null : valueKey(type, v);
}

function clean(value: string, normalize: { readonly lowercase: boolean; readonly noPunct: boolean }): string {
  return normalize.lowercase || normalize.noPunct ? normalizeValue(value, normalize.lowercase, normalize.noPunct) : value;
}

/**
 * A text's terms as words, in the order tokenize-text.ts's TextTermKeys hashes them:
 * n-grams `w1 w2`, or for OSB each word then `w1 (+d) w2` for the word d further on.
 */
export function termNames(text: string, lowercase: boolean, noPunct: boolean, mode: 'ngram' | 'osb', n: number): string[] {
  const source = lowercase ? text.toLowerCase() : text;
  const words: string[] = [];
  let i = 0;
  while (i < source.length) {
    while (i < source.length && isWhitespace(source.charCodeAt(i))) i++;
    let start = i;
    while (i < source.length && !isWhitespace(source.charCodeAt(i))) i++;
    let end = i;
    if (noPunct) {
      while (start < end && isPunctuation(source.charCodeAt(start))) start++;
      while (end > start && isPunctuation(source.charCodeAt(end - 1))) end--;
    }
    if (end > start) words.push(source.slice(start, end));
  }
  const terms: string[] = [];
  for (let first = 0; first < words.length; first++) {
    terms.push(words[first]!);
    if (mode === 'ngram') {
      let gram = words[first]!;
      for (let w = first + 1; w < first + n && w < words.length; w++) terms.push((gram = `${gram} ${words[w]!}`));
    } else {
      for (let d = 1; d < n && first + d < words.length; d++) terms.push(`${words[first]!} (+${d}) ${words[first + d]!}`);
    }
  }
  return terms;
}
