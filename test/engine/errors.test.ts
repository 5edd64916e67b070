/**
 * Bad input: one clear error naming the thing at fault, nothing half-written, and the
 * engine still usable for the next statement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { SqlmlError, SqlSyntaxError } from '../../src/errors.js';
import { firstRow, memoryEngine, run } from '../helpers/engine.js';
import { CUSTOMERS_SQL } from '../helpers/tables.js';

let engine: Engine;
beforeAll(async () => {
  engine = await memoryEngine();
  await run(engine, CUSTOMERS_SQL);
  await run(engine, 'CREATE MODEL good FROM (SELECT spend, plan, churned FROM customers) PREDICT churned;');
});
afterAll(async () => {
  await engine.close();
});

async function failure(script: string): Promise<SqlmlError> {
  try {
    await run(engine, script);
  } catch (error) {
    expect(error).toBeInstanceOf(SqlmlError);
    // The engine is still usable after every failure.
    expect(firstRow(await run(engine, 'SELECT 1 AS ok;')).ok).toBe(1);
    return error as SqlmlError;
  }
  throw new Error(`expected ${script} to fail`);
}

describe('bad input gets one clear error', () => {
  it('an unparsable statement names its line and column', async () => {
    const error = await failure('SELECT 1;\nCREATE MODEL m FROM customers PREDIKT churned;');
    expect(error).toBeInstanceOf(SqlSyntaxError);
    expect(error.message).toBe('line 2, column 31: expected PREDICT, found PREDIKT');
  });

  it('an unknown model', async () => {
    const error = await failure('EVALUATE MODEL nope;');
    expect(error.code).toBe('unknown_model');
    expect(error.message).toMatch(/model nope does not exist/);
    expect((await failure('PREDICT good@7 FROM customers;')).message).toMatch(/model good has no version 7/);
  });

  it('an unknown option names it and lists the options', async () => {
    const error = await failure('CREATE MODEL m FROM customers PREDICT churned USING pases = 3;');
    expect(error.code).toBe('bad_option');
    expect(error.message).toMatch(/pases/);
    expect(error.message).toMatch(/passes/);
  });

  it('a wrong option type names the option and what it accepts', async () => {
    const error = await failure("CREATE MODEL m FROM customers PREDICT churned USING passes = 'ten';");
    expect(error.code).toBe('bad_option');
    expect(error.message).toMatch(/passes/);
  });

  it('a missing target column names it', async () => {
    const error = await failure('CREATE MODEL m FROM customers PREDICT churnd;');
    expect(error.code).toBe('bad_column');
    expect(error.message).toMatch(/churnd/);
  });

  it('an all-NULL target', async () => {
    const error = await failure('CREATE MODEL m FROM (SELECT spend, NULL::BOOLEAN AS y FROM customers) PREDICT y;');
    expect(error.code).toBe('bad_target');
    expect(error.message).toMatch(/\by\b/);
  });

  it('a single-class binary target', async () => {
    const error = await failure("CREATE MODEL m FROM (SELECT spend, 'yes' AS y FROM customers) PREDICT y USING type = binary;");
    expect(error.code).toBe('bad_target');
  });

  it('an empty result set', async () => {
    const error = await failure('CREATE MODEL m FROM (SELECT * FROM customers WHERE false) PREDICT churned;');
    expect(error.code).toBe('empty_input');
  });

  it('a missing feature column at prediction names it', async () => {
    const error = await failure('PREDICT good FROM (SELECT spend FROM customers);');
    expect(error.code).toBe('bad_column');
    expect(error.message).toMatch(/plan/);
  });

  it('a database error passes through with the database message', async () => {
    const error = await failure('SELECT * FROM no_such_table;');
    expect(error.code).toBe('database');
    expect(error.message).toMatch(/no_such_table/);
  });
});

describe('nothing half-written', () => {
  it('PREDICT INTO that fails part-way leaves the table as it was', async () => {
    await run(engine, 'PREDICT good FROM (SELECT * FROM customers WHERE id <= 300) INTO kept KEY id;');
    // error() raises inside DuckDB once the stream reaches id 3000, after batches were written.
    const error = await failure(
      "PREDICT good FROM (SELECT id, spend, CASE WHEN id > 3000 THEN error('boom at ' || id) ELSE plan END AS plan FROM customers ORDER BY id) INTO kept KEY id;",
    );
    expect(error.message).toMatch(/boom/);
    expect(firstRow(await run(engine, 'SELECT count(*) AS n, max(id) AS top FROM kept;'))).toEqual({ n: 300, top: 300 });
    // And a table that did not exist before does not exist after.
    await failure("PREDICT good FROM (SELECT id, spend, CASE WHEN id > 3000 THEN error('boom') ELSE plan END AS plan FROM customers ORDER BY id) INTO fresh_table;");
    expect(firstRow(await run(engine, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'fresh_table';")).n).toBe(0);
  });

  it('a failed training leaves the previous version active', async () => {
    const before = await engine.store.get('good');
    await failure(
      "CREATE OR REPLACE MODEL good FROM (SELECT spend, CASE WHEN id > 3500 THEN error('boom') ELSE plan END AS plan, churned FROM customers ORDER BY id) PREDICT churned;",
    );
    const after = await engine.store.get('good');
    expect(after?.version).toBe(before?.version);
    expect(after?.active).toBe(true);
    expect(firstRow(await run(engine, 'SHOW MODELS;')).version).toBe(before?.version);
  });
});
