import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Column, ColumnData, ColumnType, RowBatch } from '../../src/data.js';
import { FeatureEncoder, MAX_ABS_VALUE } from '../../src/learn/encode.js';
import { inferLabel, LabelEncoder } from '../../src/learn/label.js';
import { DEFAULT_OPTIONS } from '../../src/learn/options.js';
import { Profiler } from '../../src/learn/profile.js';
import type { Profile } from '../../src/learn/profile.js';
import { buildRecipe } from '../../src/learn/recipe.js';
import type { Recipe } from '../../src/learn/recipe-format.js';
import { createSparseVector } from '../../src/learn/types.js';
import type { SparseVector } from '../../src/learn/types.js';
import type { Transform, TransformArg } from '../../src/sql/ast.js';
import { sharedDataFile } from '../helpers/shared-data.js';
import { errorOf } from '../helpers/errors.js';

type Cell = number | string | null;

const col = (name: string, type: ColumnType): Column => ({ name, type, dbType: type });

function toBatch(columns: readonly Column[], rows: readonly (readonly Cell[])[]): RowBatch {
  return {
    rowCount: rows.length,
    columns: columns.map((c, j): ColumnData => {
      const values = rows.map((r) => r[j]!);
      if (c.type === 'text' || c.type === 'other') return { kind: 'text', values: values as (string | null)[] };
      return {
        kind: 'number',
        values: Float64Array.from(values as (number | null)[], (v) => v ?? 0),
        nulls: Uint8Array.from(values, (v) => (v === null ? 1 : 0)),
      };
    }),
  };
}

function profileOf(columns: readonly Column[], rows: readonly (readonly Cell[])[]): Profile {
  const profiler = new Profiler(columns);
  profiler.add(toBatch(columns, rows));
  return profiler.finish();
}

function recipeOf(profile: Profile, target: string, transforms: Transform[] | null = null): Recipe {
  const label = inferLabel(profile.columns.find((c) => c.name === target)!, DEFAULT_OPTIONS);
  return buildRecipe(profile, label, transforms, DEFAULT_OPTIONS);
}

/** The row as [index, value] pairs, in the order the encoder wrote them. */
function encoded(encoder: FeatureEncoder, batch: RowBatch, row: number, out: SparseVector = createSparseVector(4)): [number, number][] {
  encoder.encodeRow(batch, row, out);
  return Array.from({ length: out.nnz }, (_, i) => [out.indices[i]!, out.values[i]!]);
}

const DAY = 86_400_000;

/**
 * v: mean 2.5, variance 1.25 → slots 0 (value), 1 (NULL)
 * job: categories a, b → slots 2 (a), 3 (b), 4 (other), 5 (NULL)
 * flag: slots 6 (true), 7 (NULL)
 * d: offset 8: year 8, months 9..20, weekdays 21..27, days 28, NULL 29
 */
const COLUMNS = [col('v', 'integer'), col('job', 'text'), col('flag', 'boolean'), col('d', 'date'), col('y', 'integer')];
const ROWS: Cell[][] = [
  [1, 'a', 1, Date.UTC(2024, 0, 1), 0],
  [2, 'b', 0, Date.UTC(2024, 0, 2), 1],
  [3, 'a', null, Date.UTC(2025, 0, 3), 0],
  [4, null, 1, Date.UTC(2025, 0, 4), 1],
  [null, 'b', 0, null, 0],
];

