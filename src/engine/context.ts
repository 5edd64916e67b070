/**
 * What every statement executor gets: the adapter, the model store, cancellation and
 * progress, and the few rules that turn names from the statement into database text.
 */
import type { Adapter, ResultLimit, TableRef } from '../../adapters/adapter.js';
export { tableLabel } from '../../adapters/write-checks.js';
import type { ModelStore, ModelVersion } from '../catalog/model-store.js';
import type { Column } from '../data.js';
import { SqlmlError } from '../errors.js';
import type { TrainedModel } from '../learn/model.js';
import { deserializeModel } from '../learn/model-format.js';
import type { Identifier, ModelRef, Source, TableName } from '../sql/ast.js';

export type Phase = 'read' | 'encode' | 'train' | 'finish' | 'evaluate' | 'predict' | 'write';

/** A progress report for long work; shown on stderr by the CLI, never on stdout. */
export interface Progress {
  readonly phase: Phase;
  /** Rows handled so far in this phase. */
  readonly rows: number;
  /** The rows this phase will handle, where known (a database's estimate for reads): the face shows a percentage and time left. */
  readonly totalRows?: number;
  readonly pass?: number;
  readonly passes?: number;
  /** The full-batch finish's iteration and its most iterations (phase 'finish'). */
  readonly iteration?: number;
  readonly iterations?: number;
  /** The last finished pass's validation loss (its training loss without validation rows), or the finish's objective (phase 'finish'). */
  readonly loss?: number;
  readonly rowsPerSecond?: number;
}

export interface ExecOptions {
  readonly signal?: AbortSignal;
  /**
   * Most rows and bytes a statement's result may hold in memory (pass-through SELECTs,
   * PREDICT without INTO); over it the statement fails with `result_too_large`. The face
   * chooses it; none means unbounded.
   */
  readonly resultLimit?: ResultLimit;
  readonly onProgress?: (progress: Progress) => void;
}

export interface ExecContext extends ExecOptions {
  readonly adapter: Adapter;
  readonly store: ModelStore;
  /** Directory for training spill files (default: SQLML_CACHE_DIR, else the OS temp dir; see cache-dir.ts). */
  readonly cacheParent?: string;
  /** Most one training may write there (default: SQLML_CACHE_LIMIT, else half the free space; see cache-dir.ts). */
  readonly cacheLimit?: string;
  /**
   * Where the training's encoding pass runs: 'auto' (a worker thread from ENCODE_WORKER_MIN_ROWS
   * rows, so training starts while encoding goes on), 'always', or 'never'. The model is
   * the same either way.
   */
  readonly encodeWorker?: 'auto' | 'always' | 'never';
  /** Loaded models by `name@version`, so repeated PREDICTs do not re-parse weights. */
  readonly loadedModels: Map<string, TrainedModel>;
}

/** Rows per batch read from the database. */
export const BATCH_ROWS = 4096;

/**
 * Model names follow SQL's rule for unquoted identifiers: case-insensitive, kept in
 * lower case; a quoted name keeps its case.
 */
export function modelName(id: Identifier): string {
  return id.quoted ? id.value : id.value.toLowerCase();
}

/** A table or schema name as the database resolves it (its dialect folds unquoted names or not). */
function tableIdentifier(adapter: Adapter, id: Identifier): string {
  return adapter.sql.foldIdentifier(id.value, id.quoted);
}

export function tableRef(adapter: Adapter, table: TableName): TableRef {
  const name = tableIdentifier(adapter, table.name);
  return table.schema ? { schema: tableIdentifier(adapter, table.schema), name } : { name };
}

/** The query to stream for a FROM/ON source. User SELECT text is only ever wrapped. */
export function sourceQuery(adapter: Adapter, source: Source): string {
  if (source.kind === 'query') return `SELECT * FROM (${source.sql}) AS sqlml_source`;
  return `SELECT * FROM ${adapter.sql.quoteTable(tableRef(adapter, source.table))}`;
}

/** The FROM clause as stored with a model version (re-parsed by RETRAIN and EVALUATE). */
export function sourceText(adapter: Adapter, source: Source): string {
  if (source.kind === 'query') return `(${source.sql})`;
  return adapter.sql.quoteTable(tableRef(adapter, source.table));
}

/** Finds a column by name: exact first, then (for unquoted names) case-insensitively. */
export function findColumn(columns: readonly Column[], id: Identifier): number {
  const exact = columns.findIndex((c) => c.name === id.value);
  if (exact >= 0 || id.quoted) return exact;
  const lower = id.value.toLowerCase();
  return columns.findIndex((c) => c.name.toLowerCase() === lower);
}

export function columnList(columns: readonly Column[]): string {
  const names = columns.map((c) => c.name);
  return names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
}

export async function getModelVersion(context: ExecContext, ref: ModelRef): Promise<ModelVersion> {
  await context.store.ensureSchema();
  const name = modelName(ref.name);
  const version = await context.store.get(name, ref.version);
  if (version) return version;
  if (ref.version !== undefined && (await context.store.exists(name))) {
    throw new SqlmlError('unknown_model', `model ${name} has no version ${ref.version}`);
  }
  throw new SqlmlError('unknown_model', `model ${name} does not exist (SHOW MODELS lists the models)`);
}

export function loadModel(context: ExecContext, version: ModelVersion): TrainedModel {
  const key = `${version.name}@${version.version}`;
  let model = context.loadedModels.get(key);
  if (!model) {
    model = deserializeModel(version.model);
    context.loadedModels.set(key, model);
  }
  return model;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SqlmlError('cancelled', 'the statement was cancelled');
}

/** Elapsed seconds since `start` (a performance.now() reading), rounded to milliseconds. */
export function secondsSince(start: number): number {
  return Math.round(performance.now() - start) / 1000;
}
