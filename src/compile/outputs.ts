/**
 * From margins to the prediction columns, as src/engine/predict.ts's Scorer and
 * src/learn/sgd.ts's predict compute them: binary, P(positive) = the logistic of the
 * margin (on the side where the exponential cannot overflow) and the positive label when
 * it is ≥ the stored threshold; multiclass, softmax probabilities exp(m − logΣexp) with
 * the largest margin subtracted, the label the first class of the largest probability
 * and the score that probability; regression, margin × std + mean.
 */
import type { SqlDialect } from '../../adapters/dialect.js';
import type { TrainedModel } from '../learn/model.js';
import { doubleLiteral, labelLiteral, textEquals } from './sql-values.js';

/** P(positive) of a binary margin `m` (repeated in the text: a column or a parenthesized expression). */
export function logistic(dialect: SqlDialect, m: string): string {
  const one = doubleLiteral(dialect, 1);
  return `(CASE WHEN ${m} >= 0 THEN ${one} / (${one} + ${dialect.safeExp(`(-${m})`)}) ELSE ${dialect.safeExp(m)} / (${one} + ${dialect.safeExp(m)}) END)`;
}

/** log Σ exp(m_c) with the largest margin subtracted first, summed in class order as loss.ts logSumExp. */
export function logSumExp(dialect: SqlDialect, margins: readonly string[]): string {
  const max = `GREATEST(${margins.join(', ')})`;
  const terms = margins.map((m) => dialect.safeExp(`(${m} - ${max})`));
  const sum = terms.reduce((acc, term) => `(${acc} + ${term})`, doubleLiteral(dialect, 0));
  return `(${max} + LN(${sum}))`;
}

/** exp(m − lse): one class's softmax probability. */
export function softmaxProbability(dialect: SqlDialect, m: string, lse: string): string {
  return dialect.safeExp(`(${m} - ${lse})`);
}

/** The label of the first class whose probability is the largest, and that probability. */
export function multiclassOutputs(dialect: SqlDialect, model: TrainedModel, probabilities: readonly string[]): { label: string; score: string } {
  const best = `GREATEST(${probabilities.join(', ')})`;
  const whens = probabilities.map((p, c) => `WHEN ${p} = ${best} THEN ${labelLiteral(dialect, model.target, model.label.classes[c]!)}`);
  return { label: `(CASE ${whens.join(' ')} END)`, score: best };
}

export function binaryLabel(dialect: SqlDialect, model: TrainedModel, p: string): string {
  const [negative, positive] = model.label.classes;
  return `(CASE WHEN ${p} >= ${doubleLiteral(dialect, model.options.threshold)} THEN ${labelLiteral(dialect, model.target, positive!)} ELSE ${labelLiteral(dialect, model.target, negative!)} END)`;
}

export function regressionValue(dialect: SqlDialect, model: TrainedModel, m: string): string {
  return `((${m} * ${doubleLiteral(dialect, model.label.std)}) + ${doubleLiteral(dialect, model.label.mean)})`;
}

/**
 * The multiclass outputs straight from the margins, for where no layer can hold them:
 * the label of the first class of the largest margin, and its probability
 * exp(max − logΣexp). The Scorer takes the first class of the largest probability;
 * the two differ only where two different margins round to one probability.
 */
export function multiclassInline(dialect: SqlDialect, model: TrainedModel, margins: readonly string[]): { label: string; score: string } {
  const max = `GREATEST(${margins.join(', ')})`;
  const whens = margins.map((m, c) => `WHEN ${m} = ${max} THEN ${labelLiteral(dialect, model.target, model.label.classes[c]!)}`);
  return { label: `(CASE ${whens.join(' ')} END)`, score: softmaxProbability(dialect, max, logSumExp(dialect, margins)) };
}

/** `label = <class>` in the target's type, text byte for byte. */
export function isClass(dialect: SqlDialect, model: Pick<TrainedModel, 'target' | 'label'>, label: string, classIndex: number): string {
  const literal = labelLiteral(dialect, model.target, model.label.classes[classIndex]!);
  const type = model.target.type;
  return type === 'text' || type === 'other' ? textEquals(dialect, label, literal) : `${label} = ${literal}`;
}
