/**
 * sqlml's catalog tables, as Kysely sees them. The DDL for each dialect is in
 * `sql/catalog/<dialect>.sql`; these types must match it column for column.
 * Timestamps are ISO-8601 text so the same code reads them on every dialect;
 * JSON documents are text for the same reason.
 */
import type { Generated } from 'kysely';

export interface ModelsTable {
  name: string;
  /** The version predictions use; NULL only while the first version is being stored. */
  active_version: number | null;
  created_at: string;
  updated_at: string;
}

export interface ModelVersionsTable {
  name: string;
  version: number;
  /** 'ready' once stored; only ready versions can be active. */
  status: string;
  /** 'binary' | 'multiclass' | 'regression' */
  type: string;
  target: string;
  /** JSON: the resolved USING options. */
  options: string;
  /** JSON: the recipe (feature transforms) applied at training and prediction. */
  recipe: string;
  /** The serialized model (JSON with base64 weights), see src/learn/model.ts. */
  model: string;
  /** JSON: rows read/trained/evaluated/skipped, passes, seconds, curve... */
  training_stats: string;
  /** JSON: held-out metrics. */
  evaluation: string;
  /** The FROM part as the user wrote it: a SELECT text or a table name. */
  source_query: string;
  created_at: string;
}

export interface JobsTable {
  name: string;
  /** 'cron' | 'every' */
  schedule_kind: string;
  schedule: string;
  /** The sqlml statement the job runs, verbatim. */
  statement: string;
  created_at: string;
}

export interface JobRunsTable {
  id: Generated<number>;
  job: string;
  started_at: string;
  finished_at: string | null;
  /** 'running' | 'succeeded' | 'failed' */
  outcome: string;
  error: string | null;
  rows: number | null;
}

/** One row per scheduled job: the next slot and the `sqlml serve` process running it, if any. */
export interface JobLeasesTable {
  job: string;
  holder: string | null;
  /** ISO-8601 UTC; a lease past it is free to take over (its holder died). */
  expires_at: string | null;
  /** ISO-8601 UTC of the next scheduled run. */
  next_run_at: string;
}

/** One SQL function EXPORT MODEL created: sqlml's to replace, and to drop with its model. */
export interface ExportsTable {
  /** '' when the name was given without a schema (the database resolves it). */
  function_schema: string;
  function_name: string;
  model: string;
  version: number;
  /** What identifies the function to DROP FUNCTION (the dialect's `functions.signature`). */
  signature: string;
  created_at: string;
}

/** One MONITOR MODEL run: the drift of each input column and of the score (src/catalog/monitor-store.ts). */
export interface MonitorRunsTable {
  id: Generated<number>;
  model: string;
  version: number;
  /** ISO-8601 UTC. */
  run_at: string;
  /** The ON part as the user wrote it. */
  source_query: string;
  rows: number;
  /** JSON: one entry per feature (see MonitorRow in src/engine/monitor.ts). */
  results: string;
}

/** One tuning trial of a version (USING tune = N); see src/engine/tune.ts. */
export interface TrialsTable {
  name: string;
  version: number;
  /** 1-based; trial 1 is the untuned model. */
  trial: number;
  /** The last rung of successive halving the trial ran (0-based). */
  rung: number;
  /** JSON: the trial's options by their USING names. */
  options: string;
  validation_loss: number | null;
  /** 'auc' | 'accuracy' | 'rmse' */
  metric: string;
  metric_value: number | null;
  passes: number;
  seconds: number;
  /** 1 for the trial the version holds, else 0. */
  kept: number;
}

export interface CatalogDatabase {
  sqlml_models: ModelsTable;
  sqlml_model_versions: ModelVersionsTable;
  sqlml_jobs: JobsTable;
  sqlml_job_runs: JobRunsTable;
  sqlml_job_leases: JobLeasesTable;
  sqlml_exports: ExportsTable;
  sqlml_monitor_runs: MonitorRunsTable;
  sqlml_trials: TrialsTable;
}
