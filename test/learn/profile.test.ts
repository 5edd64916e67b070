import { mulberry32 } from '../../src/learn/random.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Column, ColumnData, ColumnType, RowBatch } from '../../src/data.js';
import {
  CivilCache,
  dayOfWeekOf,
  DISTINCT_CAP,
  hourOf,
  monthOf,
  Profiler,
  quantileCuts,
  SAMPLE_SIZE,
  yearOf,
} from '../../src/learn/profile.js';
import type { ColumnProfile } from '../../src/learn/profile.js';
import { MS_PER_DAY } from '../../src/calendar.js';

function column(name: string, type: ColumnType): Column {
  return { name, type, dbType: type.toUpperCase() };
}

function numbers(values: readonly (number | null)[]): ColumnData {
  return {
    kind: 'number',
    values: Float64Array.from(values, (v) => v ?? 0),
    nulls: Uint8Array.from(values, (v) => (v === null ? 1 : 0)),
  };
}

function texts(values: readonly (string | null)[]): ColumnData {
  return { kind: 'text', values };
}

function batch(...columns: ColumnData[]): RowBatch {
  const rowCount = columns[0]!.kind === 'number' ? columns[0]!.values.length : columns[0]!.values.length;
  return { rowCount, columns };
}

/** Profiles one column fed in batches of `batchRows`. */
function profileColumn(type: ColumnType, values: readonly (number | string | null)[], batchRows = 1000, options = {}): ColumnProfile {
  const profiler = new Profiler([column('x', type)], options);
  for (let start = 0; start < values.length; start += batchRows) {
    const slice = values.slice(start, start + batchRows);
    profiler.add(batch(type === 'text' || type === 'other' ? texts(slice as (string | null)[]) : numbers(slice as (number | null)[])));
  }
  return profiler.finish().columns[0]!;
}

const randoms = mulberry32;

describe('Profiler: numbers', () => {
  it('matches a two-pass mean and variance on random data fed in uneven batches', () => {
    const random = randoms(7);
    const values = Array.from({ length: 12_345 }, () => 1e6 + random() * 1000 - 500);
    const p = profileColumn('double', values, 777);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    expect(p.count).toBe(values.length);
    expect(p.mean).toBeCloseTo(mean, 6);
    expect(Math.abs(p.variance - variance) / variance).toBeLessThan(1e-9);
    expect(p.min).toBe(Math.min(...values));
    expect(p.max).toBe(Math.max(...values));
    expect(p.integral).toBe(false);
  });

  it('property: Welford agrees with the two-pass formulas for any finite input', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (values, batchRows) => {
        const p = profileColumn('double', values, batchRows);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
        expect(Math.abs(p.mean - mean)).toBeLessThan(1e-6);
        expect(Math.abs(p.variance - variance)).toBeLessThan(1e-6 * Math.max(1, variance));
      }),
      { numRuns: 100 },
    );
  });

  it('counts NULLs, NaN and infinities apart from the statistics', () => {
    const p = profileColumn('integer', [1, null, 3, Number.NaN, 5, Number.POSITIVE_INFINITY, null]);
    expect(p.count).toBe(3);
    expect(p.nulls).toBe(4);
    expect(p.mean).toBe(3);
    // (4 + 0 + 4) / 3
    expect(p.variance).toBeCloseTo(8 / 3, 12);
    expect(p.integral).toBe(true);
    expect([...p.distinct!.entries()]).toEqual([['1', 1], ['3', 1], ['5', 1]]);
  });

  it('reports NaN statistics for an all-NULL column', () => {
    const p = profileColumn('double', [null, null]);
    expect(p.count).toBe(0);
    expect(p.nulls).toBe(2);
    expect(p.mean).toBeNaN();
    expect(p.variance).toBeNaN();
    expect(p.min).toBeNaN();
    expect(p.distinct!.size).toBe(0);
  });

  it('keys distinct values by canonical text: 1 and 1.0 are one value, -0 is 0', () => {
    const p = profileColumn('double', [1, 1.0, 2.5, -0, 0]);
    expect(Object.fromEntries(p.distinct!)).toEqual({ '0': 2, '1': 2, '2.5': 1 });
  });

  it('keys booleans as true/false and dates as ISO dates, timestamps as ISO instants', () => {
    expect(Object.fromEntries(profileColumn('boolean', [1, 0, 1, null]).distinct!)).toEqual({ false: 1, true: 2 });
    const day = Date.UTC(2024, 1, 29);
    expect(Object.fromEntries(profileColumn('date', [day, day, day + 86_400_000]).distinct!)).toEqual({
      '2024-02-29': 2,
      '2024-03-01': 1,
    });
    expect([...profileColumn('timestamp', [Date.UTC(2024, 0, 2, 3, 4, 5)]).distinct!.keys()]).toEqual(['2024-01-02T03:04:05.000Z']);
  });

  it('keeps year and hour statistics for timestamps', () => {
    const p = profileColumn('timestamp', [Date.UTC(2020, 5, 1, 6), Date.UTC(2022, 5, 1, 18)]);
    expect(p.year).toEqual({ mean: 2021, variance: 1 });
    expect(p.hour).toEqual({ mean: 12, variance: 36 });
    expect(profileColumn('double', [1, 2]).year).toBeNull();
  });
});

