/**
 * The training cache's folder: where it goes, how much one training may write into it,
 * and who owns it, so that what a killed process left behind is removed and what a live
 * one uses is not.
 *
 * Ownership is in the folder's name, set atomically by mkdtemp (no window in which a
 * folder exists without its owner): `sqlml-cache-<machine>-<pid>-<start>-XXXXXX`, where
 * `machine` hashes the host name and the kernel's boot id and `start` is the process's
 * start time in clock ticks after boot (/proc/PID/stat). A pid alone is not an identity:
 * pids are reused, so a folder whose pid is alive but started at another time belongs to
 * a dead process. Folders of another machine or boot (a shared or persistent folder) are
 * never touched, nor are ones whose owner cannot be told apart from a live process
 * (no /proc: a live pid counts as the owner). Folders without an owner in their name
 * (sqlml before this naming) are left alone as well, since nothing says they are dead.
 *
 * Settings (environment, or EngineOptions for embedders):
 * - SQLML_CACHE_DIR: the folder the cache folders go in (default: the OS temp dir).
 * - SQLML_CACHE_LIMIT: the most one training may write there, a size ('20GB', '500MB')
 *   or a share of the space free there when the training starts ('50%', the default),
 *   or 'none'. A full disk is reported as such whatever the limit.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlmlError, errorMessage } from '../errors.js';

export const CACHE_FOLDER_PREFIX = 'sqlml-cache-';
const OWNED_FOLDER = /^sqlml-cache-([0-9a-f]{8})-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

/** The default SQLML_CACHE_LIMIT: half the free space, so a training leaves the disk usable for everyone else. */
export const DEFAULT_CACHE_LIMIT = '50%';

const MB = 1024 * 1024;

function megabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** Field 22 of /proc/PID/stat (start time, clock ticks after boot), or null where there is no /proc. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; field 3 follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

export interface CacheOwner {
  /** Host name and boot, hashed. */
  readonly machine: string;
  readonly pid: number;
  /** Start time in clock ticks after boot; '0' where it cannot be known. */
  readonly start: string;
}

let self: CacheOwner | undefined;

/** This process, as its cache folders name it. */
export function currentOwner(): CacheOwner {
  self ??= {
    machine: createHash('sha256').update(`${hostname()}\n${bootId()}`).digest('hex').slice(0, 8),
    pid: process.pid,
    start: processStart(process.pid) ?? '0',
  };
  return self;
}

/** The owner a cache folder's name gives, or null for any other name. */
export function folderOwner(name: string): CacheOwner | null {
  const match = OWNED_FOLDER.exec(name);
  return match === null ? null : { machine: match[1]!, pid: Number(match[2]), start: match[3]! };
}

/** Whether `owner` may still be running; only a provably dead owner is false. */
export function ownerAlive(owner: CacheOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  if (owner.start === '0') return true;
  const start = processStart(owner.pid);
  // A pid that is alive but started at another time is a reused one.
  return start === null || start === owner.start;
}

/**
 * Removes the cache folders in `parent` whose owner on this machine is dead; returns
 * their paths. Best effort: a folder that cannot be listed or removed stays.
 */
export async function removeAbandonedCaches(parent: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const me = currentOwner();
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(CACHE_FOLDER_PREFIX)) continue;
    const owner = folderOwner(name);
    if (owner === null || owner.machine !== me.machine || ownerAlive(owner)) continue;
    const path = join(parent, name);
    try {
      if (!(await lstat(path)).isDirectory()) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Another user's, or removed by another sweeping process meanwhile.
    }
  }
  return removed;
}

/** What a CacheBudget needs to be rebuilt in a worker thread (the counter stays shared). */
export interface SharedCacheBudget {
  readonly parent: string;
  readonly limit: number;
  readonly limitSource: string;
  readonly used: SharedArrayBuffer;
}

/**
 * The bytes one training has written to its cache, against its limit, counted across
 * the threads that write it. Every cache file write goes through `write`, which turns a
 * limit reached or a full disk into one error naming the folder and the amount written.
 */
export class CacheBudget {
  readonly parent: string;
  readonly limit: number;
  /** Where the limit came from, for the error message. */
  readonly limitSource: string;
  readonly #shared: SharedArrayBuffer;
  readonly #used: BigInt64Array;

  constructor(parent: string, limit: number, limitSource: string, used = new SharedArrayBuffer(8)) {
    this.parent = parent;
    this.limit = limit;
    this.limitSource = limitSource;
    this.#shared = used;
    this.#used = new BigInt64Array(used);
  }

  static unlimited(parent: string): CacheBudget {
    return new CacheBudget(parent, Infinity, 'no limit');
  }

  static from(shared: SharedCacheBudget): CacheBudget {
    return new CacheBudget(shared.parent, shared.limit, shared.limitSource, shared.used);
  }

