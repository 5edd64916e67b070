/**
 * The stored model's format: how a TrainedModel becomes the text the catalog keeps, and
 * back. Two layers, each with its version:
 * - the envelope, JSON tagged MODEL_FORMAT: the label mapping, the target and input
 *   columns, the recipe, the RECIPE clause, the options, and the learner's bytes as base64;
 * - the learner's bytes, little-endian: a HEADER_BYTES header (LEARNER_MAGIC, version,
 *   task, layout, flags, dimension, classes, l1, l2, learning rate, seed), the K biases
 *   as Float64, then the weights, dense, or as (index, K weights) rows for the features
 *   with a non-zero weight when that is smaller.
 * Only what prediction needs is stored, so the same model always gives the same bytes.
 * Models stored by earlier sqlml versions must keep loading (test/learn/old-models.test.ts).
 */
import type { Column } from '../data.js';
import { SqlmlError } from '../errors.js';
import type { LabelSpec } from './label.js';
import type { Transform } from './clauses.js';
import type { TrainedModel } from './model.js';
import type { ModelOptions } from './options.js';
import type { Recipe } from './recipe-format.js';
import { OnlineLearner, validateLearnerSpec, type LearnerSpec } from './sgd.js';
import type { Task } from './types.js';
import type { HashedNames } from './weight-names.js';

/** The envelope's format tag. */
const MODEL_FORMAT = 'sqlml-model/1';
/**
 * The tag of a model whose recipe hashes with md5 (recipe-format.ts `hash`): the same
 * envelope, tagged apart so that an earlier sqlml, which would hash its features with
 * MurmurHash3 and predict wrongly without a word, refuses it instead. Models with
 * nothing hashed keep MODEL_FORMAT, and so their bytes.
 */
const MODEL_FORMAT_MD5 = 'sqlml-model/2';
const READABLE_FORMATS: readonly string[] = [MODEL_FORMAT, MODEL_FORMAT_MD5];

interface StoredModel {
  format: string;
  task: Task;
  label: LabelSpec;
  target: Column;
  inputColumns: readonly Column[];
  recipe: Recipe;
  transforms: readonly Transform[] | null;
  options: ModelOptions;
  learner: string;
  /** Names of the hashed slots' values (weight-names.ts); only in models with hashed features, absent in older ones. */
  hashedNames?: HashedNames;
}

/** The model as the text the catalog stores. */
export function serializeModel(model: TrainedModel): string {
  const stored: StoredModel = {
    format: model.recipe.hash === 'md5' ? MODEL_FORMAT_MD5 : MODEL_FORMAT,
    task: model.task,
    label: model.label,
    target: model.target,
    inputColumns: model.inputColumns,
    recipe: model.recipe,
    transforms: model.transforms,
    options: model.options,
    learner: Buffer.from(encodeLearner(model.learner)).toString('base64'),
  };
  // Absent rather than null, so a model with nothing hashed keeps its bytes.
  if (model.hashedNames) stored.hashedNames = model.hashedNames;
  return JSON.stringify(stored);
}

