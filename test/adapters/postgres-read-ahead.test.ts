/**
 * The PostgreSQL stream's read-ahead against a consumer slower than the server (the
 * training's read, which caches and profiles each batch before it asks for the next):
 * the binary COPY is handed to the decoder chunk by chunk as the socket read it, not as
 * everything buffered joined into one Buffer, so with `reuseBatches` the batches keep
 * coming in the few recycled arrays rather than in fresh ones for every batch a
 * multi-megabyte chunk holds, and the rows are the same.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAdapter } from '../../adapters/registry.js';
import type { Adapter } from '../../adapters/adapter.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const available = (await serverTargets()).some((target) => target.url === POSTGRES_URL);

describe.runIf(available)('PostgreSQL stream: read-ahead for a slow consumer', () => {
  let adapter: Adapter;
  beforeAll(async () => {
    adapter = await openAdapter(POSTGRES_URL);
  });
  afterAll(async () => {
    await adapter?.close();
  });

  it('decodes into recycled arrays, whatever the server sent ahead, and reads every row', async () => {
    const rows = 300_000;
    // About 50 bytes a row in the COPY: a 4,096-row batch is about 200 KB, 20 of them the read-ahead's 4 MB.
    const stream = await adapter.openStream(`SELECT i::bigint AS i, i / 8.0::float8 AS x, 'row ' || (i % 100) AS t FROM generate_series(1, ${rows}) AS g(i)`, {
      batchRows: 4096,
      reuseBatches: true,
    });
    const arrays = new Set<Float64Array>();
    let count = 0;
    let sum = 0;
    let texts = 0;
    try {
      for await (const batch of stream.batches()) {
        const x = batch.columns[1]!;
        const t = batch.columns[2]!;
        if (x.kind !== 'number' || t.kind !== 'text') throw new Error('unexpected column kinds');
        arrays.add(x.values);
        for (let row = 0; row < batch.rowCount; row++) {
          sum += x.values[row]!;
          if (t.values[row] === `row ${(count + row + 1) % 100}`) texts++;
        }
        count += batch.rowCount;
        // The consumer is slow: the server has long filled the read-ahead when it comes back.
        await sleep(count === batch.rowCount ? 300 : 5);
      }
    } finally {
      await stream.close();
    }
    expect(count).toBe(rows);
    expect(sum).toBe((rows * (rows + 1)) / 2 / 8);
    expect(texts).toBe(rows);
    // The batch being filled, the one handed out and the one handed back (and the short last one's copy).
    expect(arrays.size).toBeLessThanOrEqual(4);
  });
});
