import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnData, RowBatch } from '../../src/data.js';
import { OccurrenceCounter } from '../../src/learn/occurrences.js';
import { mulberry32, permutation } from '../../src/learn/random.js';
import { mix, NULL_VALUE, numberValue, numberWords, ROW_PRIME, wordHi, wordLo } from '../../src/learn/content-hash.js';
import { finishHash, mixBlock } from '../../src/learn/hash.js';
import { contentHashes, hashRow, roleOf, RowRole, RowSplitter, type SplitSpec } from '../../src/learn/split.js';

/** The roles a fresh splitter gives one batch (a whole stream of one batch). */
function assignRoles(batch: RowBatch, targetIndex: number, spec: SplitSpec, roles: Uint8Array): void {
  new RowSplitter(spec).assign(batch, targetIndex, roles);
}

const SPEC: SplitSpec = { trainFraction: 0.7, validationFraction: 0.1, seed: 1 };

/** 24 rows over a number column (with -0, NaN and NULLs), a text column and a 0/1 target. */
function fixedBatch(): RowBatch {
  const n = 24;
  return {
    rowCount: n,
    columns: [
      {
        kind: 'number',
        values: Float64Array.from({ length: n }, (_, i) => (i === 3 ? -0 : i === 5 ? Number.NaN : i * 1.5 - 4)),
        nulls: Uint8Array.from({ length: n }, (_, i) => (i % 7 === 6 ? 1 : 0)),
      },
      { kind: 'text', values: Array.from({ length: n }, (_, i) => (i % 5 === 4 ? null : ['', 'é', 'city_7', '😀 two words'][i % 4]!)) },
      {
        kind: 'number',
        values: Float64Array.from({ length: n }, (_, i) => i % 2),
        nulls: Uint8Array.from({ length: n }, (_, i) => (i === 10 ? 1 : 0)),
      },
    ],
  };
}

describe('assignRoles', () => {
  it('gives a fixed batch without repeated rows pinned roles (EVALUATE finds the held-out rows again; the SQL content hash is held to the same values)', () => {
    const batch = fixedBatch();
    const roles = new Uint8Array(batch.rowCount);
    assignRoles(batch, 2, SPEC, roles);
    // Pinned when the content hash became one SQL computes too (md5 words, int64 and IEEE words); row 10 has a NULL target.
    expect(roles.join('')).toBe('101200000030020002200020');
    assignRoles(batch, 2, { trainFraction: 0.5, validationFraction: 0, seed: 42 }, roles);
    expect(roles.join('')).toBe('200000022232202200002200');
    expect([0, 3, 5, 6, 23].map((row) => hashRow(batch, row, 1))).toEqual([213148275, 3903627325, 2772847975, 712919268, 2792710446]);
  });

  it('hashes -0 like 0, so a row keeps its role whichever zero the database sends', () => {
    const batch = (zero: number): RowBatch => ({
      rowCount: 1,
      columns: [{ kind: 'number', values: Float64Array.of(zero), nulls: Uint8Array.of(0) }],
    });
    expect(hashRow(batch(-0), 0, 9)).toBe(hashRow(batch(0), 0, 9));
  });

  it('property: agrees row by row with roleOf(hashRow, k), k counting the earlier rows of equal values, and skips NULL targets', () => {
    const cell = fc.record({
      number: fc.oneof(fc.double(), fc.constantFrom(0, -0, 1, Number.NaN, Number.POSITIVE_INFINITY)),
      text: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
      isNull: fc.boolean(),
    });
    // Few distinct cells, repeated: most rows have earlier copies.
    const cells = fc.array(cell, { minLength: 1, maxLength: 6 }).chain((pool) => fc.array(fc.constantFrom(...pool), { minLength: 1, maxLength: 60 }));
    fc.assert(
      fc.property(cells, fc.integer(), fc.integer({ min: 0, max: 1 }), (cells, seed, targetIndex) => {
        const n = cells.length;
        const columns: ColumnData[] = [
          {
            kind: 'number',
            // One spare slot: a batch may be shorter than its (reused) arrays.
            values: Float64Array.from([...cells.map((c) => c.number), 123]),
            nulls: Uint8Array.from([...cells.map((c) => (c.isNull ? 1 : 0)), 0]),
          },
          { kind: 'text', values: [...cells.map((c) => c.text), 'spare'] },
        ];
        const batch: RowBatch = { rowCount: n, columns };
        const spec: SplitSpec = { trainFraction: 0.6, validationFraction: 0.2, seed };
        const roles = new Uint8Array(n + 1).fill(9);
        assignRoles(batch, targetIndex, spec, roles);
        // Equal values by value, not by hash: -0 is 0, NaN is NaN, NULL is NULL whatever lies beneath.
        const seen = new Map<string, number>();
        for (let row = 0; row < n; row++) {
          const c = cells[row]!;
          const targetNull = targetIndex === 0 ? c.isNull : c.text === null;
          if (targetNull) {
            expect(roles[row]).toBe(RowRole.Skip);
            continue;
          }
          const key = JSON.stringify([c.isNull ? null : String(Object.is(c.number, -0) ? 0 : c.number), c.text]);
          const k = seen.get(key) ?? 0;
          seen.set(key, k + 1);
          expect(roles[row]).toBe(roleOf(hashRow(batch, row, seed), spec, k));
        }
        expect(roles[n]).toBe(9);
      }),
      { numRuns: 200 },
    );
  });

  it('splits 20,000 rows close to the requested fractions', () => {
    const n = 20_000;
    const batch: RowBatch = {
      rowCount: n,
      columns: [{ kind: 'number', values: Float64Array.from({ length: n }, (_, i) => i), nulls: new Uint8Array(n) }],
    };
    const roles = new Uint8Array(n);
    assignRoles(batch, 0, SPEC, roles);
    const share = (role: number): number => roles.filter((r) => r === role).length / n;
    expect(share(RowRole.Holdout)).toBeCloseTo(0.3, 1);
    expect(share(RowRole.Validation)).toBeCloseTo(0.07, 1);
    expect(share(RowRole.Skip)).toBe(0);
  });
});

