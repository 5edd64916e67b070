/**
 * A database's SQL, as one object per adapter (`adapter.sql`): how it quotes names and
 * strings, and the spellings the engine, the server and the writers ask for by name.
 * Nothing outside adapters/ branches on which database it is talking to.
 */
import type { TableRef } from './adapter.js';

/** The databases sqlml speaks to. */
export type DialectName = 'duckdb' | 'postgres' | 'mysql';

export interface SqlDialect {
  readonly name: DialectName;
  /** Quotes one identifier (`"a""b"` / `` `a``b` ``). */
  quoteIdent(name: string): string;
  /** Quotes a possibly schema-qualified table name. */
  quoteTable(table: TableRef): string;
}

/** Identifier quoting with `quote`, which a name doubles where it contains it. */
export function identifierQuoting(quote: '"' | '`'): Pick<SqlDialect, 'quoteIdent' | 'quoteTable'> {
  const quoteIdent = (name: string): string => quote + name.replaceAll(quote, quote + quote) + quote;
  return {
    quoteIdent,
    quoteTable: (table) => (table.schema === undefined ? quoteIdent(table.name) : `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`),
  };
}
