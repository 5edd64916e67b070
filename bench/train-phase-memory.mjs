/**
 * Where a CREATE MODEL's client memory goes, phase by phase: runs one training on the
 * built package (`npm run build` first) in this plain node process and samples its RSS
 * every 50 ms, keyed by the progress phase it is in (`read` covers the profile and, with
 * `engine = 'database'`, the scratch table's CREATE TABLE … AS; `train` the sample's warm
 * start; `finish` the iterations; `evaluate` the held-out metrics). For DuckDB, which runs
 * in the process, the URL carries its settings (memory_limit, allocator_flush_threshold…).
 * Prints one JSON line: each phase's peak RSS, and what the process held at that peak
 * (process.memoryUsage(): V8's heap in use, and typed arrays' and Buffers' memory outside
 * it, in MB), the process's high-water mark, the seconds and the load average.
 *   node bench/train-phase-memory.mjs URL SOURCE ["USING …"]
 * e.g. node bench/train-phase-memory.mjs 'duckdb:train.duckdb?memory_limit=128MB' \
 *        '(SELECT id, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, c1, c2, c3, label FROM pe_binary_1000000)' "USING engine = 'database'"
 * The model (phase_memory_model) is dropped after.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

const [url, source, using = "USING engine = 'database'"] = process.argv.slice(2);
if (!url || !source) {
  console.error('usage: node bench/train-phase-memory.mjs URL SOURCE ["USING …"]');
  process.exit(2);
}
const { Engine } = await import(pathToFileURL(new URL('../dist/src/engine/engine.js', import.meta.url).pathname).href);
const status = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const peaks = {};
const heldAtPeak = {};
let phase = 'open';
const mb = (bytes) => Math.round(bytes / 1024 / 1024);
const sample = () => {
  const rss = Math.round(status('VmRSS'));
  if (rss <= (peaks[phase] ?? 0)) return;
  peaks[phase] = rss;
  const usage = process.memoryUsage();
  heldAtPeak[phase] = { heap_used: mb(usage.heapUsed), heap_total: mb(usage.heapTotal), array_buffers: mb(usage.arrayBuffers), external: mb(usage.external) };
};
const timer = setInterval(sample, 50);
const started = performance.now();
const engine = await Engine.open(url);
try {
  phase = 'start';
  await engine.runAll(`DROP MODEL IF EXISTS phase_memory_model; CREATE MODEL phase_memory_model FROM ${source} PREDICT label ${using};`, {
    onProgress: (progress) => {
      sample();
      phase = progress.phase;
    },
  });
  sample();
} finally {
  clearInterval(timer);
  await engine.runAll('DROP MODEL IF EXISTS phase_memory_model').catch(() => undefined);
  await engine.close();
}
console.log(
  JSON.stringify({
    bench: 'train-phase-memory',
    url,
    source,
    using,
    peak_rss_mb_by_phase: peaks,
    held_mb_at_peak: heldAtPeak,
    hwm_mb: Math.round(status('VmHWM')),
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  }),
);
