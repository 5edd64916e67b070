import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnData, RowBatch } from '../../src/data.js';
import { assignRoles, hashRow, roleOf, RowRole, type SplitSpec } from '../../src/learn/split.js';

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
  it('gives a fixed batch the same roles as every earlier release (EVALUATE finds the held-out rows again)', () => {
    const batch = fixedBatch();
    const roles = new Uint8Array(batch.rowCount);
    assignRoles(batch, 2, SPEC, roles);
    // Pinned from the row-by-row implementation; row 10 has a NULL target.
    expect(roles.join('')).toBe('000020020030002020022000');
    assignRoles(batch, 2, { trainFraction: 0.5, validationFraction: 0, seed: 42 }, roles);
    expect(roles.join('')).toBe('000200000030220022000220');
    expect([0, 3, 5, 6, 23].map((row) => hashRow(batch, row, 1))).toEqual([1402810469, 2939182203, 2436011311, 1829394959, 955409261]);
  });

  it('hashes -0 like 0, so a row keeps its role whichever zero the database sends', () => {
    const batch = (zero: number): RowBatch => ({
      rowCount: 1,
      columns: [{ kind: 'number', values: Float64Array.of(zero), nulls: Uint8Array.of(0) }],
    });
    expect(hashRow(batch(-0), 0, 9)).toBe(hashRow(batch(0), 0, 9));
  });

  it('property: agrees row by row with roleOf(hashRow), and skips NULL targets', () => {
    const cell = fc.record({
      number: fc.oneof(fc.double(), fc.constantFrom(0, -0, 1, Number.NaN, Number.POSITIVE_INFINITY)),
      text: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
      isNull: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 60 }), fc.integer(), fc.integer({ min: 0, max: 1 }), (cells, seed, targetIndex) => {
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
        for (let row = 0; row < n; row++) {
          const targetNull = targetIndex === 0 ? cells[row]!.isNull : cells[row]!.text === null;
          expect(roles[row]).toBe(targetNull ? RowRole.Skip : roleOf(hashRow(batch, row, seed), spec));
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
