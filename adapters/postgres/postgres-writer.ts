/**
 * Write-back encoding: `RowBatch`es as COPY text format (tab-separated, `\N` for NULL,
 * backslash escapes), the form that lets PostgreSQL parse each value into whatever type
 * the target column has, so appending into an existing INTEGER, NUMERIC or TIMESTAMPTZ
 * column works and a value that does not fit is the server's own error.
 */
import { Buffer } from 'node:buffer';
import type { Column, RowBatch } from '../../src/data.js';
import { formatDate, formatTimestamp } from './postgres-types.js';

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES = /[\\\t\n\r]/g;
const ESCAPED: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A text value escaped for COPY text format. */
export function escapeCopyText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPES, (character) => ESCAPED[character]!) : text;
}

/** How a number column's values are spelled. */
type NumberSpelling = 'number' | 'boolean' | 'date' | 'timestamp';

function spellingOf(column: Column): NumberSpelling {
  switch (column.type) {
    case 'boolean':
    case 'date':
    case 'timestamp':
      return column.type;
    default:
      return 'number';
  }
}

/**
 * Encodes batches of rows whose columns are `columns` (in COPY column order, given as
 * indexes into the batch's columns) as COPY text.
 */
export class CopyTextEncoder {
  readonly #spellings: readonly (NumberSpelling | 'text')[];
  readonly #sources: readonly number[];

  /** `sources[i]` is the batch column written as the COPY statement's i-th column. */
  constructor(columns: readonly Column[], sources: readonly number[]) {
    this.#sources = sources;
    this.#spellings = sources.map((source) => {
      const column = columns[source]!;
      return column.type === 'text' || column.type === 'other' ? 'text' : spellingOf(column);
    });
  }

  encode(batch: RowBatch): Buffer {
    const sources = this.#sources;
    const spellings = this.#spellings;
    const last = sources.length - 1;
    let out = '';
    for (let row = 0; row < batch.rowCount; row++) {
      for (let position = 0; position <= last; position++) {
        const data = batch.columns[sources[position]!]!;
        if (data.kind === 'text') {
          const text = data.values[row] ?? null;
          out += text === null ? '\\N' : escapeCopyText(text);
        } else if (data.nulls[row] === 1) {
          out += '\\N';
        } else if (data.exact?.[row] !== undefined) {
          out += data.exact[row];
        } else {
          const value = data.values[row]!;
          switch (spellings[position]) {
            case 'boolean':
              out += value !== 0 ? 't' : 'f';
              break;
            case 'date':
              // NaN is a double but no date: it travels as NULL.
              out += Number.isNaN(value) ? '\\N' : formatDate(value);
              break;
            case 'timestamp':
              out += Number.isNaN(value) ? '\\N' : formatTimestamp(value);
              break;
            default:
              out += String(value);
          }
        }
        out += position === last ? '\n' : '\t';
      }
    }
    return Buffer.from(out, 'utf8');
  }
}
