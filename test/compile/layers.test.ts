/**
 * How many fenced layers the compiled SELECT has: where the dialect materializes every
 * fenced derived table (capabilities.materializedLayers: MariaDB writes each to a
 * temporary table), a binary model keeps only the margins' layer and computes its
 * probability in the outer SELECT; elsewhere the probability has its own layer. A
 * multiclass model's hashed slots, and its text terms' slots, are computed once, in a
 * layer below the margins, not once per class. The answers of every form are the equivalence suite's
 * (test/compile/equivalence.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../adapters/duckdb/dialect.js';
import { MYSQL_DIALECT } from '../../adapters/mysql/dialect.js';
import { postgresDialect } from '../../adapters/postgres/dialect.js';
import type { SqlDialect } from '../../adapters/dialect.js';
import type { Column } from '../../src/data.js';
import { compileModel } from '../../src/compile/index.js';
import type { Engine } from '../../src/engine/engine.js';
import { deserializeModel } from '../../src/learn/model-format.js';
import type { TrainedModel } from '../../src/learn/model.js';
import { memoryEngine, run } from '../helpers/engine.js';

const COLUMNS: Column[] = [
  { name: 'id', type: 'integer', dbType: 'INT' },
  { name: 'x', type: 'double', dbType: 'DOUBLE' },
  { name: 'y', type: 'integer', dbType: 'INT' },
];

function fences(dialect: SqlDialect, sql: string): number {
  return sql.split(dialect.split.layerFence).length - 1;
}

describe('compiled layers', () => {
  let engine: Engine;
  let model: TrainedModel;

  beforeAll(async () => {
    engine = await memoryEngine();
    await run(engine, 'CREATE TABLE src AS SELECT i AS id, (i % 37) / 4.0 AS x, CASE WHEN i % 37 > 18 THEN 1 ELSE 0 END AS y FROM range(400) t(i);');
    await run(engine, 'CREATE MODEL m FROM (SELECT x, y FROM src) PREDICT y USING passes = 2;');
    model = deserializeModel((await engine.store.get('m'))!.model);
  });

  afterAll(async () => {
    await engine?.close();
  });

  it.each([
    { dialect: MYSQL_DIALECT, layers: 1 },
    { dialect: postgresDialect, layers: 2 },
  ])('$dialect.name: a binary model in $layers fenced layer(s), with and without probabilityOf', ({ dialect, layers }) => {
    expect(dialect.capabilities.materializedLayers === true).toBe(layers === 1);
    const compilation = compileModel(model, dialect, COLUMNS);
    if (!compilation.ok) throw new Error(compilation.reason);
    const select = compilation.compiled.select(dialect.quoteTable({ name: 'src' }), ['id']);
    expect(fences(dialect, select)).toBe(layers);
    const withLabel = compilation.compiled.select(dialect.quoteTable({ name: 'src' }), ['id', 'y'], dialect.quoteIdent('y'));
    expect(fences(dialect, withLabel)).toBe(layers);
    expect(withLabel).toContain(`AS ${dialect.quoteIdent('probability_of')}`);
  });
});

describe('a multiclass model with hashed features', () => {
  let engine: Engine;
  let model: TrainedModel;
  const columns: Column[] = [
    { name: 'id', type: 'integer', dbType: 'INT' },
    { name: 'c', type: 'text', dbType: 'VARCHAR' },
    { name: 'd', type: 'text', dbType: 'VARCHAR' },
    { name: 'n', type: 'integer', dbType: 'INT' },
  ];
  const md5s = (sql: string): number => sql.match(/md5\(/gi)?.length ?? 0;

  beforeAll(async () => {
    engine = await memoryEngine();
    // c: 150 values (hashed); the crossing of d and n hashed too; three classes.
    await run(engine, "CREATE TABLE src AS SELECT i AS id, 'c' || (i % 150) AS c, 'd' || (i % 3) AS d, i % 5 AS n, (i % 150) % 3 AS k FROM range(900) t(i);");
    await run(engine, 'CREATE MODEL mc FROM (SELECT c, d, n, k FROM src) PREDICT k RECIPE (cartesian(d, n)) USING passes = 2;');
    model = deserializeModel((await engine.store.get('mc'))!.model);
  });

  afterAll(async () => {
    await engine?.close();
  });

  it.each([duckdbDialect, postgresDialect, MYSQL_DIALECT])('$name: computes each hashed slot once, not once per class', (dialect) => {
    expect(model.task).toBe('multiclass');
    expect(model.recipe.outputs).toBe(3);
    const hashed = model.recipe.features.filter((f) => f.kind === 'hashed_category' || f.kind === 'cartesian').length;
    expect(hashed).toBe(2);
    const compilation = compileModel(model, dialect, columns);
    if (!compilation.ok) throw new Error(compilation.reason);
    const perSlot = md5s(dialect.split.md5Word('x', 0));
    const select = compilation.compiled.select(dialect.quoteTable({ name: 'src' }), ['id']);
    expect(md5s(select)).toBe(hashed * perSlot);
    // One layer more than the margins' and the probabilities' (the slots), read by name.
    expect(select).toContain(`AS ${dialect.quoteIdent('sqlml_slots')}`);
    // The expressions (a function's body): once where a derived table reads the outer row (elsewhere inline, per class).
    const expressions = compilation.compiled.expressions((name) => dialect.quoteIdent(name));
    if (dialect.capabilities.correlatedDerivedTables === true) {
      for (const output of compilation.compiled.outputs) expect(md5s(expressions[output.name]!), output.name).toBe(hashed * perSlot);
    }
  });
});

describe('a multiclass model with a text feature', () => {
  let engine: Engine;
  let model: TrainedModel;
  const columns: Column[] = [
    { name: 'id', type: 'integer', dbType: 'INT' },
    { name: 'c', type: 'text', dbType: 'VARCHAR' },
    { name: 't', type: 'text', dbType: 'VARCHAR' },
  ];
  const md5s = (sql: string): number => sql.match(/md5\(/gi)?.length ?? 0;

  beforeAll(async () => {
    engine = await memoryEngine();
    // c: 150 values (hashed); t: words, bigrams of which are hashed; three classes.
    await run(
      engine,
      "CREATE TABLE src AS SELECT i AS id, 'c' || (i % 150) AS c, 'w' || (i % 7) || ' v' || (i % 11) || ' u' || (i % 4) AS t, (i % 150) % 3 AS k FROM range(900) t(i);",
    );
    await run(engine, 'CREATE MODEL mt FROM (SELECT c, t, k FROM src) PREDICT k RECIPE (ngram(t, 2)) USING passes = 2;');
    model = deserializeModel((await engine.store.get('mt'))!.model);
  });

  afterAll(async () => {
    await engine?.close();
  });

  it.each([duckdbDialect, postgresDialect])('$name: splits the text and hashes its terms once per row where the dialect collects them, else once per class', (dialect) => {
    expect(model.recipe.outputs).toBe(3);
    expect(model.recipe.features.map((f) => f.kind)).toEqual(expect.arrayContaining(['hashed_category', 'text']));
    const compilation = compileModel(model, dialect, columns);
    if (!compilation.ok) throw new Error(compilation.reason);
    const perSlot = md5s(dialect.split.md5Word('x', 0));
    const select = compilation.compiled.select(dialect.quoteTable({ name: 'src' }), ['id']);
    const collect = dialect.textArrays!.collect;
    // The category's slot once; the text's array of term slots once where the dialect collects, else per class.
    const md5Count = (1 + (collect === undefined ? 3 : 1)) * perSlot;
    expect(dialect.name !== 'postgres' || collect !== undefined).toBe(true);
    expect(md5s(select)).toBe(md5Count);
    if (collect !== undefined) expect(select.split(`${collect('x').split('(')[0]!}(`).length - 1).toBe(1);
    const expressions = compilation.compiled.expressions((name) => dialect.quoteIdent(name));
    for (const output of compilation.compiled.outputs) expect(md5s(expressions[output.name]!), output.name).toBe(md5Count);
  });

  it('MySQL: refuses the text feature, naming it', () => {
    const compilation = compileModel(model, MYSQL_DIALECT, columns);
    expect(compilation.ok).toBe(false);
    if (!compilation.ok) expect(compilation.reason).toMatch(/text feature t\b/);
  });
});
