/**
 * The training step of CREATE / RETRAIN MODEL: one training at the options given, or,
 * with `USING tune = N`, N trials (src/learn/tuner.ts) run by successive halving over
 * the same example caches, each scored on the validation rows, the best kept. The
 * held-out rows are not read here: the caller evaluates the kept model on them once.
 */
import type { LabelSpec } from '../learn/label.js';
import { DEFAULT_L2, type ModelOptions } from '../learn/options.js';
import { train, type ExampleSource, type TrainHooks, type TrainResult } from '../learn/train.js';
import { bestTrials, halvingRungs, rungPasses, sampleTrials, survivors, type TrialOptions } from '../learn/tuner.js';
import type { Task } from '../learn/types.js';
import { EvaluationCollector } from './evaluation.js';

/** The headline metric a trial reports on the validation rows. */
export const TRIAL_METRIC: Readonly<Record<Task, string>> = { binary: 'auc', multiclass: 'accuracy', regression: 'rmse' };

/** One trial as SHOW TRIALS lists it and the catalog stores it. */
export interface TrialRecord {
  /** 1-based; trial 1 is the untuned model. */
  readonly trial: number;
  /** The trial's options by their USING names (learning_rate and l2 read 'auto' when the learner chose them). */
  readonly options: Record<string, string | number>;
  /** The last rung of successive halving the trial ran (0-based). */
  readonly rung: number;
  /** Passes run at that rung. */
  readonly passes: number;
  /** Mean loss on the validation rows, unweighted (so trials with and without class weights compare). */
  readonly validationLoss: number;
  readonly metric: string;
  /** The metric on the validation rows. */
  readonly value: number | null;
  /** Seconds of all the trial's rungs. */
  readonly seconds: number;
  readonly kept: boolean;
}

export interface TrainingPlan {
  readonly source: ExampleSource;
  readonly task: Task;
  readonly label: LabelSpec;
  readonly dimension: number;
  readonly classes: number;
  readonly options: ModelOptions;
  /** Option names the user gave (never tuned). */
  readonly given: ReadonlySet<string>;
  /** Early stopping, when there are validation rows to watch. */
  readonly earlyStopping: boolean;
  /** The class weights of a class_weights choice. */
  classWeights(choice: 'none' | 'balanced'): Float64Array | null;
}

export interface TrainingOutcome {
  readonly result: TrainResult;
  /** The options the kept model was trained with. */
  readonly options: ModelOptions;
  /** Empty without tuning. */
  readonly trials: TrialRecord[];
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
  };
  if (options.tune === 0 || !plan.earlyStopping || (plan.source.validationRows ?? 0) === 0) {
    return { result: await runTrial(plan, base, options.passes, true, hooks), options, trials: [] };
  }

  const trials = sampleTrials(options.tune, options.seed, base, plan.given, plan.task);
  const seconds = new Float64Array(trials.length);
  const records: (Omit<TrialRecord, 'kept' | 'seconds'> | null)[] = trials.map(() => null);
  const rungs = halvingRungs(trials.length);
  // Trials report rows and cancellation, not passes: their pass numbers restart with every trial.
  const { onPass: _onPass, ...quiet } = hooks;
  let alive = trials.map((_, i) => i);
  let results: TrainResult[] = [];
  for (let r = 0; r < rungs.length; r++) {
    const last = r === rungs.length - 1;
    results = [];
    const losses: number[] = [];
    for (const t of alive) {
      const started = performance.now();
      const trial = trials[t]!;
      const passes = last ? trial.passes : rungPasses(trial.passes, rungs[r]!.passShare);
      // The full-batch finish only on the last rung: earlier rungs rank the passes alone, cheaply.
      const result = await runTrial(plan, trial, passes, last, quiet);
      const score = await validationScore(result, plan);
      seconds[t] = seconds[t]! + (performance.now() - started) / 1000;
      records[t] = {
        trial: t + 1,
        options: trialJson(trial),
        rung: r,
        passes: result.passesRun,
        validationLoss: score.loss,
        metric: TRIAL_METRIC[plan.task],
        value: score.value,
      };
      results.push(result);
      losses.push(score.loss);
    }
    if (last) {
      const winner = bestTrials(losses, 1)[0]!;
      const kept = alive[winner]!;
      const trial = trials[kept]!;
      return {
        result: results[winner]!,
        options: Object.freeze({ ...options, learningRate: trial.learningRate, l1: trial.l1, l2: trial.l2, passes: trial.passes, classWeights: trial.classWeights }),
        trials: records.map((record, i) => ({ ...record!, seconds: seconds[i]!, kept: i === kept })),
      };
    }
    // Trial 1 (the untuned model) always goes on, so tuning never keeps a model the default beats on the validation rows.
    const next = bestTrials(losses, survivors(alive.length)).map((i) => alive[i]!);
    if (!next.includes(0)) next[next.length - 1] = 0;
    alive = next.sort((a, b) => a - b);
  }
  throw new Error('unreachable: successive halving ends on its last rung');
}

/** One training at `trial`'s options, `passes` passes at most. */
function runTrial(plan: TrainingPlan, trial: TrialOptions, passes: number, finish: boolean, hooks: TrainHooks): Promise<TrainResult> {
  return train(
    plan.source,
    {
      task: plan.task,
      dimension: plan.dimension,
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

/** The trained model's unweighted mean loss and headline metric on the validation rows. */
async function validationScore(result: TrainResult, plan: TrainingPlan): Promise<{ loss: number; value: number | null }> {
  const learner = result.learner;
  const collector = new EvaluationCollector(plan.task, plan.label, plan.options.threshold, plan.source.validationRows);
  const out = new Float64Array(Math.max(1, plan.classes));
  let loss = 0;
  let rows = 0;
  for await (const block of plan.source.validation()) {
    const { labels, offsets, indices, values } = block;
    for (let r = 0; r < block.count; r++) {
      const y = labels[r]!;
      const rowLoss = learner.loss(indices, values, offsets[r]!, offsets[r + 1]!, y);
      if (rowLoss === rowLoss) {
        loss += rowLoss;
        rows++;
      }
      learner.predict(indices, values, offsets[r]!, offsets[r + 1]!, out);
      collector.add(y, out);
    }
  }
  const metric = collector.finish().metrics[TRIAL_METRIC[plan.task]];
  return { loss: rows > 0 ? loss / rows : NaN, value: typeof metric === 'number' && Number.isFinite(metric) ? metric : null };
}

/** A trial's options as USING writes them. */
function trialJson(trial: TrialOptions): Record<string, string | number> {
  return {
    learning_rate: trial.learningRate ?? 'auto',
    l1: trial.l1,
    l2: trial.l2 ?? 'auto',
    passes: trial.passes,
    class_weights: trial.classWeights,
  };
}
