/**
 * The training loop: passes over an example source, rows shuffled within a buffer,
 * progressive training loss, held-out loss after each pass and early stopping that
 * keeps the best pass. Pure: the source supplies encoded blocks, nothing here does I/O.
 */

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { SqlmlError } from '../errors.js';
import { hashCombine, hashNumber } from './hash.js';
import { mulberry32 } from './random.js';
import { L2_PATH } from './l2-path.js';
import { canPolish, polish, POLISH_MAX_ITERATIONS, POLISH_MAX_ROWS, type PolishResult } from './polish.js';
import { DEFAULT_LEARNING_RATE, OnlineLearner, type LearnerSnapshot, type LearnerSpec } from './sgd.js';
import { grownCopy } from './typed-arrays.js';
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
  /** Training rows per pass, when known before training (enables the step-size search on small sets). */
  readonly trainRows?: number;
  /** Validation rows, when known before training. */
  readonly validationRows?: number;
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
  /**
   * After the passes, finish with full-batch L-BFGS (polish.ts) when there are at most
   * POLISH_MAX_ROWS training rows and the finish can run on the model.
   */
  readonly polish?: boolean;
  /**
   * The L2 amount is the learner's to choose: when the finish runs on at most
   * L2_PATH_MAX_ROWS training rows with validation rows, it walks L2_PATH and keeps the
   * amount with the lowest validation loss (l2-path.ts; with few validation rows, the
   * lowest 5-fold cross-validated loss, its folds seeded by `seed`); otherwise `l2` is used.
   */
  readonly chooseL2?: boolean;
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
  /** After each iteration of the full-batch finish: its number (1-based), the most it may run, and its objective (regularized mean training loss). */
  onFinishIteration?(iteration: number, maxIterations: number, objective: number): void;
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
  /** The step size of the returned learner (the default, the user's, or the search's pick). */
  readonly learningRate: number;
  /** What the step-size search tried: best validation loss and passes run per step; empty without a search. */
  readonly learningRatesTried: readonly { learningRate: number; validationLoss: number; passes: number }[];
  /** What the full-batch finish did; null when it did not run. */
  readonly polish: PolishResult | null;
  /** The L2 amount of the returned model: the path's choice, else the spec's. */
  readonly l2: number;
}

/** Rows gathered before a shuffle; about 32 blocks of 2,048 rows. */
export const SHUFFLE_BUFFER_ROWS = 65_536;
/**
 * Early stopping, by training-set size. A pass over a large set is expensive and gains
 * little after the first few: an improvement under 0.1% does not count (scikit-learn's
 * SGD stops on the same 1e-3) and one pass without one ends training. A pass over a
 * small set costs next to nothing, its validation loss is noisy, and ill-conditioned
 * small sets still improve slowly but surely late on (rare classes move last): there,
 * 0.01% counts and four flat passes are needed.
 */
function stoppingRule(trainRows: number): { tolerance: number; patience: number } {
  return trainRows > LARGE_TRAINING_ROWS ? { tolerance: 1e-3, patience: 1 } : { tolerance: 1e-4, patience: 4 };
}
const LARGE_TRAINING_ROWS = 100_000;

/**
 * Step sizes tried when the user left `learning_rate` to the learner and the training set
 * is small enough that trying them is cheap. The best fixed step differs from one small
 * set to another by more than an order of magnitude, and small ill-conditioned sets do
 * not converge in the default passes at the default step; on large sets every step
 * converges within a few passes, so one learner at the default is enough there.
 */
export const LEARNING_RATE_CANDIDATES: readonly number[] = [1, 2, 4, 8, 16];
/**
 * Largest training set that gets the step-size search: the candidates learn side by side
 * from the same shuffled rows, so the search costs candidates × passes × rows updates.
 */
export const LEARNING_RATE_SEARCH_MAX_ROWS = 100_000;

/**
 * Largest training set whose finish walks the L2 path when the learner chooses L2.
 * Above it the validation-optimal amount is tiny next to the data's own weight (l2 ≈ 1/n
 * is scikit-learn's C = 1 at n rows) and the path's extra fits would cost a few passes'
 * worth for a change in the fourth decimal; the finish itself stops at POLISH_MAX_ROWS.
 */