describe('FeatureEncoder: hand-computed rows', () => {
  const recipe = recipeOf(profileOf(COLUMNS, ROWS), 'y');
  const encoder = new FeatureEncoder(recipe, COLUMNS);
  const batch = toBatch(COLUMNS, ROWS);

  it('lays out 30 dense features and no hashed space', () => {
    expect(recipe.denseSize).toBe(30);
    expect(encoder.dimension).toBe(30);
    // number 1 + one-hot 1 + boolean 1 + date 4 (year, month, weekday, days)
    expect(encoder.maxNnz).toBe(7);
  });

  it('standardizes, one-hot encodes and splits the date of a full row', () => {
    // days since 1970: 19723, 19724, 20091, 20092 → mean 19907.5, variance (184.5² + 183.5²) / 2 = 33856.25
    const daysZ = (19723 - 19907.5) / Math.sqrt(33856.25);
    const row0 = encoded(encoder, batch, 0);
    expect(row0.map(([i]) => i)).toEqual([0, 2, 6, 8, 9, 21, 28]);
    // (1 - 2.5) / √1.25; job=a; flag; year (2024 - 2024.5) / 0.5; January; Monday; days
    const expected = [(1 - 2.5) / Math.sqrt(1.25), 1, 1, -1, 1, 1, daysZ];
    row0.forEach(([, v], i) => expect(v).toBeCloseTo(expected[i]!, 12));
  });

  it('skips zero values: false is no feature and a value at the mean is none', () => {
    // 2025-01-03 is a Friday: weekday slot 21 + 4
    expect(encoded(encoder, batch, 2).map(([i]) => i)).toEqual([0, 2, 7, 8, 9, 25, 28]);
    expect(encoded(encoder, batch, 1).map(([i]) => i)).toEqual([0, 3, 8, 9, 22, 28]);
  });

  it('encodes NULLs as their indicators', () => {
    expect(encoded(encoder, batch, 4)).toEqual([
      [1, 1],
      [3, 1],
      [29, 1],
    ]);
    expect(encoded(encoder, batch, 3).slice(0, 3)).toEqual([
      [0, (4 - 2.5) / Math.sqrt(1.25)],
      [5, 1],
      [6, 1],
    ]);
  });

  it('sends a category unseen at training to the other slot', () => {
    const unseen = toBatch(COLUMNS, [[2.5, 'zzz', 0, Date.UTC(2024, 0, 1), 0]]);
    expect(encoded(encoder, unseen, 0).slice(0, 1)).toEqual([[4, 1]]);
  });

  it('binds columns by name in any order and case, ignoring extra columns', () => {
    const shuffled = [col('EXTRA', 'text'), col('D', 'date'), col('Flag', 'boolean'), col('JOB', 'text'), col('v', 'integer')];
    const other = new FeatureEncoder(recipe, shuffled);
    const rows = ROWS.map((r) => ['ignored', r[3]!, r[2]!, r[1]!, r[0]!]);
    const reordered = toBatch(shuffled, rows);
    for (let row = 0; row < ROWS.length; row++) {
      expect(encoded(other, reordered, row)).toEqual(encoded(encoder, batch, row));
    }
  });

  it('names the missing columns and what the model uses', () => {
    const error = errorOf(() => new FeatureEncoder(recipe, [col('v', 'integer'), col('flag', 'boolean'), col('d', 'date')]));
    expect(error.code).toBe('bad_column');
    expect(error.message).toBe("column 'job' is missing from the input (the model uses: v, job, flag, d)");
    expect(errorOf(() => new FeatureEncoder(recipe, [col('job', 'text')])).message).toBe(
      "columns 'v', 'flag', 'd' are missing from the input (the model uses: v, job, flag, d)",
    );
  });

  it('rejects a numeric feature column that arrives as text or a date as a number', () => {
    const asText = [col('v', 'text'), col('job', 'text'), col('flag', 'boolean'), col('d', 'date')];
    expect(errorOf(() => new FeatureEncoder(recipe, asText)).message).toBe('column v is text in the input but the model reads it as integer');
    const dateAsNumber = [col('v', 'integer'), col('job', 'text'), col('flag', 'boolean'), col('d', 'bigint')];
    expect(errorOf(() => new FeatureEncoder(recipe, dateAsNumber)).message).toBe('column d is bigint in the input but the model reads it as date');
  });

  it('reads a categorical column that arrives as numbers by canonical text', () => {
    const zips = [col('zip', 'text'), col('y', 'integer')];
    const zipRecipe = recipeOf(profileOf(zips, [['1', 0], ['2', 1], ['1', 1]]), 'y');
    const asIntegers = new FeatureEncoder(zipRecipe, [col('zip', 'integer')]);
    expect(encoded(asIntegers, toBatch([col('zip', 'integer')], [[2]]), 0)).toEqual([[1, 1]]);
  });

  it('keeps out arrays that are large enough', () => {
    const out = createSparseVector(encoder.maxNnz);
    const indices = out.indices;
    for (let row = 0; row < ROWS.length; row++) encoder.encodeRow(batch, row, out);
    expect(out.indices).toBe(indices);
  });

  it('clips far outliers at prediction time to a finite value', () => {
    const [[index, value]] = encoded(encoder, toBatch(COLUMNS, [[1e300, 'a', 0, null, 0]]), 0);
    expect([index, value]).toEqual([0, MAX_ABS_VALUE]);
  });
});

