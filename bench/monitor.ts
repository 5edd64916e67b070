/**
 * MONITOR MODEL and DESCRIBE DATA on DuckDB, as JSON lines:
 *   npx tsx bench/monitor.ts [--rows 1000000] [--train-rows 200000]
 * An in-memory table of `--rows` rows made by DuckDB itself (hash() of the row number as
 * dice: 6 numbers on different scales, one with NULLs; 3 categories up to 1,000 values;
 * a binary label), a model trained on its first `--train-rows` rows, then the seconds of
 * MONITOR MODEL over every row (each column binned, every row scored) and of DESCRIBE DATA
 * with and without PREDICT. With ../shared/data present, DESCRIBE DATA on bank too.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine/engine.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const rows = Number(option('--rows', '1000000'));
const trainRows = Number(option('--train-rows', '200000'));
const bank = resolve(process.env.SQLML_SHARED_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data'), 'bank_additional_full.csv');

function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'monitor', ...record })}\n`);
}

async function timed(engine: Engine, sql: string): Promise<number> {
  const started = performance.now();
  await engine.runAll(sql);
  return Number(((performance.now() - started) / 1000).toFixed(3));
}

const engine = await Engine.open('duckdb::memory:');
try {
  await engine.runAll(`CREATE TABLE m AS
    WITH d AS (SELECT i, (hash(i, 'a') % 1000000) / 1000000.0 AS u1, (hash(i, 'b') % 1000000) / 1000000.0 AS u2,
                      (hash(i, 'c') % 1000000) / 1000000.0 AS u3, (hash(i, 'd') % 1000000) / 1000000.0 AS u4
               FROM range(1, ${rows + 1}) t(i))
    SELECT i AS id, u1 * 100 AS n1, u2 * 1e6 AS n2, CASE WHEN i % 11 = 0 THEN NULL ELSE u3 END AS n3, ln(1 + u4 * 1000) AS n4,
           (u1 + u2) / 2 AS n5, u3 * u4 AS n6,
           CASE WHEN u1 < 0.5 THEN 'a' WHEN u1 < 0.8 THEN 'b' ELSE 'c' END AS c1,
           'k' || CAST(hash(i, 'e') % 50 AS VARCHAR) AS c2, 'v' || CAST(hash(i, 'f') % 1000 AS VARCHAR) AS c3,
           u4 < 1 / (1 + exp(-(-2 + 3 * u1 + 1.5 * u3))) AS y
    FROM d`);
  const train = await timed(engine, `CREATE MODEL mon FROM (SELECT * FROM m WHERE id <= ${trainRows}) PREDICT y RECIPE (exclude(id))`);
  emit({ step: 'train', rows: trainRows, seconds: train });
  emit({ step: 'monitor', rows, columns: 9, seconds: await timed(engine, 'MONITOR MODEL mon ON m') });
  emit({ step: 'describe_data', rows, columns: 11, seconds: await timed(engine, 'DESCRIBE DATA FROM m') });
  emit({ step: 'describe_data_predict', rows, columns: 11, seconds: await timed(engine, 'DESCRIBE DATA FROM m PREDICT y') });
  if (existsSync(bank)) {
    await engine.runAll(`CREATE TABLE bank AS SELECT * FROM read_csv('${bank.replaceAll("'", "''")}')`);
    const started = performance.now();
    const [result] = await engine.runAll('DESCRIBE DATA FROM bank PREDICT y');
    const flagged = result!.rows.filter((row) => row[row.length - 1] !== null).map((row) => `${String(row[0])}: ${String(row[row.length - 1])}`);
    emit({ step: 'describe_data_bank', rows: 41188, seconds: Number(((performance.now() - started) / 1000).toFixed(3)), alerts: flagged });
  }
} finally {
  await engine.close();
}
