/**
 * sqlml as a library: open an engine on a connection URL and run statements.
 *
 *   const engine = await Engine.open('duckdb:sales.duckdb');
 *   for await (const result of engine.run('CREATE MODEL m FROM t PREDICT y; EVALUATE MODEL m;')) ...
 */
export { Engine, type EngineOptions } from './engine/engine.js';
export type { ExecOptions, Progress } from './engine/context.js';
export type { Column, ColumnType, ResultTable, RowBatch, Value } from './data.js';
export { SqlmlError, SqlSyntaxError, DatabaseError } from './errors.js';
export { parseScript, splitScript, toSql } from './sql/index.js';
export type { Statement } from './sql/ast.js';
export type { Adapter } from '../adapters/adapter.js';
