/**
 * SIGKILL at several points of CREATE MODEL and of PREDICT ... INTO, on every database:
 * the CLI runs as its own process, is stopped (SIGSTOP) at a point it shows (its progress
 * lines on stderr, its cache folder, its session waiting in the database) and killed
 * there. Then the target table must hold its previous rows exactly, the catalog its
 * previous versions with the previous one active, no staging table may be left, and the
 * next CLI run must leave no cache folder behind (it removes the dead process's).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../adapters/adapter.js';
import type { Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { scratchTablePrefix } from '../../src/engine/scratch-table.js';
import { CliProcess } from '../helpers/cli-process.js';
import { serverTargets } from '../helpers/servers.js';
import { numberedSourceTable } from './numbered-source.js';
import { DATABASE_FACTS } from '../helpers/database-facts.js';

const scratch = mkdtempSync(join(tmpdir(), 'sqlml-faults-kill-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The portable cursor reader is the same server; its kill points are PostgreSQL's. */
const TARGETS = [
  { label: 'duckdb', url: `duckdb:${join(scratch, 'faults.duckdb')}` },
  ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)'),
];

const ROWS = 50_000;
const MODEL = 'fault_kill_m';
/** Training rows of the model's versions: the few that make it quick. */
const FEATURES = 'SELECT x1, x2, x3, cat, y FROM fault_kill_src';
/** A source twenty times the table, for work that must still be going on when the process is stopped. */
const TWENTY_TIMES = 'fault_kill_src s CROSS JOIN fault_kill_src r WHERE r.id < 20';

const sourceTable = (dialect: DialectName): string => numberedSourceTable(dialect, 'fault_kill_src', ROWS);

/**
 * Staging tables left behind. PostgreSQL and DuckDB create theirs inside the write's
 * transaction, so any that another session sees is left over; MariaDB's are visible while
 * written, and abandoned once the lock their writer holds is free (the next write drops those).
 */
function stagingTablesQuery(dialect: DialectName): string {
  const where = "(table_name LIKE 'sqlml\\_stag%' OR table_name LIKE 'sqlml\\_old\\_%')";
  return DATABASE_FACTS[dialect].stagingVisibleWhileWritten
    ? `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND ${where} AND IS_FREE_LOCK(CONCAT('sqlml_write_', RIGHT(table_name, 12))) = 1`
    : `SELECT table_name FROM information_schema.tables WHERE ${where}`;
}

function numbers(rows: readonly (readonly Value[])[]): number[] {
  return rows.map((row) => Number(row[0]));
}

