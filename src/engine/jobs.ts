/**
 * CREATE JOB / SHOW JOBS / RUN JOB / DROP JOB. Jobs are stored in the catalog; the
 * schedule is honoured by `sqlml serve`. RUN JOB runs the job's statement now and records
 * the run, as a scheduled run would be recorded.
 */
import { Cron } from 'croner';
import type { JobStore } from '../catalog/job-store.js';
import type { ResultTable } from '../data.js';
import { errorMessage, SqlmlError } from '../errors.js';
import type { CreateJob, DropJob, RunJob } from '../sql/ast.js';
import { modelName, type ExecContext } from './context.js';

const UNIT_MS: Record<string, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

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

/** Checks a cron expression with the scheduler's own cron library, so what is stored will run. */
export function checkCron(expression: string): void {
  try {
    new Cron(expression, { paused: true, timezone: 'UTC' });
  } catch (error) {
    throw new SqlmlError(
      'bad_option',
      `SCHEDULE '${expression}' is not a cron expression (${errorMessage(error)}; five fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *')`,
    );
  }
}

export async function createJob(statement: CreateJob, jobs: JobStore, context: ExecContext): Promise<ResultTable> {
  await context.store.ensureSchema();
  const name = modelName(statement.name);
  if (statement.schedule.kind === 'every') parseInterval(statement.schedule.interval);
  else checkCron(statement.schedule.expression);
  if (!statement.orReplace && (await jobs.get(name))) {
    throw new SqlmlError('model_exists', `job ${name} already exists (CREATE OR REPLACE JOB replaces it)`);
  }
  const schedule = statement.schedule.kind === 'every' ? statement.schedule.interval : statement.schedule.expression;
  await jobs.save(
    { name, scheduleKind: statement.schedule.kind, schedule, statement: statement.body.text, createdAt: new Date().toISOString() },
    statement.orReplace,
  );
  return {
    command: 'CREATE JOB',
    columns: [
      { name: 'job', type: 'text' },
      { name: 'schedule', type: 'text' },
    ],
    rows: [[name, `${statement.schedule.kind === 'every' ? 'EVERY' : 'SCHEDULE'} '${schedule}'`]],
  };
}

export async function showJobs(jobs: JobStore, context: ExecContext): Promise<ResultTable> {
  await context.store.ensureSchema();
  const list = await jobs.list();
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
    ],
    rows: list.map((j) => [
      j.name,
      `${j.scheduleKind === 'every' ? 'EVERY' : 'SCHEDULE'} '${j.schedule}'`,
      j.statement,
      j.runs,
      j.lastRun?.startedAt ?? null,
      j.lastRun?.outcome ?? null,
      j.lastRun?.error ?? null,
    ]),
  };
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

/**
 * Runs a job's statement once and records the run; a failing run is recorded and
 * reported, and leaves the job in place.
 */
export async function runJob(
  statement: RunJob,
  jobs: JobStore,
  context: ExecContext,
  execute: (text: string) => Promise<ResultTable>,
): Promise<ResultTable> {
  await context.store.ensureSchema();
  const name = modelName(statement.name);
  const job = await jobs.get(name);
  if (!job) throw new SqlmlError('unknown_model', `job ${name} does not exist (SHOW JOBS lists the jobs)`);
  const startedAt = new Date().toISOString();
  try {
    const result = await execute(job.statement);
    const rows = rowsOf(result);
    await jobs.recordRun({ job: name, startedAt, finishedAt: new Date().toISOString(), outcome: 'succeeded', error: null, rows });
    return result;
  } catch (error) {
    await jobs.recordRun({ job: name, startedAt, finishedAt: new Date().toISOString(), outcome: 'failed', error: errorMessage(error), rows: null });
    throw new SqlmlError('training_failed', `job ${name} failed: ${errorMessage(error)}`, { cause: error });
  }
}

function rowsOf(result: ResultTable): number | null {
  const index = result.columns.findIndex((c) => c.name === 'rows_written' || c.name === 'rows_trained');
  if (index >= 0 && result.rows[0]) return Number(result.rows[0][index]);
  return result.rowsAffected ?? result.rows.length;
}

