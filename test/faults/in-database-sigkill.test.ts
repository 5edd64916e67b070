/**
 * SIGKILL of a sqlml process in the middle of PREDICT … INTO with `engine = 'database'`,
 * on each server: the CLI runs as its own process, its CREATE TABLE … AS SELECT is seen
 * running on the server (its unordered source sleeps at a late row), and the process is
 * killed there. Once the server has ended the dead client's session, the target is as it
 * was (an existing one keeps its rows, a missing one stays missing) and no staging table
 * is left: PostgreSQL rolls the CTAS back with its transaction; MySQL commits DDL as it
 * goes, so its staging table survives the session, and the next write or the next
 * process's first catalog read drops it (its writer's named lock is free: adapters/mysql/mysql-leftovers.ts).
 * DuckDB is embedded: its file is locked by the process being killed, and its CTAS and
 * swap are one transaction (the SIGKILL of its streaming write is in sigkill.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import type { ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { CliProcess } from '../helpers/cli-process.js';
import { firstRow } from '../helpers/engine.js';
import { ownDatabase, serverTargets } from '../helpers/servers.js';
import { inDatabaseFaultFixture, seedSource, SOURCE_ROWS, type InDatabaseFaultFixture } from './in-database-fixtures.js';

/** The sleep at the late row: long enough to kill the process inside it, short enough to wait out. */
const PAUSE_SECONDS = 3;
const POLL_MS = 20;
const POLL_LIMIT_MS = 20_000;

const TARGETS = (await serverTargets()).filter((target) => target.label !== 'postgres (cursor)');

async function poll<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + POLL_LIMIT_MS;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${POLL_LIMIT_MS} ms`);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

describe.each(TARGETS)('$label', ({ url: sharedUrl }) => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const [src, model, existing, missing] = [`sk_src_${tag}`, `sk_model_${tag}`, `sk_old_${tag}`, `sk_new_${tag}`];
  let url: string;
  let engine: Engine;
  let admin: Adapter;
  let fixture: InDatabaseFaultFixture;
  const run = async (text: string): Promise<ResultTable> => (await engine.runAll(text)).at(-1)!;
  const contents = async (table: string): Promise<(readonly Value[])[]> => [...(await admin.query(`SELECT * FROM ${table}`)).rows].sort((a, b) => Number(a[0]) - Number(b[0]));
  const stagingTables = async (): Promise<number> => Number((await admin.query(fixture.staging)).rows[0]![0]);

  /** Starts the CLI on PREDICT … INTO `target` in the database, kills it mid-CTAS, and waits for the server to end its session. */
  async function killMidStatement(target: string): Promise<void> {
    const cli = new CliProcess(['--db', url, '--json', '-e', `PREDICT ${model} FROM ${fixture.paused(src)} INTO ${target} KEY id USING engine = 'database'`], {});
    try {
      const session = await poll('the CREATE TABLE … AS SELECT running', async () => {
        const found = (await admin.query(fixture.ctas)).rows[0]?.[0];
        if (found === undefined && cli.child.exitCode !== null) throw new Error(`sqlml exited first: ${cli.lines.join('\n')}`);
        return found ?? undefined;
      });
      expect((await cli.kill()).signal).toBe('SIGKILL');
      // The statement was cut short: a finished one prints its result.
      expect(cli.stdout).toBe('');
      await poll('the dead client\'s session to end', async () => ((await admin.query(fixture.session(session))).rows.length === 0 ? true : undefined));
    } finally {
      if (cli.child.exitCode === null && cli.child.signalCode === null) await cli.kill();
    }
  }

  beforeAll(async () => {
    url = await ownDatabase(sharedUrl, 'indbsigkill');
    admin = await openAdapter(url);
    fixture = inDatabaseFaultFixture(admin.sql.name, PAUSE_SECONDS);
    await seedSource(admin, src);
    engine = await Engine.open(url);
    await run(`CREATE MODEL ${model} FROM (SELECT x1, x2, y FROM ${src}) PREDICT y USING passes = 2;`);
  }, 120_000);

  afterAll(async () => {
    for (const table of [src, existing, missing]) await admin?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await run(`DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    await engine?.close();
    await admin?.close();
  });

  it('killed mid-CTAS into an existing table: the table as it was; the next PREDICT … INTO leaves no staging table', async () => {
    await run(`PREDICT ${model} FROM (SELECT * FROM ${src} WHERE id <= 9) INTO ${existing} KEY id USING engine = 'stream';`);
    const before = await contents(existing);
    await killMidStatement(existing);
    expect(await contents(existing)).toEqual(before);
    // MySQL's CTAS committed before the server noticed its client gone: the leftover the next write drops.
    expect(await stagingTables()).toBe(admin.sql.capabilities.transactionalDdl ? 0 : 1);
    expect(firstRow(await run(`PREDICT ${model} FROM ${src} INTO ${existing} KEY id APPEND USING engine = 'database';`))).toMatchObject({ rows_written: SOURCE_ROWS, engine: 'database' });
    expect(await stagingTables()).toBe(0);
    expect(await contents(existing)).toHaveLength(9 + SOURCE_ROWS);
  }, 60_000);

  it("killed mid-CTAS into a missing table: still missing; the next process's first catalog read leaves no staging table", async () => {
    await killMidStatement(missing);
    expect(await admin.tableExists({ name: missing })).toBe(false);
    expect(await stagingTables()).toBe(admin.sql.capabilities.transactionalDdl ? 0 : 1);
    // Another process's first statement that reads the catalog (SHOW MODELS) makes sure of it.
    const next = await Engine.open(url);
    try {
      await next.runAll('SHOW MODELS;');
    } finally {
      await next.close();
    }
    expect(await stagingTables()).toBe(0);
    expect(await admin.tableExists({ name: missing })).toBe(false);
  }, 60_000);
});
