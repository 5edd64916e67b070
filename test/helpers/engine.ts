import { expect } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { ResultTable, Value } from '../../src/data.js';
import type { CompiledModelKind, CompiledStatement } from '../../adapters/dialect.js';

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

/**
 * The engine `auto` picks for a model that compiles (no text features), as the connected
 * dialect's measured figures say (capabilities.slowerThanStream): tests ask the fact,
 * never the database's name.
 */
export function autoEngine(engine: Engine, statement: CompiledStatement, kind: CompiledModelKind): 'database' | 'stream' {
  return engine.adapter.sql.capabilities.slowerThanStream?.[statement]?.[kind] === undefined ? 'database' : 'stream';
}

/** What EXPLAIN PREDICT says of such a model: its engine and reason (the figure where it streams). */
export function explainedAuto(engine: Engine, kind: CompiledModelKind): { engine: string; reason: unknown } {
  const figure = engine.adapter.sql.capabilities.slowerThanStream?.predict?.[kind];
  return figure === undefined ? { engine: 'database', reason: null } : { engine: 'stream', reason: expect.stringContaining(`${figure.ratio}x the stream's speed`) };
}
