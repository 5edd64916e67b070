/**
 * Training speed and memory on DuckDB, as JSON lines:
 *   npx tsx bench/train.ts [--rows 1000000,5000000]
 * The synthetic table is generated once, at the largest size, into a DuckDB file; each
 * size then reads its first N rows (`WHERE id < N`), so every size sees the same file
 * and the same DuckDB buffer-pool cap. Each measurement runs in a fresh process so its
 * peak RSS is its own: the physical limit (DuckDB streaming the rows into node with no
 * decoding, and DuckDB's own COPY ... TO a file), then CREATE MODEL end to end on the
 * built package (bench/built.ts) with its read rate, per-pass rates, peak RSS and AUC.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOnce } from './built.js';

const args = process.argv.slice(2);
const sizesArg = args.includes('--rows') ? args[args.indexOf('--rows') + 1]! : '1000000,5000000';
const sizes = sizesArg.split(',').map(Number);
const one = fileURLToPath(new URL('./train-one.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'sqlml-bench-'));
const file = join(dir, 'bench.duckdb');
function step(rows: number, mode: string): void {
  const child = spawnSync(process.execPath, ['--import', 'tsx', one, String(rows), mode, file], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (child.status !== 0) process.exit(child.status ?? 1);
}
buildOnce();
try {
  step(Math.max(...sizes), 'generate');
  for (const rows of sizes) {
    step(rows, 'limit');
    step(rows, 'sqlml');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