/** A model from the text `serializeModel` made. */
export function deserializeModel(text: string): TrainedModel {
  let stored: StoredModel;
  try {
    stored = JSON.parse(text) as StoredModel;
  } catch (error) {
    throw new SqlmlError('internal', 'the stored model is not valid JSON; retrain it', { cause: error });
  }
  if (!READABLE_FORMATS.includes(stored.format)) {
    throw new SqlmlError(
      'internal',
      `the stored model has format ${String(stored.format)}, this sqlml reads ${READABLE_FORMATS.join(' and ')}; retrain it`,
    );
  }
  if ((stored.format === MODEL_FORMAT_MD5) !== (stored.recipe.hash === 'md5')) {
    throw new SqlmlError('internal', `the stored model's format ${stored.format} does not match its recipe's hashing; retrain it`);
  }
  const bytes = Buffer.from(stored.learner, 'base64');
  return {
    task: stored.task,
    label: stored.label,
    target: stored.target,
    inputColumns: stored.inputColumns,
    recipe: stored.recipe,
    transforms: stored.transforms,
    options: stored.options,
    learner: decodeLearner(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
    hashedNames: stored.hashedNames ?? null,
  };
}

const TASK_CODES: readonly Task[] = ['binary', 'multiclass', 'regression'];
const LEARNER_MAGIC = 0x574c5153; // "SQLW" read as a little-endian u32
const LEARNER_VERSION = 1;
const HEADER_BYTES = 48;
const LAYOUT_DENSE = 0;
const LAYOUT_SPARSE = 1;
const FLAG_LEARNING_RATE = 1;
const FLAG_NO_AVERAGING = 2;

/** The learner's model as bytes: its spec, the K biases and the real weights. */
export function encodeLearner(learner: OnlineLearner): Uint8Array {
  const spec = learner.spec;
  const K = spec.task === 'multiclass' ? spec.classes : 1;
  const dimension = spec.dimension;
  const weights = learner.modelCopy();
  const rows: number[] = [];
  for (let index = 0; index < dimension; index++) {
    for (let k = 0; k < K; k++) {
      if (weights[index * K + k] !== 0) {
        rows.push(index);
        break;
      }
    }
  }
  const denseBytes = dimension * K * 8;
  const sparseBytes = 4 + rows.length * (4 + K * 8);
  const sparse = sparseBytes < denseBytes;
  const bytes = new Uint8Array(HEADER_BYTES + K * 8 + (sparse ? sparseBytes : denseBytes));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, LEARNER_MAGIC, true);
  view.setUint8(4, LEARNER_VERSION);
  view.setUint8(5, TASK_CODES.indexOf(spec.task));
  view.setUint8(6, sparse ? LAYOUT_SPARSE : LAYOUT_DENSE);
  view.setUint8(7, (spec.learningRate === null ? 0 : FLAG_LEARNING_RATE) | ((spec.averaging ?? true) ? 0 : FLAG_NO_AVERAGING));
  view.setUint32(8, dimension, true);
  view.setUint32(12, spec.classes, true);
  view.setFloat64(16, spec.l1, true);
  view.setFloat64(24, spec.l2, true);
  view.setFloat64(32, spec.learningRate ?? 0, true);
  view.setFloat64(40, spec.seed, true);
  let at = HEADER_BYTES;
  for (let k = 0; k < K; k++, at += 8) view.setFloat64(at, weights[dimension * K + k]!, true);
  if (sparse) {
    view.setUint32(at, rows.length, true);
    at += 4;
    for (const index of rows) {
      view.setUint32(at, index, true);
      at += 4;
      for (let k = 0; k < K; k++, at += 8) view.setFloat64(at, weights[index * K + k]!, true);
    }
  } else {
    for (let i = 0; i < dimension * K; i++, at += 8) view.setFloat64(at, weights[i]!, true);
  }
  return bytes;
}

/**
 * A learner from `encodeLearner` bytes. It predicts exactly as the encoded model did;
 * if it learns further, it learns a correction on top of the restored weights.
 */
export function decodeLearner(bytes: Uint8Array): OnlineLearner {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (what: string): SqlmlError => new SqlmlError('internal', `the stored model weights cannot be read: ${what}`);
  if (bytes.byteLength < HEADER_BYTES || view.getUint32(0, true) !== LEARNER_MAGIC) throw corrupt('these are not sqlml learner bytes');
  if (view.getUint8(4) !== LEARNER_VERSION) throw corrupt(`unknown format version ${view.getUint8(4)}`);
  const task = TASK_CODES[view.getUint8(5)];
  if (task === undefined) throw corrupt(`unknown task code ${view.getUint8(5)}`);
  const layout = view.getUint8(6);
  const flags = view.getUint8(7);
  const spec: LearnerSpec = {
    task,
    dimension: view.getUint32(8, true),
    classes: view.getUint32(12, true),
    l1: view.getFloat64(16, true),
    l2: view.getFloat64(24, true),
    learningRate: (flags & FLAG_LEARNING_RATE) === 0 ? null : view.getFloat64(32, true),
    seed: view.getFloat64(40, true),
    averaging: (flags & FLAG_NO_AVERAGING) === 0,
  };
  validateLearnerSpec(spec);
  const K = task === 'multiclass' ? spec.classes : 1;
  const weights = new Float64Array((spec.dimension + 1) * K);
  let at = HEADER_BYTES;
  const need = (size: number): void => {
    if (at + size > bytes.byteLength) throw corrupt('the bytes end early');
  };
  need(K * 8);
  for (let k = 0; k < K; k++, at += 8) weights[spec.dimension * K + k] = view.getFloat64(at, true);
  if (layout === LAYOUT_DENSE) {
    need(spec.dimension * K * 8);
    for (let i = 0; i < spec.dimension * K; i++, at += 8) weights[i] = view.getFloat64(at, true);
  } else if (layout === LAYOUT_SPARSE) {
    need(4);
    const count = view.getUint32(at, true);
    at += 4;
    need(count * (4 + K * 8));
    for (let r = 0; r < count; r++) {
      const index = view.getUint32(at, true);
      at += 4;
      if (index >= spec.dimension) throw corrupt(`feature index ${index} is not below the dimension ${spec.dimension}`);
      for (let k = 0; k < K; k++, at += 8) weights[index * K + k] = view.getFloat64(at, true);
    }
  } else {
    throw corrupt(`unknown layout ${layout}`);
  }
  if (at !== bytes.byteLength) throw corrupt('there are bytes after the weights');
  return OnlineLearner.restore(spec, weights);
}
