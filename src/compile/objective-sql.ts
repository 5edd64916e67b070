/**
 * The full-batch finish's objective (src/learn/polish.ts) as aggregate SQL, so the
 * database sums the training loss, its gradient, the Hessian's diagonal and the
 * validation loss without a row leaving it. Pure: text in, text out.
 *
 * Signature:
 *   compileEncoding(model, dialect, sourceColumns) → { ok, encoding: { inner, outer } }:
 *     the encoded columns (ObjectiveEncoding) as two layers of SQL over the source's columns.
 *   compileObjective({ model, dialect, sourceColumns, relation, encoded?, coordinates, classWeights })
 *     → { ok: false, reason } naming the feature (and dialect) that cannot be expressed,
 *     | { ok: true, objective: CompiledObjective }.
 *   `relation` is a quoted table name or a parenthesized subquery holding the recipe's
 *   input columns and the target (or, with `encoded`, compileEncoding's columns) and an integer `sqlml_role` (src/learn/split.ts RowRole:
 *   0 train, 1 validation); `coordinates` the learner's (src/learn/coordinates.ts), whose
 *   layout every answer is in. For a coordinate vector v:
 *   - gradientQueries(v, withValidation?) → SQL texts, one row each (over role 0, or roles 0
 *     and 1 for the L2 path's refit); readGradient(results, gradient) adds
 *     Σ w·∂loss/∂v per coordinate into `gradient` and returns { loss: Σ w·loss, weight: Σ w,
 *     rows } over the training rows (role 0), w the importance weight;
 *   - curvatureQueries(v) / readCurvature(results, out): Σ w·c·x² per coordinate (c the
 *     loss's curvature in the margin, x the normalized value) and Σ w;
 *   - validationQuery(v) / readValidation(result): Σ w·loss, Σ w and the rows of role 1;
 *   - pairedValidationQuery(start, fit) / readPairedValidation(result): the sums of the
 *     per-row validation loss differences the L2 path's last check needs (l2-path.ts).
 *   The mean and the L2 penalty are the caller's (ObjectiveCoordinates), as in memory.
 *
 * How: the rows are encoded first (compileEncoding; the training's scratch table stores
 * the encoding, computed once by its CTAS, so an iteration only sums columns; over a
 * relation of source columns the queries compute it as their first layers). Every feature
 * is translated by the scoring compiler's own translation (compile-model.ts translate)
 * with weights of our choosing instead of the model's:
 * - a value feature (number, date) once per slot with weight 1 on that slot and 0
 *   elsewhere, which gives the slot's value x, rounded to float32 as the encoder stores
 *   it (ExampleBlock.values), so the sums are the learner's own objective;
 * - a choice feature (boolean, one_hot, quantile_bin: one slot of value 1 at most) once
 *   with weight slot + 1 on every slot, which gives the row's slot id (+1; 0 for none).
 *   Its gradient per slot is SUM(CASE WHEN id = slot THEN factor END). Measured on the
 *   encoded table (bench/objective-sql.ts: bank repeated to 1M rows, 10 one-hots of 2 to
 *   12 categories, load average 19-23 on 2 cores, two runs), one gradient took 2.3/1.8 s
 *   on PostgreSQL against 5.1/3.7 s with GROUP BY GROUPING SETS ((), (id), …) (which
 *   PostgreSQL never runs as a parallel aggregate) and 4.9/3.7 s with a GROUP BY over
 *   (feature, id) pairs unpivoted by a CROSS JOIN; on DuckDB 4.1/3.4 s against 2.7/3.5 s
 *   and 3.2/3.6 s: no clear winner there, so the per-slot sums everywhere. The grouped
 *   forms' cost does not grow with the categories, so they are the way for hashed slots
 *   and large vocabularies (not expressed yet). Over the source's columns instead of the
 *   encoded table the same gradient took 4.0/3.3 s (PostgreSQL) and 7.6/8.3 s (DuckDB).
 * Each margin is summed from the bias in the encoder's push order with the in-memory
 * objective's products, v·(x·(1/scale)).
 *
 * The rows pass through layers (derived tables behind the dialect's layerFence, which on
 * PostgreSQL keeps the layer without adding a Limit, so the plan stays parallel):
 * [source columns → slots → float32 values] → encoded rows of the role and importance
 * weight → margins → [log-sum-exp] → the row's
 * loss and factors → one aggregate row. Only SUM, in read-only SELECTs: PostgreSQL plans
 * Partial Aggregate → Gather → Finalize Aggregate, DuckDB aggregates on its threads. The
 * sums are split over several queries when they pass the dialect's maxSelectList.
 */
import type { SqlDialect } from '../../adapters/dialect.js';
import type { Column, ResultTable, Value } from '../data.js';
import { FeatureEncoder } from '../learn/encode.js';
import type { ObjectiveCoordinates } from '../learn/coordinates.js';
import type { TrainedModel } from '../learn/model.js';
import type { FeatureSpec, Recipe } from '../learn/recipe-format.js';
import { bindColumns, translate } from './compile-model.js';
import { textTermSlots } from './hashed-features.js';
import { isClass, logistic, logSumExp } from './outputs.js';
import { doubleLiteral, numericInput } from './sql-values.js';
import type { FeatureScope, ModelWeights } from './terms.js';

/** What of a trained model the objective reads: the task, the label mapping, the target and the recipe. */
export type ObjectiveModel = Pick<TrainedModel, 'task' | 'label' | 'target' | 'recipe' | 'hashedNames'>;

