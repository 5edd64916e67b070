/**
 * What PREDICT … INTO may write into (statements.md): sqlml owns only the columns it
 * writes, the KEY columns and the prediction columns, so an existing table must have
 * exactly those, as a table sqlml wrote has. Its rows are then replaced (REPLACE) or
 * added to (APPEND) in place: the adapter never drops it, so grants, keys and views on
 * it stay. A table with other columns is someone else's (REPLACE would empty them, and
 * APPEND would leave them NULL or fail on a NOT NULL one part-way), and the source's
 * own table would be rewritten while it is read. REPLACE also refuses a table that
 * another table's foreign key references: deleting its rows would delete (ON DELETE
 * CASCADE) or change (SET NULL, SET DEFAULT) that table's rows, or fail on them after the
 * whole source was read. APPEND only adds rows, which no foreign key on them can object
 * to, so it may write there. Each refusal is one sentence naming the table and the
 * columns or constraints, and nothing is written.
 */
import type { Adapter, ForeignKeyReference, TableRef, WriteMode } from '../../adapters/adapter.js';
import type { Column } from '../data.js';
import { SqlmlError } from '../errors.js';
import type { Source } from '../sql/ast.js';
import { tableLabel, tableRef } from './context.js';

export async function checkPredictTarget(adapter: Adapter, target: TableRef, source: Source, written: readonly Column[], mode: WriteMode): Promise<void> {
  const table = await adapter.describeTable(target);
  if (table === undefined) return;
  const label = tableLabel(target);
  if (source.kind === 'table') {
    const read = await adapter.describeTable(tableRef(adapter, source.table));
    if (read?.id === table.id) {
      throw new SqlmlError('unsupported', `PREDICT … INTO ${label} names the source table itself; write the predictions into another table`);
    }
  }
  // Matched as the writers match them: case-insensitively.
  const own = new Set(written.map((column) => column.name.toLowerCase()));
  const present = new Set(table.columns.map((name) => name.toLowerCase()));
  const others = table.columns.filter((name) => !own.has(name.toLowerCase()));
  const lacking = written.filter((column) => !present.has(column.name.toLowerCase())).map((column) => column.name);
  if (others.length === 0 && lacking.length === 0) {
    if (mode === 'replace') refuseReferenced(label, table.referencedBy);
    return;
  }
  const problems: string[] = [];
  if (others.length > 0) problems.push(`has columns ${others.join(', ')} that PREDICT … INTO does not write`);
  if (lacking.length > 0) problems.push(`lacks columns ${lacking.join(', ')} that PREDICT … INTO writes`);
  throw new SqlmlError('bad_column', `table ${label} ${problems.join(' and ')}; choose another table or change it yourself`);
}

function refuseReferenced(label: string, references: readonly ForeignKeyReference[]): void {
  if (references.length === 0) return;
  const keys = references.map((reference) => `${reference.constraint} of table ${reference.table}`).join(', ');
  throw new SqlmlError(
    'unsupported',
    `table ${label} is referenced by foreign key${references.length > 1 ? 's' : ''} ${keys}; PREDICT … INTO ${label} would delete the rows ${references.length > 1 ? 'they reference' : 'it references'}: write into another table, or use APPEND`,
  );
}
