/**
 * The USING options of CREATE / TRAIN / RETRAIN MODEL and EVALUATE MODEL: their defaults
 * (Amazon Machine Learning's where it had one), validation with messages that name the
 * option and what it accepts, and the JSON form stored in the catalog and shown by DESCRIBE.
 */
import type { OptionAssignment, OptionValue } from './clauses.js';
import { SqlmlError } from '../errors.js';
import type { Task } from './types.js';

/** Training options after validation; every field has its final value. */
export interface ModelOptions {
  /** The task, or null to infer it from the target. */
  readonly type: Task | null;
  /** The positive label of a binary target as canonical text, or null for the default rule. */
  readonly positive: string | null;
  /** Maximum passes over the training data. */
  readonly passes: number;
  /** Initial step size, or null to let the learner choose. */
  readonly learningRate: number | null;
  readonly l1: number;
  /** L2 amount, or null to let the learner choose it on the validation rows (l2-path.ts). */
  readonly l2: number | null;
  /** Training fraction in (0, 1); null means `'none'`: train on every row, no held-out evaluation. */
  readonly split: number | null;
  /** Seed of the split, shuffling, sampling and feature hashing. */
  readonly seed: number;
  readonly shuffle: 'auto' | 'none';
  /** Binary score cut-off stored with the model. */
  readonly threshold: number;
  readonly classWeights: 'none' | 'balanced';
  /** Cap on the stored model's size, in bytes. */
  readonly maxModelSize: number;
  readonly earlyStopping: boolean;
  /** Tuning trials (0 = no tuning): src/learn/tuner.ts. */
  readonly tune: number;
  /**
   * What tuning compares trials by: a metric on the validation rows (TUNE_METRICS), or,
   * absent, the unweighted validation loss. Absent rather than null when not given, so the
   * stored options of a model trained without it keep their bytes.
   */
  readonly tuneMetric?: TuneMetric;
  /**
   * Where training runs (src/engine/train-engine.ts decides `'auto'`). Absent means
   * `'auto'`, and stays absent in the stored options unless given, so models trained
   * without it keep their bytes.
   */
  readonly engine?: TrainingEngine;
}

/** `USING engine = …` of CREATE / TRAIN / RETRAIN MODEL: streamed through sqlml, inside the database, or sqlml's choice. */
export type TrainingEngine = 'stream' | 'database' | 'auto';

/** The metrics `tune_metric` accepts per model type: EVALUATE's names (statements.md). */
export const TUNE_METRICS: Readonly<Record<Task, readonly TuneMetric[]>> = {
  binary: ['auc', 'log_loss', 'f1', 'accuracy'],
  multiclass: ['accuracy', 'macro_f1', 'log_loss'],
  regression: ['rmse', 'mae', 'r2'],
};
export type TuneMetric = 'auc' | 'log_loss' | 'f1' | 'accuracy' | 'macro_f1' | 'rmse' | 'mae' | 'r2';
const ALL_TUNE_METRICS: readonly TuneMetric[] = ['auc', 'log_loss', 'f1', 'accuracy', 'macro_f1', 'rmse', 'mae', 'r2'];

/** `tune_metric` for a model of `task`: throws `bad_option` naming the metrics that task accepts. */
export function checkTuneMetric(metric: TuneMetric, task: Task): void {
  if (!TUNE_METRICS[task].includes(metric)) {
    throw new SqlmlError('bad_option', `option tune_metric must be one of ${quoteAll(TUNE_METRICS[task])} for a ${task} model, got '${metric}'`);
  }
}

function quoteAll(words: readonly string[]): string {
  return words.map((w) => `'${w}'`).join(', ');
}

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;

/** The options of a model trained without USING (Amazon ML's defaults where it had them). */
export const DEFAULT_OPTIONS: ModelOptions = Object.freeze({
  type: null,
  positive: null,
  passes: 10,
  learningRate: null,
  l1: 0,
  l2: null,
  split: 0.7,
  seed: 1,
  shuffle: 'auto',
  threshold: 0.5,
  classWeights: 'none',
  maxModelSize: 100 * MB,
  earlyStopping: true,
  tune: 0,
});

