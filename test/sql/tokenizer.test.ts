import { describe, expect, it } from 'vitest';
import { SqlSyntaxError } from '../../src/errors.js';
import { Tokenizer } from '../../src/sql/index.js';
import type { Token } from '../../src/sql/index.js';
import { lexical, type DialectName } from './dialects.js';
import { mysqlDialect } from '../../adapters/mysql/dialect.js';
import type { LexicalRules } from '../../src/sql/index.js';

function tokens(text: string, dialect?: DialectName): Token[] {
  const tokenizer = new Tokenizer(text, lexical(dialect));
  const out: Token[] = [];
  for (let token = tokenizer.next(); token.kind !== 'eof'; token = tokenizer.next()) out.push(token);
  return out;
}

/** kind:value pairs, the compact way to read a token stream. */
function shapes(text: string, dialect?: DialectName): string[] {
  return tokens(text, dialect).map((t) => `${t.kind}:${t.value}`);
}

describe('Tokenizer: kinds', () => {
  it('reads words as written, punctuation one character at a time', () => {
    expect(shapes('Create MODEL m@3 (a, b.c) = ;')).toEqual([
      'word:Create',
      'word:MODEL',
      'word:m',
      'punctuation:@',
      'number:3',
      'punctuation:(',
      'word:a',
      'punctuation:,',
      'word:b',
      'punctuation:.',
      'word:c',
      'punctuation:)',
      'punctuation:=',
      'punctuation:;',
    ]);
  });

  it('reads 1, 1.5, .5, 1e-6, 2E+3 and 3. as numbers; a sign is its own token', () => {
    expect(shapes('1 1.5 .5 1e-6 2E+3 3. -3')).toEqual([
      'number:1',
      'number:1.5',
      'number:.5',
      'number:1e-6',
      'number:2E+3',
      'number:3.',
      'punctuation:-',
      'number:3',
    ]);
  });

  it('leaves an exponent without digits out of the number', () => {
    expect(shapes('1e x')).toEqual(['number:1', 'word:e', 'word:x']);
  });

  it('keeps the case of quoted identifiers and resolves doubled quotes', () => {
    const [token] = tokens('"Churn ""Model"""');
    expect(token).toMatchObject({ kind: 'quoted_identifier', value: 'Churn "Model"', text: '"Churn ""Model"""' });
  });

  it("resolves '' inside strings and keeps backslashes on duckdb", () => {
    expect(shapes("'it''s' 'a\\nb'")).toEqual(["string:it's", 'string:a\\nb']);
  });

  it("decodes E'...' escapes: simple, octal, hex and unicode", () => {
    expect(tokens("E'a\\tb\\'c\\101\\x42\\u0043\\U0001F600\\q'", 'postgres')[0]!.value).toBe("a\tb'cABC\u{1F600}q");
    expect(tokens("e'x''y'", 'duckdb')[0]).toMatchObject({ kind: 'string', value: "x'y" });
  });

  it('reads E followed by a space as a word', () => {
    expect(shapes("E 'x'", 'postgres')).toEqual(['word:E', 'string:x']);
  });

  it('decodes mysql backslash escapes in both string quotes, keeping \\% and \\_', () => {
    expect(tokens("'a\\'b\\n\\0\\%\\_\\\\'", 'mysql')[0]!.value).toBe("a'b\n\0\\%\\_\\");
    expect(tokens('"say \\"hi\\" ""twice"""', 'mysql')[0]).toMatchObject({ kind: 'string', value: 'say "hi" "twice"' });
  });

  it('reads backticks as identifiers on mysql and as punctuation elsewhere', () => {
    expect(shapes('`My ``Table```', 'mysql')).toEqual(['quoted_identifier:My `Table`']);
    expect(shapes('`x`', 'duckdb')).toEqual(['punctuation:`', 'word:x', 'punctuation:`']);
  });

  it('reads $$ and $tag$ bodies verbatim, and $1 as a parameter', () => {
    expect(shapes("$$it's $x$$ $fn$a$$b$fn$ $1", 'postgres')).toEqual([
      "string:it's $x",
      'string:a$$b',
      'punctuation:$',
      'number:1',
    ]);
  });

  it('reads $ inside a word as part of it', () => {
    expect(shapes('a$b$ c', 'duckdb')).toEqual(['word:a$b$', 'word:c']);
  });

  it('reads non-ASCII letters as word characters and NBSP as whitespace', () => {
    expect(shapes('prédiction\u00a0données_2')).toEqual(['word:prédiction', 'word:données_2']);
  });

  it('skips comments, and keeps mysql executable comments as opaque tokens', () => {
    expect(shapes('a -- x\n/* y */ b # z', 'duckdb')).toEqual(['word:a', 'word:b', 'punctuation:#', 'word:z']);
    expect(shapes('a /*!50003 b */ c # z', 'mysql')).toEqual(['word:a', 'opaque:/*!50003 b */', 'word:c']);
  });
});

