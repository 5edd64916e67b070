import { describe, expect, it } from 'vitest';
import type { Column, ColumnData, ColumnType, RowBatch } from '../../src/data.js';
import { inferLabel } from '../../src/learn/label.js';
import { DEFAULT_OPTIONS } from '../../src/learn/options.js';
import type { ModelOptions } from '../../src/learn/options.js';
import { Profiler, quantileCuts } from '../../src/learn/profile.js';
import type { Profile } from '../../src/learn/profile.js';
import { buildRecipe } from '../../src/learn/recipe.js';
import { describeRecipe, featureName } from '../../src/learn/recipe-describe.js';
import type { FeatureSpec, Recipe } from '../../src/learn/recipe-format.js';
import type { Transform, TransformArg } from '../../src/sql/ast.js';
import { parseScript } from '../../src/sql/index.js';
import { errorOf } from '../helpers/errors.js';

type Cell = number | string | null;

function numbers(values: readonly Cell[]): ColumnData {
  return {
    kind: 'number',
    values: Float64Array.from(values as (number | null)[], (v) => v ?? 0),
    nulls: Uint8Array.from(values, (v) => (v === null ? 1 : 0)),
  };
}

function toBatch(columns: readonly Column[], rows: readonly (readonly Cell[])[]): RowBatch {
  return {
    rowCount: rows.length,
    columns: columns.map((c, j) => {
      const values = rows.map((r) => r[j]!);
      return c.type === 'text' || c.type === 'other' ? { kind: 'text', values: values as (string | null)[] } : numbers(values);
    }),
  };
}

function profileOf(columns: readonly Column[], rows: readonly (readonly Cell[])[], batchRows = rows.length): Profile {
  const profiler = new Profiler(columns);
  for (let start = 0; start < rows.length; start += batchRows) profiler.add(toBatch(columns, rows.slice(start, start + batchRows)));
  return profiler.finish();
}

const col = (name: string, type: ColumnType): Column => ({ name, type, dbType: type });

/** Every column type sqlml knows, 300 rows, target y. */
const MIXED_COLUMNS: Column[] = [
  col('age', 'integer'),
  col('income', 'double'),
  col('job', 'text'),
  col('active', 'boolean'),
  col('signup', 'date'),
  col('seen', 'timestamp'),
  col('notes', 'text'),
  col('city', 'text'),
  col('code', 'text'),
  col('constant', 'text'),
  col('y', 'text'),
];

function mixedRow(i: number): Cell[] {
  return [
    i === 0 ? null : 20 + (i % 50),
    i * 1.5 + 0.25,
    i % 10 === 0 ? null : ['admin.', 'technician', 'services'][i % 3]!,
    i % 2,
    Date.UTC(2020 + (i % 3), i % 12, 1 + (i % 28)),
    Date.UTC(2021 + (i % 2), 0, 1, i % 24),
    `Note ${i}: the customer called about billing`,
    `city${i % 150}`,
    `id-${i}`,
    'same',
    i % 3 === 0 ? 'yes' : 'no',
  ];
}

const MIXED_ROWS = Array.from({ length: 300 }, (_, i) => mixedRow(i));

function options(overrides: Partial<ModelOptions> = {}): ModelOptions {
  return { ...DEFAULT_OPTIONS, ...overrides };
}

function recipeFor(profile: Profile, transforms: readonly Transform[] | null = null, overrides: Partial<ModelOptions> = {}, target = 'y'): Recipe {
  const targetProfile = profile.columns.find((c) => c.name === target)!;
  return buildRecipe(profile, inferLabel(targetProfile, options(overrides)), transforms, options(overrides));
}

// ---- transforms as the parser makes them ----
const at = (column: number) => ({ line: 1, column, offset: column - 1 });
function t(name: string, column: number, ...args: TransformArg[]): Transform {
  return { name, args, position: at(column) };
}
function c(name: string, quoted = false): TransformArg {
  return { kind: 'column', name: { value: name, quoted, position: at(1) } };
}
function n(value: number): TransformArg {
  return { kind: 'number', value, text: String(value) };
}
function nested(transform: Transform): TransformArg {
  return { kind: 'transform', transform };
}

