/**
 * The order src/compile sorts what it searches by byte order in (terms.ts byteOrder) is
 * UTF-8's, which is code point order, not JavaScript's UTF-16 one: an astral character (a
 * surrogate pair) sorts after U+E000–U+FFFF in UTF-8 and before them in UTF-16. Checked
 * against the UTF-8 bytes themselves (fast-check), and on every database that searches
 * by byte order (dialect.textKeyBelow: PostgreSQL) by a search over such values finding
 * each of them, and nothing for values between them.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteOrder, byteOrderSearch, hasUtf8Order } from '../../src/compile/terms.js';
import { Engine } from '../../src/engine/engine.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];

/** Astral characters, U+E000–U+FFFF, combining marks (precomposed and not), ASCII, and prefixes of each other. */
const VALUES = ['a', 'ab', 'é', 'e\u0301', 'e\u0301\u0323', '\ue000', '\uff01', '\ufffd', '🙂', '😀', '𝔘', '𝔘a', '日本', '日', 'Ünï', '\u00a0', '~', 'z|y', 'z'];
/** Values none of VALUES is: between, before and after them in either order. */
const BETWEEN = ['', 'aa', 'e', 'e\u0300', '\ue001', '\uff02', '🙃', '𝔙', '日本語', 'ü', '{', 'z|'];

const utf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('byteOrder', () => {
  it('orders as UTF-8 bytes do, for any well-formed text', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('a', '\ue000', '\uffff', '🙂', '\u0301', '\u00e9', '|', '\u007f', '\u0080'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 6 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(hasUtf8Order(a) && hasUtf8Order(b)).toBe(true);
        expect(Math.sign(byteOrder(a, b))).toBe(Math.sign(utf8(a, b)));
      }),
      { numRuns: 2000 },
    );
  });

  it('differs from JavaScript\'s order where a surrogate pair meets U+E000–U+FFFF', () => {
    expect('🙂' < '\uff01').toBe(true);
    expect(byteOrder('🙂', '\uff01')).toBeGreaterThan(0);
    expect(hasUtf8Order('a\ud83d')).toBe(false);
    expect(hasUtf8Order('\ude42b')).toBe(false);
  });
});

describe.each(TARGETS)('$label: a search by byte order', ({ url }) => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await Engine.open(url);
  }, 60_000);

  afterAll(async () => {
    await engine?.close();
  });

  it('finds each value among astral, private-use and combining ones, and none between them', async (context) => {
    const dialect = engine.adapter.sql;
    const keyOf = dialect.hashedTextKey;
    if (dialect.textKeyBelow === undefined || keyOf === undefined) {
      context.skip();
      return;
    }
    const entries = VALUES.map((text, index) => ({ text, index }));
    const key = keyOf(dialect.quoteIdent('v'));
    const leaf = (part: readonly (typeof entries)[number][]): string => `CASE ${key} ${part.map(({ text, index }) => `WHEN ${dialect.textKeyConstant(text)} THEN ${index}`).join(' ')} END`;
    const search = byteOrderSearch(dialect, key, entries, leaf);
    const scored = [...VALUES, ...BETWEEN];
    const rows = scored.map((value, i) => `(${i}, ${dialect.quoteString(value)})`).join(', ');
    const result = await engine.adapter.query(`SELECT ${dialect.quoteIdent('i')}, (${search}) AS found FROM (VALUES ${rows}) AS t(${dialect.quoteIdent('i')}, ${dialect.quoteIdent('v')})`);
    const found = new Map(result.rows.map((row) => [Number(row[0]), row[1] === null ? null : Number(row[1])]));
    scored.forEach((value, i) => expect(found.get(i), JSON.stringify(value)).toBe(i < VALUES.length ? i : null));
  });
});
