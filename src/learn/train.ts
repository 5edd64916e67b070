/**
 * The training loop: passes over an example source, rows shuffled within a buffer,
 * progressive training loss, held-out loss after each pass and early stopping that
 * keeps the best pass. Pure: the source supplies encoded blocks, nothing here does I/O.
 */

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { SqlmlError } from '../errors.js';
import { hashCombine, hashNumber } from './hash.js';
import { mulberry32 } from './random.js';
import { OnlineLearner, type LearnerSnapshot, type LearnerSpec } from './sgd.js';
import type { ExampleBlock } from './types.js';

/** Where training rows come from; the engine reads the database on pass 0 and a local cache after. */
export interface ExampleSource {
  /**
   * Training examples for pass `pass` (0-based); the source may return blocks in a
   * different order each pass. A block's arrays may be reused by the source once the
   * next block has been requested: `train` copies what it keeps.
   */
  trainingPass(pass: number): AsyncIterable<ExampleBlock>;
  /** Held-out examples for early stopping (never trained on), read after every pass. May yield nothing. */
  validation(): AsyncIterable<ExampleBlock>;
}

export interface TrainSpec extends LearnerSpec {
  /** Maximum number of passes (≥ 1). */
  readonly passes: number;
  /** Stop once the held-out loss stops improving, keeping the best pass's weights. */
  readonly earlyStopping: boolean;
  /** Shuffle rows within a buffer of up to SHUFFLE_BUFFER_ROWS rows, seeded by seed and pass. */
  readonly shuffle: boolean;
  /** Per-class importance weights (binary: [w(0), w(1)]; multiclass: K) or null; must be null for regression. */
  readonly classWeights: Float64Array | null;
}

export interface PassInfo {
  /** 0-based pass number, as given to `trainingPass`. */
  readonly pass: number;
  /** Mean loss of each row just before it was learnt (progressive validation), importance-weighted. */
  readonly trainLoss: number;
  /** Importance-weighted mean loss on the validation rows after the pass; null when there are none. */
  readonly validationLoss: number | null;
  /** Training rows in this pass. */
  readonly rows: number;
  /** Wall-clock seconds of the pass, validation included. */
  readonly seconds: number;
}

export interface TrainHooks {
  /** After each pass. */
  onPass?(info: PassInfo): void;
  /** After each block is learnt: rows learnt so far in this pass, and the 0-based pass number. */
  onRows?(rowsThisPass: number, pass: number): void;
  /** Aborting it makes `train` throw SqlmlError('cancelled') at the next block. */
  signal?: AbortSignal;
}

export interface TrainResult {
  /** The learner, holding the best pass's weights when early stopping restored them. */
  readonly learner: OnlineLearner;
  readonly passesRun: number;
  /** 0-based pass whose weights the learner holds. */
  readonly bestPass: number;
  readonly stoppedEarly: boolean;
  readonly curve: PassInfo[];
  /** Training rows per pass (those of the first pass). */
  readonly trainRows: number;
}

/** Rows gathered before a shuffle; about 32 blocks of 2,048 rows. */
export const SHUFFLE_BUFFER_ROWS = 65_536;
/** Early stopping: an improvement smaller than this fraction of the best loss does not count. */
const RELATIVE_TOLERANCE = 1e-4;
/** Early stopping: passes without improvement before stopping. */
const PATIENCE = 2;

/**
 * Trains a learner on `source` for up to `spec.passes` passes.
 *
 * Early stopping watches the validation loss; when the source has no validation rows
 * it watches the training loss instead and keeps the last pass.
 */
