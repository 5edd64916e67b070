/**
 * Text → tokens with spans, for the statement splitter and the parser. Follows the
 * quoting and comment rules it is given (LexicalRules) and knows nothing about statements.
 * Whitespace and comments are skipped; a MySQL executable comment (`/*! ... *\/`) is
 * kept as an `opaque` token because the server runs its contents.
 */
import { SqlSyntaxError } from '../errors.js';
import type { Position } from './ast.js';
import { STANDARD_LEXICAL_RULES, type LexicalRules } from './spelling.js';

export type TokenKind =
  /** An unquoted word: keyword or identifier, text as written. */
  | 'word'
  /** `"x"` (`` `x` `` on MySQL): `value` holds the name with its case kept. */
  | 'quoted_identifier'
  /** `'x'`, `E'x'`, `$$x$$`, and `"x"` on MySQL: `value` holds the decoded content. */
  | 'string'
  /** `1`, `1.5`, `.5`, `1e-6` (a sign is a separate token). */
  | 'number'
  /** Any other single character: `(`, `)`, `,`, `;`, `.`, `=`, `@`, `-`... */
  | 'punctuation'
  /** MySQL's `/*! ... *\/`: content for the server, never for sqlml. */
  | 'opaque'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The token's source text, verbatim ('' at the end). */
  readonly text: string;
  /** Strings and quoted identifiers: content with quotes and escapes resolved; otherwise `text`. */
  readonly value: string;
  readonly start: Position;
  /** Offset just past the token, counted like `start.offset`. */
  readonly end: number;
}

/** Line 1, column 1, offset 0: where a whole script starts. */
export const SCRIPT_START: Position = Object.freeze({ line: 1, column: 1, offset: 0 });

export interface TokenizerOptions {
  /** Where `text` starts in its script, so positions are script positions. */
  readonly origin?: Position;
  /** How errors name the end of the text: 'end of statement' (default) or 'end of script'. */
  readonly endName?: string;
}

const LF = 10;
const CR = 13;

function isWhitespace(code: number): boolean {
  if (code === 32 || (code >= 9 && code <= 13)) return true;
  return code >= 0x80 && /\s/.test(String.fromCharCode(code));
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isWordStart(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    code === 95 ||
    (code >= 0x80 && !isWhitespace(code))
  );
}

function isWordPart(code: number): boolean {
  return isWordStart(code) || isDigit(code) || code === 36; /* $ */
}

/** A `$tag$` tag character: like a word, but `$` ends it. */
function isTagPart(code: number): boolean {
  return isWordStart(code) || isDigit(code);
}

/**
 * Reads tokens one at a time, on demand, so a caller that only needs the first words
 * of a long statement never scans the rest.
 */
export class Tokenizer {
  readonly #text: string;
  readonly #rules: LexicalRules;
  readonly #origin: Position;
  readonly #endName: string;
  #pos = 0;
  /** Lines seen so far (0 on the origin's line) and where the current one starts. */
  #lineIndex = 0;
  #lineStart = 0;

  constructor(text: string, rules: LexicalRules = STANDARD_LEXICAL_RULES, options: TokenizerOptions = {}) {
    this.#text = text;
    this.#rules = rules;
    this.#origin = options.origin ?? SCRIPT_START;
    this.#endName = options.endName ?? 'end of statement';
  }

