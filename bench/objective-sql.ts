/**
 * One evaluation of the finish's objective in the database (src/compile/objective-sql.ts),
 * on DuckDB and PostgreSQL, as JSON lines:
 *   npx tsx bench/objective-sql.ts [--rows 1000000] [--db duckdb,postgres] [--postgres URL] [--repeat 2]
 * The rows are ../shared/data/bank_additional_full.csv repeated up to --rows (ids
 * 1…rows, roles from the id as the tests assign them), a dense model on all its columns
 * (10 one-hots of 2 to 12 categories, 10 numbers). Per database, one gradient query:
 * - `source/sum-case`: compiled over the source's columns (every feature translated in
 *   the query, as before the scratch table held the encoding);
 * - `encoded/sum-case`: compiled over a table holding the encoded columns (one CTAS of
 *   compileEncoding's columns, as the scratch table holds them), each one-hot slot's
 *   gradient a SUM(CASE WHEN slot id = slot …);
 * - `encoded/grouping-sets`: the same sums with the one-hot slots' gradients from one
 *   GROUP BY GROUPING SETS ((), (slot id of each one-hot)) (PostgreSQL and DuckDB);
 * - `encoded/group-by`: the one-hot gradients from a GROUP BY over (feature, slot id)
 *   pairs unpivoted from each row by a CROSS JOIN with the feature numbers;
 * side by side on the same rows in one run. Each line has the load average when it was taken.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Adapter } from '../adapters/adapter.js';
import { compileEncoding, compileObjective } from '../src/compile/objective-sql.js';
import { Engine } from '../src/engine/engine.js';
import { ObjectiveCoordinates } from '../src/learn/coordinates.js';
import { FeatureEncoder } from '../src/learn/encode.js';
import { LabelEncoder } from '../src/learn/label.js';
import { deserializeModel } from '../src/learn/model-format.js';
import { OnlineLearner } from '../src/learn/sgd.js';
import { createSparseVector } from '../src/learn/types.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    db: { type: 'string', default: 'duckdb,postgres' },
    postgres: { type: 'string', default: process.env.SQLML_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/sqlml_test' },
    repeat: { type: 'string', default: '2' },
    data: { type: 'string', default: new URL('../../shared/data/bank_additional_full.csv', import.meta.url).pathname },
  },
});
const rows = Number(args.rows);
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');
const emit = (line: Record<string, unknown>): void => console.log(JSON.stringify({ ...line, load: load() }));

async function bench(label: string, engine: Engine, reader: Engine): Promise<void> {
  const adapter = engine.adapter;
  const q = (name: string): string => adapter.sql.quoteIdent(name);
  const source = { name: 'sqlml_objective_bench' };
  const relation = { name: 'sqlml_objective_bench_roles' };
  const copies = Math.ceil(rows / 41_188);
  const stream = await reader.adapter.openStream(
    `SELECT * FROM (SELECT row_number() OVER () AS id, b.* FROM read_csv('${args.data}') AS b, range(${copies})) WHERE id <= ${rows}`,
    { batchRows: 65_536 },
  );
  let started = performance.now();
  await adapter.write(source, stream.columns, stream.batches(), 'replace');
  await stream.close();
  await adapter.query(`DROP TABLE IF EXISTS ${q(relation.name)}`);
  await adapter.query(`CREATE TABLE ${q(relation.name)} AS SELECT *, CASE WHEN MOD(id, 5) = 0 THEN 1 ELSE 0 END AS sqlml_role FROM ${q(source.name)}`);
  if (adapter.sql.name === 'postgres') await adapter.query(`ANALYZE ${q(relation.name)}`);
  emit({ db: label, step: 'load', rows, seconds: (performance.now() - started) / 1000 });
  await engine.runAll(`CREATE OR REPLACE MODEL sqlml_objective_bench FROM (SELECT * FROM ${q(source.name)} WHERE id <= 41188) PREDICT y RECIPE (exclude(id)) USING seed = 3, passes = 1;`);
  const model = deserializeModel((await engine.store.get('sqlml_objective_bench'))!.model);
  // A learner with the feature scales of one pass over 20,000 rows (the stored model keeps weights only).
  const learner = new OnlineLearner({ ...model.learner.spec, l1: 0 });
  const sample = await adapter.openStream(`SELECT * FROM ${q(relation.name)} WHERE id <= 20000`, { batchRows: 4096 });
  const columns = [...sample.columns];
  const encoder = new FeatureEncoder(model.recipe, columns);
  const labels = new LabelEncoder(model.label, columns.find((c) => c.name === 'y')!);
  const target = columns.findIndex((c) => c.name === 'y');
  const vector = createSparseVector(encoder.maxNnz);
  for await (const batch of sample.batches()) {
    for (let r = 0; r < batch.rowCount; r++) {
      encoder.encodeRow(batch, r, vector);
      learner.learn(vector.indices, vector.values, 0, vector.nnz, labels.encode(batch.columns[target]!, r), 1);
    }
  }
  await sample.close();
  learner.endPass();
  const coordinates = new ObjectiveCoordinates(learner, 1e-3);
  const compilation = compileObjective({ model, dialect: adapter.sql, sourceColumns: columns, relation: q(relation.name), coordinates, classWeights: null });
  if (!compilation.ok) throw new Error(compilation.reason);
  const encoding = compileEncoding(model, adapter.sql, columns);
  if (!encoding.ok) throw new Error(encoding.reason);
  const encodedTable = { name: 'sqlml_objective_bench_encoded' };
  const select = (list: readonly { name: string; sql: string }[]): string => list.map((c) => `${c.sql} AS ${q(c.name)}`).join(', ');
  started = performance.now();
  await adapter.query(`DROP TABLE IF EXISTS ${q(encodedTable.name)}`);
  await adapter.query(
    `${adapter.sql.scratchTable.create} ${q(encodedTable.name)} AS SELECT ${select(encoding.encoding.outer)}, sqlml_role FROM (SELECT ${select(encoding.encoding.inner)}, sqlml_role FROM ${q(relation.name)}${adapter.sql.split.layerFence}) AS e`,
  );
  const analyze = adapter.sql.scratchTable.analyze?.(q(encodedTable.name));
  if (analyze !== undefined) await adapter.query(analyze);
  emit({ db: label, step: 'encoded table (CTAS)', rows, seconds: (performance.now() - started) / 1000 });
  const encoded = compileObjective({ model, dialect: adapter.sql, sourceColumns: columns, relation: q(encodedTable.name), encoded: true, coordinates, classWeights: null });
  if (!encoded.ok) throw new Error(encoded.reason);
  const v = coordinates.fromModel(learner.modelCopy());
  const [sourceSql] = compilation.objective.gradientQueries(v);
  const [caseSql] = encoded.objective.gradientQueries(v);
  const variants: [string, string][] = [
    ['source/sum-case', sourceSql!],
    ['encoded/sum-case', caseSql!],
    ['encoded/group-by', groupedVariant(adapter, caseSql!)],
  ];
  if (label !== 'mysql') variants.push(['encoded/grouping-sets', groupingSetsVariant(adapter, caseSql!)]);
  variants.push(['limit/plain-sums', await plainSums(adapter, q(encodedTable.name))]);
  const settings = adapter.sql.compiledSettings;
  for (let n = 0; n < Number(args.repeat); n++) {
    for (const [variant, sql] of variants) {
      started = performance.now();
      await adapter.query([...settings, sql].join('; '));
      emit({ db: label, step: 'gradient', variant, rows, seconds: (performance.now() - started) / 1000, sqlBytes: sql.length });
    }
  }
  await engine.runAll('DROP MODEL IF EXISTS sqlml_objective_bench;');
  await adapter.query(`DROP TABLE IF EXISTS ${q(relation.name)}`);
  await adapter.query(`DROP TABLE IF EXISTS ${q(encodedTable.name)}`);
  await adapter.query(`DROP TABLE IF EXISTS ${q(source.name)}`);
}

/**
 * The compiled gradient query taken apart for the variants below: its rows' layer, the
 * sums other than the per-slot SUM(CASE …), and the choice features' numbers.
 */
