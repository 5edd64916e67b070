/**
 * The compiler's specification: on every database, a model compiled to SQL gives what
 * the streaming Scorer gives for the same rows (PREDICT … FROM through the engine):
 * labels identical, scores and values within 1e-9 (relative where large). The models
 * cover every dense feature kind and the three tasks; the scoring rows hold unseen and
 * unicode categories, NULLs, empty strings, extremes, and NaN / ±Infinity / infinite
 * dates where the database has them; the names are hostile. The compiled SQL runs after
 * the dialect's compiledSettings, as sqlml's own statements run it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, TableRef } from '../../adapters/adapter.js';
import { valueAt, type Column, type ResultTable, type Value } from '../../src/data.js';
import { compileModel, type CompiledModel } from '../../src/compile/index.js';
import { Engine } from '../../src/engine/engine.js';
import { Scorer } from '../../src/engine/predict.js';
import { predictionColumns } from '../../src/learn/model.js';
import { deserializeModel } from '../../src/learn/model-format.js';
import type { TrainedModel } from '../../src/learn/model.js';
import { memoryEngine, run } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';
import { COLUMNS, createSource, scoringRows, TARGETS, trainingRows } from './source-tables.js';

// The compiled SQL does not depend on how the stream reads: PostgreSQL's cursor reader is left to the engine suites.
const targets = [{ label: 'duckdb', url: null as string | null }, ...(await serverTargets()).filter((t) => t.label !== 'postgres (cursor)')];
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
/**
 * Training rows: enough for every feature kind (high-cardinality categories hashed, five
 * quantile bins, every class), few enough that the hashed weights' lookups stay small.
 * The database's planning of those lookups is what this suite's time goes on (600 rows
 * made a 206 KB SELECT that DuckDB took 28 s to plan under load; 200 rows, 72 KB, 9 s).
 */
const TRAINING_ROWS = 200;

interface ModelCase {
  readonly name: string;
  /** Feature kinds the model must hold (text kinds only where the database splits text into words). */
  readonly kinds: readonly string[];
  readonly target: string;
  /**
   * Extra RECIPE transforms, with `q` quoting a column name for the database; `words`
   * false leaves the free text out; `lower` wraps a column in lowercase() where the
   * database's lower() passed its check (adapters/lower-probe.ts), else leaves it as it is.
   */
  readonly recipe: (q: (name: string) => string, words: boolean, lower: (column: string) => string) => string[];
}

const DENSE = ['boolean', 'date', 'number', 'one_hot', 'quantile_bin'];
const HASHED = ['cartesian', 'hashed_category'];
const c = COLUMNS;

const MODELS: readonly ModelCase[] = [
  {
    name: 'binary_text',
    kinds: [...DENSE, ...HASHED, 'text'],
    target: c.yBinary.name,
    recipe: (q, _words, lower) => [`quantile_bin(${q(c.level.name)}, 5)`, `no_punct(${lower(q(c.note.name))})`, `cartesian(${lower(q(c.color.name))}, ${q(c.count.name)})`],
  },
  {
    name: 'binary_bool',
    kinds: [...DENSE, ...HASHED, 'text'],
    target: c.yBoolean.name,
    recipe: (q, words, lower) => [
      `no_punct(${lower(q(c.color.name))})`,
      `quantile_bin(${q(c.day.name)}, 4)`,
      `cartesian(quantile_bin(${q(c.amount.name)}, 3), ${q(c.day.name)})`,
      ...(words ? [`osb(${q(c.body.name)}, 3)`] : []),
    ],
  },
  {
    name: 'multiclass',
    kinds: [...DENSE, 'hashed_category', 'text'],
    target: c.yClass.name,
    // A hashed category and (where probabilityOf() is not inlined per class, as on MySQL,
    // whose 8,192-weight ELT lists it would repeat past max_allowed_packet) a crossing:
    // each one's slot is computed once for the three classes' margins.
    recipe: (q, words) => [
      `no_punct(${q(c.note.name)})`,
      `quantile_bin(${q(c.at.name)}, 3)`,
      ...(words ? [`cartesian(${q(c.color.name)}, ${q(c.count.name)})`, `ngram(no_punct(${q(c.body.name)}), 3)`] : []),
    ],
  },
  {
    name: 'regression',
    kinds: ['date', 'number', 'one_hot', 'cartesian', 'hashed_category', 'text'],
    target: c.yValue.name,
    recipe: (q) => [`normalize(${q(c.flag.name)})`, `cartesian(${q(c.flag.name)}, no_punct(${q(c.word.name)}))`],
  },
];

