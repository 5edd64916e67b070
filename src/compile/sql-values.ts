/**
 * Values written into compiled SQL: doubles the database reads back bit for bit, class
 * labels in the target's own type, text compared byte for byte, and the numeric reading
 * of an input column (its value as a double, and whether the streaming encoder would see
 * it as missing: NULL, NaN or ±Infinity).
 */
import type { Column, ColumnType } from '../data.js';
import type { SqlDialect } from '../../adapters/dialect.js';

/**
 * The double `x` as a constant the database reads back as the same double, of its double
 * type (a bare `0.5` would be an exact decimal in some databases, and decimal arithmetic
 * rounds differently), spelled by the dialect (doubleConstant) so it is read once.
 */
export function doubleLiteral(dialect: SqlDialect, x: number): string {
  if (!Number.isFinite(x)) throw new Error(`a compiled model holds only finite numbers, got ${x}`);
  return dialect.doubleConstant(x);
}

/** `a = b` for text, byte for byte (MySQL's default collations ignore case and trailing spaces). */
export function textEquals(dialect: SqlDialect, a: string, b: string): string {
  return `${dialect.split.partitionKey(a, 'text')} = ${dialect.split.partitionKey(b, 'text')}`;
}

/** The text `value` as a constant: the dialect's textConstant where it has one (a NUL DuckDB cannot read in a literal), else its string literal. */
export function textLiteral(dialect: SqlDialect, value: string): string {
  return dialect.textConstant?.(value) ?? dialect.quoteString(value);
}

const EXACT_NUMBER_TYPES: ReadonlySet<ColumnType> = new Set(['integer', 'bigint', 'decimal']);

/**
 * A class label (its canonical text, as LabelSpec.classes holds it) as a value of the
 * target's type: text quoted, booleans TRUE/FALSE, exact numbers exactly, doubles as
 * doubles, dates and timestamps cast from their text.
 */
export function labelLiteral(dialect: SqlDialect, target: Column, label: string): string {
  switch (target.type) {
    case 'text':
    case 'other':
      return textLiteral(dialect, label);
    case 'boolean':
      return label === 'true' ? 'TRUE' : 'FALSE';
    case 'double':
      return doubleLiteral(dialect, Number(label));
    case 'date':
    case 'timestamp':
      return `CAST(${dialect.quoteString(label.replace(/Z$/, '').replace('T', ' '))} AS ${dialect.types.castTypeFor[target.type]})`;
    default:
      if (EXACT_NUMBER_TYPES.has(target.type)) {
        const exact = dialect.exactNumber(label);
        return target.type === 'decimal' ? exact : `CAST(${exact} AS ${dialect.types.castTypeFor[target.type]})`;
      }
      return textLiteral(dialect, label);
  }
}

/** How a numeric feature reads its input column: the value as a double, and when the encoder would see no value. */
export interface NumericInput {
  /** A boolean: NULL, NaN or ±Infinity (the encoder's NaN). */
  readonly missing: string;
  /** The value as a double; meaningful where `missing` is false. */
  readonly value: string;
}

/**
 * The number the streaming reader gives for column `ref` of `type` (booleans 0/1, dates
 * and timestamps as milliseconds since 1970 UTC, everything else as a double), and when
 * it is missing. Null when the dialect cannot read that type as the reader does.
 */
export function numericInput(dialect: SqlDialect, ref: string, type: ColumnType): NumericInput | null {
  const split = dialect.split;
  const double = (x: string): string => `CAST(${x} AS ${split.doubleCast})`;
  const nonFinite = (v: string): string =>
    split.isNonFinite?.(v) ?? `${v} IS NULL OR ${split.isNaN(v)} OR ${split.isPositiveInfinity(v)} OR ${split.isNegativeInfinity(v)}`;
  switch (type) {
    case 'boolean':
      return { missing: `${ref} IS NULL`, value: double(split.booleanToInteger(ref)) };
    case 'integer':
    case 'bigint':
      // An integer is never NaN nor infinite: only NULL is missing (and the cast once per use, not four times).
      return { missing: `${ref} IS NULL`, value: double(ref) };
    case 'double':
    case 'decimal': {
      const value = double(ref);
      return { missing: `(${nonFinite(value)})`, value };
    }
    case 'date':
    case 'timestamp': {
      const finite = dialect.isFiniteTime;
      if (finite === undefined) return null;
      const ms = type === 'date' ? split.dateToEpochMs(ref) : split.timestampToEpochMs?.(ref);
      if (ms === undefined) return null;
      return { missing: `(${ref} IS NULL OR NOT ${finite(ref)})`, value: double(ms) };
    }
    default:
      return null;
  }
}
