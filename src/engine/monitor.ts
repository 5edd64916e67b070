/**
 * MONITOR MODEL name[@v] ON source: streams the source once, bins every input column on
 * the version's stored training profile (learn/drift.ts) and scores the rows to bin the
 * score too; returns one row per input column and one for the score, and stores the run
 * in sqlml_monitor_runs so a job builds a history. Also builds that profile at training
 * (`driftProfileOf`), from the training profile and the held-out scores.
 */
import type { MonitorStore } from '../catalog/monitor-store.js';
import type { ResultTable } from '../data.js';
import { SqlmlError } from '../errors.js';
import { DRIFT_PROFILE_FORMAT, FeatureCounter, featureProfile, scoreProfile, type DriftProfile, type FeatureDrift } from '../learn/drift.js';
import type { TrainedModel } from '../learn/model.js';
import type { Profile } from '../learn/profile.js';
import type { ExampleBlock } from '../learn/types.js';
import type { MonitorModel } from '../sql/ast.js';
import { BATCH_ROWS, columnList, getModelVersion, loadModel, sourceQuery, sourceText, throwIfAborted, type ExecContext } from './context.js';
import { excludedBy } from './describe-data.js';
import { Scorer } from './predict.js';
import type { TrainingStats } from './train.js';

/** Most held-out scores kept for the score's profile (every k-th beyond it). */
export const SCORE_SAMPLE = 100_000;

/**
 * Every k-th held-out score (at most SCORE_SAMPLE of them), taken from each row's outputs
 * as they are computed: the streamed training's evaluation scores every held-out row
 * anyway, so the drift profile's scores come from that same pass, not from a second read
 * of the held-out cache.
 */
export class DriftScoreSample {
  readonly #model: TrainedModel;
  readonly #stride: number;
  readonly #scores: Float64Array;
  #kept = 0;
  #seen = 0;

  constructor(model: TrainedModel, holdoutRows: number) {
    this.#model = model;
    this.#stride = Math.max(1, Math.ceil(holdoutRows / SCORE_SAMPLE));
    this.#scores = new Float64Array(Math.ceil(holdoutRows / this.#stride));
  }

  /** Whether the next row's score is kept (so a caller may skip predicting the others). */
  get wantsNext(): boolean {
    return this.#seen % this.#stride === 0 && this.#kept < this.#scores.length;
  }

  /** The next held-out row's outputs (the learner's prediction); kept when it is a k-th row. */
  add(out: Float64Array): void {
    if (this.wantsNext) this.#scores[this.#kept++] = scoreOf(this.#model, out);
    this.#seen++;
  }

  /** Counts the next held-out row without its outputs (it is not a k-th row). */
  skip(): void {
    this.#seen++;
  }

  get scores(): Float64Array {
    return this.#scores.subarray(0, this.#kept);
  }
}

/** The drift profile a new version stores: its input columns' training statistics and its held-out scores. */
export async function driftProfileOf(model: TrainedModel, profile: Profile, targetIndex: number, holdout: AsyncIterable<ExampleBlock>, holdoutRows: number): Promise<DriftProfile> {
  const scores = new DriftScoreSample(model, holdoutRows);
  const out = new Float64Array(Math.max(1, model.label.classes.length));
  for await (const block of holdout) {
    for (let r = 0; r < block.count; r++) {
      if (!scores.wantsNext) {
        scores.skip();
        continue;
      }
      model.learner.predict(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, out);
      scores.add(out);
    }
  }
  return driftProfileFrom(model, profile, targetIndex, scores);
}

/** The drift profile from the training profile and the held-out scores collected already. */
export function driftProfileFrom(model: TrainedModel, profile: Profile, targetIndex: number, scores: DriftScoreSample): DriftProfile {
  // Columns the recipe leaves out are not the model's inputs: MONITOR neither needs nor watches them.
  const excluded = excludedBy(model.transforms);
  const columns = profile.columns.filter((p, i) => i !== targetIndex && !excluded(p.name)).map((p) => featureProfile(p, profile.rows));
  return { format: DRIFT_PROFILE_FORMAT, rows: profile.rows, columns, score: scoreProfile(scores.scores) };
}

