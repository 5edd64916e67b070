/**
 * A one-hot over many ASCII categories, compiled where the dialect compares text keys by
 * byte order (SqlDialect.textKeyBelow: PostgreSQL) into a binary search over the sorted
 * categories, elsewhere into one CASE: on every database the compiled model answers as
 * the stream does for each category, for values sorting between, before and after them
 * (prefixes, case, trailing spaces, '', non-ASCII), for NULL, and for an integer input's
 * NULL (an integer is never NaN: only NULL is missing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { ownDatabase, serverTargets } from '../helpers/servers.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];

/** Trained categories: prefixes of each other, both cases, punctuation, a space inside. */
const CATEGORIES = ['a', 'a1', 'a10', 'a2', 'b', 'B', 'a b', 'z~', 'm-1', 'm_1', 'Q', 'c3_45'];
/** Scored values the model never saw, each sorting somewhere among the categories. */
const UNSEEN = ['a0', 'a11', 'a3', 'aa', 'A', '', ' ', 'a ', 'b ', 'zz', '~', '!', 'é', 'aé', 'm', 'm-0', 'c3_4', 'c3_450', '0'];

describe.each(TARGETS)('$label', ({ url: sharedUrl }) => {
  let engine: Engine;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const src = `ohs_src_${tag}`;
  const score = `ohs_score_${tag}`;
  const model = `ohs_model_${tag}`;
  const sql = (text: string): Promise<ResultTable> => engine.adapter.query(text);
  const run = async (text: string): Promise<ResultTable> => (await engine.runAll(text)).at(-1)!;
  const text = (value: string | null): string => (value === null ? 'NULL' : engine.adapter.sql.quoteString(value));

  beforeAll(async () => {
    const url = sharedUrl.startsWith('duckdb') ? sharedUrl : await ownDatabase(sharedUrl, 'ohs');
    engine = await Engine.open(url);
    for (const table of [src, score]) {
      await sql(`DROP TABLE IF EXISTS ${table}`);
      await sql(`CREATE TABLE ${table} (id INTEGER NOT NULL PRIMARY KEY, cat VARCHAR(20), n BIGINT, y INTEGER)`);
    }
    // Each category with its own rate of y = 1, so every category's weight differs.
    const training = Array.from({ length: 600 }, (_, i) => {
      const c = i % CATEGORIES.length;
      const n = i % 7 === 0 ? null : (i * 13) % 50;
      const y = (i * 7919) % 100 < (c * 100) / CATEGORIES.length ? 1 : 0;
      return `(${i + 1}, ${text(CATEGORIES[c]!)}, ${n ?? 'NULL'}, ${y})`;
    });
    await sql(`INSERT INTO ${src} VALUES ${training.join(', ')}`);
    const scored = [...CATEGORIES, ...UNSEEN, null].flatMap((value, i) => [`(${2 * i + 1}, ${text(value)}, ${i % 50}, 0)`, `(${2 * i + 2}, ${text(value)}, NULL, 0)`]);
    await sql(`INSERT INTO ${score} VALUES ${scored.join(', ')}`);
    await run(`CREATE MODEL ${model} FROM (SELECT cat, n, y FROM ${src}) PREDICT y USING passes = 3;`);
  }, 120_000);

  afterAll(async () => {
    if (!engine) return;
    await run(`DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    for (const table of [src, score]) await sql(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await engine.close();
  });

  it('answers as the stream for every category, every unseen value and NULL', async () => {
    const explained = await run(`EXPLAIN PREDICT ${model} FROM ${score};`);
    const compiled = String(explained.rows[0]![explained.columns.findIndex((column) => column.name === 'sql')]);
    // The one-hot is one: each category stated in the compiled SQL, searched where the dialect can.
    for (const category of CATEGORIES) expect(compiled).toContain(engine.adapter.sql.quoteString(category));
    expect(compiled.includes('COLLATE "C"')).toBe(engine.adapter.sql.textKeyBelow !== undefined);
    const byId = (result: ResultTable): Map<number, readonly Value[]> => new Map(result.rows.map((row) => [Number(row[0]), row]));
    const database = byId(await run(`PREDICT ${model} FROM (SELECT id, cat, n FROM ${score}) USING engine = 'database';`));
    const stream = byId(await run(`PREDICT ${model} FROM (SELECT id, cat, n FROM ${score}) USING engine = 'stream';`));
    expect(database.size).toBe((CATEGORIES.length + UNSEEN.length + 1) * 2);
    expect(database.size).toBe(stream.size);
    const scores = new Set<number>();
    for (const [id, want] of stream) {
      const have = database.get(id)!;
      expect(String(have[3]), `row ${id} (${String(want[1])}) predicted_label`).toBe(String(want[3]));
      expect(Math.abs(Number(have[4]) - Number(want[4])), `row ${id} (${String(want[1])}) score`).toBeLessThan(1e-9);
      scores.add(Number(want[4]));
    }
    // The categories' weights differ: a value routed to a wrong one would show.
    expect(scores.size).toBeGreaterThan(CATEGORIES.length);
  });
});