/** Amazon ML's L2 amount: what a model trains with when the learner cannot choose one. */
export const DEFAULT_L2 = 1e-6;
/** Most tuning trials one training may run. */
export const MAX_TUNE = 200;

/** Amazon ML's bounds on its model size setting (100 KB to 2 GB), in binary units. */
const MIN_MODEL_SIZE = 100 * KB;
const MAX_MODEL_SIZE = 2 * GB;
const MAX_PASSES = 1000;

/** Option names in the order the spec lists them; the order of error messages and JSON. */
export const OPTION_NAMES = [
  'type',
  'positive',
  'passes',
  'learning_rate',
  'l1',
  'l2',
  'split',
  'seed',
  'shuffle',
  'threshold',
  'class_weights',
  'max_model_size',
  'early_stopping',
  'tune',
  'tune_metric',
  'engine',
] as const;

/** An option's name as written in USING and stored in JSON. */
export type OptionName = (typeof OPTION_NAMES)[number];

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A raw option value, as written in SQL or read back from stored JSON. */
type RawValue = OptionValue;

/** Applies one option to the options being built; throws `bad_option` naming the option. */
const APPLY: Record<OptionName, (target: Mutable<ModelOptions>, value: RawValue) => void> = {
  type: (o, v) => {
    const word = wordOf(v);
    if (word === 'binary' || word === 'multiclass' || word === 'regression') o.type = word;
    else if (word === 'auto') o.type = null;
    else throw invalid('type', "one of 'binary', 'multiclass', 'regression' or 'auto'", v);
  },
  positive: (o, v) => {
    // Canonical text, as the profiler keys target values: 1.0 → '1', TRUE → 'true'.
    o.positive = String(v.value);
  },
  passes: (o, v) => {
    const n = numberOf(v);
    if (n === null || !Number.isInteger(n) || n < 1 || n > MAX_PASSES) {
      throw invalid('passes', `a whole number from 1 to ${MAX_PASSES}`, v);
    }
    o.passes = n;
  },
  learning_rate: (o, v) => {
    if (wordOf(v) === 'auto') {
      o.learningRate = null;
      return;
    }
    const n = numberOf(v);
    if (n === null || !(n > 0) || !Number.isFinite(n)) {
      throw invalid('learning_rate', "a number greater than 0 or 'auto'", v);
    }
    o.learningRate = n;
  },
  l1: (o, v) => {
    o.l1 = nonNegative('l1', v);
  },
  l2: (o, v) => {
    if (wordOf(v) === 'auto') {
      o.l2 = null;
      return;
    }
    const n = numberOf(v);
    if (n === null || !(n >= 0) || !Number.isFinite(n)) throw invalid('l2', "a number of 0 or more or 'auto'", v);
    o.l2 = n;
  },
  split: (o, v) => {
    if (wordOf(v) === 'none') {
      o.split = null;
      return;
    }
    const n = numberOf(v);
    if (n === null || !(n > 0 && n < 1)) {
      throw invalid('split', "a fraction between 0 and 1 (exclusive) or 'none'", v);
    }
    o.split = n;
  },
  seed: (o, v) => {
    const n = numberOf(v);
    if (n === null || !Number.isSafeInteger(n)) throw invalid('seed', 'a whole number', v);
    o.seed = n;
  },
  shuffle: (o, v) => {
    const word = wordOf(v);
    if (word === 'auto' || (v.kind === 'boolean' && v.value)) o.shuffle = 'auto';
    else if (word === 'none' || (v.kind === 'boolean' && !v.value)) o.shuffle = 'none';
    else throw invalid('shuffle', "'auto' or 'none'", v);
  },
  threshold: (o, v) => {
    o.threshold = thresholdOf(v);
  },
  class_weights: (o, v) => {
    const word = wordOf(v);
    if (word === 'none' || word === 'balanced') o.classWeights = word;
    else throw invalid('class_weights', "'none' or 'balanced'", v);
  },
  max_model_size: (o, v) => {
    const bytes = sizeOf(v);
    if (bytes === null || bytes < MIN_MODEL_SIZE || bytes > MAX_MODEL_SIZE) {
      throw invalid(
        'max_model_size',
        "a size from '100KB' to '2GB' (a number of bytes, or with a KB, MB or GB suffix)",
        v,
      );
    }
    o.maxModelSize = bytes;
  },
  early_stopping: (o, v) => {
    const flag = booleanOf(v);
    if (flag === null) throw invalid('early_stopping', 'true or false', v);
    o.earlyStopping = flag;
  },
  tune: (o, v) => {
    const n = numberOf(v);
    if (n === null || !Number.isInteger(n) || n < 0 || n > MAX_TUNE) throw invalid('tune', `a whole number from 0 (no tuning) to ${MAX_TUNE}`, v);
    o.tune = n;
  },
  tune_metric: (o, v) => {
    const word = wordOf(v);
    const metric = ALL_TUNE_METRICS.find((m) => m === word);
    if (metric === undefined) {
      throw invalid('tune_metric', `one of ${quoteAll(ALL_TUNE_METRICS)} (binary: ${TUNE_METRICS.binary.join(', ')}; multiclass: ${TUNE_METRICS.multiclass.join(', ')}; regression: ${TUNE_METRICS.regression.join(', ')})`, v);
    }
    o.tuneMetric = metric;
  },
  engine: (o, v) => {
    const word = wordOf(v);
    if (word === 'stream' || word === 'database' || word === 'auto') o.engine = word;
    else throw invalid('engine', "'stream', 'database' or 'auto'", v);
  },
};