export interface ObjectiveSqlInput {
  readonly model: ObjectiveModel;
  readonly dialect: SqlDialect;
  /** The relation's columns (the recipe's inputs and the target bind to them as the encoder binds them). */
  readonly sourceColumns: readonly Column[];
  /**
   * A quoted table name or a parenthesized subquery, with an integer `sqlml_role` column
   * and either the source's columns (the encoding runs in every query) or, with
   * `encoded`, the encoded columns of {@link compileEncoding} (computed once, by the
   * CTAS of the scratch table).
   */
  readonly relation: string;
  readonly encoded?: boolean;
  readonly coordinates: ObjectiveCoordinates;
  /** Per-class importance weights, or null. */
  readonly classWeights: Float64Array | null;
  /**
   * How the choice slots' sums are taken: `grouped` (per combination of the choice
   * features' slot ids, then per slot from those groups) or `per-slot` (a SUM(CASE) per
   * slot over the rows). By default grouped where the combinations are few enough
   * (GROUPED_CHOICES_MAX); tests ask for each to compare them.
   */
  readonly choiceSums?: 'grouped' | 'per-slot';
}

/** Σ w·loss, Σ w and the count of the rows summed. */
export interface ObjectiveSums {
  readonly loss: number;
  readonly weight: number;
  readonly rows: number;
}

export interface CompiledObjective {
  /** `withValidation`: over the validation rows too (the L2 path's refit, once they have chosen the amount). */
  gradientQueries(v: Float64Array, withValidation?: boolean): string[];
  readGradient(results: readonly ResultTable[], gradient: Float64Array): ObjectiveSums;
  curvatureQueries(v: Float64Array, withValidation?: boolean): string[];
  readCurvature(results: readonly ResultTable[], out: Float64Array): ObjectiveSums;
  validationQuery(v: Float64Array): string;
  readValidation(result: ResultTable): ObjectiveSums;
  /** Over the validation rows, d = loss at `fit` − loss at `start` per row: Σ w, Σ w·d and Σ w·d². */
  pairedValidationQuery(start: Float64Array, fit: Float64Array): string;
  readPairedValidation(result: ResultTable): PairedSums;
}

export interface PairedSums {
  readonly weight: number;
  readonly sum: number;
  readonly squares: number;
}

export type ObjectiveCompilation = { readonly ok: true; readonly objective: CompiledObjective } | { readonly ok: false; readonly reason: string };

/** The role numbers of src/learn/split.ts RowRole the objective reads. */
const TRAIN_ROLE = 0;
const VALIDATION_ROLE = 1;
/** The training and validation rows together: the roles below HOLDOUT (2). */
const FITTED_ROLES = [TRAIN_ROLE, VALIDATION_ROLE] as const;

/** A live slot whose value is its own encoded column (value features). */
interface ValueSlot {
  readonly index: number;
  readonly position: number;
  /** The encoded column's name (unquoted). */
  readonly column: string;
}

/** A choice feature: its encoded column holding the row's slot + 1 (0 for none), and its live slots. */
interface ChoiceFeature {
  readonly column: string;
  readonly slots: readonly { readonly index: number; readonly position: number }[];
  /** The slot ids its column can hold: one per slot of the feature, and 0 for none. */
  readonly ids: number;
}

/**
 * The most combinations of the choice features' slot ids (the product of their `ids`, a
 * bound on the groups whatever the data) for which their gradient and curvature sums are
 * taken per group: a GROUP BY of the slot ids under the row's sums, and the per-slot
 * SUM(CASE) over the groups. Over the rows, a SUM(CASE WHEN id = slot …) per slot is a
 * branch per slot per row, which on DuckDB's vectors and in PostgreSQL's executor costs
 * far more than the margin and the loss: measured (bench/objective-sql.ts' query on the
 * encoded table of bank repeated to 10M rows, 7 choice features with 41 live slots and
 * 5,251 combinations; side by side, load average 12-18 on 2 cores) one gradient took
 * 11.6-17.7 s per slot against 4.8-9.3 s grouped on DuckDB, and 131-134 s against 57-62 s on
 * PostgreSQL (whose parallel plan sorts for the grouping with the default work_mem), the
 * same query without any choice sums 4-6 s and 44-48 s. The group count is bounded so a
 * model with wide choice features (many bins or categories) keeps the per-slot sums, whose
 * cost does not grow with the combinations, and the hash table stays small (2^17 groups of
 * a few dozen doubles: some MB).
 */
export const GROUPED_CHOICES_MAX = 2 ** 17;

/**
 * A hashed category or crossing: its encoded column holding the row's slot + 1 (its key's
 * slot in the shared hashed space, the NULL slot, or 0 for none) and its NULL slot.
 */
interface HashedFeature {
  readonly column: string;
  readonly nullSlot: { readonly index: number; readonly position: number } | null;
}

/** A text feature: its encoded array of the row's term slots (NULL for none), the terms' value, and its NULL slot. */
interface TextTermsFeature {
  readonly column: string;
  readonly value: string;
  readonly nullSlot: { readonly index: number; readonly position: number } | null;
}

/** Per feature in recipe order: what its margin term reads. */
interface OrderEntry {
  readonly values: ValueSlot[];
  choice: ChoiceFeature | null;
  hashed: HashedFeature | null;
  text: TextTermsFeature | null;
}

/** One aggregate of the final SELECT and where its sum goes. */
interface Sum {
  /** -1 Σ w·loss, -2 Σ w, -3 the row count, else the coordinate. */
  readonly target: number;
  readonly sql: string;
  /** A choice slot's sum: the factor of `output` over the rows whose `column` holds `id`. */
  readonly choice?: { readonly column: string; readonly id: number; readonly output: number };
}

const LOSS = -1;
const WEIGHT = -2;
const ROWS = -3;

/** A column of the encoding: its name and its SQL over the layer below. */
export interface EncodedColumn {
  readonly name: string;
  readonly sql: string;
}