export const L2_PATH_MAX_ROWS = 100_000;

/** One learner of the search and its own early-stopping state. */
class Candidate {
  readonly learner: OnlineLearner;
  readonly curve: PassInfo[] = [];
  tally = new LossTally();
  best = Infinity;
  bestPass = -1;
  bestSnapshot: LearnerSnapshot | null = null;
  stale = 0;
  active = true;
  stoppedEarly = false;

  constructor(spec: LearnerSpec) {
    this.learner = new OnlineLearner(spec);
  }
}

/**
 * Trains a learner on `source` for up to `spec.passes` passes.
 *
 * Early stopping watches the validation loss; when the source has no validation rows
 * it watches the training loss instead and keeps the last pass. When the step size is the
 * learner's to choose, the training set is small and there are validation rows, every
 * step in LEARNING_RATE_CANDIDATES is trained side by side on the same rows and the one
 * with the lowest validation loss is kept.
 */
export async function train(source: ExampleSource, spec: TrainSpec, hooks: TrainHooks = {}): Promise<TrainResult> {
  validateTrainSpec(spec);
  const search =
    spec.learningRate === null &&
    spec.earlyStopping &&
    source.trainRows !== undefined &&
    source.trainRows <= LEARNING_RATE_SEARCH_MAX_ROWS &&
    (source.validationRows ?? 0) > 0;
  const candidates = search
    ? LEARNING_RATE_CANDIDATES.map((rate) => new Candidate({ ...spec, learningRate: rate }))
    : [new Candidate(spec)];
  const buffer = spec.shuffle ? new ShuffleBuffer(Math.min(SHUFFLE_BUFFER_ROWS, source.trainRows ?? 0)) : null;
  let trainRows = 0;
  let sawValidation = false;

  for (let pass = 0; pass < spec.passes; pass++) {
    checkCancelled(hooks.signal);
    const started = performance.now();
    const active = candidates.filter((c) => c.active);
    if (active.length === 0) break;
    for (const c of active) c.tally = new LossTally();
    const random = buffer === null ? null : mulberry32(hashCombine(hashNumber(spec.seed, 0x5eed), pass));
    for await (const block of source.trainingPass(pass)) {
      checkCancelled(hooks.signal);
      if (buffer === null) {
        for (const c of active) learnRows(c.learner, block, null, 0, block.count, spec.classWeights, c.tally);
        hooks.onRows?.(active[0]!.tally.rows, pass);
        await yieldToEventLoop();
      } else {
        buffer.append(block);
        if (buffer.rows >= SHUFFLE_BUFFER_ROWS) await learnBuffer(active, buffer, random!, spec, pass, hooks);
      }
    }
    if (buffer !== null && buffer.rows > 0) await learnBuffer(active, buffer, random!, spec, pass, hooks);
    if (pass === 0) {
      trainRows = active[0]!.tally.rows;
      if (trainRows === 0) {
        throw new SqlmlError('empty_input', 'there are no training rows: the source query returned no rows with a non-NULL target');
      }
    }

    for (const c of active) {
      c.learner.endPass();
      const validation = await meanValidationLoss(c.learner, source, spec.classWeights, hooks.signal);
      const validationLoss = validation.rows === 0 ? null : validation.mean();
      const info: PassInfo = {
        pass,
        trainLoss: c.tally.mean(),
        validationLoss,
        rows: c.tally.rows,
        seconds: (performance.now() - started) / 1000,
      };
      c.curve.push(info);
      if (candidates.length === 1) hooks.onPass?.(info);

      if (!spec.earlyStopping) continue;
      sawValidation = validationLoss !== null;
      const watched = validationLoss ?? info.trainLoss;
      const rule = stoppingRule(trainRows);
      const improved = c.best === Infinity ? watched < c.best : watched < c.best - rule.tolerance * Math.abs(c.best);
      if (watched < c.best) {
        c.best = watched;
        c.bestPass = pass;
        if (sawValidation) c.bestSnapshot = c.learner.snapshot(c.bestSnapshot ?? undefined);
      }
      c.stale = improved ? 0 : c.stale + 1;
      if (c.stale >= rule.patience && pass < spec.passes - 1) {
        c.stoppedEarly = true;
        c.active = false;
      }
    }
    if (candidates.length > 1) {
      // Progress follows the best candidate so far.
      const leader = bestCandidate(candidates);
      hooks.onPass?.(leader.curve[leader.curve.length - 1] ?? active[0]!.curve[pass]!);
    }
  }

  const chosen = bestCandidate(candidates);
  const passesRun = chosen.curve.length;
  let bestPass = chosen.bestPass;
  if (sawValidation && chosen.bestSnapshot !== null && bestPass !== passesRun - 1) {
    chosen.learner.restore(chosen.bestSnapshot);
  } else {
    bestPass = passesRun - 1;
  }
  const polished =
    spec.polish === true && trainRows <= POLISH_MAX_ROWS && canPolish(chosen.learner)
      ? await polish(
          chosen.learner,
          source,
          {
            task: spec.task,
            l2: spec.l2,
            classWeights: spec.classWeights,
            pass: spec.passes,
            seed: spec.seed,
            ...(spec.chooseL2 === true && sawValidation && trainRows <= L2_PATH_MAX_ROWS ? { l2Path: L2_PATH } : {}),
          },
          {
            ...(hooks.signal ? { signal: hooks.signal } : {}),
            onIteration: (iteration, loss) => hooks.onFinishIteration?.(iteration, POLISH_MAX_ITERATIONS, loss),
          },
        )
      : null;
  return {
    learner: chosen.learner,
    passesRun,
    bestPass,
    stoppedEarly: chosen.stoppedEarly,
    curve: chosen.curve,
    trainRows,
    learningRate: chosen.learner.spec.learningRate ?? DEFAULT_LEARNING_RATE,
    learningRatesTried: candidates.length > 1 ? candidates.map((c) => ({ learningRate: c.learner.spec.learningRate!, validationLoss: c.best, passes: c.curve.length })) : [],
    polish: polished,
    l2: polished?.l2 ?? spec.l2,
  };
}

