/**
 * Same data + same seed → the same model, byte for byte; the rows' order barely matters
 * (the split is by row hash, not position, and shuffling evens out the order).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { ROW_WORKER_MIN_ROWS } from '../../src/engine/train.js';
import { firstRow, memoryEngine, run } from '../helpers/engine.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

const bankFile = sharedDataFile('bank_additional_full.csv');

let engine: Engine;
beforeAll(async () => {
  engine = await memoryEngine();
  if (bankFile) await run(engine, `CREATE TABLE bank AS SELECT * FROM read_csv(${sqlString(bankFile)});`);
});
afterAll(async () => {
  await engine.close();
});

describe('determinism', () => {
  it.skipIf(bankFile === null)('the same seed gives identical model bytes', async () => {
    await run(engine, 'CREATE MODEL a FROM bank PREDICT y USING seed = 5;');
    await run(engine, 'CREATE MODEL b FROM bank PREDICT y USING seed = 5;');
    const a = await engine.store.get('a');
    const b = await engine.store.get('b');
    expect(a!.model.length).toBeGreaterThan(1000);
    expect(a!.model).toBe(b!.model);
    await run(engine, 'CREATE MODEL c FROM bank PREDICT y USING seed = 6;');
    expect((await engine.store.get('c'))!.model).not.toBe(a!.model);
  });

  it.skipIf(bankFile === null)('a different row order gives held-out metrics within 0.005', async () => {
    const natural = firstRow(await run(engine, 'CREATE MODEL n FROM (SELECT * FROM bank) PREDICT y;'));
    const reversed = firstRow(
      await run(engine, 'CREATE MODEL r FROM (SELECT * FROM bank ORDER BY hash(age, job, euribor3m, duration, campaign) DESC) PREDICT y;'),
    );
    expect(reversed.rows_evaluated).toBe(natural.rows_evaluated);
    expect(Math.abs((reversed.auc as number) - (natural.auc as number))).toBeLessThan(0.005);
    expect(Math.abs((reversed.accuracy as number) - (natural.accuracy as number))).toBeLessThan(0.005);
  });
});

describe('the encoding worker', () => {
  it.skipIf(bankFile === null)('gives the same model bytes as encoding on the main thread, for every task', async () => {
    const path = bankFile!;
    const inWorker = await Engine.open('duckdb::memory:', { encodeWorker: 'always' });
    const inline = await Engine.open('duckdb::memory:', { encodeWorker: 'never' });
    try {
      for (const e of [inWorker, inline]) await run(e, `CREATE TABLE bank AS SELECT * FROM read_csv(${sqlString(path)});`);
      // The worker encodes the held-out rows last, into a cache of its own: the evaluation must not notice.
      const statements = [
        ...['y', 'job', 'age'].map((target) => [`m_${target}`, `CREATE MODEL m_${target} FROM (SELECT * FROM bank LIMIT 8000) PREDICT ${target} USING passes = 3;`]),
        // Balanced class weights wait for the whole encoding before training starts.
        ['m_balanced', "CREATE MODEL m_balanced FROM (SELECT * FROM bank LIMIT 8000) PREDICT job USING passes = 2, class_weights = 'balanced';"],
      ];
      for (const [name, statement] of statements) {
        const a = firstRow(await run(inWorker, statement!));
        const b = firstRow(await run(inline, statement!));
        expect(a.rows_trained).toBe(b.rows_trained);
        expect(a.rows_evaluated).toBeGreaterThan(2000);
        expect(a.rows_evaluated).toBe(b.rows_evaluated);
        const [worker, main] = [(await inWorker.store.get(name!))!, (await inline.store.get(name!))!];
        expect(worker.model).toBe(main.model);
        expect(worker.evaluation).toEqual(main.evaluation);
      }
    } finally {
      await inWorker.close();
      await inline.close();
    }
  });

  it('hands over to the worker part-way through the read with the same result', async () => {
    // Above ROW_WORKER_MIN_ROWS, 'auto' profiles on the main thread until the threshold,
    // then starts the worker, which catches up on the blocks cached so far.
    const rows = ROW_WORKER_MIN_ROWS + 20_000;
    const table = `CREATE TABLE t AS SELECT i AS id, (i * 7919) % 1000 / 10.0 AS a, ['red', 'green', 'blue'][1 + i % 3] AS c,
      CASE WHEN (i * 104729) % 100 < 30 + (i % 3) * 10 THEN 'yes' ELSE 'no' END AS y FROM range(${rows}) r(i);`;
    const auto = await Engine.open('duckdb::memory:', { encodeWorker: 'auto' });
    const inline = await Engine.open('duckdb::memory:', { encodeWorker: 'never' });
    try {
      for (const e of [auto, inline]) await run(e, table);
      for (const e of [auto, inline]) await run(e, 'CREATE MODEL m FROM t PREDICT y RECIPE (exclude(id), quantile_bin(a, 10));');
      expect((await auto.store.get('m'))!.model).toBe((await inline.store.get('m'))!.model);
    } finally {
      await auto.close();
      await inline.close();
    }
  });

  it.skipIf(bankFile === null)('stops when the training is cancelled, and the engine trains again afterwards', async () => {
    const path = bankFile!;
    const e = await Engine.open('duckdb::memory:', { encodeWorker: 'always' });
    try {
      await run(e, `CREATE TABLE bank AS SELECT * FROM read_csv(${sqlString(path)});`);
      const controller = new AbortController();
      const training = e.runAll('CREATE MODEL c FROM bank PREDICT y;', {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'train') controller.abort();
        },
      });
      await expect(training).rejects.toMatchObject({ code: 'cancelled' });
      expect(await e.store.get('c')).toBeUndefined();
      const row = firstRow(await run(e, 'CREATE MODEL c FROM bank PREDICT y;'));
      expect(row.auc as number).toBeGreaterThan(0.9);
    } finally {
      await e.close();
    }
  });
});
