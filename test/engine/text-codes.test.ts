/**
 * The row cache's text codes (TextColumnData.codes) change no result: a stream's batches
 * replayed from the row cache, which come with each text row's dictionary code, give
 * the same split hashes and the same profile as the very same strings without codes,
 * whatever the values (repeats, NULLs, empty and non-ASCII text, lone surrogates), the
 * batch sizes and the dictionary's overflow into plain blocks part way.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Column, RowBatch } from '../../src/data.js';
import { CacheDir, RowCache } from '../../src/engine/cache.js';
import { FeatureEncoder } from '../../src/learn/encode.js';
import { inferLabel } from '../../src/learn/label.js';
import { DEFAULT_OPTIONS } from '../../src/learn/options.js';
import { Profiler } from '../../src/learn/profile.js';
import { buildRecipe } from '../../src/learn/recipe.js';
import { createSparseVector } from '../../src/learn/types.js';
import { contentHashes } from '../../src/learn/split.js';

const COLUMNS: Column[] = [
  { name: 't', type: 'text', dbType: 'TEXT' },
  { name: 'n', type: 'double', dbType: 'DOUBLE' },
  { name: 'u', type: 'text', dbType: 'TEXT' },
];

let dir: CacheDir;
beforeEach(() => {
  dir = new CacheDir();
});
afterEach(() => {
  dir.dispose();
});

/** Texts drawn from a small pool (so they repeat), with NULLs; the pool has what UTF-8 must survive. */
const text = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 6, arbitrary: fc.constantFrom('', 'a', 'city_1', 'city_2', 'é', '日本', '😀 two words', '\ud800', 'x'.repeat(40)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 6 }) },
);

/** The batches as plain strings: what the hashes and the profile of the same rows without codes are computed from. */
function plain(batch: RowBatch): RowBatch {
  return { rowCount: batch.rowCount, columns: batch.columns.map((data) => (data.kind === 'text' ? { kind: 'text', values: [...data.values] } : data)) };
}

