/**
 * CREATE MODEL on the built package, as users run it: plain node, no TypeScript loader
 * in the process, so its peak RSS is sqlml's own. Prints one JSON line.
 *   node bench/create-model-built.mjs URL MODEL "SELECT …" [auto|never|always] [DIST_DIR]
 * The model is left in the database (the caller drops it). URL is any sqlml URL; for a
 * DuckDB file, cap the buffer pool (`duckdb:f.duckdb?memory_limit=64MB`) so what remains
 * is sqlml's memory. DIST_DIR (default: this checkout's dist/, see bench/built.ts) may be
 * another checkout's build, to compare two versions on the same machine in the same
 * minutes, e.g. alternately:
 *   for i in 1 2 3; do node bench/create-model-built.mjs $U m "$Q" auto /tmp/base/dist; node bench/create-model-built.mjs $U m "$Q"; done
 * (`npx tsx bench/train-one.ts 5000000 generate f.duckdb` makes a DuckDB file with the
 * `synthetic` table; `git worktree add /tmp/base <rev>` and its `npx tsc -p
 * tsconfig.build.json` make the other build.)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [url, model, select, worker = 'auto', distDir = new URL('../dist', import.meta.url).pathname] = process.argv.slice(2);
if (!url || !model || !select) {
  console.error('usage: node bench/create-model-built.mjs URL MODEL "SELECT …" [auto|never|always] [DIST_DIR]');
  process.exit(2);
}
const { Engine } = await import(pathToFileURL(resolve(distDir, 'src/engine/engine.js')).href);
const engine = await Engine.open(url, { encodeWorker: worker });
const started = performance.now();
const [result] = await engine.runAll(`CREATE OR REPLACE MODEL ${model} FROM (${select}) PREDICT label RECIPE (exclude(id));`);
const seconds = (performance.now() - started) / 1000;
const stats = (await engine.store.get(model)).trainingStats;
await engine.close();
console.log(
  JSON.stringify({
    dist: distDir,
    encode_worker: worker,
    seconds: Number(seconds.toFixed(3)),
    read_method: stats.read_method,
    read_rows_per_second: stats.read_rows_per_second,
    read_seconds: stats.read_seconds,
    train_seconds: stats.train_seconds,
    passes: stats.passes,
    pass_rows_per_second: stats.curve.map((p) => Math.round(p.rows / p.seconds)),
    pass_seconds: stats.curve.map((p) => Number(p.seconds.toFixed(3))),
    auc: result.rows[0][result.columns.findIndex((c) => c.name === 'auc')],
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