/** A number a result cell holds (drivers give bigints and decimals as text). */
function asNumber(value: Value): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number(value);
}

/** A label as comparable text: booleans and numbers by value (MySQL answers booleans as 0/1). */
function labelKey(value: Value, column: Column): string {
  if (value === null) return 'NULL';
  if (column.type === 'boolean') return String(asNumber(value) !== 0);
  if (column.type === 'text' || column.type === 'other') return String(value);
  return String(asNumber(value));
}

function closeEnough(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Rows by their id (column 0). */
function byId(result: ResultTable): Map<number, readonly Value[]> {
  return new Map(result.rows.map((row) => [asNumber(row[0]!), row]));
}

function expectSame(compiled: ResultTable, streamed: ResultTable, outputs: readonly Column[], what: string): void {
  const expected = byId(streamed);
  const got = byId(compiled);
  expect(got.size, what).toBe(expected.size);
  const streamedIndex = outputs.map((c) => streamed.columns.findIndex((s) => s.name === c.name));
  for (const [id, row] of expected) {
    const other = got.get(id);
    expect(other, `${what}: row ${id}`).toBeDefined();
    outputs.forEach((column, i) => {
      const want = row[streamedIndex[i]!]!;
      const have = other![1 + i]!;
      if (column.name === 'predicted_label') {
        expect(labelKey(have, column), `${what}: row ${id} ${column.name}`).toBe(labelKey(want, column));
      } else {
        const ok = closeEnough(asNumber(have), asNumber(want));
        if (!ok) expect(`${asNumber(have)}`, `${what}: row ${id} ${column.name}`).toBe(`${asNumber(want)}`);
      }
    });
  }
}

async function sourceColumns(adapter: Adapter, table: TableRef): Promise<Column[]> {
  const stream = await adapter.openStream(`SELECT * FROM ${adapter.sql.quoteTable(table)}`, { batchRows: 16 });
  const columns = [...stream.columns];
  await stream.close();
  return columns;
}

/**
 * The streaming Scorer's predictions for every row of `table`, with the id first. (The
 * Scorer directly, not PREDICT: PREDICT passes the source's columns through, and an
 * infinite timestamp among them has no value to give back.)
 */
async function scoreByStream(adapter: Adapter, model: TrainedModel, table: TableRef): Promise<ResultTable> {
  const stream = await adapter.openStream(`SELECT * FROM ${adapter.sql.quoteTable(table)}`, { batchRows: 64 });
  const outputs = predictionColumns(model);
  const rows: Value[][] = [];
  try {
    const scorer = new Scorer(model, stream.columns);
    const id = stream.columns.findIndex((c) => c.name === COLUMNS.id.name);
    for await (const batch of stream.batches()) {
      const predictions = scorer.score(batch);
      for (let row = 0; row < batch.rowCount; row++) {
        rows.push([valueAt(stream.columns[id]!, batch.columns[id]!, row), ...outputs.map((c, i) => valueAt(c, predictions[i]!, row))]);
      }
    }
  } finally {
    await stream.close();
  }
  return { command: 'PREDICT', columns: [{ name: COLUMNS.id.name, type: 'integer' }, ...outputs.map((c) => ({ name: c.name, type: c.type }))], rows };
}

describe.each(targets)('compiled models score as the stream does: $label', ({ label, url }) => {
  let engine: Engine;
  let adapter: Adapter;
  const train: TableRef = { name: `cmp "train"; ${tag}` };
  const score: TableRef = { name: `cmp score ${tag}` };
  const models = new Map<string, { model: TrainedModel; compiled: CompiledModel; streamed: ResultTable }>();
  const suffix = `${label.replace(/\W+/g, '_')}_${tag}`;

  beforeAll(async () => {
    engine = url === null ? await memoryEngine() : await Engine.open(url);
    adapter = engine.adapter;
    await createSource(adapter, train, trainingRows(TRAINING_ROWS));
    const nonFinite = adapter.sql.split.isNaN('x') !== 'FALSE';
    await createSource(adapter, score, scoringRows(nonFinite));
  }, 120_000);

  afterAll(async () => {
    if (!engine) return;
    for (const table of [train, score]) await adapter.query(`DROP TABLE IF EXISTS ${adapter.sql.quoteTable(table)}`);
    for (const m of MODELS) await run(engine, `DROP MODEL IF EXISTS ${m.name}_${suffix};`).catch(() => undefined);
    await engine.close();
  });

  /**
   * Runs compiled SQL as sqlml's in-database statements do: after the dialect's
   * compiledSettings, in the same implicit transaction. On PostgreSQL that is jit = off;
   * without it the JIT spent 31.8 of the 32.8 s of one multiclass expressions query
   * (6.5 MB of SQL) optimizing and emitting code, a cost no sqlml statement pays.
   */
  const compiledQuery = (text: string): Promise<ResultTable> => adapter.query([...adapter.sql.compiledSettings, text].join('; '));

  async function compiledCase(m: ModelCase): Promise<{ model: TrainedModel; compiled: CompiledModel; streamed: ResultTable }> {
    const cached = models.get(m.name);
    if (cached) return cached;
    const q = (name: string): string => adapter.sql.quoteIdent(name);
    const others = TARGETS.filter((t) => t.name !== m.target).map((t) => q(t.name));
    const name = `${m.name}_${suffix}`;
    const words = adapter.sql.textArrays !== undefined;
    const excluded = [q(COLUMNS.id.name), ...others, ...(words ? [] : [q(COLUMNS.body.name)])];
    const lower = (column: string): string => (adapter.sql.lowerText === undefined ? column : `lowercase(${column})`);
    const recipe = [`exclude(${excluded.join(', ')})`, ...m.recipe(q, words, lower)].join(', ');
    await run(engine, `CREATE OR REPLACE MODEL ${name} FROM ${adapter.sql.quoteTable(train)} PREDICT ${q(m.target)} RECIPE (${recipe}) USING seed = 3, passes = 4;`);
    const model = deserializeModel((await engine.store.get(name))!.model);
    const compilation = compileModel(model, adapter.sql, await sourceColumns(adapter, score));
    if (!compilation.ok) throw new Error(compilation.reason);
    const streamed = await scoreByStream(adapter, model, score);
    const entry = { model, compiled: compilation.compiled, streamed };
    models.set(m.name, entry);
    return entry;
  }

  it.each(MODELS)('$name: the compiled SELECT and the expressions give the stream\'s predictions', async (m) => {
    const { model, compiled, streamed } = await compiledCase(m);
    expect(model.task).toBe(m.name === 'regression' ? 'regression' : m.name === 'multiclass' ? 'multiclass' : 'binary');
    const kinds = new Set(model.recipe.features.map((f) => f.kind));
    const expected = adapter.sql.textArrays === undefined ? m.kinds.filter((kind) => kind !== 'text') : m.kinds;
    expect([...kinds].sort()).toEqual(expect.arrayContaining([...expected]));
    expect(model.recipe.hash).toBe('md5');
    const sql = adapter.sql;
    const select = compiled.select(sql.quoteTable(score), [COLUMNS.id.name]);
    expectSame(await compiledQuery(select), streamed, compiled.outputs, 'select');
    const expressions = compiled.expressions((name) => sql.quoteIdent(name));
    const list = compiled.outputs.map((c) => `${expressions[c.name]} AS ${sql.quoteIdent(c.name)}`);
    const inline = await compiledQuery(`SELECT ${sql.quoteIdent(COLUMNS.id.name)}, ${list.join(', ')} FROM ${sql.quoteTable(score)}`);
    expectSame(inline, streamed, compiled.outputs, 'expressions');
  }, 300_000);

  it.each(MODELS.filter((m) => m.name !== 'regression'))('$name: probabilityOf gives the probability of the row\'s own label', async (m) => {
    const { model, compiled, streamed } = await compiledCase(m);
    const sql = adapter.sql;
    const q = (name: string): string => sql.quoteIdent(name);
    const probability = compiled.probabilityOf!((name) => q(name), q(m.target));
    const result = await compiledQuery(`SELECT ${q(COLUMNS.id.name)}, ${q(m.target)}, ${probability} AS p FROM ${sql.quoteTable(score)}`);
    const scores = byId(streamed);
    const labelColumn = streamed.columns.findIndex((c) => c.name === 'predicted_label');
    const scoreColumn = streamed.columns.findIndex((c) => c.name === 'score');
    let checked = 0;
    for (const row of result.rows) {
      const streamedRow = scores.get(asNumber(row[0]!))!;
      const own = labelKey(row[1]!, model.target);
      if (own === 'NULL') {
        expect(row[2]).toBeNull();
        continue;
      }
      const p = asNumber(row[2]!);
      const predicted = labelKey(streamedRow[labelColumn]!, model.target);
      const s = asNumber(streamedRow[scoreColumn]!);
      if (model.task === 'binary') {
        // score is P(positive).
        const positive = model.label.classes[1]!;
        const isPositive = own === labelKey(model.target.type === 'boolean' ? positive === 'true' : positive, model.target);
        expect(closeEnough(p, isPositive ? s : 1 - s), `row ${asNumber(row[0]!)}`).toBe(true);
      } else if (own === predicted) {
        expect(closeEnough(p, s), `row ${asNumber(row[0]!)}`).toBe(true);
        checked++;
      } else {
        expect(p).toBeLessThanOrEqual(s + 1e-12);
      }
    }
    if (model.task === 'multiclass') expect(checked).toBeGreaterThan(0);
  }, 120_000);

  it.each(MODELS.filter((m) => m.name !== 'regression'))('$name: select with probabilityOf adds probabilityOf()\'s probability of a kept label as its last column', async (m) => {
    const { compiled } = await compiledCase(m);
    const sql = adapter.sql;
    const q = (name: string): string => sql.quoteIdent(name);
    const layered = await compiledQuery(compiled.select(sql.quoteTable(score), [COLUMNS.id.name, m.target], q(m.target)));
    expect(layered.columns.map((c) => c.name)).toEqual([COLUMNS.id.name, m.target, ...compiled.outputs.map((c) => c.name), 'probability_of']);
    const inline = await compiledQuery(`SELECT ${q(COLUMNS.id.name)}, ${compiled.probabilityOf!((name) => q(name), q(m.target))} AS p FROM ${sql.quoteTable(score)}`);
    const expected = new Map(inline.rows.map((row) => [asNumber(row[0]!), row[1]]));
    expect(layered.rows).toHaveLength(inline.rows.length);
    for (const row of layered.rows) {
      const p = expected.get(asNumber(row[0]!));
      const got = row[row.length - 1];
      if (p === null || p === undefined) expect(got).toBeNull();
      else expect(closeEnough(asNumber(got!), asNumber(p)), `row ${asNumber(row[0]!)}`).toBe(true);
    }
  }, 120_000);
});
