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

/**
 * A bracket expression matching exactly the code points (all planes; NUL and surrogates
 * excluded) `member` accepts, or, `negated`, every other one.
 */
function codePointClass(member: (code: number) => boolean, negated = false): string {
  const parts: string[] = [];
  const char = (code: number): string => {
    const c = String.fromCodePoint(code);
    return CLASS_SPECIALS.has(c) ? `\\${c}` : c;
  };
  const inClass = (code: number): boolean => !(code >= 0xd800 && code <= 0xdfff) && member(code);
  let code = 1;
  while (code <= 0x10ffff) {
    if (!inClass(code)) {
      code++;
      continue;
    }
    let last = code;
    while (last + 1 <= 0x10ffff && inClass(last + 1)) last++;
    parts.push(last - code >= 2 ? `${char(code)}-${char(last)}` : code === last ? char(code) : char(code) + char(last));
    code = last + 1;
  }
  return `[${negated ? '^' : ''}${parts.join('')}]`;
}

/**
 * The Final_Sigma rule of toLowerCase (Unicode SpecialCasing.txt), which no database's
 * lower() applies: a capital sigma preceded by a cased letter (case-ignorable characters
 * between them) and not followed by one is lower-cased to final sigma ς, not σ. As a
 * pattern without look-around (DuckDB's RE2 has none): the cased letter and the
 * ignorables before Σ (group 1), the ignorables after it (group 2), and a character
 * neither cased nor case-ignorable, or the end (group 3). A
 * match never needs the characters of the one before it: group 3 ends every run a later
 * Σ could look back over, and a Σ serving as a later one's cased letter is not final.
 */
let finalSigmaPattern: string | undefined;
function finalSigma(): string {
  if (finalSigmaPattern === undefined) {
    // One pass over the planes that hold cased or case-ignorable characters (0-3 and 14):
    // 1 = cased, 2 = case-ignorable (both: 3).
    const kind = new Uint8Array(0x110000);
    const codes: string[] = [];
    for (let code = 1; code <= 0xeffff; code = code === 0x3ffff ? 0xe0000 : code + 1) if (code < 0xd800 || code > 0xdfff) codes.push(String.fromCodePoint(code));
    const all = codes.join('');
    // Runs of each property, marked code point by code point (one regex pass each, not one per code point).
    for (const [property, bit] of [[/\p{Cased}+/gu, 1], [/\p{Case_Ignorable}+/gu, 2]] as const) {
      for (const run of all.matchAll(property)) for (const c of run[0]) kind[c.codePointAt(0)!]! |= bit;
    }
    const cased = (code: number): boolean => (kind[code]! & 1) !== 0;
    const ignorable = (code: number): boolean => (kind[code]! & 2) !== 0;
    // toLowerCase (ICU) takes a character that is both (ʰ, U+0345) as case-ignorable.
    const casedClass = codePointClass((code) => cased(code) && !ignorable(code));
    const ignorableClass = codePointClass(ignorable);
    const neither = codePointClass((code) => cased(code) || ignorable(code), true);
    finalSigmaPattern = `(${casedClass}${ignorableClass}*)\u03a3(${ignorableClass}*)(${neither}|$)`;
  }
  return finalSigmaPattern;
}

/**
 * `ref` lower-cased as toLowerCase does: the final-sigma rule, then İ (U+0130) to i and a
 * combining dot above (its full lower-case mapping; lower() gives i alone), then the
 * dialect's letter-by-letter lowerText (checked on connecting, adapters/lower-probe.ts).
 */
function lowerCased(dialect: SqlDialect, ref: string): Cleaned {
  const lower = dialect.lowerText;
  if (lower === undefined) return { ok: false, reason: `lowercase(): ${dialect.lowerTextGap ?? `the ${dialect.name} database's lower() does not lower-case as the model does`}` };
  const replace = dialect.regexpReplaceAll;
  if (replace === undefined) return { ok: false, reason: `lowercase(): ${dialect.name} has no regular-expression replace for the final sigma rule` };
  const q = (text: string): string => dialect.quoteString(text);
  // Only values holding a capital sigma pay for the pattern.
  const sigma = `CASE WHEN ${ref} LIKE ${q('%\u03a3%')} THEN ${replace(ref, q(finalSigma()), q('\\1\u03c2\\2\\3'))} ELSE ${ref} END`;
  return { ok: true, sql: lower(`REPLACE(${sigma}, ${q('\u0130')}, ${q('i\u0307')})`) };
}

function clean(dialect: SqlDialect, ref: string, normalize: TextNormalization, words: boolean): Cleaned {
  let sql = ref;
  if (normalize.lowercase) {
    const lowered = lowerCased(dialect, sql);
    if (!lowered.ok) return lowered;
    sql = lowered.sql;
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
