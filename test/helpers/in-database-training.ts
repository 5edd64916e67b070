/**
 * What the tests of training in the database (test/engine/train-in-database*.test.ts)
 * share: the source tables copied from an in-memory DuckDB into each target database,
 * dropped with the tests' models at the end, and a count of the scratch tables left.
 */
import type { Engine } from '../../src/engine/engine.js';
import { SCRATCH_PREFIX } from '../../src/engine/scratch-table.js';

/** Copies each of `reader`'s tables (key) into `engine`'s database under its new name (value). */
export async function copyTables(engine: Engine, reader: Engine, tables: Readonly<Record<string, string>>): Promise<void> {
  for (const [from, table] of Object.entries(tables)) {
    const stream = await reader.adapter.openStream(`SELECT * FROM ${from}`, { batchRows: 4096 });
    await engine.adapter.write({ name: table }, stream.columns, stream.batches(), 'replace');
  }
}

/** Drops the tests' models and copied tables (whatever is left of them), then closes the engine. */
export async function dropAndClose(engine: Engine | undefined, models: readonly string[], tables: Readonly<Record<string, string>>): Promise<void> {
  if (!engine) return;
  for (const model of models) await engine.runAll(`DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
  for (const table of Object.values(tables)) await engine.adapter.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  await engine.close();
}

/** How many scratch tables whose name carries `tag` the database holds. */
export async function scratchTablesLeft(engine: Engine, tag: string): Promise<number> {
  const like = `'${SCRATCH_PREFIX.replaceAll('_', '\\_')}%'${engine.adapter.sql.name === 'mysql' ? '' : " ESCAPE '\\'"}`;
  return Number((await engine.adapter.query(`SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE ${like} AND table_name LIKE '%${tag}%'`)).rows[0]![0]);
}