/** The candidate with the lowest best validation loss; the first on ties (deterministic). */
function bestCandidate(candidates: readonly Candidate[]): Candidate {
  let chosen = candidates[0]!;
  for (const c of candidates) if (c.best < chosen.best) chosen = c;
  return chosen;
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

/** Learns the buffered rows in a seeded random order, every candidate the same order, yielding once per block's worth of rows. */
async function learnBuffer(
  candidates: readonly Candidate[],
  buffer: ShuffleBuffer,
  random: () => number,
  spec: TrainSpec,
  pass: number,
  hooks: TrainHooks,
): Promise<void> {
  const order = buffer.shuffledOrder(random);
  const block = buffer.asBlock();
  let from = 0;
  for (const size of buffer.blockSizes) {
    checkCancelled(hooks.signal);
    for (const c of candidates) learnRows(c.learner, block, order, from, from + size, spec.classWeights, c.tally);
    from += size;
    hooks.onRows?.(candidates[0]!.tally.rows, pass);
    await yieldToEventLoop();
  }
  buffer.clear();
}

async function meanValidationLoss(
  learner: OnlineLearner,
  source: ExampleSource,
  classWeights: Float64Array | null,
  signal: AbortSignal | undefined,
): Promise<LossTally> {
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
  return tally;
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
  /** Rows the buffer will hold when full, when known: the first block sizes it for them at once. */
  readonly #expectedRows: number;

  constructor(expectedRows = 0) {
    this.#expectedRows = expectedRows;
  }

  append(block: ExampleBlock): void {
    if (block.count === 0) return;
    const first = block.offsets[0]!;
    const nnz = block.offsets[block.count]! - first;
    if (this.rows === 0 && this.labels.length < this.#expectedRows) {
      // Growing by doubling from a few rows copied every early row six times over.
      const rows = this.#expectedRows + block.count;
      this.reserve(rows, Math.ceil((nnz / block.count) * rows * 1.25));
    }
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
      this.labels = grownCopy(this.labels, new Float64Array(capacity));
      this.offsets = grownCopy(this.offsets, new Uint32Array(capacity + 1));
    }
    if (nnz > this.indices.length) {
      const capacity = Math.max(nnz, this.indices.length * 2);
      this.indices = grownCopy(this.indices, new Uint32Array(capacity));
      this.values = grownCopy(this.values, new Float32Array(capacity));
    }
  }
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