describe('Tokenizer: spans', () => {
  it('gives each token its line, column, offset and end', () => {
    const [a, b, c] = tokens("x\r\n  'p\nq'  y");
    expect(a).toMatchObject({ start: { line: 1, column: 1, offset: 0 }, end: 1 });
    expect(b).toMatchObject({ start: { line: 2, column: 3, offset: 5 }, end: 10 });
    expect(c).toMatchObject({ start: { line: 3, column: 5, offset: 12 }, end: 13 });
  });

  it('counts from an origin when the text starts inside a script', () => {
    const tokenizer = new Tokenizer('a\n b', lexical('duckdb'), { origin: { line: 7, column: 10, offset: 100 } });
    expect(tokenizer.next().start).toEqual({ line: 7, column: 10, offset: 100 });
    expect(tokenizer.next().start).toEqual({ line: 8, column: 2, offset: 103 });
  });

  it('ends with eof tokens at the end of the text, forever', () => {
    const tokenizer = new Tokenizer('ab  ');
    tokenizer.next();
    const eof = tokenizer.next();
    expect(eof).toMatchObject({ kind: 'eof', text: '', start: { line: 1, column: 5, offset: 4 }, end: 4 });
    expect(tokenizer.next().kind).toBe('eof');
  });
});

describe('Tokenizer: errors', () => {
  it('names the end of the statement by default and the end of the script when told', () => {
    const inStatement = new Tokenizer("x 'abc");
    expect(inStatement.next().text).toBe('x');
    expect(() => inStatement.next()).toThrow("line 1, column 3: expected closing ', found end of statement");
    const inScript = new Tokenizer('\n\n  "ab', lexical('duckdb'), { endName: 'end of script' });
    expect(() => inScript.next()).toThrow(SqlSyntaxError);
    expect(() => new Tokenizer('\n\n  "ab', lexical('duckdb'), { endName: 'end of script' }).next()).toThrow(
      'line 3, column 3: expected closing ", found end of script',
    );
  });
});

describe('lexical rules', () => {
  it('quotes identifiers with " on duckdb and postgres and ` on mysql', () => {
    expect(lexical('duckdb').identifierQuote).toBe('"');
    expect(lexical('postgres').identifierQuote).toBe('"');
    expect(lexical('mysql').identifierQuote).toBe('`');
    expect(lexical('mysql').doubleQuotedStrings).toBe(true);
  });

  it("reads a backslash in a MySQL string as itself under NO_BACKSLASH_ESCAPES", () => {
    const noEscapes = mysqlDialect({ backslashEscapes: false }).lexical;
    const read = (text: string, rules: LexicalRules): string[] => {
      const tokenizer = new Tokenizer(text, rules);
      const out: string[] = [];
      for (let t = tokenizer.next(); t.kind !== 'eof'; t = tokenizer.next()) out.push(`${t.kind}:${t.value}`);
      return out;
    };
    expect(read("SELECT 'a\\', $1", noEscapes)).toEqual(['word:SELECT', 'string:a\\', 'punctuation:,', 'punctuation:$', 'number:1']);
    expect(() => read("SELECT 'a\\', $1", lexical('mysql'))).toThrow(SqlSyntaxError);
  });
});
