/**
 * How values read to people and programs, for every layer: numbers as metrics show them,
 * byte sizes in messages, and a result table as one JSON line (the CLI's `--json` and the
 * HTTP API). The CLI's aligned text table stays with the CLI (src/cli/format.ts).
 * Base layer: imports only src/data.ts.
 */
import type { ResultTable } from './data.js';

/**
 * A number as metrics should read: integers as they are; others with 4 significant
 * digits but at least 2 decimals once the integer part is long (0.9349, 12.35, 69151.66),
 * trailing zeros dropped; magnitudes below 1e-4 in exponent form (1.2e-7).
 */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude < 1e-4) {
    const [mantissa, exponent] = value.toExponential(3).split('e');
    return `${dropTrailingZeros(mantissa!)}e${exponent!.replace('+', '')}`;
  }
  if (magnitude < 1) return dropTrailingZeros(value.toPrecision(4));
  const integerDigits = String(Math.floor(magnitude)).length;
  return dropTrailingZeros(value.toFixed(Math.max(2, 4 - integerDigits)));
}

/** Binary units, as database settings and sqlml's size options count them (1 KB = 1024 bytes). */
const BYTE_UNITS: readonly (readonly [unit: string, size: number])[] = [
  ['KB', 1024],
  ['MB', 1024 ** 2],
  ['GB', 1024 ** 3],
];

/**
 * A byte size for a message: `512 bytes`, then the largest unit that keeps the figure at
 * least 1, with at most one decimal and a space before the unit (`1.2 MB`, `256 MB`, `1.5 GB`).
 */
export function formatBytes(bytes: number): string {
  let index = BYTE_UNITS.findLastIndex(([, size]) => bytes >= size);
  if (index < 0) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  let tenths = Math.round((bytes / BYTE_UNITS[index]![1]) * 10);
  // 1023.96 KB rounds to 1024.0: that is 1 MB.
  if (tenths >= 10240 && index < BYTE_UNITS.length - 1) {
    index++;
    tenths = Math.round((bytes / BYTE_UNITS[index]![1]) * 10);
  }
  return `${tenths / 10} ${BYTE_UNITS[index]![0]}`;
}

/** What {@link formatJsonLine} adds beyond the names and values. */
export interface JsonLineOptions {
  /**
   * `"types"`: each column's sqlml type (`integer`, `double`, `text`…), and `"metrics"`:
   * which columns are sqlml's own figures (only when some are). The HTTP API sends them so
   * `sqlml --server` formats a result as the local CLI does; `--json` leaves them out.
   */
  readonly types?: boolean;
}

/**
 * One JSON object on one line: `{"command": …, "columns": [names], "rows": [{name: value}]}`,
 * plus `"rowsAffected"` when the statement reported it. Numbers stay JSON numbers (NaN and
 * ±Infinity become null, as JSON has no spelling for them). Keys keep the column order,
 * and a repeated column name gets a `_2`, `_3`… suffix so no value is lost.
 */
export function formatJsonLine(result: ResultTable, options: JsonLineOptions = {}): string {
  const names = uniqueNames(result.columns.map((column) => column.name));
  const keys = names.map((name) => JSON.stringify(name));
  const rows = result.rows.map((row) => {
    const fields = keys.map((key, j) => `${key}:${JSON.stringify(row[j] ?? null)}`);
    return `{${fields.join(',')}}`;
  });
  const parts = [
    `"command":${JSON.stringify(result.command)}`,
    `"columns":${JSON.stringify(names)}`,
  ];
  if (options.types) {
    parts.push(`"types":${JSON.stringify(result.columns.map((column) => column.type))}`);
    if (result.columns.some((column) => column.metric)) parts.push(`"metrics":${JSON.stringify(result.columns.map((column) => column.metric === true))}`);
  }
  parts.push(`"rows":[${rows.join(',')}]`);
  if (result.rowsAffected !== undefined) parts.push(`"rowsAffected":${JSON.stringify(result.rowsAffected)}`);
  if (result.notices !== undefined && result.notices.length > 0) parts.push(`"notices":${JSON.stringify(result.notices)}`);
  return `{${parts.join(',')}}`;
}

function dropTrailingZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function uniqueNames(names: readonly string[]): string[] {
  const taken = new Set(names);
  const seen = new Set<string>();
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    let suffix = 2;
    while (taken.has(`${name}_${suffix}`)) suffix++;
    const unique = `${name}_${suffix}`;
    taken.add(unique);
    return unique;
  });
}
