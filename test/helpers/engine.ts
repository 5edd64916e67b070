import { Engine } from '../../src/engine/engine.js';
import type { ResultTable, Value } from '../../src/data.js';

/** A fresh engine on an in-memory DuckDB. */
export function memoryEngine(): Promise<Engine> {
  return Engine.open('duckdb::memory:');
}

/** Runs a script and returns the last result. */
export async function run(engine: Engine, script: string): Promise<ResultTable> {
  const results = await engine.runAll(script);
  return results[results.length - 1]!;
}

/** The first row of a result as an object keyed by column name. */
export function firstRow(result: ResultTable): Record<string, Value> {
  return rowObject(result, 0);
}

export function rowObject(result: ResultTable, index: number): Record<string, Value> {
  const row = result.rows[index];
  if (!row) throw new Error(`result has no row ${index} (${result.rows.length} rows)`);
  return Object.fromEntries(result.columns.map((c, i) => [c.name, row[i] ?? null]));
}
