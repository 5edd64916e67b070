/**
 * What the SQL front end needs to know of a database's SQL: how its text is lexed
 * (LexicalRules, for the tokenizer, splitter and parser) and how it quotes names and
 * strings (for the printer). Each adapter's dialect object (adapters/dialect.ts) has
 * these members, so it is passed as it is; the standard rules here are PostgreSQL's
 * and DuckDB's, the default where no database is named.
 */

/** How a database quotes and comments; the only place databases differ in the front end. */
export interface LexicalRules {
  /** The character that quotes identifiers. */
  readonly identifierQuote: '"' | '`';
  /** MySQL: `"..."` is a string, not an identifier. */
  readonly doubleQuotedStrings: boolean;
  /** MySQL (unless sql_mode has NO_BACKSLASH_ESCAPES): backslash escapes inside '...' and "..." strings. */
  readonly backslashEscapes: boolean;
  /** PostgreSQL/DuckDB: `E'...'` strings with backslash escapes. */
  readonly escapeStrings: boolean;
  /** PostgreSQL/DuckDB: `$$...$$` and `$tag$...$tag$` bodies. */
  readonly dollarQuotes: boolean;
  /** MySQL: `#` starts a line comment. */
  readonly hashComments: boolean;
  /** PostgreSQL/DuckDB: `/* /* *\/ *\/` nests. */
  readonly nestedBlockComments: boolean;
  /**
   * MySQL: `--` starts a comment only when whitespace follows. At the very end of the
   * text it stays two minus signs, so that cutting a statement out of a script never
   * turns the operators `--` of `a----b` into a comment.
   */
  readonly dashCommentNeedsSpace: boolean;
  /** MySQL: `/*!...*\/` is executed, so it is content, not a comment. */
  readonly executableComments: boolean;
}

/** PostgreSQL's lexical rules, which DuckDB's scanner shares. */
export const STANDARD_LEXICAL_RULES: LexicalRules = Object.freeze({
  identifierQuote: '"',
  doubleQuotedStrings: false,
  backslashEscapes: false,
  escapeStrings: true,
  dollarQuotes: true,
  hashComments: false,
  nestedBlockComments: true,
  dashCommentNeedsSpace: false,
  executableComments: false,
});

/** A database's lexing and quoting, as the printer takes it. */
export interface SqlSpelling {
  readonly lexical: LexicalRules;
  /** One identifier, quoted so that it reads back as exactly `name`. */
  quoteIdent(name: string): string;
  /** A string literal that reads back as exactly `value`. */
  quoteString(value: string): string;
}

/** `name` between `quote`s, an embedded quote doubled. */
export function quoteIdentifierWith(quote: '"' | '`', name: string): string {
  return quote + name.replaceAll(quote, quote + quote) + quote;
}

/** A standard string literal: between single quotes, an embedded one doubled, nothing else escaped. */
export function quoteStandardString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** PostgreSQL's and DuckDB's spelling: the front end's default. */
export const STANDARD_SPELLING: SqlSpelling = Object.freeze({
  lexical: STANDARD_LEXICAL_RULES,
  quoteIdent: (name: string) => quoteIdentifierWith('"', name),
  quoteString: quoteStandardString,
});