  /** The next token; after the last one, `eof` tokens forever. */
  next(): Token {
    this.#skipBlanks();
    const text = this.#text;
    const startIndex = this.#pos;
    const start = this.#position(startIndex);
    if (startIndex >= text.length) return this.#token('eof', start, startIndex, '');
    const code = text.charCodeAt(startIndex);
    const rules = this.#rules;

    if (isWordStart(code)) {
      let i = startIndex + 1;
      while (i < text.length && isWordPart(text.charCodeAt(i))) i++;
      if (rules.escapeStrings && i === startIndex + 1 && (code === 69 || code === 101) && text.charCodeAt(i) === 39) {
        return this.#quoted('string', start, i, "'", 'e-string');
      }
      return this.#token('word', start, i);
    }
    if (isDigit(code) || (code === 46 && isDigit(text.charCodeAt(startIndex + 1)))) {
      return this.#token('number', start, this.#numberEnd(startIndex));
    }
    switch (code) {
      case 39: // '
        return this.#quoted('string', start, startIndex, "'", rules.backslashEscapes ? 'backslash' : 'none');
      case 34: // "
        return rules.doubleQuotedStrings
          ? this.#quoted('string', start, startIndex, '"', rules.backslashEscapes ? 'backslash' : 'none')
          : this.#quoted('quoted_identifier', start, startIndex, '"', 'none');
      case 96: // `
        if (rules.identifierQuote === '`') {
          return this.#quoted('quoted_identifier', start, startIndex, '`', 'none');
        }
        break;
      case 36: // $
        if (rules.dollarQuotes) {
          const dollar = this.#dollarQuoted(start, startIndex);
          if (dollar) return dollar;
        }
        break;
      case 47: // /
        if (rules.executableComments && text.startsWith('/*!', startIndex)) {
          const end = this.#blockCommentEnd(startIndex, start);
          this.#advance(end);
          return this.#token('opaque', start, end);
        }
        break;
    }
    return this.#token('punctuation', start, startIndex + 1);
  }

  #token(kind: TokenKind, start: Position, end: number, value?: string): Token {
    const text = this.#text.slice(start.offset - this.#origin.offset, end);
    this.#pos = end;
    return { kind, text, value: value ?? text, start, end: this.#origin.offset + end };
  }

  /** Script position of local index `i`, which must lie on the current line. */
  #position(i: number): Position {
    const origin = this.#origin;
    return {
      line: origin.line + this.#lineIndex,
      column: this.#lineIndex === 0 ? origin.column + i : i - this.#lineStart + 1,
      offset: origin.offset + i,
    };
  }

  /** Moves to `end`, counting the line breaks passed (\r\n, \n and a lone \r count once). */
  #advance(end: number): void {
    const text = this.#text;
    for (let i = this.#pos; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) {
        this.#lineIndex++;
        this.#lineStart = i + 1;
      }
    }
    this.#pos = end;
  }

  #skipBlanks(): void {
    const text = this.#text;
    const rules = this.#rules;
    for (;;) {
      let i = this.#pos;
      while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
      this.#advance(i);
      if (i >= text.length) return;
      const code = text.charCodeAt(i);
      const next = text.charCodeAt(i + 1);
      const dashComment =
        code === 45 && next === 45 && (!rules.dashCommentNeedsSpace || isWhitespace(text.charCodeAt(i + 2)));
      if (dashComment || (code === 35 && rules.hashComments)) {
        let end = i;
        while (end < text.length && text.charCodeAt(end) !== LF && text.charCodeAt(end) !== CR) end++;
        this.#pos = end;
      } else if (code === 47 && next === 42 && !(rules.executableComments && text.charCodeAt(i + 2) === 33)) {
        this.#advance(this.#blockCommentEnd(i, this.#position(i)));
      } else {
        return;
      }
    }
  }

  /** End of the block comment opening at `open` (nested where the dialect nests them). */
  #blockCommentEnd(open: number, at: Position): number {
    const text = this.#text;
    const nested = this.#rules.nestedBlockComments;
    let depth = 1;
    let i = open + 2;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 42 && text.charCodeAt(i + 1) === 47) {
        i += 2;
        if (--depth === 0) return i;
      } else if (nested && c === 47 && text.charCodeAt(i + 1) === 42) {
        i += 2;
        depth++;
      } else {
        i++;
      }
    }
    throw this.#unterminated(at, '*/');
  }

  #numberEnd(i: number): number {
    const text = this.#text;
    while (isDigit(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) === 46) {
      i++;
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 69 || e === 101) {
      const sign = text.charCodeAt(i + 1);
      const digitAt = sign === 43 || sign === 45 ? i + 2 : i + 1;
      if (isDigit(text.charCodeAt(digitAt))) {
        i = digitAt;
        while (isDigit(text.charCodeAt(i))) i++;
      }
    }
    return i;
  }

  /**
   * A quoted string or identifier whose opening quote is at `quoteAt` (after the `E` of
   * an E-string). A doubled quote stands for itself; unless `escapes` is 'none', a
   * backslash escapes the next character.
   */
  #quoted(kind: TokenKind, start: Position, quoteAt: number, quote: string, escapes: EscapeStyle): Token {
    const text = this.#text;
    const q = quote.charCodeAt(0);
    let i = quoteAt + 1;
    let escaped = false;
    for (;;) {
      if (i >= text.length) throw this.#unterminated(start, quote);
      const c = text.charCodeAt(i);
      if (c === q) {
        if (text.charCodeAt(i + 1) !== q) break;
        escaped = true;
        i += 2;
      } else if (c === 92 && escapes !== 'none') {
        escaped = true;
        i += 2;
      } else {
        i++;
      }
    }
    const end = i + 1;
    const inner = text.slice(quoteAt + 1, i);
    let value = inner;
    if (escaped) {
      value = escapes === 'none' ? inner.split(quote + quote).join(quote) : decodeBackslashes(inner, quote, escapes);
    }
    this.#advance(end);
    return this.#token(kind, start, end, value);
  }

  /** `$$...$$` or `$tag$...$tag$`; null when the `$` opens no such body (e.g. `$1`). */
  #dollarQuoted(start: Position, startIndex: number): Token | null {
    const text = this.#text;
    let i = startIndex + 1;
    if (i < text.length && text.charCodeAt(i) !== 36) {
      if (isDigit(text.charCodeAt(i))) return null;
      while (i < text.length && isTagPart(text.charCodeAt(i))) i++;
    }
    if (text.charCodeAt(i) !== 36) return null;
    const delimiter = text.slice(startIndex, i + 1);
    const close = text.indexOf(delimiter, i + 1);
    if (close < 0) throw this.#unterminated(start, delimiter);
    const end = close + delimiter.length;
    const value = text.slice(i + 1, close);
    this.#advance(end);
    return this.#token('string', start, end, value);
  }

  #unterminated(at: Position, closing: string): SqlSyntaxError {
    return new SqlSyntaxError(at.line, at.column, `closing ${closing}`, this.#endName);
  }
}

