/**
 * Scheduled jobs, their run history and their leases, in the catalog tables of the
 * connected database (sqlml_jobs, sqlml_job_runs, sqlml_job_leases).
 *
 * The lease row is the lock that lets several `sqlml serve` processes share one database:
 * every change to it that decides who runs is ONE conditional UPDATE whose affected-row
 * count says who won, which every dialect (DuckDB, PostgreSQL, MySQL) does atomically
 * without explicit row locks. Every such UPDATE also changes a value (a new holder, expiry
 * or slot), so its count is right whether MySQL counts rows matched (mysql2's FOUND_ROWS
 * default) or rows changed. Times are ISO-8601 UTC
 * text, compared as text: the format is fixed-width, so text order is time order.
 */
import type { Adapter } from '../../adapters/adapter.js';
import { openCatalogDb, type CatalogDb } from './catalog-db.js';

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

export interface JobLease {
  readonly job: string;
  /** The process running the job now, or null; only meaningful until `expiresAt`. */
  readonly holder: string | null;
  readonly expiresAt: string | null;
  readonly nextRunAt: string;
}

export interface JobSummary extends Job {
  readonly lastRun: JobRun | null;
  readonly runs: number;
  readonly lease: JobLease | null;
}

/** What a claim or an acquisition compares against and writes. */
export interface LeaseClaim {
  readonly job: string;
  readonly holder: string;
  /** The caller's clock; a lease whose expires_at is before it is free. */
  readonly now: string;
  readonly expiresAt: string;
}

export class JobStore {
  readonly #db: CatalogDb;

  /** `db` is the catalog on `adapter`'s connection: one shared with the engine's other stores, or a fresh one. */
  constructor(adapter: Adapter, db: CatalogDb = openCatalogDb(adapter)) {
    this.#db = db;
  }

  /**
   * Stores a job and its first slot. Replacing a job keeps its run history and a lease
   * that is held (the running run finishes), but moves the next slot to the new schedule.
   * `models` are the models the job's statement names: each one's catalog row is written
   * (to itself) first, which takes the row's lock until commit, the lock DROP MODEL takes
   * by deleting the row (ModelStore.drop). So a drop in flight is waited for (PostgreSQL,
   * MySQL) or conflicts (DuckDB), and a drop that comes after sees this job and refuses:
   * no job is ever stored naming a model dropped under it. Returns the named models that
   * do not exist (once any drop in flight has committed).
   */
  async save(job: Job, replace: boolean, nextRunAt: string, models: readonly string[] = []): Promise<string[]> {
    const db = this.#db;
    return db.transaction().execute(async (tx) => {
      const missing: string[] = [];
      // In name order, so two jobs locking the same models cannot deadlock each other.
      for (const model of [...new Set(models)].sort()) {
        // A write of the row to itself: it locks the row (and counts it: MySQL's connection counts rows matched).
        const locked = await tx
          .updateTable('sqlml_models')
          .set((eb) => ({ updated_at: eb.ref('updated_at') }))
          .where('name', '=', model)
          .executeTakeFirst();
        if (Number(locked.numUpdatedRows) === 0) missing.push(model);
      }
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
      // Looked up rather than judged by the UPDATE's count: without FOUND_ROWS, MySQL would count a same-slot replace as no row.
      const lease = await tx.selectFrom('sqlml_job_leases').select('job').where('job', '=', job.name).executeTakeFirst();
      if (lease) await tx.updateTable('sqlml_job_leases').set({ next_run_at: nextRunAt }).where('job', '=', job.name).execute();
      else await tx.insertInto('sqlml_job_leases').values({ job: job.name, holder: null, expires_at: null, next_run_at: nextRunAt }).execute();
      return missing;
    });
  }

  async get(name: string): Promise<Job | undefined> {
    const row = await this.#db.selectFrom('sqlml_jobs').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toJob(row) : undefined;
  }

  /** Every job, for the scheduler's poll: no run history. */
  async jobs(): Promise<Job[]> {
    const rows = await this.#db.selectFrom('sqlml_jobs').selectAll().orderBy('name').execute();
    return rows.map(toJob);
  }

