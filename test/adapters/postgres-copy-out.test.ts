/**
 * CopyOutStream (adapters/postgres/copy-out-stream.ts) against the real server: the
 * same bytes as pg-copy-streams' `to()` for binary and text COPY, with notices between
 * the rows; the server's own error mid-stream failing the query with its code; and the
 * connection usable after either (pg's parser got the messages after the copy back).
 */
import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { copyOut } from '../../adapters/postgres/copy-out-stream.js';
import { parsePostgresUrl } from '../../adapters/postgres/postgres-url.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const available = (await serverTargets()).some((target) => target.url === POSTGRES_URL);

async function bytesOf(stream: AsyncIterable<Buffer>): Promise<{ bytes: Buffer; chunks: number }> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks), chunks: chunks.length };
}

describe.skipIf(!available)('COPY … TO STDOUT without a Buffer per row (PostgreSQL)', () => {
  let client: pg.Client;
  beforeAll(async () => {
    const settings = parsePostgresUrl(POSTGRES_URL);
    client = new pg.Client({ user: settings.user, host: settings.host, port: settings.port, database: settings.database });
    await client.connect();
    // Raises a notice every 10,000 rows: NoticeResponse messages between the CopyData ones.
    await client.query(`CREATE FUNCTION pg_temp.noisy(i int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN IF i % 10000 = 0 THEN RAISE NOTICE 'row %', i; END IF; RETURN i; END $$`);
  });
  afterAll(async () => {
    await client?.end();
  });

  // ~200,000 rows of a few types, some NULL: several MB, so the socket's chunks cut rows and message headers anywhere.
  const rows = (id: string): string => `SELECT ${id} AS i, i::float8 / 7 AS x, CASE WHEN i % 5 = 0 THEN NULL ELSE repeat('é', i % 9) END AS t, (i % 3 = 0) AS b
    FROM generate_series(1, 200000) AS i`;

  for (const format of ['binary', 'text'] as const) {
    it(`gives the bytes pg-copy-streams gives, ${format} format, with notices between the rows or not`, async () => {
      const quiet = `COPY (${rows('i')}) TO STDOUT (FORMAT ${format})`;
      const noisy = `COPY (${rows('pg_temp.noisy(i)')}) TO STDOUT (FORMAT ${format})`;
      const expected = await bytesOf(client.query(copyStreams.to(quiet)) as AsyncIterable<Buffer>);
      expect(expected.bytes.length).toBeGreaterThan(3_000_000);
      for (const sql of [quiet, noisy]) {
        const got = await bytesOf(client.query(copyOut(sql)) as AsyncIterable<Buffer>);
        expect(got.bytes.equals(expected.bytes), sql).toBe(true);
      }
      expect((await bytesOf(client.query(copyStreams.to(noisy)) as AsyncIterable<Buffer>)).bytes.equals(expected.bytes)).toBe(true);
      // The copy's closing messages went back to pg: the connection answers the next query.
      expect((await client.query('SELECT 42 AS answer')).rows).toEqual([{ answer: 42 }]);
    });
  }

  it('fails with the server error raised mid-stream, and leaves the connection usable', async () => {
    const copy = client.query(copyOut(`COPY (SELECT 1 / (i - 150000) FROM generate_series(1, 200000) AS i) TO STDOUT (FORMAT binary)`));
    let bytes = 0;
    const failure = await (async () => {
      for await (const chunk of copy as AsyncIterable<Buffer>) bytes += chunk.length;
    })().then(
      () => null,
      (error: unknown) => error as { code?: string; message: string },
    );
    expect(failure?.code).toBe('22012');
    expect(failure?.message).toBe('division by zero');
    expect((await client.query('SELECT 7 AS n')).rows).toEqual([{ n: 7 }]);
  });
});