/**
 * Applies USING assignments on top of `base` (the defaults, or a stored model's options
 * for RETRAIN). Each option may appear once.
 */
export function resolveOptions(
  assignments: readonly OptionAssignment[],
  base: ModelOptions = DEFAULT_OPTIONS,
): ModelOptions {
  const result: Mutable<ModelOptions> = { ...base };
  const seen = new Set<string>();
  for (const assignment of assignments) {
    const name = assignment.name.toLowerCase();
    if (!isOptionName(name)) {
      throw new SqlmlError(
        'bad_option',
        `unknown option '${assignment.name}' (options: ${OPTION_NAMES.join(', ')})`,
      );
    }
    if (seen.has(name)) throw new SqlmlError('bad_option', `option ${name} is given more than once`);
    seen.add(name);
    APPLY[name](result, assignment.value);
  }
  return Object.freeze(result);
}

/** EVALUATE MODEL accepts only `threshold`; null means "the model's stored threshold". */
export function resolveEvaluateOptions(assignments: readonly OptionAssignment[]): {
  threshold: number | null;
} {
  let threshold: number | null = null;
  let seen = false;
  for (const assignment of assignments) {
    const name = assignment.name.toLowerCase();
    if (name !== 'threshold') {
      const what = isOptionName(name) ? `option ${name} is` : `unknown option '${assignment.name}' is`;
      throw new SqlmlError('bad_option', `${what} not accepted by EVALUATE MODEL (options: threshold)`);
    }
    if (seen) throw new SqlmlError('bad_option', 'option threshold is given more than once');
    seen = true;
    threshold = thresholdOf(assignment.value);
  }
  return { threshold };
}

/**
 * The options as a JSON object with the spec's snake_case names, for the catalog and
 * DESCRIBE: inferred/automatic values read 'auto', `split` null reads 'none', sizes read
 * like '100MB' when they are a whole number of KB/MB/GB.
 */
export function optionsToJson(o: ModelOptions): Partial<Record<OptionName, string | number | boolean | null>> {
  return {
    type: o.type ?? 'auto',
    positive: o.positive,
    passes: o.passes,
    learning_rate: o.learningRate ?? 'auto',
    l1: o.l1,
    l2: o.l2 ?? 'auto',
    split: o.split ?? 'none',
    seed: o.seed,
    shuffle: o.shuffle,
    threshold: o.threshold,
    class_weights: o.classWeights,
    max_model_size: formatSize(o.maxModelSize),
    early_stopping: o.earlyStopping,
    tune: o.tune,
    // Only when given: the options of models trained without it read as they always did.
    ...(o.tuneMetric === undefined ? {} : { tune_metric: o.tuneMetric }),
    ...(o.engine === undefined ? {} : { engine: o.engine }),
  };
}

/**
 * Reads options back from `optionsToJson`'s form (a stored model's options), validating
 * every value as USING would; missing keys take the defaults.
 */
