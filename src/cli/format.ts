/**
 * How a ResultTable looks in a terminal: an aligned, psql-like text table. The JSON line
 * of `--json` and the number format it shares with the other layers are in src/format.ts.
 * Returned strings carry no trailing newline; the caller writes one.
 */
import type { ColumnType, ResultTable, Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import { formatNumber } from '../format.js';

/** Options of {@link formatTable}. */
export interface TableFormatOptions {
  /** Cells (and headers) longer than this many characters are cut and end with '…'. Default 60. */
  readonly maxWidth?: number;
  /** Show at most this many rows; the footer then says how many there were. Default: all. */
  readonly maxRows?: number;
}

const DEFAULT_MAX_WIDTH = 60;
const NUMERIC_TYPES: ReadonlySet<ColumnType> = new Set<ColumnType>(['integer', 'bigint', 'double', 'decimal']);

/**
 * An aligned text table in psql's style: a centred header, a separator, one line per
 * row, and a `(N rows)` footer. Numbers are right-aligned, everything else left-aligned;
 * NULL is an empty cell; line breaks inside a cell show as '↵'. A statement without a
 * row set prints `COMMAND rowsAffected`, or only its command when no count is known.
 */
export function formatTable(result: ResultTable, options: TableFormatOptions = {}): string {
  const maxWidth = options.maxWidth ?? DEFAULT_MAX_WIDTH;
  if (!Number.isInteger(maxWidth) || maxWidth < 1) {
    throw new SqlmlError('bad_option', `option maxWidth must be a whole number of at least 1, not ${maxWidth}.`);
  }
  const maxRows = options.maxRows ?? Infinity;
  if (maxRows !== Infinity && (!Number.isInteger(maxRows) || maxRows < 0)) {
    throw new SqlmlError('bad_option', `option maxRows must be a whole number of at least 0, not ${maxRows}.`);
  }
  const { columns, rows } = result;
  if (columns.length === 0) {
    return result.rowsAffected === undefined ? result.command : `${result.command} ${result.rowsAffected}`;
  }

  const shownRows = rows.length > maxRows ? rows.slice(0, maxRows) : rows;
  const headers = columns.map((column) => truncate(singleLine(column.name), maxWidth));
  const cells = shownRows.map((row) => columns.map((_, j) => truncate(cellText(row[j] ?? null), maxWidth)));
  const widths = headers.map((header, j) =>
    cells.reduce((width, line) => Math.max(width, line[j]!.length), header.length),
  );
  // A column whose declared type is numeric lines up on the right even where a value is NULL.
  const rightAligned = columns.map((column) => NUMERIC_TYPES.has(column.type));

  const lines = [
    joinCells(headers.map((header, j) => centre(header, widths[j]!))),
    widths.map((width) => '-'.repeat(width + 2)).join('+'),
  ];
  shownRows.forEach((row, i) => {
    const line = cells[i]!.map((text, j) => {
      const right = rightAligned[j] || typeof row[j] === 'number';
      return right ? text.padStart(widths[j]!) : text.padEnd(widths[j]!);
    });
    lines.push(joinCells(line));
  });
  lines.push(footer(rows.length, shownRows.length));
  return lines.join('\n');
}

function cellText(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return singleLine(value);
}

/** One table line per row: line breaks become '↵' and tabs a space, so columns stay aligned. */
function singleLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '↵').replace(/\t/g, ' ');
}

function truncate(text: string, maxWidth: number): string {
  return text.length <= maxWidth ? text : `${text.slice(0, maxWidth - 1)}…`;
}

function centre(text: string, width: number): string {
  const left = Math.floor((width - text.length) / 2);
  return (' '.repeat(left) + text).padEnd(width);
}

/** psql's layout: one space either side of each cell; no trailing spaces at the line's end. */
function joinCells(cells: readonly string[]): string {
  return ` ${cells.join(' | ')}`.trimEnd();
}

function footer(total: number, shown: number): string {
  const counted = total === 1 ? '1 row' : `${total} rows`;
  return shown < total ? `(${counted}, first ${shown} shown)` : `(${counted})`;
}
