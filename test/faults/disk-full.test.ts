/**
 * A training whose cache fills its disk, for real: the cache goes to an 8 MB tmpfs (the
 * tests run as root, here and in CI). Whether the disk fills (ENOSPC: during the read, on
 * the main thread writing the row cache, or during the encoding, in the worker writing the
 * example caches) or the training reaches its limit first (the default, half the free
 * space), the statement fails with
 * one sentence naming the folder, the cache folder is gone, no model version is stored,
 * the previous one stays active, and the next training on the same disk succeeds.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../adapters/adapter.js';
import type { Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { serverTargets } from '../helpers/servers.js';
import { numberedSourceTable } from './numbered-source.js';
import { rejectionOf } from '../helpers/errors.js';

const scratch = mkdtempSync(join(tmpdir(), 'sqlml-faults-disk-'));
const disk = join(scratch, 'disk');

beforeAll(() => {
  mkdirSync(disk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', disk]);
});
afterAll(() => {
  execFileSync('umount', [disk]);
  rmSync(scratch, { recursive: true, force: true });
});

const TARGETS = [
  { label: 'duckdb', url: `duckdb:${join(scratch, 'faults.duckdb')}` },
  ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)'),
];

const ROWS = 100_000;
const MODEL = 'fault_disk_m';
const FEATURES = 'SELECT x1, x2, x3, cat, y FROM fault_disk_src';
/** Fourteen number columns: about 13 MB of raw rows, more than the disk holds before the read ends. */
const WIDE = `SELECT ${Array.from({ length: 11 }, (_, k) => `x1 + ${k} * x2 AS w${k}`).join(', ')}, x1, x2, x3, cat, y FROM fault_disk_src`;

const sourceTable = (dialect: DialectName): string => numberedSourceTable(dialect, 'fault_disk_src', ROWS);

describe.each(TARGETS)('a training cache that fills its disk, on $label', ({ url }) => {
  async function withEngine<T>(cacheLimit: string | undefined, work: (engine: Engine) => Promise<T>): Promise<T> {
    const engine = await Engine.open(url, { cacheParent: disk, ...(cacheLimit ? { cacheLimit } : {}) });
    try {
      return await work(engine);
    } finally {
      await engine.close();
    }
  }

  async function versions(engine: Engine): Promise<{ stored: number[]; active: number[]; shown: Value[] }> {
    const [stored] = await engine.runAll(`SELECT version FROM sqlml_model_versions WHERE name = '${MODEL}' ORDER BY version`);
    const [active] = await engine.runAll(`SELECT active_version FROM sqlml_models WHERE name = '${MODEL}'`);
    const [shown] = await engine.runAll('SHOW MODELS');
    return {
      stored: stored!.rows.map((row) => Number(row[0])),
      active: active!.rows.map((row) => Number(row[0])),
      shown: shown!.rows.filter((row) => row[0] === MODEL).map((row) => row[1]!),
    };
  }

  beforeAll(async () => {
    await withEngine(undefined, async (engine) => {
      await engine.runAll(`DROP TABLE IF EXISTS fault_disk_src; DROP MODEL IF EXISTS ${MODEL};`);
      await engine.runAll(sourceTable(engine.adapter.sql.name));
      // Small enough for the small disk.
      await engine.runAll(`CREATE MODEL ${MODEL} FROM (${FEATURES} WHERE id < 5000) PREDICT y USING passes = 2`);
    });
  }, 60_000);

  it('the default limit (half the free space) is reached before the disk fills', async () => {
    await withEngine(undefined, async (engine) => {
      const error = await rejectionOf(engine.runAll(`CREATE OR REPLACE MODEL ${MODEL} FROM (${FEATURES}) PREDICT y USING passes = 2`));
      expect(error.message).toMatch(
        new RegExp(
          `^the training cache in ${disk} reached its limit of [34]\\.\\d MB \\(the default SQLML_CACHE_LIMIT=50%: 50% of the [78]\\.\\d MB free there when the training started\\); set SQLML_CACHE_LIMIT higher`,
        ),
      );
      expect(readdirSync(disk)).toEqual([]);
      expect(await versions(engine)).toEqual({ stored: [1], active: [1], shown: [1] });
      // The disk is whole again: the next training on it succeeds.
      await engine.runAll(`RETRAIN MODEL ${MODEL} FROM (${FEATURES} WHERE id < 5000)`);
      expect(await versions(engine)).toEqual({ stored: [1, 2], active: [2], shown: [2] });
      expect(readdirSync(disk)).toEqual([]);
    });
  });
  // The read case last: on DuckDB, the next training on a file database after a failure
  // mid-read has been seen to stall for ~100 s (an open issue, not this suite's subject).
  it.each([
    ['the encoding (the example caches, worker thread)', FEATURES],
    ['the read (the row cache, main thread)', WIDE],
  ])('disk full during %s: one error naming the folder and what was written, nothing left, the previous version active', async (_, source) => {
    await withEngine('none', async (engine) => {
      const before = await versions(engine);
      expect(before.active).toEqual(before.shown);
      const error = await rejectionOf(engine.runAll(`CREATE OR REPLACE MODEL ${MODEL} FROM (${source}) PREDICT y USING passes = 2`));
      expect(error.message).toMatch(
        new RegExp(`^the training cache in ${disk} ran out of disk space after [4-8]\\.\\d MB; free space or set SQLML_CACHE_DIR to a folder on a larger disk$`),
      );
      expect(readdirSync(disk)).toEqual([]);
      expect(await versions(engine)).toEqual(before);
    });
  });
});
