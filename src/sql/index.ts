/**
 * The SQL front end: script → statements (split), statement → tree (parse), tree → text
 * (print). Everything else in sqlml reaches src/sql through this module.
 */
export type * from './ast.js';
export { endsWithTerminator, splitScript, type ScriptPart } from './split.js';
export { isSqlmlStatement, MAX_NESTING, parseScript, parseStatement } from './parser.js';
export { toSql } from './print.js';
export { SCRIPT_START, Tokenizer, type Token, type TokenKind } from './tokenizer.js';
export {
  quoteIdentifierWith,
  quoteStandardString,
  STANDARD_LEXICAL_RULES,
  STANDARD_SPELLING,
  type LexicalRules,
  type SqlSpelling,
} from './spelling.js';
