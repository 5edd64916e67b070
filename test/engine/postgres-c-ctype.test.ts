/**
 * A PostgreSQL database whose ctype is C lower-cases ASCII only: a model that lower-cases
 * text must not run there in SQL (its answers would differ from the stream's for every
 * non-ASCII capital), so `auto` streams, says why, and `database` is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAdapter } from '../../adapters/registry.js';
import { Engine } from '../../src/engine/engine.js';
import { firstRow } from '../helpers/engine.js';
import { rejectionOf } from '../helpers/errors.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const reachable = (await serverTargets()).some((target) => target.label === 'postgres');

describe.skipIf(!reachable)('postgres with ctype C', () => {
  const url = new URL(POSTGRES_URL);
  const name = `${decodeURIComponent(url.pathname.slice(1))}_c_ctype`;
  url.pathname = `/${name}`;
  let engine: Engine;

  beforeAll(async () => {
    const admin = await openAdapter(POSTGRES_URL);
    try {
      const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = ${admin.sql.quoteString(name)}`);
      if (exists.rows.length === 0) await admin.query(`CREATE DATABASE ${admin.sql.quoteIdent(name)} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    } finally {
      await admin.close();
    }
    engine = await Engine.open(url.toString());
    await engine.adapter.query('DROP TABLE IF EXISTS words');
    await engine.adapter.query(
      "CREATE TABLE words AS SELECT i AS id, (ARRAY['Éclair', 'éclair', 'Apple', 'ÀPPLE', 'apple'])[i % 5 + 1] AS word, i % 3 = 0 AS y FROM generate_series(1, 200) AS g(i)",
    );
  });

  afterAll(async () => {
    await engine?.close();
  });

  it('does not compile lower-casing: auto streams and says why, database is refused', async () => {
    expect(engine.adapter.sql.lowerText).toBeUndefined();
    await engine.runAll('CREATE OR REPLACE MODEL lower_m FROM (SELECT word, y FROM words) PREDICT y RECIPE (lowercase(word))');
    const explained = firstRow((await engine.runAll('EXPLAIN PREDICT lower_m FROM words;'))[0]!);
    expect(explained.engine).toBe('stream');
    expect(String(explained.reason)).toContain("lower() does not lower-case as the model does");
    const error = await rejectionOf(engine.runAll("PREDICT lower_m FROM words USING engine = 'database';"));
    expect(error.message).toContain('lowercase()');
    const streamed = (await engine.runAll('PREDICT lower_m FROM words;'))[0]!;
    expect(streamed.rows).toHaveLength(200);
  });
});
