/**
 * CREATE JOB / SHOW JOBS / RUN JOB / DROP JOB, the schedule arithmetic (croner for cron
 * expressions, parseInterval for EVERY), and the one way a job runs — by hand (RUN JOB)
 * or on its schedule (src/server/scheduler.ts): under the job's lease, recorded as
 * 'running' when it starts and 'succeeded'/'failed' when it ends.
 */
import { hostname } from 'node:os';
import { Cron } from 'croner';
import type { Job, JobStore } from '../catalog/job-store.js';
import type { StoredJobStatement } from '../catalog/model-store.js';
import type { ResultTable } from '../data.js';
import { errorMessage, SqlmlError } from '../errors.js';
import type { CreateJob, DropJob, Identifier, RunJob, Statement } from '../sql/ast.js';
import { parseScript } from '../sql/parser.js';
import { modelName, type ExecContext } from './context.js';

const UNIT_MS: Record<string, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

/**
 * How long a lease lasts without renewal. A holder renews it every third of this while
 * the job runs, so only a process that stopped renewing (it died) loses it; another
 * process then takes the job over after at most this long. Processes sharing a database
 * compare their own clocks with it, so their clocks must agree to well within it (NTP).
 */
export const LEASE_MS = 60_000;

/** Milliseconds of an EVERY interval such as '2 seconds', '15 minutes', '1 day'. */
export function parseInterval(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week)s?\s*$/i.exec(text);
  if (!match) {
    throw new SqlmlError('bad_option', `EVERY '${text}' is not an interval; write a number and a unit, e.g. '30 seconds', '15 minutes', '1 day'`);
  }
  const ms = Number(match[1]) * UNIT_MS[match[2]!.toLowerCase()]!;
  if (ms < 1000) throw new SqlmlError('bad_option', `EVERY '${text}' is shorter than the shortest interval, 1 second`);
  return ms;
}

/**
 * Parses a cron expression with croner, in UTC: five fields (minute hour day-of-month
 * month day-of-week) or six with seconds first. An expression that never fires (e.g.
 * February 30th) is refused too: stored, it would silently never run.
 */
export function parseCron(expression: string): Cron {
  let cron: Cron;
  try {
    cron = new Cron(expression, { paused: true, timezone: 'UTC', mode: '5-or-6-parts' });
  } catch (error) {
    throw new SqlmlError(
      'bad_option',
      `SCHEDULE '${expression}' is not a cron expression (${errorMessage(error).replace(/^CronPattern: /, '')}); write five fields, minute hour day-of-month month day-of-week, e.g. '0 3 * * *', or six with seconds first`,
    );
  }
  if (!cron.nextRun()) throw new SqlmlError('bad_option', `SCHEDULE '${expression}' never fires (no date matches it)`);
  return cron;
}

/** Checks a stored schedule with the scheduler's own arithmetic, so what is stored will run. */
export function checkSchedule(job: Pick<Job, 'scheduleKind' | 'schedule'>): void {
  if (job.scheduleKind === 'every') parseInterval(job.schedule);
  else parseCron(job.schedule);
}

/** The first slot strictly after `after`: for EVERY, `after` plus the interval. */
export function nextRun(scheduleKind: Job['scheduleKind'], schedule: string, after: Date): Date {
  if (scheduleKind === 'every') return new Date(after.getTime() + parseInterval(schedule));
  const next = parseCron(schedule).nextRun(after);
  if (!next) throw new SqlmlError('bad_option', `SCHEDULE '${schedule}' has no run after ${after.toISOString()}`);
  return next;
}

/**
 * The slot after `slot`, which is being run at `now`. Slots that passed while nobody
 * ran the job are skipped, so a missed stretch costs one run, not one per slot. EVERY
 * slots stay on the grid of the first slot, so polling delays do not make them drift.
 */
export function followingSlot(job: Pick<Job, 'scheduleKind' | 'schedule'>, slot: Date, now: Date): Date {
  if (job.scheduleKind === 'cron') return nextRun('cron', job.schedule, now > slot ? now : slot);
  const interval = parseInterval(job.schedule);
  const steps = Math.max(1, Math.floor((now.getTime() - slot.getTime()) / interval) + 1);
  return new Date(slot.getTime() + steps * interval);
}

/** A name for this process in the leases: host, pid and a random part (pids repeat across hosts and restarts). */
export function processHolder(role: string): string {
  return `${hostname()}:${process.pid}:${role}:${Math.random().toString(36).slice(2, 8)}`;
}

