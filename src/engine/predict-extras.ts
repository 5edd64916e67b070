/**
 * What PREDICT adds beside the label and score when asked:
 * - `USING explain = k | 'all'`: an `explanation` column of JSON text, the row's terms of
 *   the linear score `[{"feature","value","contribution"}, …]` sorted by |contribution|
 *   (the k largest, or all; terms contributing exactly 0 left out), then always the
 *   `(bias)` entry; a term's contribution is
 *   weight × encoded value (× the target's std for regression), so the terms plus the bias
 *   are the logit (binary), the predicted class's score (multiclass) or the value
 *   (regression). Terms of one feature index within a row (a repeated word) are one entry.
 * - `USING probabilities = true` (classifiers): `probability_<label>` per class, or one
 *   JSON column `probabilities` `{"<label>": p, …}` when the classes are more than
 *   MAX_PROBABILITY_COLUMNS or their names would not make distinct column names.
 * Per row, nothing is allocated but the output strings: names are escaped once per index.
 */
import type { Column, ColumnData, TextColumnData } from '../data.js';
import { SqlmlError } from '../errors.js';
import type { TrainedModel } from '../learn/model.js';
import type { SparseVector } from '../learn/types.js';
import { weightName } from '../learn/weight-names.js';
import type { OptionAssignment } from '../sql/ast.js';
import { BIAS_FEATURE } from './show-weights.js';

/** More classes than this come back as one JSON column. */
export const MAX_PROBABILITY_COLUMNS = 20;
/** The longest column name every supported database keeps whole (PostgreSQL's 63 bytes). */
const MAX_COLUMN_NAME_BYTES = 63;

export interface PredictExtrasOptions {
  /** Terms per row, Infinity for 'all'; null: no explanation. */
  readonly explain: number | null;
  readonly probabilities: boolean;
}

export const NO_EXTRAS: PredictExtrasOptions = { explain: null, probabilities: false };

/** Takes `explain` and `probabilities` out of PREDICT's options; the others are returned. */
export function takeExtrasOptions(options: readonly OptionAssignment[], model: TrainedModel): { extras: PredictExtrasOptions; rest: OptionAssignment[] } {
  let explain: number | null = null;
  let probabilities = false;
  const rest: OptionAssignment[] = [];
  for (const option of options) {
    const value = option.value;
    if (option.name === 'explain') {
      if ((value.kind === 'string' || value.kind === 'identifier') && value.value.toLowerCase() === 'all') explain = Infinity;
      else if (value.kind === 'number' && Number.isInteger(value.value) && value.value >= 1) explain = value.value;
      else throw new SqlmlError('bad_option', `option explain of PREDICT must be a whole number of terms ≥ 1 or 'all', got ${optionText(option)}`);
    } else if (option.name === 'probabilities') {
      if (value.kind !== 'boolean') throw new SqlmlError('bad_option', `option probabilities of PREDICT must be true or false, got ${optionText(option)}`);
      probabilities = value.value;
      if (probabilities && model.task === 'regression') {
        throw new SqlmlError('bad_option', 'option probabilities of PREDICT applies to classifiers; this model is a regression (it predicts a value)');
      }
    } else {
      rest.push(option);
    }
  }
  return { extras: { explain, probabilities }, rest };
}

function optionText(option: OptionAssignment): string {
  const v = option.value;
  return v.kind === 'string' ? `'${v.value}'` : v.kind === 'number' ? v.text : String(v.value);
}

export function hasExtras(extras: PredictExtrasOptions): boolean {
  return extras.explain !== null || extras.probabilities;
}

/** The probability columns' names, or null when they must be one JSON column. */
function probabilityNames(classes: readonly string[]): string[] | null {
  if (classes.length > MAX_PROBABILITY_COLUMNS) return null;
  const names = classes.map((label) => `probability_${label}`);
  const folded = new Set(names.map((name) => name.toLowerCase()));
  if (folded.size !== names.length) return null;
  if (names.some((name) => Buffer.byteLength(name) > MAX_COLUMN_NAME_BYTES)) return null;
  return names;
}

