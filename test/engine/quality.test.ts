/**
 * Held-out quality on the real data sets at default settings, against the converged
 * reference in ../shared/bench/reference.jsonl (scikit-learn lbfgs/OLS, median of 5 splits).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { firstRow, memoryEngine, run } from '../helpers/engine.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

let engine: Engine;
beforeAll(async () => {
  engine = await memoryEngine();
});
afterAll(async () => {
  await engine.close();
});

async function load(table: string, file: string): Promise<boolean> {
  const path = sharedDataFile(file);
  if (!path) return false;
  await run(engine, `CREATE OR REPLACE TABLE ${table} AS SELECT * FROM read_csv(${sqlString(path)});`);
  return true;
}

describe('quality at default settings on the shared data sets', () => {
  it('bank marketing: AUC ≥ 0.925 (reference 0.935)', async () => {
    if (!(await load('bank', 'bank_additional_full.csv'))) return;
    const result = firstRow(await run(engine, 'CREATE MODEL bank_model FROM bank PREDICT y; EVALUATE MODEL bank_model;'));
    expect(result.auc).toBeGreaterThanOrEqual(0.925);
    expect(result.rows).toBeGreaterThan(11_000);
  });

  it('adult census income: AUC ≥ 0.895 (reference 0.905)', async () => {
    if (!(await load('adult', 'adult_train.csv'))) return;
    const result = firstRow(await run(engine, 'CREATE MODEL adult_model FROM adult PREDICT income; EVALUATE MODEL adult_model;'));
    expect(result.auc).toBeGreaterThanOrEqual(0.895);
  });

  it('letter recognition, 26 classes: accuracy ≥ 0.72 (reference 0.776)', async () => {
    if (!(await load('letters', 'letter_recognition.csv'))) return;
    const result = firstRow(await run(engine, 'CREATE MODEL letter_model FROM letters PREDICT letter; EVALUATE MODEL letter_model;'));
    expect(result.accuracy).toBeGreaterThanOrEqual(0.72);
    expect(result.macro_f1).toBeGreaterThanOrEqual(0.7);
  });

  it('california housing: R² within 0.03 of the reference 0.6413', async () => {
    if (!(await load('housing', 'california_housing.csv'))) return;
    const result = firstRow(
      await run(engine, 'CREATE MODEL housing_model FROM housing PREDICT median_house_value; EVALUATE MODEL housing_model;'),
    );
    expect(result.r2).toBeGreaterThanOrEqual(0.6413 - 0.03);
    expect(result.rmse).toBeLessThan(result.baseline_rmse as number);
  });
});
