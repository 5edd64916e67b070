/**
 * Training speed and memory on DuckDB, as JSON lines:
 *   npx tsx bench/train.ts [--rows 1000000,5000000] [--repeat N]
 * The synthetic table is generated once, at the largest size, into a DuckDB file; each
 * size then reads its first N rows (`WHERE id < N`), so every size sees the same file
 * and the same DuckDB buffer-pool cap. Each measurement runs in a fresh process so its
 * peak RSS is its own: the physical limit (DuckDB streaming the rows into node with no
 * decoding, and DuckDB's own COPY ... TO a file), then CREATE MODEL end to end on the
 * built package (bench/built.ts) with its read rate, per-pass rates, peak RSS and AUC.
 * With --repeat N (default 1) each size alternates the two N times and ends with a
 * summary line: the medians and their ratio, the figure the 3× goal is about (on a
 * shared 2-core machine single runs of either vary by ±15%), next to the learner-only
 * ratio: its passes at the speed of a pass over the local cache, against the stream.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOnce } from './built.js';
import { median } from './median.js';

const args = process.argv.slice(2);
const sizesArg = args.includes('--rows') ? args[args.indexOf('--rows') + 1]! : '1000000,5000000';
const sizes = sizesArg.split(',').map(Number);
const repeats = args.includes('--repeat') ? Number(args[args.indexOf('--repeat') + 1]) : 1;
const one = fileURLToPath(new URL('./train-one.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'sqlml-bench-'));
const file = join(dir, 'bench.duckdb');
/** Runs one step in its own process, passing its JSON lines through; returns them parsed. */
function step(rows: number, mode: string): Record<string, unknown>[] {
  const child = spawnSync(process.execPath, ['--import', 'tsx', one, String(rows), mode, file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(child.stdout);
  if (child.status !== 0) process.exit(child.status ?? 1);
  return child.stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

buildOnce();
try {
  step(Math.max(...sizes), 'generate');
  for (const rows of sizes) {
    const stream: number[] = [];
    const reader: number[] = [];
    const training: number[] = [];
    const cachedPass: number[] = [];
    let passes = 0;
    for (let run = 0; run < repeats; run++) {
      const limits = step(rows, 'limit');
      stream.push(Number(limits.find((line) => String(line.what).startsWith('limit: duckdb chunks'))?.seconds));
      reader.push(Number(limits.find((line) => String(line.what).startsWith('reference: sqlml duckdb reader'))?.seconds));
      const sqlml = step(rows, 'sqlml')[0]!;
      training.push(Number(sqlml.seconds));
      const passSeconds = sqlml.pass_seconds as number[];
      passes = passSeconds.length;
      // The last pass reads the local example cache: the learner's own speed, no database, no encoding.
      cachedPass.push(passSeconds[passSeconds.length - 1]!);
    }
    if (repeats > 1) {
      process.stdout.write(
        `${JSON.stringify({
          bench: 'train',
          database: 'duckdb',
          rows,
          what: `median of ${repeats} alternating runs: CREATE MODEL / duckdb chunks into node`,
          stream_seconds: median(stream),
          sqlml_reader_seconds: median(reader),
          create_model_seconds: median(training),
          ratio: Number((median(training) / median(stream)).toFixed(2)),
          // What the learner alone costs: its passes at the cached-pass speed, as if reading,
          // profiling and encoding were free; the ratio no design of this learner can go under.
          cached_pass_seconds: median(cachedPass),
          learner_only_ratio: Number(((passes * median(cachedPass)) / median(stream)).toFixed(2)),
        })}\n`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
