/**
 * Where the wall time of one streamed CREATE MODEL goes, on the built package, as one JSON
 * line: the moment each phase (and each pass) first reports progress and the last time it
 * does, from the statement's start, so the gaps between phases (the read's finish, the
 * recipe, the finish after the passes, the evaluation, the save) show too.
 *   node bench/train-phases.mjs URL SOURCE [DIST_DIR]
 * SOURCE is a table or a parenthesized SELECT with a `label` column (and an `id`, left out).
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [url, source, distDir = new URL('../dist', import.meta.url).pathname] = process.argv.slice(2);
if (!url || !source) {
  console.error('usage: node bench/train-phases.mjs URL SOURCE [DIST_DIR]');
  process.exit(2);
}
const { Engine } = await import(pathToFileURL(resolve(distDir, 'src/engine/engine.js')).href);
const engine = await Engine.open(url);
const phases = new Map();
const started = performance.now();
const at = () => Math.round(performance.now() - started) / 1000;
const onProgress = (progress) => {
  const key = progress.pass === undefined ? progress.phase : `${progress.phase} ${progress.pass}`;
  const seen = phases.get(key);
  if (seen === undefined) phases.set(key, { first: at(), last: at() });
  else seen.last = at();
};
await engine.runAll(`CREATE OR REPLACE MODEL phases_bench FROM ${source} PREDICT label RECIPE (exclude(id));`, { onProgress });
const seconds = at();
const stats = (await engine.store.get('phases_bench')).trainingStats;
await engine.runAll('DROP MODEL phases_bench;');
await engine.close();
console.log(
  JSON.stringify({
    bench: 'train-phases',
    seconds,
    phases: Object.fromEntries(phases),
    read_seconds: stats.read_seconds,
    pass_seconds: stats.curve.map((p) => p.seconds),
    polish_seconds: stats.polish?.seconds ?? null,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  }),
);