function byColumn(recipe: Recipe, column: string): FeatureSpec[] {
  return recipe.features.filter((f) => f.kind !== 'cartesian' && f.column === column);
}

describe('buildRecipe: default features from column types', () => {
  const profile = profileOf(MIXED_COLUMNS, MIXED_ROWS);
  const recipe = recipeFor(profile);

  it('standardizes numbers and adds a NULL indicator only where there were NULLs', () => {
    const [age] = byColumn(recipe, 'age');
    expect(age).toMatchObject({ kind: 'number', offset: 0, size: 2, nullSlot: true, transform: null });
    const ages = MIXED_ROWS.slice(1).map((r) => r[0] as number);
    const mean = ages.reduce((a, b) => a + b, 0) / ages.length;
    expect(age!.kind === 'number' && age!.standardize.center).toBeCloseTo(mean, 10);
    expect(byColumn(recipe, 'income')[0]).toMatchObject({ kind: 'number', offset: 2, size: 1, nullSlot: false });
  });

  it('one-hot encodes a low-cardinality text column with sorted categories, other and NULL', () => {
    expect(byColumn(recipe, 'job')[0]).toMatchObject({
      kind: 'one_hot',
      offset: 3,
      size: 5,
      categories: ['admin.', 'services', 'technician'],
      nullSlot: true,
      normalize: { lowercase: false, noPunct: false },
    });
  });

  it('keeps booleans as 0/1', () => {
    expect(byColumn(recipe, 'active')[0]).toMatchObject({ kind: 'boolean', offset: 8, size: 1, nullSlot: false });
  });

  it('splits dates into year, month, day of week and days; timestamps also into hour', () => {
    expect(byColumn(recipe, 'signup')[0]).toMatchObject({
      kind: 'date',
      offset: 9,
      size: 21,
      hour: null,
      slots: { year: 0, month: 1, weekday: 13, hour: -1, days: 20, null: -1 },
    });
    const seen = byColumn(recipe, 'seen')[0]!;
    expect(seen).toMatchObject({ kind: 'date', offset: 30, size: 22, slots: { year: 0, month: 1, weekday: 13, hour: 20, days: 21, null: -1 } });
    // hours i % 24 for 300 rows: 12 runs of 0..23 (sum 276 each) and 0..11 (sum 66) → 3378 / 300
    expect(seen.kind === 'date' && seen.hour!.center).toBeCloseTo(11.26, 10);
  });

  it('hashes free text as lowercase word unigrams and bigrams, and many-valued categories as hashed one-hot', () => {
    expect(byColumn(recipe, 'notes')[0]).toMatchObject({ kind: 'text', mode: 'ngram', n: 2, size: 0, normalize: { lowercase: true, noPunct: true } });
    expect(byColumn(recipe, 'city')[0]).toMatchObject({ kind: 'hashed_category', size: 0, distinctValues: 150 });
  });

  it('drops identifiers, constants and the target, saying why', () => {
    expect(recipe.dropped).toEqual([
      { column: 'code', reason: 'looks like an identifier: nearly every value is distinct' },
      { column: 'constant', reason: 'a single value' },
    ]);
    expect(byColumn(recipe, 'y')).toEqual([]);
    expect(recipe.inputs.map((i) => i.name)).toEqual(['age', 'income', 'job', 'active', 'signup', 'seen', 'notes', 'city']);
  });

  it('sizes the space: dense features then 2^18 hashed buckets', () => {
    expect(recipe.denseSize).toBe(52);
    expect(recipe.hashBits).toBe(18);
    expect(recipe.dimension).toBe(52 + 2 ** 18);
    expect(recipe.outputs).toBe(1);
    expect(recipe.target).toBe('y');
  });

  it('names features for DESCRIBE', () => {
    expect([0, 1, 2, 3, 6, 7, 8].map((i) => featureName(recipe, i))).toEqual([
      'age',
      'age=<NULL>',
      'income',
      'job=admin.',
      'job=<other>',
      'job=<NULL>',
      'active',
    ]);
    expect([9, 10, 21, 22, 28, 29].map((i) => featureName(recipe, i))).toEqual([
      'signup.year',
      'signup.month=1',
      'signup.month=12',
      'signup.weekday=mon',
      'signup.weekday=sun',
      'signup.days',
    ]);
    expect(featureName(recipe, 50)).toBe('seen.hour');
    expect(featureName(recipe, 52 + 1234)).toBe('notes|city~hash');
  });

  it('describes each feature in one line', () => {
    const lines = describeRecipe(recipe);
    expect(lines[1]).toBe('income: standardized (mean 224.5, std 129.9)');
    expect(lines[2]).toBe('job: one-hot, 3 categories + other, NULL category');
    expect(lines[3]).toBe('active: 0/1');
    expect(lines[4]).toBe('signup: date parts (year, month, day of week, days since 1970)');
    expect(lines[5]).toBe('seen: timestamp parts (year, month, day of week, hour, days since 1970)');
    expect(lines[6]).toBe('notes: word n-grams up to 2, lowercased, edge punctuation removed, hashed, each weighted 1/√terms');
    expect(lines[7]).toBe('city: hashed one-hot (about 150 values) into 2^18 buckets');
    expect(lines[8]).toBe('code: not used (looks like an identifier: nearly every value is distinct)');
    expect(lines.at(-1)).toBe('52 dense features, hashed space 2^18, dimension 262196');
  });

  it('is deterministic: the same data gives the same JSON, whatever the batch size', () => {
    const again = recipeFor(profileOf(MIXED_COLUMNS, MIXED_ROWS, 7));
    expect(JSON.stringify(again)).toBe(JSON.stringify(recipe));
    expect(JSON.parse(JSON.stringify(recipe))).toEqual(recipe);
  });
});

