/**
 * The column profile computed inside the database (src/engine/profile-in-database.ts)
 * against the streaming Profiler reading every row through the adapter, side by side in
 * one run, as JSON lines (each with the load average):
 *   npx tsx bench/profile-engines.ts [--rows 1000000,10000000] [--db duckdb,postgres]
 *     [--data /tmp/sqlml-predict-engines] [--work /tmp/sqlml-profile-engines] [--postgres URL]
 * The table is ../shared/bench/gen.py's binary one, from `<data>/binary_<rows>.csv` (as
 * bench/predict-engines.ts generates them), loaded once per size and kept between runs:
 * into a DuckDB file under --work by read_csv, into PostgreSQL by psql's `\copy`.
 * Per size and database: the database profile's seconds and queries, then the stream's
 * seconds, then one line comparing them (and whether the two profiles make the same
 * decisions: counts, NULLs, min/max, distinct maps).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { openAdapter } from '../adapters/registry.js';
import type { Adapter } from '../adapters/adapter.js';
import { profileInDatabase } from '../src/engine/profile-in-database.js';
import { Profiler, type Profile } from '../src/learn/profile.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const sizes = option('--rows', '1000000').split(',').map(Number);
const databases = option('--db', 'duckdb,postgres').split(',');
const dataDir = option('--data', '/tmp/sqlml-predict-engines');
const workDir = option('--work', '/tmp/sqlml-profile-engines');
const postgresUrl = option('--postgres', process.env.SQLML_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/sqlml_bench');

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
const emit = (line: Record<string, unknown>): void => console.log(JSON.stringify({ ...line, load: load() }));

const COLUMNS = `id BIGINT, ${Array.from({ length: 10 }, (_, i) => `x${i + 1} DOUBLE PRECISION`).join(', ')}, ${Array.from({ length: 5 }, (_, i) => `c${i + 1} TEXT`).join(', ')}, label INTEGER`;

async function ensureTable(db: string, adapter: Adapter, table: string, csv: string): Promise<void> {
  const exists = await adapter.tableExists({ name: table });
  if (exists) return;
  if (db === 'duckdb') {
    await adapter.query(`CREATE TABLE ${table} (${COLUMNS.replaceAll('DOUBLE PRECISION', 'DOUBLE')})`);
    await adapter.query(`INSERT INTO ${table} SELECT * FROM read_csv('${csv}', header = true)`);
  } else {
    await adapter.query(`CREATE TABLE ${table} (${COLUMNS})`);
    execFileSync('psql', [postgresUrl, '-qc', `\\copy ${table} FROM '${csv}' CSV HEADER`], { stdio: 'inherit' });
    await adapter.query(`VACUUM ANALYZE ${table}`);
  }
}

async function streamProfile(adapter: Adapter, table: string, seed: number): Promise<{ profile: Profile; seconds: number }> {
  const started = performance.now();
  const stream = await adapter.openStream(`SELECT * FROM ${table}`, { batchRows: 8192, reuseBatches: true });
  const profiler = new Profiler(stream.columns, { seed });
  for await (const batch of stream.batches()) profiler.add(batch);
  return { profile: profiler.finish(), seconds: (performance.now() - started) / 1000 };
}

/** The fields both profiles hold exactly (the moments within rounding, the samples drawn differently). */
function sameDecisions(a: Profile, b: Profile): boolean {
  return (
    a.rows === b.rows &&
    a.columns.every((c, i) => {
      const o = b.columns[i]!;
      const same = (x: number, y: number) => x === y || (Number.isNaN(x) && Number.isNaN(y));
      const map = (m: ReadonlyMap<string, number> | null) => (m === null ? null : JSON.stringify([...m].sort()));
      return c.count === o.count && c.nulls === o.nulls && same(c.min, o.min) && same(c.max, o.max) && c.distinctOverflow === o.distinctOverflow && map(c.distinct) === map(o.distinct);
    })
  );
}

mkdirSync(workDir, { recursive: true });
for (const rows of sizes) {
  const csv = join(dataDir, `binary_${rows}.csv`);
  if (!existsSync(csv)) throw new Error(`${csv} is missing: bench/predict-engines.ts --setup-only generates it`);
  for (const db of databases) {
    const url = db === 'duckdb' ? `duckdb:${join(workDir, 'bench.duckdb')}` : postgresUrl;
    const adapter = await openAdapter(url);
    try {
      const table = `profile_binary_${rows}`;
      await ensureTable(db, adapter, table, csv);
      const columns = (await adapter.openStream(`SELECT * FROM ${table} WHERE 1 = 0`, { batchRows: 1 })).columns;
      const inDatabase = await profileInDatabase(adapter, table, columns, { seed: 1 });
      emit({ db, rows, engine: 'database', seconds: +inDatabase.seconds.toFixed(3), queries: inDatabase.queries });
      const stream = await streamProfile(adapter, table, 1);
      emit({ db, rows, engine: 'stream', seconds: +stream.seconds.toFixed(3) });
      emit({ db, rows, comparison: 'stream seconds / database seconds', ratio: +(stream.seconds / inDatabase.seconds).toFixed(2), sameDecisions: sameDecisions(inDatabase.profile, stream.profile) });
    } finally {
      await adapter.close();
    }
  }
}
