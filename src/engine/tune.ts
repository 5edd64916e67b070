/**
 * The training step of CREATE / RETRAIN MODEL: one training at the options given, or,
 * with `USING tune = N`, N trials (src/learn/tuner.ts) run by successive halving over
 * the same example caches, each scored on the validation rows by one yardstick
 * (src/learn/yardstick.ts: the unweighted validation loss, or `tune_metric`), the best
 * kept when it beats the untuned model by more than the validation rows' noise. A trial
 * with other quantile-bin counts trains on its own encoding of the rows (`variant`). The
 * held-out rows are not read here: the caller evaluates the kept model on them once.
 */
import type { LabelSpec } from '../learn/label.js';
import { DEFAULT_L2, type ModelOptions } from '../learn/options.js';
import { train, type ExampleSource, type TrainHooks, type TrainResult } from '../learn/train.js';
import { bestTrials, halvingRungs, rungPasses, sampleTrials, survivors, type TrialOptions } from '../learn/tuner.js';
import type { Task } from '../learn/types.js';
import { Yardstick, type ValidationPredictions, type YardstickName } from '../learn/yardstick.js';
import { hashNumber } from '../learn/hash.js';

/** The headline metric a trial reports on the validation rows when no tune_metric is given. */
export const TRIAL_METRIC: Readonly<Record<Task, YardstickName>> = { binary: 'auc', multiclass: 'accuracy', regression: 'rmse' };

/** One trial as SHOW TRIALS lists it and the catalog stores it. */
export interface TrialRecord {
  /** 1-based; trial 1 is the untuned model. */
  readonly trial: number;
  /** The trial's options by their USING names (learning_rate and l2 read 'auto' when the learner chose them; quantile_bins only when tuned). */
  readonly options: Record<string, string | number>;
  /** The last rung of successive halving the trial ran (0-based). */
  readonly rung: number;
  /** Passes run at that rung. */
  readonly passes: number;
  /** Mean loss on the validation rows, unweighted (so trials with and without class weights compare). */
  readonly validationLoss: number;
  /** tune_metric when given (the yardstick), else the task's headline metric. */
  readonly metric: string;
  /** The metric on the validation rows. */
  readonly value: number | null;
  /** Seconds of all the trial's rungs. */
  readonly seconds: number;
  readonly kept: boolean;
}

/** What one trial trains on: the rows as the recipe encodes them, and the encoding's width. */
export interface TrialData {
  readonly source: ExampleSource;
  readonly dimension: number;
}

export interface TrainingPlan extends TrialData {
  readonly task: Task;
  readonly label: LabelSpec;
  readonly classes: number;
  readonly options: ModelOptions;
  /** Option names the user gave (never tuned). */
  readonly given: ReadonlySet<string>;
  /** Early stopping, when there are validation rows to watch. */
  readonly earlyStopping: boolean;
  /** The class weights of a class_weights choice. */
  classWeights(choice: 'none' | 'balanced'): Float64Array | null;
  /**
   * The rows encoded with every top-level quantile_bin at `bins` bins (the same rows in
   * the same roles); present when the recipe has such transforms, so trials vary them.
   */
  readonly variant?: (bins: number) => Promise<TrialData>;
}

/** How tuning chose: the yardstick, the best trial on it, and its gain over trial 1 with that gain's standard error. */
export interface TuneChoice {
  readonly yardstick: YardstickName;
  readonly bestTrial: number;
  readonly keptTrial: number;
  /** Positive: the best trial is better than trial 1 by this much (0 when trial 1 was the best). */
  readonly gain: number;
  readonly standardError: number;
}

export interface TrainingOutcome {
  readonly result: TrainResult;
  /** The options the kept model was trained with. */
  readonly options: ModelOptions;
  /** The kept trial's bin count for the recipe's quantile_bin transforms; null: the recipe as written. */
  readonly bins: number | null;
  /** Empty without tuning. */
  readonly trials: TrialRecord[];
  /** Null without tuning. */
  readonly choice: TuneChoice | null;
}