describe('buildRecipe: heavy-tailed numbers are read on a log scale', () => {
  // 3,000 counts from 0 to 99, then two outliers: the middle 98% spans ~1e-7 of the range.
  const bulk = Array.from({ length: 3000 }, (_, i) => i % 100);
  const columns = [col('bytes', 'bigint'), col('flag', 'integer'), col('y', 'integer')];
  const rows: Cell[][] = bulk.map((v, i) => [v, i % 2000 === 0 ? 1 : 0, i % 2]);
  rows.push([1e9, 0, 0], [-5, 0, 1]);

  it('standardizes sign(x)·ln(1+|x|) by its mean and deviation over the sample, and says so', () => {
    const recipe = recipeFor(profileOf(columns, rows));
    const [bytes] = byColumn(recipe, 'bytes');
    const logs = rows.map((r) => r[0] as number).map((x) => (x < 0 ? -Math.log1p(-x) : Math.log1p(x)));
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const std = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length);
    expect(bytes).toMatchObject({ kind: 'number', log: true });
    const { center, scale } = (bytes as { standardize: { center: number; scale: number } }).standardize;
    expect(center).toBeCloseTo(mean, 9);
    expect(scale).toBeCloseTo(std, 9);
    expect(describeRecipe(recipe).join('\n')).toMatch(/bytes: heavy-tailed, read as sign\(x\)·ln\(1\+\|x\|\)/);
  });

  it('leaves a two-valued column, a column without the outliers and an explicit normalize() as they are', () => {
    const recipe = recipeFor(profileOf(columns, rows));
    // flag: a rare 1 among 0s, but a flag has two values.
    expect(byColumn(recipe, 'flag')[0]).not.toHaveProperty('log');
    const tame = profileOf(columns, rows.slice(0, 3000));
    expect(byColumn(recipeFor(tame), 'bytes')[0]).not.toHaveProperty('log');
    const explicit = recipeFor(profileOf(columns, rows), [t('normalize', 1, c('bytes'))]);
    expect(byColumn(explicit, 'bytes')[0]).not.toHaveProperty('log');
  });
});

