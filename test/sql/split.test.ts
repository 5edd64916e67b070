import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqlSyntaxError } from '../../src/errors.js';
import { endsWithTerminator, splitScript } from '../../src/sql/index.js';
import { lexical, type DialectName } from './dialects.js';

function texts(script: string, dialect?: DialectName): string[] {
  return splitScript(script, lexical(dialect)).map((part) => part.text);
}

function splitError(script: string, dialect?: DialectName): SqlSyntaxError {
  try {
    splitScript(script, lexical(dialect));
  } catch (error) {
    if (error instanceof SqlSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(script)} not to split`);
}

describe('splitScript: statements and positions', () => {
  it('splits on top-level semicolons and gives each part its start', () => {
    const parts = splitScript('SELECT 1;\n  SHOW MODELS ;\nDESCRIBE MODEL m');
    expect(parts).toEqual([
      { text: 'SELECT 1', start: { line: 1, column: 1, offset: 0 } },
      { text: 'SHOW MODELS', start: { line: 2, column: 3, offset: 12 } },
      { text: 'DESCRIBE MODEL m', start: { line: 3, column: 1, offset: 26 } },
    ]);
  });

  it('counts \\r\\n as one line break and a lone \\r as one', () => {
    const parts = splitScript('SELECT 1;\r\n\r\n  SELECT 2;\rSELECT 3');
    expect(parts.map((p) => p.start)).toEqual([
      { line: 1, column: 1, offset: 0 },
      { line: 3, column: 3, offset: 15 },
      { line: 4, column: 1, offset: 25 },
    ]);
  });

  it('counts line breaks inside strings and comments', () => {
    const parts = splitScript("SELECT 'a\nb'; /* x\ny\n*/ SELECT 2");
    expect(parts[1]).toEqual({ text: 'SELECT 2', start: { line: 4, column: 4, offset: 24 } });
  });

  it('leaves leading and trailing comments and whitespace out of the text', () => {
    expect(texts('-- header\n/* block */  SELECT 1 -- trailing\n  ;')).toEqual(['SELECT 1']);
    expect(splitScript('-- header\nSELECT 1')[0]!.start).toEqual({ line: 2, column: 1, offset: 10 });
  });

  it('keeps comments inside a statement verbatim', () => {
    expect(texts('SELECT 1 /* ; */ + -- ;\n 2;')).toEqual(['SELECT 1 /* ; */ + -- ;\n 2']);
  });

  it('drops statements made only of whitespace and comments', () => {
    expect(texts(';; -- nothing\n ; /* still nothing */ ;\n\t')).toEqual([]);
    expect(texts('')).toEqual([]);
  });

  it('does not split inside parentheses', () => {
    expect(texts('SELECT (1; 2); SELECT 3')).toEqual(['SELECT (1; 2)', 'SELECT 3']);
  });

  it('lets an unmatched closing parenthesis through without hiding later semicolons', () => {
    expect(texts('SELECT 1); SELECT 2')).toEqual(['SELECT 1)', 'SELECT 2']);
  });
});

describe('splitScript: quotes', () => {
  it("ignores ; inside single-quoted strings with '' escapes", () => {
    expect(texts("SELECT 'it''s; fine'; SELECT 2")).toEqual(["SELECT 'it''s; fine'", 'SELECT 2']);
  });

  it('ignores ; inside double-quoted identifiers with "" escapes', () => {
    expect(texts('SELECT 1 AS "a"";b"; SELECT 2')).toEqual(['SELECT 1 AS "a"";b"', 'SELECT 2']);
  });

  it("honours backslash escapes in E'...' strings on duckdb and postgres", () => {
    for (const dialect of ['duckdb', 'postgres'] as const) {
      expect(texts("SELECT E'a\\';b'; SELECT 2", dialect)).toEqual(["SELECT E'a\\';b'", 'SELECT 2']);
    }
  });

  it("treats a backslash in a plain '...' string as an ordinary character on postgres", () => {
    expect(texts("SELECT 'a\\'; SELECT 2", 'postgres')).toEqual(["SELECT 'a\\'", 'SELECT 2']);
  });

  it('honours backslash escapes in both string quotes on mysql', () => {
    expect(texts("SELECT 'a\\';b'; SELECT \"c\\\";d\"; SELECT 3", 'mysql')).toEqual([
      "SELECT 'a\\';b'",
      'SELECT "c\\";d"',
      'SELECT 3',
    ]);
  });

  it('ignores ; inside backtick identifiers on mysql only', () => {
    expect(texts('SELECT 1 AS `a;b`; SELECT 2', 'mysql')).toEqual(['SELECT 1 AS `a;b`', 'SELECT 2']);
    expect(texts('SELECT 1 AS `a;b`', 'duckdb')).toEqual(['SELECT 1 AS `a', 'b`']);
  });

  it('ignores ; inside $$ and $tag$ bodies', () => {
    const script = "CREATE FUNCTION f() AS $$ SELECT 1; $$; DO $body$ x; $$ y; $body$; SELECT 3";
    expect(texts(script, 'postgres')).toEqual([
      'CREATE FUNCTION f() AS $$ SELECT 1; $$',
      'DO $body$ x; $$ y; $body$',
      'SELECT 3',
    ]);
  });

  it('does not take $1 parameters or $ inside names for dollar quotes', () => {
    expect(texts('SELECT $1; SELECT a$b$; SELECT 3', 'postgres')).toEqual(['SELECT $1', 'SELECT a$b$', 'SELECT 3']);
  });

  it('has no dollar quotes on mysql', () => {
    expect(texts('SELECT $$; SELECT 2', 'mysql')).toEqual(['SELECT $$', 'SELECT 2']);
  });
});

describe('splitScript: comments', () => {
  it('ignores ; inside -- line comments', () => {
    expect(texts('SELECT 1 -- a; b\n; SELECT 2')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('needs whitespace after -- for a comment on mysql', () => {
    expect(texts('SELECT 1--1; SELECT 2', 'mysql')).toEqual(['SELECT 1--1', 'SELECT 2']);
    expect(texts('SELECT 1--1; SELECT 2', 'duckdb')).toEqual(['SELECT 1']);
    // At the very end, -- stays two minus signs, so a part re-split reads the same.
    expect(texts('SELECT a----', 'mysql')).toEqual(['SELECT a----']);
    expect(texts('SELECT a---- \n', 'mysql')).toEqual(['SELECT a--']);
    expect(texts('SELECT a--', 'mysql')).toEqual(['SELECT a--']);
  });

  it('takes # for a line comment on mysql only', () => {
    expect(texts('SELECT 1 # a; b\n; SELECT 2', 'mysql')).toEqual(['SELECT 1', 'SELECT 2']);
    expect(texts('SELECT 1 # a; b', 'duckdb')).toEqual(['SELECT 1 # a', 'b']);
  });

  it('ignores ; inside /* */ comments', () => {
    expect(texts('SELECT /* ; */ 1; SELECT 2')).toEqual(['SELECT /* ; */ 1', 'SELECT 2']);
  });

  it('nests block comments on postgres and duckdb, not on mysql', () => {
    const script = 'SELECT 1 /* a /* b */ ; */ + 1; SELECT 2';
    expect(texts(script, 'postgres')).toEqual(['SELECT 1 /* a /* b */ ; */ + 1', 'SELECT 2']);
    expect(texts(script, 'duckdb')).toEqual(['SELECT 1 /* a /* b */ ; */ + 1', 'SELECT 2']);
    expect(texts(script, 'mysql')).toEqual(['SELECT 1', '*/ + 1', 'SELECT 2']);
  });

  it('keeps a statement made only of a mysql executable comment', () => {
    expect(texts('/*!40101 SET NAMES utf8 */;\n/* plain */;', 'mysql')).toEqual(['/*!40101 SET NAMES utf8 */']);
  });
});

describe('splitScript: unterminated forms', () => {
  const cases: [string, string, DialectName, string][] = [
    ["SELECT 1;\nSELECT 'abc", "line 2, column 8: expected closing ', found end of script", 'duckdb', 'string'],
    ['SELECT "abc', 'line 1, column 8: expected closing ", found end of script', 'postgres', 'identifier'],
    ['SELECT `abc', 'line 1, column 8: expected closing `, found end of script', 'mysql', 'backtick'],
    ["SELECT E'a\\'", "line 1, column 8: expected closing ', found end of script", 'postgres', 'E-string'],
    ["SELECT 'a\\'", "line 1, column 8: expected closing ', found end of script", 'mysql', 'backslash string'],
    ['SELECT $$ abc $', 'line 1, column 8: expected closing $$, found end of script', 'duckdb', '$$ body'],
    ['SELECT $fn$ abc $$', 'line 1, column 8: expected closing $fn$, found end of script', 'postgres', '$tag$ body'],
    ['SELECT 1;\n  /* abc', 'line 2, column 3: expected closing */, found end of script', 'duckdb', 'comment'],
    ['/* a /* b */', 'line 1, column 1: expected closing */, found end of script', 'postgres', 'nested comment'],
  ];
  for (const [script, message, dialect, form] of cases) {
    it(`reports an unterminated ${form} where it opened`, () => {
      const error = splitError(script, dialect);
      expect(error.message).toBe(message);
      expect(error.code).toBe('syntax');
    });
  }
});

describe('endsWithTerminator: whether a prompt has read a whole statement', () => {
  const cases: [string, DialectName, boolean][] = [
    ['SELECT 1;', 'postgres', true],
    ['SELECT 1; -- done', 'postgres', true],
    ['SELECT 1; SELECT 2', 'postgres', false],
    ['DELETE FROM t -- old rows;', 'postgres', false],
    ['DELETE FROM t /* old /* rows */ ; */;', 'duckdb', true],
    ['DELETE FROM t /* old /* rows */ ;', 'mysql', true],
    ['DELETE FROM t # old rows;', 'mysql', false],
    ['DELETE FROM t # old rows;', 'postgres', true],
    ['SELECT (1;', 'postgres', false],
    ["SELECT 'a\\';", 'postgres', true],
    ['SELECT 1 --;', 'mysql', true],
    ['SELECT 1 -- ;', 'mysql', false],
    [';', 'postgres', true],
    ['-- nothing;', 'postgres', false],
  ];
  for (const [script, dialect, ends] of cases) {
    it(`${JSON.stringify(script)} on ${dialect}: ${ends}`, () => {
      expect(endsWithTerminator(script, lexical(dialect))).toBe(ends);
    });
  }

  // The prompt's test agrees with the split: a text ends with its terminator exactly when
  // a statement typed after it (on a new line) is a statement of its own.
  it('agrees with splitScript on random scripts of quotes, comments and parentheses holding semicolons', () => {
    const fragments = ['SELECT 1', ';', ' ', '\n', '(', ')', "'a;b'", '-- c;\n', '/* x; */', '$$ ; $$', '# h;\n', '`q;`', '"d;"', "'\\';'", "E'\\';'"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 12 }), fc.constantFrom<DialectName>('duckdb', 'postgres', 'mysql'), (pieces, dialect) => {
        const text = pieces.join('');
        const rules = lexical(dialect);
        let parts: number;
        try {
          parts = splitScript(text, rules).length;
        } catch (error) {
          if (!(error instanceof SqlSyntaxError)) throw error;
          expect(() => endsWithTerminator(text, rules)).toThrow(SqlSyntaxError);
          return;
        }
        fc.pre(parts > 0);
        expect(endsWithTerminator(text, rules)).toBe(splitScript(`${text}\nSELECT 2`, rules).length === parts + 1);
      }),
      { numRuns: 2000 },
    );
  });

  it("throws at an unterminated quote or comment, as splitScript does (mysql's \\' escapes, nested comments)", () => {
    expect(() => endsWithTerminator("SELECT 'a\\';", lexical('mysql'))).toThrow(SqlSyntaxError);
    expect(() => endsWithTerminator('DELETE FROM t /* old /* rows */ ;', lexical('duckdb'))).toThrow(SqlSyntaxError);
  });
});