/** The per-row extras of one PREDICT: their columns, and their values batch by batch. */
export class PredictionExtras {
  readonly columns: readonly Column[];
  readonly #model: TrainedModel;
  readonly #explain: number | null;
  readonly #probabilities: boolean;
  /** One double column per class, or null for the JSON column. */
  readonly #probabilityNames: string[] | null;
  /** Per class, `"<label>":` escaped, for the JSON column. */
  readonly #labelKeys: string[];
  readonly #weights: Float64Array;
  readonly #outputs: number;
  readonly #scale: number;
  /** Per feature index, `{"feature":…,"value":…,"contribution":` once asked for. */
  readonly #prefixes = new Map<number, string>();
  readonly #biasPrefix = `{"feature":${JSON.stringify(BIAS_FEATURE)},"value":null,"contribution":`;
  #termIndex = new Int32Array(64);
  #termValue = new Float64Array(64);
  #order = new Int32Array(64);
  /** Open-addressing table from feature index to its term (`#termIndex` position); -1 is empty. */
  #slots = new Int32Array(256).fill(-1);
  #explanations: string[] = [];
  #probabilityColumns: Float64Array[] = [];
  #probabilityTexts: string[] = [];

  constructor(model: TrainedModel, options: PredictExtrasOptions) {
    this.#model = model;
    this.#explain = options.explain;
    this.#probabilities = options.probabilities;
    const classes = model.label.classes;
    this.#probabilityNames = options.probabilities ? probabilityNames(classes) : null;
    this.#labelKeys = classes.map((label) => `${JSON.stringify(label)}:`);
    this.#outputs = model.task === 'multiclass' ? classes.length : 1;
    this.#weights = options.explain !== null ? model.learner.modelCopy() : new Float64Array(0);
    this.#scale = model.task === 'regression' ? model.label.std : 1;
    const columns: Column[] = [];
    if (options.probabilities) {
      if (this.#probabilityNames) for (const name of this.#probabilityNames) columns.push({ name, type: 'double', dbType: '' });
      else columns.push({ name: 'probabilities', type: 'text', dbType: '' });
    }
    if (options.explain !== null) columns.push({ name: 'explanation', type: 'text', dbType: '' });
    this.columns = columns;
  }

  /** Before a batch of `n` rows. */
  begin(n: number): void {
    if (this.#explain !== null) this.#explanations = new Array<string>(n);
    if (this.#probabilities) {
      if (this.#probabilityNames) this.#probabilityColumns = this.#probabilityNames.map(() => new Float64Array(n));
      else this.#probabilityTexts = new Array<string>(n);
    }
  }

  /** Row `row`: its encoded features, the learner's output for it, and the predicted class (0 unless multiclass). */
  row(row: number, vector: SparseVector, out: Float64Array, predicted: number): void {
    if (this.#probabilities) this.#probabilitiesOf(row, out);
    if (this.#explain !== null) this.#explanations[row] = this.explain(vector, predicted);
  }

  /** The extra columns of the batch, in `columns`' order. */
  finish(n: number): ColumnData[] {
    const data: ColumnData[] = [];
    if (this.#probabilities) {
      if (this.#probabilityNames) for (const values of this.#probabilityColumns) data.push({ kind: 'number', values, nulls: new Uint8Array(n) });
      else data.push({ kind: 'text', values: this.#probabilityTexts } satisfies TextColumnData);
    }
    if (this.#explain !== null) data.push({ kind: 'text', values: this.#explanations } satisfies TextColumnData);
    return data;
  }

  #probabilitiesOf(row: number, out: Float64Array): void {
    const binary = this.#model.task === 'binary';
    const count = this.#labelKeys.length;
    if (this.#probabilityNames) {
      const columns = this.#probabilityColumns;
      if (binary) {
        columns[0]![row] = 1 - out[0]!;
        columns[1]![row] = out[0]!;
      } else {
        for (let c = 0; c < count; c++) columns[c]![row] = out[c]!;
      }
      return;
    }
    let text = '{';
    for (let c = 0; c < count; c++) {
      const p = binary ? (c === 0 ? 1 - out[0]! : out[0]!) : out[c]!;
      text += `${c > 0 ? ',' : ''}${this.#labelKeys[c]!}${p}`;
    }
    this.#probabilityTexts[row] = `${text}}`;
  }

  /**
   * The explanation JSON of one encoded row for output `k`: O(terms log shown). A row's
   * repeated feature indices (two values hashed to one slot) are merged through an
   * open-addressing table, and the `shown` largest |contribution| are kept in a bounded
   * heap and then sorted in place; every buffer is reused from row to row.
   */
  explain(vector: SparseVector, k: number): string {
    const K = this.#outputs;
    const weights = this.#weights;
    const scale = this.#scale;
    const nnz = vector.nnz;
    if (this.#termIndex.length < nnz) {
      this.#termIndex = new Int32Array(nnz * 2);
      this.#termValue = new Float64Array(nnz * 2);
      this.#order = new Int32Array(nnz * 2);
    }
    if (this.#slots.length < nnz * 2) this.#slots = new Int32Array(nextPowerOfTwo(nnz * 4)).fill(-1);
    const termIndex = this.#termIndex;
    const termValue = this.#termValue;
    const slots = this.#slots;
    const mask = slots.length - 1;
    let m = 0;
    for (let j = 0; j < nnz; j++) {
      const index = vector.indices[j]!;
      const contribution = weights[index * K + k]! * vector.values[j]! * scale;
      // A term that adds nothing is no reason (and its hashed slot, weightless, has no recorded name).
      if (contribution === 0) continue;
      let slot = Math.imul(index, 0x9e3779b1) & mask;
      while (slots[slot] !== -1 && termIndex[slots[slot]!] !== index) slot = (slot + 1) & mask;
      const t = slots[slot]!;
      if (t === -1) {
        slots[slot] = m;
        termIndex[m] = index;
        termValue[m++] = contribution;
      } else {
        termValue[t] = termValue[t]! + contribution;
      }
    }
    // Only the slots this row took are cleared, so the table is all -1 for the next row; last
    // in first out, so every term still finds its slot (its probe passed only earlier terms').
    for (let t = m - 1; t >= 0; t--) {
      let slot = Math.imul(termIndex[t]!, 0x9e3779b1) & mask;
      while (slots[slot] !== -1 && slots[slot] !== t) slot = (slot + 1) & mask;
      slots[slot] = -1;
    }
    const shown = this.#selectLargest(m, Math.min(m, this.#explain ?? m));
    const order = this.#order;
    let text = '[';
    for (let i = 0; i < shown; i++) {
      const t = order[i]!;
      text += `${this.#prefix(termIndex[t]!)}${termValue[t]!}},`;
    }
    const label = this.#model.label;
    const bias = weights[this.#model.recipe.dimension * K + k]! * scale + (this.#model.task === 'regression' ? label.mean : 0);
    return `${text}${this.#biasPrefix}${bias}}]`;
  }

  /** Whether term `a` is shown before term `b`: the larger |contribution|, ties the lower feature index. */
  #before(a: number, b: number): boolean {
    const x = Math.abs(this.#termValue[a]!);
    const y = Math.abs(this.#termValue[b]!);
    return x > y || (x === y && this.#termIndex[a]! < this.#termIndex[b]!);
  }

  /** Restores the heap below `at` in `order[0, size)`: each parent is shown after (ranks below) its children. */
  #siftDown(at: number, size: number): void {
    const order = this.#order;
    let parent = at;
    for (;;) {
      const left = 2 * parent + 1;
      if (left >= size) return;
      const right = left + 1;
      const lower = right < size && this.#before(order[left]!, order[right]!) ? right : left;
      if (!this.#before(order[parent]!, order[lower]!)) return;
      const swap = order[parent]!;
      order[parent] = order[lower]!;
      order[lower] = swap;
      parent = lower;
    }
  }

  /**
   * Puts the `shown` first terms of `m` in `order[0, shown)`, first shown first: a heap
   * of the `shown` best so far whose root is the least of them (O(m log shown)), then a
   * heap sort of those in place (O(shown log shown)).
   */
  #selectLargest(m: number, shown: number): number {
    const order = this.#order;
    if (shown === 0) return 0;
    for (let t = 0; t < shown; t++) order[t] = t;
    for (let at = (shown >> 1) - 1; at >= 0; at--) this.#siftDown(at, shown);
    for (let t = shown; t < m; t++) {
      if (!this.#before(t, order[0]!)) continue;
      order[0] = t;
      this.#siftDown(0, shown);
    }
    for (let end = shown - 1; end > 0; end--) {
      const least = order[0]!;
      order[0] = order[end]!;
      order[end] = least;
      this.#siftDown(0, end);
    }
    return shown;
  }

  #prefix(index: number): string {
    let prefix = this.#prefixes.get(index);
    if (prefix === undefined) {
      const name = weightName(this.#model.recipe, this.#model.hashedNames ?? null, index);
      prefix = `{"feature":${JSON.stringify(name.feature)},"value":${JSON.stringify(name.value)},"contribution":`;
      this.#prefixes.set(index, prefix);
    }
    return prefix;
  }
}

function nextPowerOfTwo(n: number): number {
  let power = 1;
  while (power < n) power *= 2;
  return power;
}
