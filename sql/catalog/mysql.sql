-- sqlml's catalog on MySQL / MariaDB: models, their versions, scheduled jobs, job runs and exported functions.
-- Must match src/catalog/schema.ts column for column. Timestamps and JSON documents are
-- text so that one set of catalog code reads every dialect. Run statement by statement
-- (src/catalog/ddl.ts splits on semicolons, so none may appear inside a statement).
--
-- Key columns are VARCHAR(255): InnoDB cannot index TEXT without a prefix length, and
-- 255 utf8mb4 characters fit the 3072-byte key limit. TEXT holds only 64 KB, so JSON
-- documents are MEDIUMTEXT (16 MB) and the model LONGTEXT (4 GB; it can reach ~130 MB,
-- which also needs max_allowed_packet above that size on the server).
-- `rows` is a reserved word since MySQL 8.0.2, hence the backquotes.
-- No foreign keys, as on DuckDB: src/catalog/model-store.ts keeps models and versions
-- consistent inside transactions, the same way on every dialect.

CREATE TABLE IF NOT EXISTS sqlml_models (
  name           VARCHAR(255) NOT NULL PRIMARY KEY,
  -- NULL only while the first version is being stored.
  active_version INT NULL,
  created_at     VARCHAR(40) NOT NULL,
  updated_at     VARCHAR(40) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS sqlml_model_versions (
  name           VARCHAR(255) NOT NULL,
  version        INT NOT NULL,
  status         VARCHAR(32) NOT NULL,
  type           VARCHAR(32) NOT NULL,
  target         VARCHAR(255) NOT NULL,
  options        MEDIUMTEXT NOT NULL,
  recipe         MEDIUMTEXT NOT NULL,
  model          LONGTEXT NOT NULL,
  training_stats MEDIUMTEXT NOT NULL,
  evaluation     MEDIUMTEXT NOT NULL,
  source_query   MEDIUMTEXT NOT NULL,
  created_at     VARCHAR(40) NOT NULL,
  PRIMARY KEY (name, version)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS sqlml_jobs (
  name          VARCHAR(255) NOT NULL PRIMARY KEY,
  schedule_kind VARCHAR(16) NOT NULL,
  schedule      VARCHAR(255) NOT NULL,
  statement     MEDIUMTEXT NOT NULL,
  created_at    VARCHAR(40) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS sqlml_job_runs (
  id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  job         VARCHAR(255) NOT NULL,
  started_at  VARCHAR(40) NOT NULL,
  finished_at VARCHAR(40) NULL,
  outcome     VARCHAR(16) NOT NULL,
  error       MEDIUMTEXT NULL,
  `rows`      BIGINT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Who runs each job's next slot: a `sqlml serve` process claims a due job by moving
-- next_run_at on with one conditional UPDATE, and holds the lease while it runs, so two
-- processes never run one job at once and a slot runs once (src/server/scheduler.ts).
CREATE TABLE IF NOT EXISTS sqlml_job_leases (
  job         VARCHAR(255) NOT NULL PRIMARY KEY,
  holder      VARCHAR(255),
  expires_at  VARCHAR(40),
  next_run_at VARCHAR(40) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The SQL functions EXPORT MODEL created (src/catalog/export-store.ts): a function named
-- here is sqlml's to replace and to drop with its model; any other is the user's.
-- function_schema is '' for a name the database resolves itself; signature is what
-- identifies the function to DROP FUNCTION (with its argument types where they overload).
CREATE TABLE IF NOT EXISTS sqlml_exports (
  function_schema VARCHAR(255) NOT NULL,
  function_name   VARCHAR(255) NOT NULL,
  model           VARCHAR(255) NOT NULL,
  version         INT NOT NULL,
  signature       TEXT NOT NULL,
  created_at      VARCHAR(40) NOT NULL,
  PRIMARY KEY (function_schema, function_name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- One row per MONITOR MODEL run (src/catalog/monitor-store.ts): the drift of each input
-- column and of the score against the version's training profile, as JSON, so a job
-- running MONITOR builds a history the model's page shows.
CREATE TABLE IF NOT EXISTS sqlml_monitor_runs (
  id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  model        VARCHAR(255) NOT NULL,
  version      INT NOT NULL,
  run_at       VARCHAR(40) NOT NULL,
  source_query MEDIUMTEXT NOT NULL,
  `rows`       BIGINT NOT NULL,
  results      MEDIUMTEXT NOT NULL,
  KEY sqlml_monitor_runs_model (model, id)
);

-- The tuning trials of a version trained with USING tune = N (src/engine/tune.ts), one
-- row per trial: its options (JSON), the last rung of successive halving it ran, its
-- validation loss and headline metric, and kept = 1 for the trial the version holds.
-- Added after the first catalogs: created IF NOT EXISTS, so an existing catalog gains it.
CREATE TABLE IF NOT EXISTS sqlml_trials (
  name            VARCHAR(255) NOT NULL,
  version         INT NOT NULL,
  trial           INT NOT NULL,
  rung            INT NOT NULL,
  options         MEDIUMTEXT NOT NULL,
  validation_loss DOUBLE,
  metric          VARCHAR(32) NOT NULL,
  metric_value    DOUBLE,
  passes          INT NOT NULL,
  seconds         DOUBLE NOT NULL,
  kept            INT NOT NULL,
  PRIMARY KEY (name, version, trial)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
