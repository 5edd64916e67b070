/**
 * The typed statement tree of sqlml's language (../shared/spec/statements.md).
 * Kind-discriminated, readonly, plain data: the engine switches on `kind`.
 * Every statement keeps its verbatim `text` and where it starts in the script.
 */

export interface Position {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column (UTF-16 code units). */
  readonly column: number;
  /** 0-based offset into the whole script. */
  readonly offset: number;
}

/** A name as the user wrote it: quotes removed; `quoted` says whether its case is exact. */
export interface Identifier {
  readonly value: string;
  readonly quoted: boolean;
  readonly position: Position;
}

/** `name` or `schema.name`. */
export interface TableName {
  readonly schema?: Identifier;
  readonly name: Identifier;
}

/** `name` or `name@3` (a specific version). */
export interface ModelRef {
  readonly name: Identifier;
  readonly version?: number;
}

/** FROM ( <select> ): `sql` is the text between the parentheses, verbatim. FROM table. */
export type Source =
  | { readonly kind: 'query'; readonly sql: string; readonly position: Position }
  | { readonly kind: 'table'; readonly table: TableName };

/** The value of a USING option: a literal, or a bare word such as `auto` or `balanced`. */
export type OptionValue =
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'identifier'; readonly value: string };

export interface OptionAssignment {
  /** Lower-cased option name. */
  readonly name: string;
  readonly value: OptionValue;
  readonly position: Position;
}

/** An argument of a recipe transform: a column, a number, a string, or a nested transform. */
export type TransformArg =
  | { readonly kind: 'column'; readonly name: Identifier }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'transform'; readonly transform: Transform };

/** `quantile_bin(age, 10)`, `ngram(lowercase(text), 2)`... name lower-cased, not yet validated. */
export interface Transform {
  readonly name: string;
  readonly args: readonly TransformArg[];
  readonly position: Position;
}

interface StatementBase {
  /** The statement's text as written, without the terminating `;`. */
  readonly text: string;
  readonly start: Position;
}

/** CREATE [OR REPLACE] MODEL [IF NOT EXISTS] ... and TRAIN MODEL ... (train: true, orReplace: true). */
export interface CreateModel extends StatementBase {
  readonly kind: 'create_model';
  readonly train: boolean;
  readonly orReplace: boolean;
  readonly ifNotExists: boolean;
  readonly name: Identifier;
  readonly source: Source;
  readonly target: Identifier;
  /** null without a RECIPE clause. */
  readonly recipe: readonly Transform[] | null;
  readonly options: readonly OptionAssignment[];
}

export interface RetrainModel extends StatementBase {
  readonly kind: 'retrain_model';
  readonly model: ModelRef;
  readonly source: Source | null;
  readonly options: readonly OptionAssignment[];
}

export interface EvaluateModel extends StatementBase {
  readonly kind: 'evaluate_model';
  readonly model: ModelRef;
  readonly source: Source | null;
  readonly options: readonly OptionAssignment[];
}

export interface PredictInto {
  readonly table: TableName;
  /** Empty: write every input column. */
  readonly key: readonly Identifier[];
  readonly mode: 'replace' | 'append';
}

export interface Predict extends StatementBase {
  readonly kind: 'predict';
  readonly model: ModelRef;
  readonly source: Source;
  readonly into: PredictInto | null;
  /** USING engine = ... (which engine runs it; src/engine/engine-choice.ts reads it). */
  readonly options: readonly OptionAssignment[];
}

/** EXPLAIN PREDICT name FROM ... [USING ...]: which engine PREDICT (with those options) would use, and the SQL it would run. */
export interface ExplainPredict extends StatementBase {
  readonly kind: 'explain_predict';
  readonly model: ModelRef;
  readonly source: Source;
  /** PREDICT's own options (engine, explain, probabilities, threshold): they decide the engine. */
  readonly options: readonly OptionAssignment[];
}

export interface ShowModels extends StatementBase {
  readonly kind: 'show_models';
}

export interface DescribeModel extends StatementBase {
  readonly kind: 'describe_model';
  readonly model: ModelRef;
}

/** SHOW WEIGHTS name[@v]: one row per learned weight, named by what it means. */
export interface ShowWeights extends StatementBase {
  readonly kind: 'show_weights';
  readonly model: ModelRef;
}

export interface DropModel extends StatementBase {
  readonly kind: 'drop_model';
  readonly ifExists: boolean;
  readonly name: Identifier;
}

/** EXPORT MODEL name[@v] AS FUNCTION [schema.]function_name */
export interface ExportModel extends StatementBase {
  readonly kind: 'export_model';
  readonly model: ModelRef;
  /** The function to create; a classifier's score function is this name with `_score` appended. */
  readonly function: TableName;
}

export type JobSchedule =
  | { readonly kind: 'cron'; readonly expression: string }
  | { readonly kind: 'every'; readonly interval: string };

export interface CreateJob extends StatementBase {
  readonly kind: 'create_job';
  readonly orReplace: boolean;
  readonly name: Identifier;
  readonly schedule: JobSchedule;
  /** The statement after AS, parsed (a sqlml statement or a pass-through one). */
  readonly body: Statement;
}

export interface ShowJobs extends StatementBase {
  readonly kind: 'show_jobs';
}

/** SHOW TRIALS name[@v]: the tuning trials of a version (the active one without @v). */
export interface ShowTrials extends StatementBase {
  readonly kind: 'show_trials';
  readonly model: ModelRef;
}

export interface RunJob extends StatementBase {
  readonly kind: 'run_job';
  readonly name: Identifier;
}

export interface DropJob extends StatementBase {
  readonly kind: 'drop_job';
  readonly ifExists: boolean;
  readonly name: Identifier;
}

/** SHOW VERSIONS name: every stored version, its metrics, which is active. */
export interface ShowVersions extends StatementBase {
  readonly kind: 'show_versions';
  readonly name: Identifier;
}

/** ACTIVATE MODEL name@v: makes version v the one PREDICT, EVALUATE, EXPORT and the HTTP endpoint use. */
export interface ActivateModel extends StatementBase {
  readonly kind: 'activate_model';
  readonly name: Identifier;
  readonly version: number;
}

/** DESCRIBE DATA FROM source [PREDICT target]: per-column statistics and alerts. */
export interface DescribeData extends StatementBase {
  readonly kind: 'describe_data';
  readonly source: Source;
  readonly target: Identifier | null;
}

/** MONITOR MODEL name[@v] ON source: drift of each input and of the score against the training profile. */
export interface MonitorModel extends StatementBase {
  readonly kind: 'monitor_model';
  readonly model: ModelRef;
  readonly source: Source;
}

/** Any statement sqlml does not own: sent to the database verbatim. */
export interface PassThrough extends StatementBase {
  readonly kind: 'pass_through';
}

export type Statement =
  | CreateModel
  | RetrainModel
  | EvaluateModel
  | Predict
  | ExplainPredict
  | ShowModels
  | DescribeModel
  | ShowWeights
  | DropModel
  | ExportModel
  | CreateJob
  | ShowJobs
  | ShowTrials
  | RunJob
  | DropJob
  | ShowVersions
  | ActivateModel
  | DescribeData
  | MonitorModel
  | PassThrough;
