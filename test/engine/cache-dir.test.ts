import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CacheBudget, CacheDir, cacheLimit, currentOwner, folderOwner, openTrainingCache, removeAbandonedCaches } from '../../src/engine/cache-dir.js';
import { SqlmlError } from '../../src/errors.js';

const parent = mkdtempSync(join(tmpdir(), 'sqlml-cache-dir-test-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

function folder(name: string): string {
  const path = join(parent, name);
  mkdirSync(path);
  writeFileSync(join(path, 'rows.bin'), 'x');
  return path;
}

describe('cache folders and their owners', () => {
  it('names a folder after this process (machine, pid, start time)', () => {
    const dir = new CacheDir(parent);
    try {
      const owner = folderOwner(dir.path.slice(parent.length + 1));
      expect(owner).toEqual(currentOwner());
      expect(owner!.pid).toBe(process.pid);
      // On Linux the start time is known, so a reused pid is told apart.
      expect(owner!.start).not.toBe('0');
    } finally {
      dir.dispose();
    }
  });

  it("removes only the folders whose owner on this machine is dead; never a live process's", async () => {
    const me = currentOwner();
    const live = new CacheDir(parent);
    const dead = folder(`sqlml-cache-${me.machine}-${deadPid()}-12345-AbCd12`);
    // This process's pid with another start time: the pid of a process that died, reused.
    const reused = folder(`sqlml-cache-${me.machine}-${process.pid}-${Number(me.start) + 1}-AbCd13`);
    // A live pid whose start time could not be known: might be the owner.
    const unknownStart = folder(`sqlml-cache-${me.machine}-${process.pid}-0-AbCd14`);
    const otherMachine = folder(`sqlml-cache-${me.machine === '00000000' ? '11111111' : '00000000'}-${deadPid()}-12345-AbCd15`);
    const legacy = folder('sqlml-cache-AbCd16');
    const notAFolder = join(parent, `sqlml-cache-${me.machine}-${deadPid()}-12345-AbCd17`);
    writeFileSync(notAFolder, 'x');
    try {
      const removed = await removeAbandonedCaches(parent);
      expect(removed.sort()).toEqual([dead, reused].sort());
      for (const path of [live.path, unknownStart, otherMachine, legacy, notAFolder]) expect(existsSync(path)).toBe(true);
      expect(existsSync(dead) || existsSync(reused)).toBe(false);
    } finally {
      live.dispose();
      for (const path of [unknownStart, otherMachine, legacy, notAFolder]) rmSync(path, { recursive: true, force: true });
    }
  });

  it('a training first removes what dead processes left in its folder', async () => {
    const dead = folder(`sqlml-cache-${currentOwner().machine}-${deadPid()}-12345-AbCd18`);
    const dir = await openTrainingCache({ parent, limit: '1GB' });
    try {
      expect(existsSync(dead)).toBe(false);
      expect(readdirSync(parent)).toEqual([dir.path.slice(parent.length + 1)]);
    } finally {
      dir.dispose();
    }
    expect(readdirSync(parent)).toEqual([]);
  });

  it('says which folder it cannot create', async () => {
    const missing = join(parent, 'no-such-folder');
    await expect(openTrainingCache({ parent: missing })).rejects.toThrow(`cannot create the training cache in ${missing}: `);
  });
});

describe('SQLML_CACHE_LIMIT', () => {
  it('reads sizes, shares of the free space and none', () => {
    expect(cacheLimit('20GB', parent, true)).toEqual({ limit: 20 * 1024 ** 3, source: 'SQLML_CACHE_LIMIT=20GB' });
    expect(cacheLimit('512 mb', parent, true).limit).toBe(512 * 1024 ** 2);
    expect(cacheLimit('1048576', parent, true).limit).toBe(1048576);
    expect(cacheLimit('none', parent, true).limit).toBe(Infinity);
    const half = cacheLimit('50%', parent, false);
    expect(half.limit).toBeGreaterThan(0);
    expect(half.source).toMatch(/^the default SQLML_CACHE_LIMIT=50%: 50% of the \d+\.\d MB free there when the training started$/);
  });

  it.each(['', 'lots', '0%', '150%', '-1GB'])('refuses %j naming the setting', (text) => {
    expect(() => cacheLimit(text, parent, true)).toThrow(
      `SQLML_CACHE_LIMIT must be a size like '20GB' or '500MB', a share of the free space like '50%', or 'none', got '${text}'`,
    );
  });
});

describe('CacheBudget', () => {
  const mb = 1024 * 1024;

  it('counts what is written and refuses the write that would pass the limit, naming the folder and the setting', () => {
    const budget = new CacheBudget('/some/disk', 3 * mb, 'SQLML_CACHE_LIMIT=3MB');
    budget.write(2 * mb, () => 2 * mb);
    let called = false;
    const error = (() => {
      try {
        budget.write(2 * mb, () => ((called = true), 2 * mb));
      } catch (caught) {
        return caught as SqlmlError;
      }
      throw new Error('the write passed the limit');
    })();
    expect(called).toBe(false);
    expect(error.message).toBe(
      "the training cache in /some/disk reached its limit of 3.0 MB (SQLML_CACHE_LIMIT=3MB); set SQLML_CACHE_LIMIT higher (e.g. '20GB' or '90%') or exclude columns",
    );
    expect(budget.used).toBe(2 * mb);
  });

  it('turns ENOSPC and a short write into the disk-full sentence; other errors pass', () => {
    const budget = new CacheBudget('/some/disk', Infinity, 'no limit');
    budget.write(5 * mb, () => 5 * mb);
    const full = 'the training cache in /some/disk ran out of disk space after 5.0 MB; free space or set SQLML_CACHE_DIR to a folder on a larger disk';
    expect(() =>
      budget.write(mb, () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }),
    ).toThrow(full);
    expect(() => budget.write(mb, () => 0)).toThrow(full);
    expect(() => budget.write(mb, () => mb / 2)).toThrow('ran out of disk space after 5.5 MB');
    expect(() =>
      budget.write(mb, () => {
        throw Object.assign(new Error('EBADF: bad file descriptor, write'), { code: 'EBADF' });
      }),
    ).toThrow('EBADF');
  });

  it('is shared with another thread through its SharedArrayBuffer', () => {
    const budget = new CacheBudget('/some/disk', 10 * mb, 'SQLML_CACHE_LIMIT=10MB');
    const other = CacheBudget.from(structuredClone(budget.shared()));
    other.write(4 * mb, () => 4 * mb);
    expect(budget.used).toBe(4 * mb);
  });
});
