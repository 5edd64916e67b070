/**
 * Whether a database's lower() lower-cases letter by letter as the learner does
 * (JavaScript's toLowerCase, src/learn/tokenize-text.ts), found out once per connection.
 * The databases follow Unicode tables of their own age (PostgreSQL its libc's or ICU's,
 * DuckDB its utf8proc's, MariaDB its collation's): each adapter lower-cases probeLetters()
 * when it connects, and `checkedLower` gives its dialect a `lowerText` that corrects the
 * letters the database maps otherwise (by `translate`, where the dialect has one and they
 * are few), or none, with the reason, so such models stream. The two context rules of
 * toLowerCase are src/compile/text-cleaning.ts's: they are the same for every database.
 */
import type { SqlDialect } from './dialect.js';

/**
 * Every code point toLowerCase maps to one other code point, with its image; U+0130 (İ),
 * which it maps to two (i and a combining dot), is text-cleaning.ts's to rewrite.
 */
let pairs: [string, string][] | undefined;
export function lowerPairs(): readonly (readonly [string, string])[] {
  if (pairs !== undefined) return pairs;
  pairs = [];
  // Planes 0 and 1 hold every cased letter.
  for (let code = 1; code <= 0x1ffff; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const letter = String.fromCodePoint(code);
    const lower = letter.toLowerCase();
    if (lower !== letter && [...lower].length === 1) pairs.push([letter, lower]);
  }
  return pairs;
}

const SEPARATOR = '|';

/** The letters of lowerPairs(), each alone between separators (no context for the final-sigma rule). */
export function probeLetters(): string {
  return lowerPairs()
    .map(([letter]) => letter)
    .join(SEPARATOR);
}

/** At most this many letters are corrected by `translate`; more means a lower() of another kind (e.g. ASCII only). */
const TRANSLATE_LIMIT = 256;

/**
 * `dialect` with a `lowerText` that agrees with the learner on every letter, given what
 * its `lowerText` made of probeLetters() on this connection (null: the probe failed).
 */
export function checkedLower(dialect: SqlDialect, lowered: string | null): SqlDialect {
  const lower = dialect.lowerText;
  if (lower === undefined) return dialect;
  if (lowered === null) return { ...dialect, lowerText: undefined, lowerTextGap: `the ${dialect.name} database's lower() does not lower-case as the model does: it could not be checked when sqlml connected` };
  const got = lowered.split(SEPARATOR);
  const wrong = lowerPairs().filter(([, want], i) => got[i] !== want);
  if (wrong.length === 0) return dialect;
  const translate = dialect.translate;
  const examples = wrong.slice(0, 3).map(([letter]) => `${letter} U+${letter.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(', ');
  if (translate === undefined || wrong.length > TRANSLATE_LIMIT) {
    return {
      ...dialect,
      lowerText: undefined,
      lowerTextGap: `the ${dialect.name} database's lower() does not lower-case as the model does: ${wrong.length} letters differ (${examples}…)`,
    };
  }
  const from = dialect.quoteString(wrong.map(([letter]) => letter).join(''));
  const to = dialect.quoteString(wrong.map(([, want]) => want).join(''));
  return { ...dialect, lowerText: (text) => lower(translate(text, from, to)) };
}
