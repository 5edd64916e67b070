/**
 * PREDICT … USING threshold = x: the binary label cut-off for this prediction only, the
 * same on the stream and in the database, checked against each row's own score; the
 * stored model keeps its threshold; a bad value or a non-binary model is one clear error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { memoryEngine, run } from '../helpers/engine.js';
import { rejectionOf } from '../helpers/errors.js';

let engine: Engine;

beforeAll(async () => {
  engine = await memoryEngine();
  await run(
    engine,
    `CREATE TABLE visits AS SELECT i AS id, (i % 20) / 2.0 AS x, i % 20 >= 9 AS y, i % 3 AS k FROM range(600) t(i);
     CREATE MODEL cut FROM (SELECT x, y FROM visits) PREDICT y USING passes = 3;
     CREATE MODEL three FROM (SELECT x, k FROM visits) PREDICT k USING passes = 2;`,
  );
});
afterAll(() => engine.close());

describe('PREDICT … USING threshold', () => {
  for (const engineName of ['stream', 'database']) {
    it(`labels each row by its own score against the threshold given (engine = '${engineName}')`, async () => {
      for (const threshold of [0.01, 0.5, 0.999]) {
        const result = await run(engine, `PREDICT cut FROM (SELECT id, x FROM visits WHERE id < 40) USING threshold = ${threshold}, engine = '${engineName}';`);
        const label = result.columns.findIndex((c) => c.name === 'predicted_label');
        const score = result.columns.findIndex((c) => c.name === 'score');
        expect(result.rows.length).toBe(40);
        for (const row of result.rows) expect(row[label]).toBe((row[score] as number) >= threshold);
      }
    });
  }

  it('writes the labels of the threshold given with INTO, and leaves the stored threshold as it was', async () => {
    await run(engine, "PREDICT cut FROM (SELECT id, x FROM visits) INTO cut_low KEY id USING threshold = 0.000001;");
    const low = await run(engine, 'SELECT count(*) FILTER (WHERE predicted_label) AS positives, count(*) FILTER (WHERE score >= 0.000001) AS above FROM cut_low;');
    expect(low.rows[0]![0]).toBe(low.rows[0]![1]);
    const plain = await run(engine, 'PREDICT cut FROM (SELECT id, x FROM visits WHERE id < 40);');
    const label = plain.columns.findIndex((c) => c.name === 'predicted_label');
    const score = plain.columns.findIndex((c) => c.name === 'score');
    for (const row of plain.rows) expect(row[label]).toBe((row[score] as number) >= 0.5);
  });

  it('refuses a threshold outside 0..1, one that is not a number, and a model that is not binary', async () => {
    expect((await rejectionOf(run(engine, 'PREDICT cut FROM visits USING threshold = 1.5;'))).message).toBe(
      'option threshold must be a number from 0 to 1, got 1.5',
    );
    expect((await rejectionOf(run(engine, "PREDICT cut FROM visits USING threshold = 'high';"))).code).toBe('bad_option');
    expect((await rejectionOf(run(engine, 'PREDICT three FROM visits USING threshold = 0.3;'))).message).toBe(
      'option threshold applies to binary models only; model three is multiclass',
    );
    expect((await rejectionOf(run(engine, 'PREDICT cut FROM visits USING horizon = 3;'))).message).toMatch(/not accepted by PREDICT \(options: engine, threshold, explain, probabilities\)/);
  });
});