/** Trains once, or tunes when `plan.options.tune` > 0 and there are validation rows to choose by. */
export async function trainModel(plan: TrainingPlan, hooks: TrainHooks): Promise<TrainingOutcome> {
  const { options } = plan;
  const base: TrialOptions = {
    learningRate: options.learningRate,
    l1: options.l1,
    l2: options.l2,
    passes: options.passes,
    classWeights: options.classWeights,
    bins: null,
  };
  if (options.tune === 0 || !plan.earlyStopping || (plan.source.validationRows ?? 0) === 0) {
    return { result: await runTrial(plan, plan, base, options.passes, true, hooks), options, bins: null, trials: [], choice: null };
  }

  const trials = sampleTrials(options.tune, options.seed, base, plan.given, plan.task, plan.variant !== undefined);
  const trainingMean = plan.task === 'regression' ? plan.label.mean : 0;
  const yardstick = new Yardstick(options.tuneMetric ?? 'validation_loss', plan.task, options.threshold, trainingMean);
  // SHOW TRIALS' metric column: the yardstick when it is a metric, else the task's headline.
  const shown = options.tuneMetric === undefined ? new Yardstick(TRIAL_METRIC[plan.task], plan.task, options.threshold, trainingMean) : yardstick;
  const losses = new Yardstick('validation_loss', plan.task, options.threshold, trainingMean);
  // One encoding per bin count, made when a trial first asks for it.
  const variants = new Map<number, Promise<TrialData>>();
  const dataFor = (bins: number | null): Promise<TrialData> => {
    if (bins === null || plan.variant === undefined) return Promise.resolve(plan);
    let data = variants.get(bins);
    if (data === undefined) variants.set(bins, (data = plan.variant(bins)));
    return data;
  };
  const seconds = new Float64Array(trials.length);
  const records: (Omit<TrialRecord, 'kept' | 'seconds'> | null)[] = trials.map(() => null);
  const rungs = halvingRungs(trials.length);
  // Trials report rows and cancellation, not passes: their pass numbers restart with every trial.
  const { onPass: _onPass, ...quiet } = hooks;
  let alive = trials.map((_, i) => i);
  for (let r = 0; r < rungs.length; r++) {
    const last = r === rungs.length - 1;
    const results: TrainResult[] = [];
    const predictions: ValidationPredictions[] = [];
    const keys: number[] = [];
    for (const t of alive) {
      const started = performance.now();
      const trial = trials[t]!;
      const data = await dataFor(trial.bins);
      const passes = last ? trial.passes : rungPasses(trial.passes, rungs[r]!.passShare);
      // The full-batch finish only on the last rung: earlier rungs rank the passes alone, cheaply.
      const result = await runTrial(plan, data, trial, passes, last, quiet);
      const predicted = await validationPredictions(result, plan, data.source);
      const value = yardstick.value(predicted);
      const metric = shown.value(predicted);
      seconds[t] = seconds[t]! + (performance.now() - started) / 1000;
      records[t] = {
        trial: t + 1,
        options: trialJson(trial, plan.variant !== undefined),
        rung: r,
        passes: result.passesRun,
        validationLoss: losses.value(predicted),
        metric: shown.name,
        value: Number.isFinite(metric) ? metric : null,
      };
      // Only the last rung's predictions are compared again; earlier ones go as soon as ranked.
      if (last) {
        results.push(result);
        predictions.push(predicted);
      }
      keys.push(yardstick.rankKey(value));
    }
    if (last) {
      const best = bestTrials(keys, 1)[0]!;
      const untuned = alive.indexOf(0);
      let kept = untuned;
      let gain = 0;
      let standardError = 0;
      if (best !== untuned) {
        ({ gain, standardError } = yardstick.gain(predictions[best]!, predictions[untuned]!, hashNumber(options.seed, 0xb007)));
        // Trial 1 unless the best beats it by more than the validation rows can tell apart;
        // a trial 1 that scored NaN (diverged, or a metric undefined on these rows) loses to any number.
        const untunedValue = keys[untuned]!;
        if (gain > standardError || (untunedValue === Infinity && keys[best]! !== Infinity)) kept = best;
      }
      const keptTrial = alive[kept]!;
      const trial = trials[keptTrial]!;
      return {
        result: results[kept]!,
        options: Object.freeze({ ...options, learningRate: trial.learningRate, l1: trial.l1, l2: trial.l2, passes: trial.passes, classWeights: trial.classWeights }),
        bins: trial.bins,
        trials: records.map((record, i) => ({ ...record!, seconds: seconds[i]!, kept: i === keptTrial })),
        choice: { yardstick: yardstick.name, bestTrial: alive[best]! + 1, keptTrial: keptTrial + 1, gain, standardError },
      };
    }
    // Trial 1 (the untuned model) always goes on, so the last rung can always keep it.
    const next = bestTrials(keys, survivors(alive.length)).map((i) => alive[i]!);
    if (!next.includes(0)) next[next.length - 1] = 0;
    alive = next.sort((a, b) => a - b);
  }
  throw new Error('unreachable: successive halving ends on its last rung');
}

