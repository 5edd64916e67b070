import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultTable } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { mulberry32 } from '../../src/learn/random.js';
import { rejectionOf } from '../helpers/errors.js';
import { everyServerTarget } from '../helpers/servers.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

const ABALONE = sharedDataFile('abalone.csv');
const BANK = sharedDataFile('bank_additional_full.csv');
const CAR = sharedDataFile('car_evaluation.csv');

/** A small nearly separable binary table, the same rows on every database. */
function tableScript(table: string): string[] {
  const random = mulberry32(19);
  const rows: string[] = [];
  for (let r = 0; r < 400; r++) {
    const x = Array.from({ length: 6 }, () => Math.round((random() * 2 - 1) * 1000) / 1000);
    const margin = 3 * x[0]! - 2 * x[1]! + x[2]! + 0.5 * (random() - 0.5);
    rows.push(`(${r}, ${x.join(', ')}, ${margin > 0 ? 1 : 0})`);
  }
  const columns = 'id INTEGER, x1 DOUBLE PRECISION, x2 DOUBLE PRECISION, x3 DOUBLE PRECISION, x4 DOUBLE PRECISION, x5 DOUBLE PRECISION, x6 DOUBLE PRECISION, y INTEGER';
  return [`DROP TABLE IF EXISTS ${table}`, `CREATE TABLE ${table} (${columns})`, `INSERT INTO ${table} VALUES ${rows.join(', ')}`];
}

function records(result: ResultTable): Record<string, unknown>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])));
}

async function last(engine: Engine, script: string): Promise<ResultTable> {
  const results = await engine.runAll(script);
  return results[results.length - 1]!;
}

const FROM = `FROM (SELECT x1, x2, x3, x4, x5, x6, y FROM tune_t) PREDICT y`;

/**
 * The one yardstick rule: among the trials of the last rung, the best on the yardstick is
 * kept when DESCRIBE says it beat trial 1 by more than its standard error, else trial 1.
 */
function expectKeptByYardstick(trials: Record<string, unknown>[], described: Record<string, unknown>[], yardstick: string, higherIsBetter: boolean): Record<string, unknown> {
  const score = (t: Record<string, unknown>): number => (yardstick === 'validation_loss' ? (t.validation_loss as number) : (t.value as number));
  const lastRung = Math.max(...trials.map((t) => t.rung as number));
  const finalists = trials.filter((t) => t.rung === lastRung);
  const bestScore = higherIsBetter ? Math.max(...finalists.map(score)) : Math.min(...finalists.map(score));
  const best = finalists.find((t) => score(t) === bestScore)!;
  const kept = trials.find((t) => t.kept === true)!;
  const line = described.find((r) => r.section === 'training' && r.property === 'tune_yardstick')?.value as string;
  expect(line.startsWith(`${yardstick} on the validation rows; `)).toBe(true);
  const verdict = /gain (\S+) ± (\S+)$/.exec(line);
  if (best.trial === 1) {
    expect(line).toContain('trial 1 (untuned) was the best');
    expect(kept.trial).toBe(1);
  } else {
    expect(line).toContain(`best trial ${String(best.trial)} `);
    const [gain, standardError] = [Number(verdict![1]), Number(verdict![2])];
    // DESCRIBE rounds to 4 significant digits: the gain is the scores' difference, and the decision follows it.
    expect(gain).toBeCloseTo((higherIsBetter ? 1 : -1) * (score(best) - score(trials[0]!)), 3);
    expect(kept.trial).toBe(gain > standardError ? best.trial : 1);
  }
  for (const t of trials) expect(t.metric).toBe(yardstick === 'validation_loss' ? t.metric : yardstick);
  return kept;
}