describe('FeatureEncoder: hashed features', () => {
  const columns = [col('msg', 'text'), col('city', 'text'), col('y', 'text')];
  const rows: Cell[][] = Array.from({ length: 400 }, (_, i) => [
    i === 7 ? null : `Message number ${i} says hi`,
    `c${i % 200}`,
    i % 4 === 0 ? 'spam' : 'ham',
  ]);
  const recipe = recipeOf(profileOf(columns, rows), 'y');
  const encoder = new FeatureEncoder(recipe, columns);

  it('hashes a category as md5 of its prefixed key into the shared space, stably', () => {
    expect(recipe.denseSize).toBe(1);
    expect(recipe.hashBits).toBe(18);
    expect(recipe.hash).toBe('md5');
    const batch = toBatch(columns, [[null, 'c42', 'ham']]);
    const prefix = recipe.features.find((f) => f.kind === 'hashed_category')!.hashPrefix!;
    const h32 = parseInt(createHash('md5').update(`${prefix}c42`, 'utf8').digest('hex').slice(0, 8), 16);
    const index = 1 + (h32 & (2 ** 18 - 1));
    expect(encoded(encoder, batch, 0)).toEqual([
      [0, 1],
      [index, 1],
    ]);
    // The same (feature, value) maps to this index in every run and on every machine.
    expect(prefix).toBe(`c1|${recipe.hashSeed}|`);
    expect(index).toBe(250_083);
  });

  it('weights each of the n terms of a text value by 1/√n and keeps repeated terms', () => {
    const batch = toBatch(columns, [['Hi, hi HI!', 'c1', 'ham']]);
    const row = encoded(encoder, batch, 0);
    // words hi hi hi → 3 unigrams + 2 bigrams, then the city
    const text = row.slice(0, 5);
    expect(text.every(([, v]) => v === 1 / Math.sqrt(5))).toBe(true);
    expect(new Set(text.map(([i]) => i)).size).toBe(2);
    expect(row).toHaveLength(6);
  });

  it('grows the out arrays for a long text and keeps them for the next rows', () => {
    const long = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ');
    const out = createSparseVector(encoder.maxNnz);
    const batch = toBatch(columns, [[long, 'c1', 'ham'], ['short text here', 'c2', 'ham']]);
    encoder.encodeRow(batch, 0, out);
    expect(out.nnz).toBe(2000 + 1999 + 1);
    const grown = out.indices;
    encoder.encodeRow(batch, 1, out);
    expect(out.indices).toBe(grown);
    expect(out.nnz).toBe(3 + 2 + 1);
  });

  it('crosses two categories into one hashed feature that differs by pair', () => {
    const c = (name: string): TransformArg => ({ kind: 'column', name: { value: name, quoted: false, position: { line: 1, column: 1, offset: 0 } } });
    const cross: Transform = { name: 'cartesian', args: [c('city'), c('msg')], position: { line: 1, column: 1, offset: 0 } };
    const crossed = new FeatureEncoder(recipeOf(profileOf(columns, rows), 'y', [cross]), columns);
    const batch = toBatch(columns, [['a', 'c1', 'ham'], ['a', 'c2', 'ham'], ['a', 'c1', 'ham'], [null, 'c1', 'ham']]);
    const last = (row: number) => encoded(crossed, batch, row).at(-1)![0];
    expect(last(0)).toBe(last(2));
    expect(last(0)).not.toBe(last(1));
    expect(last(3)).not.toBe(last(0));
  });
});

