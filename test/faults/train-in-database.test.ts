/**
 * Faults of CREATE MODEL … USING engine = 'database' (src/engine/train-in-database.ts),
 * the way they happen: the database's own error on a late row of the source (not behind
 * ORDER BY), the training's session killed by the server while it runs its aggregates
 * over the scratch table (pg_terminate_backend / KILL), and a cancel in the middle of the
 * finish's iterations. Each ends in one clear error; the model's previous version stays
 * the active one, and no scratch table is left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../adapters/adapter.js';
import type { ResultTable } from '../../src/data.js';
import type { Progress } from '../../src/engine/context.js';
import { Engine } from '../../src/engine/engine.js';
import { SCRATCH_PREFIX } from '../../src/engine/scratch-table.js';
import { duckdbFixture } from '../adapters/fixtures/duckdb.js';
import type { DialectFixture } from '../adapters/fixtures/fixture.js';
import { serverFixtures } from '../adapters/fixtures/servers.js';
import { firstRow } from '../helpers/engine.js';
import { rejectionOf } from '../helpers/errors.js';
import { serverTargets } from '../helpers/servers.js';

const FIXTURES: Partial<Record<DialectName, DialectFixture>> = { duckdb: duckdbFixture, ...serverFixtures };
const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];
const ROWS = 40_000;

/** The other sessions running a statement over a scratch table (not its CREATE or DROP), and how the server ends one. */
const KILL = {
  postgres: {
    running: `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE 'SELECT%${SCRATCH_PREFIX}%'`,
    kill: (id: unknown) => `SELECT pg_terminate_backend(${Number(id)})`,
  },
  mysql: {
    running: `SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND command = 'Query' AND info LIKE 'SELECT%${SCRATCH_PREFIX}%'`,
    kill: (id: unknown) => `KILL CONNECTION ${Number(id)}`,
  },
} as const;

