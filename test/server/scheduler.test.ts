/**
 * The job scheduler of `sqlml serve`, against real databases: an EVERY job runs again and
 * again and keeps its schedule through failures; missed slots run once; cron slots are
 * croner's. Where the lock matters (DuckDB, and two engines = two connections on one
 * PostgreSQL or MySQL database), two schedulers never run one job at once nor one slot
 * twice, a live lease is respected (by schedulers and by RUN JOB), a dead holder's expired
 * lease is taken over, and stop() waits for the running job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRun } from '../../src/catalog/job-store.js';
import { Engine } from '../../src/engine/engine.js';
import { followingSlot, nextRun, parseCron } from '../../src/engine/jobs.js';
import { Scheduler } from '../../src/server/scheduler.js';
import { rowObject } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';
import { DATABASE_FACTS } from '../helpers/database-facts.js';

const servers = (await serverTargets()).filter((t) => t.label === 'postgres' || t.label === 'mysql');
const tag = `${process.pid}_${Date.now() % 100_000}`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value (not undefined/false), or fails after `ms`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** A scheduler whose log lines are kept for the test to read. */
function scheduler(engine: Engine, holder: string, pollMs = 100): { scheduler: Scheduler; lines: string[] } {
  const lines: string[] = [];
  return { scheduler: new Scheduler(engine, { holder, pollMs, log: (line) => lines.push(line) }), lines };
}

/** The slots a scheduler's log says it ran, e.g. "job x (slot 2026-...Z) started". */
function slotsStarted(lines: readonly string[], job: string): string[] {
  return lines.flatMap((line) => {
    const match = new RegExp(`job ${job} \\(slot ([^)]+)\\) started`).exec(line);
    return match ? [match[1]!] : [];
  });
}

async function showJob(engine: Engine, job: string): Promise<Record<string, unknown>> {
  const [shown] = await engine.runAll('SHOW JOBS;');
  const index = shown!.rows.findIndex((row) => row[0] === job);
  expect(index, `SHOW JOBS lists ${job}`).toBeGreaterThanOrEqual(0);
  return rowObject(shown!, index);
}

async function moveSlot(engine: Engine, job: string, set: { holder?: string | null; expires_at?: string | null; next_run_at?: string }): Promise<void> {
  await engine.catalog.updateTable('sqlml_job_leases').set(set).where('job', '=', job).execute();
}

function expectNoOverlap(runs: readonly JobRun[]): void {
  const ordered = [...runs].sort((x, y) => x.startedAt.localeCompare(y.startedAt));
  for (let i = 1; i < ordered.length; i++) {
    expect(ordered[i - 1]!.finishedAt, `run ${i - 1} finished`).not.toBeNull();
    expect(ordered[i]!.startedAt >= ordered[i - 1]!.finishedAt!, `run ${i} starts after run ${i - 1} ends`).toBe(true);
  }
}