describe('buildRecipe: hand-computed standardization and sizes', () => {
  const columns = [col('v', 'integer'), col('y', 'integer')];
  const profile = profileOf(columns, [[1, 0], [2, 1], [3, 0], [4, 1], [null, 0]]);

  it('centres on the mean and scales by the population standard deviation', () => {
    const recipe = recipeFor(profile);
    // mean (1+2+3+4)/4 = 2.5; variance (2.25+0.25+0.25+2.25)/4 = 1.25
    expect(recipe.features).toEqual([
      { kind: 'number', column: 'v', offset: 0, size: 2, transform: null, standardize: { center: 2.5, scale: Math.sqrt(1.25) }, nullSlot: true },
    ]);
    expect(recipe.hashBits).toBe(0);
    expect(recipe.dimension).toBe(2);
  });

  it('uses few hash bits for few hashed values and fewer to fit max_model_size', () => {
    const profile150 = profileOf(MIXED_COLUMNS, MIXED_ROWS);
    const onlyCity = recipeFor(profile150, [t('exclude', 1, c('notes'))]);
    // 150 values × 4 = 600 → 10 bits, floored at 12
    expect(onlyCity.hashBits).toBe(12);
    // free text asks for 2^18; 100KB allows (52 + 2^13) × 12 bytes = 98,928 bytes
    expect(recipeFor(profile150, null, { maxModelSize: 100 * 1024 }).hashBits).toBe(13);
  });

  it('refuses a max_model_size the model cannot fit in', () => {
    const letters = Array.from({ length: 260 }, (_, i) => [`w${i} x y z`, String.fromCharCode(65 + (i % 26))] as Cell[]);
    const p = profileOf([col('text', 'text'), col('y', 'text')], letters);
    const error = errorOf(() => recipeFor(p, null, { maxModelSize: 100 * 1024 }));
    expect(error.code).toBe('bad_option');
    // 26 classes × 2^12 buckets × 12 bytes
    expect(error.message).toBe(
      'option max_model_size 100KB is too small for this model, which needs 1.2 MB (4096 features × 26 outputs)',
    );
  });
});

