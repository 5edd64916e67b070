/**
 * CREATE, RETRAIN, DROP and PREDICT of one model from separate processes at once: the
 * racing statements run in `sqlml` CLI processes, the DROP and PREDICT that meet them in
 * this one. The races are made to happen, not hoped for: a connection of the test's own holds
 * the lock the racing statements need (an uncommitted row of the model, the model's
 * row, the source table) until every process is seen waiting on it in the server's lock
 * views, then lets go. A RETRAIN killed by SIGKILL while it stores is the same kind of
 * race with a dead racer. After each the catalog is checked: one model, versions 1..n
 * with the newest active, no version without its model.
 *
 * DuckDB lets one process at a time open a database file, so there the second process
 * gets a clear "cannot open" error and changes nothing, and the races are run between
 * two engines in one process (which share the database, as `sqlml serve` and a job do).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { SqlmlError } from '../../src/errors.js';
import { repoRoot, sqlml, type CliRun } from '../helpers/cli.js';
import { firstRow, run } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';

const SERVERS = (await serverTargets()).filter((target) => target.label !== 'postgres (cursor)');
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const SOURCE_ROWS = 300;
const RACE_TIMEOUT = 60_000;

/** A table every dialect creates the same way, with a binary target `y`. */
function sourceStatements(table: string): string[] {
  const rows = Array.from({ length: SOURCE_ROWS }, (_, i) => {
    const x = ((i * 37) % 100) / 10;
    return `(${i + 1}, ${x}, '${['basic', 'plus', 'pro'][i % 3]}', ${x > 5 ? 1 : 0})`;
  });
  return [`CREATE TABLE ${table} (id INTEGER NOT NULL PRIMARY KEY, x DOUBLE PRECISION, plan VARCHAR(10), y INTEGER)`, `INSERT INTO ${table} VALUES ${rows.join(', ')}`];
}

/** What the catalog holds for `model`: its active version and stored versions, and versions whose model row is gone. */
async function catalogState(engine: Engine, model: string): Promise<{ active: number | null; versions: number[]; orphans: number }> {
  const models = await engine.adapter.query(`SELECT active_version FROM sqlml_models WHERE name = '${model}'`);
  const versions = await engine.adapter.query(`SELECT version FROM sqlml_model_versions WHERE name = '${model}' ORDER BY version`);
  const orphans = await engine.adapter.query(
    `SELECT count(*) FROM sqlml_model_versions v WHERE v.name = '${model}' AND NOT EXISTS (SELECT 1 FROM sqlml_models m WHERE m.name = v.name)`,
  );
  const active = models.rows[0]?.[0];
  return {
    active: active === undefined || active === null ? null : Number(active),
    versions: versions.rows.map((row) => Number(row[0])),
    orphans: Number(orphans.rows[0]![0]),
  };
}

/** SHOW MODELS' rows for `model`, as [name, version]. */
async function shown(engine: Engine, model: string): Promise<Value[][]> {
  return (await run(engine, 'SHOW MODELS;')).rows.filter((row) => row[0] === model).map((row) => [row[0]!, Number(row[1])]);
}

/** The one `error: …` line a failed CLI run prints, checked to be alone on stderr (no stack trace). */
function errorLine(result: CliRun): string {
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0]!;
}

