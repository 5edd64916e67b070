/**
 * EVALUATE MODEL … ON with `engine = 'database'` (src/engine/evaluate-in-database.ts) on
 * DuckDB, PostgreSQL and MariaDB, with src/compile's compiler, on real data sets: every
 * model type gives the streaming path's metrics — the same counts, the AUC within 1e-9
 * (the database rounds scores to float32 as the stream keeps them; its histogram AUC is
 * certified within 1e-4 of exact, binary-metrics-in-database.test.ts checks the bound, and
 * on these scores, few to a bin, it is within 1e-9), the log loss and
 * the regression figures within 1e-9 relative. The USING threshold is respected; NULL
 * labels and (multiclass) labels unseen in training are skipped as on the stream; a label
 * column named like a prediction column is no clash; an empty source is the stream's
 * error; and the database's own error at a late row of an unordered scan is one clear
 * error, after which the engine works on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { firstRow } from '../helpers/engine.js';
import { rejectionOf } from '../helpers/errors.js';
import { serverTargets } from '../helpers/servers.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

const bankFile = sharedDataFile('bank_additional_full.csv');
const carFile = sharedDataFile('car_evaluation.csv');
const abaloneFile = sharedDataFile('abalone.csv');
const haveData = bankFile !== null && carFile !== null && abaloneFile !== null;

const TARGETS = [
  { label: 'duckdb', url: 'duckdb::memory:' },
  ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)'),
];
/** Bank rows used (every 7th of 41,188): thousands of distinct scores and many ties, quick to train on three databases. */
const BANK_ROWS = 5884;

/** The data sets as DuckDB reads them, with an id, written to each database by the adapter. */
let reader: Engine | undefined;

beforeAll(async () => {
  if (!haveData) return;
  reader = await Engine.open('duckdb::memory:');
  const load = (table: string, file: string): Promise<ResultTable> =>
    reader!.adapter.query(`CREATE TABLE ${table} AS SELECT row_number() OVER () AS id, * FROM read_csv(${sqlString(file)})`);
  // Every 7th row: the file is in date order, and its early months have few subscribers.
  // The label three ways: y as read (BOOLEAN), `label` as text, and 0/1 integers in a
  // column named like the prediction column `score`; bank_nulls has them NULL in every 7th row.
  await reader.adapter.query(
    `CREATE TABLE bank AS SELECT row_number() OVER () AS id, * EXCLUDE (n), CASE WHEN y THEN 'yes' ELSE 'no' END AS label, CAST(y AS INTEGER) AS score
     FROM (SELECT *, row_number() OVER () AS n FROM read_csv(${sqlString(bankFile!)})) WHERE n % 7 = 3`,
  );
  await reader.adapter.query(
    `CREATE TABLE bank_nulls AS SELECT * REPLACE (CASE WHEN id % 7 = 0 THEN NULL ELSE y END AS y, CASE WHEN id % 7 = 0 THEN NULL ELSE label END AS label, CASE WHEN id % 7 = 0 THEN NULL ELSE score END AS score) FROM bank`,
  );
  await load('car', carFile!);
  await load('abalone', abaloneFile!);
}, 120_000);

afterAll(async () => {
  await reader?.close();
});

