/**
 * Fault injection on PREDICT … INTO in the database: the server kills the connection
 * running the CREATE TABLE … AS SELECT while it is mid-scan (its unordered source sleeps
 * at a late row). The statement fails with one error, the target is as it was (an
 * existing one keeps its rows, a missing one stays missing), no staging table is left,
 * and the next statement works; the same when the caller cancels it. Servers only: DuckDB is embedded, with no connection
 * another session could kill (its mid-CTAS failure is in test/engine/in-database.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import type { ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { firstRow } from '../helpers/engine.js';
import { rejectionOf } from '../helpers/errors.js';
import { ownDatabase, serverTargets } from '../helpers/servers.js';
import { inDatabaseFaultFixture, seedSource, SOURCE_ROWS, type InDatabaseFaultFixture } from './in-database-fixtures.js';

/** Longer than the test waits: a kill that never lands shows as a failed test. */
const PAUSE_SECONDS = 20;
const POLL_MS = 20;
const POLL_LIMIT_MS = 10_000;

const TARGETS = (await serverTargets()).filter((target) => target.label !== 'postgres (cursor)');

describe.each(TARGETS)('$label', ({ url: sharedUrl }) => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const [src, model, existing, missing] = [`kdb_src_${tag}`, `kdb_model_${tag}`, `kdb_old_${tag}`, `kdb_new_${tag}`];
  let engine: Engine;
  let admin: Adapter;
  let fixture: InDatabaseFaultFixture;
  const run = async (text: string): Promise<ResultTable> => (await engine.runAll(text)).at(-1)!;
  const contents = async (table: string): Promise<(readonly Value[])[]> => [...(await admin.query(`SELECT * FROM ${table}`)).rows].sort((a, b) => Number(a[0]) - Number(b[0]));

  /** Finds the session running the CTAS and kills it; fails if the statement ends first. */
  async function killCtas(statement: Promise<unknown>): Promise<void> {
    let settled = false;
    statement.then(() => (settled = true), () => (settled = true));
    const deadline = Date.now() + POLL_LIMIT_MS;
    for (;;) {
      const found = (await admin.query(fixture.ctas)).rows;
      if (found.length > 0) {
        await admin.query(fixture.kill(found[0]![0]!));
        return;
      }
      if (settled || Date.now() > deadline) throw new Error('the CREATE TABLE … AS SELECT was never seen running');
      await new Promise((done) => setTimeout(done, POLL_MS));
    }
  }

  beforeAll(async () => {
    const url = await ownDatabase(sharedUrl, 'indbkill');
    engine = await Engine.open(url);
    admin = await openAdapter(url);
    fixture = inDatabaseFaultFixture(admin.sql.name, PAUSE_SECONDS);
    await seedSource(admin, src);
    await run(`CREATE MODEL ${model} FROM (SELECT x1, x2, y FROM ${src}) PREDICT y USING passes = 2;`);
  }, 120_000);

  afterAll(async () => {
    for (const table of [src, existing, missing]) await admin?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await run(`DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    await engine?.close();
    await admin?.close();
  });

  it('a connection killed mid-CTAS: one error, an existing target as it was, a missing one still missing, no staging table', async () => {
    await run(`PREDICT ${model} FROM (SELECT * FROM ${src} WHERE id <= 9) INTO ${existing} KEY id USING engine = 'stream';`);
    const before = await contents(existing);
    for (const target of [existing, missing]) {
      const statement = run(`PREDICT ${model} FROM ${fixture.paused(src)} INTO ${target} KEY id USING engine = 'database';`);
      await killCtas(statement);
      const error = await rejectionOf(statement);
      expect(['connection', 'database']).toContain(error.code);
    }
    expect(await contents(existing)).toEqual(before);
    expect(await admin.tableExists({ name: missing })).toBe(false);
    expect(Number((await admin.query(fixture.staging)).rows[0]![0])).toBe(0);
    expect(firstRow(await run(`PREDICT ${model} FROM ${src} INTO ${existing} KEY id USING engine = 'database';`))).toMatchObject({ rows_written: SOURCE_ROWS, engine: 'database' });
  }, 60_000);

  it('PREDICT … INTO in the database cancelled by its caller: `cancelled`, the statement stopped on the server, the target as it was, no staging table', async () => {
    await run(`PREDICT ${model} FROM (SELECT * FROM ${src} WHERE id <= 9) INTO ${existing} KEY id USING engine = 'stream';`);
    const before = await contents(existing);
    const controller = new AbortController();
    const statement = engine.runAll(`PREDICT ${model} FROM ${fixture.paused(src)} INTO ${existing} KEY id USING engine = 'database';`, { signal: controller.signal });
    let settled = false;
    statement.then(() => (settled = true), () => (settled = true));
    const deadline = Date.now() + POLL_LIMIT_MS;
    while ((await admin.query(fixture.ctas)).rows.length === 0) {
      if (settled || Date.now() > deadline) throw new Error('the CREATE TABLE … AS SELECT was never seen running');
      await new Promise((done) => setTimeout(done, POLL_MS));
    }
    const started = Date.now();
    controller.abort();
    const error = await rejectionOf(statement);
    expect(error.code).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(PAUSE_SECONDS * 500);
    // PostgreSQL's parallel workers of the cancelled CTAS can outlive the leader's error by a moment.
    const stopped = Date.now() + 2_000;
    while ((await admin.query(fixture.ctas)).rows.length > 0 && Date.now() < stopped) await new Promise((done) => setTimeout(done, POLL_MS));
    expect((await admin.query(fixture.ctas)).rows).toEqual([]);
    expect(await contents(existing)).toEqual(before);
    expect(Number((await admin.query(fixture.staging)).rows[0]![0])).toBe(0);
  }, 60_000);
});