describe('FeatureEncoder: property', () => {
  const columns = [
    col('n', 'double'),
    col('i', 'integer'),
    col('b', 'boolean'),
    col('d', 'date'),
    col('ts', 'timestamp'),
    col('cat', 'text'),
    col('free', 'text'),
    col('h', 'double'),
    col('y', 'integer'),
  ];
  const training: Cell[][] = Array.from({ length: 3000 }, (_, k) => [
    k % 7 === 0 ? null : k * 0.37 - 20,
    k % 11,
    k % 2,
    k % 13 === 0 ? null : Date.UTC(2020, 0, 1) + k * DAY,
    Date.UTC(2021, 5, 1) + k * 3_600_000 * 5,
    ['x', 'y', 'z', null][k % 4]!,
    `free text value ${k} with words`,
    // Heavy-tailed: values 0-49 and one 1e15.
    k === 5 ? 1e15 : k === 6 ? -1e3 : k % 50,
    k % 3,
  ]);
  const c = (name: string): TransformArg => ({ kind: 'column', name: { value: name, quoted: false, position: { line: 1, column: 1, offset: 0 } } });
  const num = (value: number): TransformArg => ({ kind: 'number', value, text: String(value) });
  const pos = { line: 1, column: 1, offset: 0 };
  const transforms: Transform[] = [
    { name: 'quantile_bin', args: [c('i'), num(4)], position: pos },
    { name: 'osb', args: [c('free'), num(3)], position: pos },
    { name: 'cartesian', args: [c('cat'), c('b')], position: pos },
  ];
  const recipe = recipeOf(profileOf(columns, training), 'y', transforms);
  const encoder = new FeatureEncoder(recipe, columns);

  // A feature's own center standardizes to exactly 0, which writes no feature at all.
  const centers = recipe.features.flatMap((f) => (f.kind === 'number' ? [f.standardize.center] : []));
  const anyNumber = fc.oneof(
    fc.double(),
    fc.constantFrom(...centers),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 8.64e15, -8.64e15, 1e308),
    fc.constant(null),
  );
  const anyText = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.constantFrom('x', 'y', '', '  ', '!!!'), fc.constant(null));
  const row = fc.tuple(anyNumber, anyNumber, anyNumber, anyNumber, anyNumber, anyText, anyText, anyNumber, fc.constant(0));

  it('reads the heavy-tailed column on a log scale: (sign(x)·ln(1+|x|) - center) / scale', () => {
    const h = recipe.features.find((f) => f.kind === 'number' && f.column === 'h');
    expect(h).toMatchObject({ kind: 'number', log: true });
    const { offset, standardize } = h as { offset: number; standardize: { center: number; scale: number } };
    const batch = toBatch(columns, [[null, null, null, null, null, null, null, 99, 0], [null, null, null, null, null, null, null, -99, 0]]);
    const value = (row: number): number | undefined => encoded(encoder, batch, row).find(([index]) => index === offset)?.[1];
    expect(value(0)).toBeCloseTo((Math.log1p(99) - standardize.center) / standardize.scale, 12);
    expect(value(1)).toBeCloseTo((-Math.log1p(99) - standardize.center) / standardize.scale, 12);
  });

  it('never writes NaN or ±Infinity, and every index is inside the dimension', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 20 }), (rows) => {
        const batch = toBatch(columns, rows as Cell[][]);
        const out = createSparseVector(4);
        for (let r = 0; r < batch.rowCount; r++) {
          encoder.encodeRow(batch, r, out);
          // A typed array drops writes past its end silently: nnz must stay within the arrays.
          expect(out.nnz).toBeLessThanOrEqual(out.indices.length);
          for (let k = 0; k < out.nnz; k++) {
            expect(Number.isFinite(out.values[k]!)).toBe(true);
            expect(out.indices[k]!).toBeLessThan(encoder.dimension);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  // Without text features the batch form gathers rows by copying slots; with them it interleaves writers.
  const noText = recipeOf(profileOf(columns, training), 'y', [
    { name: 'quantile_bin', args: [c('i'), num(4)], position: pos },
    { name: 'cartesian', args: [c('cat'), c('b')], position: pos },
    { name: 'exclude', args: [c('free')], position: pos },
  ]);
  for (const [name, withRecipe] of [
    ['with text features', recipe],
    ['without text features', noText],
  ] as const) {
    it(`encodes a batch column by column exactly as row by row (${name})`, () => {
      const byRows = new FeatureEncoder(withRecipe, columns);
      const byBatch = new FeatureEncoder(withRecipe, columns);
      fc.assert(
        fc.property(fc.array(fc.array(row, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3 }), (batches) => {
          const out = createSparseVector(4);
          for (const rows of batches) {
            const batch = toBatch(columns, rows as Cell[][]);
            const encoding = byBatch.encodeBatch(batch);
            for (let r = 0; r < batch.rowCount; r++) {
              encoding.row(r, out);
              const got = Array.from({ length: out.nnz }, (_, k) => [out.indices[k]!, out.values[k]!]);
              expect(got).toEqual(encoded(byRows, batch, r));
            }
          }
        }),
        { numRuns: 200 },
      );
    });
  }
});

/** A minimal RFC 4180 reader for the shared CSVs (quoted fields, doubled quotes). */
function readCsv(path: string): string[][] {
  const text = readFileSync(path, 'utf8');
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

const carFile = sharedDataFile('car_evaluation.csv');
const smsFile = sharedDataFile('sms_spam.csv');

describe('real data', () => {
  it.skipIf(carFile === null)('car evaluation: six one-hot features, four classes, six non-zeros per row', () => {
    const [header, ...rows] = readCsv(carFile!);
    expect(rows).toHaveLength(1728);
    const columns = header!.map((name) => col(name, 'text'));
    const profile = profileOf(columns, rows);
    const label = inferLabel(profile.columns.at(-1)!, DEFAULT_OPTIONS);
    expect(label.task).toBe('multiclass');
    expect(label.classes).toEqual(['acc', 'good', 'unacc', 'vgood']);
    expect(label.counts).toEqual([384, 69, 1210, 65]);
    const recipe = buildRecipe(profile, label, null, DEFAULT_OPTIONS);
    expect(recipe.features.map((f) => f.kind)).toEqual(Array(6).fill('one_hot'));
    // buying 4, maint 4, doors 4, persons 3, lug_boot 3, safety 3 categories, each + other
    expect(recipe.dimension).toBe(21 + 6);
    const encoder = new FeatureEncoder(recipe, columns);
    const labels = new LabelEncoder(label, columns.at(-1)!);
    const batch = toBatch(columns, rows);
    const out = createSparseVector(encoder.maxNnz);
    for (let r = 0; r < batch.rowCount; r++) {
      encoder.encodeRow(batch, r, out);
      expect(out.nnz).toBe(6);
      expect(Number.isInteger(labels.encode(batch.columns[6]!, r))).toBe(true);
    }
  });

  it.skipIf(smsFile === null)('SMS spam: free text hashed as words, spam the less frequent positive label', () => {
    const [header, ...rows] = readCsv(smsFile!);
    expect(rows).toHaveLength(5574);
    const columns = [col(header![0]!, 'text'), col(header![1]!, 'text')];
    const profile = profileOf(columns, rows);
    const label = inferLabel(profile.columns[0]!, DEFAULT_OPTIONS);
    expect(label).toMatchObject({ task: 'binary', positive: 'spam', negative: 'ham', counts: [4827, 747] });
    const recipe = buildRecipe(profile, label, null, DEFAULT_OPTIONS);
    expect(recipe.features).toMatchObject([{ kind: 'text', column: 'text', mode: 'ngram', n: 2 }]);
    const encoder = new FeatureEncoder(recipe, columns);
    const batch = toBatch(columns, rows);
    const out = createSparseVector(encoder.maxNnz);
    let withinTypical = 0;
    for (let r = 0; r < batch.rowCount; r++) {
      encoder.encodeRow(batch, r, out);
      let norm = 0;
      for (let k = 0; k < out.nnz; k++) norm += out.values[k]! ** 2;
      // unit-length term vectors (rows without words have none)
      if (out.nnz > 0) expect(norm).toBeCloseTo(1, 9);
      if (out.nnz <= encoder.maxNnz) withinTypical++;
    }
    expect(withinTypical / batch.rowCount).toBeGreaterThan(0.99);
  });
});
