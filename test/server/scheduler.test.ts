/**
 * Scheduled jobs: an EVERY job runs repeatedly and keeps its schedule through failures;
 * two schedulers on one PostgreSQL database never run one job at the same time; a dead
 * holder's lease is taken over; stop() waits for the running job; cron is croner's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { nextRun, Scheduler } from '../../src/server/scheduler.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const servers = await serverTargets();
const postgres = servers.some((t) => t.label === 'postgres');

async function runsOf(engine: Engine, job: string): Promise<{ started_at: string; finished_at: string | null; outcome: string; error: string | null }[]> {
  return engine.adapter.catalog.selectFrom('sqlml_job_runs').select(['started_at', 'finished_at', 'outcome', 'error']).where('job', '=', job).orderBy('id').execute();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the scheduler on DuckDB', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.open('duckdb::memory:');
  });
  afterAll(async () => {
    await engine.close();
  });

  it("runs a job EVERY '2 seconds' at least twice, records each run, and keeps going after failures", async () => {
    await engine.runAll(`CREATE TABLE events AS SELECT 1 AS x;
      CREATE JOB tick EVERY '2 seconds' AS PREDICT missing_model FROM events;`);
    const scheduler = new Scheduler(engine, { pollMs: 200 });
    scheduler.start();
    await sleep(2500);
    // The job fails until its model exists; then it succeeds on the same schedule.
    await engine.runAll('CREATE TABLE train AS SELECT i AS x, i % 2 = 0 AS y FROM range(200) r(i); CREATE MODEL missing_model FROM train PREDICT y;');
    await sleep(4500);
    await scheduler.stop();
    const runs = await runsOf(engine, 'tick');
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs[0]!.outcome).toBe('failed');
    expect(runs[0]!.error).toMatch(/missing_model/);
    expect(runs.some((r) => r.outcome === 'succeeded')).toBe(true);
    const [shown] = await engine.runAll('SHOW JOBS;');
    const runsColumn = shown!.columns.findIndex((c) => c.name === 'runs');
    expect(shown!.rows[0]![runsColumn]).toBe(runs.length);
  }, 20_000);

  it('stop() waits for the running job, and takes no new one', async () => {
    await engine.runAll(`CREATE TABLE big AS SELECT i AS a, (i * 7) % 13 AS b, i % 3 = 0 AS y FROM range(200000) r(i);
      CREATE JOB slow EVERY '1 hour' AS CREATE OR REPLACE MODEL slow_model FROM big PREDICT y;`);
    const scheduler = new Scheduler(engine, { pollMs: 50 });
    scheduler.start();
    // Wait until the run has started.
    for (let i = 0; i < 100 && (await runsOf(engine, 'slow')).length === 0; i++) {
      const running = await engine.adapter.catalog.selectFrom('sqlml_job_leases').select('holder').where('job', '=', 'slow').executeTakeFirst();
      if (running?.holder) break;
      await sleep(50);
    }
    await scheduler.stop();
    const runs = await runsOf(engine, 'slow');
    expect(runs).toHaveLength(1);
    expect(runs[0]!.outcome).toBe('succeeded');
    expect(runs[0]!.finished_at).not.toBeNull();
    expect(await engine.store.get('slow_model')).toBeDefined();
  }, 60_000);

  it('computes cron slots with croner (UTC) and refuses a bad expression naming it', async () => {
    expect(nextRun('cron', '0 3 * * *', new Date('2026-11-25T10:00:00Z')).toISOString()).toBe('2026-11-26T03:00:00.000Z');
    expect(nextRun('every', '15 minutes', new Date('2026-11-25T10:00:00Z')).toISOString()).toBe('2026-11-25T10:15:00.000Z');
    await expect(engine.runAll("CREATE JOB bad SCHEDULE '61 * * * *' AS SHOW MODELS;")).rejects.toThrow(/SCHEDULE '61 \* \* \* \*' is not a cron expression/);
  });
});

describe.runIf(postgres)('two schedulers on one PostgreSQL database', () => {
  const job = `shared_job_${process.pid}`;
  let a: Engine;
  let b: Engine;
  beforeAll(async () => {
    a = await Engine.open(POSTGRES_URL);
    b = await Engine.open(POSTGRES_URL);
    await a.runAll(`DROP JOB IF EXISTS ${job}; CREATE JOB ${job} EVERY '1 second' AS SHOW MODELS;`);
  });
  afterAll(async () => {
    await a.runAll(`DROP JOB IF EXISTS ${job};`);
    await a.adapter.catalog.deleteFrom('sqlml_job_leases').where('job', '=', job).execute();
    await a.close();
    await b.close();
  });

  it('never run the same job at the same time, and run each slot once', async () => {
    const first = new Scheduler(a, { pollMs: 100, holder: 'first' });
    const second = new Scheduler(b, { pollMs: 100, holder: 'second' });
    first.start();
    second.start();
    await sleep(4500);
    await Promise.all([first.stop(), second.stop()]);
    const runs = await runsOf(a, job);
    // One slot a second for ~4.5 s: 4 or 5 runs, not twice that.
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.started_at >= runs[i - 1]!.finished_at!).toBe(true);
  }, 20_000);

  it("takes over a dead holder's expired lease", async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    await a.adapter.catalog
      .updateTable('sqlml_job_leases')
      .set({ holder: 'crashed-process', expires_at: past, next_run_at: past })
      .where('job', '=', job)
      .execute();
    const before = (await runsOf(a, job)).length;
    const scheduler = new Scheduler(b, { pollMs: 100, holder: 'heir' });
    scheduler.start();
    await sleep(1500);
    await scheduler.stop();
    expect((await runsOf(a, job)).length).toBeGreaterThan(before);
  }, 10_000);
});