/** Rows drawn from a few distinct (number, text, 0/1 target) contents, `n` in all. */
function duplicatedRows(n: number, distinct: number, seed: number): { a: Float64Array; b: string[]; y: Float64Array } {
  const next = mulberry32(seed);
  const pool = Array.from({ length: distinct }, (_, i) => ({ a: Math.floor(next() * 90) + 18, b: ['married', 'single', 'divorced'][i % 3]!, y: i % 2 }));
  const a = new Float64Array(n);
  const b: string[] = [];
  const y = new Float64Array(n);
  for (let row = 0; row < n; row++) {
    // Skewed: the first contents are far more common than the last.
    const pick = pool[Math.floor(next() ** 2 * distinct)]!;
    a[row] = pick.a;
    b.push(pick.b);
    y[row] = pick.y;
  }
  return { a, b, y };
}

/** Rows `from..to` of `rows`, taken in `order`, as one batch (target last). */
function batchOf(rows: ReturnType<typeof duplicatedRows>, order: Uint32Array, from: number, to: number): RowBatch {
  const n = to - from;
  const pick = (i: number): number => order[from + i]!;
  return {
    rowCount: n,
    columns: [
      { kind: 'number', values: Float64Array.from({ length: n }, (_, i) => rows.a[pick(i)]!), nulls: new Uint8Array(n) },
      { kind: 'text', values: Array.from({ length: n }, (_, i) => rows.b[pick(i)]!) },
      { kind: 'number', values: Float64Array.from({ length: n }, (_, i) => rows.y[pick(i)]!), nulls: new Uint8Array(n) },
    ],
  };
}

/** Roles of the rows streamed in `order`, in batches of `batchRows`, indexed by original row. */
function streamRoles(rows: ReturnType<typeof duplicatedRows>, order: Uint32Array, spec: SplitSpec, batchRows: number): Uint8Array {
  const splitter = new RowSplitter(spec);
  const roles = new Uint8Array(order.length);
  const scratch = new Uint8Array(batchRows);
  for (let from = 0; from < order.length; from += batchRows) {
    const to = Math.min(order.length, from + batchRows);
    splitter.assign(batchOf(rows, order, from, to), 2, scratch);
    for (let i = from; i < to; i++) roles[order[i]!] = scratch[i - from]!;
  }
  return roles;
}

