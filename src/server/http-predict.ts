/**
 * The real-time prediction path of the HTTP API: JSON records → a RowBatch in the
 * model's own input columns → the same Scorer PREDICT uses. Each model is deserialized
 * once and kept with its Scorer; the active version is looked up at most once a second
 * (and at once after a statement ran through this server), so a new version is picked up
 * without a catalog round trip per request.
 */
import type { Column, ColumnData, RowBatch } from '../data.js';
import { isNumberType } from '../data.js';
import type { Engine } from '../engine/engine.js';
import { predictionColumns, Scorer } from '../engine/predict.js';
import { SqlmlError } from '../errors.js';
import { deserializeModel, type TrainedModel } from '../learn/model.js';

/** How long an active-version lookup is trusted. */
const ACTIVE_VERSION_TTL_MS = 1000;

/** A record that cannot be scored; names the record (0-based) and field. */
export class RecordError extends Error {
  constructor(
    message: string,
    readonly record: number,
    readonly field: string,
  ) {
    super(message);
  }
}

interface LoadedModel {
  readonly name: string;
  readonly version: number;
  readonly model: TrainedModel;
  readonly scorer: Scorer;
  readonly columns: readonly Column[];
  /** Output field names, in order. */
  readonly outputs: readonly string[];
  checkedAt: number;
}

export class PredictionCache {
  readonly #engine: Engine;
  readonly #models = new Map<string, LoadedModel>();

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Forgets when versions were checked (after a statement that may have trained or dropped one). */
  invalidate(): void {
    for (const loaded of this.#models.values()) loaded.checkedAt = 0;
  }

  async predict(name: string, records: readonly unknown[]): Promise<{ model: string; version: number; predictions: Record<string, unknown>[] }> {
    const loaded = await this.#load(name);
    const batch = toBatch(loaded.columns, records);
    const columns = loaded.scorer.score(batch);
    const predictions: Record<string, unknown>[] = new Array(records.length);
    for (let row = 0; row < records.length; row++) {
      const out: Record<string, unknown> = {};
      for (let c = 0; c < columns.length; c++) out[loaded.outputs[c]!] = valueOf(columns[c]!, row, loaded.model, c);
      predictions[row] = out;
    }
    return { model: loaded.name, version: loaded.version, predictions };
  }

  async #load(name: string): Promise<LoadedModel> {
    const cached = this.#models.get(name);
    const now = Date.now();
    if (cached && now - cached.checkedAt < ACTIVE_VERSION_TTL_MS) return cached;
    const active = await this.#activeVersion(name);
    if (active === null) {
      this.#models.delete(name);
      throw new SqlmlError('unknown_model', `model ${name} does not exist (GET /v1/models lists the models)`);
    }
    if (cached && cached.version === active) {
      cached.checkedAt = now;
      return cached;
    }
    const version = await this.#engine.store.get(name, active);
    if (!version) throw new SqlmlError('unknown_model', `model ${name} has no version ${active}`);
    const model = deserializeModel(version.model);
    const columns = model.inputColumns;
    const loaded: LoadedModel = {
      name: version.name,
      version: version.version,
      model,
      scorer: new Scorer(model, columns),
      columns,
      outputs: predictionColumns(model).map((c) => c.name),
      checkedAt: now,
    };
    this.#models.set(name, loaded);
    return loaded;
  }

  async #activeVersion(name: string): Promise<number | null> {
    await this.#engine.store.ensureSchema();
    const row = await this.#engine.adapter.catalog.selectFrom('sqlml_models').select('active_version').where('name', '=', name).executeTakeFirst();
    return row?.active_version == null ? null : Number(row.active_version);
  }
}

/** Prediction values as JSON: labels in the target's own type (booleans as booleans). */
function valueOf(data: ColumnData, row: number, model: TrainedModel, column: number): unknown {
  if (data.kind === 'text') return data.values[row] ?? null;
  const value = data.values[row]!;
  if (column === 0 && model.task !== 'regression') {
    const type = model.target.type;
    if (type === 'boolean') return value === 1;
    if (type === 'date') return new Date(value).toISOString().slice(0, 10);
    if (type === 'timestamp') return new Date(value).toISOString();
  }
  return Number.isFinite(value) ? value : null;
}

/**
 * Records as a batch of the model's input columns. A missing field or null is NULL, as a
 * NULL was at training; a value of the wrong kind is an error naming record and field.
 */
export function toBatch(columns: readonly Column[], records: readonly unknown[]): RowBatch {
  const n = records.length;
  const data: ColumnData[] = columns.map((column) =>
    isNumberType(column.type) ? { kind: 'number', values: new Float64Array(n), nulls: new Uint8Array(n) } : { kind: 'text', values: new Array<string | null>(n).fill(null) },
  );
  for (let row = 0; row < n; row++) {
    const record = records[row];
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new RecordError(`record ${row} is not a JSON object`, row, '');
    }
    const fields = record as Record<string, unknown>;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!;
      const value = fieldOf(fields, column.name);
      const out = data[c]!;
      if (out.kind === 'text') {
        (out.values as (string | null)[])[row] = value === null || value === undefined ? null : typeof value === 'object' ? JSON.stringify(value) : String(value);
        continue;
      }
      if (value === null || value === undefined) {
        out.nulls[row] = 1;
        continue;
      }
      const number = toNumber(column, value);
      if (number === null) {
        throw new RecordError(
          `record ${row}, field ${column.name}: ${JSON.stringify(value)} is not a ${column.type === 'boolean' ? 'boolean' : column.type === 'date' || column.type === 'timestamp' ? column.type : 'number'} (the model's column ${column.name} is ${column.dbType})`,
          row,
          column.name,
        );
      }
      out.values[row] = number;
    }
  }
  return { rowCount: n, columns: data };
}

/** The field for a column, matched exactly first, then ignoring case (SQL names are case-insensitive). */
function fieldOf(fields: Record<string, unknown>, name: string): unknown {
  if (name in fields) return fields[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(fields)) if (key.toLowerCase() === lower) return fields[key];
  return undefined;
}

function toNumber(column: Column, value: unknown): number | null {
  switch (column.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (value === 0 || value === 1) return value;
      if (value === 'true' || value === 'false') return value === 'true' ? 1 : 0;
      return null;
    case 'date':
    case 'timestamp': {
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value !== 'string') return null;
      const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) || value.length <= 10 ? value : `${value}Z`);
      return Number.isNaN(ms) ? null : ms;
    }
    default: {
      if (typeof value === 'number') return Number.isFinite(value) ? value : null;
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'string' && value.trim() !== '') {
        const number = Number(value);
        return Number.isFinite(number) ? number : null;
      }
      return null;
    }
  }
}
