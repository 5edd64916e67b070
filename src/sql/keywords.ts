/**
 * The words of sqlml's own statements. Keywords are matched case-insensitively and only
 * when unquoted; a quoted identifier is never a keyword.
 */

/** Every keyword the parser asks for, upper-case, sorted. */
export const KEYWORDS = [
  'ACTIVATE',
  'APPEND',
  'AS',
  'CREATE',
  'DATA',
  'DESCRIBE',
  'DROP',
  'EVALUATE',
  'EVERY',
  'EXISTS',
  'EXPLAIN',
  'EXPORT',
  'FALSE',
  'FROM',
  'FUNCTION',
  'IF',
  'INTO',
  'JOB',
  'JOBS',
  'KEY',
  'MODEL',
  'MODELS',
  'MONITOR',
  'NOT',
  'ON',
  'OR',
  'PREDICT',
  'RECIPE',
  'REPLACE',
  'RETRAIN',
  'RUN',
  'SCHEDULE',
  'SHOW',
  'TRAIN',
  'TRIALS',
  'TRUE',
  'USING',
  'VERSIONS',
  'WEIGHTS',
] as const;

export type Keyword = (typeof KEYWORDS)[number];

/**
 * Words that cannot be an unquoted name inside a sqlml statement, because they mark
 * where the next clause starts (`CREATE MODEL FROM t ...` must be "missing name", not a
 * model called "from"). SELECT and WITH are here so that `FROM SELECT ...` (forgotten
 * parentheses) is reported at the SELECT. Any of them may still be used quoted.
 */
const RESERVED = new Set<string>([
  'APPEND',
  'AS',
  'EVERY',
  'FROM',
  'INTO',
  'KEY',
  'ON',
  'PREDICT',
  'RECIPE',
  'REPLACE',
  'SCHEDULE',
  'SELECT',
  'USING',
  'WITH',
]);

/** True when `word` (any case) cannot be used as an unquoted name in a sqlml statement. */
export function isReservedWord(word: string): boolean {
  return word.length <= 8 && RESERVED.has(word.toUpperCase());
}

/** Case-insensitive comparison of a word as written with an upper-case keyword. */
export function isSameWord(word: string, keyword: Keyword): boolean {
  return word.length === keyword.length && word.toUpperCase() === keyword;
}
