/**
 * Bound parameters for the databases whose wire sessions sqlml answers itself: finding
 * `$n` with the database's lexing, counting them, and binding values as literals that the
 * database reads back unchanged, checked against every database (MySQL also under
 * NO_BACKSLASH_ESCAPES, set on the session by the URL's sql_mode).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { DIALECTS } from '../../adapters/dialects.js';
import { mysqlDialect } from '../../adapters/mysql/dialect.js';
import { openAdapter } from '../../adapters/registry.js';
import { SqlmlError } from '../../src/errors.js';
import { bindLiterals, parameterCount } from '../../src/server/pg-literals.js';
import { MYSQL_URL, serverTargets } from '../helpers/servers.js';
import { trickyText } from '../helpers/tricky-text.js';

const TEXT = 25;
const INT4 = 23;
const BOOL = 16;
const { duckdb, postgres, mysql } = DIALECTS;
const mysqlNoEscapes = mysqlDialect({ backslashEscapes: false });

describe('parameterCount', () => {
  it('is the highest $n, whatever the order and repeats', () => {
    expect(parameterCount('SELECT $2, $1, $2', duckdb)).toBe(2);
    expect(parameterCount('SELECT 1', duckdb)).toBe(0);
    expect(parameterCount('SELECT $3', mysql)).toBe(3);
  });

  it('skips $n inside strings, quoted names, comments and dollar bodies, as the database lexes them', () => {
    expect(parameterCount(`SELECT '$1', "$2", $$ $3 $$, $4 -- $5\n /* $6 */`, postgres)).toBe(4);
    expect(parameterCount("SELECT `$1`, \"$2\", $3 # $4", mysql)).toBe(3);
  });

  it('reads a MySQL string ending in a backslash as ended under NO_BACKSLASH_ESCAPES', () => {
    expect(parameterCount("SELECT 'a\\', $1", mysqlNoEscapes)).toBe(1);
    // With backslash escapes the quote is escaped and the string never ends.
    expect(() => parameterCount("SELECT 'a\\', $1", mysql)).toThrow(/closing '/);
  });
});

describe('bindLiterals', () => {
  it('writes numbers bare, booleans as TRUE/FALSE, NULL as NULL and text quoted', () => {
    expect(bindLiterals('SELECT $1, $2, $3, $4, $5', duckdb, ['12', '-1.5e3', 't', null, "it's"], [0, INT4, BOOL, TEXT, TEXT])).toBe(
      "SELECT 12, -1.5e3, TRUE, NULL, 'it''s'",
    );
    expect(bindLiterals('SELECT $1', duckdb, ['12'], [TEXT])).toBe("SELECT '12'");
  });

  it("quotes with the database's own string literals, in the session's modes", () => {
    expect(bindLiterals('SELECT $1', postgres, ['a\\b'], [TEXT])).toBe("SELECT 'a\\b'");
    expect(bindLiterals('SELECT $1', mysql, ["a\\'b"], [TEXT])).toBe("SELECT 'a\\\\\\'b'");
    expect(bindLiterals('SELECT $1', mysqlNoEscapes, ["a\\'b"], [TEXT])).toBe("SELECT 'a\\''b'");
  });

  it('refuses a placeholder with no value bound', () => {
    expect(() => bindLiterals('SELECT $2', duckdb, ['1'], [0])).toThrow(SqlmlError);
    expect(() => bindLiterals('SELECT $0', duckdb, ['1'], [0])).toThrow('there is no parameter $0: 1 were bound');
  });
});

const servers = await serverTargets();
const separator = MYSQL_URL.includes('?') ? '&' : '?';
const TARGETS = [
  { label: 'duckdb', url: 'duckdb::memory:' },
  ...servers.filter((t) => t.label === 'postgres' || t.label === 'mysql'),
  ...(servers.some((t) => t.label === 'mysql') ? [{ label: 'mysql (NO_BACKSLASH_ESCAPES)', url: `${MYSQL_URL}${separator}sql_mode=NO_BACKSLASH_ESCAPES` }] : []),
];

describe.each(TARGETS)('bound text on $label reads back unchanged', ({ url }) => {
  let adapter: Adapter;
  beforeAll(async () => {
    adapter = await openAdapter(url);
  });
  afterAll(async () => {
    await adapter?.close();
  });

  it('SELECT <bound literal> gives back the bound string', async () => {
    await fc.assert(
      fc.asyncProperty(trickyText, trickyText, async (a, b) => {
        const sql = bindLiterals('SELECT $1 AS a, $2 AS b', adapter.sql, [a, b], [TEXT, TEXT]);
        const result = await adapter.query(sql);
        expect(result.rows).toEqual([[a, b]]);
      }),
      { numRuns: 60 },
    );
  });

  it('binds around a literal that ends in a backslash', async () => {
    const literal = adapter.sql.quoteString('x\\');
    const result = await adapter.query(bindLiterals(`SELECT ${literal} AS a, $1 AS b`, adapter.sql, ["it\\'s"], [TEXT]));
    expect(result.rows).toEqual([['x\\', "it\\'s"]]);
  });
});
