/**
 * Bound parameters for databases the gateway cannot forward the wire protocol to (DuckDB,
 * MySQL): `$n` placeholders are replaced by SQL literals before the text goes through
 * `adapter.query`. PostgreSQL never gets here: its session forwards Bind as is.
 *
 * Placeholders are found with sqlml's tokenizer, so a `$1` inside a string, quoted name,
 * comment or `$$` body is left alone. Both the lexing and the string literals are the
 * database's (`adapter.sql`), in its session's modes: a MySQL session with
 * NO_BACKSLASH_ESCAPES reads a backslash as itself.
 */
import { Tokenizer, type SqlSpelling } from '../sql/index.js';
import { SqlmlError } from '../errors.js';
import { WireValueError } from './pg-messages.js';

interface Placeholder {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

function placeholders(sql: string, dialect: SqlSpelling): Placeholder[] {
  const found: Placeholder[] = [];
  const tokenizer = new Tokenizer(sql, dialect.lexical);
  let dollar: { start: number; end: number } | null = null;
  for (let token = tokenizer.next(); token.kind !== 'eof'; token = tokenizer.next()) {
    if (dollar && token.kind === 'number' && token.start.offset === dollar.end && /^\d+$/.test(token.text)) {
      found.push({ index: Number(token.text), start: dollar.start, end: token.end });
    }
    dollar = token.kind === 'punctuation' && token.text === '$' ? { start: token.start.offset, end: token.end } : null;
  }
  return found;
}

/** How many parameters a statement takes: its highest `$n`. */
export function parameterCount(sql: string, dialect: SqlSpelling): number {
  return placeholders(sql, dialect).reduce((max, p) => Math.max(max, p.index), 0);
}

/** Type OIDs whose values are written as bare numbers. */
const NUMERIC_OIDS = new Set([20, 21, 23, 26, 700, 701, 1700]);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function literal(value: string | null, typeOid: number, dialect: SqlSpelling): string {
  if (value === null) return 'NULL';
  // Untyped parameters (what node pg and most drivers send) that look like numbers stay numbers, so `LIMIT $1` works.
  if ((typeOid === 0 || NUMERIC_OIDS.has(typeOid)) && NUMBER.test(value)) return value;
  if (typeOid === 16 && /^(t|true|f|false)$/i.test(value)) return /^t/i.test(value) ? 'TRUE' : 'FALSE';
  return dialect.quoteString(value);
}

/** `sql` with every `$n` replaced by the literal of parameter n (text format). */
export function bindLiterals(sql: string, dialect: SqlSpelling, values: readonly (string | null)[], typeOids: readonly number[]): string {
  let out = '';
  let at = 0;
  for (const placeholder of placeholders(sql, dialect)) {
    if (placeholder.index < 1 || placeholder.index > values.length) {
      throw new SqlmlError('bad_option', `there is no parameter $${placeholder.index}: ${values.length} were bound`);
    }
    out += sql.slice(at, placeholder.start) + literal(values[placeholder.index - 1] ?? null, typeOids[placeholder.index - 1] ?? 0, dialect);
    at = placeholder.end;
  }
  return out + sql.slice(at);
}

/** The width of each fixed-size binary parameter type, by type OID. */
const BINARY_WIDTHS: ReadonlyMap<number, number> = new Map([
  [16, 1],
  [21, 2],
  [23, 4],
  [20, 8],
  [700, 4],
  [701, 8],
]);

/**
 * The text of a parameter sent in binary format (JDBC sends numbers that way), for the
 * types whose binary form is fixed; others must come as text. A value whose length is
 * not its type's width is refused as PostgreSQL does (22P03): read anyway, a short one
 * would fail inside Buffer and a long one would lose its tail unseen.
 */
export function binaryParameterText(value: Buffer, typeOid: number, index: number): string {
  const width = BINARY_WIDTHS.get(typeOid);
  if (width !== undefined && value.length !== width) {
    throw new WireValueError('22P03', `incorrect binary data format in bind parameter ${index}: ${value.length} bytes for a type of ${width}`);
  }
  switch (typeOid) {
    case 16:
      return value[0] ? 'true' : 'false';
    case 21:
      return String(value.readInt16BE(0));
    case 23:
      return String(value.readInt32BE(0));
    case 20:
      return String(value.readBigInt64BE(0));
    case 700:
      return String(value.readFloatBE(0));
    case 701:
      return String(value.readDoubleBE(0));
    case 25:
    case 1043:
    case 1042:
      return value.toString('utf8');
    default:
      throw new SqlmlError('unsupported', `parameter $${index} is in binary format with type OID ${typeOid}; send it in text format`);
  }
}
