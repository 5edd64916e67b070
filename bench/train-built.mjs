/**
 * CREATE MODEL on the built package, as users run it (plain node, no TypeScript loader in
 * the process, so peak RSS is sqlml's own), one JSON line:
 *   node bench/train-built.mjs DUCKDB_FILE ROWS [auto|never|always] [DIST_DIR]
 * DUCKDB_FILE holds the `synthetic` table of bench/synthetic.ts (`npx tsx
 * bench/train-one.ts 5000000 generate FILE` makes one). DIST_DIR (default: this
 * checkout's dist/, after `npm run build`) may be another checkout's build, to compare
 * two versions on the same machine in the same minutes, e.g. alternately:
 *   for i in 1 2 3; do node bench/train-built.mjs f.duckdb 1000000 auto /tmp/base/dist; node bench/train-built.mjs f.duckdb 1000000; done
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, rowsText, mode = 'auto', distDir = new URL('../dist', import.meta.url).pathname] = process.argv.slice(2);
if (!file || !rowsText) {
  console.error('usage: node bench/train-built.mjs DUCKDB_FILE ROWS [auto|never|always] [DIST_DIR]');
  process.exit(2);
}
const rows = Number(rowsText);
const { Engine } = await import(pathToFileURL(resolve(distDir, 'src/engine/engine.js')).href);
// The buffer pool is capped as in bench/train-one.ts, so what remains is sqlml's own memory.
const engine = await Engine.open(`duckdb:${file}?memory_limit=64MB`, { encodeWorker: mode });
const started = performance.now();
const [result] = await engine.runAll(`CREATE OR REPLACE MODEL bench FROM (SELECT * FROM synthetic WHERE id < ${rows}) PREDICT label RECIPE (exclude(id));`);
const seconds = (performance.now() - started) / 1000;
const stats = (await engine.store.get('bench')).trainingStats;
await engine.close();
const auc = result.rows[0][result.columns.findIndex((c) => c.name === 'auc')];
console.log(
  JSON.stringify({
    bench: 'train-built',
    dist: distDir,
    encode_worker: mode,
    rows,
    seconds: Number(seconds.toFixed(3)),
    read_seconds: stats.read_seconds,
    train_seconds: stats.train_seconds,
    passes: stats.passes,
    auc,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