  async list(): Promise<JobSummary[]> {
    const db = this.#db;
    const jobs = await db.selectFrom('sqlml_jobs').selectAll().orderBy('name').execute();
    const summaries: JobSummary[] = [];
    for (const row of jobs) {
      const counted = await db
        .selectFrom('sqlml_job_runs')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('runs'))
        .where('job', '=', row.name)
        .executeTakeFirst();
      const last = await db.selectFrom('sqlml_job_runs').selectAll().where('job', '=', row.name).orderBy('id', 'desc').limit(1).executeTakeFirst();
      summaries.push({ ...toJob(row), runs: Number(counted?.runs ?? 0), lastRun: last ? toRun(last) : null, lease: (await this.lease(row.name)) ?? null });
    }
    return summaries;
  }

  /** Removes a job, its run history and its lease. */
  async remove(name: string): Promise<boolean> {
    const db = this.#db;
    return db.transaction().execute(async (tx) => {
      const result = await tx.deleteFrom('sqlml_jobs').where('name', '=', name).executeTakeFirst();
      await tx.deleteFrom('sqlml_job_runs').where('job', '=', name).execute();
      await tx.deleteFrom('sqlml_job_leases').where('job', '=', name).execute();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async runs(name: string): Promise<JobRun[]> {
    const rows = await this.#db.selectFrom('sqlml_job_runs').selectAll().where('job', '=', name).orderBy('id').execute();
    return rows.map(toRun);
  }

  /** Records a run that has started ('running'); `finishRun` completes the same row. */
  async startRun(job: string, startedAt: string): Promise<void> {
    await this.#db
      .insertInto('sqlml_job_runs')
      .values({ job, started_at: startedAt, finished_at: null, outcome: 'running', error: null, rows: null })
      .execute();
  }

  /**
   * Completes the run started at `startedAt`. The job's lease makes (job, started_at,
   * 'running') one row: nobody else starts a run of the job while the lease is held.
   */
  async finishRun(run: JobRun): Promise<void> {
    await this.#db
      .updateTable('sqlml_job_runs')
      .set({ finished_at: run.finishedAt, outcome: run.outcome, error: run.error, rows: run.rows })
      .where('job', '=', run.job)
      .where('started_at', '=', run.startedAt)
      .where('outcome', '=', 'running')
      .execute();
  }

  /**
   * Marks the job's runs still 'running' as failed. Called by the lease holder before it
   * starts a run, when any such run can only be one whose process died mid-run.
   */
  async abandonRuns(job: string, finishedAt: string, error: string): Promise<number> {
    const result = await this.#db
      .updateTable('sqlml_job_runs')
      .set({ finished_at: finishedAt, outcome: 'failed', error })
      .where('job', '=', job)
      .where('outcome', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async lease(job: string): Promise<JobLease | undefined> {
    const row = await this.#db.selectFrom('sqlml_job_leases').selectAll().where('job', '=', job).executeTakeFirst();
    return row ? toLease(row) : undefined;
  }

  /**
   * Gives a job that has no lease row (one stored before leases existed) its next slot.
   * Two processes may both try; the loser's insert fails on the primary key and the
   * winner's row stands.
   */
  async ensureLease(job: string, nextRunAt: string): Promise<JobLease | undefined> {
    try {
      await this.#db.insertInto('sqlml_job_leases').values({ job, holder: null, expires_at: null, next_run_at: nextRunAt }).execute();
    } catch {
      // Another process inserted it first; theirs is read below.
    }
    return this.lease(job);
  }

  /**
   * Claims the due slot `slot` for a scheduled run: moves next_run_at on to `following`
   * and takes the lease, only if the slot is still the one the caller saw and nobody holds
   * a live lease. True for exactly one of several processes claiming the same slot.
   */
  async claimSlot(claim: LeaseClaim & { readonly slot: string; readonly following: string }): Promise<boolean> {
    const result = await this.#db
      .updateTable('sqlml_job_leases')
      .set({ holder: claim.holder, expires_at: claim.expiresAt, next_run_at: claim.following })
      .where('job', '=', claim.job)
      .where('next_run_at', '=', claim.slot)
      .where((eb) => eb.or([eb('holder', 'is', null), eb('expires_at', 'is', null), eb('expires_at', '<', claim.now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** One conditional UPDATE: the lease becomes the claimant's if nobody holds it live; true when it did. */
  async #takeFreeLease(claim: LeaseClaim): Promise<boolean> {
    const result = await this.#db
      .updateTable('sqlml_job_leases')
      .set({ holder: claim.holder, expires_at: claim.expiresAt })
      .where('job', '=', claim.job)
      .where((eb) => eb.or([eb('holder', 'is', null), eb('expires_at', 'is', null), eb('expires_at', '<', claim.now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Takes the lease for a run by hand (RUN JOB) without moving the schedule: only if
   * nobody holds a live lease. A job without a lease row gets one, with `nextRunAt`.
   */
  async acquire(claim: LeaseClaim, nextRunAt: string): Promise<boolean> {
    if (await this.#takeFreeLease(claim)) return true;
    if (await this.lease(claim.job)) return false;
    try {
      await this.#db.insertInto('sqlml_job_leases').values({ job: claim.job, holder: claim.holder, expires_at: claim.expiresAt, next_run_at: nextRunAt }).execute();
      return true;
    } catch {
      // Someone else created the row (and so may hold it) in between: try once more.
      return this.#takeFreeLease(claim);
    }
  }

  /** Extends a held lease; false when the lease is no longer `holder`'s (taken over or dropped). */
  async renew(job: string, holder: string, expiresAt: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('sqlml_job_leases')
      .set({ expires_at: expiresAt })
      .where('job', '=', job)
      .where('holder', '=', holder)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Gives a held lease back; the schedule (next_run_at) stays as claimed. */
  async release(job: string, holder: string): Promise<void> {
    await this.#db
      .updateTable('sqlml_job_leases')
      .set({ holder: null, expires_at: null })
      .where('job', '=', job)
      .where('holder', '=', holder)
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

function toLease(row: { job: string; holder: string | null; expires_at: string | null; next_run_at: string }): JobLease {
  return { job: row.job, holder: row.holder, expiresAt: row.expires_at, nextRunAt: row.next_run_at };
}