describe('USING tune = N and SHOW TRIALS (DuckDB)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.open('duckdb::memory:');
    for (const statement of tableScript('tune_t')) await engine.runAll(statement);
  });
  afterAll(() => engine.close());

  it('runs N trials, keeps one, and lists them with their options, losses, metric, passes and seconds', async () => {
    await engine.runAll(`CREATE MODEL tuned ${FROM} USING tune = 7, seed = 4`);
    const trials = records(await last(engine, 'SHOW TRIALS tuned'));
    expect(trials).toHaveLength(7);
    expect(trials.map((t) => t.trial)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(trials.filter((t) => t.kept === true)).toHaveLength(1);
    // Trial 1 is the untuned model: the learner chooses step size and L2.
    expect(trials[0]).toMatchObject({ learning_rate: 'auto', l2: 'auto', l1: 0, passes: 10, class_weights: 'none', metric: 'auc' });
    for (const t of trials) {
      expect(typeof t.validation_loss).toBe('number');
      expect(t.value as number).toBeGreaterThan(0.5);
      expect(t.seconds as number).toBeGreaterThanOrEqual(0);
      expect(t.passes_run as number).toBeGreaterThanOrEqual(1);
    }
    // The kept trial ran the last rung; it is the best there by validation loss, or trial 1 when the best did not beat it by more than the noise.
    const lastRung = Math.max(...trials.map((t) => t.rung as number));
    const finalists = trials.filter((t) => t.rung === lastRung);
    const kept = trials.find((t) => t.kept)!;
    expect(kept.rung).toBe(lastRung);
    // Trial 1 always reaches the last rung.
    expect(trials[0]!.rung).toBe(lastRung);
    const described = records(await last(engine, 'DESCRIBE MODEL tuned'));
    expect(described.find((r) => r.section === 'training' && r.property === 'tune')?.value).toMatch(/^7 trials in .* s, trial \d+ kept \(SHOW TRIALS\)$/);
    expectKeptByYardstick(trials, described, 'validation_loss', false);
    expect(finalists.length).toBeGreaterThan(1);
  });

  it('is deterministic: the same seed gives the same trials and the same model', async () => {
    await engine.runAll(`CREATE MODEL tuned_a ${FROM} USING tune = 5, seed = 9`);
    await engine.runAll(`CREATE MODEL tuned_b ${FROM} USING tune = 5, seed = 9`);
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ seconds: _seconds, ...rest }) => rest);
    expect(strip(records(await last(engine, 'SHOW TRIALS tuned_b')))).toEqual(strip(records(await last(engine, 'SHOW TRIALS tuned_a'))));
    expect((await last(engine, 'SHOW WEIGHTS tuned_b').catch(() => null))?.rows ?? null).toEqual(
      (await last(engine, 'SHOW WEIGHTS tuned_a').catch(() => null))?.rows ?? null,
    );
    const a = records(await last(engine, `PREDICT tuned_a FROM (SELECT x1, x2, x3, x4, x5, x6 FROM tune_t ORDER BY id LIMIT 50)`));
    const b = records(await last(engine, `PREDICT tuned_b FROM (SELECT x1, x2, x3, x4, x5, x6 FROM tune_t ORDER BY id LIMIT 50)`));
    expect(b).toEqual(a);
  });

  it('never tunes an option the user gave', async () => {
    await engine.runAll(`CREATE MODEL tuned_given ${FROM} USING tune = 6, l2 = 0.01, class_weights = 'balanced', seed = 2`);
    const trials = records(await last(engine, 'SHOW TRIALS tuned_given'));
    expect(trials).toHaveLength(6);
    for (const t of trials) expect(t).toMatchObject({ l2: '0.01', class_weights: 'balanced' });
    expect(new Set(trials.map((t) => t.learning_rate)).size).toBeGreaterThan(1);
  });

  it('shows no trials for a model trained without tuning, and names the model or version at fault', async () => {
    await engine.runAll(`CREATE MODEL untuned ${FROM}`);
    expect((await last(engine, 'SHOW TRIALS untuned')).rows).toEqual([]);
    expect((await last(engine, 'SHOW TRIALS untuned@1')).rows).toEqual([]);
    const missing = await rejectionOf(engine.runAll('SHOW TRIALS nosuch'));
    expect(missing.code).toBe('unknown_model');
    expect(missing.message).toContain('nosuch');
    const version = await rejectionOf(engine.runAll('SHOW TRIALS untuned@5'));
    expect(version.message).toBe('model untuned has no version 5');
  });

  it('rejects a bad tune value naming the option, storing nothing', async () => {
    for (const value of ['-1', '2.5', '201', "'many'"]) {
      const error = await rejectionOf(engine.runAll(`CREATE MODEL bad_tune ${FROM} USING tune = ${value}`));
      expect(error.code).toBe('bad_option');
      expect(error.message).toContain('option tune must be a whole number from 0 (no tuning) to 200');
    }
    expect((await last(engine, 'SHOW MODELS')).rows.map((r) => r[0])).not.toContain('bad_tune');
  });

  it('works on a catalog made before the trials table existed', async () => {
    const old = await Engine.open('duckdb::memory:');
    try {
      for (const statement of tableScript('tune_t')) await old.runAll(statement);
      await old.runAll(`CREATE MODEL before ${FROM}`);
      await old.runAll('DROP TABLE sqlml_trials');
      // A fresh engine on the same database runs the catalog DDL again: the table comes back empty.
      const again = new Engine(old.adapter);
      expect((await last(again, 'SHOW TRIALS before')).rows).toEqual([]);
      await again.runAll(`CREATE OR REPLACE MODEL before ${FROM} USING tune = 3`);
      expect((await last(again, 'SHOW TRIALS before')).rows).toHaveLength(3);
      await again.runAll('DROP MODEL before');
      expect(Number((await last(again, 'SELECT count(*) AS n FROM sqlml_trials')).rows[0]![0])).toBe(0);
    } finally {
      await old.close();
    }
  });
});