function gradientParts(adapter: Adapter, sql: string): { rowsLayer: string; kept: string[]; features: number[]; q: (name: string) => string } {
  const from = sql.indexOf(' FROM (');
  const sums = sql.slice('SELECT '.length, from);
  const rowsLayer = sql.slice(from + ' FROM '.length);
  const kept = sums.split(/, (?=SUM\(|COUNT\()/).filter((s) => !s.startsWith('SUM(CASE WHEN'));
  const features = [...new Set([...sums.matchAll(/"sqlml_s(\d+)"/g)].map((m) => Number(m[1])))];
  const q = (name: string): string => adapter.sql.quoteIdent(name);
  return { rowsLayer, kept, features, q };
}

/**
 * The compiled gradient query with its per-slot SUM(CASE WHEN "sqlml_sF" = s THEN f END)
 * sums replaced by one SUM per grouping set: GROUP BY GROUPING SETS ((), ("sqlml_sF"), …);
 * the () row holds the other sums (every set computes every aggregate: one scan).
 */
function groupingSetsVariant(adapter: Adapter, sql: string): string {
  const { rowsLayer, kept, features, q } = gradientParts(adapter, sql);
  const keys = features.map((f) => q(`sqlml_s${f}`));
  return `SELECT ${[...keys, ...kept].join(', ')} FROM ${rowsLayer} GROUP BY GROUPING SETS ((), ${keys.map((k) => `(${k})`).join(', ')})`;
}

/**
 * The compiled gradient query with its per-slot SUM(CASE WHEN "sqlml_sF" = s THEN f END)
 * sums replaced by one GROUP BY over (feature, index) pairs: the rows' layer cross-joined
 * with the feature numbers, the index picked by a CASE on the number.
 */
function groupedVariant(adapter: Adapter, sql: string): string {
  const { rowsLayer, kept, features, q } = gradientParts(adapter, sql);
  const numbers = features.map((f) => `SELECT ${f} AS ${q('n')}`).join(' UNION ALL ');
  const index = `CASE ${q('n')} ${features.map((f) => `WHEN ${f} THEN ${q(`sqlml_s${f}`)}`).join(' ')} END`;
  const grouped = `SELECT ${q('n')}, ${index} AS ${q('i')}, SUM(${q('sqlml_f0')}) FROM ${rowsLayer} CROSS JOIN (${numbers}) AS ${q('features')} GROUP BY 1, 2`;
  const dense = `SELECT NULL, NULL, ${kept.join(', ')} FROM ${rowsLayer}`;
  // Both parts in one statement, as one evaluation would run them (the dense sums' columns padded).
  const pad = Array.from({ length: kept.length - 1 }, () => 'NULL').join(', ');
  return `${dense} UNION ALL SELECT *${pad ? `, ${pad}` : ''} FROM (${grouped}) AS ${q('per_index')}`;
}

/**
 * The floor an iteration stands on: one scan of the encoded table summing each of its
 * columns once (no margin, no loss, no per-slot CASE), the least any gradient query over
 * it must do; the compiled query's time over this one is what the compiler could still win.
 */
async function plainSums(adapter: Adapter, table: string): Promise<string> {
  const probe = await adapter.query(`SELECT * FROM ${table} WHERE 1 = 0`);
  return `SELECT ${probe.columns.map((c) => `SUM(${adapter.sql.quoteIdent(c.name)})`).join(', ')} FROM ${table}`;
}

const reader = await Engine.open('duckdb::memory:');
for (const db of args.db.split(',')) {
  const engine = db === 'duckdb' ? await Engine.open('duckdb::memory:') : await Engine.open(args.postgres);
  try {
    await bench(db, engine, reader);
  } finally {
    await engine.close();
  }
}
await reader.close();
