/**
 * compileModel: a stored model as SQL. Each recipe feature is translated by its kind's
 * module (dense-features.ts; hashed kinds in hashed-features.ts), the margins summed in
 * the streaming Scorer's order from the bias, and the outputs computed from them
 * (outputs.ts). `select` computes the margins and probabilities once each, in layers
 * (where the dialect materializes each layer, a binary model's probability is computed
 * inline from the margins' layer instead); `expressions` repeats them inline, so it can
 * stand where no layer can.
 */
import type { Column } from '../data.js';
import { FeatureEncoder } from '../learn/encode.js';
import { predictionColumns, type TrainedModel } from '../learn/model.js';
import type { FeatureSpec } from '../learn/recipe-format.js';
import type { SqlDialect } from '../../adapters/dialect.js';
import { translateBins, translateBoolean, translateDate, translateNumber, translateOneHot } from './dense-features.js';
import { translateHashed } from './hashed-features.js';
import type { ColumnExpressions, Compilation, CompiledModel } from './index.js';
import { binaryLabel, isClass, logistic, logSumExp, multiclassInline, multiclassOutputs, regressionValue, softmaxProbability } from './outputs.js';
import { doubleLiteral } from './sql-values.js';
import type { FeatureScope, ModelWeights, Translated } from './terms.js';

export function compileModel(model: TrainedModel, dialect: SqlDialect, sourceColumns: readonly Column[]): Compilation {
  // The streaming encoder's binding: the same missing-column and wrong-type errors.
  new FeatureEncoder(model.recipe, sourceColumns);
  const weights = modelWeights(model);
  const bound = bindColumns(model, sourceColumns);
  // Translating once with placeholder references finds what cannot be expressed before anything is asked for.
  const probe = marginsOf(model, dialect, weights, bound, (name) => dialect.quoteIdent(name));
  if (!probe.ok) return probe;
  return { ok: true, compiled: new Compiled(model, dialect, weights, bound) };
}

function modelWeights(model: TrainedModel): ModelWeights {
  const all = model.learner.modelCopy();
  const K = model.recipe.outputs;
  return { outputs: K, weight: (index, k) => all[index * K + k]! };
}

function biasOf(model: TrainedModel, k: number): number {
  return model.learner.modelCopy()[model.recipe.dimension * model.recipe.outputs + k]!;
}

/** Recipe input name → source column, as the encoder binds them (exact, else the one case-insensitive match). */
export function bindColumns(model: Pick<TrainedModel, 'recipe'>, sourceColumns: readonly Column[]): Map<string, Column> {
  const bound = new Map<string, Column>();
  for (const input of model.recipe.inputs) {
    const exact = sourceColumns.find((c) => c.name === input.name);
    bound.set(input.name, exact ?? sourceColumns.find((c) => c.name.toLowerCase() === input.name.toLowerCase())!);
  }
  return bound;
}

/** One recipe feature's terms by its kind's translation (also objective-sql.ts's, with weights of its own). */
export function translate(scope: FeatureScope, feature: FeatureSpec, model: Pick<TrainedModel, 'recipe' | 'hashedNames'>): Translated {
  switch (feature.kind) {
    case 'number':
      return translateNumber(scope, feature);
    case 'boolean':
      return translateBoolean(scope, feature);
    case 'one_hot':
      return translateOneHot(scope, feature);
    case 'date':
      return translateDate(scope, feature);
    case 'quantile_bin':
      return translateBins(scope, feature);
    case 'hashed_category':
    case 'text':
    case 'cartesian':
      return translateHashed(scope, feature, model.recipe, model.hashedNames ?? null);
  }
}

type Margins = { readonly ok: true; readonly margins: string[] } | { readonly ok: false; readonly reason: string };

