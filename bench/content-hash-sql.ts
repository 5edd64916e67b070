/**
 * The split's content hash computed in the database (src/engine/split-sql.ts
 * contentHashSql) over gen.py's binary table, as JSON lines: per variant, the seconds of
 * one `SELECT COUNT(*), SUM(hash)` over it (the sum tells the variants agree). Variants,
 * alternated run by run in one process:
 * - `bits`: the dialect's doubleBits, where it has one (a double's words read from its bits);
 * - `arithmetic`: the same dialect without doubleBits (the words worked out with LN, FLOOR
 *   and POWER over two more layers).
 *   npx tsx bench/content-hash-sql.ts URL [--rows 1000000] [--repeat 3]
 * URL is a database holding bench/train-engines.ts's table (`--setup-only` loads it), e.g.
 * duckdb:/tmp/sqlml-train-bench/train.duckdb. Each line has the load average when it was
 * taken, and the first the CPU.
 */
import { parseArgs } from 'node:util';
import type { SplitSqlDialect } from '../adapters/split-sql-dialect.js';
import { Engine } from '../src/engine/engine.js';
import { CONTENT_HASH_COLUMN, contentHashSql } from '../src/engine/split-sql.js';
import { binaryTable, emitter, machine, round } from './gen-tables.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { rows: { type: 'string', default: '1000000' }, repeat: { type: 'string', default: '3' } },
});
const url = positionals[0];
if (url === undefined) throw new Error('usage: npx tsx bench/content-hash-sql.ts URL [--rows N] [--repeat N]');
const emit = emitter('content-hash-sql');
emit({ what: 'machine', ...machine() });

const engine = await Engine.open(url);
const adapter = engine.adapter;
const table = adapter.sql.quoteIdent(binaryTable(Number(args.rows)));
/** The dense model's columns, as bench/train-engines.ts reads them (c4 and c5 are hashed there). */
const DENSE = ['id', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10', 'c1', 'c2', 'c3', 'label'];
const source = `(SELECT ${DENSE.map((c) => adapter.sql.quoteIdent(c)).join(', ')} FROM ${table})`;
const probe = await adapter.openStream(`SELECT * FROM ${source} t WHERE 1 = 0`, { batchRows: 1 });
const columns = probe.columns.map((c) => ({ sql: adapter.sql.quoteIdent(c.name), type: c.type }));
await probe.close();
const { doubleBits: _, ...arithmetic } = adapter.sql.split;
const variants: [string, SplitSqlDialect][] = [['arithmetic', arithmetic]];
if (adapter.sql.split.doubleBits !== undefined) variants.push(['bits', adapter.sql.split]);
for (let run = 0; run < Number(args.repeat); run++) {
  for (const [variant, dialect] of variants) {
    const started = performance.now();
    const result = await adapter.query(`SELECT COUNT(*), SUM(${CONTENT_HASH_COLUMN}) FROM (${contentHashSql(dialect, source, columns, 42)}) h`);
    const [rows, sum] = result.rows[0]!;
    emit({ what: 'content hash', database: adapter.sql.name, variant, run, rows: Number(rows), hash_sum: String(sum), seconds: round((performance.now() - started) / 1000) });
  }
}
await engine.close();