/** Per content (its values as a key): how many of its rows got each role. */
function rolesPerContent(rows: ReturnType<typeof duplicatedRows>, roles: Uint8Array): Map<string, number[]> {
  const tally = new Map<string, number[]>();
  for (let row = 0; row < roles.length; row++) {
    const key = `${rows.a[row]}|${rows.b[row]}|${rows.y[row]}`;
    const counts = tally.get(key) ?? [0, 0, 0, 0];
    counts[roles[row]!]! += 1;
    tally.set(key, counts);
  }
  return tally;
}

const identity = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);

describe('the split of duplicated rows', () => {
  it('property: with few distinct rows, the held-out and validation fractions are the requested ones within 1%', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20_000, max: 40_000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 50, max: 90 }),
        fc.integer(),
        (n, distinct, trainPercent, seed) => {
          const rows = duplicatedRows(n, distinct, seed);
          const spec: SplitSpec = { trainFraction: trainPercent / 100, validationFraction: 0.1, seed };
          const roles = streamRoles(rows, identity(n), spec, 4096);
          const count = (role: number): number => roles.filter((r) => r === role).length;
          const [train, validation, holdout] = [count(RowRole.Train), count(RowRole.Validation), count(RowRole.Holdout)];
          expect(train + validation + holdout).toBe(n);
          expect(Math.abs(holdout / n - (1 - spec.trainFraction!))).toBeLessThanOrEqual(0.01);
          expect(Math.abs(validation / (train + validation) - 0.1)).toBeLessThanOrEqual(0.01);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('property: each content gets the same roles, as many of each, whatever the row order and batch size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer(),
        fc.integer(),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 700 }),
        (n, distinct, seed, shuffleSeed, batchA, batchB) => {
          const rows = duplicatedRows(n, distinct, seed);
          const spec: SplitSpec = { trainFraction: 0.7, validationFraction: 0.1, seed };
          const natural = rolesPerContent(rows, streamRoles(rows, identity(n), spec, batchA));
          const shuffled = rolesPerContent(rows, streamRoles(rows, permutation(n, shuffleSeed), spec, batchB));
          expect(shuffled).toEqual(natural);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is a function of the seed: the same seed gives the same roles, another seed others', () => {
    const rows = duplicatedRows(20_000, 10, 3);
    const spec: SplitSpec = { trainFraction: 0.7, validationFraction: 0.1, seed: 11 };
    const first = streamRoles(rows, identity(20_000), spec, 4096);
    expect(streamRoles(rows, identity(20_000), spec, 1000)).toEqual(first);
    expect(streamRoles(rows, identity(20_000), { ...spec, seed: 12 }, 4096)).not.toEqual(first);
  });

  it('holds out each content at the requested fraction, where a hash of the content alone would hold it all out or none of it', () => {
    const n = 20_000;
    const rows = duplicatedRows(n, 3, 5);
    const spec: SplitSpec = { trainFraction: 0.7, validationFraction: 0, seed: 1 };
    for (const [key, counts] of rolesPerContent(rows, streamRoles(rows, identity(n), spec, 4096))) {
      const copies = counts.reduce((sum, c) => sum + c, 0);
      expect(Math.abs(counts[RowRole.Holdout]! - 0.3 * copies), key).toBeLessThanOrEqual(2);
    }
  });
});

