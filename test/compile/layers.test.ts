/**
 * How many fenced layers the compiled SELECT has: where the dialect materializes every
 * fenced derived table (capabilities.materializedLayers: MariaDB writes each to a
 * temporary table), a binary model keeps only the margins' layer and computes its
 * probability in the outer SELECT; elsewhere the probability has its own layer. The
 * answers of both forms are the equivalence suite's (test/compile/equivalence.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