describe('schedule arithmetic (croner, UTC)', () => {
  it('computes the next cron slot and the next EVERY slot', () => {
    const at = new Date('2026-11-25T10:00:00Z');
    expect(nextRun('cron', '0 3 * * *', at).toISOString()).toBe('2026-11-26T03:00:00.000Z');
    expect(nextRun('cron', '*/15 * * * *', at).toISOString()).toBe('2026-11-25T10:15:00.000Z');
    // Six fields: seconds first.
    expect(nextRun('cron', '30 * * * * *', at).toISOString()).toBe('2026-11-25T10:00:30.000Z');
    // Day-of-month and day-of-week both set: either matches, as in Vixie cron (Friday 27th before the 13th).
    expect(nextRun('cron', '0 0 13 * 5', at).toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect(nextRun('every', '15 minutes', at).toISOString()).toBe('2026-11-25T10:15:00.000Z');
  });

  it('skips slots missed while nobody ran the job, keeping EVERY on its grid', () => {
    const slot = new Date('2026-11-25T10:00:00Z');
    // Run on time: the next slot.
    expect(followingSlot({ scheduleKind: 'every', schedule: '1 hour' }, slot, new Date('2026-11-25T10:00:00.400Z')).toISOString()).toBe('2026-11-25T11:00:00.000Z');
    // Run five and a half hours late: one run now, then back on the hour.
    expect(followingSlot({ scheduleKind: 'every', schedule: '1 hour' }, slot, new Date('2026-11-25T15:30:00Z')).toISOString()).toBe('2026-11-25T16:00:00.000Z');
    expect(followingSlot({ scheduleKind: 'cron', schedule: '0 3 * * *' }, slot, new Date('2026-11-28T12:00:00Z')).toISOString()).toBe('2026-11-29T03:00:00.000Z');
  });

  it('refuses a bad cron expression with an error naming it', () => {
    expect(() => parseCron('61 * * * *')).toThrow(/^SCHEDULE '61 \* \* \* \*' is not a cron expression \(.*minute.*\)/);
    expect(() => parseCron('at noon')).toThrow(/SCHEDULE 'at noon' is not a cron expression/);
    // Seven fields (a year) are not cron as the statement documents it.
    expect(() => parseCron('0 0 0 1 1 * 2030')).toThrow(/SCHEDULE '0 0 0 1 1 \* 2030' is not a cron expression/);
    expect(() => parseCron('0 0 30 2 *')).toThrow(/SCHEDULE '0 0 30 2 \*' never fires/);
  });
});

describe('the scheduler on DuckDB', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.open('duckdb::memory:');
  });
  afterAll(async () => {
    await engine.close();
  });

  it("runs a job EVERY '2 seconds' again and again, records each run, and keeps going after failed runs", async () => {
    await engine.runAll(`CREATE TABLE events AS SELECT 1 AS x;
      CREATE JOB tick EVERY '2 seconds' AS PREDICT tick_model FROM events;`);
    const { scheduler: ticker, lines } = scheduler(engine, 'ticker', 200);
    ticker.start();
    // The first slot is 2 s after CREATE JOB: it fails, the model does not exist yet.
    const failed = await waitFor('the first run to fail', async () => (await engine.jobs.runs('tick')).find((r) => r.outcome === 'failed'), 4000);
    expect(failed.error).toMatch(/tick_model does not exist/);
    expect(failed.finishedAt! >= failed.startedAt).toBe(true);
    await engine.runAll(`CREATE TABLE train AS SELECT i AS x, i % 2 = 0 AS y FROM range(200) r(i);
      CREATE MODEL tick_model FROM train PREDICT y;`);
    await waitFor('a run to succeed after the failure', async () => (await engine.jobs.runs('tick')).some((r) => r.outcome === 'succeeded'), 5000);
    await ticker.stop();
    const runs = await engine.jobs.runs('tick');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs[0]!.outcome).toBe('failed');
    const succeeded = runs.find((r) => r.outcome === 'succeeded')!;
    expect(succeeded).toMatchObject({ error: null, rows: 1 });
    // Two seconds apart, on the grid of the first slot (polled every 200 ms).
    const starts = runs.map((r) => Date.parse(r.startedAt));
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThan(1500);
    expect(slotsStarted(lines, 'tick')).toHaveLength(runs.length);
    const shown = await showJob(engine, 'tick');
    expect(shown).toMatchObject({ runs: runs.length, last_outcome: 'succeeded', last_error: null, running_on: null });
    expect(Date.parse(shown.next_run as string)).toBeGreaterThan(Date.parse(runs.at(-1)!.startedAt));
    await engine.runAll('DROP JOB tick;');
  }, 20_000);

  it('runs a slot missed while no scheduler ran once, then follows the schedule', async () => {
    await engine.runAll("CREATE JOB catch_up EVERY '1 hour' AS SELECT 42 AS answer;");
    // As if serve had been down for five and a half hours.
    const missed = new Date(Date.now() - 5.5 * 3_600_000);
    await moveSlot(engine, 'catch_up', { next_run_at: missed.toISOString() });
    const { scheduler: late } = scheduler(engine, 'late', 50);
    late.start();
    await waitFor('the missed slot to run', async () => (await engine.jobs.runs('catch_up')).find((r) => r.outcome === 'succeeded'));
    await sleep(400);
    await late.stop();
    expect(await engine.jobs.runs('catch_up')).toHaveLength(1);
    const lease = await engine.jobs.lease('catch_up');
    // The next slot is on the old grid, within the coming hour.
    expect(Date.parse(lease!.nextRunAt)).toBe(missed.getTime() + 6 * 3_600_000);
    expect(lease).toMatchObject({ holder: null, expiresAt: null });
    await engine.runAll('DROP JOB catch_up;');
    expect(await engine.jobs.lease('catch_up')).toBeUndefined();
  }, 10_000);

  it('runs a cron job with seconds on its slots, and shows the next one', async () => {
    await engine.runAll("CREATE JOB every_second SCHEDULE '* * * * * *' AS SELECT 1 AS one;");
    const { scheduler: cron, lines } = scheduler(engine, 'cron', 100);
    cron.start();
    await waitFor('two cron runs', async () => (await engine.jobs.runs('every_second')).filter((r) => r.outcome === 'succeeded').length >= 2, 4000);
    await cron.stop();
    // Croner's slots fall on whole seconds.
    for (const slot of slotsStarted(lines, 'every_second')) expect(slot).toMatch(/:\d\d\.000Z$/);
    await engine.runAll("CREATE OR REPLACE JOB every_second SCHEDULE '0 3 * * *' AS SELECT 1 AS one;");
    const before = new Date();
    const shown = await showJob(engine, 'every_second');
    expect(shown.schedule).toBe("SCHEDULE '0 3 * * *'");
    expect(shown.next_run).toBe(nextRun('cron', '0 3 * * *', new Date(before.getTime() - 1000)).toISOString());
    await expect(engine.runAll("CREATE JOB bad SCHEDULE '61 * * * *' AS SHOW MODELS;")).rejects.toThrow(/SCHEDULE '61 \* \* \* \*' is not a cron expression/);
    await engine.runAll('DROP JOB every_second;');
  }, 10_000);

  it('gives a job stored before leases existed a slot after its last run', async () => {
    await engine.runAll("CREATE JOB legacy EVERY '1 second' AS SELECT 1 AS one;");
    await engine.catalog.deleteFrom('sqlml_job_leases').where('job', '=', 'legacy').execute();
    // SHOW JOBS still says when it runs.
    expect(Date.parse((await showJob(engine, 'legacy')).next_run as string)).not.toBeNaN();
    const { scheduler: upgraded } = scheduler(engine, 'upgraded', 50);
    upgraded.start();
    await waitFor('the legacy job to run', async () => (await engine.jobs.runs('legacy')).some((r) => r.outcome === 'succeeded'));
    await upgraded.stop();
    expect(await engine.jobs.lease('legacy')).toMatchObject({ holder: null });
    await engine.runAll('DROP JOB legacy;');
  }, 10_000);

  it("fails a run whose result is over the scheduler's result limit, records the limit's message, and goes on", async () => {
    await engine.runAll(`CREATE JOB big_select EVERY '1 second' AS SELECT range AS i FROM range(50);
      CREATE JOB small_select EVERY '1 second' AS SELECT range AS i FROM range(10);`);
    const lines: string[] = [];
    const capped = new Scheduler(engine, { holder: 'capped', pollMs: 50, resultLimit: { rows: 10, bytes: 1 << 30 }, log: (line) => lines.push(line) });
    capped.start();
    await waitFor('two failed runs of the big job', async () => (await engine.jobs.runs('big_select')).filter((r) => r.outcome === 'failed').length >= 2, 5000);
    await waitFor('a run of the job within the limit', async () => (await engine.jobs.runs('small_select')).some((r) => r.outcome === 'succeeded'), 5000);
    await capped.stop();
    const runs = await engine.jobs.runs('big_select');
    expect(runs.every((r) => r.outcome === 'failed')).toBe(true);
    for (const run of runs) expect(run.error).toMatch(/limit of 10 rows/);
    expect(lines.some((line) => /job big_select \(slot [^)]+\) failed after .*limit of 10 rows/.test(line))).toBe(true);
    expect((await engine.jobs.runs('small_select')).find((r) => r.outcome === 'succeeded')).toMatchObject({ error: null, rows: 10 });
    await engine.runAll('DROP JOB big_select; DROP JOB small_select;');
  }, 15_000);

  it('stop() waits for the running job and takes no new run', async () => {
    await engine.runAll(`CREATE JOB slow EVERY '1 second' AS
      CREATE OR REPLACE TABLE slow_out AS SELECT sum(a.range * b.range) AS n FROM range(20000) a, range(10000) b;`);
    const { scheduler: worker, lines } = scheduler(engine, 'worker', 50);
    worker.start();
    await waitFor('the slow job to start', () => slotsStarted(lines, 'slow').length > 0 || undefined, 4000);
    await worker.stop();
    const stoppedAt = new Date().toISOString();
    const runs = await engine.jobs.runs('slow');
    expect(runs).toHaveLength(1);
    expect(runs[0]!.outcome).toBe('succeeded');
    expect(runs[0]!.finishedAt! <= stoppedAt).toBe(true);
    expect((await engine.runAll('SELECT n FROM slow_out;'))[0]!.rows).toHaveLength(1);
    // Stopped means stopped: the next slots pass without a run.
    await sleep(1500);
    expect(await engine.jobs.runs('slow')).toHaveLength(1);
    await engine.runAll('DROP JOB slow; DROP TABLE slow_out;');
  }, 20_000);
});