describe('the row cache’s text codes', () => {
  it('give the same split hashes and profile as the strings they stand for', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, fc.double({ min: -1e6, max: 1e6, noNaN: true }), text), { minLength: 2, maxLength: 300 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer(),
        (rows, batchRows, seed) => {
          const cache = new RowCache(dir.file(`rows-${Math.random()}.bin`), COLUMNS);
          try {
            for (let start = 0; start < rows.length; start += batchRows) {
              const part = rows.slice(start, start + batchRows);
              cache.append({
                rowCount: part.length,
                columns: [
                  { kind: 'text', values: part.map((row) => row[0]) },
                  // The target: the row's number, and its position, so that it has two values at least.
                  { kind: 'number', values: Float64Array.from(part, (row, i) => (start + i) % 2 === 0 ? row[1] : start + i), nulls: new Uint8Array(part.length) },
                  { kind: 'text', values: part.map((row) => row[2]) },
                ],
              });
            }
            const replayed = [...cache.batches()];
            expect(replayed.some((batch) => batch.columns[0]!.kind === 'text' && batch.columns[0]!.codes !== undefined)).toBe(true);
            const coded = new Profiler(COLUMNS);
            const strings = new Profiler(COLUMNS);
            for (const batch of replayed) {
              expect([...contentHashes(batch, seed, new Int32Array(2 * batch.rowCount))]).toEqual([...contentHashes(plain(batch), seed, new Int32Array(2 * batch.rowCount))]);
              coded.add(batch);
              strings.add(plain(batch));
            }
            const profile = coded.finish();
            expect(profile).toEqual(strings.finish());
            // And the encoding: the recipe's writers (one-hot, hashed or text features, whatever the profile chose) give each row the same features.
            const label = inferLabel(profile.columns[1]!, DEFAULT_OPTIONS);
            const encoder = new FeatureEncoder(buildRecipe(profile, label, null, DEFAULT_OPTIONS), COLUMNS);
            const vector = createSparseVector(16);
            // One batch encoding at a time: the encoder fills the same one for every batch.
            const rowsOf = (batch: RowBatch): number[][] => {
              const encoding = encoder.encodeBatch(batch);
              return Array.from({ length: batch.rowCount }, (_, row) => {
                encoding.row(row, vector);
                return [...vector.indices.subarray(0, vector.nnz), ...vector.values.subarray(0, vector.nnz)];
              });
            };
            for (const batch of replayed) expect(rowsOf(batch)).toEqual(rowsOf(plain(batch)));
          } finally {
            cache.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('written with a producer’s codes, make the same cache file as the strings alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, fc.boolean()), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        (rows, batchRows, codedBatches) => {
          // The producer's dictionary, appended to as values come; `twin` rows of a value get a second code of their own.
          const dictionary: string[] = [];
          const codeOf = new Map<string, number>();
          const twinOf = new Map<string, number>();
          const codedPath = dir.file(`coded-${Math.random()}.bin`);
          const plainPath = dir.file(`plain-${Math.random()}.bin`);
          const withCodes = new RowCache(codedPath, [COLUMNS[0]!]);
          const without = new RowCache(plainPath, [COLUMNS[0]!]);
          try {
            for (let start = 0, b = 0; start < rows.length; start += batchRows, b++) {
              const part = rows.slice(start, start + batchRows);
              const values = part.map((row) => row[0]);
              const codes = Int32Array.from(part, ([value, twin]) => {
                if (value === null) return -1;
                const table = twin ? twinOf : codeOf;
                let code = table.get(value);
                if (code === undefined) {
                  code = dictionary.length;
                  dictionary.push(value);
                  table.set(value, code);
                }
                return code;
              });
              const coded = codedBatches[b % codedBatches.length]!;
              withCodes.append({ rowCount: part.length, columns: [coded ? { kind: 'text', values, codes, dictionary } : { kind: 'text', values: [...values] }] });
              without.append({ rowCount: part.length, columns: [{ kind: 'text', values: [...values] }] });
            }
            expect(readFileSync(codedPath).equals(readFileSync(plainPath))).toBe(true);
          } finally {
            withCodes.close();
            without.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('count like the strings through a dictionary that overflows into plain blocks', () => {
    // A few hundred repeated values; then, in a block still coded, more distinct ones than
    // the profile's cap (1,000); then more than the cache's dictionary holds (plain blocks).
    const cache = new RowCache(dir.file('rows.bin'), [COLUMNS[0]!]);
    const batches: RowBatch[] = [];
    let k = 0;
    for (const [size, distinctFrom] of [[4096, Infinity], [8192, 100], [70_000, 0], [4096, Infinity]] as const) {
      const values = Array.from({ length: size }, (_, i) => (++k % 11 === 0 ? null : i >= distinctFrom ? `distinct ${k}` : `city_${k % 300}`));
      batches.push({ rowCount: size, columns: [{ kind: 'text', values }] });
    }
    try {
      for (const batch of batches) cache.append(batch);
      const coded = new Profiler([COLUMNS[0]!]);
      const strings = new Profiler([COLUMNS[0]!]);
      const replayed = [...cache.batches()];
      expect(replayed.map((batch) => batch.columns[0]!.kind === 'text' && batch.columns[0]!.codes !== undefined)).toEqual([true, true, false, false]);
      for (const batch of replayed) {
        expect([...contentHashes(batch, 7, new Int32Array(2 * batch.rowCount))]).toEqual([...contentHashes(plain(batch), 7, new Int32Array(2 * batch.rowCount))]);
        coded.add(batch);
        strings.add(plain(batch));
      }
      const profile = coded.finish();
      expect(profile).toEqual(strings.finish());
      expect(profile.columns[0]!.distinctOverflow).toBe(true);
    } finally {
      cache.close();
    }
  });
});