describe('contentHashes', () => {
  it('gives hashRow as the first half of each row key, into a given array or the scratch one', () => {
    const batch = fixedBatch();
    const into = new Int32Array(2 * batch.rowCount);
    contentHashes(batch, 7, into);
    expect(Array.from(contentHashes(batch, 7).subarray(0, into.length))).toEqual(Array.from(into));
    for (let row = 0; row < batch.rowCount; row++) {
      expect(into[2 * row]! >>> 0).toBe(hashRow(batch, row, 7));
      expect(into[2 * row + 1]).not.toBe(into[2 * row]);
    }
  });

  it('property: number columns hash to the words content-hash.ts defines (int32s, int64s, -0, NaN, infinities, fractions, NULLs), as its primitives fold them', () => {
    // The loop over number cells is written out for speed: held here to the definition, cell by cell.
    const TWO_63 = 2 ** 63;
    const number = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.integer({ min: -(2 ** 53), max: 2 ** 53 }),
      fc.constantFrom(0, -0, Number.NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), TWO_63, -TWO_63, TWO_63 - 1024, 2 ** 64, 0.5, -1.5),
    );
    const column = (n: number) => fc.record({ values: fc.array(number, { minLength: n, maxLength: n }), nulls: fc.array(fc.boolean(), { minLength: n, maxLength: n }) });
    const batch = fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(fc.constant(n), fc.array(column(n), { minLength: 1, maxLength: 4 })));
    fc.assert(
      fc.property(batch, fc.integer(), ([n, columns], seed) => {
        const data: ColumnData[] = columns.map((c) => ({ kind: 'number', values: Float64Array.from(c.values), nulls: Uint8Array.from(c.nulls, (b) => (b ? 1 : 0)) }));
        const hashes = contentHashes({ rowCount: n, columns: data }, seed, new Int32Array(2 * n));
        const keySeed = seed ^ 0x5bd1e995;
        for (let row = 0; row < n; row++) {
          let h = seed;
          let key = keySeed;
          for (const c of columns) {
            if (c.nulls[row]) {
              h = (Math.imul(h, ROW_PRIME) + NULL_VALUE) | 0;
              key = mixBlock(mixBlock(key, 0x6e756c6c), 0x7ff80000);
              continue;
            }
            numberWords(c.values[row]!);
            h = (Math.imul(h, ROW_PRIME) + numberValue(wordLo, wordHi)) | 0;
            key = mixBlock(mixBlock(key, wordLo), wordHi);
          }
          expect(hashes[2 * row]! >>> 0).toBe(mix(h >>> 0));
          expect(hashes[2 * row + 1]).toBe(finishHash(key, 2 * columns.length) | 0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('OccurrenceCounter', () => {
  it('counts each 64-bit key apart, keys that share their low half included, across growth', () => {
    const counter = new OccurrenceCounter(16);
    const expected = new Map<string, number>();
    const next = mulberry32(9);
    for (let i = 0; i < 50_000; i++) {
      // 300 low halves shared by several high halves each: the table must compare both.
      const lo = Math.floor(next() * 300) * 0x9e3779b1;
      const hi = Math.floor(next() * 50);
      const key = `${lo | 0}:${hi}`;
      const before = expected.get(key) ?? 0;
      expect(counter.next(lo, hi)).toBe(before);
      expected.set(key, before + 1);
    }
    expect(counter.distinct).toBe(expected.size);
    expect(counter.byteLength).toBeLessThanOrEqual(expected.size * 32);
  });
});

describe('OccurrenceCounter growth', () => {
  it('keeps every count when many keys share home slots and overflow the spill region', () => {
    const counter = new OccurrenceCounter(16);
    // 2,000 keys with only 8 distinct low halves: runs far longer than any spill region.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2000; i++) expect(counter.next((i % 8) * 0x01000193, i)).toBe(round);
    }
    expect(counter.distinct).toBe(2000);
  });

  it('counts afresh after clear, at the size it had grown to, as a new counter would', () => {
    const counter = new OccurrenceCounter(16);
    for (let i = 0; i < 5000; i++) counter.next(Math.imul(i, 0x9e3779b1), i);
    const grown = counter.byteLength;
    for (let round = 0; round < 3; round++) {
      counter.clear();
      expect(counter.distinct).toBe(0);
      // Keys of the last set and new ones: each is counted from 0 again.
      for (let i = 2500; i < 7500; i++) expect(counter.next(Math.imul(i, 0x9e3779b1), i)).toBe(0);
      for (let i = 2500; i < 7500; i += 7) expect(counter.next(Math.imul(i, 0x9e3779b1), i)).toBe(1);
      expect(counter.distinct).toBe(5000);
    }
    expect(counter.byteLength).toBeGreaterThanOrEqual(grown);
  });

  it('gives its memory back on release', () => {
    const counter = new OccurrenceCounter();
    for (let i = 0; i < 100_000; i++) counter.next(Math.imul(i, 0x9e3779b1), i);
    expect(counter.byteLength).toBeGreaterThan(100_000 * 12);
    counter.release();
    expect(counter.byteLength).toBe(0);
  });
});
