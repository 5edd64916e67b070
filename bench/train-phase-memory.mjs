/**
 * Where a CREATE MODEL's client memory goes, phase by phase: runs one training on the
 * built package (`npm run build` first) in this plain node process and samples its RSS
 * every 50 ms, keyed by the progress phase it is in (`read` covers the profile and, with
 * `engine = 'database'`, the scratch table's CREATE TABLE … AS; `train` the sample's warm
 * start; `finish` the iterations; `evaluate` the held-out metrics). For DuckDB, which runs
 * in the process, the URL carries its settings (memory_limit, allocator_flush_threshold…).
 * Prints one JSON line: each phase's peak RSS, and what the process held at that peak
 * (process.memoryUsage(): V8's heap in use, and typed arrays' and Buffers' memory outside
 * it, in MB; /proc/self/smaps_rollup's anonymous and file-backed MB; with `--detail`,
 * the anonymous MB by kind of mapping, bench/process-memory.mjs), the process's
 * high-water mark, its CPU seconds (every thread: DuckDB's too), the seconds and the
 * load average. With `--duckdb` and a DuckDB URL, a second connection to the same
 * database samples `duckdb_memory()` every 250 ms (DuckDB's buffer-managed memory by
 * tag, and what it spilled), and each phase's peak says what DuckDB held then.
 * `statements` lists the five statements (queries and streams on the adapter) during
 * which the RSS peaked highest: their first words, seconds, RSS at their start and peak.
 * With PHASE_FILE=path in the environment, the phase and the statement running are
 * written to that file as they change, for a sampler outside the process; SQLML_DIST
 * names another build than ../dist to run.
 *   node bench/train-phase-memory.mjs URL SOURCE ["USING …"] [--detail] [--duckdb]
 * e.g. node bench/train-phase-memory.mjs 'duckdb:train.duckdb?memory_limit=128MB' \
 *        '(SELECT id, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, c1, c2, c3, label FROM pe_binary_1000000)' "USING engine = 'database'"
 * The model (phase_memory_model) is dropped after.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { anonymousMappings, rollup } from './process-memory.mjs';

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const [url, source, using = "USING engine = 'database'"] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!url || !source) {
  console.error('usage: node bench/train-phase-memory.mjs URL SOURCE ["USING …"] [--detail] [--duckdb]');
  process.exit(2);
}
const detail = flags.includes('--detail');
/** The built package: ../dist, or SQLML_DIST (another build, for comparing two side by side). */
const distDir = process.env.SQLML_DIST ?? new URL('../dist', import.meta.url).pathname;
const dist = (path) => pathToFileURL(`${distDir}/${path}`).href;
// As the CLI (bin/sqlml.js) does for a DuckDB URL with a memory bound, before DuckDB loads:
// DuckDB's allocator gives freed pages back at once (DUCKDB_JE_MALLOC_CONF= in the
// environment, even empty, keeps DuckDB's own).
const { boundDuckDBAllocator } = await import(dist('src/cli/duckdb-allocator.js'));
boundDuckDBAllocator(['--db', url], process.env);
const { Engine } = await import(dist('src/engine/engine.js'));
const status = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const peaks = {};
/** Each phase's RSS at its last sample: what it left behind, where the peak may have been a moment's. */
const ends = {};
const heldAtPeak = {};
let phase = 'open';
/** DuckDB's own account of its memory, the latest sample (MB by tag, 1 MB and over; `temporary` what it spilled). */
let duckdbNow = null;
const mb = (bytes) => Math.round(bytes / 1024 / 1024);
/** The statement running (the adapter's query or stream), for `statements`. */
let statement = null;
const statements = [];
/**
 * With PHASE_FILE set, the phase and statement running are written there as they change,
 * for a sampler outside the process, which a busy main thread does not delay, to read.
 */