export async function createJob(statement: CreateJob, jobs: JobStore, context: ExecContext): Promise<ResultTable> {
  await context.store.ensureSchema();
  const name = modelName(statement.name);
  const scheduleKind = statement.schedule.kind;
  const schedule = scheduleKind === 'every' ? statement.schedule.interval : statement.schedule.expression;
  checkSchedule({ scheduleKind, schedule });
  if (!statement.orReplace && (await jobs.get(name))) {
    throw new SqlmlError('model_exists', `job ${name} already exists (CREATE OR REPLACE JOB replaces it)`);
  }
  const now = new Date();
  const body = statement.body;
  const named = modelNamedBy(body);
  const models = named === null ? [] : [modelName(named)];
  const missing = await jobs.save(
    { name, scheduleKind, schedule, statement: body.text, createdAt: now.toISOString() },
    statement.orReplace,
    nextRun(scheduleKind, schedule, now).toISOString(),
    models,
  );
  // A job may be made before its model (or to create it); said, since each run fails until the model exists.
  const notices = body.kind === 'create_model' ? [] : missing.map((model) => `model ${model} does not exist (yet): each run of job ${name} fails until it does`);
  return {
    command: 'CREATE JOB',
    columns: [
      { name: 'job', type: 'text' },
      { name: 'schedule', type: 'text' },
    ],
    rows: [[name, scheduleText(scheduleKind, schedule)]],
    ...(notices.length > 0 ? { notices } : {}),
  };
}

export async function showJobs(jobs: JobStore, context: ExecContext): Promise<ResultTable> {
  await context.store.ensureSchema();
  const list = await jobs.list();
  const now = new Date().toISOString();
  return {
    command: 'SHOW JOBS',
    columns: [
      { name: 'name', type: 'text' },
      { name: 'schedule', type: 'text' },
      { name: 'statement', type: 'text' },
      { name: 'runs', type: 'integer' },
      { name: 'last_run', type: 'text' },
      { name: 'last_outcome', type: 'text' },
      { name: 'last_error', type: 'text' },
      { name: 'next_run', type: 'text' },
      { name: 'running_on', type: 'text' },
    ],
    rows: list.map((j) => [
      j.name,
      scheduleText(j.scheduleKind, j.schedule),
      j.statement,
      j.runs,
      j.lastRun?.startedAt ?? null,
      j.lastRun?.outcome ?? null,
      j.lastRun?.error ?? null,
      j.lease?.nextRunAt ?? firstSlot(j, j.lastRun).toISOString(),
      j.lease?.holder && j.lease.expiresAt && j.lease.expiresAt >= now ? j.lease.holder : null,
    ]),
  };
}

/**
 * The next slot of a job that has no lease row yet (stored before leases existed): the
 * first slot after its last run, or after its creation. It may be in the past: then the
 * scheduler runs it once at once, as for any missed slot.
 */
export function firstSlot(job: Job, lastRun: { readonly startedAt: string } | null): Date {
  const since = new Date(lastRun?.startedAt ?? job.createdAt);
  return nextRun(job.scheduleKind, job.schedule, Number.isNaN(since.getTime()) ? new Date() : since);
}

export async function dropJob(statement: DropJob, jobs: JobStore, context: ExecContext): Promise<ResultTable> {
  await context.store.ensureSchema();
  const name = modelName(statement.name);
  const dropped = await jobs.remove(name);
  if (!dropped && !statement.ifExists) throw new SqlmlError('unknown_model', `job ${name} does not exist`);
  return {
    command: 'DROP JOB',
    columns: [
      { name: 'job', type: 'text' },
      { name: 'dropped', type: 'boolean' },
    ],
    rows: [[name, dropped]],
  };
}

/** Runs one job statement (the engine's RUN JOB path); `signal` aborts it when the lease is lost. */
export type JobExecutor = (text: string, signal: AbortSignal | undefined) => Promise<ResultTable>;

/**
 * RUN JOB: runs the job's statement now, under its lease, and records the run. Refused
 * while the job runs elsewhere. A failing run is recorded and reported, and leaves the
 * job and its schedule in place.
 */
export async function runJob(statement: RunJob, jobs: JobStore, context: ExecContext, execute: JobExecutor): Promise<ResultTable> {
  await context.store.ensureSchema();
  const name = modelName(statement.name);
  const job = await jobs.get(name);
  if (!job) throw new SqlmlError('unknown_model', `job ${name} does not exist (SHOW JOBS lists the jobs)`);
  const holder = processHolder('run-job');
  const now = new Date();
  const acquired = await jobs.acquire(
    { job: name, holder, now: now.toISOString(), expiresAt: new Date(now.getTime() + LEASE_MS).toISOString() },
    // A job stored before leases existed gets its lease row here, its next slot counted from this run.
    nextRun(job.scheduleKind, job.schedule, now).toISOString(),
  );
  if (!acquired) {
    const lease = await jobs.lease(name);
    throw new SqlmlError(
      'model_exists',
      `job ${name} is running now${lease?.holder ? ` (on ${lease.holder})` : ''}; RUN JOB ${name} again once it has finished`,
    );
  }
  const outcome = await runLeasedJob(job, jobs, holder, execute, { signal: context.signal });
  if (!outcome.ok) {
    throw new SqlmlError('training_failed', `job ${name} failed: ${errorMessage(outcome.error)}`, { cause: outcome.error });
  }
  return outcome.result;
}

