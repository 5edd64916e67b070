import { describe, expect, it } from 'vitest';
import type { Column, ColumnData, ColumnType } from '../../src/data.js';
import { compareNumericKeys, inferLabel, LabelEncoder, labelKey, labelValue } from '../../src/learn/label.js';
import type { LabelSpec } from '../../src/learn/label.js';
import { DEFAULT_OPTIONS } from '../../src/learn/options.js';
import type { ModelOptions } from '../../src/learn/options.js';
import { Profiler } from '../../src/learn/profile.js';
import type { ColumnProfile } from '../../src/learn/profile.js';
import { errorOf } from '../helpers/errors.js';

function column(type: ColumnType, name = 'y'): Column {
  return { name, type, dbType: type.toUpperCase() };
}

function data(type: ColumnType, values: readonly (number | string | null)[]): ColumnData {
  if (type === 'text' || type === 'other') return { kind: 'text', values: values as (string | null)[] };
  return {
    kind: 'number',
    values: Float64Array.from(values as (number | null)[], (v) => v ?? 0),
    nulls: Uint8Array.from(values, (v) => (v === null ? 1 : 0)),
  };
}

function profile(type: ColumnType, values: readonly (number | string | null)[]): ColumnProfile {
  const profiler = new Profiler([column(type)]);
  profiler.add({ rowCount: values.length, columns: [data(type, values)] });
  return profiler.finish().columns[0]!;
}

function options(overrides: Partial<ModelOptions> = {}): ModelOptions {
  return { ...DEFAULT_OPTIONS, ...overrides };
}

function infer(type: ColumnType, values: readonly (number | string | null)[], overrides: Partial<ModelOptions> = {}): LabelSpec {
  return inferLabel(profile(type, values), options(overrides));
}

describe('inferLabel: task', () => {
  it('makes 0/1 integers binary with 1 positive', () => {
    const spec = infer('integer', [0, 1, 1, 0, 0, null]);
    expect(spec.task).toBe('binary');
    expect(spec.reason).toBe('two distinct values: 1, 0');
    expect(spec.positive).toBe('1');
    expect(spec.negative).toBe('0');
    expect(spec.classes).toEqual(['0', '1']);
    expect(spec.counts).toEqual([3, 2]);
  });

  it("makes 'yes'/'no' binary with yes positive even when yes is more frequent", () => {
    const spec = infer('text', ['yes', 'no', 'yes', 'yes']);
    expect(spec.task).toBe('binary');
    expect(spec.positive).toBe('yes');
    expect(spec.positiveReason).toBe('the label reads as yes');
    expect(spec.classes).toEqual(['no', 'yes']);
    expect(spec.counts).toEqual([1, 3]);
  });

  it('makes booleans binary with true positive', () => {
    const spec = infer('boolean', [1, 0, 0]);
    expect(spec.task).toBe('binary');
    expect(spec.classes).toEqual(['false', 'true']);
    expect(spec.positive).toBe('true');
  });

  it('makes 21 distinct integers a regression', () => {
    const spec = infer('integer', Array.from({ length: 21 }, (_, i) => i));
    expect(spec.task).toBe('regression');
    expect(spec.reason).toBe('numeric target with 21 distinct values (more than 20)');
    expect(spec.mean).toBe(10);
    // population variance of 0..20 = (21² - 1) / 12 = 36.666…
    expect(spec.std).toBeCloseTo(Math.sqrt(440 / 12), 12);
    expect(spec.classes).toEqual([]);
  });

  it('makes 20 distinct integers multiclass, classes in numeric order', () => {
    const spec = infer('integer', Array.from({ length: 20 }, (_, i) => 20 - i));
    expect(spec.task).toBe('multiclass');
    expect(spec.reason).toBe('20 distinct integer values (20 or fewer)');
    expect(spec.classes.slice(0, 3)).toEqual(['1', '2', '3']);
    expect(spec.classes[19]).toBe('20');
  });

  it('makes a numeric target with fractions a regression even with three values', () => {
    const spec = infer('double', [0.5, 1.5, 2.5]);
    expect(spec.task).toBe('regression');
    expect(spec.reason).toBe('numeric target with non-integer values');
  });

  it('makes three text labels multiclass, sorted by code unit', () => {
    const spec = infer('text', ['setosa', 'Virginica', 'versicolor', 'setosa']);
    expect(spec.task).toBe('multiclass');
    expect(spec.reason).toBe('3 distinct text labels');
    expect(spec.classes).toEqual(['Virginica', 'setosa', 'versicolor']);
    expect(spec.counts).toEqual([1, 2, 1]);
  });

  it('lets the type option win over inference', () => {
    const spec = infer('integer', [1, 2, 3, 1], { type: 'regression' });
    expect(spec.task).toBe('regression');
    expect(spec.reason).toBe('type = regression was given');
    expect(infer('integer', [0, 1], { type: 'multiclass' }).task).toBe('multiclass');
  });
});