/** Per output: bias + each feature's terms, left to right in the encoder's push order. */
function marginsOf(model: TrainedModel, dialect: SqlDialect, weights: ModelWeights, bound: Map<string, Column>, columns: ColumnExpressions): Margins {
  const scope: FeatureScope = { dialect, weights, columns, column: (name) => bound.get(name)! };
  const sums = Array.from({ length: weights.outputs }, (_, k) => doubleLiteral(dialect, biasOf(model, k)));
  for (const feature of model.recipe.features) {
    const translated = translate(scope, feature, model);
    if (!translated.ok) return translated;
    translated.terms.forEach((terms, k) => {
      for (const term of terms) sums[k] = `(${sums[k]} + ${term})`;
    });
  }
  return { ok: true, margins: sums };
}

/** The column `select` adds for its `probabilityOf` argument. */
const PROBABILITY_OF = 'probability_of';

class Compiled implements CompiledModel {
  readonly outputs: readonly Column[];
  readonly #model: TrainedModel;
  readonly #dialect: SqlDialect;
  readonly #weights: ModelWeights;
  readonly #bound: Map<string, Column>;

  constructor(model: TrainedModel, dialect: SqlDialect, weights: ModelWeights, bound: Map<string, Column>) {
    this.outputs = predictionColumns(model);
    this.#model = model;
    this.#dialect = dialect;
    this.#weights = weights;
    this.#bound = bound;
  }

  #margins(columns: ColumnExpressions): string[] {
    const margins = marginsOf(this.#model, this.#dialect, this.#weights, this.#bound, columns);
    if (!margins.ok) throw new Error(margins.reason);
    return margins.margins;
  }

