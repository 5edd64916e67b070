/**
 * Load on the real-time endpoint, as JSON lines:
 *   npx tsx bench/serve.ts [--seconds 10] [--connections 10]
 * Trains a model on a generated 20k-row table in a DuckDB file, starts `sqlml serve` from
 * the compiled CLI (npm run build) in a process of its own, and drives
 * POST /v1/models/{name}/predict with autocannon on loopback, bounded in time: one record
 * per request (requests/s, p50/p99 latency), then batches of 1,000 records
 * (predictions/s). Server and load generator share the machine's cores.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Engine } from '../src/engine/engine.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const seconds = Number(option('--seconds', '10'));
const connections = Number(option('--connections', '10'));
const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'sqlml-serve-bench-'));
const file = join(dir, 'bench.duckdb');

function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'serve', ...record })}\n`);
}

const engine = await Engine.open(`duckdb:${file}`);
await engine.runAll(`CREATE TABLE customers AS SELECT i AS id, (i * 37) % 100 AS tenure, ['basic', 'plus', 'pro'][1 + i % 3] AS plan,
  ((i * 53) % 90 + 10)::DOUBLE AS fee, ['north', 'south', 'east', 'west'][1 + i % 4] AS region,
  ((i * 37) % 100 < 25 AND i % 3 = 0) OR (i * 53) % 90 > 80 AS churned FROM range(20000) r(i);
  CREATE MODEL churn FROM customers PREDICT churned RECIPE (exclude(id));`);
await engine.close();

const server = spawn(process.execPath, [join(root, 'bin', 'sqlml.js'), '--db', `duckdb:${file}`, 'serve', '--http', '127.0.0.1:0', '--no-scheduler', '--json'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((done, fail) => {
  let out = '';
  server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.includes('\n')) done((JSON.parse(out.slice(0, out.indexOf('\n'))) as { http: string }).http);
  });
  server.on('exit', (code) => fail(new Error(`sqlml serve exited with ${code}; run npm run build first`)));
});

const record = { tenure: 12, plan: 'plus', fee: 64.5, region: 'east' };
const batch = { records: Array.from({ length: 1000 }, (_, i) => ({ tenure: i % 100, plan: ['basic', 'plus', 'pro'][i % 3], fee: 10 + (i % 90), region: 'north' })) };

async function load(title: string, body: unknown): Promise<autocannon.Result> {
  // A short warm-up so the server's JIT and caches are hot before the measured run.
  await autocannon({ url: `${url}/v1/models/churn/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), connections, duration: 2 });
  return autocannon({ title, url: `${url}/v1/models/churn/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), connections, duration: seconds });
}

try {
  const single = await load('one record', record);
  emit({
    what: 'POST /v1/models/churn/predict, one record per request',
    seconds,
    connections,
    requests_per_second: Math.round(single.requests.average),
    p50_ms: single.latency.p50,
    p99_ms: single.latency.p99,
    errors: single.errors + single.non2xx,
    goal: '>= 5000 req/s, p99 <= 5 ms',
  });
  const many = await load('1,000 records', batch);
  emit({
    what: 'POST /v1/models/churn/predict, 1,000 records per request',
    seconds,
    connections,
    requests_per_second: Math.round(many.requests.average),
    predictions_per_second: Math.round(many.requests.average * 1000),
    p50_ms: many.latency.p50,
    p99_ms: many.latency.p99,
    errors: many.errors + many.non2xx,
    goal: '>= 200000 predictions/s',
  });
} finally {
  server.kill('SIGTERM');
  await new Promise((done) => server.on('exit', done));
  rmSync(dir, { recursive: true, force: true });
}
