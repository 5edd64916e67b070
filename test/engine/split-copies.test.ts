/**
 * The split's copies counted on disk after the read (split-copies.ts): the roles are the
 * exact count's, row by row, whatever the batches, the duplication, the row estimate and
 * so the partitions; the memory is the partitions' buffers and one partition's counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { RowBatch } from '../../src/data.js';
import { RoleFile, SplitCopies } from '../../src/engine/split-copies.js';
import { mulberry32 } from '../../src/learn/random.js';
import { contentHashes, RowRole, RowSplitter, type SplitSpec } from '../../src/learn/split.js';

const SPEC: SplitSpec = { trainFraction: 0.7, validationFraction: 0.1, seed: 1 };
const dir = mkdtempSync(join(tmpdir(), 'sqlml-split-copies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** `n` rows over `distinct` contents (a number, a 0/1 target that is NULL in 1 row of 50), skewed, seeded. */
function manyContents(n: number, distinct: number, seed: number): RowBatch {
  const next = mulberry32(seed);
  const a = new Float64Array(n);
  const y = new Float64Array(n);
  const nulls = new Uint8Array(n);
  for (let row = 0; row < n; row++) {
    const pick = Math.floor(next() ** 2 * distinct);
    a[row] = pick * 0.25;
    y[row] = pick % 2;
    nulls[row] = pick % 50 === 7 ? 1 : 0;
  }
  return { rowCount: n, columns: [{ kind: 'number', values: a, nulls: new Uint8Array(n) }, { kind: 'number', values: y, nulls }] };
}

function sliceBatch(batch: RowBatch, from: number, to: number): RowBatch {
  return {
    rowCount: to - from,
    columns: batch.columns.map((c) =>
      c.kind === 'number' ? { kind: 'number' as const, values: c.values.subarray(from, to), nulls: c.nulls.subarray(from, to) } : { kind: 'text' as const, values: c.values.slice(from, to) },
    ),
  };
}

/**
 * Roles of `batch` streamed in batches of `batchRows` as the training's read gives them:
 * first copies' roles during the read, into a role file, the copies counted by
 * partitions after it. The roles, the role counts, the rows whose role changed, the partitions.
 */
function countedOnDisk(batch: RowBatch, spec: SplitSpec, batchRows: number, expectedRows: number, rowsPerPartition = 8192) {
  const id = ++files;
  const roleFile = new RoleFile(join(dir, `roles-${id}.bin`));
  const copies = new SplitCopies(join(dir, `copies-${id}.bin`), spec, expectedRows, null, { rowsPerPartition, minPartitions: 1 });
  const splitter = new RowSplitter(spec, { firstCopies: true });
  const counts = new Float64Array(4);
  const sizes: number[] = [];
  try {
    for (let from = 0; from < batch.rowCount; from += batchRows) {
      const part = sliceBatch(batch, from, Math.min(batch.rowCount, from + batchRows));
      const hashes = contentHashes(part, spec.seed, new Int32Array(2 * part.rowCount));
      const roles = new Uint8Array(part.rowCount);
      splitter.assign(part, 1, roles, hashes);
      for (const role of roles) counts[role]! += 1;
      copies.add(hashes, roles, part.rowCount);
      roleFile.append(roles, part.rowCount);
      sizes.push(part.rowCount);
    }
    const changed = copies.resolve(roleFile, sizes, counts);
    const roles = new Uint8Array(batch.rowCount);
    let at = 0;
    for (let b = 0; b < sizes.length; b++) {
      roles.set(roleFile.batch(b), at);
      at += sizes[b]!;
    }
    return { roles, counts, changed, partitions: copies.partitions };
  } finally {
    copies.close();
    roleFile.close();
  }
}

describe('the split with copies counted on disk after the read', () => {
  it('gives every row the role the exact count gives, over many partitions, and moves the role counts with the changed rows', () => {
    const n = 120_000;
    const batch = manyContents(n, 60_000, 9);
    const exact = new Uint8Array(n);
    new RowSplitter(SPEC).assign(batch, 1, exact);
    // 16 partitions of about 8,192 rows each.
    const { roles, counts, changed, partitions } = countedOnDisk(batch, SPEC, 2048, n, 8192);
    expect(partitions).toBe(16);
    expect(roles).toEqual(exact);
    expect(changed).toBeGreaterThan(1000);
    for (const role of [RowRole.Train, RowRole.Validation, RowRole.Holdout, RowRole.Skip]) {
      expect(counts[role], `role ${role}`).toBe(exact.filter((r) => r === role).length);
    }
  });

  it('property: equals the exact split row by row, whatever the batch size, the duplication, the row estimate and the partitions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 1, max: 30_000 }),
        fc.integer(),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer({ min: 64, max: 5000 }),
        (n, distinct, seed, batchRows, expectedRows, rowsPerPartition) => {
          const batch = manyContents(n, distinct, seed);
          const spec: SplitSpec = { trainFraction: 0.7, validationFraction: 0.1, seed };
          const exact = new Uint8Array(n);
          new RowSplitter(spec).assign(batch, 1, exact);
          expect(countedOnDisk(batch, spec, batchRows, expectedRows, rowsPerPartition).roles).toEqual(exact);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps nothing per row during the read: a first-copies splitter counts nothing, where the exact one keeps 16-32 bytes a distinct row', () => {
    const n = 200_000;
    const batch: RowBatch = {
      rowCount: n,
      columns: [
        { kind: 'number', values: Float64Array.from({ length: n }, (_, i) => i), nulls: new Uint8Array(n) },
        { kind: 'number', values: Float64Array.from({ length: n }, (_, i) => i % 2), nulls: new Uint8Array(n) },
      ],
    };
    const exact = new RowSplitter(SPEC);
    exact.assign(batch, 1, new Uint8Array(n));
    const first = new RowSplitter(SPEC, { firstCopies: true });
    first.assign(batch, 1, new Uint8Array(n), contentHashes(batch, SPEC.seed, new Int32Array(2 * n)));
    expect(exact.byteLength).toBeGreaterThanOrEqual(16 * n);
    expect(first.byteLength).toBe(0);
  });

  it('sizes its partitions by the rows expected, within bounds', () => {
    const partitions = (expectedRows: number): number => {
      const copies = new SplitCopies(join(dir, `sizes-${++files}.bin`), SPEC, expectedRows);
      copies.close();
      return copies.partitions;
    };
    // At least 256 (a training often has no estimate), one per 2^18 rows past 2^26, at most 1024.
    expect([0, 1000, 1_000_000, 10_000_000, 67_108_864, 100_000_000, 1e12].map(partitions)).toEqual([256, 256, 256, 256, 256, 512, 1024]);
  });
});