/**
 * The objective's rows encoded, as two layers over the source's columns: `inner` (over
 * the source's columns) translates each value slot (before rounding), each choice
 * feature's slot and the label y; `outer` (over `inner`'s names) rounds the values to
 * float32 and passes the rest. Its column names (`names`):
 * - `sqlml_y`: the learner's y (NULL where the encoder gives NaN);
 * - `sqlml_x<slot>`: a value slot's float32 value, per slot number of the recipe;
 * - `sqlml_s<feature>`: a choice feature's, a hashed category's or a crossing's slot
 *   number + 1 (0 for none) as an integer, per feature number of the recipe: a slot id,
 *   not a value (1). A hashed one is its key's slot in the shared hashed space, by the
 *   scoring compiler's own translation of the key (hashed-features.ts, FeatureScope.slotIds);
 * - `sqlml_t<feature>`: a text feature's term slots as an array (TextArrays.gather), a
 *   repeated term twice, NULL for none; `sqlml_v<feature>` each term's float32 value,
 *   1/√(terms) as the encoder writes it.
 */
export interface ObjectiveEncoding {
  readonly inner: readonly EncodedColumn[];
  readonly outer: readonly EncodedColumn[];
}

export const ENCODED_LABEL = 'sqlml_y';
export const encodedValue = (slot: number): string => `sqlml_x${slot}`;
export const encodedChoice = (feature: number): string => `sqlml_s${feature}`;
export const encodedTerms = (feature: number): string => `sqlml_t${feature}`;
export const encodedTermValue = (feature: number): string => `sqlml_v${feature}`;
/** The prefix of every name the encoding uses (the scratch table refuses source columns starting so). */
export const ENCODED_PREFIX = 'sqlml_';

/**
 * The encoding of the recipe's features and label over `sourceColumns`: every slot, or
 * only those `wanted` says (the objective computed from the source needs only the live
 * ones). Refuses, naming it, a feature the objective cannot express.
 */
export function compileEncoding(
  model: ObjectiveModel,
  dialect: SqlDialect,
  sourceColumns: readonly Column[],
  wanted: (slot: number) => boolean = () => true,
): { readonly ok: true; readonly encoding: ObjectiveEncoding } | { readonly ok: false; readonly reason: string } {
  // The streaming encoder's binding: the same missing-column and wrong-type errors.
  new FeatureEncoder(model.recipe, sourceColumns);
  const bound = bindColumns(model, sourceColumns);
  const q = (name: string): string => dialect.quoteIdent(name);
  const scopeWith = (weights: ModelWeights): FeatureScope => ({ dialect, weights, columns: (name) => q(name), column: (name) => bound.get(name)! });
  const label = labelOf(dialect, model, sourceColumns);
  if ('reason' in label) return { ok: false, reason: label.reason };
  const inner: EncodedColumn[] = [{ name: ENCODED_LABEL, sql: label.sql }];
  const outer: EncodedColumn[] = [{ name: ENCODED_LABEL, sql: q(ENCODED_LABEL) }];
  for (const [number, feature] of model.recipe.features.entries()) {
    const kind = KINDS[feature.kind];
    if (kind === 'hashed') {
      // Every row may take any slot of the shared hashed space: stored whatever is live.
      const translated = translate({ ...scopeWith({ outputs: 1, weight: (index) => index + 1 }), slotIds: true }, feature, model);
      if (!translated.ok) return { ok: false, reason: translated.reason };
      const name = encodedChoice(number);
      inner.push({ name, sql: `CAST(${sumOf(dialect, translated.terms[0]!)} AS ${dialect.split.bigintCast})` });
      outer.push({ name, sql: q(name) });
      continue;
    }
    if (kind === 'text' && feature.kind === 'text') {
      const slots = textTermSlots(scopeWith({ outputs: 1, weight: () => 0 }), feature, model.recipe);
      if (!slots.ok) return { ok: false, reason: slots.reason };
      const name = encodedTerms(number);
      inner.push({ name, sql: slots.sql });
      outer.push({ name, sql: q(name) });
      const count = `CAST(${dialect.textArrays!.length(q(name))} AS ${dialect.split.doubleCast})`;
      outer.push({ name: encodedTermValue(number), sql: `(CASE WHEN ${q(name)} IS NULL THEN 0 ELSE ${float32(dialect, `(${doubleLiteral(dialect, 1)} / SQRT(${count}))`)} END)` });
      continue;
    }
    const slots: number[] = [];
    for (let index = feature.offset; index < feature.offset + feature.size; index++) if (wanted(index)) slots.push(index);
    if (slots.length === 0) continue;
    if (kind === 'choice') {
      const translated = translate(scopeWith({ outputs: 1, weight: (index) => index + 1 }), feature, model);
      if (!translated.ok) return { ok: false, reason: `${describe(feature)}: ${translated.reason}` };
      const name = encodedChoice(number);
      inner.push({ name, sql: `CAST(${sumOf(dialect, translated.terms[0]!)} AS ${dialect.split.bigintCast})` });
      outer.push({ name, sql: q(name) });
    } else {
      for (const slot of slots) {
        const translated = translate(scopeWith({ outputs: 1, weight: (index) => (index === slot ? 1 : 0) }), feature, model);
        if (!translated.ok) return { ok: false, reason: `${describe(feature)}: ${translated.reason}` };
        const name = encodedValue(slot);
        inner.push({ name, sql: sumOf(dialect, translated.terms[0]!) });
        outer.push({ name, sql: float32(dialect, q(name)) });
      }
    }
  }
  return { ok: true, encoding: { inner, outer } };
}

/**
 * Rounded to float32 as Math.fround rounds it, as the encoder stores values
 * (ExampleBlock.values), so the sums are the learner's own objective. The dialect's
 * rounding is for non-negative values (PostgreSQL's takes what is below half the smallest
 * float32 to 0), and rounding to nearest is symmetric in the sign, so negatives round as
 * their magnitude; where the dialect keeps a 4-byte float of either sign (float32Value),
 * that: the scratch table stores it in half a double's bytes, and each iteration scans it.
 */
export function float32(dialect: SqlDialect, x: string): string {
  if (dialect.float32Value !== undefined) return dialect.float32Value(x);
  const round = (y: string): string => dialect.probabilityAsFloat32(y);
  return `(CASE WHEN ${x} < 0 THEN -${round(`(-${x})`)} ELSE ${round(x)} END)`;
}

