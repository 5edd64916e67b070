/**
 * Held-out quality on the real data sets at default settings: against the converged
 * reference in ../shared/bench/reference.jsonl (scikit-learn lbfgs/OLS, median of 5
 * splits), and against a converged L-BFGS fit of the same features on the same split
 * (bench/converged.ts), which isolates the learner's own gap from split-to-split noise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { firstRow, memoryEngine, run } from '../helpers/engine.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';
import { convergedReference } from '../../bench/converged.js';
import { POLISH_MAX_ITERATIONS } from '../../src/learn/polish.js';
import { CV_FOLDS, CV_MAX_VALIDATION_ROWS } from '../../src/learn/l2-path.js';

/** Each data set's file, looked up once: a test whose file is missing is skipped (outside CI). */
const FILES = {
  bank: sharedDataFile('bank_additional_full.csv'),
  adult: sharedDataFile('adult_train.csv'),
  letters: sharedDataFile('letter_recognition.csv'),
  housing: sharedDataFile('california_housing.csv'),
  obesity: sharedDataFile('obesity_levels.csv'),
  wine: sharedDataFile('wine_quality.csv'),
  abalone: sharedDataFile('abalone.csv'),
};
type DataSet = keyof typeof FILES;

let engine: Engine;
beforeAll(async () => {
  engine = await memoryEngine();
});
afterAll(async () => {
  await engine.close();
});

/** Loads the data set into a table of its name. */
async function load(table: DataSet): Promise<void> {
  await run(engine, `CREATE OR REPLACE TABLE ${table} AS SELECT * FROM read_csv(${sqlString(FILES[table]!)});`);
}

