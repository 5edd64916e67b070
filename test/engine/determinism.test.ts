/**
 * Same data + same seed → the same model, byte for byte; the rows' order barely matters
 * (the split is by row hash, not position, and shuffling evens out the order).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { firstRow, memoryEngine, run } from '../helpers/engine.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

let engine: Engine;
let loaded = false;
beforeAll(async () => {
  engine = await memoryEngine();
  const path = sharedDataFile('bank_additional_full.csv');
  if (path) {
    await run(engine, `CREATE TABLE bank AS SELECT * FROM read_csv(${sqlString(path)});`);
    loaded = true;
  }
});
afterAll(async () => {
  await engine.close();
});

describe('determinism', () => {
  it('the same seed gives identical model bytes', async () => {
    if (!loaded) return;
    await run(engine, 'CREATE MODEL a FROM bank PREDICT y USING seed = 5;');
    await run(engine, 'CREATE MODEL b FROM bank PREDICT y USING seed = 5;');
    const a = await engine.store.get('a');
    const b = await engine.store.get('b');
    expect(a!.model.length).toBeGreaterThan(1000);
    expect(a!.model).toBe(b!.model);
    await run(engine, 'CREATE MODEL c FROM bank PREDICT y USING seed = 6;');
    expect((await engine.store.get('c'))!.model).not.toBe(a!.model);
  });

  it('a different row order gives held-out metrics within 0.005', async () => {
    if (!loaded) return;
    const natural = firstRow(await run(engine, 'CREATE MODEL n FROM (SELECT * FROM bank) PREDICT y;'));
    const reversed = firstRow(
      await run(engine, 'CREATE MODEL r FROM (SELECT * FROM bank ORDER BY hash(age, job, euribor3m, duration, campaign) DESC) PREDICT y;'),
    );
    expect(reversed.rows_evaluated).toBe(natural.rows_evaluated);
    expect(Math.abs((reversed.auc as number) - (natural.auc as number))).toBeLessThan(0.005);
    expect(Math.abs((reversed.accuracy as number) - (natural.accuracy as number))).toBeLessThan(0.005);
  });
});