export function compileObjective(input: ObjectiveSqlInput): ObjectiveCompilation {
  const { model, dialect, coordinates } = input;
  const live = (index: number): boolean => coordinates.position[index]! >= 0;
  // Over the source, only the live slots are worth translating; an encoded table has them all.
  const compiled = compileEncoding(model, dialect, input.sourceColumns, input.encoded === true ? undefined : live);
  if (!compiled.ok) return compiled;
  const values: ValueSlot[] = [];
  const choices: ChoiceFeature[] = [];
  const hashed: HashedFeature[] = [];
  const texts: TextTermsFeature[] = [];
  /** Per feature in recipe order: what its margin term reads, for the margins' push order. */
  const order: OrderEntry[] = [];
  for (const [number, feature] of model.recipe.features.entries()) {
    const slots: { index: number; position: number }[] = [];
    for (let index = feature.offset; index < feature.offset + feature.size; index++) {
      if (live(index)) slots.push({ index, position: coordinates.position[index]! });
    }
    const entry: OrderEntry = { values: [], choice: null, hashed: null, text: null };
    order.push(entry);
    const kind = KINDS[feature.kind];
    // A hashed feature's NULL slot is its one dense slot (hashed categories and text: the first).
    const nullSlot = 'nullSlot' in feature && feature.nullSlot ? (slots.find((s) => s.index === feature.offset) ?? null) : null;
    if (kind === 'hashed') {
      entry.hashed = { column: encodedChoice(number), nullSlot };
      hashed.push(entry.hashed);
      continue;
    }
    if (kind === 'text') {
      entry.text = { column: encodedTerms(number), value: encodedTermValue(number), nullSlot };
      texts.push(entry.text);
      continue;
    }
    if (slots.length === 0) continue;
    if (kind === 'choice') {
      entry.choice = { column: encodedChoice(number), slots, ids: feature.size + 1 };
      choices.push(entry.choice);
    } else {
      for (const slot of slots) {
        const value = { ...slot, column: encodedValue(slot.index) };
        entry.values.push(value);
        values.push(value);
      }
    }
  }
  // Every layer carries the values and indices beside y, w, the K margins (or factors) and the loss.
  const carried = values.length + choices.length + hashed.length + 2 * texts.length + coordinates.K + 4;
  if (carried > dialect.maxSelectList) {
    return { ok: false, reason: `the model's ${values.length} value slots and ${choices.length + hashed.length + texts.length} choice, hashed and text features pass ${dialect.name}'s ${dialect.maxSelectList} columns per SELECT` };
  }
  const combinations = choices.reduce((product, choice) => product * choice.ids, 1);
  const choiceSums = input.choiceSums ?? (combinations <= GROUPED_CHOICES_MAX ? 'grouped' : 'per-slot');
  return { ok: true, objective: new Objective(input, { values, choices, hashed, texts, order }, input.encoded === true ? null : compiled.encoding, choices.length > 0 && choiceSums === 'grouped') };
}

/**
 * How a feature's slots are stored and summed: a value per slot; a choice's one slot id,
 * summed per slot (SUM(CASE)); a hashed category's or crossing's one slot id among the
 * 2^hashBits of the hashed space, and a text's array of them, summed by GROUP BY slot.
 */
type Kind = 'value' | 'choice' | 'hashed' | 'text';

const KINDS: Readonly<Record<FeatureSpec['kind'], Kind>> = {
  number: 'value',
  date: 'value',
  boolean: 'choice',
  one_hot: 'choice',
  quantile_bin: 'choice',
  hashed_category: 'hashed',
  text: 'text',
  cartesian: 'hashed',
};

function describe(feature: FeatureSpec): string {
  return feature.kind === 'cartesian' ? `crossing ${feature.transform}` : `${feature.kind} feature ${feature.column}`;
}

/** The terms of a translation summed (a feature's terms are 0 where the encoder writes nothing). */
function sumOf(dialect: SqlDialect, terms: readonly string[]): string {
  return terms.length === 1 ? terms[0]! : `(${terms.join(' + ')})`;
}

/**
 * The learner's y from the target, as label.ts LabelEncoder encodes it: binary 0/1 and
 * multiclass the class index (compared in the target's own type), regression
 * (v − mean) / std; NULL where the encoder gives NaN (NULL, unseen class, non-finite).
 */
function labelOf(dialect: SqlDialect, model: ObjectiveModel, sourceColumns: readonly Column[]): { sql: string } | { reason: string } {
  const name = model.label.column;
  const target = sourceColumns.find((c) => c.name === name) ?? sourceColumns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (target === undefined) return { reason: `the rows have no target column ${name}` };
  const ref = dialect.quoteIdent(target.name);
  if (model.task === 'regression') {
    const input = numericInput(dialect, ref, target.type);
    if (input === null) return { reason: `target ${target.name} (${target.type}): ${dialect.name} has no reading of it as the learner's number` };
    return { sql: `(CASE WHEN ${input.missing} THEN NULL ELSE ((${input.value} - ${doubleLiteral(dialect, model.label.mean)}) / ${doubleLiteral(dialect, model.label.std)}) END)` };
  }
  const whens = model.label.classes.map((_, c) => `WHEN ${isClass(dialect, model, ref, c)} THEN ${c}`);
  return { sql: `(CASE WHEN ${ref} IS NULL THEN NULL ${whens.join(' ')} END)` };
}

class Objective implements CompiledObjective {
  readonly #dialect: SqlDialect;
  readonly #relation: string;
  readonly #coordinates: ObjectiveCoordinates;
  readonly #task: ObjectiveModel['task'];
  readonly #classWeights: Float64Array | null;
  readonly #recipe: Recipe;
  readonly #values: readonly ValueSlot[];
  readonly #choices: readonly ChoiceFeature[];
  readonly #hashed: readonly HashedFeature[];
  readonly #texts: readonly TextTermsFeature[];
  readonly #order: readonly OrderEntry[];
  /** The encoding each query computes from the source's columns; null over an encoded table. */
  readonly #encoding: ObjectiveEncoding | null;
  /** Whether the choice slots' sums are taken over groups of slot ids (GROUPED_CHOICES_MAX). */
  readonly #choiceGroups: boolean;

