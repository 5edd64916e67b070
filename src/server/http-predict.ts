/**
 * The real-time prediction path of the HTTP API: JSON records → a RowBatch in the
 * model's own input columns → the same Scorer PREDICT uses → the response text.
 *
 * Each model is deserialized once and kept with its Scorer; the active version is looked
 * up at most once a second (and at once after a statement ran through this server), so a
 * new version is picked up without a catalog round trip per request. Concurrent requests
 * that find the lookup due share one query instead of each sending their own.
 */
import type { Column, ColumnData, RowBatch } from '../data.js';
import { isNumberType, valueAt } from '../data.js';
import type { Engine } from '../engine/engine.js';
import { Scorer } from '../engine/predict.js';
import { PredictionExtras } from '../engine/predict-extras.js';
import { predictionColumns } from '../learn/model.js';
import { SqlmlError } from '../errors.js';
import type { TrainedModel } from '../learn/model.js';
import { deserializeModel } from '../learn/model-format.js';
import type { ModelVersion } from '../catalog/model-store.js';

/** How long an active-version lookup is trusted before the catalog is asked again. */
export const ACTIVE_VERSION_TTL_MS = 1000;

/**
 * Most records one request may carry. Parsing and scoring run on the event loop, so one
 * request's batch is time every other client waits: a request at this limit takes about a
 * second end to end on a shared 2-core machine. Larger batches belong in PREDICT … INTO.
 */
export const MAX_RECORDS_PER_REQUEST = 100_000;

/** A record that cannot be scored; names the record (0-based) and field. */
export class RecordError extends Error {
  constructor(
    message: string,
    readonly record: number,
    readonly field: string | null,
  ) {
    super(message);
    this.name = 'RecordError';
  }
}

interface LoadedModel {
  readonly name: string;
  readonly version: number;
  readonly model: TrainedModel;
  readonly scorer: Scorer;
  readonly inputs: readonly Column[];
  readonly outputs: readonly Column[];
  /** `"name":` per output, quoted once so each prediction is plain concatenation. */
  readonly outputKeys: readonly string[];
  /** The response's constant head: `{"model":…,"version":…,"predictions":[`. */
  readonly head: string;
  /** Scorers that also explain, by terms per row (Infinity: all), made on first use. */
  readonly explainers: Map<number, Explaining>;
  checkedAt: number;
}

/** A scorer adding the `explanation` column, and the outputs it writes. */
interface Explaining {
  readonly scorer: Scorer;
  readonly outputs: readonly Column[];
  readonly outputKeys: readonly string[];
}

/** Explaining scorers kept per model (each holds a copy of the weights). */
const MAX_EXPLAINERS = 8;

export class PredictionCache {
  readonly #engine: Engine;
  readonly #models = new Map<string, LoadedModel>();
  readonly #lookups = new Map<string, Promise<LoadedModel>>();
  /** Bumped by invalidate(), so a lookup that started before it cannot mark its answer fresh. */
  #generation = 0;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Forgets when versions were checked (after a statement that may have trained or dropped one). */
  invalidate(): void {
    this.#generation++;
    for (const loaded of this.#models.values()) loaded.checkedAt = 0;
    this.#lookups.clear();
  }

  /**
   * Predictions for `records` with the active version of `name`, as the JSON text of
   * `{"model", "version", "predictions": [...]}` — written directly, the endpoint's
   * whole response, with no object per prediction.
   */
  async predictJson(name: string, records: readonly unknown[], explain: number | null = null): Promise<string> {
    const loaded = await this.load(name);
    const batch = toBatch(loaded.inputs, records);
    const { scorer, outputs, outputKeys } = explain === null ? loaded : explainer(loaded, explain);
    const columns = scorer.score(batch);
    // The explanation is JSON text already: it goes into the response as it is.
    const explanation = explain === null ? -1 : outputs.length - 1;
    let text = loaded.head;
    for (let row = 0; row < batch.rowCount; row++) {
      text += row === 0 ? '{' : ',{';
      for (let c = 0; c < columns.length; c++) {
        if (c > 0) text += ',';
        const value = valueAt(outputs[c]!, columns[c]!, row);
        text += outputKeys[c]! + (c === explanation ? String(value) : jsonValue(value));
      }
      text += '}';
    }
    return `${text}]}`;
  }

  /** The model behind a stored version: the cached one when it is that version. */
  modelOf(version: ModelVersion): TrainedModel {
    const cached = this.#models.get(version.name);
    return cached && cached.version === version.version ? cached.model : deserializeModel(version.model);
  }

  /** The active version of `name`, loaded; 404s (unknown_model) when there is none. */
  load(name: string): Promise<LoadedModel> {
    const cached = this.#models.get(name);
    if (cached && Date.now() - cached.checkedAt < ACTIVE_VERSION_TTL_MS) return Promise.resolve(cached);
    let lookup = this.#lookups.get(name);
    if (!lookup) {
      lookup = this.#refresh(name, this.#generation).finally(() => {
        if (this.#lookups.get(name) === lookup) this.#lookups.delete(name);
      });
      this.#lookups.set(name, lookup);
    }
    return lookup;
  }