describe.each(TARGETS)('$label', ({ url }) => {
  let engine: Engine;
  let admin: Engine;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const table = `tidf_${tag}`;
  const model = `tidf_model_${tag}`;
  const run = async (text: string, options: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {}): Promise<ResultTable> => (await engine.runAll(text, options)).at(-1)!;
  const clean = (): string => `(SELECT x1, x2, c, y FROM ${table})`;
  const scratchLeft = async (): Promise<number> => {
    const like = `'${SCRATCH_PREFIX.replaceAll('_', '\\_')}%'${admin.adapter.sql.name === 'mysql' ? '' : " ESCAPE '\\'"}`;
    return Number((await admin.adapter.query(`SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE ${like} AND table_name LIKE '%${tag}%'`)).rows[0]![0]);
  };
  const activeVersion = async (): Promise<number> => {
    const described = await run(`DESCRIBE MODEL ${model};`);
    return Number(described.rows.find((row) => row[0] === 'model' && row[1] === 'version')?.[2]);
  };

  beforeAll(async () => {
    engine = await Engine.open(url);
    admin = url.startsWith('duckdb') ? engine : await Engine.open(url);
    const q = (name: string): string => engine.adapter.sql.quoteIdent(name);
    await engine.adapter.query(`DROP TABLE IF EXISTS ${q(table)}`);
    await engine.adapter.query(`CREATE TABLE ${q(table)} (id INTEGER, x1 ${engine.adapter.sql.types.sqlTypeFor.double}, x2 ${engine.adapter.sql.types.sqlTypeFor.double}, c VARCHAR(8), y INTEGER)`);
    const values = Array.from({ length: ROWS }, (_, i) => {
      const x1 = ((i * 37) % 1000) / 100;
      const x2 = ((i * 53) % 900) / 90;
      return `(${i + 1}, ${x1}, ${x2}, '${['a', 'b', 'c'][i % 3]}', ${x1 + x2 + (i % 7) > 13 ? 1 : 0})`;
    });
    for (let from = 0; from < ROWS; from += 5000) await engine.adapter.query(`INSERT INTO ${q(table)} VALUES ${values.slice(from, from + 5000).join(', ')}`);
    for (const sql of FIXTURES[engine.adapter.sql.name]!.lateFailure.setup) await engine.adapter.query(sql);
    firstRow(await run(`CREATE MODEL ${model} FROM ${clean()} PREDICT y USING engine = 'database';`));
  }, 600_000);
  afterAll(async () => {
    if (!engine) return;
    await run(`DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    await engine.adapter.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    if (admin !== engine) await admin.close();
    await engine.close();
  });

  it("the database's own error on a late row of the source: one clear error, version 1 active, no scratch table", async () => {
    const failure = FIXTURES[engine.adapter.sql.name]!.lateFailure;
    // The last rows fail, as the database produces them: no ORDER BY puts them first.
    const failing = `(SELECT x1 + 0 * ${failure.expression('id', ROWS - 100)} AS x1, x2, c, y FROM ${table})`;
    const error = await rejectionOf(run(`CREATE OR REPLACE MODEL ${model} FROM ${failing} PREDICT y USING engine = 'database';`));
    expect(error.message).toMatch(failure.message);
    expect(await activeVersion()).toBe(1);
    expect(await scratchLeft()).toBe(0);
  }, 300_000);

  it('a cancel in the middle of the iterations: cancelled, version 1 active, no scratch table', async () => {
    const controller = new AbortController();
    let iterations = 0;
    const error = await rejectionOf(
      run(`CREATE OR REPLACE MODEL ${model} FROM ${clean()} PREDICT y USING engine = 'database';`, {
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.phase === 'finish' && ++iterations === 2) controller.abort();
        },
      }),
    );
    expect(iterations).toBe(2);
    expect(error.code).toBe('cancelled');
    expect(await activeVersion()).toBe(1);
    expect(await scratchLeft()).toBe(0);
  }, 300_000);

  it.skipIf(url.startsWith('duckdb'))('two trainings of the model at the same moment, from two processes: each on a scratch table of its own, both succeed, none is left', async () => {
    const before = await activeVersion();
    const other = await Engine.open(url);
    // What the two trainings' tables are while both run: sampled by a third session.
    let most = 0;
    let running = true;
    const watcher = (async () => {
      while (running) {
        most = Math.max(most, await scratchLeft());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    try {
      const statement = `CREATE OR REPLACE MODEL ${model} FROM ${clean()} PREDICT y USING engine = 'database';`;
      const outcomes = await Promise.allSettled([run(statement), other.runAll(statement)]);
      expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : 'ok'))).toEqual(['ok', 'ok']);
    } finally {
      running = false;
      await watcher;
      await other.close();
    }
    expect(most).toBe(2);
    expect(await activeVersion()).toBe(before + 2);
    expect(await scratchLeft()).toBe(0);
  }, 300_000);

  it.skipIf(url.startsWith('duckdb'))('the session killed by the server mid-aggregate: a clear error, version 1 active, no scratch table', async () => {
    const kill = KILL[engine.adapter.sql.name as 'postgres' | 'mysql'];
    // A kill that lands just after an aggregate finished (the killer saw it active, the
    // server ended the idle session) is survived: the pool opens a new session and the
    // training completes; so does one whose aggregates all ended between the killer's
    // looks. Each attempt must end either way cleanly, and one must land mid-aggregate.
    let landed = false;
    for (let attempt = 0; attempt < 8 && !landed; attempt++) {
      const before = await activeVersion();
      let killed = 0;
      let done = false;
      const killer = (async () => {
        while (!done && killed === 0) {
          const running = await admin.adapter.query(kill.running);
          for (const [id] of running.rows) {
            await admin.adapter.query(kill.kill(id)).catch(() => undefined);
            killed++;
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const outcome = await run(`CREATE OR REPLACE MODEL ${model} FROM ${clean()} PREDICT y USING engine = 'database';`).then(
        () => null,
        (error: unknown) => error as { code?: string },
      );
      done = true;
      await killer;
      expect(await scratchLeft()).toBe(0);
      // No kill (every aggregate ended between two looks) or one between aggregates: a clean success.
      if (outcome === null) {
        expect(await activeVersion()).toBe(before + 1);
        continue;
      }
      landed = true;
      expect(killed).toBeGreaterThan(0);
      expect(['connection', 'database']).toContain(outcome.code);
      expect(await activeVersion()).toBe(before);
    }
    expect(landed).toBe(true);
    // The engine works on: the next training in the database succeeds.
    const version = await activeVersion();
    expect(firstRow(await run(`CREATE OR REPLACE MODEL ${model} FROM ${clean()} PREDICT y USING engine = 'database';`)).version).toBe(version + 1);
  }, 300_000);
});