describe('buildRecipe: RECIPE transforms', () => {
  const profile = profileOf(MIXED_COLUMNS, MIXED_ROWS);

  it('exclude drops a column', () => {
    const recipe = recipeFor(profile, [t('exclude', 9, c('income'), c('city'))]);
    expect(byColumn(recipe, 'income')).toEqual([]);
    expect(byColumn(recipe, 'city')).toEqual([]);
    expect(recipe.dropped.slice(0, 2)).toEqual([
      { column: 'income', reason: 'excluded by the recipe' },
      { column: 'city', reason: 'excluded by the recipe' },
    ]);
  });

  it('quantile_bin replaces the default with one-hot bins cut at the sample quantiles', () => {
    const recipe = recipeFor(profile, [t('quantile_bin', 9, c('income'), n(4))]);
    const features = byColumn(recipe, 'income');
    expect(features).toHaveLength(1);
    const cuts = quantileCuts(profile.columns[1]!, 4);
    // income = 1.5 i + 0.25 for i = 0..299: quartile positions 74.75, 149.5, 224.25
    expect(cuts).toEqual([1.5 * 74.75 + 0.25, 1.5 * 149.5 + 0.25, 1.5 * 224.25 + 0.25]);
    expect(features[0]).toMatchObject({ kind: 'quantile_bin', bins: 4, cuts, nullSlot: false, transform: 'quantile_bin(income, 4)' });
    const offset = features[0]!.offset;
    expect(featureName(recipe, offset)).toBe('income < 112.4');
    expect(featureName(recipe, offset + 1)).toBe('income in [112.4, 224.5)');
    expect(featureName(recipe, offset + 3)).toBe('income >= 336.6');
  });

  it('normalize standardizes and is named after the transform', () => {
    const recipe = recipeFor(profile, [t('normalize', 1, c('AGE'))]);
    const [age] = byColumn(recipe, 'age');
    expect(age).toMatchObject({ kind: 'number', transform: 'normalize(AGE)', nullSlot: true });
    expect(describeRecipe(recipe).find((l) => l.startsWith('age:'))).toMatch(/^age: standardized \(mean 44\.\d+, std 14\.\d+\), NULL indicator \[normalize\(AGE\)\]$/);
  });

  it('lowercase on a categorical column merges categories that differ in case', () => {
    const rows = [['Admin', 1], ['admin', 0], ['ADMIN', 1], ['Tech', 0]] as Cell[][];
    const p = profileOf([col('job', 'text'), col('y', 'integer')], rows);
    const recipe = recipeFor(p, [t('lowercase', 1, c('job'))]);
    expect(recipe.features[0]).toMatchObject({ kind: 'one_hot', categories: ['admin', 'tech'], normalize: { lowercase: true, noPunct: false } });
    const punct = recipeFor(p, [t('no_punct', 1, nested(t('lowercase', 10, c('job'))))]);
    expect(punct.features[0]).toMatchObject({ normalize: { lowercase: true, noPunct: true } });
  });

  it('ngram and osb over (cleaned) text set the term shape', () => {
    const recipe = recipeFor(profile, [t('ngram', 1, nested(t('lowercase', 7, c('notes'))), n(3)), t('osb', 30, c('notes'), n(4))]);
    const notes = byColumn(recipe, 'notes');
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatchObject({ kind: 'text', mode: 'ngram', n: 3, normalize: { lowercase: true, noPunct: false }, transform: 'ngram(lowercase(notes), 3)' });
    expect(notes[1]).toMatchObject({ kind: 'text', mode: 'osb', n: 4, normalize: { lowercase: false, noPunct: false } });
  });

  it('cartesian adds a hashed crossing and keeps both columns’ defaults', () => {
    const recipe = recipeFor(profile, [t('cartesian', 1, c('job'), nested(t('quantile_bin', 15, c('age'), n(3))))]);
    const cross = recipe.features.find((f) => f.kind === 'cartesian')!;
    expect(cross).toMatchObject({
      kind: 'cartesian',
      transform: 'cartesian(job, quantile_bin(age, 3))',
      left: { column: 'job', kind: 'text', cuts: null },
      right: { column: 'age', kind: 'bins', cuts: quantileCuts(profile.columns[0]!, 3) },
    });
    expect(byColumn(recipe, 'job')[0]!.kind).toBe('one_hot');
    expect(byColumn(recipe, 'age')[0]!.kind).toBe('number');
    expect(describeRecipe(recipe)).toContain('cartesian(job, quantile_bin(age, 3)): hashed crossing of job and quantile_bin(age, 3)');
    expect(featureName(recipe, recipe.denseSize)).toBe('notes|city|cartesian(job, quantile_bin(age, 3))~hash');
  });

  it('matches a quoted column exactly and an unquoted one in any case', () => {
    const p = profileOf([col('Age', 'integer'), col('age', 'integer'), col('y', 'integer')], [[1, 2, 0], [2, 3, 1], [3, 1, 0]]);
    const quoted = recipeFor(p, [t('quantile_bin', 1, c('Age', true), n(2))]);
    expect(quoted.features.find((f) => f.kind === 'quantile_bin')).toMatchObject({ column: 'Age' });
    const error = errorOf(() => recipeFor(p, [t('normalize', 5, c('AGE'))]));
    expect(error.message).toBe("column 'AGE' in normalize at line 1, column 5 matches several input columns (Age, age): quote it");
  });
});