  constructor(
    input: ObjectiveSqlInput,
    features: {
      readonly values: readonly ValueSlot[];
      readonly choices: readonly ChoiceFeature[];
      readonly hashed: readonly HashedFeature[];
      readonly texts: readonly TextTermsFeature[];
      readonly order: readonly OrderEntry[];
    },
    encoding: ObjectiveEncoding | null,
    choiceGroups: boolean,
  ) {
    this.#dialect = input.dialect;
    this.#relation = input.relation;
    this.#coordinates = input.coordinates;
    this.#task = input.model.task;
    this.#recipe = input.model.recipe;
    this.#classWeights = input.classWeights;
    this.#values = features.values;
    this.#choices = features.choices;
    this.#hashed = features.hashed;
    this.#texts = features.texts;
    this.#order = features.order;
    this.#encoding = encoding;
    this.#choiceGroups = choiceGroups;
  }

  /** The encoded columns every layer carries for the sums: the values, the choices' and hashed features' slot ids, the texts' term arrays and values. */
  #carriedColumns(): string[] {
    const q = (name: string): string => this.#q(name);
    return [
      ...this.#values.map((slot) => this.#x(slot)),
      ...this.#choices.map((_, c) => this.#choiceColumn(c)),
      ...this.#hashed.map((h) => q(h.column)),
      ...this.#texts.flatMap((t) => [q(t.column), q(t.value)]),
    ];
  }

  /**
   * The weight (times 1/scale: the value is 1) for output k of the hashed-space slot whose
   * id `slot` (SQL) holds: the live hashed slots' weights at `v` as the dialect's constant
   * list, indexed by slot − base (`plusOne`: the id is slot + 1), as the scoring compiler
   * reads a model's; the NULL slot's, and 0 for anything else (no slot: id 0).
   */
  #hashedWeight(v: Float64Array, k: number, slot: string, plusOne: boolean, nullSlot: HashedFeature['nullSlot']): string {
    const { position, inverseScale, K } = this.#coordinates;
    const base = this.#recipe.denseSize;
    const size = this.#recipe.hashBits > 0 ? 2 ** this.#recipe.hashBits : 0;
    let length = 0;
    const list: number[] = [];
    for (let o = 0; o < size; o++) {
      const p = position[base + o]!;
      const w = p >= 0 ? v[p * K + k]! * inverseScale[p]! : 0;
      list.push(w);
      if (w !== 0) length = o + 1;
    }
    const zero = this.#literal(0);
    const first = plusOne ? base + 1 : base;
    const whens: string[] = [];
    // Guarded by the range: below it some dialects' lists count from the end.
    if (length > 0) whens.push(`WHEN ${slot} >= ${first} THEN COALESCE(${this.#dialect.constantDoubleAt(list.slice(0, length), `${slot} - ${first}`)}, ${zero})`);
    if (nullSlot !== null) whens.push(`WHEN ${slot} = ${nullSlot.index + (plusOne ? 1 : 0)} THEN ${this.#literal(v[nullSlot.position * K + k]! * inverseScale[nullSlot.position]!)}`);
    return whens.length === 0 ? zero : `(CASE ${whens.join(' ')} ELSE ${zero} END)`;
  }

  #q(name: string): string {
    return this.#dialect.quoteIdent(name);
  }

  #x(slot: ValueSlot): string {
    return this.#q(slot.column);
  }

  #choiceColumn(c: number): string {
    return this.#q(this.#choices[c]!.column);
  }

  #literal(x: number): string {
    return doubleLiteral(this.#dialect, x);
  }

  /** Column names of the margins (and log-sum-exp) of the `n`th vector a query computes. */
  #marginName(n: number, k: number): string {
    return this.#q(`sqlml_m${n === 0 ? '' : `${n}_`}${k}`);
  }

  #lseName(n: number): string {
    return this.#q(`sqlml_lse${n === 0 ? '' : n}`);
  }

  /** The rows of `role` with y, importance weight w, the float32 values, the choice indices and the K margins at each of `vectors`. */
  #marginRows(vectors: readonly Float64Array[], role: number | readonly number[]): string {
    const d = this.#dialect;
    const q = (name: string): string => this.#q(name);
    const fence = d.split.layerFence;
    const y = q('sqlml_y');
    const w = q('sqlml_w');
    const K = this.#coordinates.K;
    const choiceNames = this.#choices.map((_, c) => this.#choiceColumn(c));
    const ofRole = `${q('sqlml_role')} ${typeof role === 'number' ? `= ${role}` : `IN (${role.join(', ')})`}`;
    // The encoded rows of the role: the table's, or the encoding computed here from the source's columns.
    const encoding = this.#encoding;
    const select = (columns: readonly EncodedColumn[]): string => columns.map((c) => `${c.sql} AS ${q(c.name)}`).join(', ');
    const encoded =
      encoding === null
        ? `${this.#relation} AS ${q('sqlml_rows')} WHERE ${ofRole} AND`
        : `(SELECT ${select(encoding.outer)} FROM (SELECT ${select(encoding.inner)} FROM ${this.#relation} AS ${q('sqlml_rows')} WHERE ${ofRole}${fence}) AS ${q('sqlml_inputs')}${fence}) AS ${q('sqlml_encoded')} WHERE`;
    const cw = this.#classWeights;
    const importance = cw === null ? this.#literal(1) : `(CASE ${y} ${Array.from(cw, (c, k) => `WHEN ${k} THEN ${this.#literal(c)}`).join(' ')} END)`;
    const inputs = [y, `${importance} AS ${w}`, ...this.#carriedColumns()];
    const weighted = `(SELECT ${inputs.join(', ')} FROM ${encoded} ${y} IS NOT NULL${fence}) AS ${q('sqlml_values')}`;
    const { inverseScale, live } = this.#coordinates;
    const margins = vectors.flatMap((v, n) => Array.from({ length: K }, (_, k) => {
      let sum = this.#literal(v[live * K + k]!);
      for (const feature of this.#order) {
        for (const slot of feature.values) {
          const p = slot.position;
          sum = `(${sum} + ${this.#literal(v[p * K + k]!)} * (${this.#x(slot)} * ${this.#literal(inverseScale[p]!)}))`;
        }
        const choice = feature.choice;
        if (choice !== null) {
          const c = this.#choices.indexOf(choice);
          const whens = choice.slots.map((s) => `WHEN ${s.index + 1} THEN ${this.#literal(v[s.position * K + k]! * inverseScale[s.position]!)}`);
          sum = `(${sum} + (CASE ${choiceNames[c]} ${whens.join(' ')} ELSE ${this.#literal(0)} END))`;
        }
        if (feature.hashed !== null) sum = `(${sum} + ${this.#hashedWeight(v, k, q(feature.hashed.column), true, feature.hashed.nullSlot)})`;
        const text = feature.text;
        if (text !== null) {
          // The terms' weights summed, times their one value (1/√terms).
          const weights = this.#dialect.textArrays!.sumOver(q(text.column), (e) => this.#hashedWeight(v, k, e, false, text.nullSlot));
          sum = `(${sum} + ${q(text.value)} * COALESCE(${weights}, ${this.#literal(0)}))`;
        }
      }
      return `${sum} AS ${this.#marginName(n, k)}`;
    }));
    const carried = [y, w, ...this.#carriedColumns()];
    let layer = `(SELECT ${[...carried, ...margins].join(', ')} FROM ${weighted}${fence}) AS ${q('sqlml_margins')}`;
    if (this.#task === 'multiclass') {
      const ms = vectors.map((_, n) => Array.from({ length: K }, (_, k) => this.#marginName(n, k)));
      const lses = ms.map((m, n) => `${logSumExp(d, m)} AS ${this.#lseName(n)}`);
      layer = `(SELECT ${[...carried, ...ms.flat(), ...lses].join(', ')} FROM ${layer}${fence}) AS ${q('sqlml_lse')}`;
    }
    return layer;
  }

  /**
   * Per row: Σ-ready w·loss and, per output, w·∂loss/∂m (`gradient`) or w·∂²loss/∂m²
   * (curvature), as src/learn/loss.ts computes them without overflow.
   */
  #rowTerms(what: 'gradient' | 'curvature' | 'loss', n = 0): { loss: string | null; factors: string[] } {
    const d = this.#dialect;
    const q = (name: string): string => this.#q(name);
    const y = q('sqlml_y');
    const w = q('sqlml_w');
    const K = this.#coordinates.K;
    const one = this.#literal(1);
    const m = (k: number): string => this.#marginName(n, k);
    if (this.#task === 'regression') {
      const r = `(${m(0)} - ${y})`;
      return {
        loss: what === 'curvature' ? null : `${w} * ${this.#literal(0.5)} * ${r} * ${r}`,
        factors: what === 'gradient' ? [`${w} * ${r}`] : [w],
      };
    }
    if (this.#task === 'binary') {
      // a: the margin on the wrong side; softplus(a) = a + ln(1 + e^-a) for a > 0, else ln(1 + e^a).
      const a = `(CASE WHEN ${y} = 1 THEN -${m(0)} ELSE ${m(0)} END)`;
      const softplus = `(CASE WHEN ${a} > 0 THEN ${a} + LN(${one} + ${d.safeExp(`(-${a})`)}) ELSE LN(${one} + ${d.safeExp(a)}) END)`;
      const p = logistic(d, m(0));
      const slope = `(CASE WHEN ${y} = 1 THEN -${w} * ${logistic(d, `(-${m(0)})`)} ELSE ${w} * ${p} END)`;
      return {
        loss: what === 'curvature' ? null : `${w} * ${softplus}`,
        factors: what === 'gradient' ? [slope] : [`${w} * ${p} * (${one} - ${p})`],
      };
    }
    const lse = this.#lseName(n);
    const own = `(CASE ${y} ${Array.from({ length: K }, (_, k) => `WHEN ${k} THEN ${m(k)}`).join(' ')} END)`;
    const probability = (k: number): string => d.safeExp(`(${m(k)} - ${lse})`);
    return {
      loss: what === 'curvature' ? null : `${w} * (${lse} - ${own})`,
      factors: Array.from({ length: K }, (_, k) =>
        what === 'gradient'
          ? `(${w} * ${probability(k)} - (CASE WHEN ${y} = ${k} THEN ${w} ELSE ${this.#literal(0)} END))`
          : `${w} * ${probability(k)} * (${one} - ${probability(k)})`,
      ),
    };
  }

  /** The aggregates of `what`: Σ w·loss, Σ w and per coordinate Σ factor·x (gradient) or Σ factor·x² (curvature). */
  #sums(what: 'gradient' | 'curvature'): Sum[] {
    const q = (name: string): string => this.#q(name);
    const K = this.#coordinates.K;
    const live = this.#coordinates.live;
    const f = (k: number): string => q(`sqlml_f${k}`);
    const sums: Sum[] = [];
    if (what === 'gradient') sums.push({ target: LOSS, sql: `SUM(${q('sqlml_loss')})` });
    sums.push({ target: WEIGHT, sql: `SUM(${q('sqlml_w')})` }, { target: ROWS, sql: 'COUNT(*)' });
    for (let k = 0; k < K; k++) sums.push({ target: live * K + k, sql: `SUM(${f(k)})` });
    for (const slot of this.#values) {
      const x = this.#x(slot);
      for (let k = 0; k < K; k++) sums.push({ target: slot.position * K + k, sql: what === 'gradient' ? `SUM(${f(k)} * ${x})` : `SUM(${f(k)} * ${x} * ${x})` });
    }
    this.#choices.forEach((choice, c) => {
      for (const slot of choice.slots) {
        for (let k = 0; k < K; k++) {
          const column = this.#choiceColumn(c);
          sums.push({ target: slot.position * K + k, sql: `SUM(CASE WHEN ${column} = ${slot.index + 1} THEN ${f(k)} END)`, choice: { column, id: slot.index + 1, output: k } });
        }
      }
    });
    return sums;
  }

  /** The SELECTs of `sums` over the per-row terms at `v`, as many as the dialect's select list needs. */
  #queries(v: Float64Array, role: number | readonly number[], what: 'gradient' | 'curvature' | 'loss', sums: readonly Sum[]): string[] {
    const q = (name: string): string => this.#q(name);
    const terms = this.#rowTerms(what);
    const carried = [q('sqlml_w'), ...this.#carriedColumns()];
    const rowList = [...carried, ...(terms.loss === null ? [] : [`${terms.loss} AS ${q('sqlml_loss')}`]), ...(what === 'loss' ? [] : terms.factors.map((sql, k) => `${sql} AS ${q(`sqlml_f${k}`)}`))];
    const rows = `(SELECT ${rowList.join(', ')} FROM ${this.#marginRows([v], role)}${this.#dialect.split.layerFence}) AS ${q('sqlml_terms')}`;
    const grouped = this.#byChoiceGroups(sums);
    const chunk = this.#chunk(sums);
    const queries: string[] = [];
    for (let start = 0; start < sums.length; start += chunk) {
      const part = sums.slice(start, start + chunk);
      queries.push(grouped ? this.#choiceGroupsQuery(part, rows) : `SELECT ${part.map((s) => s.sql).join(', ')} FROM ${rows}`);
    }
    if (what !== 'loss') queries.push(...this.#groupedQueries(rows, what));
    return queries;
  }

  /**
   * `sums` over `rows` in two steps (GROUPED_CHOICES_MAX): per combination of the choice
   * features' slot ids, each row sum and Σ factor per output; then the groups' sums added,
   * and a choice slot's sum as the factor sums of the groups holding its id. Σ w and the row
   * count add up like the rest, so the answers are the per-slot form's, added in another order.
   */
  #choiceGroupsQuery(sums: readonly Sum[], rows: string): string {
    const q = (name: string): string => this.#q(name);
    const ids = this.#choices.map((_, c) => this.#choiceColumn(c));
    const factor = (k: number): string => q(`sqlml_g${k}`);
    const inner = [...ids];
    const outer: string[] = [];
    const outputs = new Set<number>();
    for (const [i, sum] of sums.entries()) {
      if (sum.choice !== undefined) {
        outputs.add(sum.choice.output);
        outer.push(`SUM(CASE WHEN ${sum.choice.column} = ${sum.choice.id} THEN ${factor(sum.choice.output)} END)`);
      } else {
        inner.push(`${sum.sql} AS ${q(`sqlml_d${i}`)}`);
        outer.push(`SUM(${q(`sqlml_d${i}`)})`);
      }
    }
    for (const k of outputs) inner.push(`SUM(${q(`sqlml_f${k}`)}) AS ${factor(k)}`);
    return `SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${rows} GROUP BY ${ids.join(', ')}) AS ${q('sqlml_groups')}`;
  }

  /**
   * The hashed slots' sums, grouped by slot (one sum per slot would be 2^hashBits
   * aggregates): one query over the hashed categories and crossings, their slot ids
   * unpivoted by a CROSS JOIN with their numbers (value 1), and one per text feature, its
   * array's elements listed per row (TextArrays.elements; value sqlml_v). Each row of the
   * answer: the slot, then per output Σ factor·x (gradient) or Σ factor·x² (curvature).
   */
  #groupedQueries(rows: string, what: 'gradient' | 'curvature'): string[] {
    const q = (name: string): string => this.#q(name);
    const K = this.#coordinates.K;
    const f = (k: number): string => `${q('sqlml_terms')}.${q(`sqlml_f${k}`)}`;
    const slot = q('sqlml_slot');
    const queries: string[] = [];
    const column = (name: string): string => `${q('sqlml_terms')}.${q(name)}`;
    const sumsOf = (x: string | null): string => {
      const times = x === null ? '' : what === 'gradient' ? ` * ${x}` : ` * ${x} * ${x}`;
      return Array.from({ length: K }, (_, k) => `${f(k)}${times} AS ${q(`sqlml_g${k}`)}`).join(', ');
    };
    const outer = (inner: string): string =>
      `SELECT ${slot}, ${Array.from({ length: K }, (_, k) => `SUM(${q(`sqlml_g${k}`)})`).join(', ')} FROM (${inner}) AS ${q('sqlml_slots')} WHERE ${slot} >= 0 GROUP BY ${slot}`;
    if (this.#hashed.length > 0) {
      // The ids are slot + 1 (0 for none).
      const ids = this.#hashed.map((h) => column(h.column));
      const i = `${q('sqlml_which')}.${q('i')}`;
      const which = this.#hashed.map((_, n) => `SELECT ${n} AS ${q('i')}`).join(' UNION ALL ');
      const id = ids.length === 1 ? ids[0]! : `(CASE ${i} ${ids.map((c, n) => `WHEN ${n} THEN ${c}`).join(' ')} END)`;
      const from = ids.length === 1 ? `FROM ${rows}` : `FROM ${rows} CROSS JOIN (${which}) AS ${q('sqlml_which')}`;
      queries.push(outer(`SELECT ${id} - 1 AS ${slot}, ${sumsOf(null)} ${from}`));
    }
    const arrays = this.#dialect.textArrays;
    for (const text of this.#texts) {
      const e = `${q('sqlml_term')}.${q('s')}`;
      queries.push(outer(`SELECT ${e} AS ${slot}, ${sumsOf(column(text.value))} FROM ${rows} CROSS JOIN ${arrays!.elements(column(text.column))} AS ${q('sqlml_term')}(${q('s')})`));
    }
    return queries;
  }

  /** Adds the grouped sums (#groupedQueries' answers) into `out`'s live coordinates, times the inverse scale `power` times. */
  #readGrouped(results: readonly ResultTable[], out: Float64Array, power: 1 | 2): void {
    const { K, position, inverseScale, live } = this.#coordinates;
    for (const result of results) {
      for (const row of result.rows) {
        const p = position[numberOf(row[0]!)] ?? -1;
        if (p < 0 || p >= live) continue;
        const scale = power === 1 ? inverseScale[p]! : inverseScale[p]! * inverseScale[p]!;
        for (let k = 0; k < K; k++) out[p * K + k] = out[p * K + k]! + numberOf(row[1 + k]!) * scale;
      }
    }
  }

  /** Whether `sums` are taken over groups of the choice features' slot ids (GROUPED_CHOICES_MAX). */
  #byChoiceGroups(sums: readonly Sum[]): boolean {
    return this.#choiceGroups && sums.some((s) => s.choice !== undefined);
  }

  /** How many of `sums` one query takes: over choice groups, its inner SELECT also carries the slot ids and a factor sum per output. */
  #chunk(sums: readonly Sum[]): number {
    const room = this.#byChoiceGroups(sums) ? this.#choices.length + this.#coordinates.K : 0;
    return Math.min(this.#dialect.maxSelectList - room, 1 << 20);
  }

  /** How many of #queries' answers are the one-row sums (the rest are grouped by hashed slot). */
  #denseQueries(sums: readonly Sum[]): number {
    return Math.ceil(sums.length / this.#chunk(sums));
  }

  /** Reads the one-row results of `#queries` into `out` (coordinates, times the inverse scale `power` times) and the two sums. */
  #read(results: readonly ResultTable[], sums: readonly Sum[], out: Float64Array | null, power: 1 | 2): ObjectiveSums {
    const K = this.#coordinates.K;
    const live = this.#coordinates.live;
    const inverseScale = this.#coordinates.inverseScale;
    out?.fill(0);
    let loss = 0;
    let weight = 0;
    let rows = 0;
    let at = 0;
    for (const result of results) {
      const row = result.rows[0] ?? [];
      for (let i = 0; i < row.length; i++, at++) {
        const x = numberOf(row[i]!);
        const target = sums[at]!.target;
        if (target === LOSS) loss = x;
        else if (target === WEIGHT) weight = x;
        else if (target === ROWS) rows = x;
        else if (out !== null) {
          const p = Math.floor(target / K);
          const scale = p < live ? (power === 1 ? inverseScale[p]! : inverseScale[p]! * inverseScale[p]!) : 1;
          out[target] = out[target]! + x * scale;
        }
      }
    }
    if (at !== sums.length) throw new Error(`objective: expected ${sums.length} sums, the database gave ${at}`);
    return { loss, weight, rows };
  }

  gradientQueries(v: Float64Array, withValidation = false): string[] {
    return this.#queries(v, withValidation ? FITTED_ROLES : TRAIN_ROLE, 'gradient', this.#sums('gradient'));
  }

  readGradient(results: readonly ResultTable[], gradient: Float64Array): ObjectiveSums {
    const sums = this.#sums('gradient');
    const dense = this.#denseQueries(sums);
    const read = this.#read(results.slice(0, dense), sums, gradient, 1);
    this.#readGrouped(results.slice(dense), gradient, 1);
    return read;
  }

  curvatureQueries(v: Float64Array, withValidation = false): string[] {
    return this.#queries(v, withValidation ? FITTED_ROLES : TRAIN_ROLE, 'curvature', this.#sums('curvature'));
  }

  readCurvature(results: readonly ResultTable[], out: Float64Array): ObjectiveSums {
    const sums = this.#sums('curvature');
    const dense = this.#denseQueries(sums);
    const read = this.#read(results.slice(0, dense), sums, out, 2);
    this.#readGrouped(results.slice(dense), out, 2);
    return read;
  }

  validationQuery(v: Float64Array): string {
    return this.#queries(v, VALIDATION_ROLE, 'loss', VALIDATION_SUMS.map((s) => ({ ...s, sql: s.sql.replace(/\$(\w+)/g, (_, name: string) => this.#q(name)) })))[0]!;
  }

  readValidation(result: ResultTable): ObjectiveSums {
    return this.#read([result], VALIDATION_SUMS, null, 1);
  }

  pairedValidationQuery(start: Float64Array, fit: Float64Array): string {
    const q = (name: string): string => this.#q(name);
    const a = this.#rowTerms('loss', 0).loss!;
    const b = this.#rowTerms('loss', 1).loss!;
    const w = q('sqlml_w');
    // Both losses are w·loss, so their difference is w·d, and w·d² is (w·d)² / w.
    const rows = `(SELECT ${w}, ${b} - ${a} AS ${q('sqlml_wd')} FROM ${this.#marginRows([start, fit], VALIDATION_ROLE)}${this.#dialect.split.layerFence}) AS ${q('sqlml_terms')}`;
    const wd = q('sqlml_wd');
    return `SELECT SUM(${w}), SUM(${wd}), SUM(CASE WHEN ${w} > 0 THEN ${wd} * ${wd} / ${w} END) FROM ${rows}`;
  }

  readPairedValidation(result: ResultTable): PairedSums {
    const row = result.rows[0] ?? [];
    return { weight: numberOf(row[0] ?? null), sum: numberOf(row[1] ?? null), squares: numberOf(row[2] ?? null) };
  }
}

/** The validation query's two sums ($name: a quoted column). */
const VALIDATION_SUMS: readonly Sum[] = [
  { target: LOSS, sql: 'SUM($sqlml_loss)' },
  { target: WEIGHT, sql: 'SUM($sqlml_w)' },
  { target: ROWS, sql: 'COUNT(*)' },
];

/** A sum as the driver gives it (a double, or text for exact types); NULL (no rows) is 0. */
function numberOf(value: Value): number {
  if (value === null) return 0;
  return typeof value === 'number' ? value : Number(value);
}
