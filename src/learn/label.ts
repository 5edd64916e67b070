/**
 * The target column: which task it makes (binary, multiclass, regression) and why, the
 * positive label of a binary target, and the mapping between target values and the
 * learner's y (0/1, a class index, or the standardized value) in both directions.
 * Labels are compared by the canonical text the profiler keys values by, so 1, 1.0 and
 * a text '1' are one label, and TRUE is 'true'. A value a double cannot hold (a BIGINT
 * near 2^63, a DECIMAL(38,10)) is keyed by its exact text, so two such values stay two
 * labels and a predicted label is written back as exactly that value.
 */
import { exactTextOf, isNumberType } from '../data.js';
import type { Column, ColumnData, ColumnType, Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import type { ModelOptions } from './options.js';
import { valueKey } from './profile.js';
import type { ColumnProfile } from './profile.js';
import type { Task } from './types.js';

/** Beyond this many distinct integers a numeric target is a regression. */
export const MAX_INTEGER_CLASSES = 20;
/** The most classes a multiclass model may have (the profiler's exact distinct cap). */
export const MAX_CLASSES = 1000;

export interface LabelSpec {
  readonly task: Task;
  /** The rule that decided the task, as a sentence fragment for DESCRIBE. */
  readonly reason: string;
  readonly column: string;
  /** The target's type at training, so predicted labels come back as the target's own values. */
  readonly columnType: ColumnType;
  /** Binary only: the canonical text of the positive and negative labels. */
  readonly positive: string | null;
  readonly negative: string | null;
  /** Binary: why that label is positive; null otherwise. */
  readonly positiveReason: string | null;
  /** Multiclass: the labels in sorted order (numerically for numeric targets); binary: [negative, positive]; regression: []. */
  readonly classes: readonly string[];
  /** Regression: the training mean and standard deviation of the target (the learner sees (y - mean) / std); else 0 and 1. */
  readonly mean: number;
  readonly std: number;
  /** Training occurrences of each entry of `classes`. */
  readonly counts: readonly number[];
}

const NUMERIC_TARGET_TYPES: ReadonlySet<ColumnType> = new Set(['integer', 'bigint', 'double', 'decimal']);
/** Values that name the positive class of a binary target, in order of preference (compared in lower case). */
const POSITIVE_WORDS = ['true', '1', 'yes', 'y', 't'];

/** Decides the task and the label encoding from the target column's profile and the options. */
export function inferLabel(profile: ColumnProfile, options: ModelOptions): LabelSpec {
  const name = profile.name;
  if (profile.count === 0) {
    throw new SqlmlError('bad_target', `target column ${name} has no non-NULL values`);
  }
  const distinct = profile.distinct;
  const keys = distinct === null ? null : sortLabels([...distinct.keys()], profile.type);
  if (keys !== null && keys.length === 1) {
    throw new SqlmlError(
      'bad_target',
      `target column ${name} has only one value '${clip(keys[0]!)}': a model needs at least two`,
    );
  }
  const numeric = NUMERIC_TARGET_TYPES.has(profile.type);
  const { task, reason } = chooseTask(profile, options, keys, numeric);
  if (options.positive !== null && task !== 'binary') {
    throw new SqlmlError(
      'bad_option',
      `option positive applies only to binary models, but target column ${name} makes a ${task} model (${reason})`,
    );
  }
  if (task === 'regression') {
    if (!Number.isFinite(profile.variance) || !Number.isFinite(profile.mean)) {
      // Squares of values near 1e154 and up overflow a double: the steps would be NaN.
      throw new SqlmlError(
        'bad_target',
        `target column ${name} has values too large to learn from (${profile.min} to ${profile.max}): their variance overflows a double, so scale the target down (e.g. divide it by 1e100) or exclude those rows`,
      );
    }
    const std = Math.sqrt(profile.variance);
    return {
      task,
      reason,
      column: name,
      columnType: profile.type,
      positive: null,
      negative: null,
      positiveReason: null,
      classes: [],
      mean: profile.mean,
      // A constant target with overflowed distinct values cannot happen; guard the division anyway.
      std: std > 0 && Number.isFinite(std) ? std : 1,
      counts: [],
    };
  }
  const labels = keys!;
  const counts = labels.map((key) => distinct!.get(key)!);
  if (task === 'multiclass') {
    return {
      task,
      reason,
      column: name,
      columnType: profile.type,
      positive: null,
      negative: null,
      positiveReason: null,
      classes: labels,
      mean: 0,
      std: 1,
      counts,
    };
  }
  const { index, why } = choosePositive(name, labels, counts, options.positive);
  const positive = labels[index]!;
  const negative = labels[1 - index]!;
  return {
    task,
    reason: options.type === null ? `two distinct values: ${clip(positive)}, ${clip(negative)}` : reason,
    column: name,
    columnType: profile.type,
    positive,
    negative,
    positiveReason: why,
    classes: [negative, positive],
    mean: 0,
    std: 1,
    counts: [counts[1 - index]!, counts[index]!],
  };
}

function chooseTask(
  profile: ColumnProfile,
  options: ModelOptions,
  keys: readonly string[] | null,
  numeric: boolean,
): { task: Task; reason: string } {
  const name = profile.name;
  const distinctText = keys === null ? `more than ${MAX_CLASSES}` : String(keys.length);
  if (options.type !== null) {
    const task = options.type;
    if (task === 'regression' && !numeric) {
      throw new SqlmlError(
        'bad_target',
        `type regression needs a numeric target, but target column ${name} is ${profile.type}`,
      );
    }
    if (task === 'binary' && (keys === null || keys.length !== 2)) {
      throw new SqlmlError(
        'bad_target',
        `target column ${name} has ${distinctText} distinct values but type binary needs exactly two (predict an expression such as ${name} = 'x' instead)`,
      );
    }
    if (task === 'multiclass' && keys === null) throw tooManyClasses(name, numeric);
    return { task, reason: `type = ${task} was given` };
  }
  if (keys !== null && keys.length === 2) return { task: 'binary', reason: 'two distinct values' };
  if (numeric && !profile.integral) return { task: 'regression', reason: 'numeric target with non-integer values' };
  if (numeric && (keys === null || keys.length > MAX_INTEGER_CLASSES)) {
    return {
      task: 'regression',
      reason: `numeric target with ${distinctText} distinct values (more than ${MAX_INTEGER_CLASSES})`,
    };
  }
  if (keys === null) throw tooManyClasses(name, numeric);
  const kind = numeric ? `integer values (${MAX_INTEGER_CLASSES} or fewer)` : `${profile.type} labels`;
  return { task: 'multiclass', reason: `${keys.length} distinct ${kind}` };
}

function tooManyClasses(name: string, numeric: boolean): SqlmlError {
  return new SqlmlError(
    'bad_target',
    `target column ${name} has more than ${MAX_CLASSES} distinct values, too many classes for a multiclass model${numeric ? ' (use type = regression)' : ''}`,
  );
}

/** Index (0 or 1) of the positive label among the two sorted labels, and why. */
function choosePositive(
  name: string,
  labels: readonly string[],
  counts: readonly number[],
  requested: string | null,
): { index: number; why: string } {
  if (requested !== null) {
    const index = findLabel(labels, requested);
    if (index < 0) {
      throw new SqlmlError(
        'bad_target',
        `positive label '${clip(requested)}' is not a value of target column ${name} (values: ${labels.map(clip).join(', ')})`,
      );
    }
    return { index, why: 'option positive' };
  }
  for (const word of POSITIVE_WORDS) {
    const index = labels.findIndex((label) => label.toLowerCase() === word);
    if (index >= 0) return { index, why: `the label reads as ${word}` };
  }
  // Less frequent label; on a tie the later one in sort order.
  const index = counts[0]! < counts[1]! ? 0 : 1;
  return { index, why: counts[0] === counts[1] ? 'equal counts: the later label in sort order' : 'the less frequent label' };
}

/** Exact match, else case-insensitive, else numerically equal ('1.0' finds '1'). */
function findLabel(labels: readonly string[], wanted: string): number {
  let index = labels.indexOf(wanted);
  if (index >= 0) return index;
  const lower = wanted.toLowerCase();
  index = labels.findIndex((label) => label.toLowerCase() === lower);
  if (index >= 0) return index;
  const number = wanted.trim() === '' ? Number.NaN : Number(wanted);
  return Number.isFinite(number) ? labels.findIndex((label) => Number(label) === number) : -1;
}

/** Numeric and boolean labels in numeric order, others by UTF-16 code units (locale-independent). */
function sortLabels(keys: string[], type: ColumnType): string[] {
  if (NUMERIC_TARGET_TYPES.has(type)) return keys.sort(compareNumericKeys);
  return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Numeric order of two canonical number texts, exact where their doubles tie (9223372036854775806 < …807). */
export function compareNumericKeys(a: string, b: string): number {
  const difference = Number(a) - Number(b);
  if (difference !== 0 || a === b || Number.isNaN(difference)) return difference || 0;
  const [aWhole = '', aFraction = ''] = a.split('.');
  const [bWhole = '', bFraction = ''] = b.split('.');
  const digits = Math.max(aFraction.length, bFraction.length);
  try {
    const x = BigInt(aWhole + aFraction.padEnd(digits, '0'));
    const y = BigInt(bWhole + bFraction.padEnd(digits, '0'));
    return x < y ? -1 : x > y ? 1 : 0;
  } catch {
    // Exponent forms ('1e+21') tie only with themselves in practice; keep the text order.
    return a < b ? -1 : 1;
  }
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** The canonical text of a target value (as the profiler keys it); null for NULL, NaN and ±Infinity. */
export function labelKey(column: Column, data: ColumnData, row: number): string | null {
  if (data.kind === 'text') return data.values[row] ?? null;
  const v = data.values[row]!;
  if (data.nulls[row] === 1 || !Number.isFinite(v)) return null;
  return data.exact?.[row] ?? valueKey(column.type, v);
}

/**
 * Whether a label is a BIGINT or DECIMAL value a double cannot hold, so it travels as its
 * text (by the same rule the readers keep exact texts by; a double target never is).
 */
export function isExactLabel(key: string, type: ColumnType): boolean {
  return exactTextOf(type, key, Number(key)) !== undefined;
}

/** A class label back as the target's own kind of value: a number, a boolean or text. */
export function labelValue(spec: LabelSpec, classIndex: number): Value {
  const key = spec.classes[classIndex];
  if (key === undefined) return null;
  if (spec.columnType === 'boolean') return key === 'true';
  if (NUMERIC_TARGET_TYPES.has(spec.columnType)) return isExactLabel(key, spec.columnType) ? key : Number(key);
  return key;
}

/**
 * Turns target values of a batch into the learner's y and back. Lookups are by number
 * for numeric columns and by string for text ones, so encoding allocates nothing.
 */
export class LabelEncoder {
  readonly spec: LabelSpec;
  private readonly byNumber = new Map<number, number>();
  private readonly byText = new Map<string, number>();
  private readonly numericInput: boolean;

  /** `column` is the target as it appears in the stream being encoded (training or evaluation). */
  constructor(spec: LabelSpec, column: Column) {
    this.spec = spec;
    this.numericInput = isNumberType(column.type);
    spec.classes.forEach((key, index) => {
      this.byText.set(key, index);
      // A label a double cannot hold is found by its exact text only: by number it would
      // take its neighbours' rows (every BIGINT near 2^63 is the same double).
      if (isExactLabel(key, spec.columnType)) return;
      const number = numberOfKey(key, column.type);
      if (!Number.isNaN(number)) this.byNumber.set(number, index);
    });
  }

  /** y for the learner: binary 0/1, multiclass class index, regression (v - mean) / std; NaN for NULL or a class unseen at training. */
  encode(data: ColumnData, row: number): number {
    const spec = this.spec;
    if (data.kind === 'number') {
      const v = data.values[row]!;
      if (data.nulls[row] === 1 || !Number.isFinite(v)) return Number.NaN;
      if (spec.task === 'regression') return (v - spec.mean) / spec.std;
      if (!this.numericInput) return Number.NaN;
      const exact = data.exact?.[row];
      return exact === undefined ? (this.byNumber.get(v) ?? Number.NaN) : (this.byText.get(exact) ?? Number.NaN);
    }
    const text = data.values[row];
    if (text === null || text === undefined) return Number.NaN;
    if (spec.task === 'regression') {
      const v = text.trim() === '' ? Number.NaN : Number(text);
      return Number.isFinite(v) ? (v - spec.mean) / spec.std : Number.NaN;
    }
    return this.byText.get(text) ?? Number.NaN;
  }

  /** A regression prediction back on the target's scale. */
  decodeValue(standardized: number): number {
    return standardized * this.spec.std + this.spec.mean;
  }

  /** The canonical text of class `classIndex` (binary: 0 negative, 1 positive). */
  label(classIndex: number): string {
    const key = this.spec.classes[classIndex];
    if (key === undefined) {
      throw new SqlmlError('internal', `class index ${classIndex} is outside the ${this.spec.classes.length} classes of target ${this.spec.column}`);
    }
    return key;
  }
}

/** The number a label's canonical text stands for in a number-typed column; NaN if none. */
function numberOfKey(key: string, type: ColumnType): number {
  switch (type) {
    case 'boolean':
      return key === 'true' ? 1 : key === 'false' ? 0 : Number.NaN;
    case 'date':
    case 'timestamp':
      return Date.parse(key);
    default:
      return key.trim() === '' ? Number.NaN : Number(key);
  }
}