/** One training at `trial`'s options on `data`, `passes` passes at most. */
function runTrial(plan: TrainingPlan, data: TrialData, trial: TrialOptions, passes: number, finish: boolean, hooks: TrainHooks): Promise<TrainResult> {
  return train(
    data.source,
    {
      task: plan.task,
      dimension: data.dimension,
      classes: plan.classes,
      l1: trial.l1,
      l2: trial.l2 ?? DEFAULT_L2,
      chooseL2: trial.l2 === null,
      learningRate: trial.learningRate,
      seed: plan.options.seed,
      passes,
      earlyStopping: plan.earlyStopping,
      shuffle: plan.options.shuffle === 'auto',
      classWeights: plan.classWeights(trial.classWeights),
      polish: finish,
    },
    hooks,
  );
}

/**
 * The trained model's predictions and unweighted losses on the validation rows; for
 * regression the labels and predictions in the target's units, as EVALUATE reports them.
 */
async function validationPredictions(result: TrainResult, plan: TrainingPlan, source: ExampleSource): Promise<ValidationPredictions> {
  const learner = result.learner;
  const width = plan.task === 'multiclass' ? plan.classes : 1;
  const [scale, shift] = plan.task === 'regression' ? [plan.label.std, plan.label.mean] : [1, 0];
  let capacity = Math.max(1, source.validationRows ?? 1024);
  let labels = new Float64Array(capacity);
  let outputs = new Float64Array(capacity * width);
  let losses = new Float64Array(capacity);
  const out = new Float64Array(Math.max(1, plan.classes));
  let count = 0;
  let finite = true;
  for await (const block of source.validation()) {
    const { offsets, indices, values } = block;
    if (count + block.count > capacity) {
      capacity = Math.max(2 * capacity, count + block.count);
      labels = grown(labels, capacity);
      outputs = grown(outputs, capacity * width);
      losses = grown(losses, capacity);
    }
    for (let r = 0; r < block.count; r++) {
      const y = block.labels[r]!;
      losses[count] = learner.loss(indices, values, offsets[r]!, offsets[r + 1]!, y);
      learner.predict(indices, values, offsets[r]!, offsets[r + 1]!, out);
      labels[count] = y * scale + shift;
      for (let k = 0; k < width; k++) {
        const v = out[k]! * scale + shift;
        if (v !== v) finite = false;
        outputs[count * width + k] = v;
      }
      count++;
    }
  }
  return { count, labels: labels.subarray(0, count), outputs: outputs.subarray(0, count * width), width, losses: losses.subarray(0, count), finite };
}

function grown(array: Float64Array, length: number): Float64Array<ArrayBuffer> {
  const bigger = new Float64Array(length);
  bigger.set(array);
  return bigger;
}

/** A trial's options as USING writes them, and its quantile-bin count when bins are tuned. */
function trialJson(trial: TrialOptions, tunesBins: boolean): Record<string, string | number> {
  return {
    learning_rate: trial.learningRate ?? 'auto',
    l1: trial.l1,
    l2: trial.l2 ?? 'auto',
    passes: trial.passes,
    class_weights: trial.classWeights,
    ...(tunesBins ? { quantile_bins: trial.bins ?? 'recipe' } : {}),
  };
}
