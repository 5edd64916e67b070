/**
 * src/compile/profile-sql.ts without a server: the sample drawn from exact counts is the
 * stream's when every value fits and evenly spaced order statistics otherwise; the
 * threshold sample (sampleFromRows) picks what ORDER BY hash, value LIMIT does; the
 * moments split by a small select-list cap give, run on DuckDB, what one query gives.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import { centeredQueries, momentsQueries, readCentered, readMoments, sampleFromCounts, sampleFromRows } from '../../src/compile/profile-sql.js';
import type { Column } from '../../src/data.js';
import { SAMPLE_SIZE } from '../../src/learn/profile.js';

describe('sampleFromCounts', () => {
  const counts = fc.uniqueArray(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 40 })), { selector: (t) => t[0], maxLength: 60 });

  it('is every value, sorted, while they fit', () => {
    fc.assert(
      fc.property(counts, (pairs) => {
        const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
        const count = sorted.reduce((n, [, c]) => n + c, 0);
        const expected = sorted.flatMap(([v, c]) => Array<number>(c).fill(v));
        expect([...sampleFromCounts(sorted, count)]).toEqual(expected);
      }),
    );
  });

  it('past SAMPLE_SIZE, holds SAMPLE_SIZE evenly spaced order statistics: each value about its share', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 1, max: 50_000 })), { selector: (t) => t[0], minLength: 1, maxLength: 30 }), (pairs) => {
        const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
        const count = sorted.reduce((n, [, c]) => n + c, 0);
        const sample = sampleFromCounts(sorted, count);
        expect(sample.length).toBe(Math.min(count, SAMPLE_SIZE));
        for (let i = 1; i < sample.length; i++) expect(sample[i]! >= sample[i - 1]!).toBe(true);
        for (const [v, c] of sorted) {
          const held = sample.filter((x) => x === v).length;
          expect(Math.abs(held - (c * sample.length) / count)).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('sampleFromRows', () => {
  it('is the first SAMPLE_SIZE non-NULL values by (hash, value), sorted; null when there are fewer', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.option(fc.integer({ min: -5, max: 5 }))), { maxLength: SAMPLE_SIZE + 200 }), (rows) => {
        const picked = sampleFromRows(rows, 0);
        const values = rows.filter(([, v]) => v !== null) as [number, number][];
        if (values.length < SAMPLE_SIZE) {
          expect(picked).toBeNull();
          return;
        }
        const expected = values
          .sort((a, b) => a[0] - b[0] || a[1] - b[1])
          .slice(0, SAMPLE_SIZE)
          .map(([, v]) => v)
          .sort((a, b) => a - b);
        expect([...picked!]).toEqual(expected);
      }),
      { numRuns: 15 },
    );
  });
});

describe('moments queries on DuckDB', () => {
  let adapter: Adapter;
  const columns: Column[] = [
    ...Array.from({ length: 12 }, (_, i): Column => ({ name: `x${i}`, type: 'double', dbType: '' })),
    { name: 'd', type: 'date', dbType: '' },
    { name: 't', type: 'text', dbType: '' },
  ];

  beforeAll(async () => {
    adapter = await openAdapter('duckdb::memory:');
    const xs = Array.from({ length: 12 }, (_, i) => `CASE WHEN i % ${i + 2} = 0 THEN NULL ELSE 1e6 + i * ${i + 0.5} END AS x${i}`).join(', ');
    await adapter.query(`CREATE TABLE m AS SELECT ${xs}, DATE '2020-01-01' + CAST(i % 900 AS INTEGER) AS d, 'v' || (i % 7) AS t FROM range(5000) r(i)`);
  });

  afterAll(async () => {
    await adapter?.close();
  });

  it('split by a small select-list cap, give what one query gives', async () => {
    const run = async (maxSelectList: number) => {
      const dialect = { ...adapter.sql, maxSelectList };
      const plans = momentsQueries(dialect, 'm', columns);
      for (const plan of plans) expect(plan.sql.split(' AS ').length).toBeLessThanOrEqual(maxSelectList + 2);
      const rows = [];
      for (const plan of plans) rows.push((await adapter.query(plan.sql)).rows[0]!);
      const { rows: n, moments } = readMoments(columns, plans, rows);
      const centered = centeredQueries(dialect, 'm', columns, moments);
      const centeredRows = [];
      for (const plan of centered) centeredRows.push((await adapter.query(plan.sql)).rows[0]!);
      readCentered(moments, centered, centeredRows);
      return { n, moments, queries: plans.length + centered.length };
    };
    const whole = await run(Number.POSITIVE_INFINITY);
    const split = await run(12);
    expect(whole.queries).toBe(2);
    expect(split.queries).toBeGreaterThan(4);
    expect(split.n).toBe(5000);
    expect(split.moments).toEqual(whole.moments);
  });
});
