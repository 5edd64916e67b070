/**
 * The feature hash of new models is one SQL can reproduce: h32(key) = the first 32 bits
 * of md5 over the key's UTF-8, and every hashed feature kind writes slot
 * `denseSize + (h32(key) & mask)` for the key recipe-format.ts spells. Each expectation
 * here builds the key string itself and hashes it with node:crypto, independently of the
 * learner's in-place md5.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Column, ColumnData, ColumnType, RowBatch } from '../../src/data.js';
import { crossNumberText, FeatureEncoder } from '../../src/learn/encode.js';
import { hashString } from '../../src/learn/hash.js';
import { inferLabel } from '../../src/learn/label.js';
import { h32, Md5Message } from '../../src/learn/md5.js';
import { DEFAULT_OPTIONS } from '../../src/learn/options.js';
import { Profiler } from '../../src/learn/profile.js';
import { buildRecipe } from '../../src/learn/recipe.js';
import type { Recipe } from '../../src/learn/recipe-format.js';
import { isPunctuation, isWhitespace } from '../../src/learn/tokenize-text.js';
import { createSparseVector } from '../../src/learn/types.js';
import type { Transform, TransformArg } from '../../src/sql/ast.js';

/** The reference: md5 of the UTF-8 as Node encodes it (a lone surrogate becomes U+FFFD, as TextEncoder does). */
const md5h32 = (key: string): number => parseInt(createHash('md5').update(key, 'utf8').digest('hex').slice(0, 8), 16);

/** Any UTF-16 string, lone surrogates included. */
const anyUtf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 80 }).map((codes) => String.fromCharCode(...codes));
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 }), anyUtf16);

describe('h32', () => {
  it('is the first 32 bits of md5 over UTF-8, big-endian, for any string (astral characters, lone surrogates, long keys)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(h32(text)).toBe(md5h32(text));
      }),
      { numRuns: 1000 },
    );
    for (const text of ['', 'a', '\ud83d\ude00', '\ud83d', '\ude00x', 'x'.repeat(55), 'x'.repeat(56), 'é'.repeat(5000)]) {
      expect(h32(text), JSON.stringify(text.slice(0, 10))).toBe(md5h32(text));
    }
    // md5('') = d41d8cd98f00b204e9800998ecf8427e
    expect(h32('')).toBe(0xd41d8cd9);
  });

  it('hashes a key assembled from pieces as the whole key, and a shortened key as its beginning', () => {
    fc.assert(
      fc.property(fc.array(anyText, { maxLength: 5 }), fc.nat({ max: 1_000_000 }), (pieces, number) => {
        const key = new Md5Message();
        for (const piece of pieces) key.appendText(piece);
        const start = key.length;
        key.appendNatural(number);
        key.appendAscii(124);
        const bytes = new TextEncoder().encode(pieces.join(''));
        key.appendBytes(bytes, 0, bytes.length);
        const whole = `${pieces.join('')}${number}|${pieces.join('')}`;
        expect(key.h32()).toBe(md5h32(whole));
        key.length = start;
        expect(key.h32()).toBe(md5h32(pieces.join('')));
      }),
      { numRuns: 300 },
    );
  });
});

describe('crossNumberText', () => {
  it('writes integers in decimal without exponent or fraction', () => {
    expect(crossNumberText(0)).toBe('0');
    expect(crossNumberText(-0)).toBe('0');
    expect(crossNumberText(1)).toBe('1');
    expect(crossNumberText(-42)).toBe('-42');
    expect(crossNumberText(1_700_006_400_000)).toBe('1700006400000');
    expect(crossNumberText(2 ** 60)).toBe('1152921504606846976');
    expect(crossNumberText(1e21)).toBe('1000000000000000000000');
    expect(crossNumberText(-1e22)).toBe('-10000000000000000000000');
  });
});

// ---- the slot of every hashed feature kind ----

type Cell = number | string | null;
const col = (name: string, type: ColumnType): Column => ({ name, type, dbType: type });
const pos = { line: 1, column: 1, offset: 0 };
const c = (name: string): TransformArg => ({ kind: 'column', name: { value: name, quoted: false, position: pos } });
const num = (value: number): TransformArg => ({ kind: 'number', value, text: String(value) });
const tr = (name: string, ...args: TransformArg[]): Transform => ({ name, args, position: pos });
const arg = (t: Transform): TransformArg => ({ kind: 'transform', transform: t });

const DAY = 86_400_000;
const COLUMNS = [col('free', 'text'), col('cat', 'text'), col('n', 'double'), col('b', 'boolean'), col('i', 'integer'), col('d', 'date'), col('y', 'integer')];
const WORDS = ['Alpha', 'beta,', 'GAMMA!', 'δέλτα', '😀x', 'e-f', '«g»'];
const TRAINING: Cell[][] = Array.from({ length: 400 }, (_, k) => [
  k % 9 === 0 ? null : Array.from({ length: 3 + (k % 5) }, (_, w) => WORDS[(k * 3 + w * 5) % WORDS.length]).join(' '),
  k % 13 === 0 ? null : `City ${k % 200}`,
  k % 7 === 0 ? null : k * 0.5 - 40,
  k % 2,
  k % 11 === 0 ? null : (k % 17) - 8,
  k % 5 === 0 ? null : 19_000 * DAY + (k % 40) * DAY,
  k % 2,
]);