describe.skipIf(!haveData).each(TARGETS)('$label', ({ url }) => {
  let engine: Engine;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const [bank, bankNulls, car, abalone] = [`ev_bank_${tag}`, `ev_bank_nulls_${tag}`, `ev_car_${tag}`, `ev_abalone_${tag}`];
  const [yes, flag, bool, cls, reg] = [`ev_yes_${tag}`, `ev_flag_${tag}`, `ev_bool_${tag}`, `ev_cls_${tag}`, `ev_reg_${tag}`];
  const run = async (text: string): Promise<ResultTable> => (await engine.runAll(text)).at(-1)!;
  const q = (name: string): string => engine.adapter.sql.quoteIdent(name);
  const both = async (model: string, source: string, options = ''): Promise<[Record<string, Value>, Record<string, Value>]> => [
    firstRow(await run(`EVALUATE MODEL ${model} ON ${source} USING engine = 'database'${options};`)),
    firstRow(await run(`EVALUATE MODEL ${model} ON ${source} USING engine = 'stream'${options};`)),
  ];
  const close = (a: Value, b: Value, relative: number, what: string): void => {
    expect(Math.abs(Number(a) - Number(b)), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(Number(b))));
  };

  beforeAll(async () => {
    engine = await Engine.open(url);
    for (const [table, from] of [[bank, 'bank'], [bankNulls, 'bank_nulls'], [car, 'car'], [abalone, 'abalone']] as const) {
      const stream = await reader!.adapter.openStream(`SELECT * FROM ${from} ORDER BY id`, { batchRows: 4096 });
      await engine.adapter.write({ name: table }, stream.columns, stream.batches(), 'replace');
    }
    const bankFeatures = `age, job, marital, education, housing, loan, contact, month, day_of_week, campaign, pdays, previous, poutcome, emp_var_rate, cons_price_idx, euribor3m`;
    await run(`CREATE MODEL ${yes} FROM (SELECT ${bankFeatures}, label FROM ${bank}) PREDICT label USING passes = 2;`);
    await run(`CREATE MODEL ${flag} FROM (SELECT ${bankFeatures}, ${q('score')} FROM ${bank}) PREDICT ${q('score')} USING passes = 2;`);
    await run(`CREATE MODEL ${bool} FROM (SELECT ${bankFeatures}, y FROM ${bank}) PREDICT y USING passes = 2;`);
    await run(`CREATE MODEL ${cls} FROM (SELECT buying, maint, doors, persons, lug_boot, safety, ${q('class')} FROM ${car}) PREDICT ${q('class')} USING passes = 3;`);
    await run(`CREATE MODEL ${reg} FROM (SELECT sex, length, diameter, height, whole_weight, shucked_weight, viscera_weight, shell_weight, rings FROM ${abalone}) PREDICT rings USING passes = 2;`);
  }, 600_000);

  afterAll(async () => {
    if (!engine) return;
    for (const model of [yes, flag, bool, cls, reg]) await run(`DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    for (const table of [bank, bankNulls, car, abalone]) await engine.adapter.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await engine.close();
  });

  function expectBinaryEqual(database: Record<string, Value>, stream: Record<string, Value>): void {
    // The same confusion counts give the same ratios, to the bit.
    for (const name of ['accuracy', 'precision', 'recall', 'f1', 'threshold', 'rows']) expect(database[name], name).toBe(stream[name]);
    close(database.auc!, stream.auc!, 1e-9, 'auc');
    close(database.log_loss!, stream.log_loss!, 1e-9, 'log_loss');
  }

  it('binary, text, integer and boolean labels: the stream\'s counts, AUC and log loss, at the model\'s threshold and at USING threshold; NULL labels skipped', async () => {
    for (const model of [yes, flag, bool]) {
      for (const threshold of ['', ', threshold = 0.2']) {
        const [database, stream] = await both(model, bank, threshold);
        expectBinaryEqual(database, stream);
        expect(database.rows).toBe(BANK_ROWS);
        expect(database.auc as number).toBeGreaterThan(0.7);
        expect(database.threshold).toBe(threshold === '' ? 0.5 : 0.2);
        const [nullDatabase, nullStream] = await both(model, bankNulls, threshold);
        expectBinaryEqual(nullDatabase, nullStream);
        expect(nullDatabase.rows).toBe(BANK_ROWS - Math.floor(BANK_ROWS / 7));
      }
    }
  });

  it('multiclass: the stream\'s accuracy, macro F1 and log loss; NULL labels and a label unseen in training skipped', async () => {
    const features = `buying, maint, doors, persons, lug_boot, safety`;
    const [database, stream] = await both(cls, car);
    for (const name of ['accuracy', 'macro_f1', 'rows']) expect(database[name], name).toBe(stream[name]);
    close(database.log_loss!, stream.log_loss!, 1e-9, 'log_loss');
    expect(database.rows).toBe(1728);
    const odd = `(SELECT ${features}, CASE WHEN MOD(id, 5) = 0 THEN 'never seen' WHEN MOD(id, 11) = 0 THEN NULL ELSE ${q('class')} END AS ${q('class')} FROM ${car})`;
    const [oddDatabase, oddStream] = await both(cls, odd);
    for (const name of ['accuracy', 'macro_f1', 'rows']) expect(oddDatabase[name], name).toBe(oddStream[name]);
    close(oddDatabase.log_loss!, oddStream.log_loss!, 1e-9, 'log_loss');
    expect(oddDatabase.rows).toBeLessThan(1728 - 300);
  });

  it('regression: the stream\'s rmse, mae, r2 and baseline_rmse (the training mean); NULL targets skipped', async () => {
    const [database, stream] = await both(reg, abalone);
    expect(database.rows).toBe(4177);
    for (const name of ['rmse', 'mae', 'r2', 'baseline_rmse']) close(database[name]!, stream[name]!, 1e-9, name);
    const nulls = `(SELECT sex, length, diameter, height, whole_weight, shucked_weight, viscera_weight, shell_weight, CASE WHEN MOD(id, 4) = 0 THEN NULL ELSE rings END AS rings FROM ${abalone})`;
    const [nullDatabase, nullStream] = await both(reg, nulls);
    expect(nullDatabase.rows).toBe(nullStream.rows);
    for (const name of ['rmse', 'mae', 'r2', 'baseline_rmse']) close(nullDatabase[name]!, nullStream[name]!, 1e-9, name);
  });

  it('an empty source (or one whose labels are all NULL) is the stream\'s error on every model type', async () => {
    for (const [model, table] of [[yes, bank], [cls, car], [reg, abalone]] as const) {
      const empty = `(SELECT * FROM ${table} WHERE id < 0)`;
      const database = await rejectionOf(run(`EVALUATE MODEL ${model} ON ${empty} USING engine = 'database';`));
      const stream = await rejectionOf(run(`EVALUATE MODEL ${model} ON ${empty} USING engine = 'stream';`));
      expect(database.code).toBe('empty_input');
      expect(database.message).toBe(stream.message);
    }
  });

  it('the database\'s own error at a late row of an unordered scan is one clear error, and the engine works on', async () => {
    // A scalar subquery that returns two rows only at a late row: every database refuses it when it gets there.
    const late = `(SELECT one FROM (SELECT 1 AS one UNION ALL SELECT 2) AS two WHERE b.id >= ${BANK_ROWS - 10} OR one = 1)`;
    const failing = `(SELECT b.*, b.age * ${late} AS age2 FROM ${bank} AS b)`;
    const source = `(SELECT age2 AS age, job, marital, education, housing, loan, contact, month, day_of_week, campaign, pdays, previous, poutcome, emp_var_rate, cons_price_idx, euribor3m, label FROM ${failing} AS f)`;
    for (const model of [yes]) {
      const error = await rejectionOf(run(`EVALUATE MODEL ${model} ON ${source} USING engine = 'database';`));
      expect(error.code).toBe('database');
      expect(error.message.toLowerCase()).toMatch(/more than (one|1) row/);
    }
    const afterwards = firstRow(await run(`EVALUATE MODEL ${yes} ON ${bank} USING engine = 'database';`));
    expect(afterwards.rows).toBe(BANK_ROWS);
  });
});
