/**
 * EVALUATE MODEL … USING output = 'confusion' | 'roc' | 'thresholds' | 'classes': an
 * evaluation's details (evaluation.ts) as tables instead of the one row of metrics.
 * - confusion: one row per actual label (`actual_label`), one column per predicted label;
 * - roc (binary): the ROC curve's points `threshold, fpr, tpr` as stored (up to 101
 *   points; the first, threshold NULL, is (0, 0): nothing predicted positive);
 * - thresholds (binary): at each threshold t = k/1000, k = 0…1000, the counts of rows
 *   predicted positive (score ≥ t) and the rest: `tp, fp, tn, fn, precision, recall`
 *   (precision NULL where no row is predicted positive);
 * - classes: per label `precision, recall, f1, support` (binary: at the model's threshold).
 */
import type { ResultColumn, ResultTable, Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import type { LabelSpec } from '../learn/label.js';
import type { Task } from '../learn/types.js';
import type { OptionAssignment } from '../sql/ast.js';
import type { Evaluation, ThresholdTable } from './evaluation.js';

export type EvaluationOutput = 'confusion' | 'roc' | 'thresholds' | 'classes';
const OUTPUTS: readonly EvaluationOutput[] = ['confusion', 'roc', 'thresholds', 'classes'];
/** Outputs of binary models only. */
const BINARY_ONLY: readonly EvaluationOutput[] = ['roc', 'thresholds'];

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
  if (task !== 'binary' && BINARY_ONLY.includes(output)) {
    throw new SqlmlError('bad_option', `output = '${output}' applies to binary models; model ${model} is ${task} (outputs: 'confusion', 'classes')`);
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
      const roc = need<{ fpr: number[]; tpr: number[]; thresholds: (number | null)[] }>('roc');
      const rows: Value[][] = roc.fpr.map((fpr, i) => [finiteOrNull(roc.thresholds[i]), fpr, roc.tpr[i]!]);
      return { command, columns: [{ name: 'threshold', type: 'double' }, { name: 'fpr', type: 'double' }, { name: 'tpr', type: 'double' }], rows };
    }
    case 'thresholds':
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
