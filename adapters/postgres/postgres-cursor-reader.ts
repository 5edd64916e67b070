/**
 * The portable read path: rows of PostgreSQL text values (a pg-cursor in array row mode
 * with no type parsing) converted column by column into a `RowBatch`. Works wherever
 * cursors do, Redshift included, which has no COPY TO STDOUT.
 */
import { exactTextOf, type ColumnData, type ColumnType, type RowBatch } from '../../src/data.js';
import { Oid, parseDateText, parseTimestampText } from './postgres-types.js';

/** How one column's text becomes a number; text columns keep the text. */
type TextConversion = 'number' | 'exact' | 'boolean' | 'date' | 'timestamp' | 'text';

function conversionOf(type: ColumnType, oid: number): TextConversion {
  if (oid === Oid.bool) return 'boolean';
  switch (type) {
    case 'integer':
    case 'double':
      return 'number';
    case 'bigint':
    case 'decimal':
      return 'exact';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp';
    default:
      return 'text';
  }
}

/** Converts batches of text rows of one result (its column types fixed) into `RowBatch`es. */
export class TextRowConverter {
  readonly #conversions: readonly TextConversion[];
  readonly #types: readonly ColumnType[];

  constructor(columns: readonly { readonly type: ColumnType; readonly oid: number }[]) {
    this.#conversions = columns.map((column) => conversionOf(column.type, column.oid));
    this.#types = columns.map((column) => column.type);
  }

  /** Fresh arrays per call: the consumer may keep a batch. */
  convert(rows: readonly (readonly (string | null)[])[]): RowBatch {
    const count = rows.length;
    const types = this.#types;
    const columns = this.#conversions.map((conversion, column): ColumnData => {
      if (conversion === 'text') {
        const values = new Array<string | null>(count);
        for (let row = 0; row < count; row++) values[row] = rows[row]![column] ?? null;
        return { kind: 'text', values };
      }
      const values = new Float64Array(count);
      const nulls = new Uint8Array(count);
      // The text a double cannot hold is kept as it came: no new string.
      const exact = conversion === 'exact' ? new Array<string | undefined>(count) : undefined;
      for (let row = 0; row < count; row++) {
        const text = rows[row]![column] ?? null;
        if (text === null) {
          nulls[row] = 1;
          continue;
        }
        switch (conversion) {
          case 'number':
            values[row] = Number(text);
            break;
          case 'exact':
            values[row] = Number(text);
            exact![row] = exactTextOf(types[column]!, text, values[row]!);
            break;
          case 'boolean':
            values[row] = text === 't' ? 1 : 0;
            break;
          case 'date':
            values[row] = parseDateText(text);
            break;
          case 'timestamp':
            values[row] = parseTimestampText(text);
            break;
        }
      }
      return exact ? { kind: 'number', values, nulls, exact } : { kind: 'number', values, nulls };
    });
    return { rowCount: count, columns };
  }
}