  async #refresh(name: string, generation: number): Promise<LoadedModel> {
    const startedAt = Date.now();
    const active = await this.#activeVersion(name);
    if (active === null) {
      this.#models.delete(name);
      throw new SqlmlError('unknown_model', `model ${name} does not exist (GET /v1/models lists the models)`);
    }
    const fresh = generation === this.#generation ? startedAt : 0;
    const cached = this.#models.get(name);
    if (cached && cached.version === active) {
      cached.checkedAt = fresh;
      return cached;
    }
    const version = await this.#engine.store.get(name, active);
    if (!version) throw new SqlmlError('unknown_model', `model ${name} has no version ${active} (was it dropped just now?)`);
    const model = deserializeModel(version.model);
    const outputs = predictionColumns(model);
    const loaded: LoadedModel = {
      name: version.name,
      version: version.version,
      model,
      scorer: new Scorer(model, model.inputColumns),
      inputs: model.inputColumns,
      outputs,
      outputKeys: outputs.map((c) => `${JSON.stringify(c.name)}:`),
      head: `{"model":${JSON.stringify(version.name)},"version":${version.version},"predictions":[`,
      explainers: new Map(),
      checkedAt: fresh,
    };
    this.#models.set(name, loaded);
    return loaded;
  }

  async #activeVersion(name: string): Promise<number | null> {
    await this.#engine.store.ensureSchema();
    const row = await this.#engine.catalog.selectFrom('sqlml_models').select('active_version').where('name', '=', name).executeTakeFirst();
    return row?.active_version == null ? null : Number(row.active_version);
  }
}

function explainer(loaded: LoadedModel, terms: number): Explaining {
  let found = loaded.explainers.get(terms);
  if (found === undefined) {
    const extras = new PredictionExtras(loaded.model, { explain: terms, probabilities: false });
    const outputs = [...predictionColumns(loaded.model), ...extras.columns];
    found = { scorer: new Scorer(loaded.model, loaded.model.inputColumns, extras), outputs, outputKeys: outputs.map((c) => `${JSON.stringify(c.name)}:`) };
    if (loaded.explainers.size >= MAX_EXPLAINERS) loaded.explainers.clear();
    loaded.explainers.set(terms, found);
  }
  return found;
}

/**
 * The `explain` field of a `{"records": [...], "explain": k | "all"}` body: terms per
 * row (Infinity for "all"), or null without it. (A bare record's fields are its columns.)
 */
export function explainOf(body: unknown): number | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('records' in body) || !('explain' in body)) return null;
  const explain = (body as { explain: unknown }).explain;
  if (explain === null) return null;
  if (typeof explain === 'string' && explain.toLowerCase() === 'all') return Infinity;
  if (typeof explain === 'number' && Number.isInteger(explain) && explain >= 1) return explain;
  throw new RecordError(`"explain" must be a whole number of terms ≥ 1 or "all", got ${shown(explain)}`, 0, 'explain');
}

function jsonValue(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  return JSON.stringify(value);
}

/** What a prediction request's body holds: one record, a bare array, or `{"records": [...]}`. */
export function recordsOf(body: unknown): readonly unknown[] {
  if (Array.isArray(body)) return atMostMaxRecords(body);
  if (body === null || typeof body !== 'object') {
    throw new RecordError('the body must be a record object, an array of records, or {"records": [...]}', 0, null);
  }
  if ('records' in body) {
    const records = (body as { records: unknown }).records;
    if (!Array.isArray(records)) throw new RecordError('"records" must be an array of record objects', 0, 'records');
    return atMostMaxRecords(records);
  }
  return [body];
}