export type JobOutcome = { readonly ok: true; readonly result: ResultTable } | { readonly ok: false; readonly error: unknown };

/**
 * Runs a job whose lease `holder` has just taken: records the run as 'running', renews
 * the lease while the statement runs, records 'succeeded' (with the rows) or 'failed'
 * (with the error), and releases the lease — whatever happens. If another process takes
 * the lease over (this one stopped renewing in time), the statement is aborted: its
 * writes are atomic, so an aborted run leaves nothing half-written, and the job never
 * runs twice at once.
 */
export async function runLeasedJob(
  job: Job,
  jobs: JobStore,
  holder: string,
  execute: JobExecutor,
  options: { readonly signal?: AbortSignal | undefined; readonly leaseMs?: number } = {},
): Promise<JobOutcome> {
  const { signal, leaseMs = LEASE_MS } = options;
  const lost = new AbortController();
  let renewing = false;
  const renew = setInterval(() => {
    if (renewing) return;
    renewing = true;
    jobs
      .renew(job.name, holder, new Date(Date.now() + leaseMs).toISOString())
      .then(async (held) => {
        if (held) return;
        // No row at all means the job was dropped while running: let the run finish.
        const lease = await jobs.lease(job.name);
        if (lease) lost.abort(new SqlmlError('cancelled', `job ${job.name} was taken over by ${lease.holder ?? 'another process'} after its lease expired`));
      })
      // A failed renewal (the database briefly unreachable) is retried at the next tick.
      .catch(() => undefined)
      .finally(() => {
        renewing = false;
      });
  }, Math.max(250, Math.floor(leaseMs / 3)));
  const startedAt = new Date().toISOString();
  try {
    // Holding the lease, any run of this job still marked 'running' belongs to a process that died mid-run.
    await jobs.abandonRuns(job.name, startedAt, 'abandoned: the process running it stopped before the run finished');
    await jobs.startRun(job.name, startedAt);
    try {
      const result = await execute(job.statement, signal ? AbortSignal.any([signal, lost.signal]) : lost.signal);
      await jobs.finishRun({ job: job.name, startedAt, finishedAt: new Date().toISOString(), outcome: 'succeeded', error: null, rows: rowsOf(result) });
      return { ok: true, result };
    } catch (error) {
      await jobs.finishRun({ job: job.name, startedAt, finishedAt: new Date().toISOString(), outcome: 'failed', error: errorMessage(error), rows: null });
      return { ok: false, error };
    }
  } finally {
    clearInterval(renew);
    await jobs.release(job.name, holder).catch(() => undefined);
  }
}

function scheduleText(kind: Job['scheduleKind'], schedule: string): string {
  return `${kind === 'every' ? 'EVERY' : 'SCHEDULE'} '${schedule}'`;
}

function rowsOf(result: ResultTable): number | null {
  const index = result.columns.findIndex((c) => c.name === 'rows_written' || c.name === 'rows_trained');
  if (index >= 0 && result.rows[0]) return Number(result.rows[0][index]);
  return result.rowsAffected ?? result.rows.length;
}

/** The model a statement trains, scores, inspects or drops; null for one that names none. */
function modelNamedBy(statement: Statement): Identifier | null {
  switch (statement.kind) {
    case 'create_model':
    case 'drop_model':
    case 'show_versions':
    case 'activate_model':
      return statement.name;
    case 'retrain_model':
    case 'evaluate_model':
    case 'predict':
    case 'explain_predict':
    case 'describe_model':
    case 'show_weights':
    case 'show_trials':
    case 'export_model':
    case 'monitor_model':
      return statement.model.name;
    default:
      return null;
  }
}

/**
 * The jobs whose statement names model `name`, by job name: DROP MODEL refuses while
 * there are any, since each of their runs would fail from then on. `jobs` are read
 * inside the drop's transaction (ModelStore.drop). A stored statement that no longer
 * parses names nothing.
 */
export function jobsNamingModel(name: string, jobs: readonly StoredJobStatement[], context: ExecContext): string[] {
  const naming: string[] = [];
  for (const job of jobs) {
    let statements: Statement[];
    try {
      statements = parseScript(job.statement, context.adapter.sql.lexical);
    } catch {
      continue;
    }
    if (statements.some((statement) => {
      const model = modelNamedBy(statement);
      return model !== null && modelName(model) === name;
    })) naming.push(job.name);
  }
  return naming.sort();
}