  shared(): SharedCacheBudget {
    return { parent: this.parent, limit: this.limit, limitSource: this.limitSource, used: this.#shared };
  }

  /** Bytes written so far. */
  get used(): number {
    return Number(Atomics.load(this.#used, 0));
  }

  /**
   * Runs `write`, which writes `bytes` bytes and returns how many it wrote, within the
   * limit. A short write on a regular file means the device filled up, as ENOSPC does.
   */
  write(bytes: number, write: () => number): void {
    const before = Number(Atomics.add(this.#used, 0, BigInt(bytes)));
    if (before + bytes > this.limit) {
      Atomics.sub(this.#used, 0, BigInt(bytes));
      throw new SqlmlError(
        'training_failed',
        `the training cache in ${this.parent} reached its limit of ${megabytes(this.limit)} (${this.limitSource}); set SQLML_CACHE_LIMIT higher (e.g. '20GB' or '90%') or exclude columns`,
      );
    }
    let written: number;
    try {
      written = write();
    } catch (error) {
      Atomics.sub(this.#used, 0, BigInt(bytes));
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw this.#diskFull(error);
      throw error;
    }
    if (written !== bytes) {
      Atomics.sub(this.#used, 0, BigInt(bytes - written));
      throw this.#diskFull(undefined);
    }
  }

  #diskFull(cause: unknown): SqlmlError {
    return new SqlmlError(
      'training_failed',
      `the training cache in ${this.parent} ran out of disk space after ${megabytes(this.used)}; free space or set SQLML_CACHE_DIR to a folder on a larger disk`,
      { cause },
    );
  }
}

/** A private cache folder named after its owner; `dispose()` removes it and everything in it. */
export class CacheDir {
  readonly path: string;
  readonly budget: CacheBudget;
  #disposed = false;
  constructor(parent: string = tmpdir(), budget: CacheBudget = CacheBudget.unlimited(parent)) {
    const owner = currentOwner();
    this.path = mkdtempSync(join(parent, `${CACHE_FOLDER_PREFIX}${owner.machine}-${owner.pid}-${owner.start}-`));
    this.budget = budget;
  }
  file(name: string): string {
    return join(this.path, name);
  }
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    rmSync(this.path, { recursive: true, force: true });
  }
}

export interface CacheSettings {
  /** The folder cache folders go in; default SQLML_CACHE_DIR, else the OS temp dir. */
  readonly parent?: string | undefined;
  /** SQLML_CACHE_LIMIT's form; default SQLML_CACHE_LIMIT, else DEFAULT_CACHE_LIMIT. */
  readonly limit?: string | undefined;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb|t|tb)?$/;
const SHARE = /^(\d+(?:\.\d+)?)\s*%$/;
const UNIT: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: MB, mb: MB, g: 1024 * MB, gb: 1024 * MB, t: 1024 * 1024 * MB, tb: 1024 * 1024 * MB };

function freeBytes(parent: string): number | null {
  try {
    const stats = statfsSync(parent);
    return Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return null;
  }
}

/** The limit `text` sets for a cache in `parent`, and how to name it in an error. */
export function cacheLimit(text: string, parent: string, given: boolean): { limit: number; source: string } {
  const value = text.trim().toLowerCase();
  const setting = given ? `SQLML_CACHE_LIMIT=${text.trim()}` : `the default SQLML_CACHE_LIMIT=${DEFAULT_CACHE_LIMIT}`;
  if (value === 'none') return { limit: Infinity, source: setting };
  const size = SIZE.exec(value);
  if (size !== null) return { limit: Math.round(Number(size[1]) * UNIT[size[2] ?? 'b']!), source: setting };
  const share = SHARE.exec(value);
  if (share !== null && Number(share[1]) > 0 && Number(share[1]) <= 100) {
    const free = freeBytes(parent);
    if (free === null) return { limit: Infinity, source: setting };
    return {
      limit: Math.floor((free * Number(share[1])) / 100),
      source: `${setting}: ${share[1]}% of the ${megabytes(free)} free there when the training started`,
    };
  }
  throw new SqlmlError(
    'bad_option',
    `SQLML_CACHE_LIMIT must be a size like '20GB' or '500MB', a share of the free space like '50%', or 'none', got '${text}'`,
  );
}

/**
 * The cache folder of a training that starts now: removes what dead processes left in
 * the same place first, then creates this training's folder with its budget.
 */
export async function openTrainingCache(settings: CacheSettings = {}): Promise<CacheDir> {
  const parent = settings.parent || process.env.SQLML_CACHE_DIR || tmpdir();
  const given = settings.limit || process.env.SQLML_CACHE_LIMIT;
  const { limit, source } = cacheLimit(given || DEFAULT_CACHE_LIMIT, parent, Boolean(given));
  await removeAbandonedCaches(parent);
  try {
    return new CacheDir(parent, new CacheBudget(parent, limit, source));
  } catch (error) {
    throw new SqlmlError('training_failed', `cannot create the training cache in ${parent}: ${errorMessage(error)} (SQLML_CACHE_DIR chooses the folder)`, {
      cause: error,
    });
  }
}