describe('inferLabel: positive label', () => {
  it('takes the positive option, matched exactly, case-insensitively or numerically', () => {
    expect(infer('text', ['yes', 'no'], { positive: 'no' }).positive).toBe('no');
    expect(infer('text', ['Good', 'Bad'], { positive: 'bad' }).positive).toBe('Bad');
    expect(infer('integer', [1, 2], { positive: '2.0' }).positive).toBe('2');
  });

  it('prefers true, 1, yes, y, t in any case', () => {
    expect(infer('text', ['N', 'Y', 'N']).positive).toBe('Y');
    expect(infer('text', ['F', 'T']).positive).toBe('T');
    expect(infer('text', ['False', 'TRUE']).positive).toBe('TRUE');
  });

  it('otherwise takes the less frequent label', () => {
    const spec = infer('text', ['<=50K', '<=50K', '>50K']);
    expect(spec.positive).toBe('>50K');
    expect(spec.positiveReason).toBe('the less frequent label');
    expect(spec.classes).toEqual(['<=50K', '>50K']);
    expect(spec.counts).toEqual([2, 1]);
  });

  it('breaks a tie by taking the later label in sort order', () => {
    expect(infer('text', ['cat', 'dog', 'dog', 'cat']).positive).toBe('dog');
    expect(infer('integer', [10, 9]).positive).toBe('10');
  });
});

describe('inferLabel: errors', () => {
  it('rejects a target with no non-NULL values', () => {
    const error = errorOf(() => infer('text', [null, null]));
    expect(error.code).toBe('bad_target');
    expect(error.message).toBe('target column y has no non-NULL values');
  });

  it('rejects a single value', () => {
    const error = errorOf(() => infer('text', ['no', 'no', null]));
    expect(error.code).toBe('bad_target');
    expect(error.message).toBe("target column y has only one value 'no': a model needs at least two");
    expect(errorOf(() => infer('integer', [3, 3], { type: 'binary' })).message).toBe(
      "target column y has only one value '3': a model needs at least two",
    );
  });

  it('rejects a positive label that is not a value', () => {
    const error = errorOf(() => infer('text', ['yes', 'no'], { positive: 'maybe' }));
    expect(error.code).toBe('bad_target');
    expect(error.message).toBe("positive label 'maybe' is not a value of target column y (values: no, yes)");
  });

  it('rejects positive for a model that is not binary', () => {
    const error = errorOf(() => infer('text', ['a', 'b', 'c'], { positive: 'a' }));
    expect(error.code).toBe('bad_option');
    expect(error.message).toBe(
      'option positive applies only to binary models, but target column y makes a multiclass model (3 distinct text labels)',
    );
  });

  it('rejects type = regression on a text column', () => {
    const error = errorOf(() => infer('text', ['1', '2'], { type: 'regression' }));
    expect(error.code).toBe('bad_target');
    expect(error.message).toBe('type regression needs a numeric target, but target column y is text');
  });

  it('rejects type = binary with more than two values', () => {
    expect(errorOf(() => infer('text', ['a', 'b', 'c'], { type: 'binary' })).message).toBe(
      "target column y has 3 distinct values but type binary needs exactly two (predict an expression such as y = 'x' instead)",
    );
  });

  it('rejects more than 1000 classes', () => {
    const labels = Array.from({ length: 1001 }, (_, i) => `c${i}`);
    const error = errorOf(() => infer('text', labels));
    expect(error.code).toBe('bad_target');
    expect(error.message).toBe('target column y has more than 1000 distinct values, too many classes for a multiclass model');
    expect(infer('text', labels.slice(0, 1000)).classes).toHaveLength(1000);
    expect(errorOf(() => infer('integer', Array.from({ length: 1001 }, (_, i) => i), { type: 'multiclass' })).message).toBe(
      'target column y has more than 1000 distinct values, too many classes for a multiclass model (use type = regression)',
    );
  });
});

describe('labelKey', () => {
  it('gives the canonical text of numbers, booleans, dates and text, and null for NULL', () => {
    expect(labelKey(column('double'), data('double', [1.0]), 0)).toBe('1');
    expect(labelKey(column('boolean'), data('boolean', [1]), 0)).toBe('true');
    expect(labelKey(column('date'), data('date', [Date.UTC(2024, 4, 6)]), 0)).toBe('2024-05-06');
    expect(labelKey(column('text'), data('text', ['x', null]), 0)).toBe('x');
    expect(labelKey(column('text'), data('text', ['x', null]), 1)).toBeNull();
    expect(labelKey(column('double'), data('double', [Number.NaN]), 0)).toBeNull();
  });
});