/** Which backslash escapes a quoted token has: none, MySQL's, or PostgreSQL's E-string ones. */
type EscapeStyle = 'none' | 'backslash' | 'e-string';

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Resolves backslash escapes: MySQL's set (\0 \Z, and \% \_ keep their backslash for
 * LIKE) or PostgreSQL's E-string set (octal, \x hex, \u and \U code points).
 */
function decodeBackslashes(inner: string, quote: string, style: 'backslash' | 'e-string'): string {
  let out = '';
  let i = 0;
  while (i < inner.length) {
    const ch = inner[i]!;
    if (ch === quote && inner[i + 1] === quote) {
      out += quote;
      i += 2;
      continue;
    }
    if (ch !== '\\' || i + 1 >= inner.length) {
      out += ch;
      i++;
      continue;
    }
    const e = inner[i + 1]!;
    i += 2;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
    } else if (style === 'backslash') {
      out += e === '0' ? '\0' : e === 'Z' ? '\x1a' : e === '%' || e === '_' ? '\\' + e : e;
    } else {
      const code = postgresEscape(inner, e, i);
      if (code) {
        out += code.char;
        i += code.consumed;
      } else {
        out += e;
      }
    }
  }
  return out;
}

/** Octal, hex and Unicode escapes of an E-string, after the `\` and its letter `e`. */
function postgresEscape(inner: string, e: string, i: number): { char: string; consumed: number } | null {
  let digits: string | null = null;
  let radix = 16;
  if (e >= '0' && e <= '7') {
    const m = /^[0-7]{0,2}/.exec(inner.slice(i))!;
    digits = e + m[0];
    radix = 8;
  } else if (e === 'x') {
    digits = /^[0-9a-fA-F]{1,2}/.exec(inner.slice(i))?.[0] ?? null;
  } else if (e === 'u') {
    digits = /^[0-9a-fA-F]{4}/.exec(inner.slice(i))?.[0] ?? null;
  } else if (e === 'U') {
    digits = /^[0-9a-fA-F]{8}/.exec(inner.slice(i))?.[0] ?? null;
  }
  if (digits === null) return null;
  const codePoint = parseInt(digits, radix);
  if (codePoint > 0x10ffff) return null;
  return { char: String.fromCodePoint(codePoint), consumed: radix === 8 ? digits.length - 1 : digits.length };
}
