/**
 * Training speed and memory on DuckDB, as JSON lines:
 *   npx tsx bench/train.ts [--rows 1000000,5000000]
 * For each size: the synthetic table is generated into a DuckDB file by one process;
 * then, each in a fresh process so its peak RSS is its own: the physical limit (DuckDB
 * streaming the rows into node with no decoding, and DuckDB's own COPY ... TO a file),
 * and CREATE MODEL end to end with its read rate, per-pass rates, peak RSS and AUC.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const sizesArg = args.includes('--rows') ? args[args.indexOf('--rows') + 1]! : '1000000,5000000';
const sizes = sizesArg.split(',').map(Number);
const one = fileURLToPath(new URL('./train-one.ts', import.meta.url));

for (const rows of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'sqlml-bench-'));
  const file = join(dir, 'bench.duckdb');
  try {
    for (const mode of ['generate', 'limit', 'sqlml']) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', one, String(rows), mode, file], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (child.status !== 0) process.exit(child.status ?? 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
