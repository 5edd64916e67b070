import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RowBatch } from '../../src/data.js';
import { rowsWithRoles } from '../../src/engine/encode-examples.js';

/** A batch of one number column (with NULLs) and one text column, and a role per row. */
const batchWithRoles = fc
  .array(fc.record({ number: fc.option(fc.double({ noNaN: true }), { nil: null }), text: fc.option(fc.string(), { nil: null }), role: fc.integer({ min: 0, max: 3 }) }), {
    minLength: 1,
    maxLength: 40,
  })
  .map((rows) => {
    const batch: RowBatch = {
      rowCount: rows.length,
      columns: [
        { kind: 'number', values: Float64Array.from(rows, (r) => r.number ?? 0), nulls: Uint8Array.from(rows, (r) => (r.number === null ? 1 : 0)) },
        { kind: 'text', values: rows.map((r) => r.text) },
      ],
    };
    return { rows, batch, roles: Uint8Array.from(rows, (r) => r.role) };
  });

/** The rows of a batch as plain values, for comparing. */
function plainRows(batch: RowBatch, roles: Uint8Array): unknown[] {
  const [numbers, texts] = batch.columns;
  return Array.from({ length: batch.rowCount }, (_, row) => [
    numbers!.kind === 'number' && numbers!.nulls[row] ? null : numbers!.values[row],
    texts!.values[row],
    roles[row],
  ]);
}

describe('rowsWithRoles', () => {
  it('keeps exactly the rows whose role is kept, in order, batch after batch', () => {
    fc.assert(
      fc.property(fc.array(batchWithRoles, { minLength: 1, maxLength: 5 }), fc.uint8Array({ minLength: 4, maxLength: 4, min: 0, max: 1 }), (batches, keep) => {
        const expected = batches.flatMap(({ batch, roles }) => plainRows(batch, roles).filter((_, row) => keep[roles[row]!] === 1));
        // Each gathered batch is read before the next is asked for: the scratch columns are reused.
        const got: unknown[] = [];
        for (const { batch, roles } of rowsWithRoles(batches, keep)) got.push(...plainRows(batch, roles));
        expect(got).toEqual(expected);
      }),
    );
  });

  it('passes a batch kept whole through as it is, and skips a batch with nothing kept', () => {
    const whole = { batch: { rowCount: 2, columns: [{ kind: 'text' as const, values: ['a', 'b'] }] }, roles: Uint8Array.of(0, 1) };
    const none = { batch: { rowCount: 1, columns: [{ kind: 'text' as const, values: ['c'] }] }, roles: Uint8Array.of(2) };
    const out = [...rowsWithRoles([whole, none], Uint8Array.of(1, 1, 0, 1))];
    expect(out).toHaveLength(1);
    expect(out[0]!.batch).toBe(whole.batch);
  });
});