  /** The outputs from margin expressions `m`, probabilities computed inline. */
  #outputsFrom(m: readonly string[]): Record<string, string> {
    const dialect = this.#dialect;
    const model = this.#model;
    if (model.task === 'regression') return { predicted_value: regressionValue(dialect, model, m[0]!) };
    if (model.task === 'binary') {
      const p = logistic(dialect, m[0]!);
      return { predicted_label: binaryLabel(dialect, model, p), score: p };
    }
    const { label, score } = multiclassInline(dialect, model, m);
    return { predicted_label: label, score };
  }

  expressions(columns: ColumnExpressions): Readonly<Record<string, string>> {
    return this.#onMargins(columns, (m) => this.#outputsFrom(m));
  }

  /**
   * `use` applied to the margins: where the dialect lets a derived table read the outer
   * row, each expression is a scalar subquery computing the margins once in a derived
   * table; elsewhere the margins are repeated inline.
   */
  #onMargins(columns: ColumnExpressions, use: (margins: readonly string[]) => Record<string, string>): Record<string, string> {
    const dialect = this.#dialect;
    const margins = this.#margins(columns);
    if (dialect.capabilities.correlatedDerivedTables !== true) return use(margins);
    const q = (name: string): string => dialect.quoteIdent(name);
    const names = margins.map((_, k) => q(`sqlml_margin_${k}`));
    // Fenced, so the planner keeps it a layer instead of copying the margins into every use.
    const layer = `(SELECT ${margins.map((m, k) => `${m} AS ${names[k]}`).join(', ')}${dialect.split.layerFence}) AS ${q('sqlml_margins')}`;
    const outputs = use(names.map((name) => `${q('sqlml_margins')}.${name}`));
    return Object.fromEntries(Object.entries(outputs).map(([name, sql]) => [name, `(SELECT ${sql} FROM ${layer})`]));
  }

  probabilityOf(columns: ColumnExpressions, label: string): string {
    const dialect = this.#dialect;
    const model = this.#model;
    if (model.task === 'regression') throw new Error('probabilityOf: a regression model gives no probabilities');
    return this.#onMargins(columns, (m) => {
      if (model.task === 'binary') return { p: binaryProbabilityOf(dialect, model, label, logistic(dialect, m[0]!)) };
      const lse = logSumExp(dialect, m);
      const whens = m.map((mc, c) => `WHEN ${isClass(dialect, model, label, c)} THEN ${softmaxProbability(dialect, mc, lse)}`);
      return { p: `(CASE ${whens.join(' ')} END)` };
    }).p!;
  }

  select(source: string, keep: readonly string[], probabilityOf?: string): string {
    const dialect = this.#dialect;
    const model = this.#model;
    const q = (name: string): string => dialect.quoteIdent(name);
    const fence = dialect.split.layerFence;
    const taken = new Set(keep.map((name) => name.toLowerCase()));
    let prefix = 'sqlml_';
    while ([...taken].some((name) => name.startsWith(prefix))) prefix = `_${prefix}`;
    const kept = keep.map(q);
    const list = (extra: readonly string[]): string => [...kept, ...extra].join(', ');
    const K = this.#weights.outputs;
    const marginNames = Array.from({ length: K }, (_, k) => `${prefix}margin_${k}`);
    const margins = this.#margins((name) => q(name));
    let layer = `(SELECT ${list(margins.map((m, k) => `${m} AS ${q(marginNames[k]!)}`))} FROM ${source} AS ${q(`${prefix}source`)}${fence}) AS ${q(`${prefix}margins`)}`;
    let outputs: Record<string, string>;
    if (model.task === 'regression') {
      outputs = { predicted_value: regressionValue(dialect, model, q(marginNames[0]!)) };
    } else if (model.task === 'binary') {
      let p: string;
      if (dialect.capabilities.materializedLayers === true) {
        // The logistic of the margins' column, inline where it is used: a few EXPs per
        // row cost less than writing every row to one more temporary table.
        p = logistic(dialect, q(marginNames[0]!));
      } else {
        p = q(`${prefix}probability`);
        layer = `(SELECT ${list([`${logistic(dialect, q(marginNames[0]!))} AS ${p}`])} FROM ${layer}${fence}) AS ${q(`${prefix}probabilities`)}`;
      }
      outputs = { predicted_label: binaryLabel(dialect, model, p), score: p };
      if (probabilityOf !== undefined) outputs[PROBABILITY_OF] = binaryProbabilityOf(dialect, model, probabilityOf, p);
    } else {
      const lse = `${prefix}lse`;
      layer = `(SELECT ${list([...marginNames.map(q), `${logSumExp(dialect, marginNames.map(q))} AS ${q(lse)}`])} FROM ${layer}${fence}) AS ${q(`${prefix}lse`)}`;
      const pNames = marginNames.map((_, c) => `${prefix}probability_${c}`);
      layer = `(SELECT ${list(marginNames.map((m, c) => `${softmaxProbability(dialect, q(m), q(lse))} AS ${q(pNames[c]!)}`))} FROM ${layer}${fence}) AS ${q(`${prefix}probabilities`)}`;
      const { label, score } = multiclassOutputs(dialect, model, pNames.map(q));
      outputs = { predicted_label: label, score };
      if (probabilityOf !== undefined) {
        const whens = pNames.map((p, c) => `WHEN ${isClass(dialect, model, probabilityOf, c)} THEN ${q(p)}`);
        outputs[PROBABILITY_OF] = `(CASE ${whens.join(' ')} END)`;
      }
    }
    const names = probabilityOf !== undefined && model.task !== 'regression' ? [...this.outputs.map((c) => c.name), PROBABILITY_OF] : this.outputs.map((c) => c.name);
    const columns = names.map((name) => `${outputs[name]} AS ${q(name)}`);
    return `SELECT ${list(columns)} FROM ${layer}`;
  }
}

/** The probability a binary model with P(positive) `p` gives the label `label` holds; NULL for neither class. */
function binaryProbabilityOf(dialect: SqlDialect, model: TrainedModel, label: string, p: string): string {
  return `(CASE WHEN ${isClass(dialect, model, label, 1)} THEN ${p} WHEN ${isClass(dialect, model, label, 0)} THEN ${doubleLiteral(dialect, 1)} - ${p} END)`;
}
