/**
 * How a ResultTable looks in a terminal: an aligned, psql-like text table, psql's expanded
 * display (one field per line), and CSV. The JSON line of `--json` and the number format
 * it shares with the other layers are in src/format.ts. Values from the database show
 * exactly as they came (a double's shortest round-trip text); only columns the engine
 * marks as its own metrics are rounded for reading. Returned strings carry no trailing
 * newline; the caller writes one.
 */
import type { ColumnType, ResultColumn, ResultTable, Value } from '../data.js';
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
  const cells = shownRows.map((row) => columns.map((column, j) => truncate(singleLine(cellText(row[j] ?? null, column)), maxWidth)));
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

/** A value's text: sqlml's metrics rounded for reading, everything else exact. */
function cellText(value: Value, column: ResultColumn): string {
  if (value === null) return '';
  if (typeof value === 'number') return column.metric ? formatNumber(value) : String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}

/**
 * psql's expanded display (`\x`): each row a `-[ RECORD n ]` header, then one
 * `name | value` line per column, a value's own line breaks continuing under it.
 * Nothing is cut: this is the display for rows too wide for a table.
 */
export function formatExpanded(result: ResultTable): string {
  const { columns, rows } = result;
  if (columns.length === 0) return formatTable(result);
  if (rows.length === 0) return '(0 rows)';
  const names = columns.map((column) => singleLine(column.name));
  const nameWidth = Math.max(...names.map((name) => name.length));
  const records = rows.map((row) => columns.map((column, j) => cellText(row[j] ?? null, column).replace(/\t/g, ' ').split(/\r\n|\r|\n/)));
  // One width for every record, as psql has it: the headers line up down the page.
  let valueWidth = 1;
  for (const values of records) for (const lines of values) for (const line of lines) valueWidth = Math.max(valueWidth, line.length);
  const lines: string[] = [];
  records.forEach((values, i) => {
    const label = `-[ RECORD ${i + 1} ]`;
    lines.push(`${label.padEnd(nameWidth + 1, '-')}+${'-'.repeat(valueWidth + 1)}`);
    values.forEach((valueLines, j) => {
      valueLines.forEach((text, k) => lines.push(`${(k === 0 ? names[j]! : '').padEnd(nameWidth)} | ${text}`.trimEnd()));
    });
  });
  return lines.join('\n');
}

/** Whether `\x` is on, off, or on for the results wider than the terminal (psql's `\x auto`). */
export type ExpandedMode = 'on' | 'off' | 'auto';

/** The table, or the expanded display when `mode` asks for it: with 'auto', when a table line is wider than `terminalColumns`. */
export function formatForTerminal(result: ResultTable, mode: ExpandedMode, terminalColumns: number | undefined): string {
  if (mode === 'on') return formatExpanded(result);
  const table = formatTable(result);
  if (mode === 'off' || terminalColumns === undefined || result.columns.length === 0) return table;
  return table.split('\n').some((line) => line.length > terminalColumns) ? formatExpanded(result) : table;
}

/**
 * CSV with a header line (RFC 4180 quoting: a field with a comma, a double quote or a line
 * break is quoted, its quotes doubled). NULL is an empty field and the empty string `""`,
 * so the two stay apart as in psql's --csv. Every value is exact, metrics included: CSV is
 * for programs. A statement without a row set prints nothing.
 */
export function formatCsv(result: ResultTable): string {
  if (result.columns.length === 0) return '';
  const lines = [result.columns.map((column) => csvField(column.name)).join(',')];
  for (const row of result.rows) {
    lines.push(result.columns.map((_, j) => csvValue(row[j] ?? null)).join(','));
  }
  return lines.join('\n');
}

function csvValue(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value === '' ? '""' : csvField(value);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
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