function toBatch(rows: readonly (readonly Cell[])[]): RowBatch {
  return {
    rowCount: rows.length,
    columns: COLUMNS.map((column, j): ColumnData => {
      const values = rows.map((r) => r[j]!);
      if (column.type === 'text') return { kind: 'text', values: values as (string | null)[] };
      return {
        kind: 'number',
        values: Float64Array.from(values as (number | null)[], (v) => v ?? 0),
        nulls: Uint8Array.from(values, (v) => (v === null ? 1 : 0)),
      };
    }),
  };
}

function recipeWith(transforms: Transform[]): Recipe {
  const profiler = new Profiler(COLUMNS);
  profiler.add(toBatch(TRAINING));
  const profile = profiler.finish();
  const label = inferLabel(profile.columns.find((p) => p.name === 'y')!, DEFAULT_OPTIONS);
  return buildRecipe(profile, label, transforms, DEFAULT_OPTIONS);
}

/** The [index, value] pairs the encoder writes for one row. */
function encodedRow(recipe: Recipe, row: readonly Cell[]): [number, number][] {
  const out = createSparseVector(4);
  new FeatureEncoder(recipe, COLUMNS).encodeRow(toBatch([row]), 0, out);
  return Array.from({ length: out.nnz }, (_, i) => [out.indices[i]!, out.values[i]!]);
}

const slotOf = (recipe: Recipe, key: string): number => recipe.denseSize + (md5h32(key) & (2 ** recipe.hashBits - 1));

/** The words of a text as the spec says: split on whitespace, each word's edge punctuation stripped under no_punct. */
function words(text: string, lowercase: boolean, noPunct: boolean): string[] {
  const cased = lowercase ? text.toLowerCase() : text;
  const result: string[] = [];
  let word = '';
  const flush = (): void => {
    let start = 0;
    let end = word.length;
    if (noPunct) {
      while (start < end && isPunctuation(word.charCodeAt(start))) start++;
      while (end > start && isPunctuation(word.charCodeAt(end - 1))) end--;
    }
    if (end > start) result.push(word.slice(start, end));
    word = '';
  };
  for (const ch of cased) {
    if (isWhitespace(ch.charCodeAt(0))) flush();
    else word += ch;
  }
  flush();
  return result;
}

const row = (free: Cell, cat: Cell, n: Cell, b: Cell, i: Cell, d: Cell): Cell[] => [free, cat, n, b, i, d, 0];
const others = (keep: string): Transform => tr('exclude', ...['free', 'cat', 'n', 'b', 'i', 'd'].filter((name) => name !== keep).map(c));
const sorted = (pairs: [number, number][]): [number, number][] => [...pairs].sort((a, b) => a[0] - b[0] || a[1] - b[1]);