/** The score the Scorer reports for one row's outputs. */
function scoreOf(model: TrainedModel, out: Float64Array): number {
  if (model.task === 'binary') return out[0]!;
  if (model.task === 'regression') return out[0]! * model.label.std + model.label.mean;
  let best = 0;
  for (let c = 1; c < model.label.classes.length; c++) if (out[c]! > out[best]!) best = c;
  return out[best]!;
}

export const MONITOR_COLUMNS = [
  { name: 'feature', type: 'text' },
  { name: 'kind', type: 'text' },
  { name: 'psi', type: 'double' },
  { name: 'drift', type: 'text' },
  { name: 'training_null_share', type: 'double' },
  { name: 'current_null_share', type: 'double' },
  { name: 'training_mean', type: 'double' },
  { name: 'current_mean', type: 'double' },
  { name: 'training_top', type: 'text' },
  { name: 'current_top', type: 'text' },
] as const;

export async function monitorModel(statement: MonitorModel, context: ExecContext, monitors: MonitorStore): Promise<ResultTable> {
  const version = await getModelVersion(context, statement.model);
  const stored = (version.trainingStats as Partial<TrainingStats> | null)?.drift_profile as DriftProfile | undefined;
  if (!stored || stored.format !== DRIFT_PROFILE_FORMAT) {
    throw new SqlmlError(
      'unsupported',
      `version ${version.version} of model ${version.name} was trained before sqlml stored training profiles; RETRAIN MODEL ${version.name} to monitor it`,
    );
  }
  const model = loadModel(context, version);
  const { adapter, signal } = context;
  const stream = await adapter.openStream(sourceQuery(adapter, statement.source), { batchRows: BATCH_ROWS, ...(signal ? { signal } : {}) });
  const drifts: FeatureDrift[] = [];
  let rows = 0;
  try {
    const positions = stored.columns.map((profile) => {
      const index = stream.columns.findIndex((c) => c.name === profile.name);
      const found = index >= 0 ? index : stream.columns.findIndex((c) => c.name.toLowerCase() === profile.name.toLowerCase());
      if (found < 0) {
        throw new SqlmlError('bad_column', `input column ${profile.name} of model ${version.name} is not among the source's columns (${columnList(stream.columns)})`);
      }
      return found;
    });
    const counters = stored.columns.map((profile) => new FeatureCounter(profile));
    const scoreCounter = stored.score ? new FeatureCounter(stored.score) : null;
    const scorer = scoreCounter ? new Scorer(model, stream.columns) : null;
    for await (const batch of stream.batches()) {
      throwIfAborted(signal);
      const n = batch.rowCount;
      for (let f = 0; f < counters.length; f++) counters[f]!.add(stream.columns[positions[f]!]!.type, batch.columns[positions[f]!]!, n);
      if (scorer && scoreCounter) {
        const predictions = scorer.score(batch);
        const scores = predictions[predictions.length - 1]!;
        if (scores.kind === 'number') scoreCounter.addValues(scores.values, n);
      }
      rows += n;
      context.onProgress?.({ phase: 'predict', rows });
    }
    drifts.push(...counters.map((c) => c.finish()));
    if (scoreCounter) drifts.push(scoreCounter.finish());
  } finally {
    await stream.close();
  }
  if (rows === 0) throw new SqlmlError('empty_input', `the source of MONITOR MODEL ${version.name} returned no rows`);
  await monitors.record({
    model: version.name,
    version: version.version,
    runAt: new Date().toISOString(),
    sourceQuery: sourceText(adapter, statement.source),
    rows,
    results: drifts,
  });
  return {
    command: 'MONITOR MODEL',
    columns: MONITOR_COLUMNS,
    rows: drifts.map((d) => [d.feature, d.kind, d.psi, d.drift, d.trainingNullShare, d.currentNullShare, d.trainingMean, d.currentMean, d.trainingTop, d.currentTop]),
  };
}
