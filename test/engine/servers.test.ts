/**
 * The engine, unchanged, on every database server (PostgreSQL through binary COPY and
 * through a cursor, MariaDB/MySQL): the bank marketing data set loaded into the server,
 * CREATE MODEL / EVALUATE / DESCRIBE / SHOW / PREDICT … INTO … KEY / DROP against it, the
 * held-out metric against the same training on DuckDB, pass-through statements, server
 * errors that leave the connection usable, and a PREDICT INTO that fails part-way and
 * leaves its table alone. Names carry the run's tag and the target's: the server
 * databases outlive the run, and other test files use them at the same time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { SqlmlError } from '../../src/errors.js';
import { firstRow, memoryEngine, rowObject, run } from '../helpers/engine.js';
import { everyServerTarget } from '../helpers/servers.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

const BANK_ROWS = 41_188;
const bankFile = sharedDataFile('bank_additional_full.csv');

/** What differs between the servers: the read path DESCRIBE names, and how each is made to fail. */
interface ServerCase {
  /** DESCRIBE MODEL's `training / read_method`. */
  readonly readMethod: string;
  /** A PREDICT source over `bank` that the server fails at row 30000, long after the first batches were written. */
  readonly failingSource: (bank: string) => string;
  readonly failure: RegExp;
  /** The server's message for a duplicate primary key. */
  readonly duplicateKey: RegExp;
}

const POSTGRES: Omit<ServerCase, 'readMethod'> = {
  failingSource: (bank) => `SELECT b.*, 1 / (b.id - 30000) AS boom FROM ${bank} b`,
  failure: /division by zero/,
  duplicateKey: /duplicate key/,
};

const CASES: Readonly<Record<string, ServerCase>> = {
  postgres: { ...POSTGRES, readMethod: 'postgres binary COPY' },
  'postgres (cursor)': { ...POSTGRES, readMethod: 'postgres cursor' },
  mysql: {
    readMethod: 'mysql streaming query',
    // MySQL answers 1/0 with NULL; a scalar subquery that returns two rows once id passes 30000 fails instead.
    failingSource: (bank) => `SELECT id, age, CASE WHEN id > 30000 THEN (SELECT 'x' UNION SELECT 'y') ELSE job END AS job, marital, education, \`default\`,
      housing, loan, contact, month, day_of_week, duration, campaign, pdays, previous, poutcome, emp_var_rate, cons_price_idx,
      cons_conf_idx, euribor3m, nr_employed FROM ${bank}`,
    failure: /more than 1 row/,
    duplicateKey: /Duplicate entry/,
  },
};

const TARGETS = (await everyServerTarget()).map((target) => {
  const serverCase = CASES[target.label];
  if (!serverCase) throw new Error(`no ServerCase for the server target ${target.label}: add one to CASES`);
  return { ...target, ...serverCase };
});

const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

async function failure(promise: Promise<unknown>): Promise<SqlmlError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SqlmlError);
    return error as SqlmlError;
  }
  throw new Error('expected a failure');
}

/** The same rows in DuckDB, and the same training on them, for the held-out figures to agree with. */
let duckdb: Engine | undefined;
let reference: Promise<{ created: Record<string, unknown>; evaluated: Record<string, unknown> }> | undefined;
const TRAIN = (model: string, table: string): string => `CREATE MODEL ${model} FROM ${table} PREDICT y RECIPE (exclude(id)) USING seed = 7;`;

beforeAll(async () => {
  duckdb = await memoryEngine();
  // An id to key predictions by; DuckDB keeps the file's order, and so do the servers' copies.
  if (bankFile) await run(duckdb, `CREATE TABLE bank AS SELECT row_number() OVER () AS id, * FROM read_csv(${sqlString(bankFile)});`);
});

afterAll(async () => {
  await duckdb?.close();
});

function duckdbReference(): NonNullable<typeof reference> {
  reference ??= (async () => ({
    created: firstRow(await run(duckdb!, TRAIN('bank_model', 'bank'))),
    evaluated: firstRow(await run(duckdb!, 'EVALUATE MODEL bank_model;')),
  }))();
  return reference;
}

