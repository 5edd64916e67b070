/**
 * Runs the catalog's jobs on their schedules (statements.md, "Schedule") inside `sqlml
 * serve`: cron expressions by croner in UTC, EVERY intervals on a fixed grid (the
 * arithmetic is in src/engine/jobs.ts, shared with CREATE JOB and SHOW JOBS).
 *
 * Several serve processes may share one database. The lock is in the database, in each
 * job's lease row (sqlml_job_leases, see src/catalog/job-store.ts): a process claims a due
 * slot with one conditional UPDATE that moves next_run_at on only if it is still the slot
 * the process saw and no live lease exists, so exactly one process wins each slot and
 * nobody starts the job again until the winner releases the lease, or the lease expires
 * because the winner died. The run itself is RUN JOB's (runLeasedJob): recorded,
 * lease renewed while it runs, released at the end. Slots missed while no serve ran are
 * run once, not once each.
 *
 * Different jobs run side by side; one job never runs twice at once, anywhere.
 */
import type { Job } from '../catalog/job-store.js';
import type { Engine } from '../engine/engine.js';
import { firstSlot, followingSlot, LEASE_MS, processHolder, runLeasedJob } from '../engine/jobs.js';
import { errorMessage } from '../errors.js';
import { SERVER_RESULT_LIMIT, type ResultLimit } from '../../adapters/result-budget.js';

export interface SchedulerOptions {
  /** This process's name in the leases (default host:pid:random). */
  readonly holder?: string;
  /** How often to look for due jobs and for jobs other processes created (default 1000 ms). */
  readonly pollMs?: number;
  /** How long a claimed lease lasts without renewal (default LEASE_MS, 60 s). */
  readonly leaseMs?: number;
  readonly log?: (line: string) => void;
  /**
   * Most rows and bytes one run's result may hold (default SERVER_RESULT_LIMIT): a job's
   * SELECT or PREDICT without INTO is held in the serve process, so a bigger one fails the run.
   */
  readonly resultLimit?: ResultLimit;
}

/** Shortest wait between two looks, so a slot that is due right now does not spin the loop. */
const MIN_WAIT_MS = 20;

export class Scheduler {
  readonly #engine: Engine;
  readonly #holder: string;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #log: (line: string) => void;
  readonly #resultLimit: ResultLimit;
  /** The runs this process has going, by job name. */
  readonly #running = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #stopping = false;
  #ticking: Promise<void> | null = null;
  /** The last poll failure logged, so a database that stays down is reported once, not every poll. */
  #lastFailure = '';

  constructor(engine: Engine, options: SchedulerOptions = {}) {
    this.#engine = engine;
    this.#holder = options.holder ?? processHolder('serve');
    this.#pollMs = options.pollMs ?? 1000;
    this.#leaseMs = options.leaseMs ?? LEASE_MS;
    this.#log = options.log ?? (() => {});
    this.#resultLimit = options.resultLimit ?? SERVER_RESULT_LIMIT;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = false;
    this.#loop();
  }

  /** Takes no new runs and waits for the running ones to finish (their writes stay atomic). */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
    await Promise.allSettled([...this.#running.values()]);
    this.#started = false;
  }

  #loop(): void {
    if (this.#stopping) return;
    let wait = this.#pollMs;
    this.#ticking = this.#tick()
      .then((soonest) => {
        if (soonest !== null) wait = Math.min(wait, Math.max(MIN_WAIT_MS, soonest - Date.now()));
        this.#lastFailure = '';
      })
      .catch((error: unknown) => {
        const message = errorMessage(error);
        if (message !== this.#lastFailure) this.#log(`sqlml: scheduler: ${message}`);
        this.#lastFailure = message;
      })
      .finally(() => {
        this.#ticking = null;
        if (!this.#stopping) this.#timer = setTimeout(() => this.#loop(), wait);
      });
  }

  /**
   * One look at every job: starts the due ones this process wins. Returns when the next
   * known slot falls (ms since the epoch), so the loop can wake for it instead of a poll late.
   */
  async #tick(): Promise<number | null> {
    await this.#engine.store.ensureSchema();
    let soonest: number | null = null;
    for (const job of await this.#engine.jobs.jobs()) {
      if (this.#stopping) break;
      if (this.#running.has(job.name)) continue;
      try {
        const next = await this.#consider(job);
        if (next !== null && (soonest === null || next < soonest)) soonest = next;
      } catch (error) {
        // One job's trouble (say, a schedule stored by an older version that no longer parses) leaves the others running.
        this.#log(`sqlml: scheduler: job ${job.name}: ${errorMessage(error)}`);
      }
    }
    return soonest;
  }

  /** Claims and starts `job` if it is due and free; returns its next slot as far as known. */
  async #consider(job: Job): Promise<number | null> {
    const store = this.#engine.jobs;
    let lease = await store.lease(job.name);
    if (!lease) {
      // A job stored before leases existed: its next slot follows its last run, or its creation.
      const runs = await store.runs(job.name);
      lease = await store.ensureLease(job.name, firstSlot(job, runs.at(-1) ?? null).toISOString());
      if (!lease) return null;
    }
    const now = new Date();
    const nowText = now.toISOString();
    if (lease.nextRunAt > nowText) return Date.parse(lease.nextRunAt);
    if (lease.holder !== null && lease.expiresAt !== null && lease.expiresAt >= nowText) return null;
    if (this.#stopping) return null;
    const slot = lease.nextRunAt;
    const following = followingSlot(job, new Date(slot), now).toISOString();
    const won = await store.claimSlot({
      job: job.name,
      holder: this.#holder,
      now: nowText,
      expiresAt: new Date(now.getTime() + this.#leaseMs).toISOString(),
      slot,
      following,
    });
    if (!won) return null;
    if (lease.holder !== null) this.#log(`sqlml: job ${job.name}: took over the expired lease of ${lease.holder}`);
    const run = this.#run(job, slot).finally(() => this.#running.delete(job.name));
    this.#running.set(job.name, run);
    return Date.parse(following);
  }

  async #run(job: Job, slot: string): Promise<void> {
    const started = Date.now();
    const engine = this.#engine;
    const resultLimit = this.#resultLimit;
    this.#log(`sqlml: job ${job.name} (slot ${slot}) started`);
    try {
      const execute = (text: string, signal: AbortSignal | undefined) => engine.runJobStatement(text, signal ? { signal, resultLimit } : { resultLimit });
      const outcome = await runLeasedJob(job, engine.jobs, this.#holder, execute, { leaseMs: this.#leaseMs });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      // A failed run is recorded like any other and the schedule goes on.
      if (outcome.ok) this.#log(`sqlml: job ${job.name} (slot ${slot}) succeeded in ${seconds} s`);
      else this.#log(`sqlml: job ${job.name} (slot ${slot}) failed after ${seconds} s: ${errorMessage(outcome.error)}`);
    } catch (error) {
      // Recording the run itself failed (the catalog is unreachable); the lease is released or will expire.
      this.#log(`sqlml: job ${job.name} (slot ${slot}) could not be run: ${errorMessage(error)}`);
    }
  }
}
