/**
 * The finish's objective summed by the database (src/compile/objective-sql.ts,
 * src/engine/database-objective.ts) is the in-memory one (learn/cached-objective.ts): on
 * every database, for the same rows, the same learner and the same coordinate vectors,
 * the value, the gradient, the inverse Hessian diagonal and the validation loss agree
 * within 1e-9 (relative), and L-BFGS reaches the same optimum on both. The rows are real
 * data sets and a synthetic table with hostile names, NULLs, unseen categories, extremes
 * and NaN / ±Infinity where the database has them; the roles come from the row id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, TableRef } from '../../adapters/adapter.js';
import { compileObjective, type CompiledObjective } from '../../src/compile/objective-sql.js';
import type { Column } from '../../src/data.js';
import { DatabaseObjective } from '../../src/engine/database-objective.js';
import { Engine } from '../../src/engine/engine.js';
import { CachedObjective, type ObjectiveRows } from '../../src/learn/cached-objective.js';
import { ObjectiveCoordinates } from '../../src/learn/coordinates.js';
import { FeatureEncoder } from '../../src/learn/encode.js';
import { LabelEncoder } from '../../src/learn/label.js';
import { deserializeModel } from '../../src/learn/model-format.js';
import type { TrainedModel } from '../../src/learn/model.js';
import { minimize, polish, polishObjective } from '../../src/learn/polish.js';
import { OnlineLearner } from '../../src/learn/sgd.js';
import { mulberry32 } from '../../src/learn/random.js';
import { createSparseVector, type ExampleBlock } from '../../src/learn/types.js';
import { COLUMNS, createSource, scoringRows, TARGETS, trainingRows } from '../compile/source-tables.js';
import { memoryEngine, run } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

const targets = [{ label: 'duckdb', url: null as string | null }, ...(await serverTargets()).filter((t) => t.label !== 'postgres (cursor)')];
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

const FILES = {
  bank: sharedDataFile('bank_additional_full.csv'),
  adult: sharedDataFile('adult_train.csv'),
  letters: sharedDataFile('letter_recognition.csv'),
  california: sharedDataFile('california_housing.csv'),
};
/** Rows of each real data set: enough for every class and category, few enough for MariaDB's materialized layers. */
const REAL_ROWS = 2000;
const L2 = 1e-3;
const MINIMIZE_L2 = 0.03;

interface Case {
  readonly name: string;
  /** The table (created in beforeAll) and its target. */
  readonly table: 'synthetic' | keyof typeof FILES;
  readonly target: string;
  readonly task: 'binary' | 'multiclass' | 'regression';
  readonly balanced: boolean;
  /**
   * Whether L-BFGS runs to the optimum on both objectives (each run is a hundred or so
   * evaluations, so two cases). Not the synthetic regression: its extreme rows give a
   * feature a scale of 1e6 standard deviations, so a direction with next to no curvature,
   * where two runs stop microns apart.
   */
  readonly minimize: boolean;
  /** RECIPE transforms (q quotes a column name). */
  readonly recipe: (q: (name: string) => string) => string[];
}

const c = COLUMNS;
const syntheticRecipe = (target: string) => (q: (name: string) => string): string[] => [
  `exclude(${[c.id, c.body, c.word, c.note, ...TARGETS.filter((t) => t.name !== target)].map((col) => q(col.name)).join(', ')})`,
  `quantile_bin(${q(c.level.name)}, 5)`,
];
const realRecipe = (q: (name: string) => string): string[] => [`exclude(${q('id')})`];
/** The hashed kinds: the word (~240 values in 300 rows) hashed by default, the body's words and pairs, the color crossed with the word. */
const hashedRecipe = (target: string) => (q: (name: string) => string): string[] => [
  `exclude(${[c.id, c.note, ...TARGETS.filter((t) => t.name !== target)].map((col) => q(col.name)).join(', ')})`,
  `quantile_bin(${q(c.level.name)}, 5)`,
  `ngram(${q(c.body.name)}, 2)`,
  `cartesian(${q(c.color.name)}, ${q(c.word.name)})`,
];