describe('LabelEncoder', () => {
  it('encodes binary targets as 0/1 and unseen or NULL values as NaN', () => {
    const spec = infer('text', ['yes', 'no']);
    const encoder = new LabelEncoder(spec, column('text'));
    const values = data('text', ['yes', 'no', 'maybe', null]);
    expect([0, 1, 2, 3].map((row) => encoder.encode(values, row))).toEqual([1, 0, Number.NaN, Number.NaN]);
    expect(encoder.label(1)).toBe('yes');
  });

  it('matches numeric labels whatever the numeric type of the evaluation column', () => {
    const spec = infer('integer', [1, 2, 3]);
    const asDouble = new LabelEncoder(spec, column('double'));
    expect([0, 1, 2, 3].map((row) => asDouble.encode(data('double', [3.0, 1, 2.5, null]), row))).toEqual([2, 0, Number.NaN, Number.NaN]);
    // A text column holding the same labels still matches by canonical text.
    const asText = new LabelEncoder(spec, column('text'));
    expect(asText.encode(data('text', ['2']), 0)).toBe(1);
  });

  it('encodes boolean targets from 0/1 values', () => {
    const encoder = new LabelEncoder(infer('boolean', [1, 0]), column('boolean'));
    expect(encoder.encode(data('boolean', [1]), 0)).toBe(1);
    expect(encoder.encode(data('boolean', [0]), 0)).toBe(0);
  });

  it('standardizes a regression target and decodes it back', () => {
    // mean 4, population std √((4 + 4 + 4 + 4) / 4) = 2
    const spec = infer('double', [2, 6, 2, 6], { type: 'regression' });
    expect(spec.mean).toBe(4);
    expect(spec.std).toBe(2);
    const encoder = new LabelEncoder(spec, column('double'));
    expect(encoder.encode(data('double', [7]), 0)).toBe(1.5);
    expect(encoder.encode(data('double', [null]), 0)).toBeNaN();
    expect(encoder.decodeValue(1.5)).toBe(7);
  });

  it('keeps two BIGINT labels near 2^63 apart by their exact text, in numeric order, and encodes rows by it', () => {
    const high = '9223372036854775807';
    const low = '9223372036854775806';
    // Both are the same double; only the exact text tells them apart.
    const target: ColumnData = {
      kind: 'number',
      values: Float64Array.of(Number(high), Number(low), Number(high), Number(low), 5),
      nulls: new Uint8Array(5),
      exact: [high, low, high, low, undefined],
    };
    const profiler = new Profiler([column('bigint')]);
    // Equal counts: the later label in numeric order is positive, so classes are [low, high].
    profiler.add({ rowCount: 4, columns: [target] });
    const spec = inferLabel(profiler.finish().columns[0]!, options());
    expect(spec.task).toBe('binary');
    expect(spec.classes).toEqual([low, high]);
    expect(labelValue(spec, 1)).toBe(high);
    const encoder = new LabelEncoder(spec, column('bigint'));
    expect([0, 1, 2, 3, 4].map((row) => encoder.encode(target, row))).toEqual([1, 0, 1, 0, Number.NaN]);
    expect(labelKey(column('bigint'), target, 1)).toBe(low);
  });

  it('finds 16-digit BIGINT labels below 2^53 and long double labels by number, as before', () => {
    const ids = infer('bigint', [1234567890123456, 1234567890123457]);
    expect(new LabelEncoder(ids, column('bigint')).encode(data('bigint', [1234567890123457]), 0)).toBe(1);
    expect(labelValue(ids, 1)).toBe(1234567890123457);
    const doubles = infer('double', [0.1 + 0.2, 0.5], { type: 'binary' });
    expect(new LabelEncoder(doubles, column('double')).encode(data('double', [0.1 + 0.2]), 0)).not.toBeNaN();
    expect(labelValue(doubles, doubles.classes.indexOf('0.30000000000000004'))).toBe(0.1 + 0.2);
  });

  it('orders numeric labels exactly where their doubles tie', () => {
    expect(compareNumericKeys('9223372036854775806', '9223372036854775807')).toBeLessThan(0);
    expect(compareNumericKeys('-12345678901234567890.12', '-12345678901234567890.1')).toBeLessThan(0);
    expect(compareNumericKeys('2', '10')).toBeLessThan(0);
    expect(compareNumericKeys('7', '7')).toBe(0);
  });

  it('refuses a regression target whose values overflow a double, naming it', () => {
    const error = errorOf(() => infer('double', [1e308, -1e308, 1, 2.5], { type: 'regression' }));
    expect(error.code).toBe('bad_target');
    expect(error.message).toMatch(/^target column y has values too large to learn from/);
  });

  it('returns predicted labels as the target type', () => {
    expect(labelValue(infer('integer', [0, 1]), 1)).toBe(1);
    expect(labelValue(infer('boolean', [0, 1]), 0)).toBe(false);
    expect(labelValue(infer('text', ['a', 'b', 'c']), 2)).toBe('c');
    expect(labelValue(infer('text', ['a', 'b', 'c']), 3)).toBeNull();
  });
});
