/**
 * Fault injection: a CREATE MODEL over PostgreSQL cancelled while its training worker runs
 * (the Ctrl-C path: the statement's AbortSignal) fails `cancelled` and leaves no file open.
 * The worker opens the row cache, the split's roles and copies and the example caches
 * itself with plain descriptors, and a cancel ends it from outside (`terminate`) while it
 * may be in the middle of any of them; Node closes such a thread's descriptors as it
 * ends only because the worker tracks them (`trackUnmanagedFds`, row-pipeline.ts). One
 * left open would be a deleted cache file kept alive, one set per cancelled training of
 * a long-running `sqlml serve`. On the main thread (no worker) the files are closed by
 * the training's own cleanup.
 */
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/engine/context.js';
import { Engine } from '../../src/engine/engine.js';
import { ROW_WORKER_MIN_ROWS } from '../../src/engine/train.js';
import { rejectionOf } from '../helpers/errors.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS = (await serverTargets()).filter((target) => target.label === 'postgres');
/** Rows of the source: enough for the worker to start and the read to go on well after it. */
const ROWS = 12 * ROW_WORKER_MIN_ROWS;

/**
 * The files this process has open (descriptors of paths; not its sockets: the cancel
 * itself is sent on a pooled connection, which stays open for the next statement).
 */
function openFiles(): string[] {
  const files: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith('/')) files.push(target);
    } catch {
      // The descriptor readdir itself used, closed by now.
    }
  }
  return files;
}

describe.each(TARGETS)('$label', ({ url }) => {
  const table = `cancel_files_${process.pid.toString(36)}`;
  const cacheParent = mkdtempSync(join(tmpdir(), 'sqlml-cancel-files-'));
  let engine: Engine;
  let inline: Engine;

  beforeAll(async () => {
    engine = await Engine.open(url, { cacheParent, encodeWorker: 'auto' });
    inline = await Engine.open(url, { cacheParent, encodeWorker: 'never' });
    await engine.runAll(`DROP TABLE IF EXISTS ${table};
      CREATE TABLE ${table} AS SELECT g AS id, (g % 977) * 0.37 AS x1, sin(g) AS x2, 'c' || (g % 13) AS c1, (g % 3 = 0) AS label
      FROM generate_series(1, ${ROWS}) AS g;`);
  }, 60_000);

  afterAll(async () => {
    await engine?.runAll(`DROP TABLE IF EXISTS ${table};`).catch(() => undefined);
    await engine?.close();
    await inline?.close();
    rmSync(cacheParent, { recursive: true, force: true });
  });

  /** CREATE MODEL cancelled once a progress report of `phase` says `when`; the error it failed with. */
  const cancelledTraining = async (name: string, when: (progress: Progress) => boolean, on = engine): Promise<{ code?: string }> => {
    const controller = new AbortController();
    const running = on.runAll(`CREATE OR REPLACE MODEL ${name} FROM ${table} PREDICT label RECIPE (exclude(id));`, {
      signal: controller.signal,
      onProgress: (progress) => {
        if (!controller.signal.aborted && when(progress)) controller.abort();
      },
    });
    const error = await rejectionOf(running);
    expect(controller.signal.aborted).toBe(true);
    return error;
  };

  it('cancelled mid-read, after the worker took over, it fails `cancelled` and every file it opened is closed', async () => {
    const before = openFiles();
    // Once the worker has opened its own files (it starts a while after the read does).
    const workerReads = (): boolean => openFiles().some((file) => file.endsWith('split-copies-worker.bin'));
    const error = await cancelledTraining('cancel_mid_read', (p) => p.phase === 'read' && workerReads());
    expect(error.code).toBe('cancelled');
    const after = openFiles();
    expect(after.filter((file) => file.startsWith(cacheParent))).toEqual([]);
    expect(after.sort()).toEqual(before.sort());
    // The cache folder went with the training.
    expect(readdirSync(cacheParent)).toEqual([]);
    // And the engine trains on.
    const [trained] = await engine.runAll(`CREATE OR REPLACE MODEL cancel_after FROM (SELECT * FROM ${table} LIMIT 20000) PREDICT label RECIPE (exclude(id));`);
    expect(trained!.rows.length).toBe(1);
  }, 120_000);

  it('cancelled during pass 0, while the worker encodes, every file it opened is closed too', async () => {
    const before = openFiles();
    const error = await cancelledTraining('cancel_mid_train', (p) => p.phase === 'train' && p.pass === 1 && p.rows >= 2 * ROW_WORKER_MIN_ROWS);
    expect(error.code).toBe('cancelled');
    const after = openFiles();
    expect(after.filter((file) => file.startsWith(cacheParent))).toEqual([]);
    expect(after.sort()).toEqual(before.sort());
  }, 120_000);

  it('cancelled mid-read without a worker (the roles and copies files on the main thread), every file it opened is closed', async () => {
    const before = openFiles();
    const error = await cancelledTraining('cancel_inline', (p) => p.phase === 'read' && p.rows >= 2 * ROW_WORKER_MIN_ROWS, inline);
    expect(error.code).toBe('cancelled');
    const after = openFiles();
    expect(after.filter((file) => file.startsWith(cacheParent))).toEqual([]);
    expect(after.sort()).toEqual(before.sort());
  }, 120_000);
});
