/**
 * The order PostgreSQL sends a table's rows in is the order sqlml's passes learn them in,
 * so it must not depend on what else reads the table. With `synchronize_seqscans` on (the
 * server's default), a sequential scan of a table larger than a quarter of shared_buffers
 * starts where another scan of it last reported its position: a BI tool's or a backup's
 * scan running beside CREATE MODEL would shift the read's start and so change the model.
 * sqlml's streams turn it off for their session. Checked here the way it happens: a
 * second session's scan is left part-way through the table (a cursor that fetched half of
 * it), then sqlml's stream reads the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openAdapter } from '../../adapters/registry.js';
import type { Adapter } from '../../adapters/adapter.js';
import { parsePostgresUrl } from '../../adapters/postgres/postgres-url.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const available = (await serverTargets()).some((target) => target.url === POSTGRES_URL);
const TABLE = 'sqlml_scan_order';

describe.runIf(available)('PostgreSQL stream: the rows come in the table order whatever other scans do', () => {
  let adapter: Adapter;
  let other: pg.Client;
  let rows = 0;

  beforeAll(async () => {
    adapter = await openAdapter(POSTGRES_URL);
    const server = parsePostgresUrl(POSTGRES_URL);
    other = new pg.Client({ user: server.user, password: server.password, host: server.host, port: server.port, database: server.database });
    await other.connect();
    // Synchronized scans start at 25% of shared_buffers: the table is made twice that size.
    const [buffers] = (await other.query(`SELECT setting::bigint * 8192 / 4 AS threshold FROM pg_settings WHERE name = 'shared_buffers'`)).rows as { threshold: string }[];
    const bytesPerRow = 100;
    rows = Math.ceil((2 * Number(buffers!.threshold)) / bytesPerRow);
    await other.query(`DROP TABLE IF EXISTS ${TABLE}`);
    // About 100 bytes a row on disk (header, id and a 60-character filler).
    await other.query(`CREATE TABLE ${TABLE} AS SELECT g AS id, repeat('x', 60) AS filler FROM generate_series(1, ${rows}) AS g`);
    const [size] = (await other.query(`SELECT pg_relation_size('${TABLE}') AS bytes`)).rows as { bytes: string }[];
    expect(Number(size!.bytes)).toBeGreaterThan(Number(buffers!.threshold));
  }, 120_000);

  afterAll(async () => {
    await other?.query(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
    await other?.end();
    await adapter?.close();
  });

  /** The first id sqlml's stream reads of the table. */
  async function firstStreamedId(): Promise<number> {
    const stream = await adapter.openStream(`SELECT id FROM ${TABLE}`, { batchRows: 1024 });
    try {
      for await (const batch of stream.batches()) {
        const ids = batch.columns[0]!;
        return ids.kind === 'number' ? ids.values[0]! : Number(ids.values[0]);
      }
      return Number.NaN;
    } finally {
      await stream.close();
    }
  }

  it('starts at the first row while another session is part-way through a scan of the table', async () => {
    const alone = await firstStreamedId();
    await other.query('BEGIN');
    try {
      await other.query(`DECLARE half NO SCROLL CURSOR FOR SELECT id FROM ${TABLE}`);
      const fetched = await other.query(`FETCH ${Math.floor(rows / 2)} FROM half`);
      expect(fetched.rowCount).toBe(Math.floor(rows / 2));
      // The other session's own next scan starts where the first reported itself: the
      // server does synchronize scans here (else this test could not fail).
      const [synced] = (await other.query(`SELECT id FROM ${TABLE} LIMIT 1`)).rows as { id: number }[];
      expect(synced!.id).toBeGreaterThan(1);
      expect(await firstStreamedId()).toBe(alone);
    } finally {
      await other.query('ROLLBACK');
    }
  }, 120_000);
});