const CASES: readonly Case[] = [
  { name: 'synthetic binary, balanced', table: 'synthetic', target: c.yBinary.name, task: 'binary', balanced: true, minimize: true, recipe: syntheticRecipe(c.yBinary.name) },
  { name: 'synthetic multiclass', table: 'synthetic', target: c.yClass.name, task: 'multiclass', balanced: false, minimize: false, recipe: syntheticRecipe(c.yClass.name) },
  // Not minimized: the runs to the optimum passed on PostgreSQL (123 s) but ran past 13 minutes on
  // DuckDB, each of hundreds of evaluations reading the hashed weights as a long constant list.
  { name: 'synthetic binary, hashed category, text terms and a crossing', table: 'synthetic', target: c.yBinary.name, task: 'binary', balanced: false, minimize: false, recipe: hashedRecipe(c.yBinary.name) },
  { name: 'synthetic multiclass, hashed category, text terms and a crossing', table: 'synthetic', target: c.yClass.name, task: 'multiclass', balanced: true, minimize: false, recipe: hashedRecipe(c.yClass.name) },
  { name: 'synthetic regression', table: 'synthetic', target: c.yValue.name, task: 'regression', balanced: false, minimize: false, recipe: syntheticRecipe(c.yValue.name) },
  { name: 'bank, balanced', table: 'bank', target: 'y', task: 'binary', balanced: true, minimize: false, recipe: realRecipe },
  { name: 'adult', table: 'adult', target: 'income', task: 'binary', balanced: false, minimize: false, recipe: realRecipe },
  { name: 'letters, balanced', table: 'letters', target: 'letter', task: 'multiclass', balanced: true, minimize: false, recipe: realRecipe },
  { name: 'california', table: 'california', target: 'median_house_value', task: 'regression', balanced: false, minimize: true, recipe: realRecipe },
];

/**
 * The objective's relation, materialized as the training step materializes it: the
 * table's rows with their role from the id (1 validation, 3 skipped, else 0 training).
 * PostgreSQL gets statistics for it, so its estimate of the training rows is the table's.
 */
async function createRelation(adapter: Adapter, table: TableRef): Promise<TableRef> {
  const q = (name: string): string => adapter.sql.quoteIdent(name);
  const relation: TableRef = { name: `${table.name} roles` };
  const quoted = adapter.sql.quoteTable(relation);
  await adapter.query(`DROP TABLE IF EXISTS ${quoted}`);
  await adapter.query(
    `CREATE TABLE ${quoted} AS SELECT ${q('t')}.*, CASE WHEN MOD(${q('id')}, 5) = 0 THEN 1 WHEN MOD(${q('id')}, 7) = 0 THEN 3 ELSE 0 END AS ${q('sqlml_role')} FROM ${adapter.sql.quoteTable(table)} AS ${q('t')}`,
  );
  if (adapter.sql.name === 'postgres') await adapter.query(`ANALYZE ${quoted}`);
  return relation;
}

/** One block of encoded rows, grown as rows come. */
class BlockBuilder {
  labels: number[] = [];
  offsets: number[] = [0];
  indices: number[] = [];
  values: number[] = [];
  add(label: number, vector: { indices: Uint32Array; values: Float64Array; nnz: number }): void {
    this.labels.push(label);
    for (let j = 0; j < vector.nnz; j++) {
      this.indices.push(vector.indices[j]!);
      this.values.push(vector.values[j]!);
    }
    this.offsets.push(this.indices.length);
  }
  block(): ExampleBlock {
    return {
      count: this.labels.length,
      labels: Float64Array.from(this.labels),
      offsets: Uint32Array.from(this.offsets),
      indices: Uint32Array.from(this.indices),
      values: Float32Array.from(this.values),
    };
  }
}

/** The relation's rows through the streaming encoder, split by role as the database objective splits them. */
async function encodedRows(adapter: Adapter, relation: string, model: TrainedModel): Promise<{ columns: Column[]; training: ExampleBlock; validation: ExampleBlock }> {
  const stream = await adapter.openStream(`SELECT * FROM ${relation} AS ${adapter.sql.quoteIdent('r')}`, { batchRows: 512 });
  const columns = [...stream.columns];
  const training = new BlockBuilder();
  const validation = new BlockBuilder();
  try {
    const encoder = new FeatureEncoder(model.recipe, columns);
    const targetAt = columns.findIndex((col) => col.name === model.label.column);
    const roleAt = columns.findIndex((col) => col.name === 'sqlml_role');
    const labels = new LabelEncoder(model.label, columns[targetAt]!);
    const vector = createSparseVector(encoder.maxNnz);
    for await (const batch of stream.batches()) {
      const roles = batch.columns[roleAt]!;
      for (let row = 0; row < batch.rowCount; row++) {
        const y = labels.encode(batch.columns[targetAt]!, row);
        if (Number.isNaN(y)) continue;
        const role = roles.kind === 'number' ? roles.values[row]! : Number(roles.values[row]);
        if (role !== 0 && role !== 1) continue;
        encoder.encodeRow(batch, row, vector);
        (role === 0 ? training : validation).add(y, vector);
      }
    }
  } finally {
    await stream.close();
  }
  return { columns, training: training.block(), validation: validation.block() };
}

