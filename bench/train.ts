/**
 * Training speed and memory on DuckDB, as JSON lines:
 *   npx tsx bench/train.ts [--rows 1000000,5000000]
 * For each size, in a fresh process: the physical limit (DuckDB streaming the same rows
 * into node with no decoding, and DuckDB's own COPY ... TO a file), then CREATE MODEL
 * end to end with its read rate, per-pass rates, peak RSS and held-out AUC.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const sizesArg = args.includes('--rows') ? args[args.indexOf('--rows') + 1]! : '1000000,5000000';
const sizes = sizesArg.split(',').map(Number);
const one = fileURLToPath(new URL('./train-one.ts', import.meta.url));

for (const rows of sizes) {
  for (const mode of ['limit', 'sqlml']) {
    // One process per measurement, so peak RSS belongs to that measurement alone.
    const child = spawnSync(process.execPath, ['--import', 'tsx', one, String(rows), mode], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
}
