/**
 * Text cleaned as src/learn/tokenize-text.ts normalizeValue cleans it, in SQL: `lowercase`
 * through the dialect's lower-casing, `no_punct` through regular-expression replacements
 * whose character classes are built from the learner's own isWhitespace / isPunctuation,
 * so the two cannot drift apart.
 */
import type { SqlDialect } from '../../adapters/dialect.js';
import type { TextNormalization } from '../learn/recipe-format.js';
import { isPunctuation, isWhitespace } from '../learn/tokenize-text.js';

/** Characters that need a backslash inside a bracket expression in every dialect's regex engine. */
const CLASS_SPECIALS = new Set(['\\', ']', '[', '^', '-']);

/**
 * A bracket expression matching exactly the BMP code points `member` accepts (NUL
 * excluded: no database text holds it). Characters are written as themselves, ranges as
 * `first-last`; the learner's classes hold no surrogates, so code units are code points.
 */
export function characterClass(member: (code: number) => boolean): string {
  const parts: string[] = [];
  const char = (code: number): string => {
    const c = String.fromCharCode(code);
    return CLASS_SPECIALS.has(c) ? `\\${c}` : c;
  };
  let code = 1;
  while (code <= 0xffff) {
    if (!member(code) || (code >= 0xd800 && code <= 0xdfff)) {
      code++;
      continue;
    }
    let last = code;
    while (last + 1 <= 0xffff && member(last + 1)) last++;
    parts.push(last - code >= 2 ? `${char(code)}-${char(last)}` : code === last ? char(code) : char(code) + char(last));
    code = last + 1;
  }
  return `[${parts.join('')}]`;
}

export const WHITESPACE_CLASS = characterClass(isWhitespace);
export const PUNCTUATION_CLASS = characterClass(isPunctuation);

export type Cleaned = { readonly ok: true; readonly sql: string } | { readonly ok: false; readonly reason: string };

/** `ref` (text) cleaned as the feature's `normalize` asks (normalizeValue). */
export function cleanedText(dialect: SqlDialect, ref: string, normalize: TextNormalization): Cleaned {
  return clean(dialect, ref, normalize, false);
}

/**
 * `ref`'s words (as TextTermKeys splits them: lower-cased when asked, split on
 * whitespace, each word's edge punctuation stripped under no_punct, empty words dropped)
 * joined by one space: '' when there are none.
 */
export function wordsText(dialect: SqlDialect, ref: string, normalize: TextNormalization): Cleaned {
  return clean(dialect, ref, normalize, true);
}

function clean(dialect: SqlDialect, ref: string, normalize: TextNormalization, words: boolean): Cleaned {
  let sql = ref;
  if (normalize.lowercase) {
    if (dialect.lowerText === undefined) return { ok: false, reason: `lowercase(): ${dialect.name} has no lower-casing the compiler can use` };
    sql = dialect.lowerText(sql);
  }
  if (!normalize.noPunct && !words) return { ok: true, sql };
  const replace = dialect.regexpReplaceAll;
  if (replace === undefined) return { ok: false, reason: `${dialect.name} has no regular-expression replace to find words with` };
  const ws = WHITESPACE_CLASS;
  const p = PUNCTUATION_CLASS;
  const q = (text: string): string => dialect.quoteString(text);
  if (normalize.noPunct) {
    // Punctuation at the start of each word, then at its end.
    sql = replace(sql, q(`(^|${ws})${p}+`), q('\\1'));
    sql = replace(sql, q(`${p}+(${ws}|$)`), q('\\1'));
  }
  // One space between words, none at the ends.
  sql = replace(sql, q(`${ws}+`), q(' '));
  sql = replace(sql, q(`^ | $`), q(''));
  return { ok: true, sql };
}