/** What each database needs for a job that takes a while: a sleeping SELECT passed through. */
const SLEEP: Record<string, (seconds: number) => string> = {
  postgres: (seconds) => `pg_sleep(${seconds})`,
  mysql: (seconds) => `SLEEP(${seconds})`,
};

function sleepingSelect(label: string, seconds: number): string {
  return `SELECT ${SLEEP[label]!(seconds)} AS slept`;
}

const lockTargets: { label: string; open: () => Promise<[Engine, Engine]>; sleep: (seconds: number) => string }[] = [
  {
    // One process on DuckDB: two schedulers on one engine still claim through the lease row.
    label: 'duckdb',
    open: async () => {
      const engine = await Engine.open('duckdb::memory:');
      return [engine, engine];
    },
    sleep: (seconds) => `SELECT count(*) AS n FROM range(${Math.round(seconds * 150_000_000)})`,
  },
  ...servers.map((server) => ({
    label: server.label,
    // Two engines: two connections, as two serve processes would have.
    open: async (): Promise<[Engine, Engine]> => [await Engine.open(server.url), await Engine.open(server.url)],
    sleep: (seconds: number) => sleepingSelect(server.label, seconds),
  })),
];

describe.each(lockTargets)('the job lease on $label', (target) => {
  const job = `shared_${tag}`;
  let a: Engine;
  let b: Engine;
  beforeAll(async () => {
    [a, b] = await target.open();
  });
  afterAll(async () => {
    await a.runAll(`DROP JOB IF EXISTS ${job};`);
    await a.close();
    if (b !== a) await b.close();
  });

  it('keeps two schedulers from running one job at once, and runs each slot once', async () => {
    // Each run outlasts the interval, so both schedulers find the job due whenever it is free.
    await a.runAll(`DROP JOB IF EXISTS ${job}; CREATE JOB ${job} EVERY '1 second' AS ${target.sleep(1.2)};`);
    const first = scheduler(a, 'first');
    const second = scheduler(b, 'second');
    first.scheduler.start();
    second.scheduler.start();
    if (!DATABASE_FACTS[a.adapter.sql.name].embedded) {
      // While a run goes on, it is recorded as running, and SHOW JOBS says where. (DuckDB's one
      // connection would only answer between statements, after the run.)
      const running = await waitFor('a run in progress', async () => (await b.jobs.runs(job)).find((r) => r.outcome === 'running'), 5000);
      expect(running.finishedAt).toBeNull();
      expect(['first', 'second']).toContain((await showJob(b, job)).running_on);
    }
    await sleep(4000);
    await Promise.all([first.scheduler.stop(), second.scheduler.stop()]);
    const runs = await a.jobs.runs(job);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.every((r) => r.outcome === 'succeeded')).toBe(true);
    expectNoOverlap(runs);
    const slots = [...slotsStarted(first.lines, job), ...slotsStarted(second.lines, job)];
    expect(slots).toHaveLength(runs.length);
    expect(new Set(slots).size).toBe(slots.length);
  }, 30_000);

  it('respects a live lease, in schedulers and in RUN JOB', async () => {
    await a.runAll(`CREATE OR REPLACE JOB ${job} EVERY '1 second' AS SELECT 1 AS one;`);
    const before = (await a.jobs.runs(job)).length;
    const past = new Date(Date.now() - 60_000).toISOString();
    await moveSlot(a, job, { holder: 'elsewhere:4242', expires_at: new Date(Date.now() + 60_000).toISOString(), next_run_at: past });
    await expect(b.runAll(`RUN JOB ${job};`)).rejects.toThrow(new RegExp(`job ${job} is running now \\(on elsewhere:4242\\)`));
    const { scheduler: polite } = scheduler(b, 'polite', 50);
    polite.start();
    await sleep(800);
    await polite.stop();
    expect(await a.jobs.runs(job)).toHaveLength(before);
    // Once the lease is given back, RUN JOB runs it by hand and leaves the schedule alone.
    await moveSlot(a, job, { holder: null, expires_at: null });
    expect((await b.runAll(`RUN JOB ${job};`))[0]!.rows).toEqual([[1]]);
    expect(await a.jobs.lease(job)).toMatchObject({ holder: null, nextRunAt: past });
    expect((await a.jobs.runs(job)).at(-1)).toMatchObject({ outcome: 'succeeded', rows: 1 });
  }, 15_000);

  it('moves the next slot when a job is replaced, keeping a held lease', async () => {
    const holder = { holder: 'busy:7', expires_at: new Date(Date.now() + 60_000).toISOString() };
    await moveSlot(a, job, holder);
    // The same schedule twice: the second replace leaves the slot as it was.
    await a.runAll(`CREATE OR REPLACE JOB ${job} SCHEDULE '0 3 * * *' AS SELECT 1 AS one;`);
    await a.runAll(`CREATE OR REPLACE JOB ${job} SCHEDULE '0 3 * * *' AS SELECT 1 AS one;`);
    const lease = await b.jobs.lease(job);
    expect(lease).toMatchObject({ holder: 'busy:7', nextRunAt: nextRun('cron', '0 3 * * *', new Date(Date.now() - 5000)).toISOString() });
    await moveSlot(a, job, { holder: null, expires_at: null });
  });

  it("takes over a dead holder's expired lease and closes its abandoned run", async () => {
    const since = new Date().toISOString();
    const past = new Date(Date.now() - 120_000).toISOString();
    await a.catalog.insertInto('sqlml_job_runs').values({ job, started_at: past, finished_at: null, outcome: 'running', error: null, rows: null }).execute();
    await moveSlot(a, job, { holder: 'crashed:1', expires_at: new Date(Date.now() - 1000).toISOString(), next_run_at: past });
    const heir = scheduler(b, 'heir', 50);
    heir.scheduler.start();
    await waitFor('the heir to run the job', async () => (await b.jobs.runs(job)).some((r) => r.startedAt >= since && r.outcome === 'succeeded'));
    await heir.scheduler.stop();
    expect(heir.lines.join('\n')).toMatch(/took over the expired lease of crashed:1/);
    const abandoned = (await a.jobs.runs(job)).find((r) => r.startedAt === past)!;
    expect(abandoned.outcome).toBe('failed');
    expect(abandoned.error).toMatch(/^abandoned/);
    expect((await a.jobs.runs(job)).filter((r) => r.outcome === 'running')).toEqual([]);
  }, 15_000);
});
