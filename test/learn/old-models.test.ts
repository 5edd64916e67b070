/**
 * Models stored by an older sqlml keep loading and scoring the same. The fixture holds
 * three models (binary with text labels, multiclass with integer labels, regression)
 * and the predictions that commit 9e0d471's PREDICT made on 40 rows (NULLs, an unseen
 * category and values far outside the training range among them); fixtures/make-old-models.mts
 * made it from that commit's tree. Today's code must read the same bytes and give the
 * same labels and the same scores, to the last bit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNumberType, valueAt, type Column, type ColumnData, type RowBatch, type Value } from '../../src/data.js';
import { predictionColumns, Scorer } from '../../src/engine/predict.js';
import { deserializeModel } from '../../src/learn/model-format.js';

interface OldModel {
  readonly name: string;
  readonly model: string;
  readonly outputs: readonly string[];
  readonly predictions: readonly (readonly Value[])[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/old-models.json', import.meta.url), 'utf8')) as {
  readonly commit: string;
  readonly columns: readonly Column[];
  readonly rows: readonly (readonly Value[])[];
  readonly models: readonly OldModel[];
};

/** The fixture's rows as the batch a stream of the same columns would give. */
function scoringBatch(): RowBatch {
  const n = fixture.rows.length;
  const columns = fixture.columns.map((column, c): ColumnData => {
    if (!isNumberType(column.type)) return { kind: 'text', values: fixture.rows.map((row) => row[c] as string | null) };
    const values = new Float64Array(n);
    const nulls = new Uint8Array(n);
    fixture.rows.forEach((row, r) => {
      if (row[c] === null) nulls[r] = 1;
      else values[r] = row[c] as number;
    });
    return { kind: 'number', values, nulls };
  });
  return { rowCount: n, columns };
}

describe(`models stored by commit ${fixture.commit}`, () => {
  it('has the three tasks and 40 scored rows', () => {
    expect(fixture.models.map((m) => m.name)).toEqual(['old_binary', 'old_multiclass', 'old_regression']);
    for (const m of fixture.models) expect(m.predictions).toHaveLength(40);
  });

  it.each(fixture.models)('$name loads and predicts what it predicted then', ({ model: stored, outputs, predictions }) => {
    const model = deserializeModel(stored);
    const added = predictionColumns(model);
    expect(added.map((column) => column.name)).toEqual(outputs);
    const scored = new Scorer(model, fixture.columns).score(scoringBatch());
    const now = predictions.map((_, row) => added.map((column, c) => valueAt(column, scored[c]!, row)));
    expect(now).toEqual(predictions);
    // toEqual on numbers is Object.is: every score is the same double, not merely close.
    for (const row of now) for (const value of row) if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
  });
});