describe('FeatureEncoder: md5 keys', () => {
  it('hashes a category as prefix + value', () => {
    const recipe = recipeWith([others('cat')]);
    const feature = recipe.features.find((f) => f.kind === 'hashed_category')!;
    expect(recipe.hash).toBe('md5');
    expect(feature.hashPrefix).toMatch(/^c\d+\|\d+\|$/);
    fc.assert(
      fc.property(anyText, (value) => {
        expect(encodedRow(recipe, row(null, value, null, null, null, null)).at(-1)).toEqual([slotOf(recipe, feature.hashPrefix! + value), 1]);
      }),
      { numRuns: 300 },
    );
  });

  it('hashes a lowercase(no_punct()) category as prefix + the cleaned value', () => {
    const recipe = recipeWith([tr('lowercase', arg(tr('no_punct', c('cat')))), others('cat')]);
    const feature = recipe.features.find((f) => f.kind === 'hashed_category')!;
    expect(encodedRow(recipe, row(null, '  «City»  NÚMERO! 7 ', null, null, null, null)).at(-1)).toEqual([
      slotOf(recipe, `${feature.hashPrefix!}city número 7`),
      1,
    ]);
  });

  for (const n of [1, 2, 3]) {
    it(`hashes ngram(…, ${n}) terms as prefix + the words of each n-gram joined by a space, each weighted 1/√terms`, () => {
      const recipe = recipeWith([tr('ngram', arg(tr('lowercase', arg(tr('no_punct', c('free'))))), num(n)), others('free')]);
      const prefix = recipe.features.find((f) => f.kind === 'text')!.hashPrefix!;
      expect(prefix).toMatch(/^t\d+\|\d+\|$/);
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.constantFrom(...WORDS), anyText), { maxLength: 12 }), fc.constantFrom(' ', '\t', ' \u00a0 '), (parts, space) => {
          const text = parts.join(space);
          const w = words(text, true, true);
          const keys: string[] = [];
          for (let first = 0; first < w.length; first++) {
            for (let k = 1; k <= n && first + k <= w.length; k++) keys.push(prefix + w.slice(first, first + k).join(' '));
          }
          const expected = keys.map((key): [number, number] => [slotOf(recipe, key), 1 / Math.sqrt(keys.length)]);
          expect(sorted(encodedRow(recipe, row(text, null, null, null, null, null)))).toEqual(sorted(expected));
        }),
        { numRuns: 200 },
      );
    });
  }

  it('hashes osb(…, 3) terms as prefix + word, and prefix + w_i + " " + d + " " + w_{i+d} for d < 3', () => {
    const recipe = recipeWith([tr('osb', c('free'), num(3)), others('free')]);
    const prefix = recipe.features.find((f) => f.kind === 'text')!.hashPrefix!;
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...WORDS), anyText), { maxLength: 12 }), (parts) => {
        const text = parts.join(' ');
        const w = words(text, false, false);
        const keys: string[] = [];
        for (let i = 0; i < w.length; i++) {
          keys.push(prefix + w[i]!);
          for (let d = 1; d < 3 && i + d < w.length; d++) keys.push(`${prefix}${w[i]!} ${d} ${w[i + d]!}`);
        }
        const expected = keys.map((key): [number, number] => [slotOf(recipe, key), 1 / Math.sqrt(keys.length)]);
        expect(sorted(encodedRow(recipe, row(text, null, null, null, null, null)))).toEqual(sorted(expected));
      }),
      { numRuns: 200 },
    );
  });

  it('hashes a crossing as prefix + L + "|" + R: n for NULL, t + cleaned text, b + bin, v + integer', () => {
    const recipe = recipeWith([
      tr('cartesian', arg(tr('lowercase', c('cat'))), arg(tr('quantile_bin', c('n'), num(4)))),
      tr('cartesian', c('b'), c('i')),
      tr('cartesian', c('d'), c('cat')),
    ]);
    const crosses = recipe.features.filter((f) => f.kind === 'cartesian');
    expect(crosses).toHaveLength(3);
    const [catBins, boolInt, dateCat] = crosses.map((f) => f.hashPrefix!);
    expect(new Set([catBins, boolInt, dateCat]).size).toBe(3);
    const cuts = (crosses[0]!.right.cuts ?? []) as number[];
    const bin = (v: number): number => cuts.filter((cut) => cut <= v).length;
    const cases: [Cell[], string, string, string][] = [
      [row(null, 'City 7', 3.25, 1, -8, 19_000 * DAY), `tcity 7|b${bin(3.25)}`, 'v1|v-8', `v${19_000 * DAY}|tCity 7`],
      [row(null, null, null, null, null, null), 'n|n', 'n|n', 'n|n'],
      [row(null, '', -1e9, 0, 0, -DAY), `t|b${bin(-1e9)}`, 'v0|v0', `v-${DAY}|t`],
      [row(null, 'A|B', 1e9, null, 5, null), `ta|b|b${bin(1e9)}`, 'n|v5', 'n|tA|B'],
    ];
    for (const [values, left, middle, right] of cases) {
      const last3 = encodedRow(recipe, values).slice(-3);
      expect(last3).toEqual([
        [slotOf(recipe, catBins + left), 1],
        [slotOf(recipe, boolInt + middle), 1],
        [slotOf(recipe, dateCat + right), 1],
      ]);
    }
  });

  it('leaves recipes with nothing hashed without a hash field, and names each hashed feature apart', () => {
    const plain = recipeWith([tr('exclude', c('free'), c('cat'))]);
    expect(plain.hashBits).toBe(0);
    expect('hash' in plain).toBe(false);
    const all = recipeWith([tr('ngram', c('free'), num(2)), tr('cartesian', c('b'), c('i'))]);
    const prefixes = all.features.flatMap((f) => (f.kind === 'text' || f.kind === 'hashed_category' || f.kind === 'cartesian' ? [f.hashPrefix!] : []));
    expect(prefixes).toHaveLength(3);
    expect(new Set(prefixes).size).toBe(3);
    for (const prefix of prefixes) expect(prefix).toMatch(/^[ctx]\d+\|\d+\|$/);
    for (const f of all.features) if (f.kind !== 'text' && f.kind !== 'hashed_category' && f.kind !== 'cartesian') expect('hashPrefix' in f).toBe(false);
  });

  it('hashes with MurmurHash3, as before, a recipe stored without the hash field', () => {
    const recipe = recipeWith([others('cat')]);
    const stored = JSON.parse(JSON.stringify(recipe)) as { hash?: string; features: { hashPrefix?: string }[] };
    delete stored.hash;
    for (const f of stored.features) delete f.hashPrefix;
    const murmur = stored as unknown as Recipe;
    const seed = hashString('cat\u0000category', recipe.hashSeed);
    const legacy = recipe.denseSize + (hashString('City 42', seed) & (2 ** recipe.hashBits - 1));
    expect(encodedRow(murmur, row(null, 'City 42', null, null, null, null)).at(-1)).toEqual([legacy, 1]);
    expect(legacy).not.toBe(encodedRow(recipe, row(null, 'City 42', null, null, null, null)).at(-1)![0]);
  });
});