describe('quality at default settings on the shared data sets', () => {
  it.skipIf(FILES.bank === null)('bank marketing: AUC ≥ 0.925 (reference 0.935)', async () => {
    await load('bank');
    const result = firstRow(await run(engine, 'CREATE MODEL bank_model FROM bank PREDICT y; EVALUATE MODEL bank_model;'));
    expect(result.auc).toBeGreaterThanOrEqual(0.925);
    expect(result.rows).toBeGreaterThan(11_000);
  });

  it.skipIf(FILES.adult === null)('adult census income: AUC ≥ 0.895 (reference 0.905)', async () => {
    await load('adult');
    const result = firstRow(await run(engine, 'CREATE MODEL adult_model FROM adult PREDICT income; EVALUATE MODEL adult_model;'));
    expect(result.auc).toBeGreaterThanOrEqual(0.895);
  });

  it.skipIf(FILES.letters === null)('letter recognition, 26 classes: accuracy ≥ 0.72 (reference 0.776)', async () => {
    await load('letters');
    const result = firstRow(await run(engine, 'CREATE MODEL letter_model FROM letters PREDICT letter; EVALUATE MODEL letter_model;'));
    expect(result.accuracy).toBeGreaterThanOrEqual(0.72);
    expect(result.macro_f1).toBeGreaterThanOrEqual(0.7);
  });

  it.skipIf(FILES.housing === null)('california housing: R² within 0.03 of the reference 0.6413', async () => {
    await load('housing');
    const result = firstRow(
      await run(engine, 'CREATE MODEL housing_model FROM housing PREDICT median_house_value; EVALUATE MODEL housing_model;'),
    );
    expect(result.r2).toBeGreaterThanOrEqual(0.6413 - 0.03);
    expect(result.rmse).toBeLessThan(result.baseline_rmse as number);
  });

  it.skipIf(FILES.obesity === null)('obesity: the full-batch finish runs after the passes, starting from their best model, and DESCRIBE says so', async () => {
    await load('obesity');
    // A given l2: the finish fits that one amount (the default walks the L2 path, tested below).
    await run(engine, 'CREATE OR REPLACE MODEL obesity_finish FROM obesity PREDICT nobeyesdad USING seed = 1, l2 = 1e-6;');
    const stats = (await engine.store.get('obesity_finish'))!.trainingStats as {
      polish?: { iterations: number; evaluations: number; kept_iteration?: number; validation_loss_before: number; validation_loss_after: number };
      curve: { validation_loss: number }[];
    };
    expect(stats.polish).toBeDefined();
    const finish = stats.polish!;
    expect(finish.iterations).toBeGreaterThan(0);
    expect(finish.iterations).toBeLessThanOrEqual(POLISH_MAX_ITERATIONS);
    expect(finish.evaluations).toBeGreaterThan(finish.iterations);
    expect(finish.kept_iteration).toBeUndefined();
    expect(Number.isFinite(finish.validation_loss_after)).toBe(true);
    // It starts from the best pass of the SGD curve.
    expect(finish.validation_loss_before).toBeCloseTo(Math.min(...stats.curve.map((p) => p.validation_loss)), 12);
    const described = await run(engine, 'DESCRIBE MODEL obesity_finish;');
    const line = (name: string): string => String(described.rows.find((row) => row[0] === 'training' && row[1] === name)?.[2]);
    expect(line('finish')).toMatch(new RegExp(`^${finish.iterations} L-BFGS iterations \\(${finish.evaluations} passes, `));
    expect(described.rows.some((row) => row[1] === 'finish_kept')).toBe(false);
    expect(line('finish_held_out_loss')).toMatch(/^[0-9.]+ → [0-9.]+$/);
  });

  it.skipIf(FILES.obesity === null)('obesity at defaults: the finish walks the L2 path, keeps its lowest validation loss, and DESCRIBE shows what was tried', async () => {
    await load('obesity');
    await run(engine, 'CREATE OR REPLACE MODEL obesity_path FROM obesity PREDICT nobeyesdad USING seed = 1;');
    const stats = (await engine.store.get('obesity_path'))!.trainingStats as {
      l2: number;
      l2_path: { l2: number; validation_loss: number; iterations: number }[];
      polish: { kept: string; validation_loss_after: number };
    };
    expect(stats.l2_path.length).toBeGreaterThan(0);
    if (stats.polish.kept === 'finish') {
      const lowest = Math.min(...stats.l2_path.map((t) => t.validation_loss));
      expect(stats.l2_path.find((t) => t.l2 === stats.l2)!.validation_loss).toBe(lowest);
      expect(stats.polish.validation_loss_after).toBeLessThanOrEqual(lowest);
    }
    const described = await run(engine, 'DESCRIBE MODEL obesity_path;');
    const rows = described.rows.filter((row) => row[0] === 'training');
    expect(Number(rows.find((row) => row[1] === 'l2')?.[2])).toBe(stats.l2);
    expect(rows.filter((row) => String(row[1]).startsWith('l2_tried_'))).toHaveLength(stats.l2_path.length);
    expect(String(rows.find((row) => row[1] === `l2_tried_${stats.l2_path[0]!.l2}`)?.[2])).toMatch(/^validation loss [0-9.]+ after \d+ iterations$/);
    expect(String(rows.find((row) => row[1] === 'l2_chosen_by')?.[2])).toBe('the validation rows');
  });

  it.skipIf(FILES.obesity === null)('obesity, 700 rows at defaults: few validation rows, so the L2 amount is chosen by 5-fold cross-validation, and DESCRIBE shows what was tried and by what', async () => {
    await load('obesity');
    await run(engine, 'CREATE OR REPLACE TABLE obesity_700 AS SELECT * FROM obesity LIMIT 700;');
    await run(engine, 'CREATE OR REPLACE MODEL obesity_cv FROM obesity_700 PREDICT nobeyesdad USING seed = 1;');
    const stats = (await engine.store.get('obesity_cv'))!.trainingStats as {
      l2: number;
      l2_path: { l2: number; validation_loss: number; iterations: number }[];
      l2_folds?: number;
      rows_validation: number;
      polish: { kept: string; validation_loss_after: number };
    };
    // About 50 validation rows: fewer than cross-validation's threshold.
    expect(stats.rows_validation).toBeLessThan(CV_MAX_VALIDATION_ROWS);
    expect(stats.l2_folds).toBe(CV_FOLDS);
    expect(stats.l2_path.length).toBeGreaterThan(0);
    // The passes' model is no candidate under cross-validation: the path's choice is refitted.
    expect(stats.polish.kept).toBe('finish');
    const lowest = Math.min(...stats.l2_path.map((t) => t.validation_loss));
    expect(stats.l2_path.find((t) => t.l2 === stats.l2)!.validation_loss).toBe(lowest);
    expect(stats.polish.validation_loss_after).toBe(lowest);
    const described = await run(engine, 'DESCRIBE MODEL obesity_cv;');
    const rows = described.rows.filter((row) => row[0] === 'training');
    expect(Number(rows.find((row) => row[1] === 'l2')?.[2])).toBe(stats.l2);
    expect(rows.filter((row) => String(row[1]).startsWith('l2_tried_'))).toHaveLength(stats.l2_path.length);
    expect(String(rows.find((row) => row[1] === `l2_tried_${stats.l2_path[0]!.l2}`)?.[2])).toMatch(/^cross-validated loss [0-9.]+ after \d+ iterations$/);
    expect(String(rows.find((row) => row[1] === 'l2_chosen_by')?.[2])).toBe('5-fold cross-validation (training + validation rows)');
    expect(String(rows.find((row) => row[1] === 'finish_held_out_loss')?.[2])).toMatch(/^[0-9.]+ → [0-9.]+ \(cross-validated\)$/);
  });

  it.skipIf(FILES.obesity === null)('obesity with early_stopping = false: no validation rows, the finish still runs, and DESCRIBE shows no held-out loss', async () => {
    await load('obesity');
    await run(engine, 'CREATE OR REPLACE MODEL obesity_all FROM obesity PREDICT nobeyesdad USING early_stopping = false, passes = 3, seed = 1;');
    const stats = (await engine.store.get('obesity_all'))!.trainingStats as {
      polish?: { iterations: number; validation_loss_before: number | null; validation_loss_after: number | null };
      rows_validation: number;
    };
    expect(stats.rows_validation).toBe(0);
    expect(stats.polish).toBeDefined();
    expect(stats.polish!.iterations).toBeGreaterThan(0);
    expect(stats.polish!.validation_loss_before).toBeNull();
    expect(stats.polish!.validation_loss_after).toBeNull();
    const described = await run(engine, 'DESCRIBE MODEL obesity_all;');
    expect(described.rows.some((row) => row[0] === 'training' && row[1] === 'finish')).toBe(true);
    expect(described.rows.some((row) => row[1] === 'finish_held_out_loss')).toBe(false);
  });

  // One test per data set, each with its own timeout: the converged finish made a bank
  // CREATE MODEL take 4-8 s, and the four in one test passed 120 s on a loaded machine.
  const gapCases: { table: DataSet; target: string; metric: string; goal: string; within: (ours: number, best: number) => boolean; seeds?: number }[] = [
    { table: 'bank', target: 'y', metric: 'auc', goal: 'AUC within 0.005', within: (ours: number, best: number) => ours >= best - 0.005 },
    { table: 'obesity', target: 'nobeyesdad', metric: 'macro_f1', goal: 'macro-F1 within 0.01', within: (ours: number, best: number) => ours >= best - 0.01 },
    // Seven classes, two of them rare, whose few predictions swing macro-F1 by up to
    // 0.07 from one split to the next (the converged solver's own figure spans
    // 0.23-0.29 over seeds 1-7): three seeds are too few to tell a gap from that.
    { table: 'wine', target: 'quality', metric: 'macro_f1', goal: 'macro-F1 within 0.01', within: (ours: number, best: number) => ours >= best - 0.01, seeds: 5 },
    { table: 'abalone', target: 'rings', metric: 'rmse', goal: 'RMSE within 1%', within: (ours: number, best: number) => ours <= best * 1.01 },
  ];
  for (const c of gapCases) {
    it.skipIf(FILES[c.table] === null)(`the learner reaches a converged solver on the same split: ${c.table} ${c.goal} (median of 3 seeds, 5 for wine)`, async () => {
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
      await load(c.table);
      const ours: number[] = [];
      const best: number[] = [];
      for (let seed = 1; seed <= (c.seeds ?? 3); seed++) {
        const row = firstRow(await run(engine, `CREATE OR REPLACE MODEL ${c.table}_gap FROM ${c.table} PREDICT ${c.target} USING seed = ${seed};`));
        ours.push(row[c.metric] as number);
        best.push((await convergedReference(engine.adapter, `SELECT * FROM ${c.table}`, c.target, null, seed))[c.metric]!);
      }
      const figures = { data: c.table, ours, converged: best };
      expect({ ...figures, within: c.within(median(ours), median(best)) }).toEqual({ ...figures, within: true });
    });
  }
});
