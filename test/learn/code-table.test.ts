import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodeTable } from '../../src/learn/code-table.js';

describe('CodeTable', () => {
  it('keeps what it was told per code while its dictionary grows, and starts afresh for another dictionary or after clear()', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 }), (growths) => {
        const dictionary: string[] = [];
        const table = new CodeTable();
        const told = new Map<number, number>();
        for (const growth of growths) {
          for (let i = 0; i < growth; i++) dictionary.push(`v${dictionary.length}`);
          const entries = table.of(dictionary);
          expect(entries.length).toBeGreaterThanOrEqual(dictionary.length);
          for (let code = 0; code < dictionary.length; code++) expect(entries[code]).toBe(told.get(code) ?? -1);
          const code = dictionary.length - 1;
          entries[code] = code * 7;
          told.set(code, code * 7);
        }
        // Another stream's dictionary: its codes mean other values.
        const other = [...dictionary];
        expect(Array.from(table.of(other).subarray(0, other.length)).every((entry) => entry === -1)).toBe(true);
        table.of(other)[0] = 5;
        table.clear();
        expect(table.of(other)[0]).toBe(-1);
      }),
    );
  });
});