/** scikit-learn's 'balanced' weights from the training rows' labels, as src/engine/train.ts computes them. */
function balancedWeights(block: ExampleBlock, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (const y of block.labels) counts[y]!++;
  let total = 0;
  for (const n of counts) total += n;
  return counts.map((n) => (n > 0 ? total / (classes * n) : 0));
}

function close(a: number, b: number, tolerance = 1e-9): boolean {
  return Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b)) + 1e-13;
}

/** The largest relative difference of two vectors, and where. */
function expectVectorsClose(a: Float64Array, b: Float64Array, what: string, tolerance = 1e-9): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!close(a[i]!, b[i]!, tolerance)) expect(`${what}[${i}] = ${a[i]}`).toBe(`${what}[${i}] = ${b[i]}`);
  }
}

interface Pair {
  readonly model: TrainedModel;
  readonly learner: OnlineLearner;
  readonly cached: CachedObjective;
  readonly database: DatabaseObjective;
  readonly compiled: CompiledObjective;
  readonly relation: string;
  readonly rows: { readonly columns: Column[]; readonly training: ExampleBlock; readonly validation: ExampleBlock };
  readonly classWeights: Float64Array | null;
}

/** A learner after one pass over the training rows (a stored model's learner keeps its weights, not its feature scales). */
function passLearner(model: TrainedModel, training: ExampleBlock): OnlineLearner {
  const learner = new OnlineLearner({ ...model.learner.spec, l1: 0 });
  for (let r = 0; r < training.count; r++) learner.learn(training.indices, training.values, training.offsets[r]!, training.offsets[r + 1]!, training.labels[r]!, 1);
  learner.endPass();
  return learner;
}