/** A plain connection of the test's own that holds locks. */
interface LockHolder {
  run(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** How each server locks a table against every reader, and lists the sessions waiting for a lock. */
interface Locking {
  /** Statements that take the lock and keep it until `unlock`. */
  lockTable(table: string): readonly string[];
  readonly unlock: string;
  /** One number: the sessions of this database waiting for a lock, from the server's own views. */
  readonly waiters: string;
}

const LOCKING: Record<'postgres' | 'mysql', Locking> = {
  postgres: {
    lockTable: (table) => ['BEGIN', `LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`],
    unlock: 'COMMIT',
    waiters: `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  },
  mysql: {
    lockTable: (table) => [`LOCK TABLES ${table} WRITE`],
    unlock: 'UNLOCK TABLES',
    waiters: `SELECT (SELECT COUNT(*) FROM information_schema.innodb_trx t JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
                  WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE())
              + (SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() AND state LIKE 'Waiting for table%lock')`,
  },
};

function locking(engine: Engine): Locking {
  return LOCKING[engine.adapter.sql.name as 'postgres' | 'mysql'];
}

async function lockHolder(url: string): Promise<LockHolder> {
  if (url.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return { run: async (sql) => void (await client.query(sql)), close: () => client.end() };
  }
  const connection = await mysql.createConnection(url);
  return { run: async (sql) => void (await connection.query(sql)), close: () => connection.end() };
}

/** Sessions of this database waiting for a lock, from the server's own views. */
async function lockWaiters(engine: Engine): Promise<number> {
  return Number((await engine.adapter.query(locking(engine).waiters)).rows[0]![0]);
}

/**
 * Waits (bounded polling) until `count` sessions wait for a lock; fails at once with its
 * output if one of the racing processes ends first, since it was never held.
 */
async function untilWaiting(engine: Engine, count: number, racers: readonly Promise<CliRun>[]): Promise<void> {
  let ended: CliRun | undefined;
  for (const racer of racers) void racer.then((result) => (ended ??= result));
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (ended) throw new Error(`a racing process ended before it reached the lock (exit ${ended.code}): ${ended.stdout}${ended.stderr}`);
    if ((await lockWaiters(engine)) >= count) return;
    if (Date.now() > deadline) throw new Error(`${count} sessions never waited for the lock`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `sqlml …args` as test/helpers/cli.ts runs it, with the process at hand to kill. */
function killableSqlml(args: readonly string[]): { pid: number; done: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const entry = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'cli-entry.ts');
  const { SQLML_DB: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: repoRoot, env, stdio: 'ignore' });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => child.on('exit', (code, signal) => resolveExit({ code, signal })));
  return { pid: child.pid!, done };
}

describe.each(SERVERS)('$label: racing processes', ({ url }) => {
  let engine: Engine;
  const source = `fcc_src_${tag}`;
  const scores = `fcc_scores_${tag}`;
  const models: string[] = [];
  const model = (stem: string): string => {
    const name = `fcc_${stem}_${tag}`;
    models.push(name);
    return name;
  };
  const cli = (statement: string): Promise<CliRun> => sqlml(['--db', url, '-e', statement]);
  const catalogRow = (name: string): string => `INSERT INTO sqlml_models (name, active_version, created_at, updated_at) VALUES ('${name}', NULL, 'held', 'held')`;

  beforeAll(async () => {
    engine = await Engine.open(url);
    await engine.store.ensureSchema();
    await engine.adapter.query(`DROP TABLE IF EXISTS ${source}`);
    for (const statement of sourceStatements(source)) await engine.adapter.query(statement);
  }, 60_000);

  afterAll(async () => {
    if (!engine) return;
    for (const name of models) await run(engine, `DROP MODEL IF EXISTS ${name};`).catch(() => undefined);
    for (const table of [source, scores]) await engine.adapter.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await engine.close();
  });

  it(
    'three CREATE MODEL at once: exactly one stores version 1, the others fail with "already exists"',
    async () => {
      const name = model('create');
      const holder = await lockHolder(url);
      try {
        // An uncommitted row of the model: every process passes its early check, trains,
        // and then waits on this row to store its version.
        await holder.run('BEGIN');
        await holder.run(catalogRow(name));
        const racers = [1, 2, 3].map(() => cli(`CREATE MODEL ${name} FROM ${source} PREDICT y USING passes = 2;`));
        await untilWaiting(engine, 3, racers);
        await holder.run('ROLLBACK');
        const results = await Promise.all(racers);
        const winners = results.filter((result) => result.code === 0);
        expect(winners, results.map((r) => r.stderr).join('\n')).toHaveLength(1);
        for (const loser of results.filter((result) => result.code !== 0)) {
          expect(loser.code).toBe(1);
          expect(errorLine(loser)).toBe(`error: model ${name} already exists (CREATE OR REPLACE MODEL or RETRAIN MODEL ${name} trains a new version)`);
        }
      } finally {
        await holder.close();
      }
      expect(await catalogState(engine, name)).toEqual({ active: 1, versions: [1], orphans: 0 });
      expect(await shown(engine, name)).toEqual([[name, 1]]);
    },
    RACE_TIMEOUT,
  );

  it(
    'DROP MODEL while RETRAIN MODEL reads its source: the drop stays, the retrain fails saying so',
    async () => {
      const name = model('retrain_drop');
      await run(engine, `CREATE MODEL ${name} FROM ${source} PREDICT y USING passes = 2;`);
      const holder = await lockHolder(url);
      try {
        for (const statement of locking(engine).lockTable(source)) await holder.run(statement);
        const retrain = cli(`RETRAIN MODEL ${name};`);
        await untilWaiting(engine, 1, [retrain]);
        // From this process: another one than the retrain's, and no process start to wait for.
        expect(firstRow(await run(engine, `DROP MODEL ${name};`)).dropped).toBe(true);
        await holder.run(locking(engine).unlock);
        const result = await retrain;
        expect(result.code).toBe(1);
        expect(errorLine(result)).toBe(`error: model ${name} was dropped while it was being retrained; nothing was stored`);
      } finally {
        await holder.close();
      }
      expect(await catalogState(engine, name)).toEqual({ active: null, versions: [], orphans: 0 });
      expect(await shown(engine, name)).toEqual([]);
    },
    RACE_TIMEOUT,
  );

  it(
    'DROP MODEL while CREATE OR REPLACE MODEL reads its source: the model is created afresh as version 1',
    async () => {
      const name = model('replace_drop');
      await run(engine, `CREATE MODEL ${name} FROM ${source} PREDICT y USING passes = 2;`);
      await run(engine, `RETRAIN MODEL ${name};`);
      const holder = await lockHolder(url);
      try {
        for (const statement of locking(engine).lockTable(source)) await holder.run(statement);
        const replace = cli(`CREATE OR REPLACE MODEL ${name} FROM ${source} PREDICT y USING passes = 2;`);
        await untilWaiting(engine, 1, [replace]);
        // From this process: another one than the retrain's, and no process start to wait for.
        expect(firstRow(await run(engine, `DROP MODEL ${name};`)).dropped).toBe(true);
        await holder.run(locking(engine).unlock);
        const result = await replace;
        expect(result.code, result.stderr).toBe(0);
      } finally {
        await holder.close();
      }
      // Versions 1 and 2 went with the drop; the replacement starts over, with nothing left of them.
      expect(await catalogState(engine, name)).toEqual({ active: 1, versions: [1], orphans: 0 });
      expect(await shown(engine, name)).toEqual([[name, 1]]);
    },
    RACE_TIMEOUT,
  );

  it(
    'two RETRAIN MODEL storing at once become versions 2 and 3, and a PREDICT meanwhile writes every row',
    async () => {
      const name = model('retrain_twice');
      await run(engine, `CREATE MODEL ${name} FROM ${source} PREDICT y USING passes = 2;`);
      const holder = await lockHolder(url);
      try {
        // The model's row locked: both retrains train, then wait to store.
        await holder.run('BEGIN');
        await holder.run(`SELECT name FROM sqlml_models WHERE name = '${name}' FOR UPDATE`);
        const racers = [1, 2].map(() => cli(`RETRAIN MODEL ${name};`));
        await untilWaiting(engine, 2, racers);
        const predicted = firstRow(await run(engine, `PREDICT ${name} FROM ${source} INTO ${scores} KEY id;`));
        expect(predicted.rows_written).toBe(SOURCE_ROWS);
        await holder.run('COMMIT');
        const results = await Promise.all(racers);
        for (const result of results) expect(result.code, result.stderr).toBe(0);
        const versions = results.map((result) => Number(/\|\s*(\d+)\s*\|\s*binary/.exec(result.stdout)?.[1]));
        expect(versions.sort()).toEqual([2, 3]);
      } finally {
        await holder.close();
      }
      expect(await catalogState(engine, name)).toEqual({ active: 3, versions: [1, 2, 3], orphans: 0 });
      expect(await shown(engine, name)).toEqual([[name, 3]]);
      expect(Number((await engine.adapter.query(`SELECT count(*) FROM ${scores}`)).rows[0]![0])).toBe(SOURCE_ROWS);
    },
    RACE_TIMEOUT,
  );
});

describe.each(SERVERS)('$label: a killed process', ({ url }) => {
  let engine: Engine;
  const source = `fck_src_${tag}`;
  const name = `fck_model_${tag}`;

  beforeAll(async () => {
    engine = await Engine.open(url);
    await engine.adapter.query(`DROP TABLE IF EXISTS ${source}`);
    for (const statement of sourceStatements(source)) await engine.adapter.query(statement);
    await run(engine, `CREATE MODEL ${name} FROM ${source} PREDICT y USING passes = 2;`);
  }, 60_000);

  afterAll(async () => {
    if (!engine) return;
    await run(engine, `DROP MODEL IF EXISTS ${name};`).catch(() => undefined);
    await engine.adapter.query(`DROP TABLE IF EXISTS ${source}`).catch(() => undefined);
    await engine.close();
  });

  it(
    'a RETRAIN killed (SIGKILL) while it stores its version leaves the catalog as it was, and the next one is version 2',
    async () => {
      const holder = await lockHolder(url);
      try {
        await holder.run('BEGIN');
        await holder.run(`SELECT name FROM sqlml_models WHERE name = '${name}' FOR UPDATE`);
        const retrain = killableSqlml(['--db', url, '-e', `RETRAIN MODEL ${name};`]);
        // Its store has begun: it waits on the model's row inside the storing transaction.
        await untilWaiting(engine, 1, [retrain.done.then(() => ({ code: -1, stdout: '', stderr: 'exited' }))]);
        process.kill(retrain.pid, 'SIGKILL');
        expect((await retrain.done).signal).toBe('SIGKILL');
        await holder.run('COMMIT');
      } finally {
        await holder.close();
      }
      expect(await catalogState(engine, name)).toEqual({ active: 1, versions: [1], orphans: 0 });
      expect(Number(firstRow(await run(engine, `RETRAIN MODEL ${name};`)).version)).toBe(2);
      expect(await catalogState(engine, name)).toEqual({ active: 2, versions: [1, 2], orphans: 0 });
    },
    RACE_TIMEOUT,
  );
});

describe('duckdb: one process per file, engines in one process', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sqlml-faults-'));
  const url = `duckdb:${join(scratch, 'race.duckdb')}`;
  let first: Engine;
  let second: Engine;

  beforeAll(async () => {
    first = await Engine.open(url);
    second = await Engine.open(url);
    for (const statement of sourceStatements('src')) await first.adapter.query(statement);
    await run(first, 'CREATE MODEL kept FROM src PREDICT y USING passes = 2;');
  }, 60_000);

  afterAll(async () => {
    await first?.close();
    await second?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('a second process cannot open the file while this one has it, says so in one line, and changes nothing', async () => {
    const result = await sqlml(['--db', url, '-e', 'DROP MODEL kept;']);
    expect(result.code).toBe(1);
    expect(errorLine(result)).toMatch(/^error: cannot open DuckDB database .*race\.duckdb: .*lock/i);
    expect(await catalogState(first, 'kept')).toEqual({ active: 1, versions: [1], orphans: 0 });
  }, 30_000);

  it('two CREATE MODEL of one name on two engines at once: one wins, the other is told it exists', async () => {
    const outcomes = await Promise.allSettled([
      run(first, 'CREATE MODEL twin FROM src PREDICT y USING passes = 2;'),
      run(second, 'CREATE MODEL twin FROM src PREDICT y USING passes = 2;'),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(SqlmlError);
    expect((refused.reason as SqlmlError).message).toBe('model twin already exists (CREATE OR REPLACE MODEL or RETRAIN MODEL twin trains a new version)');
    expect(await catalogState(first, 'twin')).toEqual({ active: 1, versions: [1], orphans: 0 });
  }, 30_000);

  it('DROP MODEL on one engine while the other retrains: the drop stays, the retrain fails saying so', async () => {
    await run(first, 'CREATE MODEL doomed FROM src PREDICT y USING passes = 2;');
    // The drop lands between the retrain's start (it has read the model) and its store.
    const store = first.store;
    const save = store.saveVersion.bind(store);
    let dropped: unknown;
    store.saveVersion = async (...args) => {
      dropped = firstRow(await run(second, 'DROP MODEL doomed;')).dropped;
      return save(...args);
    };
    try {
      await expect(run(first, 'RETRAIN MODEL doomed;')).rejects.toThrow('model doomed was dropped while it was being retrained; nothing was stored');
    } finally {
      store.saveVersion = save;
    }
    expect(dropped).toBe(true);
    expect(await catalogState(first, 'doomed')).toEqual({ active: null, versions: [], orphans: 0 });
    expect(await shown(second, 'doomed')).toEqual([]);
  }, 30_000);

  it('two RETRAIN MODEL on two engines at once become versions 2 and 3', async () => {
    const results = await Promise.all([run(first, 'RETRAIN MODEL kept;'), run(second, 'RETRAIN MODEL kept;')]);
    expect(results.map((result) => Number(firstRow(result).version)).sort()).toEqual([2, 3]);
    expect(await catalogState(second, 'kept')).toEqual({ active: 3, versions: [1, 2, 3], orphans: 0 });
  }, 30_000);
});
