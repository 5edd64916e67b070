/** The front end's inputs for a database named in a test: its lexical rules and its spelling (default modes). */
import type { DialectName } from '../../adapters/dialect.js';
import { DIALECTS } from '../../adapters/dialects.js';
import type { LexicalRules, SqlSpelling } from '../../src/sql/index.js';

export type { DialectName } from '../../adapters/dialect.js';

export function lexical(dialect: DialectName = 'duckdb'): LexicalRules {
  return DIALECTS[dialect].lexical;
}

export function spelling(dialect: DialectName = 'duckdb'): SqlSpelling {
  return DIALECTS[dialect];
}
