/**
 * Scheduled jobs and their run history, in the catalog tables of the connected database.
 */
import type { Adapter } from '../../adapters/adapter.js';

export interface Job {
  readonly name: string;
  readonly scheduleKind: 'cron' | 'every';
  readonly schedule: string;
  readonly statement: string;
  readonly createdAt: string;
}

export interface JobRun {
  readonly job: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly outcome: 'running' | 'succeeded' | 'failed';
  readonly error: string | null;
  readonly rows: number | null;
}

export interface JobSummary extends Job {
  readonly lastRun: JobRun | null;
  readonly runs: number;
}

export class JobStore {
  readonly #adapter: Adapter;
  constructor(adapter: Adapter) {
    this.#adapter = adapter;
  }

  async save(job: Job, replace: boolean): Promise<void> {
    const db = this.#adapter.catalog;
    await db.transaction().execute(async (tx) => {
      if (replace) await tx.deleteFrom('sqlml_jobs').where('name', '=', job.name).execute();
      await tx
        .insertInto('sqlml_jobs')
        .values({
          name: job.name,
          schedule_kind: job.scheduleKind,
          schedule: job.schedule,
          statement: job.statement,
          created_at: job.createdAt,
        })
        .execute();
    });
  }

  async get(name: string): Promise<Job | undefined> {
    const row = await this.#adapter.catalog.selectFrom('sqlml_jobs').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toJob(row) : undefined;
  }

  async list(): Promise<JobSummary[]> {
    const db = this.#adapter.catalog;
    const jobs = await db.selectFrom('sqlml_jobs').selectAll().orderBy('name').execute();
    const summaries: JobSummary[] = [];
    for (const row of jobs) {
      const runs = await db
        .selectFrom('sqlml_job_runs')
        .selectAll()
        .where('job', '=', row.name)
        .orderBy('id', 'desc')
        .execute();
      const last = runs[0];
      summaries.push({ ...toJob(row), runs: runs.length, lastRun: last ? toRun(last) : null });
    }
    return summaries;
  }

  async remove(name: string): Promise<boolean> {
    const db = this.#adapter.catalog;
    return db.transaction().execute(async (tx) => {
      const result = await tx.deleteFrom('sqlml_jobs').where('name', '=', name).executeTakeFirst();
      await tx.deleteFrom('sqlml_job_runs').where('job', '=', name).execute();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async recordRun(run: JobRun): Promise<void> {
    await this.#adapter.catalog
      .insertInto('sqlml_job_runs')
      .values({
        job: run.job,
        started_at: run.startedAt,
        finished_at: run.finishedAt,
        outcome: run.outcome,
        error: run.error,
        rows: run.rows,
      })
      .execute();
  }
}

function toJob(row: { name: string; schedule_kind: string; schedule: string; statement: string; created_at: string }): Job {
  return {
    name: row.name,
    scheduleKind: row.schedule_kind === 'cron' ? 'cron' : 'every',
    schedule: row.schedule,
    statement: row.statement,
    createdAt: row.created_at,
  };
}

function toRun(row: { job: string; started_at: string; finished_at: string | null; outcome: string; error: string | null; rows: number | null }): JobRun {
  return {
    job: row.job,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome as JobRun['outcome'],
    error: row.error,
    rows: row.rows === null ? null : Number(row.rows),
  };
}
