/**
 * `engine = 'auto'` with a hashed category follows the figures the dialect carries
 * (capabilities.slowerThanStream, from bench/predict-engines.ts): the stream where the
 * statement measured slower in the database, with the figure in EXPLAIN PREDICT's
 * reason, else the database; `engine = 'database'` runs it there all the same, with the
 * stream's answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { firstRow, run } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];
const ROWS = 600;

describe.each(TARGETS)('$label: auto with a hashed category', ({ url }) => {
  let engine: Engine;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const [src, model, out] = [`ech_src_${tag}`, `ech_model_${tag}`, `ech_out_${tag}`];

  beforeAll(async () => {
    engine = await Engine.open(url);
    await engine.adapter.query(`CREATE TABLE ${src} (id INTEGER NOT NULL PRIMARY KEY, x DOUBLE PRECISION, cat VARCHAR(20), y INTEGER)`);
    // 300 category values: above one-hot's limit, so the category is hashed.
    const rows = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, ${(i % 37) / 4}, ${i % 17 === 0 ? 'NULL' : `'k${(i * 7919) % 300}'`}, ${(i % 37) > 18 || (i * 7919) % 300 < 60 ? 1 : 0})`);
    await engine.adapter.query(`INSERT INTO ${src} VALUES ${rows.join(', ')}`);
    await run(engine, `CREATE MODEL ${model} FROM (SELECT x, cat, y FROM ${src}) PREDICT y USING passes = 2;`);
  }, 120_000);

  afterAll(async () => {
    if (!engine) return;
    await engine.adapter.query(`DROP TABLE IF EXISTS ${src}`).catch(() => undefined);
    await engine.adapter.query(`DROP TABLE IF EXISTS ${out}`).catch(() => undefined);
    await run(engine, `DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    await engine.close();
  });

  it('picks the engine the figures chose, and engine = database answers as the stream', async () => {
    const slower = engine.adapter.sql.capabilities.slowerThanStream;
    const explained = firstRow(await run(engine, `EXPLAIN PREDICT ${model} FROM ${src};`));
    // The SQL is shown whichever engine auto picks: the model compiles.
    expect(String(explained.sql)).toMatch(/^SELECT /);
    const figure = slower?.predict?.hashed;
    if (figure !== undefined) {
      expect(explained.engine).toBe('stream');
      expect(String(explained.reason)).toContain('model with hashed features measured slower');
      expect(String(explained.reason)).toContain(`${figure.ratio}x`);
    } else {
      expect(explained).toMatchObject({ engine: 'database', reason: null });
    }
    // PREDICT … INTO follows its own figure, and says which engine ran.
    const into = firstRow(await run(engine, `PREDICT ${model} FROM ${src} INTO ${out} KEY id;`));
    expect(into.engine).toBe(slower?.predictInto?.hashed !== undefined ? 'stream' : 'database');
    expect(Number(into.rows_written)).toBe(ROWS);
    const stream = await run(engine, `PREDICT ${model} FROM ${src} USING engine = 'stream';`);
    const database = await run(engine, `PREDICT ${model} FROM ${src} USING engine = 'database';`);
    const at = (name: string): number => stream.columns.findIndex((column) => column.name === name);
    const byId = (rows: readonly (readonly unknown[])[]): (readonly unknown[])[] => [...rows].sort((a, b) => Number(a[at('id')]) - Number(b[at('id')]));
    const [s, d] = [byId(stream.rows), byId(database.rows)];
    expect(d).toHaveLength(ROWS);
    d.forEach((row, i) => {
      expect(Number(row[at('predicted_label')])).toBe(Number(s[i]![at('predicted_label')]));
      expect(Math.abs(Number(row[at('score')]) - Number(s[i]![at('score')]))).toBeLessThan(1e-9);
    });
  }, 120_000);
});