describe('buildRecipe: RECIPE validation', () => {
  const profile = profileOf(MIXED_COLUMNS, MIXED_ROWS);
  function rejects(transforms: Transform[], message: string): void {
    const error = errorOf(() => recipeFor(profile, transforms));
    expect(error.code).toBe('bad_recipe');
    expect(error.message).toBe(message);
  }

  it('names an unknown transform, where it is, and the known ones', () => {
    rejects(
      [t('ngrams', 40, c('notes'), n(2))],
      "unknown transform 'ngrams' at line 1, column 40 (transforms: quantile_bin, normalize, ngram, osb, lowercase, no_punct, cartesian, exclude)",
    );
  });

  it('takes the position from the parsed statement', () => {
    const [statement] = parseScript('CREATE MODEL m FROM t PREDICT y\n  RECIPE (normalize(income), ngrams(notes, 2))');
    expect(statement!.kind).toBe('create_model');
    const transforms = statement!.kind === 'create_model' ? statement!.recipe : null;
    expect(errorOf(() => recipeFor(profile, transforms)).message).toMatch(/^unknown transform 'ngrams' at line 2, column 30 /);
  });

  it('checks arity', () => {
    rejects([t('quantile_bin', 3, c('age'))], 'quantile_bin at line 1, column 3 takes a numeric column and a number of bins from 2 to 1000, got 1 argument');
    rejects([t('normalize', 3, c('age'), c('income'))], 'normalize at line 1, column 3 takes a column, got 2 arguments');
    rejects([t('cartesian', 3, c('job'))], 'cartesian at line 1, column 3 takes two categorical inputs, got 1 argument');
    rejects([t('ngram', 3, c('notes'))], 'ngram at line 1, column 3 takes a text column and a n-gram length from 1 to 10, got 1 argument');
  });

  it('checks numeric arguments and their ranges', () => {
    rejects([t('quantile_bin', 3, c('age'), n(1))], 'quantile_bin at line 1, column 3 needs a whole number of bins from 2 to 1000, got 1');
    rejects([t('quantile_bin', 3, c('age'), n(1001))], 'quantile_bin at line 1, column 3 needs a whole number of bins from 2 to 1000, got 1001');
    rejects([t('ngram', 3, c('notes'), n(11))], 'ngram at line 1, column 3 needs a whole n-gram length from 1 to 10, got 11');
    rejects([t('osb', 3, c('notes'), n(1))], 'osb at line 1, column 3 needs a whole window from 2 to 10, got 1');
    rejects([t('quantile_bin', 3, c('age'), c('income'))], 'quantile_bin at line 1, column 3 needs a number of bins from 2 to 1000 as argument 2, got column income');
  });

  it('checks that columns exist and are not the target', () => {
    rejects(
      [t('quantile_bin', 40, c('agee'), n(10))],
      "column 'agee' in quantile_bin at line 1, column 40 is not in the input (columns: age, income, job, active, signup, seen, notes, city, code, constant, y)",
    );
    rejects([t('normalize', 2, c('y'))], 'normalize at line 1, column 2 uses the target column y, which cannot be a feature');
  });

  it('checks column types', () => {
    rejects([t('normalize', 2, c('job'))], 'normalize at line 1, column 2 needs a numeric column, but column job is text');
    rejects([t('quantile_bin', 2, c('notes'), n(4))], 'quantile_bin at line 1, column 2 needs a numeric column, but column notes is text');
    rejects([t('ngram', 2, c('age'), n(2))], 'ngram at line 1, column 2 needs a text column, but column age is integer');
    rejects([t('lowercase', 2, c('income'))], 'lowercase at line 1, column 2 needs a text column, but column income is double');
    rejects([t('cartesian', 2, c('job'), c('income'))], 'cartesian at line 1, column 2 needs categorical inputs, but column income is double (wrap it in quantile_bin)');
    rejects(
      [t('cartesian', 2, c('job'), nested(t('normalize', 20, c('age'))))],
      'cartesian at line 1, column 2 needs a categorical column, lowercase(), no_punct() or quantile_bin() as argument 2, got normalize(…)',
    );
    rejects([t('ngram', 2, nested(t('quantile_bin', 8, c('age'), n(2))), n(2))], 'ngram at line 1, column 2 needs a text column, lowercase() or no_punct() as argument 1, got quantile_bin(…)');
  });

  it('rejects a column both excluded and transformed', () => {
    rejects([t('exclude', 9, c('age')), t('quantile_bin', 21, c('age'), n(4))], 'column age is excluded at line 1, column 9 but also used by quantile_bin at line 1, column 21');
  });
});
