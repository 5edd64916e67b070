import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHORT_BYTES, TextInterner } from '../../adapters/text-intern.js';

/** Values back to back in one buffer, as COPY delivers fields, with their [start, size). */
function packed(values: readonly Uint8Array[]): { buffer: Buffer; fields: [number, number][] } {
  const fields: [number, number][] = [];
  let at = 3; // not at offset 0, as inside a COPY chunk
  for (const v of values) {
    fields.push([at, v.length]);
    at += v.length;
  }
  const buffer = Buffer.alloc(at + 5, 0xee);
  for (let i = 0; i < values.length; i++) buffer.set(values[i]!, fields[i]![0]);
  return { buffer, fields };
}

describe('TextInterner', () => {
  it('decodes every field exactly as Buffer.toString does, repeated or not, valid UTF-8 or not', () => {
    // A small byte alphabet makes repeats, prefixes and equal-length near misses common.
    const bytes = fc.uint8Array({ minLength: 0, maxLength: SHORT_BYTES + 4 }).map((a) => a.map((b) => [0x61, 0x62, 0x00, 0xc3, 0xa9, 0xff][b % 6]!));
    fc.assert(
      fc.property(fc.array(bytes, { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 5 }), (values, repeats) => {
        const all = Array.from({ length: repeats }, () => values).flat();
        const { buffer, fields } = packed(all);
        const interner = new TextInterner();
        const codeOf = new Map<string, number>();
        for (const [start, size] of fields) {
          const text = interner.decode(buffer, start, size);
          expect(text).toBe(buffer.toString('utf8', start, start + size));
          // A held value's code gives back the very string, and the same code every time its bytes come again.
          const code = interner.code;
          if (size > SHORT_BYTES) expect(code).toBe(-1);
          if (code >= 0) {
            expect(interner.dictionary[code]).toBe(text);
            const key = buffer.toString('latin1', start, start + size);
            expect(codeOf.get(key) ?? code).toBe(code);
            codeOf.set(key, code);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('stays exact past its capacity and after a column of unique values makes it stop looking', () => {
    const values = Array.from({ length: 150_000 }, (_, i) => Buffer.from(i % 3 === 0 ? `c${i % 6000}` : `id-${i}`));
    const { buffer, fields } = packed(values);
    const interner = new TextInterner();
    const codes: number[] = [];
    const decoded = fields.map(([start, size]) => {
      const text = interner.decode(buffer, start, size);
      codes.push(interner.code);
      return text;
    });
    expect(decoded).toEqual(values.map((v) => v.toString('utf8')));
    // Held values keep their codes; the rest (past the table's room, or once it stopped looking) have none.
    expect(codes.every((code, i) => code < 0 || interner.dictionary[code] === decoded[i])).toBe(true);
    expect(codes.filter((code) => code < 0).length).toBeGreaterThan(0);
    expect(new Set(interner.dictionary).size).toBe(interner.dictionary.length);
  });
});