describe('Profiler: distinct values stay bounded', () => {
  it('marks overflow past the cap and drops the exact map', () => {
    const values = Array.from({ length: 11 }, (_, i) => i);
    expect(profileColumn('integer', values.slice(0, 10), 1000, { distinctCap: 10 }).distinctOverflow).toBe(false);
    const p = profileColumn('integer', values, 1000, { distinctCap: 10 });
    expect(p.distinctOverflow).toBe(true);
    expect(p.distinct).toBeNull();
  });

  it('never holds more than DISTINCT_CAP values while streaming 50,000 distinct texts', () => {
    const profiler = new Profiler([column('t', 'text')]);
    const sizes: number[] = [];
    for (let b = 0; b < 50; b++) {
      profiler.add(batch(texts(Array.from({ length: 1000 }, (_, i) => `v${b * 1000 + i}`))));
      sizes.push(profiler.finish().columns[0]!.distinct?.size ?? 0);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(DISTINCT_CAP);
    const p = profiler.finish().columns[0]!;
    expect(p.distinctOverflow).toBe(true);
    // HyperLogLog with 1024 registers: about 3% standard error.
    expect(Math.abs(p.distinctEstimate - 50_000) / 50_000).toBeLessThan(0.1);
  });

  it('estimates repeated values as few distinct values after overflow', () => {
    const values = Array.from({ length: 20_000 }, (_, i) => i % 2000);
    const p = profileColumn('integer', values);
    expect(p.distinctOverflow).toBe(true);
    expect(Math.abs(p.distinctEstimate - 2000) / 2000).toBeLessThan(0.1);
  });
});

describe('Profiler: text', () => {
  it('counts values, NULLs, distinct labels and words per value', () => {
    const p = profileColumn('text', ['a b c', 'a', null, '  two  words ', 'a']);
    expect(p.count).toBe(4);
    expect(p.nulls).toBe(1);
    expect(Object.fromEntries(p.distinct!)).toEqual({ 'a b c': 1, a: 2, '  two  words ': 1 });
    // (3 + 1 + 2 + 1) / 4
    expect(p.meanTokens).toBe(1.75);
    expect(p.mean).toBeNaN();
    expect(p.sample).toBeNull();
  });
});

describe('Profiler: quantile sample', () => {
  it('holds every value, sorted, up to the sample size', () => {
    const p = profileColumn('integer', [5, 3, null, 9, 1]);
    expect([...p.sample!]).toEqual([1, 3, 5, 9]);
  });

  it('keeps a bounded sample that does not depend on batch size', () => {
    const random = randoms(3);
    const values = Array.from({ length: 30_000 }, () => random());
    const a = profileColumn('double', values, 2048);
    const b = profileColumn('double', values, 5000);
    expect(a.sample!.length).toBe(SAMPLE_SIZE);
    expect([...a.sample!]).toEqual([...b.sample!]);
  });

  it('samples uniformly from a long stream: every part of the stream is represented in proportion', () => {
    // Values are their own position, so the sample's spread shows which positions it drew from.
    const n = 200_000;
    const p = profileColumn('double', Array.from({ length: n }, (_, i) => i), 4096);
    const sample = p.sample!;
    expect(sample.length).toBe(SAMPLE_SIZE);
    expect(new Set(sample).size).toBe(SAMPLE_SIZE);
    for (let decile = 0; decile < 10; decile++) {
      const inDecile = sample.filter((v) => v >= (decile * n) / 10 && v < ((decile + 1) * n) / 10).length;
      // Binomial(10,000, 0.1): sd 30; 6 sd either side.
      expect(Math.abs(inDecile - SAMPLE_SIZE / 10)).toBeLessThan(180);
    }
    // The stream's end reaches the sample too (a broken skip would stop replacing early).
    expect(Math.max(...sample)).toBeGreaterThan(n - 200);
  });

  it('cuts 1..100 into quartiles by linear interpolation', () => {
    const p = profileColumn('integer', Array.from({ length: 100 }, (_, i) => i + 1));
    // positions 0.25·99 = 24.75 → 25.75, 49.5 → 50.5, 74.25 → 75.25
    expect(quantileCuts(p, 4)).toEqual([25.75, 50.5, 75.25]);
  });

  it('drops duplicate and minimum cuts on tied data', () => {
    const p = profileColumn('integer', [1, 1, 1, 1, 1, 1, 2, 3]);
    // sorted sample [1,1,1,1,1,1,2,3], positions i/4·7: 1.75 and 3.5 read 1 (the minimum: no cut),
    // 5.25 → 1 + 0.25·(2 - 1) = 1.25
    expect(quantileCuts(p, 4)).toEqual([1.25]);
    // i/8·7: 0.875 … 4.375 read 1; 5.25 → 1.25; 6.125 → 2 + 0.125·(3 - 2) = 2.125
    expect(quantileCuts(p, 8)).toEqual([1.25, 2.125]);
    expect(quantileCuts(profileColumn('integer', [4, 4, 4]), 10)).toEqual([]);
  });

  it('finds the median of 100,000 uniform values within 2% from its sample', () => {
    const random = randoms(11);
    const p = profileColumn('double', Array.from({ length: 100_000 }, () => random()), 4096);
    const [median] = quantileCuts(p, 2);
    expect(Math.abs(median! - 0.5)).toBeLessThan(0.02);
  });
});

describe('calendar parts', () => {
  it('agree with Date UTC getters for any instant from year 1 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), (ms) => {
        const date = new Date(ms);
        expect(yearOf(ms)).toBe(date.getUTCFullYear());
        expect(monthOf(ms)).toBe(date.getUTCMonth() + 1);
        expect(dayOfWeekOf(ms)).toBe((date.getUTCDay() + 6) % 7);
        expect(hourOf(ms)).toBe(date.getUTCHours());
      }),
      { numRuns: 2000 },
    );
  });

  it('CivilCache answers as civil() does, whichever days share a slot (days 1024 apart collide)', () => {
    const cache = new CivilCache();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -700_000, max: 2_900_000 }), { minLength: 1, maxLength: 50 }), fc.constantFrom(0, 1024, -2048), (days, shift) => {
        for (const d of days) {
          for (const day of [d, d + shift]) {
            const ms = day * MS_PER_DAY;
            const packed = cache.packedOfDay(day);
            expect(Math.floor(packed / 16)).toBe(yearOf(ms));
            expect(packed % 16).toBe(monthOf(ms));
            expect(cache.yearOfDay(day)).toBe(yearOf(ms));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('knows 1970-01-01 was a Thursday and 2000-02-29 existed', () => {
    expect(dayOfWeekOf(0)).toBe(3);
    const leap = Date.UTC(2000, 1, 29, 23);
    expect([yearOf(leap), monthOf(leap), hourOf(leap)]).toEqual([2000, 2, 23]);
  });
});

describe('Profiler: results pinned across the fast paths', () => {
  // Estimates pinned from the version that fed the HyperLogLog every value; it now starts
  // at overflow, seeded with the exact map's keys, and must land on the same registers.
  it('estimates distinct numbers after overflow as when every value was sketched', () => {
    const p = profileColumn('integer', Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 3001));
    expect(p.distinctOverflow).toBe(true);
    expect(p.distinctEstimate).toBe(2986);
    const fractions = profileColumn('double', Array.from({ length: 5000 }, (_, i) => (i % 1500) / 7));
    expect(fractions.distinctEstimate).toBe(1507);
  });

  it('estimates distinct texts after overflow as when every value was sketched', () => {
    const p = profileColumn('text', Array.from({ length: 10_000 }, (_, i) => `w${(i * 31) % 2500}`));
    expect(p.distinctEstimate).toBe(2700);
  });

  it('gives the same estimate whatever order the values arrive in', () => {
    const values = Array.from({ length: 6000 }, (_, i) => (i * 7919) % 3001);
    const reversed = [...values].reverse();
    expect(profileColumn('integer', reversed, 333).distinctEstimate).toBe(profileColumn('integer', values).distinctEstimate);
  });

  it('counts small whole numbers, -0, fractions and larger numbers as one ascending map', () => {
    const p = profileColumn('double', [3, -0, 0, 2.5, 1024, 1023, 3, 2.5, -1, null]);
    expect([...p.distinct!]).toEqual([
      ['-1', 1],
      ['0', 2],
      ['2.5', 2],
      ['3', 2],
      ['1023', 1],
      ['1024', 1],
    ]);
  });

  it('counts the words of repeated texts once per occurrence, before and after overflow', () => {
    const p = profileColumn('text', ['a b', 'a b', 'c', 'd e f', 'a b', 'g'], 4, { distinctCap: 2 });
    expect(p.distinctOverflow).toBe(true);
    // (2 + 2 + 1 + 3 + 2 + 1) / 6
    expect(p.meanTokens).toBe(11 / 6);
    // Four distinct values: linear counting, round(1024 · ln(1024 / 1020)).
    expect(p.distinctEstimate).toBe(4);
  });

  it('keeps year statistics right when days 1024 apart share a slot of the year cache', () => {
    const day2020 = Date.UTC(2020, 0, 1);
    const day2022 = day2020 + 1024 * 86_400_000;
    expect(yearOf(day2022)).toBe(2022);
    const p = profileColumn('date', [day2020, day2022, day2020, day2022, day2020]);
    expect(p.year!.mean).toBeCloseTo((3 * 2020 + 2 * 2022) / 5, 9);
    expect(p.year!.variance).toBeCloseTo(0.96, 9);
  });
});
