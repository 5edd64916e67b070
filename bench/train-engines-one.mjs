/**
 * One CREATE MODEL of bench/train-engines.ts on the built package, as users run it: plain
 * node, no TypeScript loader in the process, so its peak RSS is sqlml's own (DuckDB's
 * too, where it is embedded). Prints one JSON line: the statement's seconds and CPU
 * seconds, its result row, the version's training stats (DESCRIBE's figures: engine,
 * iterations, queries, rows read out of the database…), the process's peak RSS, and what
 * it read while the statement ran: from the database's sockets (the wire; none for
 * embedded DuckDB), and in all (Linux /proc/self/io `rchar`, `wchar`: every byte through
 * read()/write(), the example cache's files and DuckDB's own file I/O included). The example cache goes where SQLML_CACHE_DIR says (the parent
 * samples that folder's size while this runs).
 *   node bench/train-engines-one.mjs URL MODEL SOURCE "USING …" [DIST_DIR]
 * SOURCE is a table or a parenthesized SELECT; "USING …" may be ''. The model is left in
 * the database (the caller drops it).
 */
import { Socket } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { io } from './process-io.mjs';

const [url, model, source, using, distDir = new URL('../dist', import.meta.url).pathname] = process.argv.slice(2);
if (!url || !model || !source || using === undefined) {
  console.error('usage: node bench/train-engines-one.mjs URL MODEL SOURCE "USING …" [DIST_DIR]');
  process.exit(2);
}

// Every socket the process connects, for the bytes that came in over the wire (rchar also
// counts the example cache's file reads). pg makes `new Socket()` and connects it, which
// node's 'net.client.socket' channel does not see, so connect() itself is wrapped.
const sockets = [];
const connect = Socket.prototype.connect;
Socket.prototype.connect = function (...args) {
  sockets.push(this);
  return connect.apply(this, args);
};
const wireRead = () => sockets.reduce((sum, socket) => sum + socket.bytesRead, 0);

// As the CLI (bin/sqlml.js) does for a DuckDB URL with a memory bound, before DuckDB loads:
// DuckDB's allocator gives freed pages back at once (DUCKDB_JE_MALLOC_CONF= in the
// environment, even empty, keeps DuckDB's own).
const { boundDuckDBAllocator } = await import(pathToFileURL(resolve(distDir, 'src/cli/duckdb-allocator.js')).href);
boundDuckDBAllocator(['--db', url], process.env);
const { Engine } = await import(pathToFileURL(resolve(distDir, 'src/engine/engine.js')).href);
const engine = await Engine.open(url);
const before = io();
const wireBefore = wireRead();
const cpuBefore = process.cpuUsage();
const started = performance.now();
const [result] = await engine.runAll(`CREATE OR REPLACE MODEL ${model} FROM ${source} PREDICT label RECIPE (exclude(id))${using ? ` ${using}` : ''};`);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const after = io();
const wire = wireRead() - wireBefore;
const { curve, drift_profile: _drift, learning_rate_search: _search, l2_path: _path, data_alerts: _alerts, ...stats } = (await engine.store.get(model)).trainingStats;
await engine.close();
const row = Object.fromEntries(result.columns.map((column, i) => [column.name, result.rows[0]?.[i]]));
// Values the catalog hands back as bigint (row counts) printed as numbers.
const plain = (_key, value) => (typeof value === 'bigint' ? Number(value) : value);
console.log(
  JSON.stringify(
    {
      seconds: Number(seconds.toFixed(3)),
      // Every thread of the process (DuckDB's workers included, a server's not).
      cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
      result: row,
      stats,
      pass_seconds: (curve ?? []).map((p) => Number(p.seconds.toFixed(3))),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      // Embedded DuckDB has no wire: null there.
      wire_read_bytes: sockets.length > 0 ? wire : null,
      client_read_bytes: before && after ? after.rchar - before.rchar : null,
      client_written_bytes: before && after ? after.wchar - before.wchar : null,
    },
    plain,
  ),
);
