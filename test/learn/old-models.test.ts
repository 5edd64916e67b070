/**
 * Models stored by an older sqlml keep loading and scoring the same. Each fixture holds
 * three models (binary, multiclass, regression) and the predictions that its commit's
 * PREDICT made on 40 rows (NULLs, unseen categories and values far outside the training
 * range among them), made from that commit's tree by the script beside it:
 * - old-models.json (make-old-models.mts, commit 9e0d471): numbers and a one-hot category;
 * - old-hashed-models.json (make-old-hashed-models.mts, commit a8f4572): a hashed
 *   category, word n-grams, orthogonal sparse bigrams and crossings, all hashed with
 *   MurmurHash3 as sqlml did before new models hashed key strings with md5.
 * Today's code must read the same bytes and give the same labels and the same scores, to
 * the last bit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNumberType, valueAt, type Column, type ColumnData, type RowBatch, type Value } from '../../src/data.js';
import { Scorer } from '../../src/engine/predict.js';
import { PredictionExtras } from '../../src/engine/predict-extras.js';
import { weightName } from '../../src/learn/weight-names.js';
import { predictionColumns } from '../../src/learn/model.js';
import { deserializeModel } from '../../src/learn/model-format.js';

interface OldModel {
  readonly name: string;
  readonly model: string;
  readonly outputs: readonly string[];
  readonly predictions: readonly (readonly Value[])[];
}

interface Fixture {
  readonly commit: string;
  readonly columns: readonly Column[];
  readonly rows: readonly (readonly Value[])[];
  readonly models: readonly OldModel[];
}

const read = (name: string): Fixture => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Fixture;
const fixtures: readonly [string, Fixture, readonly string[]][] = [
  ['old-models.json', read('old-models.json'), ['old_binary', 'old_multiclass', 'old_regression']],
  ['old-hashed-models.json', read('old-hashed-models.json'), ['old_hashed_binary', 'old_hashed_multiclass', 'old_hashed_regression']],
];

/** The fixture's rows as the batch a stream of the same columns would give. */
function scoringBatch(fixture: Fixture): RowBatch {
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

describe.each(fixtures)('%s: models stored by an earlier commit', (_file, fixture, names) => {
  it('has the three tasks and 40 scored rows', () => {
    expect(fixture.models.map((m) => m.name)).toEqual(names);
    for (const m of fixture.models) expect(m.predictions).toHaveLength(40);
  });

  it.each(fixture.models)('$name loads and predicts what it predicted then', ({ model: stored, outputs, predictions }) => {
    const model = deserializeModel(stored);
    const added = predictionColumns(model);
    expect(added.map((column) => column.name)).toEqual(outputs);
    const scored = new Scorer(model, fixture.columns).score(scoringBatch(fixture));
    const now = predictions.map((_, row) => added.map((column, c) => valueAt(column, scored[c]!, row)));
    expect(now).toEqual(predictions);
    // toEqual on numbers is Object.is: every score is the same double, not merely close.
    for (const row of now) for (const value of row) if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
  });
});

describe('old-hashed-models.json: explained and named without recorded names', () => {
  const fixture = read('old-hashed-models.json');
  const stored = fixture.models.find((m) => m.name === 'old_hashed_binary')!;

  it("explains its predictions exactly, its hashed terms named 'slot N'", () => {
    const model = deserializeModel(stored.model);
    expect(model.hashedNames).toBeNull();
    const extras = new PredictionExtras(model, { explain: Infinity, probabilities: false });
    const scored = new Scorer(model, fixture.columns, extras).score(scoringBatch(fixture));
    const scores = scored[1]!.values as Float64Array;
    const explanations = scored[2]!.values as string[];
    let slots = 0;
    explanations.forEach((text, row) => {
      const terms = JSON.parse(text) as { feature: string; value: string | null; contribution: number }[];
      const sum = terms.reduce((total, t) => total + t.contribution, 0);
      const p = scores[row]!;
      expect(Math.abs(1 / (1 + Math.exp(-sum)) - p)).toBeLessThan(1e-12);
      // Where the score keeps the logit's digits (far-out rows score within 1e-6 of 0 or 1).
      if (p > 1e-6 && p < 1 - 1e-6) expect(Math.abs(sum - (Math.log(p) - Math.log1p(-p)))).toBeLessThan(1e-9);
      slots += terms.filter((t) => /^slot \d+$/.test(t.value ?? '')).length;
    });
    expect(slots).toBeGreaterThan(0);
    const hashedIndex = model.recipe.denseSize + 3;
    expect(weightName(model.recipe, null, hashedIndex).value).toBe('slot 3');
  });
});