describe.skipIf(ABALONE === null || BANK === null || CAR === null)('USING tune = N on real data (DuckDB)', () => {
  let engine: Engine;
  const strip = (rows: Record<string, unknown>[]) => rows.map(({ seconds: _seconds, ...rest }) => rest);
  const describeModel = async (name: string) => records(await last(engine, `DESCRIBE MODEL ${name}`));
  beforeAll(async () => {
    engine = await Engine.open('duckdb::memory:');
    await engine.runAll(`CREATE TABLE abalone AS SELECT * FROM read_csv(${sqlString(ABALONE!)})`);
    await engine.runAll(`CREATE TABLE car AS SELECT * FROM read_csv(${sqlString(CAR!)})`);
    // A quarter of bank, with a third of its positives: 4% positive, where f1 at 0.5 and class weights part ways with the loss.
    await engine.runAll(`CREATE TABLE bank AS SELECT * FROM read_csv(${sqlString(BANK!)})`);
    await engine.runAll(`CREATE TABLE bank_rare AS SELECT * FROM bank WHERE rowid % 4 = 0 AND (y = 'no' OR rowid % 12 = 0)`);
    await engine.runAll('DROP TABLE bank');
  });
  afterAll(() => engine.close());

  const BINNED = `FROM abalone PREDICT rings RECIPE (quantile_bin(length, 4), quantile_bin(shell_weight, 4), quantile_bin(whole_weight, 4))`;

  it('tunes the recipe quantile-bin counts, each count on its own encoding; the kept model carries its recipe; deterministic', async () => {
    await engine.runAll(`CREATE MODEL bins_a ${BINNED} USING tune = 6, seed = 1`);
    await engine.runAll(`CREATE MODEL bins_b ${BINNED} USING tune = 6, seed = 1`);
    const trials = records(await last(engine, 'SHOW TRIALS bins_a'));
    expect(strip(records(await last(engine, 'SHOW TRIALS bins_b')))).toEqual(strip(trials));
    expect(trials[0]).toMatchObject({ trial: 1, quantile_bins: 'recipe', learning_rate: 'auto', l2: 'auto' });
    for (const t of trials.slice(1)) expect(['5', '10', '20', '50']).toContain(t.quantile_bins);
    expect(new Set(trials.slice(1).map((t) => t.quantile_bins)).size).toBeGreaterThan(1);
    const described = await describeModel('bins_a');
    const kept = expectKeptByYardstick(trials, described, 'validation_loss', false);
    // Four bins are too few for these columns: a trial with more beats the recipe clearly, and the model keeps its count.
    expect(kept.trial).not.toBe(1);
    const recipe = described.filter((r) => r.section === 'recipe').map((r) => `${String(r.property)} ${String(r.value)}`).join('\n');
    expect(recipe).toContain(`quantile_bin(length, ${String(kept.quantile_bins)})`);
    expect(recipe).not.toContain('quantile_bin(length, 4)');
    // The stored model predicts with the kept recipe, the same for both.
    const sample = 'PREDICT bins_a FROM (SELECT * FROM abalone ORDER BY length, diameter, height, whole_weight LIMIT 40)';
    expect(records(await last(engine, sample.replace('bins_a', 'bins_b')))).toEqual(records(await last(engine, sample)));
  });

  it('compares trials by tune_metric and records it in SHOW TRIALS and DESCRIBE', async () => {
    await engine.runAll(`CREATE MODEL car_f1 FROM car PREDICT class USING tune = 8, tune_metric = 'macro_f1', seed = 2`);
    const trials = records(await last(engine, 'SHOW TRIALS car_f1'));
    expect(trials).toHaveLength(8);
    for (const t of trials) expect(t.metric).toBe('macro_f1');
    expect(trials[0]).toMatchObject({ learning_rate: 'auto', l2: 'auto', passes: 10, class_weights: 'none', quantile_bins: null });
    expectKeptByYardstick(trials, await describeModel('car_f1'), 'macro_f1', true);
    const options = records(await last(engine, 'DESCRIBE MODEL car_f1')).filter((r) => r.section === 'options');
    expect(options.find((r) => r.property === 'tune_metric')?.value).toBe('macro_f1');
  });

  it('judges class weights on one yardstick: balanced loses on the unweighted loss and wins on f1', async () => {
    await engine.runAll(`CREATE MODEL rare_loss FROM bank_rare PREDICT y USING tune = 6, seed = 2`);
    await engine.runAll(`CREATE MODEL rare_f1 FROM bank_rare PREDICT y USING tune = 6, tune_metric = 'f1', seed = 2`);
    const byLoss = records(await last(engine, 'SHOW TRIALS rare_loss'));
    const byF1 = records(await last(engine, 'SHOW TRIALS rare_f1'));
    // The same trials either way: only the yardstick differs.
    expect(byF1.map((t) => t.class_weights)).toEqual(byLoss.map((t) => t.class_weights));
    expect(byLoss.some((t) => t.class_weights === 'balanced')).toBe(true);
    for (const t of byLoss.filter((t) => t.class_weights === 'balanced')) expect(t.validation_loss as number).toBeGreaterThan(byLoss[0]!.validation_loss as number);
    const keptByLoss = expectKeptByYardstick(byLoss, await describeModel('rare_loss'), 'validation_loss', false);
    const keptByF1 = expectKeptByYardstick(byF1, await describeModel('rare_f1'), 'f1', true);
    expect(keptByLoss.class_weights).toBe('none');
    expect(keptByF1.class_weights).toBe('balanced');
    // The kept options are the version's options.
    const options = (await describeModel('rare_f1')).filter((r) => r.section === 'options');
    expect(options.find((r) => r.property === 'class_weights')?.value).toBe('balanced');
  });

  it('rejects a tune_metric the model type has not, an unknown one, and one without tune, storing nothing', async () => {
    const wrongType = await rejectionOf(engine.runAll(`CREATE MODEL bad_metric FROM bank_rare PREDICT y USING tune = 3, tune_metric = 'rmse'`));
    expect(wrongType.code).toBe('bad_option');
    expect(wrongType.message).toBe("option tune_metric must be one of 'auc', 'log_loss', 'f1', 'accuracy' for a binary model, got 'rmse'");
    const wrongMulti = await rejectionOf(engine.runAll(`CREATE MODEL bad_metric FROM car PREDICT class USING tune = 3, tune_metric = 'auc'`));
    expect(wrongMulti.message).toBe("option tune_metric must be one of 'accuracy', 'macro_f1', 'log_loss' for a multiclass model, got 'auc'");
    const unknown = await rejectionOf(engine.runAll(`CREATE MODEL bad_metric FROM car PREDICT class USING tune = 3, tune_metric = 'precision'`));
    expect(unknown.message).toMatch(/^option tune_metric must be one of 'auc', 'log_loss', 'f1', 'accuracy', 'macro_f1', 'rmse', 'mae', 'r2' \(binary: .*\), got 'precision'$/);
    const alone = await rejectionOf(engine.runAll(`CREATE MODEL bad_metric FROM car PREDICT class USING tune_metric = 'accuracy'`));
    expect(alone.message).toBe('option tune_metric needs tune of 1 or more (it chooses among the tuning trials)');
    expect((await last(engine, 'SHOW MODELS')).rows.map((r) => r[0])).not.toContain('bad_metric');
  });
});

