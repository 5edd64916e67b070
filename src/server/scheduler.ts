/**
 * Runs the catalog's jobs on their schedules (statements.md, "Schedule") inside `sqlml
 * serve`. Cron expressions are computed by croner (UTC); `EVERY` intervals by
 * parseInterval.
 *
 * Several serve processes may share one database. Each due slot is claimed with one
 * conditional UPDATE of the job's lease row (sqlml_job_leases): it moves next_run_at on
 * only if it still holds the slot the process saw and no live lease exists, so the one
 * process whose UPDATE changed a row runs the job, and nobody runs it again until the
 * lease is released or expires (a crashed holder). The lease is renewed while a long
 * job runs. Slots missed while no serve ran are run once, not once each.
 */
import { hostname } from 'node:os';
import { Cron } from 'croner';
import type { Engine } from '../engine/engine.js';
import { parseInterval } from '../engine/jobs.js';
import { errorMessage } from '../errors.js';

export interface SchedulerOptions {
  /** This process's name in the leases (default host:pid:random). */
  readonly holder?: string;
  /** How often to look for due jobs (default 1000 ms). */
  readonly pollMs?: number;
  /** How long a claimed lease lasts without renewal (default 60 s). */
  readonly leaseMs?: number;
  readonly log?: (line: string) => void;
}

/** The next run after `after` for a stored schedule. */
export function nextRun(scheduleKind: string, schedule: string, after: Date): Date {
  if (scheduleKind === 'every') return new Date(after.getTime() + parseInterval(schedule));
  const next = new Cron(schedule, { timezone: 'UTC', paused: true }).nextRun(after);
  if (!next) throw new Error(`SCHEDULE '${schedule}' has no future run`);
  return next;
}

export class Scheduler {
  readonly #engine: Engine;
  readonly #holder: string;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #log: (line: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #ticking: Promise<void> | null = null;

  constructor(engine: Engine, options: SchedulerOptions = {}) {
    this.#engine = engine;
    this.#holder = options.holder ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.#pollMs = options.pollMs ?? 1000;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#log = options.log ?? (() => {});
  }

  start(): void {
    this.#stopping = false;
    const tick = (): void => {
      if (this.#stopping) return;
      this.#ticking = this.#tick()
        .catch((error: unknown) => this.#log(`sqlml: scheduler: ${errorMessage(error)}`))
        .finally(() => {
          this.#ticking = null;
          if (!this.#stopping) this.#timer = setTimeout(tick, this.#pollMs);
        });
    };
    tick();
  }

  /** Takes no new runs and waits for the running one to finish (its write stays atomic). */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#ticking;
  }

  /** One look for due jobs; runs each one this process wins, one after another. */
  async #tick(): Promise<void> {
    await this.#engine.store.ensureSchema();
    const db = this.#engine.adapter.catalog;
    const jobs = await db.selectFrom('sqlml_jobs').select(['name', 'schedule_kind', 'schedule']).orderBy('name').execute();
    for (const job of jobs) {
      if (this.#stopping) return;
      const now = new Date();
      let lease = await db.selectFrom('sqlml_job_leases').selectAll().where('job', '=', job.name).executeTakeFirst();
      if (!lease) {
        // A new job: its first slot is the next one from now (an EVERY job runs at once).
        const first = job.schedule_kind === 'every' ? now : nextRun(job.schedule_kind, job.schedule, now);
        try {
          await db.insertInto('sqlml_job_leases').values({ job: job.name, holder: null, expires_at: null, next_run_at: first.toISOString() }).execute();
        } catch {
          // Another process inserted it first; read theirs.
        }
        lease = await db.selectFrom('sqlml_job_leases').selectAll().where('job', '=', job.name).executeTakeFirst();
        if (!lease) continue;
      }
      if (lease.next_run_at > now.toISOString()) continue;
      if (lease.holder !== null && lease.expires_at !== null && lease.expires_at > now.toISOString()) continue;
      // The slot after this one counts from now, so slots missed while nobody ran collapse into this run.
      const following = nextRun(job.schedule_kind, job.schedule, now).toISOString();
      const claimed = await db
        .updateTable('sqlml_job_leases')
        .set({ holder: this.#holder, expires_at: new Date(now.getTime() + this.#leaseMs).toISOString(), next_run_at: following })
        .where('job', '=', job.name)
        .where('next_run_at', '=', lease.next_run_at)
        .where((eb) => eb.or([eb('holder', 'is', null), eb('expires_at', 'is', null), eb('expires_at', '<', now.toISOString())]))
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
      await this.#run(job.name);
    }
  }

  async #run(name: string): Promise<void> {
    const db = this.#engine.adapter.catalog;
    const renew = setInterval(() => {
      void db
        .updateTable('sqlml_job_leases')
        .set({ expires_at: new Date(Date.now() + this.#leaseMs).toISOString() })
        .where('job', '=', name)
        .where('holder', '=', this.#holder)
        .execute()
        .catch(() => undefined);
    }, Math.max(1000, this.#leaseMs / 3));
    const started = Date.now();
    try {
      // RUN JOB records the run (start, end, outcome, error, rows) as a manual run would be.
      await this.#engine.runAll(`RUN JOB ${this.#engine.adapter.quoteIdent(name)};`);
      this.#log(`sqlml: job ${name} succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      // A failing run is recorded by RUN JOB and does not stop the schedule.
      this.#log(`sqlml: job ${name} failed: ${errorMessage(error)}`);
    } finally {
      clearInterval(renew);
      await db
        .updateTable('sqlml_job_leases')
        .set({ holder: null, expires_at: null })
        .where('job', '=', name)
        .where('holder', '=', this.#holder)
        .execute()
        .catch(() => undefined);
    }
  }
}