const mark = process.env.PHASE_FILE ? () => writeFileSync(process.env.PHASE_FILE, `${phase}\t${statement?.sql ?? ''}`) : () => undefined;
const sample = () => {
  const rss = Math.round(status('VmRSS'));
  if (statement !== null && rss > statement.peak) statement.peak = rss;
  ends[phase] = rss;
  if (rss <= (peaks[phase] ?? 0)) return;
  peaks[phase] = rss;
  const usage = process.memoryUsage();
  heldAtPeak[phase] = {
    heap_used: mb(usage.heapUsed),
    heap_total: mb(usage.heapTotal),
    array_buffers: mb(usage.arrayBuffers),
    external: mb(usage.external),
    ...(rollup() ?? {}),
    ...(duckdbNow === null ? {} : { duckdb: duckdbNow }),
    ...(detail ? { anonymous_by_mapping: anonymousMappings() } : {}),
  };
};
const timer = setInterval(sample, 50);
const started = performance.now();
const cpuBefore = process.cpuUsage();
const engine = await Engine.open(url);
{
  const { adapter } = engine;
  const begin = (sql) => {
    const rss = Math.round(status('VmRSS'));
    statement = { phase, sql: sql.replace(/\s+/g, ' ').slice(0, 70), started: performance.now(), start_rss: rss, peak: rss };
    statements.push(statement);
    mark();
    return statement;
  };
  const end = (s) => {
    sample();
    s.seconds = Number(((performance.now() - s.started) / 1000).toFixed(2));
    if (statement === s) statement = null;
    mark();
  };
  const query = adapter.query.bind(adapter);
  adapter.query = async (sql, options) => {
    const s = begin(sql);
    try {
      return await query(sql, options);
    } finally {
      end(s);
    }
  };
  const openStream = adapter.openStream.bind(adapter);
  adapter.openStream = async (sql, options) => {
    const s = begin(sql);
    const stream = await openStream(sql, options);
    const close = stream.close.bind(stream);
    stream.close = async () => {
      try {
        return await close();
      } finally {
        end(s);
      }
    };
    return stream;
  };
}
let duckdbSampler = null;
if (flags.includes('--duckdb') && url.startsWith('duckdb:')) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const { duckdbConfig, duckdbLocation } = await import(dist('adapters/duckdb/duckdb-adapter.js'));
  const instance = await DuckDBInstance.fromCache(duckdbLocation(url), duckdbConfig(url));
  const connection = await instance.connect();
  let busy = false;
  const read = async () => {
    if (busy) return;
    busy = true;
    try {
      const rows = (await connection.runAndReadAll('SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory()')).getRows();
      const tags = {};
      let total = 0;
      let temporary = 0;
      for (const [tag, used, spilled] of rows) {
        total += Number(used);
        temporary += Number(spilled);
        if (Number(used) >= 1024 * 1024) tags[tag] = mb(Number(used));
      }
      duckdbNow = { total: mb(total), temporary: mb(temporary), ...tags };
    } finally {
      busy = false;
    }
  };
  await read();
  const every = setInterval(() => void read().catch(() => undefined), 250);
  duckdbSampler = { stop: () => { clearInterval(every); connection.closeSync(); instance.closeSync(); } };
}
try {
  phase = 'start';
  await engine.runAll(`DROP MODEL IF EXISTS phase_memory_model; CREATE MODEL phase_memory_model FROM ${source} PREDICT label ${using};`, {
    onProgress: (progress) => {
      sample();
      if (phase !== progress.phase) {
        phase = progress.phase;
        mark();
      }
    },
  });
  sample();
} finally {
  clearInterval(timer);
  duckdbSampler?.stop();
  await engine.runAll('DROP MODEL IF EXISTS phase_memory_model').catch(() => undefined);
  await engine.close();
}
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    bench: 'train-phase-memory',
    url,
    source,
    using,
    peak_rss_mb_by_phase: peaks,
    end_rss_mb_by_phase: ends,
    held_mb_at_peak: heldAtPeak,
    statements: statements
      .sort((a, b) => b.peak - a.peak)
      .slice(0, 5)
      .map(({ started: _, ...s }) => s),
    hwm_mb: Math.round(status('VmHWM')),
    cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(MALLOC_|DUCKDB_JE_MALLOC_CONF$)/.test(k))),
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  }),
);
