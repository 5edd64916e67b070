/**
 * SqlDialect.constantDoubleAt, doubleConstant, textKeyConstant and constantKeyPosition on each database: every element of a constant list of
 * doubles comes back bit for bit (the hashed weights of a compiled model are read so),
 * whatever its digits, and past the end is NULL. Property-tested over arbitrary doubles.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { serverTargets } from '../helpers/servers.js';
import { trickyText } from '../helpers/tricky-text.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];

/** Doubles whose digits trip up a parser: subnormal, extreme, long, and decimal-looking (the last one MariaDB's driver read one unit in the last place off). */
const AWKWARD = [0.1, 1 / 3, -2 / 3, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 123456789012345680000, 1e21, 1e-7, 0, -0, 9007199254740993, 0.30000000000000004, -1234.5678e-300, 900930.4489990189];

describe.each(TARGETS)('$label: constantDoubleAt', ({ url }) => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await Engine.open(url);
  });

  afterAll(async () => {
    await engine?.close();
  });

  /** Each of `indexes` looked up in `values`, in one SELECT. */
  async function lookUp(values: readonly number[], indexes: readonly number[]): Promise<unknown[]> {
    const sql = engine.adapter.sql;
    const list = indexes.map((i, n) => `${sql.constantDoubleAt(values, String(i))} AS ${sql.quoteIdent(`v${n}`)}`);
    const result = await engine.adapter.query(`SELECT ${list.join(', ')}`);
    return result.rows[0]!.map((value) => (value === null ? null : Number(value)));
  }

  it('gives each element back exactly, and NULL past the end', async () => {
    const got = await lookUp(AWKWARD, [...AWKWARD.keys(), AWKWARD.length, AWKWARD.length + 5]);
    AWKWARD.forEach((x, i) => expect(got[i], `element ${i} (${x})`).toBe(x === 0 ? 0 : x));
    expect(got.slice(AWKWARD.length)).toEqual([null, null]);
  });

  it('doubleConstant reads back each double exactly, in arithmetic too', async () => {
    const sql = engine.adapter.sql;
    const list = AWKWARD.map((x, n) => `${sql.doubleConstant(x)} AS ${sql.quoteIdent(`c${n}`)}`);
    const got = (await engine.adapter.query(`SELECT ${list.join(', ')}`)).rows[0]!.map(Number);
    AWKWARD.forEach((x, i) => expect(got[i], `constant ${i} (${x})`).toBe(x === 0 ? 0 : x));
    // A negative after a minus stays arithmetic (no `--` comment), and stays a double.
    const difference = await engine.adapter.query(`SELECT 1 - ${sql.doubleConstant(-0.1)} AS d, ${sql.doubleConstant(1)} / 3 AS q`);
    expect(difference.rows[0]!.map(Number)).toEqual([1 - -0.1, 1 / 3]);
  });

  it('textKeyConstant equals the key of the same text and no other (case, trailing spaces, unicode)', async () => {
    const sql = engine.adapter.sql;
    const texts = ['café', 'cafe', 'a', 'A', 'a ', "it's", 'back\\slash', '日本', ''];
    const key = (value: string): string => sql.split.partitionKey(sql.quoteString(value), 'text');
    const cells = texts.flatMap((a, i) => texts.map((b, j) => `CASE WHEN ${key(a)} = ${sql.textKeyConstant(b)} THEN 1 ELSE 0 END AS ${sql.quoteIdent(`e${i}_${j}`)}`));
    const got = (await engine.adapter.query(`SELECT ${cells.join(', ')}`)).rows[0]!.map(Number);
    expect(got).toEqual(texts.flatMap((a) => texts.map((b) => (a === b ? 1 : 0))));
  });

  it('reads an index computed per row (an expression, as the hashed offset is)', async () => {
    const sql = engine.adapter.sql;
    const values = [1.5, -2.25, 3.125];
    const result = await engine.adapter.query(`SELECT ${sql.constantDoubleAt(values, '(1 + 1)')} AS v, ${sql.constantDoubleAt(values, `CAST(0 AS ${sql.split.bigintCast})`)} AS w`);
    expect(result.rows[0]!.map(Number)).toEqual([3.125, 1.5]);
  });

  it('round-trips arbitrary finite doubles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 40 }), async (values) => {
        const got = await lookUp(values, [...values.keys()]);
        values.forEach((x, i) => expect(got[i]).toBe(x === 0 ? 0 : x));
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});

/** DuckDB looks a one-hot's category up by its position in a constant list (the other dialects compile a CASE). */
describe('duckdb: constantKeyPosition', () => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await Engine.open('duckdb::memory:');
  });

  afterAll(async () => {
    await engine?.close();
  });

  it('the first position of the key among the constants, NULL where it is none of them (as a CASE over them answers)', async () => {
    const sql = engine.adapter.sql;
    const position = sql.constantKeyPosition!;
    expect(position).toBeDefined();
    const key = (value: string): string => sql.split.partitionKey(sql.quoteString(value), 'text');
    const fixed = ['café', 'cafe', 'a', 'A', 'a ', "it's", 'back\\slash', '日本', ''];
    await fc.assert(
      fc.asyncProperty(fc.array(trickyText, { minLength: 1, maxLength: 12 }), fc.array(trickyText, { maxLength: 6 }), async (keys, others) => {
        const probes = [...keys, ...others, ...fixed];
        const constants = keys.map((k) => sql.textKeyConstant(k));
        const cells = probes.map((probe, n) => `${position(constants, key(probe))} AS ${sql.quoteIdent(`p${n}`)}`);
        const got = (await engine.adapter.query(`SELECT ${cells.join(', ')}`)).rows[0]!.map((value) => (value === null ? null : Number(value)));
        expect(got).toEqual(probes.map((probe) => (keys.includes(probe) ? keys.indexOf(probe) : null)));
      }),
      { numRuns: 40 },
    );
  });
});