const TARGETS = await everyServerTarget();

describe.each(TARGETS.filter((t) => t.label !== 'postgres (cursor)'))('SHOW TRIALS on $label', ({ url, reachable }) => {
  describe.skipIf(!reachable)('stored with the version', () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await Engine.open(url);
      for (const statement of tableScript('tune_t')) await engine.runAll(statement);
      await engine.runAll('DROP MODEL IF EXISTS tune_srv');
    });
    afterAll(async () => {
      await engine.runAll('DROP MODEL IF EXISTS tune_srv').catch(() => undefined);
      await engine.runAll('DROP TABLE IF EXISTS tune_t').catch(() => undefined);
      await engine.close();
    });

    it('stores one row per trial with version 1 and version 2, and drops them with the model', async () => {
      await engine.runAll(`CREATE MODEL tune_srv ${FROM} USING tune = 4, seed = 3`);
      await engine.runAll(`RETRAIN MODEL tune_srv USING tune = 3`);
      const v1 = records(await last(engine, 'SHOW TRIALS tune_srv@1'));
      const v2 = records(await last(engine, 'SHOW TRIALS tune_srv'));
      expect(v1).toHaveLength(4);
      expect(v2).toHaveLength(3);
      expect(v1.filter((t) => t.kept === true)).toHaveLength(1);
      for (const t of [...v1, ...v2]) {
        expect(typeof t.validation_loss).toBe('number');
        expect(typeof t.value).toBe('number');
        expect(typeof t.trial).toBe('number');
        expect(t.metric).toBe('auc');
      }
      await engine.runAll('DROP MODEL tune_srv');
      const left = await last(engine, "SELECT count(*) AS n FROM sqlml_trials WHERE name = 'tune_srv'");
      expect(Number(left.rows[0]![0])).toBe(0);
    });
  });
});
