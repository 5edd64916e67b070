/**
 * Checks every adapter's `write` makes before touching a table, so a malformed call
 * fails with one message before anything is written, whatever the database.
 */
import { isNumberType, type Column, type RowBatch } from '../src/data.js';
import { SqlmlError } from '../src/errors.js';
import type { TableRef } from './adapter.js';

/** `schema.name` or `name`, for messages. */
export function tableLabel(table: TableRef): string {
  return table.schema === undefined ? table.name : `${table.schema}.${table.name}`;
}

/** Refuses no columns, and two columns whose names differ only in case (most databases fold them). */
export function checkColumnNames(table: TableRef, columns: readonly Column[]): void {
  if (columns.length === 0) throw new SqlmlError('bad_column', `cannot write table ${tableLabel(table)} without columns`);
  const seen = new Set<string>();
  for (const column of columns) {
    const key = column.name.toLowerCase();
    if (seen.has(key)) throw new SqlmlError('bad_column', `column ${column.name} appears twice in the rows written to table ${tableLabel(table)}`);
    seen.add(key);
  }
}

/** The engine builds batches; a mismatch is a bug there, caught before it corrupts a table. */
export function checkBatch(columns: readonly Column[], batch: RowBatch): void {
  if (batch.columns.length !== columns.length) {
    throw new SqlmlError('internal', `a batch to write has ${batch.columns.length} columns where ${columns.length} were declared`);
  }
  columns.forEach((column, index) => {
    const expected = isNumberType(column.type) ? 'number' : 'text';
    if (batch.columns[index]!.kind !== expected) {
      throw new SqlmlError('internal', `batch column ${column.name} holds ${batch.columns[index]!.kind} data but is declared ${column.type}`);
    }
  });
}