export async function train(source: ExampleSource, spec: TrainSpec, hooks: TrainHooks = {}): Promise<TrainResult> {
  validateTrainSpec(spec);
  const learner = new OnlineLearner(spec);
  const buffer = spec.shuffle ? new ShuffleBuffer() : null;
  const curve: PassInfo[] = [];
  let trainRows = 0;
  let best = Infinity;
  let bestPass = -1;
  let bestSnapshot: LearnerSnapshot | null = null;
  let sawValidation = false;
  let stale = 0;
  let stoppedEarly = false;

  for (let pass = 0; pass < spec.passes; pass++) {
    checkCancelled(hooks.signal);
    const started = performance.now();
    const tally = new LossTally();
    const random = buffer === null ? null : mulberry32(hashCombine(hashNumber(spec.seed, 0x5eed), pass));
    for await (const block of source.trainingPass(pass)) {
      checkCancelled(hooks.signal);
      if (buffer === null) {
        learnRows(learner, block, null, 0, block.count, spec.classWeights, tally);
        hooks.onRows?.(tally.rows, pass);
        await yieldToEventLoop();
      } else {
        buffer.append(block);
        if (buffer.rows >= SHUFFLE_BUFFER_ROWS) await learnBuffer(learner, buffer, random!, spec, tally, pass, hooks);
      }
    }
    if (buffer !== null && buffer.rows > 0) await learnBuffer(learner, buffer, random!, spec, tally, pass, hooks);
    if (pass === 0) {
      if (tally.rows === 0) {
        throw new SqlmlError('empty_input', 'there are no training rows: the source query returned no rows with a non-NULL target');
      }
      trainRows = tally.rows;
    }
    learner.endPass();

    const validationLoss = await meanValidationLoss(learner, source, spec.classWeights, hooks.signal);
    const info: PassInfo = {
      pass,
      trainLoss: tally.mean(),
      validationLoss,
      rows: tally.rows,
      seconds: (performance.now() - started) / 1000,
    };
    curve.push(info);
    hooks.onPass?.(info);

    if (!spec.earlyStopping) continue;
    sawValidation = validationLoss !== null;
    const watched = validationLoss ?? info.trainLoss;
    const improved = best === Infinity ? watched < best : watched < best - RELATIVE_TOLERANCE * Math.abs(best);
    if (watched < best) {
      best = watched;
      bestPass = pass;
      if (sawValidation) bestSnapshot = learner.snapshot(bestSnapshot ?? undefined);
    }
    stale = improved ? 0 : stale + 1;
    if (stale >= PATIENCE && pass < spec.passes - 1) {
      stoppedEarly = true;
      break;
    }
  }

  const passesRun = curve.length;
  if (sawValidation && bestSnapshot !== null && bestPass !== passesRun - 1) {
    learner.restore(bestSnapshot);
  } else {
    bestPass = passesRun - 1;
  }
  return { learner, passesRun, bestPass, stoppedEarly, curve, trainRows };
}

/** Σ weight·loss and Σ weight over the rows whose loss is a number. */
class LossTally {
  loss = 0;
  weight = 0;
  rows = 0;

  add(loss: number, weight: number): void {
    this.rows++;
    if (loss === loss && weight > 0) {
      this.loss += weight * loss;
      this.weight += weight;
    }
  }

  mean(): number {
    return this.weight > 0 ? this.loss / this.weight : NaN;
  }
}

/** Learns rows [from, to) of `block`, in `order` (row numbers) when given. */
function learnRows(
  learner: OnlineLearner,
  block: ExampleBlock,
  order: Uint32Array | null,
  from: number,
  to: number,
  classWeights: Float64Array | null,
  tally: LossTally,
): void {
  const { labels, offsets, indices, values } = block;
  for (let p = from; p < to; p++) {
    const r = order === null ? p : order[p]!;
    const y = labels[r]!;
    const weight = classWeights === null ? 1 : classWeights[y]!;
    tally.add(learner.learn(indices, values, offsets[r]!, offsets[r + 1]!, y, weight), weight);
  }
}

/** Learns the buffered rows in a seeded random order, yielding once per block's worth of rows. */
async function learnBuffer(
  learner: OnlineLearner,
  buffer: ShuffleBuffer,
  random: () => number,
  spec: TrainSpec,
  tally: LossTally,
  pass: number,
  hooks: TrainHooks,
): Promise<void> {
  const order = buffer.shuffledOrder(random);
  const block = buffer.asBlock();
  let from = 0;
  for (const size of buffer.blockSizes) {
    checkCancelled(hooks.signal);
    learnRows(learner, block, order, from, from + size, spec.classWeights, tally);
    from += size;
    hooks.onRows?.(tally.rows, pass);
    await yieldToEventLoop();
  }
  buffer.clear();
}