/** The records, unless there are too many; the error's `record` is the first one over the limit. */
function atMostMaxRecords(records: readonly unknown[]): readonly unknown[] {
  if (records.length > MAX_RECORDS_PER_REQUEST) {
    throw new RecordError(
      `the request has ${records.length} records, more than the ${MAX_RECORDS_PER_REQUEST} one request may carry (split it, or use PREDICT … INTO for a table)`,
      MAX_RECORDS_PER_REQUEST,
      null,
    );
  }
  return records;
}

/**
 * A value as an error message shows it: short, and without walking a nested value (a
 * record may hold arrays nested deeper than JSON.stringify's stack allows).
 */
function shown(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 40)}… (${text.length} characters)` : text;
}

/**
 * Records as a batch of the model's input columns. A missing field or null is NULL, as a
 * NULL was at training; a value of the wrong kind is an error naming record and field.
 * Fields the model does not use are ignored.
 */
export function toBatch(columns: readonly Column[], records: readonly unknown[]): RowBatch {
  const n = records.length;
  const data: ColumnData[] = columns.map((column) =>
    isNumberType(column.type)
      ? { kind: 'number', values: new Float64Array(n), nulls: new Uint8Array(n) }
      : { kind: 'text', values: new Array<string | null>(n).fill(null) },
  );
  for (let row = 0; row < n; row++) {
    const record = records[row];
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new RecordError(`record ${row} is not a JSON object`, row, null);
    }
    const fields = record as Record<string, unknown>;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!;
      const value = fieldOf(fields, column.name);
      const out = data[c]!;
      if (out.kind === 'text') {
        (out.values as (string | null)[])[row] = textOf(column, value, row);
        continue;
      }
      if (value === null || value === undefined) {
        out.nulls[row] = 1;
        continue;
      }
      const number = toNumber(column, value);
      if (number === null) {
        const expected = column.type === 'boolean' ? 'a boolean' : column.type === 'date' || column.type === 'timestamp' ? `a ${column.type}` : 'a number';
        throw new RecordError(
          `record ${row}, field ${column.name}: ${shown(value)} is not ${expected} (the model's column ${column.name} is ${column.dbType})`,
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
  if (Object.hasOwn(fields, name)) return fields[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(fields)) if (key.toLowerCase() === lower) return fields[key];
  return undefined;
}

/** Text columns take strings, and numbers or booleans as the database would print them. */
function textOf(column: Column, value: unknown, row: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // `other` columns (lists, structs, json) travelled as their text form at training.
  if (column.type === 'other') {
    try {
      return JSON.stringify(value);
    } catch {
      throw new RecordError(`record ${row}, field ${column.name}: the value is nested too deeply to read`, row, column.name);
    }
  }
  throw new RecordError(`record ${row}, field ${column.name}: ${shown(value)} is not text (the model's column ${column.name} is ${column.dbType})`, row, column.name);
}

const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function toNumber(column: Column, value: unknown): number | null {
  switch (column.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (value === 0 || value === 1) return value;
      if (value === 'true' || value === 'false') return value === 'true' ? 1 : 0;
      return null;
    case 'date':
    case 'timestamp': {
      if (typeof value !== 'string') return null;
      // Timestamps without a zone are UTC, as the adapters read them.
      const zoned = value.length <= 10 || /(?:[zZ]|[+-]\d\d(?::?\d\d)?)$/.test(value);
      const ms = Date.parse(zoned ? value : `${value.replace(' ', 'T')}Z`);
      return Number.isNaN(ms) ? null : ms;
    }
    default: {
      if (typeof value === 'number') return Number.isFinite(value) ? value : null;
      // Decimal notation only, as a database casting the text would read it ('0x10', 'Infinity' and '1e999' are not numbers).
      if (typeof value === 'string' && DECIMAL.test(value)) {
        const number = Number(value);
        return Number.isFinite(number) ? number : null;
      }
      return null;
    }
  }
}
