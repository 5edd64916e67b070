/**
 * One statement of bench/predict-engines.ts on the built package, as users run it: plain
 * node, no TypeScript loader in the process, so its peak RSS is sqlml's own. Prints one
 * JSON line (after SETUP, run first and not timed): the statement's seconds, CPU seconds and result row, the process's peak RSS, and what
 * the process read and wrote while the statement ran (Linux /proc/self/io `rchar` and
 * `wchar`: every byte passed through read()/write(), sockets included, so for a server
 * database the rows that crossed the wire, both ways).
 *   node bench/predict-engines-one.mjs URL "SETUP;" "PREDICT … ;" [DIST_DIR]   (SETUP may be '')
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { io } from './process-io.mjs';

const [url, setup, statement, distDir = new URL('../dist', import.meta.url).pathname] = process.argv.slice(2);
if (!url || setup === undefined || !statement) {
  console.error('usage: node bench/predict-engines-one.mjs URL "SETUP;" "STATEMENT;" [DIST_DIR]');
  process.exit(2);
}

const { Engine } = await import(pathToFileURL(resolve(distDir, 'src/engine/engine.js')).href);
const engine = await Engine.open(url);
if (setup.trim() !== '') await engine.runAll(setup);
const before = io();
const cpuBefore = process.cpuUsage();
const started = performance.now();
const [result] = await engine.runAll(statement);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const after = io();
await engine.close();
const row = Object.fromEntries(result.columns.map((column, i) => [column.name, result.rows[0]?.[i]]));
// Values the catalog hands back as bigint (row counts) printed as numbers.
const plain = (_key, value) => (typeof value === 'bigint' ? Number(value) : value);
console.log(
  JSON.stringify({
    seconds: Number(seconds.toFixed(3)),
    // CPU time of every thread of the process (DuckDB's workers included, the servers' not):
    // on a shared machine, the work done, where seconds also count waiting for a core.
    cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
    result: row,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    client_read_bytes: before && after ? after.rchar - before.rchar : null,
    client_written_bytes: before && after ? after.wchar - before.wchar : null,
  }, plain),
);