async function meanValidationLoss(
  learner: OnlineLearner,
  source: ExampleSource,
  classWeights: Float64Array | null,
  signal: AbortSignal | undefined,
): Promise<number | null> {
  const tally = new LossTally();
  for await (const block of source.validation()) {
    checkCancelled(signal);
    const { labels, offsets, indices, values } = block;
    for (let r = 0; r < block.count; r++) {
      const y = labels[r]!;
      tally.add(learner.loss(indices, values, offsets[r]!, offsets[r + 1]!, y), classWeights === null ? 1 : classWeights[y]!);
    }
    await yieldToEventLoop();
  }
  return tally.rows === 0 ? null : tally.mean();
}

/**
 * Rows of several blocks copied into one growing CSR arena (so a source may reuse its
 * arrays), learnt through a shuffled index permutation rather than moved row by row.
 */
class ShuffleBuffer {
  rows = 0;
  private nnz = 0;
  labels = new Float64Array(1024);
  offsets = new Uint32Array(1025);
  indices = new Uint32Array(16_384);
  values = new Float32Array(16_384);
  private order = new Uint32Array(1024);
  readonly blockSizes: number[] = [];

  append(block: ExampleBlock): void {
    if (block.count === 0) return;
    const first = block.offsets[0]!;
    const nnz = block.offsets[block.count]! - first;
    this.reserve(this.rows + block.count, this.nnz + nnz);
    this.labels.set(block.labels.subarray(0, block.count), this.rows);
    const shift = this.nnz - first;
    for (let r = 1; r <= block.count; r++) this.offsets[this.rows + r] = block.offsets[r]! + shift;
    this.indices.set(block.indices.subarray(first, first + nnz), this.nnz);
    this.values.set(block.values.subarray(first, first + nnz), this.nnz);
    this.rows += block.count;
    this.nnz += nnz;
    this.blockSizes.push(block.count);
  }

  /** A Fisher–Yates permutation of 0..rows-1 drawn from `random`. */
  shuffledOrder(random: () => number): Uint32Array {
    if (this.order.length < this.rows) this.order = new Uint32Array(this.labels.length);
    const order = this.order;
    for (let i = 0; i < this.rows; i++) order[i] = i;
    for (let i = this.rows - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const held = order[i]!;
      order[i] = order[j]!;
      order[j] = held;
    }
    return order;
  }

  asBlock(): ExampleBlock {
    return { count: this.rows, labels: this.labels, offsets: this.offsets, indices: this.indices, values: this.values };
  }

  clear(): void {
    this.rows = 0;
    this.nnz = 0;
    this.blockSizes.length = 0;
  }

  private reserve(rows: number, nnz: number): void {
    if (rows > this.labels.length) {
      const capacity = Math.max(rows, this.labels.length * 2);
      this.labels = grow(this.labels, new Float64Array(capacity));
      this.offsets = grow(this.offsets, new Uint32Array(capacity + 1));
    }
    if (nnz > this.indices.length) {
      const capacity = Math.max(nnz, this.indices.length * 2);
      this.indices = grow(this.indices, new Uint32Array(capacity));
      this.values = grow(this.values, new Float32Array(capacity));
    }
  }
}

function grow<T extends Float64Array | Float32Array | Uint32Array>(old: T, fresh: T): T {
  fresh.set(old);
  return fresh;
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SqlmlError('cancelled', 'training was cancelled');
}

function validateTrainSpec(spec: TrainSpec): void {
  if (!Number.isInteger(spec.passes) || spec.passes < 1) {
    throw new SqlmlError('bad_option', `passes must be a whole number of 1 or more, got ${spec.passes}`);
  }
  const weights = spec.classWeights;
  if (weights === null) return;
  const expected = spec.task === 'binary' ? 2 : spec.task === 'multiclass' ? spec.classes : 0;
  if (weights.length !== expected) {
    throw new SqlmlError(
      'internal',
      spec.task === 'regression'
        ? 'class weights were given for a regression model'
        : `class weights have ${weights.length} entries for a ${spec.task} model with ${expected} classes`,
    );
  }
  for (let c = 0; c < weights.length; c++) {
    if (!(weights[c]! > 0 && weights[c]! < Infinity)) {
      throw new SqlmlError('internal', `class weight ${c} must be a finite number above 0, got ${weights[c]}`);
    }
  }
}
