/**
 * What PREDICT … INTO may write into. sqlml owns only the columns it writes (the KEY
 * columns and the prediction columns), so an existing table is accepted only when that
 * is all it would touch:
 * - REPLACE: the table's columns must be exactly those; its rows are then replaced in
 *   place (the adapter never drops it, so grants, keys and views on it stay). A table
 *   with other columns is someone else's, and its other columns would be emptied.
 * - APPEND: the table must have every column sqlml writes; other columns are left to
 *   the adapter (their defaults, or NULL), so one it cannot fill (TableColumnInfo.required)
 *   is refused here rather than by the database part-way through.
 * - Never the source's own table: the rows would be replaced while they are being read.
 * Each refusal is one sentence naming the table and the columns, and nothing is written.
 */
import type { Adapter, TableRef, WriteMode } from '../../adapters/adapter.js';
import type { Column } from '../data.js';
import { SqlmlError } from '../errors.js';
import type { Source } from '../sql/ast.js';
import { tableLabel, tableRef } from './context.js';

export async function checkPredictTarget(
  adapter: Adapter,
  target: TableRef,
  source: Source,
  written: readonly Column[],
  mode: WriteMode,
): Promise<void> {
  const table = await adapter.describeTable(target);
  if (table === undefined) return;
  const label = tableLabel(target);
  if (source.kind === 'table') {
    const read = await adapter.describeTable(tableRef(adapter, source.table));
    if (read?.id === table.id) {
      throw new SqlmlError('unsupported', `PREDICT … INTO ${label} names the source table itself; write the predictions into another table`);
    }
  }
  const own = new Set(written.map((column) => column.name.toLowerCase()));
  const present = new Set(table.columns.map((column) => column.name.toLowerCase()));
  const lacking = written.filter((column) => !present.has(column.name.toLowerCase())).map((column) => column.name);
  const others = table.columns.filter((column) => !own.has(column.name.toLowerCase()));
  const refused = mode === 'replace' ? others : others.filter((column) => column.required);
  if (lacking.length === 0 && refused.length === 0) return;
  const problems: string[] = [];
  if (refused.length > 0) {
    const names = refused.map((column) => column.name).join(', ');
    problems.push(mode === 'replace' ? `has columns ${names} that PREDICT … INTO does not write` : `has NOT NULL columns ${names} that PREDICT … INTO … APPEND would leave without a value`);
  }
  if (lacking.length > 0) problems.push(`lacks columns ${lacking.join(', ')} that PREDICT … INTO writes`);
  throw new SqlmlError('bad_column', `table ${label} ${problems.join(' and ')}; choose another table or change it yourself`);
}