describe.each(TARGETS)('SIGKILL on $label', ({ url }) => {
  const cacheDir = join(scratch, `cache-${url.split(':')[0]}`);
  let dialect: DialectName;
  /** fault_kill_scores as the last complete PREDICT wrote it. */
  let scores: Value[][];

  async function withEngine<T>(work: (engine: Engine) => Promise<T>): Promise<T> {
    const engine = await Engine.open(url, { cacheParent: cacheDir });
    try {
      return await work(engine);
    } finally {
      await engine.close();
    }
  }

  async function rows(engine: Engine, sql: string): Promise<Value[][]> {
    const [result] = await engine.runAll(sql);
    return result!.rows as Value[][];
  }

  function scoresQuery(): string {
    return 'SELECT id, predicted_label, score FROM fault_kill_scores ORDER BY id';
  }

  function cacheFolders(): string[] {
    return readdirSync(cacheDir).filter((name) => name.startsWith('sqlml-cache-'));
  }

  function start(script: string): CliProcess {
    return new CliProcess(['--db', url, '--json', '-e', script], { SQLML_CACHE_DIR: cacheDir });
  }

  /** The catalog and the scores table as they were before the killed statement. */
  async function expectUnchanged(versions: number[]): Promise<void> {
    await withEngine(async (engine) => {
      const models = await rows(engine, 'SHOW MODELS');
      expect(models.filter((row) => row[0] === MODEL).map((row) => row[1])).toEqual([versions.at(-1)]);
      expect(numbers(await rows(engine, `SELECT version FROM sqlml_model_versions WHERE name = '${MODEL}' ORDER BY version`))).toEqual(versions);
      expect(numbers(await rows(engine, `SELECT active_version FROM sqlml_models WHERE name = '${MODEL}'`))).toEqual([versions.at(-1)]);
      expect(await rows(engine, scoresQuery())).toEqual(scores);
      // Where staging tables are seen while written, a killed writer's stays until the next write drops it.
      if (!DATABASE_FACTS[dialect].stagingVisibleWhileWritten) expect(await rows(engine, stagingTablesQuery(dialect))).toEqual([]);
    });
  }

  beforeAll(async () => {
    mkdirSync(cacheDir, { recursive: true });
    await withEngine(async (engine) => {
      dialect = engine.adapter.sql.name;
      await engine.runAll(`DROP TABLE IF EXISTS fault_kill_src; DROP TABLE IF EXISTS fault_kill_scores; DROP MODEL IF EXISTS ${MODEL};`);
      await engine.runAll(sourceTable(dialect));
      await engine.runAll(`CREATE MODEL ${MODEL} FROM (${FEATURES} WHERE id < 5000) PREDICT y USING passes = 2`);
      await engine.runAll(`PREDICT ${MODEL} FROM (SELECT * FROM fault_kill_src WHERE id < 20000) INTO fault_kill_scores KEY id`);
      scores = await rows(engine, scoresQuery());
    });
    expect(scores).toHaveLength(20_000);
  }, 60_000);

  it('during the read (pass 0): the table and the catalog are as before, the dead process leaves its cache folder', async () => {
    const cli = start(`CREATE OR REPLACE MODEL ${MODEL} FROM (SELECT s.x1, s.x2, s.x3, s.cat, s.y FROM ${TWENTY_TIMES}) PREDICT y`);
    await cli.stopAt(/^reading /);
    const [folder] = cacheFolders().filter((name) => name.includes(`-${cli.pid}-`));
    expect(folder).toBeDefined();
    // Still reading: the example caches are made once the read is over.
    expect(readdirSync(join(cacheDir, folder!)).sort()).toEqual(['rows.bin']);
    expect((await cli.kill()).signal).toBe('SIGKILL');
    expect(cacheFolders()).toContain(folder);
    await expectUnchanged([1]);
  });

  it('during a later pass', async () => {
    const cli = start(`CREATE OR REPLACE MODEL ${MODEL} FROM (${FEATURES}) PREDICT y USING passes = 30, early_stopping = false`);
    const line = await cli.stopAt(/^training .*pass ([3-9]|\d\d)\/30/);
    expect(cli.lines.some((seen) => /^(finishing|evaluating)/.test(seen))).toBe(false);
    expect(line).toMatch(/pass \d+\/30/);
    expect((await cli.kill()).signal).toBe('SIGKILL');
    expect(cacheFolders().some((name) => name.includes(`-${cli.pid}-`))).toBe(true);
    await expectUnchanged([1]);
  });

  it('during PREDICT ... INTO (the write-back)', async () => {
    const cli = start(
      `PREDICT ${MODEL} FROM (SELECT s.id + 1000000 * (r.id + 1) AS id, s.x1, s.x2, s.x3, s.cat FROM ${TWENTY_TIMES}) INTO fault_kill_scores KEY id USING engine = 'stream'`,
    );
    await cli.stopAt(/^predicting /);
    // Stopped before the statement finished: its result would be on stdout.
    expect(cli.stdout).toBe('');
    expect((await cli.kill()).signal).toBe('SIGKILL');
    await expectUnchanged([1]);
  });

  it('during the catalog write (after the version row, before it is made active)', async () => {
    const script = `CREATE OR REPLACE MODEL ${MODEL} FROM (${FEATURES} WHERE id < 5000) PREDICT y USING passes = 2`;
    if (DATABASE_FACTS[dialect].embedded) {
      // No other process can watch an embedded database: the driver's test hook holds the statement.
      const cli = new CliProcess(['--db', url, '--json', '-e', script], { SQLML_CACHE_DIR: cacheDir, SQLML_TEST_HOLD_BEFORE: 'update "sqlml_models" set "active_version"' });
      await cli.stopAt(/^sqlml: holding before update "sqlml_models" set "active_version"/);
      expect(cli.stdout).toBe('');
      expect((await cli.kill()).signal).toBe('SIGKILL');
      await expectUnchanged([1]);
      return;
    }
    // Another session holds an uncommitted version 2, so the training's own insert of
    // version 2 waits inside its catalog transaction, where it is killed.
    const holder = await holdVersion(url, MODEL, 2);
    try {
      const cli = start(script);
      const session = await holder.waitForBlockedInsert(cli);
      cli.child.kill('SIGSTOP');
      expect(cli.stdout).toBe('');
      expect((await cli.kill()).signal).toBe('SIGKILL');
      await holder.rollback();
      // The killed client's session finishes its insert once unblocked and then finds its client gone.
      await holder.waitGone(session);
    } finally {
      await holder.close();
    }
    await expectUnchanged([1]);
  });

  it("during a training in the database (its iterations): its scratch table stays, and the next training drops it", async () => {
    const model = 'fault_kill_db';
    const scratchTables = async (engine: Engine): Promise<string[]> =>
      (await rows(engine, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'sqlml%'")).map((row) => String(row[0])).filter((name) => name.startsWith(scratchTablePrefix(model)));
    const cli = start(`CREATE OR REPLACE MODEL ${model} FROM (${FEATURES}) PREDICT y USING engine = 'database'`);
    await cli.stopAt(/^finishing/);
    expect((await cli.kill()).signal).toBe('SIGKILL');
    await withEngine(async (engine) => {
      const [left] = await scratchTables(engine);
      expect(left).toBeDefined();
      // The server frees the dead session's lock once it has seen the connection close.
      for (let waited = 0; ; waited += 50) {
        const lock = await engine.adapter.holdLock(left!);
        if (lock !== null) {
          await lock.release();
          break;
        }
        expect(waited).toBeLessThan(10_000);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await engine.runAll(`CREATE OR REPLACE MODEL ${model} FROM (${FEATURES}) PREDICT y USING engine = 'database'`);
      expect(await scratchTables(engine)).toEqual([]);
      await engine.runAll(`DROP MODEL ${model}`);
    });
  });

  it('the next run trains and writes, and no cache folder or staging table is left', async () => {
    expect(cacheFolders().length).toBeGreaterThan(0);
    const cli = start(`RETRAIN MODEL ${MODEL} USING passes = 2; PREDICT ${MODEL} FROM (SELECT * FROM fault_kill_src WHERE id < 20000) INTO fault_kill_scores KEY id;`);
    const exit = await cli.exited;
    expect(exit, cli.lines.join('\n')).toEqual({ code: 0, signal: null });
    expect(cacheFolders()).toEqual([]);
    await withEngine(async (engine) => {
      expect(numbers(await rows(engine, `SELECT version FROM sqlml_model_versions WHERE name = '${MODEL}' ORDER BY version`))).toEqual([1, 2]);
      expect(numbers(await rows(engine, `SELECT active_version FROM sqlml_models WHERE name = '${MODEL}'`))).toEqual([2]);
      expect(await rows(engine, stagingTablesQuery(dialect))).toEqual([]);
      expect(await rows(engine, 'SELECT count(*) FROM fault_kill_scores')).toEqual([[expect.anything()]]);
      expect(Number((await rows(engine, 'SELECT count(*) FROM fault_kill_scores'))[0]![0])).toBe(20_000);
    });
  });
});

/** A session of its own holding an uncommitted catalog row, and the session it blocks. */
interface VersionHolder {
  /** The database session id of the CLI's insert once it waits on the held row. */
  waitForBlockedInsert(cli: CliProcess): Promise<number>;
  rollback(): Promise<void>;
  /** Until the session `id` has ended. */
  waitGone(id: number): Promise<void>;
  close(): Promise<void>;
}

const HELD_ROW = (model: string, version: number): unknown[] => [model, version, 'ready', 'binary', 'y', '{}', '{}', '{}', '{}', 'null', '(held)', '2026-01-01T00:00:00.000Z'];
const HELD_COLUMNS = 'name, version, status, type, target, options, recipe, model, training_stats, evaluation, source_query, created_at';

async function poll<T>(what: string, probe: () => Promise<T | undefined>, cli?: CliProcess, timeoutMs = 25_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (cli !== undefined && cli.child.exitCode !== null) throw new Error(`sqlml exited before ${what}; stderr:\n${cli.lines.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function holdVersion(url: string, model: string, version: number): Promise<VersionHolder> {
  if (url.startsWith('postgres')) {
    const holder = new pg.Client({ connectionString: url });
    const watcher = new pg.Client({ connectionString: url });
    await holder.connect();
    await watcher.connect();
    await holder.query('BEGIN');
    await holder.query(`INSERT INTO sqlml_model_versions (${HELD_COLUMNS}) VALUES (${HELD_ROW(model, version).map((_, i) => `$${i + 1}`).join(', ')})`, HELD_ROW(model, version));
    return {
      waitForBlockedInsert: (cli) =>
        poll(
          'its catalog insert to wait on the held row',
          async () => {
            const found = await watcher.query(
              "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE 'insert into%sqlml_model_versions%'",
            );
            return found.rows[0]?.pid as number | undefined;
          },
          cli,
        ),
      rollback: async () => void (await holder.query('ROLLBACK')),
      waitGone: (pid) =>
        poll('the killed session to end', async () => ((await watcher.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0 ? true : undefined)).then(() => undefined),
      close: async () => {
        await holder.end();
        await watcher.end();
      },
    };
  }
  const holder = await mysql.createConnection(url);
  const watcher = await mysql.createConnection(url);
  await holder.query('START TRANSACTION');
  await holder.query(`INSERT INTO sqlml_model_versions (${HELD_COLUMNS}) VALUES (?)`, [HELD_ROW(model, version)]);
  return {
    waitForBlockedInsert: (cli) =>
      poll(
        'its catalog insert to wait on the held row',
        async () => {
          const [found] = await watcher.query(
            "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'insert into%sqlml_model_versions%' AND id <> CONNECTION_ID()",
          );
          return (found as { id: number }[])[0]?.id;
        },
        cli,
      ),
    rollback: async () => void (await holder.query('ROLLBACK')),
    waitGone: (id) =>
      poll('the killed session to end', async () => {
        const [found] = await watcher.query('SELECT 1 FROM information_schema.processlist WHERE id = ?', [id]);
        return (found as unknown[]).length === 0 ? true : undefined;
      }).then(() => undefined),
    close: async () => {
      await holder.end();
      await watcher.end();
    },
  };
}

describe('a live process keeps its cache', () => {
  it("another process's training leaves the cache folder of one that is alive (stopped mid-training) alone", async () => {
    const cacheDir = join(scratch, 'cache-live');
    mkdirSync(cacheDir);
    const cli = new CliProcess(
      ['--db', `duckdb:${join(scratch, 'live.duckdb')}`, '--json', '-e', `${sourceTable('duckdb')}; CREATE MODEL live_m FROM (${FEATURES}) PREDICT y USING passes = 6, early_stopping = false`],
      { SQLML_CACHE_DIR: cacheDir },
    );
    try {
      await cli.stopAt(/^training .*pass [3-5]\/6/);
      const [folder] = readdirSync(cacheDir);
      expect(folder).toContain(`-${cli.pid}-`);
      const other = await Engine.open('duckdb::memory:', { cacheParent: cacheDir });
      try {
        await other.runAll('CREATE TABLE t AS SELECT i % 2 AS y, i AS x FROM range(1000) AS r(i); CREATE MODEL other_m FROM t PREDICT y USING passes = 1');
      } finally {
        await other.close();
      }
      expect(readdirSync(cacheDir)).toEqual([folder]);
    } finally {
      cli.child.kill('SIGCONT');
    }
    const exit = await cli.exited;
    expect(exit, cli.lines.join('\n')).toEqual({ code: 0, signal: null });
    expect(JSON.parse(cli.stdout.trim().split('\n').at(-1)!).command).toBe('CREATE MODEL');
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});
