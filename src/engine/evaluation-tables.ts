/**
 * EVALUATE MODEL … USING output = 'confusion' | 'roc' | 'thresholds' | 'classes': an
 * evaluation's details (evaluation.ts) as tables instead of the one row of metrics.
 * - confusion: one row per actual label (`actual_label`), one column per predicted label;
 * - roc (binary): the ROC curve's points `threshold, fpr, tpr` as stored (up to 101
 *   points; the first, threshold NULL, is (0, 0): nothing predicted positive);
 * - thresholds (binary): at each threshold t = k/1000, k = 0…1000, the counts of rows
 *   predicted positive (score ≥ t) and the rest: `tp, fp, tn, fn, precision, recall`
 *   (precision NULL where no row is predicted positive);
 * - roc and thresholds (multiclass): one-vs-rest, per class first (a `class` column in
 *   the label's own type): class c against all others, scored by P(c). Both come from
 *   the counts per threshold step of 1/1000, so the ROC points are those steps at which
 *   the counts change (exact there; the binary curve is from the exact scores);
 * - classes: per label `precision, recall, f1, support` (binary: at the model's threshold).
 */
import type { ResultColumn, ResultTable, Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import { labelValue, type LabelSpec } from '../learn/label.js';
import type { Task } from '../learn/types.js';
import type { OptionAssignment } from '../sql/ast.js';
import type { Evaluation, ThresholdTable } from './evaluation.js';

export type EvaluationOutput = 'confusion' | 'roc' | 'thresholds' | 'classes';
const OUTPUTS: readonly EvaluationOutput[] = ['confusion', 'roc', 'thresholds', 'classes'];

/** Takes `output` out of EVALUATE's options (null: the metrics row); the others are returned. */
export function takeOutputOption(options: readonly OptionAssignment[]): { output: EvaluationOutput | null; rest: OptionAssignment[] } {
  let output: EvaluationOutput | null = null;
  const rest: OptionAssignment[] = [];
  for (const option of options) {
    if (option.name !== 'output') {
      rest.push(option);
      continue;
    }
    const value = option.value.kind === 'string' || option.value.kind === 'identifier' ? option.value.value.toLowerCase() : null;
    const found = OUTPUTS.find((o) => o === value);
    if (found === undefined) {
      throw new SqlmlError('bad_option', `option output of EVALUATE MODEL must be one of ${OUTPUTS.map((o) => `'${o}'`).join(', ')}, got ${String(option.value.value)}`);
    }
    output = found;
  }
  return { output, rest };
}

/** Refuses an output the model's task has no table for, before any work. */
export function checkOutput(output: EvaluationOutput, task: Task, model: string): void {
  if (task === 'regression') {
    throw new SqlmlError('bad_option', `option output of EVALUATE MODEL applies to classifiers; model ${model} is a regression (its metrics row is all there is)`);
  }
}

/**
 * The table of `output` from `evaluation`; `missing` says how to get it when the
 * evaluation (a stored one from an earlier sqlml) does not hold what it needs.
 */
export function evaluationTable(output: EvaluationOutput, evaluation: Evaluation, label: LabelSpec, missing: string): ResultTable {
  const details = evaluation.details;
  const need = <T>(key: string): T => {
    const value = details[key];
    if (value === undefined || value === null) throw new SqlmlError('bad_option', `the stored evaluation has no ${key} table; ${missing}`);
    return value as T;
  };
  const command = 'EVALUATE MODEL';
  const binary = evaluation.task === 'binary';
  const labels = binary ? [label.negative ?? 'false', label.positive ?? 'true'] : label.classes;
  switch (output) {
    case 'confusion': {
      const matrix = binary ? binaryMatrix(need('confusion')) : need<number[][]>('confusion');
      const classes = binary ? labels : need<string[]>('classes');
      const columns: ResultColumn[] = [{ name: 'actual_label', type: 'text' }, ...classes.map((name) => ({ name: String(name), type: 'bigint' as const }))];
      return { command, columns, rows: classes.map((name, a) => [name, ...matrix[a]!]) };
    }
    case 'roc': {
      if (!binary) {
        const rows = need<ThresholdTable[]>('one_vs_rest').flatMap((table, c) => thresholdRoc(table).map((point) => [labelValue(label, c), ...point]));
        return { command, columns: [classColumn(label), { name: 'threshold', type: 'double' }, { name: 'fpr', type: 'double' }, { name: 'tpr', type: 'double' }], rows };
      }
      const roc = need<{ fpr: number[]; tpr: number[]; thresholds: (number | null)[] }>('roc');
      const rows: Value[][] = roc.fpr.map((fpr, i) => [finiteOrNull(roc.thresholds[i]), fpr, roc.tpr[i]!]);
      return { command, columns: [{ name: 'threshold', type: 'double' }, { name: 'fpr', type: 'double' }, { name: 'tpr', type: 'double' }], rows };
    }
    case 'thresholds':
      if (!binary) {
        const rows = need<ThresholdTable[]>('one_vs_rest').flatMap((table, c) => thresholdRows(table).map((row) => [labelValue(label, c), ...row]));
        return { command, columns: [classColumn(label), ...THRESHOLD_COLUMNS], rows };
      }
      return { command, columns: THRESHOLD_COLUMNS, rows: thresholdRows(need<ThresholdTable>('threshold_table')) };
    case 'classes': {
      const perClass = binary ? binaryClasses(need('confusion'), labels) : need<{ label: string; precision: number; recall: number; f1: number; support: number }[]>('per_class');
      return {
        command,
        columns: [
          { name: 'label', type: 'text' },
          { name: 'precision', type: 'double' },
          { name: 'recall', type: 'double' },
          { name: 'f1', type: 'double' },
          { name: 'support', type: 'bigint' },
        ],
        rows: perClass.map((c) => [c.label, c.precision, c.recall, c.f1, c.support]),
      };
    }
  }
}

interface Counts {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

/** Rows actual [negative, positive], columns predicted [negative, positive]. */
function binaryMatrix(c: Counts): number[][] {
  return [
    [c.tn, c.fp],
    [c.fn, c.tp],
  ];
}

function binaryClasses(c: Counts, labels: readonly string[]): { label: string; precision: number; recall: number; f1: number; support: number }[] {
  const of = (label: string, hit: number, falseHit: number, miss: number) => {
    const precision = hit + falseHit > 0 ? hit / (hit + falseHit) : 0;
    const recall = hit + miss > 0 ? hit / (hit + miss) : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support: hit + miss };
  };
  return [of(labels[0]!, c.tn, c.fn, c.fp), of(labels[1]!, c.tp, c.fp, c.fn)];
}

const THRESHOLD_COLUMNS: ResultColumn[] = [
  { name: 'threshold', type: 'double' },
  { name: 'tp', type: 'bigint' },
  { name: 'fp', type: 'bigint' },
  { name: 'tn', type: 'bigint' },
  { name: 'fn', type: 'bigint' },
  { name: 'precision', type: 'double' },
  { name: 'recall', type: 'double' },
];

/** At t = k/steps the rows predicted positive are those of steps k and above (evaluation.ts's ThresholdTable). */
function thresholdRows(table: ThresholdTable): Value[][] {
  const { steps, positive, negative } = table;
  const P = positive.reduce((a, b) => a + b, 0);
  const N = negative.reduce((a, b) => a + b, 0);
  const rows: Value[][] = new Array(steps + 1);
  let tp = 0;
  let fp = 0;
  for (let k = steps; k >= 0; k--) {
    tp += positive[k]!;
    fp += negative[k]!;
    rows[k] = [k / steps, tp, fp, N - fp, P - tp, tp + fp > 0 ? tp / (tp + fp) : null, P > 0 ? tp / P : null];
  }
  return rows;
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The class of a one-vs-rest row, in the label's own type (an integer target's classes are integers). */
function classColumn(label: LabelSpec): ResultColumn {
  return { name: 'class', type: label.columnType };
}

/**
 * One class's ROC points from its counts per threshold step: (NULL, 0, 0) first (nothing
 * predicted positive), then, from the highest step down, a point at each step k/steps
 * where the counts change; the last is at 0 (everything positive). fpr/tpr NULL when the
 * class has no negative/positive rows.
 */
function thresholdRoc(table: ThresholdTable): Value[][] {
  const { steps, positive, negative } = table;
  const P = positive.reduce((a, b) => a + b, 0);
  const N = negative.reduce((a, b) => a + b, 0);
  const rate = (count: number, total: number): number | null => (total > 0 ? count / total : null);
  const points: Value[][] = [[null, rate(0, N), rate(0, P)]];
  let tp = 0;
  let fp = 0;
  for (let k = steps; k >= 0; k--) {
    tp += positive[k]!;
    fp += negative[k]!;
    if (positive[k]! + negative[k]! > 0 || k === 0) points.push([k / steps, rate(fp, N), rate(tp, P)]);
  }
  return points;
}