describe.each(TARGETS)('$label', ({ label, url, reachable, readMethod, failingSource, failure: sourceFailure, duplicateKey }) => {
  describe.skipIf(!reachable)('the engine', () => {
    const prefix = `eng_${label.replace(/[^a-z]+/g, '_').replace(/_$/, '')}_${tag}`;
    const bank = `${prefix}_bank`;
    const scores = `${prefix}_scores`;
    const model = `${prefix}_model`;
    const scratch = `${prefix}_scratch`;
    let server: Engine;

    beforeAll(async () => {
      server = await Engine.open(url);
      if (!bankFile) return;
      const stream = await duckdb!.adapter.openStream('SELECT * FROM bank ORDER BY id', { batchRows: 8192 });
      expect(await server.adapter.write({ name: bank }, stream.columns, stream.batches(), 'replace')).toBe(BANK_ROWS);
      // The predictions are joined back by id: without an index MariaDB joins row by row.
      await server.adapter.query(`CREATE INDEX ${bank}_id ON ${bank} (id)`);
    }, 120_000);

    afterAll(async () => {
      if (!server) return;
      await run(server, `DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
      for (const table of [bank, scores, scratch]) await server.adapter.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await server.close();
    });

    it.skipIf(bankFile === null)('loads the data set with its reserved-word column intact', async () => {
      const counts = (engine: Engine, table: string): Promise<Record<string, unknown>> => {
        const column = engine.adapter.sql.quoteIdent('default');
        return run(
          engine,
          `SELECT COUNT(*) AS n, COUNT(CASE WHEN ${column} = 'no' THEN 1 END) AS default_no, COUNT(CASE WHEN ${column} = 'unknown' THEN 1 END) AS default_unknown FROM ${table};`,
        ).then(firstRow);
      };
      const onServer = await counts(server, bank);
      expect(onServer).toEqual(await counts(duckdb!, 'bank'));
      expect(onServer.n).toBe(BANK_ROWS);
      expect(onServer.default_unknown as number).toBeGreaterThan(0);
    });

    it.skipIf(bankFile === null)('trains on the server with the held-out AUC of DuckDB on the same rows and seed', async () => {
      const created = firstRow(await run(server, TRAIN(model, bank)));
      const evaluated = firstRow(await run(server, `EVALUATE MODEL ${model};`));
      const inDuckDB = await duckdbReference();
      expect(created.type).toBe('binary');
      expect((created.rows_trained as number) + (created.rows_evaluated as number)).toBe(BANK_ROWS);
      expect(created.rows_evaluated).toBe(inDuckDB.created.rows_evaluated);
      expect(created.auc as number).toBeGreaterThan(0.9);
      expect(Math.abs((created.auc as number) - (inDuckDB.created.auc as number))).toBeLessThan(0.005);
      expect(evaluated.auc as number).toBeGreaterThan(0.9);
      expect(evaluated.rows).toBe(inDuckDB.evaluated.rows);
    }, 120_000);

    it.skipIf(bankFile === null)('describes the model with its read path, and lists it in SHOW MODELS', async () => {
      const described = await run(server, `DESCRIBE MODEL ${model};`);
      const method = described.rows.find((row) => row[0] === 'training' && row[1] === 'read_method');
      expect(method?.[2]).toBe(readMethod);
      const shown = await run(server, 'SHOW MODELS;');
      const listed = shown.rows.map((_, index) => rowObject(shown, index)).find((row) => row.name === model);
      expect(listed).toMatchObject({ version: 1, metric: 'auc' });
    });

    it.skipIf(bankFile === null)('writes predictions INTO a server table by KEY, which SQL can then join and update', async () => {
      const written = firstRow(await run(server, `PREDICT ${model} FROM ${bank} INTO ${scores} KEY id;`));
      expect(written.rows_written).toBe(BANK_ROWS);
      const joined = firstRow(
        await run(
          server,
          `SELECT COUNT(*) AS n, COUNT(DISTINCT s.id) AS ids, COUNT(CASE WHEN s.predicted_label = b.y THEN 1 END) AS agree,
             MIN(s.score) AS low, MAX(s.score) AS high
           FROM ${scores} s JOIN ${bank} b ON s.id = b.id;`,
        ),
      );
      expect(joined).toMatchObject({ n: BANK_ROWS, ids: BANK_ROWS });
      // A model with AUC > 0.9 on a 11%-positive set labels most rows right (y is read as a boolean, stored as one).
      expect((joined.agree as number) / BANK_ROWS).toBeGreaterThan(0.85);
      expect(joined.low as number).toBeGreaterThanOrEqual(0);
      expect(joined.high as number).toBeLessThanOrEqual(1);
      // yes/no targets are read as booleans, so the label column is BOOLEAN on the server.
      const labels = await run(server, `SELECT predicted_label, COUNT(*) FROM ${scores} GROUP BY predicted_label ORDER BY predicted_label;`);
      expect(labels.rows.map((row) => row[0])).toEqual([false, true]);
      expect(await run(server, `UPDATE ${scores} SET score = 0 WHERE id <= 10;`)).toMatchObject({ command: 'UPDATE', rowsAffected: 10 });
    }, 60_000);

    it.skipIf(bankFile === null)('leaves the INTO table as it was when the source fails part-way, replacing or appending', async () => {
      const before = firstRow(await run(server, `SELECT COUNT(*) AS n, SUM(score) AS total FROM ${scores};`));
      // On the stream, which reads every source column: the database computes only the columns
      // the prediction uses, and the failing one (boom, or a job the model ignores) is not among them.
      const replacing = await failure(run(server, `PREDICT ${model} FROM (${failingSource(bank)}) INTO ${scores} KEY id USING engine = 'stream';`));
      expect(replacing.code).toBe('database');
      expect(replacing.message).toMatch(sourceFailure);
      expect(firstRow(await run(server, `SELECT COUNT(*) AS n, SUM(score) AS total FROM ${scores};`))).toEqual(before);
      const appending = await failure(run(server, `PREDICT ${model} FROM (${failingSource(bank)}) INTO ${scores} KEY id APPEND USING engine = 'stream';`));
      expect(appending.message).toMatch(sourceFailure);
      expect(firstRow(await run(server, `SELECT COUNT(*) AS n, SUM(score) AS total FROM ${scores};`))).toEqual(before);
    }, 60_000);

    it('passes other statements through, and a server error leaves the connection usable', async () => {
      const created = await run(server, `CREATE TABLE ${scratch} (id INTEGER PRIMARY KEY, note TEXT);`);
      expect(created.command).toBe('CREATE TABLE');
      expect((await run(server, `INSERT INTO ${scratch} VALUES (1, 'a'), (2, 'b');`)).rowsAffected).toBe(2);
      const duplicate = await failure(run(server, `INSERT INTO ${scratch} VALUES (1, 'again');`));
      expect(duplicate.code).toBe('database');
      expect(duplicate.message).toMatch(duplicateKey);
      expect((await run(server, `SELECT note FROM ${scratch} ORDER BY id;`)).rows).toEqual([['a'], ['b']]);
      const missing = await failure(run(server, `SELECT * FROM ${prefix}_no_such_table;`));
      expect(missing.code).toBe('database');
      expect(missing.message).toContain(`${prefix}_no_such_table`);
      expect(firstRow(await run(server, 'SELECT 40 + 2 AS answer;')).answer).toBe(42);
    });

    it.skipIf(bankFile === null)('drops the model and all its versions, and SHOW MODELS forgets it', async () => {
      await run(server, `DROP MODEL ${model};`);
      const shown = await run(server, 'SHOW MODELS;');
      const nameColumn = shown.columns.findIndex((column) => column.name === 'name');
      expect(shown.rows.map((row) => row[nameColumn])).not.toContain(model);
      const evaluating = await failure(run(server, `EVALUATE MODEL ${model};`));
      expect(evaluating.code).toBe('unknown_model');
      expect(evaluating.message).toMatch(new RegExp(`model ${model} does not exist`));
      expect(await server.store.exists(model)).toBe(false);
    });
  });
});