export function optionsFromJson(json: unknown): ModelOptions {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SqlmlError('bad_option', 'stored model options are not a JSON object');
  }
  const result: Mutable<ModelOptions> = { ...DEFAULT_OPTIONS };
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (!isOptionName(name)) {
      throw new SqlmlError(
        'bad_option',
        `unknown option '${name}' (options: ${OPTION_NAMES.join(', ')})`,
      );
    }
    if (raw === null) {
      if (name !== 'positive') throw invalid(name, 'a value', { kind: 'identifier', value: 'null' });
      result.positive = null;
      continue;
    }
    APPLY[name](result, jsonValue(name, raw));
  }
  return Object.freeze(result);
}

/** '100MB', '512KB', '1GB' for whole multiples, else the number of bytes as text. */
export function formatSize(bytes: number): string {
  if (bytes % GB === 0) return `${bytes / GB}GB`;
  if (bytes % MB === 0) return `${bytes / MB}MB`;
  if (bytes % KB === 0) return `${bytes / KB}KB`;
  return String(bytes);
}

function isOptionName(name: string): name is OptionName {
  return (OPTION_NAMES as readonly string[]).includes(name);
}

function jsonValue(name: string, raw: unknown): RawValue {
  switch (typeof raw) {
    case 'number':
      return { kind: 'number', value: raw, text: String(raw) };
    case 'string':
      return { kind: 'string', value: raw };
    case 'boolean':
      return { kind: 'boolean', value: raw };
    default:
      throw new SqlmlError('bad_option', `stored option ${name} has a ${typeof raw} value`);
  }
}

function invalid(name: string, accepts: string, value: RawValue): SqlmlError {
  return new SqlmlError('bad_option', `option ${name} must be ${accepts}, got ${render(value)}`);
}

/** The value as the user wrote it: strings and words quoted, numbers as written. */
function render(value: RawValue): string {
  switch (value.kind) {
    case 'number':
      return value.text;
    case 'boolean':
      return String(value.value);
    default:
      return `'${value.value}'`;
  }
}

/** A bare word or string, lower-cased; null for numbers and booleans. */
function wordOf(value: RawValue): string | null {
  return value.kind === 'string' || value.kind === 'identifier' ? value.value.trim().toLowerCase() : null;
}

/** A number literal or a string holding one ('10'); null otherwise. */
function numberOf(value: RawValue): number | null {
  if (value.kind === 'number') return value.value;
  if (value.kind === 'string') {
    const text = value.value.trim();
    if (text === '') return null;
    const n = Number(text);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function booleanOf(value: RawValue): boolean | null {
  if (value.kind === 'boolean') return value.value;
  if (value.kind === 'number') return value.value === 1 ? true : value.value === 0 ? false : null;
  const word = wordOf(value);
  if (word === 'true' || word === 'on' || word === 'yes') return true;
  if (word === 'false' || word === 'off' || word === 'no') return false;
  return null;
}

function nonNegative(name: OptionName, value: RawValue): number {
  const n = numberOf(value);
  if (n === null || !(n >= 0) || !Number.isFinite(n)) throw invalid(name, 'a number of 0 or more', value);
  return n;
}

function thresholdOf(value: RawValue): number {
  const n = numberOf(value);
  if (n === null || !(n >= 0 && n <= 1)) throw invalid('threshold', 'a number from 0 to 1', value);
  return n;
}

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|k|m|g|kib|mib|gib)?$/;
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  k: KB,
  kb: KB,
  kib: KB,
  m: MB,
  mb: MB,
  mib: MB,
  g: GB,
  gb: GB,
  gib: GB,
};

/** Bytes of '100MB' / '512 kb' / 1048576; units are binary (1KB = 1024 bytes), as in database settings. */
function sizeOf(value: RawValue): number | null {
  if (value.kind === 'number') return Number.isInteger(value.value) ? value.value : null;
  const word = wordOf(value);
  if (word === null) return null;
  const match = SIZE_PATTERN.exec(word);
  if (match === null) return null;
  const bytes = Number(match[1]) * UNIT_BYTES[match[2] ?? 'b']!;
  return Number.isInteger(bytes) ? bytes : Math.round(bytes);
}