describe.each(targets)('the objective in the database is the one in memory: $label', ({ label, url }) => {
  let engine: Engine;
  let adapter: Adapter;
  let reader: Engine | undefined;
  const suffix = `${label.replace(/\W+/g, '_')}_${tag}`;
  /** Each data set's relation (its rows and roles). */
  const tables = new Map<Case['table'], TableRef>();
  const sources: TableRef[] = [];
  const trainTable: TableRef = { name: `obj "train"; ${tag}` };
  const pairs = new Map<string, Pair>();

  beforeAll(async () => {
    engine = url === null ? await memoryEngine() : await Engine.open(url);
    adapter = engine.adapter;
    const nonFinite = adapter.sql.split.isNaN('x') !== 'FALSE';
    const synthetic: TableRef = { name: `obj rows; ${tag}` };
    await createSource(adapter, trainTable, trainingRows(300));
    // The objective's rows: the training rows and rows the model never saw (unseen categories, NULLs, extremes, non-finite values).
    await createSource(adapter, synthetic, [...trainingRows(300), ...scoringRows(nonFinite)]);
    tables.set('synthetic', await createRelation(adapter, synthetic));
    sources.push(synthetic);
    reader = await memoryEngine();
    for (const [name, file] of Object.entries(FILES) as [keyof typeof FILES, string | null][]) {
      if (file === null) continue;
      const table: TableRef = { name: `obj_${name}_${tag}` };
      const select = `SELECT * FROM (SELECT row_number() OVER () AS id, * FROM read_csv(${sqlString(file)})) WHERE id <= ${REAL_ROWS}`;
      const stream = await reader.adapter.openStream(select, { batchRows: 4096 });
      try {
        await adapter.write(table, stream.columns, stream.batches(), 'replace');
      } finally {
        await stream.close();
      }
      tables.set(name, await createRelation(adapter, table));
      sources.push(table);
    }
  }, 300_000);

  afterAll(async () => {
    await reader?.close();
    if (!engine) return;
    for (const table of [trainTable, ...sources, ...tables.values()]) await adapter.query(`DROP TABLE IF EXISTS ${adapter.sql.quoteTable(table)}`).catch(() => undefined);
    for (const [i] of CASES.entries()) await run(engine, `DROP MODEL IF EXISTS obj_${i}_${suffix};`).catch(() => undefined);
    await engine.close();
  });

  async function pairOf(index: number): Promise<Pair> {
    const cached = pairs.get(CASES[index]!.name);
    if (cached) return cached;
    const k = CASES[index]!;
    const q = (name: string): string => adapter.sql.quoteIdent(name);
    const from = k.table === 'synthetic' ? trainTable : sources.find((t) => t.name === `obj_${k.table}_${tag}`)!;
    const name = `obj_${index}_${suffix}`;
    await run(engine, `CREATE OR REPLACE MODEL ${name} FROM ${adapter.sql.quoteTable(from)} PREDICT ${q(k.target)} RECIPE (${k.recipe(q).join(', ')}) USING seed = 3, passes = 2;`);
    const model = deserializeModel((await engine.store.get(name))!.model);
    expect(model.task).toBe(k.task);
    const relation = adapter.sql.quoteTable(tables.get(k.table)!);
    const rows = await encodedRows(adapter, relation, model);
    const classes = model.task === 'multiclass' ? model.label.classes.length : 2;
    const classWeights = k.balanced ? balancedWeights(rows.training, classes) : null;
    const source: ObjectiveRows = {
      async *trainingPass() {
        yield rows.training;
      },
      async *validation() {
        yield rows.validation;
      },
    };
    const learner = passLearner(model, rows.training);
    const memory = await CachedObjective.load(learner, source, { task: model.task, l2: L2, classWeights, pass: 0, maxNnz: 1e8 }, undefined);
    const coordinates = new ObjectiveCoordinates(learner, L2);
    const compilation = compileObjective({ model, dialect: adapter.sql, sourceColumns: rows.columns, relation, coordinates, classWeights });
    if (!compilation.ok) throw new Error(compilation.reason);
    const pair = { model, learner, cached: memory!, database: new DatabaseObjective(adapter, compilation.objective, coordinates), compiled: compilation.objective, relation, rows, classWeights };
    pairs.set(k.name, pair);
    return pair;
  }

  it.each(CASES.map((k, index) => ({ ...k, index })))('$name: value, gradient, inverse diagonal and validation loss', async ({ index, table, name }) => {
    if (!tables.has(table)) return;
    const hashed = name.includes('hashed');
    if (hashed && adapter.sql.textArrays === undefined) {
      // No arrays to hold a row's terms: the text feature is refused, named.
      await expect(pairOf(index)).rejects.toThrow(`text feature ${c.body.name}: ${adapter.sql.name} has no split of text into an array of words`);
      return;
    }
    const { model, learner, cached, database, compiled } = await pairOf(index);
    const kinds = new Set(model.recipe.features.map((f) => f.kind));
    if (table === 'synthetic') {
      expect([...kinds].sort()).toEqual(hashed ? ['boolean', 'cartesian', 'date', 'hashed_category', 'number', 'one_hot', 'quantile_bin', 'text'] : ['boolean', 'date', 'number', 'one_hot', 'quantile_bin']);
    }
    // Every live feature has a coordinate per output, plus the biases.
    expect(cached.live).toBeGreaterThanOrEqual(model.recipe.features.length);
    const start = cached.fromModel(learner.modelCopy());
    expectVectorsClose(database.fromModel(learner.modelCopy()), start, 'fromModel');
    const random = mulberry32(17 + index);
    const points = [start, ...Array.from({ length: 2 }, (_, n) => start.map((x) => x + (random() - 0.5) * (n + 1)))];
    for (const [n, v] of points.entries()) {
      const g1 = new Float64Array(v.length);
      const g2 = new Float64Array(v.length);
      const value1 = await cached.evaluate(v, g1);
      const value2 = await database.evaluate(v, g2);
      expect(close(value2, value1), `point ${n}: objective ${value2} vs ${value1}`).toBe(true);
      expectVectorsClose(g2, g1, `point ${n}: gradient`);
      const d1 = new Float64Array(v.length);
      const d2 = new Float64Array(v.length);
      await cached.inverseDiagonal(v, d1);
      await database.inverseDiagonal(v, d2);
      expectVectorsClose(d2, d1, `point ${n}: inverse diagonal`);
      const validation1 = await cached.validationLoss(v);
      const validation2 = await database.validationLoss(v);
      expect(validation1).not.toBeNull();
      expect(close(validation2!, validation1!), `point ${n}: validation loss ${validation2} vs ${validation1}`).toBe(true);
      if (n === 0) continue;
      // The L2 path's paired check; the database's standard error comes from one pass of raw sums (Σ w·d² − (Σ w·d)²/Σ w), so a looser bound.
      const paired1 = (await cached.pairedValidation(start, v))!;
      const paired2 = (await database.pairedValidation(start, v))!;
      expect(close(paired2.mean, paired1.mean), `point ${n}: paired mean ${paired2.mean} vs ${paired1.mean}`).toBe(true);
      expect(close(paired2.standardError, paired1.standardError, 1e-7), `point ${n}: paired standard error ${paired2.standardError} vs ${paired1.standardError}`).toBe(true);
    }
    expect(database.distinctRows).toBeGreaterThanOrEqual(cached.distinctRows);
    const perPoint = compiled.gradientQueries(start).length + compiled.curvatureQueries(start).length + 1;
    expect(database.queries).toBe(points.length * perPoint + points.length - 1);
  }, 600_000);

  it.each(CASES.map((k, index) => ({ ...k, index })))('$name: the choice slots summed per slot and over groups of slot ids give the same gradient and curvature', async ({ index }) => {
    const k = CASES[index]!;
    if (!tables.has(k.table)) return;
    if (k.name.includes('hashed') && adapter.sql.textArrays === undefined) return;
    const { model, learner, cached, relation, rows, classWeights } = await pairOf(index);
    const start = cached.fromModel(learner.modelCopy());
    const v = start.map((x, i) => x + Math.sin(i + index) * 0.3);
    const g = new Float64Array(v.length);
    const d = new Float64Array(v.length);
    const value = await cached.evaluate(v, g);
    await cached.inverseDiagonal(v, d);
    for (const choiceSums of ['grouped', 'per-slot'] as const) {
      const coordinates = new ObjectiveCoordinates(learner, L2);
      const compilation = compileObjective({ model, dialect: adapter.sql, sourceColumns: rows.columns, relation, coordinates, classWeights, choiceSums });
      if (!compilation.ok) throw new Error(compilation.reason);
      const [sql] = compilation.objective.gradientQueries(v);
      // letters has numbers only: no choice slots, so nothing to group.
      const hasChoices = model.recipe.features.some((f) => ['boolean', 'one_hot', 'quantile_bin'].includes(f.kind));
      expect(hasChoices).toBe(k.table !== 'letters');
      expect(sql!.includes('GROUP BY'), choiceSums).toBe(choiceSums === 'grouped' && hasChoices);
      const objective = new DatabaseObjective(adapter, compilation.objective, coordinates);
      const g2 = new Float64Array(v.length);
      const d2 = new Float64Array(v.length);
      expect(close(await objective.evaluate(v, g2), value), `${choiceSums}: objective`).toBe(true);
      expectVectorsClose(g2, g, `${choiceSums}: gradient`);
      await objective.inverseDiagonal(v, d2);
      expectVectorsClose(d2, d, `${choiceSums}: inverse diagonal`);
    }
  }, 600_000);

  it.each(CASES.map((k, index) => ({ ...k, index })).filter((k) => k.minimize))('$name: L-BFGS reaches the same optimum on both', async ({ index, table, name }) => {
    if (!tables.has(table)) return;
    if (name.includes('hashed') && adapter.sql.textArrays === undefined) return;
    const { learner, cached, database } = await pairOf(index);
    const start = cached.fromModel(learner.modelCopy());
    // An L2 amount that makes the optimum well conditioned, so both runs get to it (not just near it) within the cap.
    cached.setL2(MINIMIZE_L2);
    database.setL2(MINIMIZE_L2);
    let inMemory: { v: Float64Array };
    let inDatabase: { v: Float64Array };
    try {
      // Run to where no step lowers the objective (converged = 0), not to the finish's relative 1e-12: the optimum itself, not a point near it.
      inMemory = await minimize(cached, Float64Array.from(start), 300, {}, 0);
      inDatabase = await minimize(database, Float64Array.from(start), 300, {}, 0);
    } finally {
      cached.setL2(L2);
      database.setL2(L2);
    }
    const a = cached.toModel(inMemory.v);
    const b = database.toModel(inDatabase.v);
    let largest = 0;
    for (const w of a) largest = Math.max(largest, Math.abs(w));
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `weight ${i}: ${b[i]} vs ${a[i]}`).toBeLessThanOrEqual(1e-6 * Math.max(1, largest));
  }, 900_000);

  it.skipIf(label !== 'postgres')('PostgreSQL runs the evaluation as Partial Aggregate → Gather → Finalize, with the serial plan\'s sums', async () => {
    const { learner, compiled } = await pairOf(0);
    const v = new ObjectiveCoordinates(learner, L2).fromModel(learner.modelCopy());
    const [sql] = compiled.gradientQueries(v);
    const settings = adapter.sql.compiledSettings;
    const parallel = ['SET LOCAL parallel_setup_cost = 0', 'SET LOCAL parallel_tuple_cost = 0', 'SET LOCAL min_parallel_table_scan_size = 0', 'SET LOCAL max_parallel_workers_per_gather = 2'];
    const serial = ['SET LOCAL max_parallel_workers_per_gather = 0'];
    const plan = (await adapter.query([...settings, ...parallel, `EXPLAIN ${sql}`].join('; '))).rows.map((row) => String(row[0])).join('\n');
    // The choice slots' sums over groups of slot ids (GROUPED_CHOICES_MAX): a partial group or hash aggregate in each worker.
    expect(sql).toContain('GROUP BY');
    expect(plan).toMatch(/Finalize (Group|Hash)?Aggregate[\s\S]*Gather( Merge)?[\s\S]*Partial (Group|Hash)?Aggregate/);
    const serialPlan = (await adapter.query([...settings, ...serial, `EXPLAIN ${sql}`].join('; '))).rows.map((row) => String(row[0])).join('\n');
    expect(serialPlan).not.toMatch(/Partial (Group|Hash)?Aggregate/);
    const a = (await adapter.query([...settings, ...parallel, sql!].join('; '))).rows[0]!;
    const b = (await adapter.query([...settings, ...serial, sql!].join('; '))).rows[0]!;
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) expect(close(Number(a[i]), Number(b[i]), 1e-12), `sum ${i}: ${a[i]} vs ${b[i]}`).toBe(true);
  }, 300_000);

  it('polishObjective on the database\'s objective leaves the learner with polish()\'s model', async () => {
    const { model, rows, classWeights, compiled } = await pairOf(0);
    const inMemory = passLearner(model, rows.training);
    const inDatabase = passLearner(model, rows.training);
    const source: ObjectiveRows = {
      async *trainingPass() {
        yield rows.training;
      },
      async *validation() {
        yield rows.validation;
      },
    };
    // Two amounts of the L2 path, each fitted a few iterations, then the paired check on the validation rows.
    const spec = { task: model.task, l2: L2, classWeights, maxIterations: 5, l2Path: [0.1, 0.01] };
    // The database's objective has no folds: the validation rows choose there however few they are, so here too.
    const a = await polish(inMemory, source, { ...spec, pass: 0, crossValidate: false });
    const objective = new DatabaseObjective(adapter, compiled, new ObjectiveCoordinates(inDatabase, L2), { trainingRows: rows.training.count });
    const b = await polishObjective(inDatabase, objective, spec);
    expect(b.l2Path.map((step) => step.l2)).toEqual(a!.l2Path.map((step) => step.l2));
    expect(b.l2Path.length).toBeGreaterThan(0);
    expect(b.l2).toBe(a!.l2);
    expect(b.iterations).toBe(a!.iterations);
    expect(b.kept).toBe(a!.kept);
    expect(close(b.validationLoss!, a!.validationLoss!)).toBe(true);
    expect(b.evaluations).toBe(objective.evaluations);
    expect(b.distinctRows).toBe(rows.training.count);
    for (const [i, step] of b.l2Path.entries()) expect(close(step.validationLoss, a!.l2Path[i]!.validationLoss), `path step ${i}`).toBe(true);
    expectVectorsClose(inDatabase.modelCopy(), inMemory.modelCopy(), 'model', 1e-6);
  }, 300_000);
});
