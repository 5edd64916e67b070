-- sqlml's catalog on DuckDB: models, their versions, scheduled jobs, job runs and exported functions.
-- Must match src/catalog/schema.ts column for column. Timestamps and JSON documents are
-- text so that one set of catalog code reads every dialect. Run statement by statement
-- (src/catalog/ddl.ts splits on semicolons, so none may appear inside a statement).
--
-- No foreign keys: DuckDB cannot cascade deletes, and src/catalog/model-store.ts keeps
-- models and versions consistent inside transactions instead.

CREATE TABLE IF NOT EXISTS sqlml_models (
  name           VARCHAR NOT NULL PRIMARY KEY,
  -- NULL only while the first version is being stored.
  active_version INTEGER,
  created_at     VARCHAR NOT NULL,
  updated_at     VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS sqlml_model_versions (
  name           VARCHAR NOT NULL,
  version        INTEGER NOT NULL,
  status         VARCHAR NOT NULL,
  type           VARCHAR NOT NULL,
  target         VARCHAR NOT NULL,
  options        TEXT NOT NULL,
  recipe         TEXT NOT NULL,
  -- The serialized model; can reach the max_model_size cap (~130 MB of text).
  model          TEXT NOT NULL,
  training_stats TEXT NOT NULL,
  evaluation     TEXT NOT NULL,
  source_query   TEXT NOT NULL,
  created_at     VARCHAR NOT NULL,
  PRIMARY KEY (name, version)
);

CREATE TABLE IF NOT EXISTS sqlml_jobs (
  name          VARCHAR NOT NULL PRIMARY KEY,
  schedule_kind VARCHAR NOT NULL,
  schedule      VARCHAR NOT NULL,
  statement     TEXT NOT NULL,
  created_at    VARCHAR NOT NULL
);

-- DuckDB has no SERIAL/IDENTITY: the run id comes from a sequence.
CREATE SEQUENCE IF NOT EXISTS sqlml_job_runs_id_seq START 1;

CREATE TABLE IF NOT EXISTS sqlml_job_runs (
  id          BIGINT NOT NULL PRIMARY KEY DEFAULT nextval('sqlml_job_runs_id_seq'),
  job         VARCHAR NOT NULL,
  started_at  VARCHAR NOT NULL,
  finished_at VARCHAR,
  outcome     VARCHAR NOT NULL,
  error       TEXT,
  rows        BIGINT
);

-- Who runs each job's next slot: a `sqlml serve` process claims a due job by moving
-- next_run_at on with one conditional UPDATE, and holds the lease while it runs, so two
-- processes never run one job at once and a slot runs once (src/server/scheduler.ts).
CREATE TABLE IF NOT EXISTS sqlml_job_leases (
  job         VARCHAR NOT NULL PRIMARY KEY,
  holder      VARCHAR,
  expires_at  VARCHAR,
  next_run_at VARCHAR NOT NULL
);

-- The SQL functions EXPORT MODEL created (src/catalog/export-store.ts): a function named
-- here is sqlml's to replace and to drop with its model; any other is the user's.
-- function_schema is '' for a name the database resolves itself; signature is what
-- identifies the function to DROP FUNCTION (with its argument types where they overload).
CREATE TABLE IF NOT EXISTS sqlml_exports (
  function_schema VARCHAR NOT NULL,
  function_name   VARCHAR NOT NULL,
  model           VARCHAR NOT NULL,
  version         INTEGER NOT NULL,
  signature       VARCHAR NOT NULL,
  created_at      VARCHAR NOT NULL,
  PRIMARY KEY (function_schema, function_name)
);

-- One row per MONITOR MODEL run (src/catalog/monitor-store.ts): the drift of each input
-- column and of the score against the version's training profile, as JSON, so a job
-- running MONITOR builds a history the model's page shows.
CREATE SEQUENCE IF NOT EXISTS sqlml_monitor_runs_id_seq START 1;

CREATE TABLE IF NOT EXISTS sqlml_monitor_runs (
  id           BIGINT NOT NULL PRIMARY KEY DEFAULT nextval('sqlml_monitor_runs_id_seq'),
  model        VARCHAR NOT NULL,
  version      INTEGER NOT NULL,
  run_at       VARCHAR NOT NULL,
  source_query TEXT NOT NULL,
  rows         BIGINT NOT NULL,
  results      TEXT NOT NULL
);

-- The tuning trials of a version trained with USING tune = N (src/engine/tune.ts), one
-- row per trial: its options (JSON), the last rung of successive halving it ran, its
-- validation loss and headline metric, and kept = 1 for the trial the version holds.
-- Added after the first catalogs: created IF NOT EXISTS, so an existing catalog gains it.
CREATE TABLE IF NOT EXISTS sqlml_trials (
  name            VARCHAR NOT NULL,
  version         INTEGER NOT NULL,
  trial           INTEGER NOT NULL,
  rung            INTEGER NOT NULL,
  options         VARCHAR NOT NULL,
  validation_loss DOUBLE,
  metric          VARCHAR NOT NULL,
  metric_value    DOUBLE,
  passes          INTEGER NOT NULL,
  seconds         DOUBLE NOT NULL,
  kept            INTEGER NOT NULL,
  PRIMARY KEY (name, version, trial)
);
