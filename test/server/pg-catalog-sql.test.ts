/**
 * Reading catalog queries (src/server/pg-catalog-sql.ts): select lists split only at their
 * own commas, whatever quotes, strings and subqueries hold; string literals decoded as
 * PostgreSQL does; LIKE and psql patterns matching exactly what they say. And the OIDs
 * the emulated pg_catalog gives: the same for the same name, in PostgreSQL's user range.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { likeRegex, literalAfter, postgresIdent, selectItems } from '../../src/server/pg-catalog-sql.js';
import { oidOf } from '../../src/server/pg-catalog.js';
import { trickyText } from '../helpers/tricky-text.js';

const quotedIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const stringLiteral = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** Expressions psql and JDBC put in select lists, with commas, quotes and parentheses of their own. */
const expression = fc.oneof(
  fc.constantFrom('c.relname', 'a.attnotnull', 'NULL', 'false', "''", 'pg_catalog.format_type(a.atttypid, a.atttypmod)'),
  trickyText.map((text) => stringLiteral(text)),
  trickyText.map((text) => `(SELECT x, y FROM t WHERE z = ${stringLiteral(text)})`),
  trickyText.map((text) => `CASE WHEN a = ${stringLiteral(text)} THEN 'x,y' ELSE (1, 2) END`),
  trickyText.map((text) => `pg_catalog.array_to_string(d.datacl, E'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}')`),
);

describe('select lists', () => {
  it('are split into their items, each named by its alias', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(expression, trickyText.filter((t) => t.length > 0)), { minLength: 1, maxLength: 8 }), (items) => {
        const query = `SELECT ${items.map(([e, alias]) => `${e} AS ${quotedIdent(alias)}`).join(',\n  ')}\nFROM pg_catalog.pg_class c WHERE c.relname = 'a, b'`;
        expect(selectItems(query).map((item) => item.name)).toEqual(items.map(([, alias]) => alias));
      }),
    );
  });

  it("take their field from the column's own name, a known function, or a literal", () => {
    const items = selectItems(`SELECT c.oid, n.nspname AS "Schema", pg_catalog.format_type(a.atttypid, a.atttypmod), '' , false AS relhasoids, 0
      FROM pg_catalog.pg_class c`);
    expect(items).toEqual([
      { name: 'oid', key: 'oid', literal: null },
      { name: 'Schema', key: 'schema', literal: null },
      { name: 'format_type', key: 'format_type', literal: null },
      { name: '?column?', key: null, literal: '' },
      { name: 'relhasoids', key: null, literal: false },
      { name: '?column?', key: null, literal: 0 },
    ]);
  });

  it("of JDBC's SELECT * FROM (SELECT …) are the inner query's", () => {
    expect(selectItems('SELECT * FROM (SELECT n.nspname, a.attnum AS attnum FROM x) c WHERE true').map((i) => i.name)).toEqual(['nspname', 'attnum']);
  });
});

describe('string literals', () => {
  it("are decoded: '' in a standard string, backslash escapes in an E'' string", () => {
    fc.assert(
      fc.property(trickyText, (text) => {
        expect(literalAfter(`WHERE c.relname LIKE ${stringLiteral(text)} AND true`, 'c\\.relname\\s+LIKE')).toBe(text);
        const escaped = `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
        expect(literalAfter(`WHERE n.nspname = ${escaped} AND true`, 'n\\.nspname\\s*=')).toBe(text);
      }),
    );
  });

  it("E'' strings know C's one-letter escapes", () => {
    expect(literalAfter("x = E'a\\nb\\tc\\\\'", 'x\\s*=')).toBe('a\nb\tc\\');
  });

  it('are undefined where the query has none', () => {
    expect(literalAfter('SELECT 1', 'c\\.relname\\s+LIKE')).toBeUndefined();
  });
});

describe('LIKE patterns', () => {
  const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

  it('match exactly the name they spell once its wildcards are escaped', () => {
    fc.assert(
      fc.property(trickyText, trickyText, (name, other) => {
        const like = likeRegex(escapeLike(name));
        expect(like.test(name)).toBe(true);
        expect(like.test(other)).toBe(other === name);
      }),
    );
  });

  it('% matches any name and _ one character', () => {
    fc.assert(
      fc.property(trickyText, (name) => {
        expect(likeRegex('%').test(name)).toBe(true);
      }),
    );
    expect(likeRegex('a_c').test('abc')).toBe(true);
    expect(likeRegex('a_c').test('abbc')).toBe(false);
  });
});

describe('OIDs of the emulated catalog', () => {
  it('are the same for the same object, in the user range, and tell kinds and names apart', () => {
    fc.assert(
      fc.property(trickyText, trickyText, (schema, name) => {
        const oid = oidOf('r', schema, name);
        expect(oid).toBe(oidOf('r', schema, name));
        expect(oid).toBeGreaterThanOrEqual(16384);
        expect(oid).toBeLessThan(2 ** 31);
      }),
    );
    expect(oidOf('r', 'a', 'bc')).not.toBe(oidOf('r', 'ab', 'c'));
    expect(oidOf('r', 'main', 't')).not.toBe(oidOf('n', 'main', 't'));
  });
});

describe('names in generated SQL', () => {
  it('are quoted unless plain lowercase', () => {
    expect(postgresIdent('id')).toBe('id');
    expect(postgresIdent('MixedT')).toBe('"MixedT"');
    expect(postgresIdent('a"b')).toBe('"a""b"');
  });
});
