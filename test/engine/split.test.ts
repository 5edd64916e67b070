/**
 * The split on real data with many repeated rows: bank marketing's (age, y) has 41,188
 * rows but only ~150 distinct ones, so a split by row content alone would hold out whole
 * ages at a time (81/19 instead of 70/30, and a held-out AUC far from the one with an id
 * column that makes every row distinct).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { firstRow, memoryEngine, run } from '../helpers/engine.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

const bankFile = sharedDataFile('bank_additional_full.csv');

let engine: Engine;
let total = 0;
beforeAll(async () => {
  engine = await memoryEngine();
  if (bankFile) {
    await run(engine, `CREATE TABLE bank AS SELECT row_number() OVER () AS id, * FROM read_csv(${sqlString(bankFile)});`);
    total = Number(firstRow(await run(engine, 'SELECT count(*) AS n FROM bank;')).n);
  }
});
afterAll(async () => {
  await engine.close();
});

describe.skipIf(bankFile === null)('the split on duplicated rows', () => {
  it("holds out 30% of bank's (age, y), with a held-out AUC in line with the run where an id makes every row distinct", async () => {
    const distinct = Number(firstRow(await run(engine, 'SELECT count(*) AS n FROM (SELECT DISTINCT age, y FROM bank) d;')).n);
    expect(distinct).toBeLessThan(total / 100);
    const duplicated = firstRow(await run(engine, 'CREATE MODEL dup FROM (SELECT age, y FROM bank) PREDICT y;'));
    const distinctRows = firstRow(await run(engine, 'CREATE MODEL ided FROM (SELECT id, age, y FROM bank) PREDICT y RECIPE (exclude(id));'));
    expect(Number(duplicated.rows_trained) + Number(duplicated.rows_evaluated)).toBe(total);
    expect(Math.abs(Number(duplicated.rows_evaluated) / total - 0.3)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(Number(distinctRows.rows_evaluated) / total - 0.3)).toBeLessThanOrEqual(0.01);
    expect(Math.abs((duplicated.auc as number) - (distinctRows.auc as number))).toBeLessThan(0.03);
  });

  it('holds out 30% of five categorical columns, with the AUC of the run with an id column', async () => {
    const columns = 'job, marital, education, contact, month, y';
    const duplicated = firstRow(await run(engine, `CREATE MODEL cats FROM (SELECT ${columns} FROM bank) PREDICT y;`));
    const distinctRows = firstRow(await run(engine, `CREATE MODEL cats_id FROM (SELECT id, ${columns} FROM bank) PREDICT y RECIPE (exclude(id));`));
    expect(Math.abs(Number(duplicated.rows_evaluated) / total - 0.3)).toBeLessThanOrEqual(0.01);
    expect(Math.abs((duplicated.auc as number) - (distinctRows.auc as number))).toBeLessThan(0.02);
  });

  it('EVALUATE ... USING threshold finds the same held-out rows when the re-read returns them in another order', async () => {
    // random() orders the training read and the re-read differently.
    const trained = firstRow(await run(engine, 'CREATE MODEL shuffled FROM (SELECT age, marital, y FROM bank ORDER BY random()) PREDICT y;'));
    const again = firstRow(await run(engine, 'EVALUATE MODEL shuffled USING threshold = 0.5;'));
    expect(again.rows).toBe(trained.rows_evaluated);
    expect(again.auc as number).toBeCloseTo(trained.auc as number, 12);
    expect(again.log_loss as number).toBeCloseTo(firstRow(await run(engine, 'EVALUATE MODEL shuffled;')).log_loss as number, 8);
  });

  it("counts the copies after the read (the worker's and the main thread's deferred count) as EVALUATE's re-read counts them as they come: the same held-out rows", async () => {
    const path = bankFile!;
    for (const encodeWorker of ['always', 'never'] as const) {
      const e = await Engine.open('duckdb::memory:', { encodeWorker });
      try {
        await run(e, `CREATE TABLE bank AS SELECT age, marital, y FROM read_csv(${sqlString(path)});`);
        // ~300 distinct rows among 41,188: nearly every row is a copy, counted after the read.
        const trained = firstRow(await run(e, 'CREATE MODEL m FROM (SELECT * FROM bank ORDER BY random()) PREDICT y;'));
        const again = firstRow(await run(e, 'EVALUATE MODEL m USING threshold = 0.5;'));
        expect(again.rows, encodeWorker).toBe(trained.rows_evaluated);
        expect(again.auc as number, encodeWorker).toBeCloseTo(trained.auc as number, 12);
      } finally {
        await e.close();
      }
    }
  });

  it('counts the copies alike in the training worker and on the main thread: same model bytes', async () => {
    const path = bankFile!;
    const inWorker = await Engine.open('duckdb::memory:', { encodeWorker: 'always' });
    const inline = await Engine.open('duckdb::memory:', { encodeWorker: 'never' });
    try {
      const results = [];
      for (const e of [inWorker, inline]) {
        await run(e, `CREATE TABLE bank AS SELECT age, marital, y FROM read_csv(${sqlString(path)});`);
        results.push(firstRow(await run(e, 'CREATE MODEL m FROM bank PREDICT y USING passes = 2;')));
      }
      expect(results[0]!.rows_evaluated).toBe(results[1]!.rows_evaluated);
      expect((await inWorker.store.get('m'))!.model).toBe((await inline.store.get('m'))!.model);
    } finally {
      await inWorker.close();
      await inline.close();
    }
  });
});
