/**
 * Load on the real-time endpoint, as JSON lines:
 *   npx tsx bench/serve.ts [--seconds 10] [--connections 10]
 * Trains a model on a generated 20k-row table in a DuckDB file, then starts the HTTP API
 * (buildHttpApp, as `sqlml serve --http` does) in a child process of its own — this same
 * file with `--child` — so the load generator and the server do not share an event loop.
 * autocannon then drives POST /v1/models/churn/predict on loopback, bounded in time: one
 * record per request (requests/s, p50/p99 latency), then batches of 1,000 records
 * (predictions/s). Both processes share the machine's cores, as they would in production
 * only if the client ran on the same host: the figures are a floor.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Engine } from '../src/engine/engine.js';
import { buildHttpApp } from '../src/server/http.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);

/** The server side: open the file, listen on an ephemeral loopback port, say where. */
async function child(file: string): Promise<void> {
  const engine = await Engine.open(`duckdb:${file}`);
  const app = await buildHttpApp(engine, {});
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);
  process.once('SIGTERM', () => {
    void app
      .close()
      .then(() => engine.close())
      .then(() => process.exit(0));
  });
}

function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'serve', ...record })}\n`);
}

async function main(): Promise<void> {
  const seconds = Number(option('--seconds', '10'));
  const connections = Number(option('--connections', '10'));
  const dir = mkdtempSync(join(tmpdir(), 'sqlml-serve-bench-'));
  const file = join(dir, 'bench.duckdb');

  const engine = await Engine.open(`duckdb:${file}`);
  await engine.runAll(`CREATE TABLE customers AS SELECT i AS id, (i * 37) % 100 AS tenure, ['basic', 'plus', 'pro'][1 + i % 3] AS plan,
    ((i * 53) % 90 + 10)::DOUBLE AS fee, ['north', 'south', 'east', 'west'][1 + i % 4] AS region,
    ((i * 37) % 100 < 25 AND i % 3 = 0) OR (i * 53) % 90 > 80 AS churned FROM range(20000) r(i);
    CREATE MODEL churn FROM customers PREDICT churned RECIPE (exclude(id));`);
  await engine.close();

  const server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((done) => server.once('exit', () => done()));
  try {
    const base = await new Promise<string>((done, fail) => {
      let out = '';
      server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) done((JSON.parse(out.slice(0, out.indexOf('\n'))) as { url: string }).url);
      });
      server.once('exit', (code) => fail(new Error(`the server exited with ${code}`)));
    });
    const url = `${base}/v1/models/churn/predict`;
    const load = async (body: unknown, duration: number): Promise<autocannon.Result> =>
      autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), connections, duration });

    const record = { tenure: 12, plan: 'plus', fee: 64.5, region: 'east' };
    const batch = {
      records: Array.from({ length: 1000 }, (_, i) => ({ tenure: i % 100, plan: ['basic', 'plus', 'pro'][i % 3], fee: 10 + (i % 90), region: 'north' })),
    };
    const check = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) })).json()) as {
      predictions: unknown[];
    };
    if (check.predictions.length !== 1000) throw new Error('the batch did not come back with 1,000 predictions');

    // A short warm-up so the server's JIT and model cache are hot before each measured run.
    await load(record, 2);
    const single = await load(record, seconds);
    emit({
      what: 'POST /v1/models/churn/predict, one record per request',
      cores: cpus().length,
      seconds,
      connections,
      requests: single.requests.total,
      requests_per_second: Math.round(single.requests.average),
      p50_ms: single.latency.p50,
      p99_ms: single.latency.p99,
      errors: single.errors + single.non2xx,
      goal: '>= 5000 req/s with p99 <= 5 ms',
    });

    await load(batch, 2);
    const many = await load(batch, seconds);
    emit({
      what: 'POST /v1/models/churn/predict, 1,000 records per request',
      cores: cpus().length,
      seconds,
      connections,
      requests: many.requests.total,
      requests_per_second: Math.round(many.requests.average),
      predictions_per_second: Math.round(many.requests.average * 1000),
      p50_ms: many.latency.p50,
      p99_ms: many.latency.p99,
      errors: many.errors + many.non2xx,
      goal: '>= 200000 predictions/s',
    });
  } finally {
    server.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args[0] === '--child') await child(args[1]!);
else await main();
