import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultTable } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { mulberry32 } from '../../src/learn/random.js';
import { rejectionOf } from '../helpers/errors.js';
import { everyServerTarget } from '../helpers/servers.js';

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
    // The kept trial ran the last rung and has the lowest validation loss there.
    const lastRung = Math.max(...trials.map((t) => t.rung as number));
    const finalists = trials.filter((t) => t.rung === lastRung);
    const kept = trials.find((t) => t.kept)!;
    expect(kept.rung).toBe(lastRung);
    expect(kept.validation_loss).toBe(Math.min(...finalists.map((t) => t.validation_loss as number)));
    // Trial 1 always reaches the last rung.
    expect(trials[0]!.rung).toBe(lastRung);
    const described = records(await last(engine, 'DESCRIBE MODEL tuned'));
    expect(described.find((r) => r.section === 'training' && r.property === 'tune')?.value).toMatch(/^7 trials in .* s, trial \d+ kept \(SHOW TRIALS\)$/);
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
