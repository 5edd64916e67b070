/**
 * SHOW WEIGHTS, PREDICT … USING explain / probabilities on bank marketing (DuckDB), and
 * the explanation's identity (terms + bias = the linear score) as a property over random
 * weights on real recipes and random rows.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column, ColumnData, RowBatch } from '../../src/data.js';
import type { Engine } from '../../src/engine/engine.js';
import { NAMED_SLOTS } from '../../src/engine/name-slots.js';
import { PredictionExtras } from '../../src/engine/predict-extras.js';
import { FeatureEncoder } from '../../src/learn/encode.js';
import type { TrainedModel } from '../../src/learn/model.js';
import { deserializeModel } from '../../src/learn/model-format.js';
import { OnlineLearner } from '../../src/learn/sgd.js';
import { createSparseVector } from '../../src/learn/types.js';
import { firstRow, memoryEngine, run } from '../helpers/engine.js';
import { rejectionOf } from '../helpers/errors.js';
import { everyServerTarget } from '../helpers/servers.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

const bankFile = sharedDataFile('bank_additional_full.csv');
const smsFile = sharedDataFile('sms_spam.csv');

interface Term {
  feature: string;
  value: string | null;
  contribution: number;
}

let engine: Engine;

beforeAll(async () => {
  engine = await memoryEngine();
  // Small synthetic multiclass and regression models, used by several groups below.
  await run(
    engine,
    `CREATE TABLE shapes AS SELECT i, (i * 37 % 100) / 10.0 AS x, CASE i % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'green' ELSE 'blue' END AS colour,
       CASE WHEN i * 37 % 100 < 30 THEN 'small' WHEN i * 37 % 100 < 70 THEN 'medium' ELSE 'large' END AS size,
       (i * 37 % 100) * 2.5 + (i % 3) * 10 AS weight_g
     FROM range(1, 3001) t(i);
     CREATE MODEL shape_size FROM (SELECT x, colour, size FROM shapes) PREDICT size;
     CREATE MODEL shape_weight FROM (SELECT x, colour, weight_g FROM shapes) PREDICT weight_g;`,
  );
  if (bankFile) {
    await run(engine, `CREATE TABLE bank AS SELECT row_number() OVER () AS id, * FROM read_csv(${sqlString(bankFile)});`);
    await run(engine, 'CREATE MODEL bank_x FROM (SELECT * EXCLUDE (id) FROM bank) PREDICT y RECIPE (cartesian(job, education), quantile_bin(age, 5)) USING seed = 7;');
  }
}, 300_000);

afterAll(async () => {
  await engine?.close();
});

async function storedModel(name: string): Promise<TrainedModel> {
  const version = await engine.store.get(name);
  return deserializeModel(version!.model);
}

function logit(p: number): number {
  return Math.log(p) - Math.log1p(-p);
}

describe.skipIf(bankFile === null)('bank marketing', () => {
  it('SHOW WEIGHTS names every weight: columns, categories, bin ranges, the crossing pairs, the bias', async () => {
    const shown = await run(engine, 'SHOW WEIGHTS bank_x;');
    expect(shown.columns.map((c) => c.name)).toEqual(['feature', 'value', 'class', 'weight']);
    const model = await storedModel('bank_x');
    // One row per non-zero weight, plus the bias.
    expect(shown.rows.length).toBe(model.learner.nonZeroWeights() + 1);
    const rows = shown.rows.map(([feature, value, klass, weight]) => ({ feature, value, klass, weight: weight as number }));
    expect(rows.at(-1)).toEqual({ feature: '(bias)', value: null, klass: null, weight: model.learner.bias(0) });
    expect(rows).toContainEqual(expect.objectContaining({ feature: 'duration', value: null }));
    expect(rows).toContainEqual(expect.objectContaining({ feature: 'month', value: 'mar' }));
    expect(rows.some((r) => r.feature === 'quantile_bin(age, 5)' && /^(< |>= |\[)\d/.test(r.value as string))).toBe(true);
    // The crossing's weights carry the pairs of values seen at training, never a bare slot.
    const crossed = rows.filter((r) => r.feature === 'cartesian(job, education)' || (r.feature as string).includes('cartesian(job, education)'));
    expect(crossed.length).toBeGreaterThan(10);
    for (const r of crossed) expect(r.value).toMatch(/^[^|]+ × [^|]+( \| [^|]+ × [^|]+)*( \| …)?$/);
    expect(crossed.map((r) => r.value as string).join('|')).toContain('admin. × university.degree');
    const top = [...rows].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).slice(0, 10);
    console.log(JSON.stringify({ figure: 'bank SHOW WEIGHTS top 10', top }));
  });

  it('DESCRIBE MODEL names its largest hashed weights by their values too', async () => {
    const described = await run(engine, 'DESCRIBE MODEL bank_x;');
    const weights = described.rows.filter((r) => r[0] === 'weights').map((r) => r[1] as string);
    expect(weights.some((w) => w.startsWith('cartesian(job, education)=') && w.includes(' × '))).toBe(true);
    expect(weights.some((w) => w.includes('~hash'))).toBe(false);
  });

  it("explain = 'all' on 1,000 rows: the terms plus the bias are the score's logit; explain = 3 keeps the 3 largest", async () => {
    const result = await run(engine, "PREDICT bank_x FROM (SELECT * FROM bank WHERE id <= 1000) USING explain = 'all';");
    const names = result.columns.map((c) => c.name);
    expect(names.slice(-3)).toEqual(['predicted_label', 'score', 'explanation']);
    const score = names.indexOf('score');
    const explanation = names.indexOf('explanation');
    let largest = 0;
    let compared = 0;
    for (const row of result.rows) {
      const terms = JSON.parse(row[explanation] as string) as Term[];
      expect(terms.at(-1)!.feature).toBe('(bias)');
      const body = terms.slice(0, -1);
      for (let i = 1; i < body.length; i++) expect(Math.abs(body[i - 1]!.contribution)).toBeGreaterThanOrEqual(Math.abs(body[i]!.contribution));
      const sum = terms.reduce((total, t) => total + t.contribution, 0);
      const p = row[score] as number;
      expect(Math.abs(1 / (1 + Math.exp(-sum)) - p)).toBeLessThan(1e-12);
      // Where the score keeps the logit's digits, the sum is the logit to 1e-9.
      if (p > 1e-6 && p < 1 - 1e-6) {
        largest = Math.max(largest, Math.abs(sum - logit(p)));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(900);
    expect(largest).toBeLessThan(1e-9);
    console.log(JSON.stringify({ figure: "bank explain='all' 1000 rows", rows: result.rows.length, compared, largestAbsSumMinusLogit: largest }));

    const top3 = await run(engine, 'PREDICT bank_x FROM (SELECT * FROM bank WHERE id <= 50) USING explain = 3;');
    const all = await run(engine, "PREDICT bank_x FROM (SELECT * FROM bank WHERE id <= 50) USING explain = 'all';");
    const at = top3.columns.length - 1;
    top3.rows.forEach((row, i) => {
      const three = JSON.parse(row[at] as string) as Term[];
      const every = JSON.parse(all.rows[i]![at] as string) as Term[];
      expect(three).toEqual([...every.slice(0, 3), every.at(-1)]);
    });
  });

  it('explain and probabilities go INTO a table; engine = database with them is a clear error', async () => {
    await run(engine, "PREDICT bank_x FROM (SELECT * FROM bank WHERE id <= 200) INTO bank_explained KEY id USING explain = 2, probabilities = true;");
    const written = await run(engine, 'SELECT * FROM bank_explained ORDER BY id;');
    expect(written.columns.map((c) => c.name)).toEqual(['id', 'predicted_label', 'score', 'probability_false', 'probability_true', 'explanation']);
    expect(written.rows.length).toBe(200);
    for (const [, , score, no, yes, text] of written.rows) {
      expect(yes).toBe(score);
      expect((no as number) + (yes as number)).toBeCloseTo(1, 12);
      expect((JSON.parse(text as string) as Term[]).length).toBe(3);
    }
    const refused = await rejectionOf(run(engine, "PREDICT bank_x FROM bank USING explain = 1, engine = 'database';"));
    expect(refused.code).toBe('bad_option');
    expect(refused.message).toBe(
      "PREDICT cannot run in the database (USING engine = 'database'): explain and probabilities are computed on the stream: the model's compiled SQL computes only the label and its score, not each term's contribution or every class's probability; use engine = 'auto' or 'stream'",
    );
    // EXPLAIN PREDICT with the same options says the same reason, in one line; without them the model runs in the database when asked to.
    const explained = firstRow(await run(engine, 'EXPLAIN PREDICT bank_x FROM bank USING explain = 1;'));
    expect(explained).toMatchObject({ engine: 'stream', sql: null });
    expect(refused.message).toContain(explained.reason as string);
    expect(firstRow(await run(engine, "EXPLAIN PREDICT bank_x FROM bank USING engine = 'database';"))).toMatchObject({ engine: 'database', reason: null });
    expect((await rejectionOf(run(engine, "EXPLAIN PREDICT bank_x FROM bank USING probabilities = true, engine = 'database';"))).message).toBe(refused.message);
    for (const bad of ['explain = 0', 'explain = 1.5', "explain = 'some'", 'probabilities = 3']) {
      const error = await rejectionOf(run(engine, `PREDICT bank_x FROM bank USING ${bad};`));
      expect(error.code).toBe('bad_option');
      expect(error.message).toContain(bad.split(' ')[0]!);
    }
  });
});

describe('multiclass and regression', () => {
  it("multiclass: probability_<label> per class summing to 1; the explanation adds up to the predicted class's score", async () => {
    const result = await run(engine, "PREDICT shape_size FROM (SELECT i, x, colour FROM shapes WHERE i <= 300) USING probabilities = true, explain = 'all';");
    const names = result.columns.map((c) => c.name);
    const model = await storedModel('shape_size');
    expect(names).toEqual(['i', 'x', 'colour', 'predicted_label', 'score', ...model.label.classes.map((c) => `probability_${c}`), 'explanation']);
    for (const row of result.rows) {
      const probabilities = model.label.classes.map((_, c) => row[5 + c] as number);
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(Math.max(...probabilities)).toBe(row[4]);
    }
  });

  it('probabilities: labels needing quotes make quoted columns INTO a table; more than 20 classes make one JSON column', async () => {
    await run(
      engine,
      `CREATE TABLE quoted AS SELECT i, (i % 7) * 1.0 AS x, CASE i % 3 WHEN 0 THEN 'O''Neil' WHEN 1 THEN 'a "b"' ELSE 'Select' END AS who FROM range(1, 1501) t(i);
       CREATE MODEL quoted_model FROM (SELECT x, who FROM quoted) PREDICT who;
       PREDICT quoted_model FROM (SELECT i, x FROM quoted WHERE i <= 30) INTO quoted_scores KEY i USING probabilities = true;`,
    );
    const written = await run(engine, 'SELECT * FROM quoted_scores ORDER BY i;');
    expect(written.columns.map((c) => c.name).sort()).toEqual(['i', 'predicted_label', 'probability_O\'Neil', 'probability_Select', 'probability_a "b"', 'score'].sort());
    for (const row of written.rows) expect((row.slice(3) as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);

    await run(
      engine,
      `CREATE TABLE many AS SELECT i, (i % 25) * 1.0 AS x, 'class_' || (i % 25) AS c FROM range(1, 5001) t(i);
       CREATE MODEL many_model FROM (SELECT x, c FROM many) PREDICT c;`,
    );
    const result = await run(engine, 'PREDICT many_model FROM (SELECT x FROM many WHERE i <= 10) USING probabilities = true;');
    expect(result.columns.map((c) => c.name)).toEqual(['x', 'predicted_label', 'score', 'probabilities']);
    for (const row of result.rows) {
      const probabilities = JSON.parse(row[3] as string) as Record<string, number>;
      expect(Object.keys(probabilities)).toHaveLength(25);
      expect(Object.values(probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(probabilities[row[1] as string]).toBe(row[2]);
    }
  }, 120_000);

  it('regression: the terms plus the bias are the predicted value to 1e-9', async () => {
    const result = await run(engine, "PREDICT shape_weight FROM (SELECT x, colour FROM shapes WHERE i <= 500) USING explain = 'all';");
    for (const [, , value, text] of result.rows) {
      const sum = (JSON.parse(text as string) as Term[]).reduce((total, t) => total + t.contribution, 0);
      expect(Math.abs(sum - (value as number))).toBeLessThan(1e-9 * Math.max(1, Math.abs(value as number)));
    }
    const refused = await rejectionOf(run(engine, 'PREDICT shape_weight FROM shapes USING probabilities = true;'));
    expect(refused.code).toBe('bad_option');
    expect(refused.message).toMatch(/classifiers/);
  });

  it('property: on random weights and random rows, terms + bias = the margin of the explained output, to 1e-9', async () => {
    const models = [await storedModel('shape_size'), await storedModel('shape_weight')];
    const columns: Column[] = [
      { name: 'x', type: 'double', dbType: 'DOUBLE' },
      { name: 'colour', type: 'text', dbType: 'VARCHAR' },
    ];
    const row = fc.record({ x: fc.option(fc.double({ min: -1e3, max: 1e3, noNaN: true })), colour: fc.option(fc.constantFrom('red', 'green', 'blue', 'violet')) });
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 64, maxLength: 64 }), fc.array(row, { minLength: 1, maxLength: 20 }), (which, seedWeights, rows) => {
        const trained = models[which]!;
        const spec = trained.learner.spec;
        const K = trained.task === 'multiclass' ? spec.classes : 1;
        const weights = Float64Array.from({ length: (spec.dimension + 1) * K }, (_, i) => seedWeights[i % seedWeights.length]! * (i % 3 === 0 ? 0 : 1));
        const model: TrainedModel = { ...trained, learner: OnlineLearner.restore(spec, weights) };
        const batch: RowBatch = {
          rowCount: rows.length,
          columns: [
            { kind: 'number', values: Float64Array.from(rows, (r) => r.x ?? 0), nulls: Uint8Array.from(rows, (r) => (r.x === null ? 1 : 0)) },
            { kind: 'text', values: rows.map((r) => r.colour) } as ColumnData,
          ],
        };
        const encoder = new FeatureEncoder(model.recipe, columns);
        const extras = new PredictionExtras(model, { explain: Infinity, probabilities: false });
        const vector = createSparseVector(16);
        for (let r = 0; r < rows.length; r++) {
          encoder.encodeRow(batch, r, vector);
          for (let k = 0; k < K; k++) {
            let margin = model.learner.bias(k);
            for (let j = 0; j < vector.nnz; j++) margin += model.learner.weight(vector.indices[j]!, k) * vector.values[j]!;
            const expected = trained.task === 'regression' ? margin * trained.label.std + trained.label.mean : margin;
            const terms = JSON.parse(extras.explain(vector, k)) as Term[];
            const sum = terms.reduce((total, t) => total + t.contribution, 0);
            expect(Math.abs(sum - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('explanation order', () => {
  it('property: the shown terms are the k largest |contribution| (ties: lower feature index), repeated indices merged, as a full sort gives', async () => {
    const trained = await storedModel('shape_size');
    const spec = trained.learner.spec;
    const K = spec.classes;
    const D = spec.dimension;
    const term = fc.record({ index: fc.integer({ min: 0, max: D - 1 }), value: fc.constantFrom(1, -1, 0.5, 2, 0) });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 1, -1, 0.25, -0.25, 3), { minLength: 8, maxLength: 8 }),
        fc.array(term, { minLength: 0, maxLength: 40 }),
        fc.integer({ min: 1, max: 45 }),
        fc.integer({ min: 0, max: K - 1 }),
        (seedWeights, terms, shown, k) => {
          // Few distinct weights, so ties are frequent.
          const weights = Float64Array.from({ length: (D + 1) * K }, (_, i) => seedWeights[i % seedWeights.length]!);
          const model: TrainedModel = { ...trained, learner: OnlineLearner.restore(spec, weights) };
          const vector = createSparseVector(terms.length + 1);
          for (const t of terms) {
            vector.indices[vector.nnz] = t.index;
            vector.values[vector.nnz++] = t.value;
          }
          const merged = new Map<number, number>();
          for (const t of terms) {
            const c = weights[t.index * K + k]! * t.value;
            if (c !== 0) merged.set(t.index, (merged.get(t.index) ?? 0) + c);
          }
          const expected = [...merged].sort(([i, a], [j, b]) => Math.abs(b) - Math.abs(a) || i - j).slice(0, shown).map(([, c]) => c);
          for (const explain of [shown, Infinity]) {
            const extras = new PredictionExtras(model, { explain, probabilities: false });
            // Twice: the second row reuses the buffers the first one left.
            for (let pass = 0; pass < 2; pass++) {
              const got = (JSON.parse(extras.explain(vector, k)) as Term[]).slice(0, -1).map((t) => t.contribution);
              expect(got).toEqual(explain === Infinity ? [...merged].sort(([i, a], [j, b]) => Math.abs(b) - Math.abs(a) || i - j).map(([, c]) => c) : expected);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe.skipIf(smsFile === null)('text', () => {
  it('n-gram weights and explanations name their words', async () => {
    await run(engine, `CREATE TABLE sms AS SELECT row_number() OVER () AS id, * FROM read_csv(${sqlString(smsFile!)});`);
    await run(engine, 'CREATE MODEL spam FROM (SELECT label, text FROM sms) PREDICT label RECIPE (ngram(lowercase(text), 2));');
    const shown = await run(engine, 'SHOW WEIGHTS spam;');
    const grams = shown.rows.filter((r) => r[0] === 'ngram(lowercase(text), 2)').map((r) => ({ value: r[1] as string, weight: r[3] as number }));
    // More weights than are named: the NAMED_SLOTS largest by |weight| carry their words, the rest read `slot N`.
    expect(grams.length).toBeGreaterThan(NAMED_SLOTS);
    const byMagnitude = [...grams].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
    expect(byMagnitude.slice(0, NAMED_SLOTS).filter((g) => g.value.startsWith('slot ')).length).toBe(0);
    expect(byMagnitude.slice(NAMED_SLOTS + 1).every((g) => g.value.startsWith('slot '))).toBe(true);
    expect(grams.some((g) => g.value.split(' | ').includes('free'))).toBe(true);
    const stored = await storedModel('spam');
    const namesSize = JSON.stringify(stored.hashedNames).length;
    console.log(JSON.stringify({ figure: 'sms ngram(lowercase(text), 2) names', weights: grams.length, namedSlots: Object.keys(stored.hashedNames!.slots).length, namesBytes: namesSize }));
    expect(Object.keys(stored.hashedNames!.slots).length).toBeLessThanOrEqual(NAMED_SLOTS + 1);
    const explained = firstRow(await run(engine, "PREDICT spam FROM (SELECT text FROM sms WHERE text LIKE 'FREE entry%' LIMIT 1) USING explain = 3;"));
    const terms = JSON.parse(explained.explanation as string) as Term[];
    // The largest contributions are among the largest weights: named.
    expect(terms.slice(0, -1).every((t) => !(t.value ?? '').startsWith('slot '))).toBe(true);
    const all = JSON.parse(firstRow(await run(engine, "PREDICT spam FROM (SELECT text FROM sms WHERE text LIKE 'FREE entry%' LIMIT 1) USING explain = 'all';")).explanation as string) as Term[];
    expect(all.some((t) => (t.value ?? '').split(' | ').includes('free entry'))).toBe(true);
  }, 120_000);
});

describe.skipIf(bankFile === null)('EVALUATE MODEL … USING output', () => {
  it("binary, from the stored evaluation: confusion, classes, roc and thresholds agree with the metrics row", async () => {
    const metrics = firstRow(await run(engine, 'EVALUATE MODEL bank_x;'));
    const confusion = await run(engine, "EVALUATE MODEL bank_x USING output = 'confusion';");
    expect(confusion.columns.map((c) => c.name)).toEqual(['actual_label', 'false', 'true']);
    const [[, tn, fp], [, fn, tp]] = confusion.rows as [string, number, number][];
    expect(confusion.rows.map((r) => r[0])).toEqual(['false', 'true']);
    expect(tn! + fp! + fn! + tp!).toBe(metrics.rows);
    expect(tp! / (tp! + fp!)).toBeCloseTo(metrics.precision as number, 12);
    expect(tp! / (tp! + fn!)).toBeCloseTo(metrics.recall as number, 12);

    const classes = await run(engine, "EVALUATE MODEL bank_x USING output = 'classes';");
    expect(classes.columns.map((c) => c.name)).toEqual(['label', 'precision', 'recall', 'f1', 'support']);
    expect(classes.rows[1]).toEqual(['true', metrics.precision, metrics.recall, expect.closeTo(metrics.f1 as number, 12), tp! + fn!]);

    const thresholds = await run(engine, "EVALUATE MODEL bank_x USING output = 'thresholds';");
    expect(thresholds.rows.length).toBe(1001);
    const atModel = thresholds.rows.find((r) => r[0] === metrics.threshold)!;
    expect(atModel.slice(1, 5)).toEqual([tp, fp, tn, fn]);
    expect(thresholds.rows[0]!.slice(1, 5)).toEqual([tp! + fn!, tn! + fp!, 0, 0]);

    const roc = await run(engine, "EVALUATE MODEL bank_x USING output = 'roc';");
    expect(roc.columns.map((c) => c.name)).toEqual(['threshold', 'fpr', 'tpr']);
    expect(roc.rows[0]).toEqual([null, 0, 0]);
    expect(roc.rows.at(-1)!.slice(1)).toEqual([1, 1]);
    for (let i = 1; i < roc.rows.length; i++) {
      expect(roc.rows[i]![1] as number).toBeGreaterThanOrEqual(roc.rows[i - 1]![1] as number);
      expect(roc.rows[i]![2] as number).toBeGreaterThanOrEqual(roc.rows[i - 1]![2] as number);
    }
  });

  it('with threshold = t: the held-out rows re-scored at t, as the thresholds table counts them at t', async () => {
    const thresholds = await run(engine, "EVALUATE MODEL bank_x USING output = 'thresholds';");
    const at03 = thresholds.rows.find((r) => r[0] === 0.3)!;
    const confusion = await run(engine, "EVALUATE MODEL bank_x USING threshold = 0.3, output = 'confusion';");
    const [[, tn, fp], [, fn, tp]] = confusion.rows as [string, number, number][];
    expect([tp, fp, tn, fn]).toEqual(at03.slice(1, 5));
  });

  it('ON new rows: computed by the stream; engine = database and unknown outputs are clear errors', async () => {
    const confusion = await run(engine, "EVALUATE MODEL bank_x ON (SELECT * FROM bank WHERE id <= 5000) USING output = 'confusion';");
    expect(confusion.rows.reduce((total, r) => total + (r[1] as number) + (r[2] as number), 0)).toBe(5000);
    const refused = await rejectionOf(run(engine, "EVALUATE MODEL bank_x ON bank USING output = 'roc', engine = 'database';"));
    expect(refused.code).toBe('bad_option');
    const unknown = await rejectionOf(run(engine, "EVALUATE MODEL bank_x USING output = 'lift';"));
    expect(unknown.message).toMatch(/output.*'confusion', 'roc', 'thresholds', 'classes'.*lift/);
  });
});

describe('EVALUATE MODEL … USING output, multiclass and regression', () => {
  it('multiclass: a labelled confusion matrix and per-class figures', async () => {
    const model = await storedModel('shape_size');
    const confusion = await run(engine, "EVALUATE MODEL shape_size USING output = 'confusion';");
    expect(confusion.columns.map((c) => c.name)).toEqual(['actual_label', ...model.label.classes]);
    expect(confusion.rows.map((r) => r[0])).toEqual([...model.label.classes]);
    const metrics = firstRow(await run(engine, 'EVALUATE MODEL shape_size;'));
    expect(confusion.rows.flatMap((r) => r.slice(1) as number[]).reduce((a, b) => a + b, 0)).toBe(metrics.rows);
    const classes = await run(engine, "EVALUATE MODEL shape_size USING output = 'classes';");
    expect(classes.rows.map((r) => r[0])).toEqual([...model.label.classes]);
    const regression = await rejectionOf(run(engine, "EVALUATE MODEL shape_weight USING output = 'confusion';"));
    expect(regression.message).toMatch(/classifiers/);
  });
});

describe('EVALUATE MODEL … USING output = roc | thresholds, multiclass: one-vs-rest per class', () => {
  it('stored: per class, from (NULL, 0, 0) up to (0, 1, 1), never going down', async () => {
    const model = await storedModel('shape_size');
    const roc = await run(engine, "EVALUATE MODEL shape_size USING output = 'roc';");
    expect(roc.columns.map((c) => c.name)).toEqual(['class', 'threshold', 'fpr', 'tpr']);
    expect([...new Set(roc.rows.map((r) => r[0]))]).toEqual([...model.label.classes]);
    for (const label of model.label.classes) {
      const points = roc.rows.filter((r) => r[0] === label);
      expect(points[0]!.slice(1)).toEqual([null, 0, 0]);
      expect(points.at(-1)!.slice(1)).toEqual([0, 1, 1]);
      for (let i = 2; i < points.length; i++) {
        expect(points[i]![1] as number).toBeLessThan(points[i - 1]![1] as number);
        expect(points[i]![2] as number).toBeGreaterThanOrEqual(points[i - 1]![2] as number);
        expect(points[i]![3] as number).toBeGreaterThanOrEqual(points[i - 1]![3] as number);
      }
    }
  });

  it('ON rows: the counts at each threshold are those of PREDICT … probabilities = true re-counted at t', async () => {
    const model = await storedModel('shape_size');
    const rows = '(SELECT i, x, colour, size FROM shapes WHERE i <= 600)';
    const thresholds = await run(engine, `EVALUATE MODEL shape_size ON ${rows} USING output = 'thresholds';`);
    expect(thresholds.columns.map((c) => c.name)).toEqual(['class', 'threshold', 'tp', 'fp', 'tn', 'fn', 'precision', 'recall']);
    expect(thresholds.rows.length).toBe(model.label.classes.length * 1001);
    const predicted = await run(engine, `PREDICT shape_size FROM ${rows} USING probabilities = true;`);
    const actualAt = predicted.columns.findIndex((c) => c.name === 'size');
    for (const label of model.label.classes) {
      const probabilityAt = predicted.columns.findIndex((c) => c.name === `probability_${label}`);
      for (const t of [0, 0.001, 0.25, 0.5, 0.777, 1]) {
        let [tp, fp, tn, fn] = [0, 0, 0, 0];
        for (const row of predicted.rows) {
          const positive = (row[probabilityAt] as number) >= t;
          const actual = row[actualAt] === label;
          if (positive && actual) tp++;
          else if (positive) fp++;
          else if (actual) fn++;
          else tn++;
        }
        const row = thresholds.rows.find((r) => r[0] === label && r[1] === t)!;
        expect(row.slice(2, 6), `${label} at ${t}`).toEqual([tp, fp, tn, fn]);
      }
    }
    // Only the stream computes these tables: engine = database says so.
    const refused = await rejectionOf(run(engine, `EVALUATE MODEL shape_size ON ${rows} USING output = 'roc', engine = 'database';`));
    expect(refused.code).toBe('bad_option');
  });
});

const SERVERS = await everyServerTarget();
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

describe.each(SERVERS)('$label', ({ label, url, reachable }) => {
  describe.skipIf(!reachable || bankFile === null)('explanations and evaluation tables on the server', () => {
    const prefix = `xpl_${label.replace(/[^a-z]+/g, '_').replace(/_$/, '')}_${tag}`;
    const bank = `${prefix}_bank`;
    const model = `${prefix}_model`;
    const scores = `${prefix}_scores`;
    let server: Engine;

    beforeAll(async () => {
      const { Engine: ServerEngine } = await import('../../src/engine/engine.js');
      server = await ServerEngine.open(url);
      const stream = await engine.adapter.openStream('SELECT * FROM bank WHERE id <= 4000 ORDER BY id', { batchRows: 4096 });
      expect(await server.adapter.write({ name: bank }, stream.columns, stream.batches(), 'replace')).toBe(4000);
      await run(server, `CREATE MODEL ${model} FROM (SELECT age, job, education, month, duration, emp_var_rate, y FROM ${bank}) PREDICT y RECIPE (cartesian(job, education)) USING seed = 3;`);
    }, 180_000);

    afterAll(async () => {
      if (!server) return;
      await run(server, `DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
      for (const table of [bank, scores]) await server.adapter.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await server.close();
    });

    it("PREDICT … INTO with explain = 'all' and probabilities: written as text and doubles, adding up to the logit", async () => {
      await run(server, `PREDICT ${model} FROM (SELECT * FROM ${bank} WHERE id <= 1000) INTO ${scores} KEY id USING explain = 'all', probabilities = true;`);
      const written = await run(server, `SELECT * FROM ${scores} ORDER BY id;`);
      const names = written.columns.map((c) => c.name);
      expect(names).toEqual(['id', 'predicted_label', 'score', expect.stringMatching(/^probability_/), expect.stringMatching(/^probability_/), 'explanation']);
      expect(written.rows.length).toBe(1000);
      let largest = 0;
      let crossed = 0;
      for (const row of written.rows) {
        const p = row[2] as number;
        expect((row[3] as number) + (row[4] as number)).toBeCloseTo(1, 12);
        const terms = JSON.parse(row[5] as string) as Term[];
        for (const t of terms) if (t.feature === 'cartesian(job, education)') expect(t.value).toMatch(/ × /);
        crossed += terms.some((t) => t.feature === 'cartesian(job, education)') ? 1 : 0;
        const sum = terms.reduce((total, t) => total + t.contribution, 0);
        if (p > 1e-6 && p < 1 - 1e-6) largest = Math.max(largest, Math.abs(sum - logit(p)));
      }
      expect(largest).toBeLessThan(1e-9);
      expect(crossed).toBeGreaterThan(500);
    });

    it("EVALUATE MODEL … ON … USING output = 'confusion' | 'thresholds' reads the server's rows through the stream", async () => {
      const confusion = await run(server, `EVALUATE MODEL ${model} ON (SELECT * FROM ${bank} WHERE id > 3000) USING output = 'confusion';`);
      expect(confusion.rows.map((r) => String(r[0]))).toHaveLength(2);
      expect(confusion.rows.reduce((total, r) => total + (r[1] as number) + (r[2] as number), 0)).toBe(1000);
      const thresholds = await run(server, `EVALUATE MODEL ${model} ON (SELECT * FROM ${bank} WHERE id > 3000) USING output = 'thresholds';`);
      expect(thresholds.rows[0]!.slice(1, 5).reduce((a, b) => (a as number) + (b as number), 0)).toBe(1000);
      const weights = await run(server, `SHOW WEIGHTS ${model};`);
      expect(weights.rows.some((r) => r[0] === 'cartesian(job, education)' && / × /.test(r[1] as string))).toBe(true);
    });
  });
});
