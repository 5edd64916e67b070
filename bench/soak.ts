/**
 * A soak of the real-time endpoint, as JSON lines (not a test; minutes long):
 *   npx tsx bench/soak.ts [--minutes 10] [--connections 10] [--probe-seconds 10] [--fraction 0.8]
 * Trains a model on the shared bank data set (../shared/data/bank_additional_full.csv) in
 * a DuckDB file, starts `sqlml serve --http 127.0.0.1:0` from the sources in a process of
 * its own, and drives POST /v1/models/bank/predict with single-record requests under
 * autocannon: first unthrottled to find the maximum rate, then for `--minutes` at
 * `--fraction` of it while the server's RSS (/proc/PID/status VmRSS) is sampled every
 * 10 s. The verdict compares the median of the last third of the samples after warm-up
 * (the first minute) with the median of the first third: flat means within ±10%. (The
 * garbage collector moves single samples by more than that in both directions.)
 *
 * The load generator shares the machine's cores with the server, so the rates are a
 * floor, and on a shared machine they move with whatever else runs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Engine } from '../src/engine/engine.js';
import { median } from './median.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BANK = resolve(repoRoot, '..', 'shared', 'data', 'bank_additional_full.csv');
const SAMPLE_EVERY_MS = 10_000;
const WARM_UP_MS = 60_000;

function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'soak', ...record })}\n`);
}

/** The resident set of a process in MB, from /proc (Linux). */
function rssMb(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Math.round(Number(line[1]) / 102.4) / 10;
}

async function main(): Promise<void> {
  const minutes = Number(option('--minutes', '10'));
  const connections = Number(option('--connections', '10'));
  const probeSeconds = Number(option('--probe-seconds', '10'));
  const fraction = Number(option('--fraction', '0.8'));
  const dir = mkdtempSync(join(tmpdir(), 'sqlml-soak-'));
  const file = join(dir, 'soak.duckdb');

  const trainStarted = Date.now();
  const engine = await Engine.open(`duckdb:${file}`);
  await engine.runAll(`CREATE TABLE bank AS SELECT * FROM read_csv('${BANK.replaceAll("'", "''")}');
    CREATE MODEL bank FROM bank PREDICT y RECIPE (exclude(duration));`);
  const [sample] = await engine.runAll('SELECT * EXCLUDE (y, duration) FROM bank LIMIT 1;');
  await engine.close();
  const record = Object.fromEntries(sample!.columns.map((c, i) => [c.name, sample!.rows[0]![i]]));
  emit({ what: 'trained', model: 'bank', rows: 41188, seconds: (Date.now() - trainStarted) / 1000 });

  const server = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(repoRoot, 'test/helpers/cli-entry.ts'), '--db', `duckdb:${file}`, 'serve', '--http', '127.0.0.1:0', '--no-scheduler', '--json'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SQLML_DB: '', SQLML_TOKEN: '' } },
  );
  let serverLog = '';
  server.stderr.setEncoding('utf8').on('data', (chunk: string) => (serverLog += chunk));
  let exitCode: number | null = null;
  const exited = new Promise<void>((done) =>
    server.once('exit', (code) => {
      exitCode = code;
      done();
    }),
  );
  try {
    const base = await new Promise<string>((done, fail) => {
      let out = '';
      server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) done((JSON.parse(out.slice(0, out.indexOf('\n'))) as { http: string }).http);
      });
      server.once('exit', (code) => fail(new Error(`sqlml serve exited with ${code} before listening:\n${serverLog}`)));
    });
    const pid = server.pid!;
    const url = `${base}/v1/models/bank/predict`;
    const body = JSON.stringify(record);
    const check = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (check.status !== 200) throw new Error(`the first prediction answered ${check.status}: ${await check.text()}`);
    const load = (duration: number, overallRate?: number): Promise<autocannon.Result> =>
      autocannon({
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections,
        duration,
        ...(overallRate ? { overallRate } : {}),
      });

    await load(3);
    const probe = await load(probeSeconds);
    const maxRate = Math.round(probe.requests.average);
    emit({
      what: 'maximum rate, one record per request',
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      connections,
      seconds: probeSeconds,
      requests_per_second: maxRate,
      p50_ms: probe.latency.p50,
      p99_ms: probe.latency.p99,
      errors: probe.errors + probe.non2xx,
      rss_mb: rssMb(pid),
    });

    const target = Math.max(1, Math.round(maxRate * fraction));
    const samples: { second: number; rss_mb: number }[] = [];
    const started = Date.now();
    const sampler = setInterval(() => {
      const sample_ = { second: Math.round((Date.now() - started) / 1000), rss_mb: rssMb(pid) };
      samples.push(sample_);
      emit({ what: 'rss sample', ...sample_ });
    }, SAMPLE_EVERY_MS);
    let soak: autocannon.Result;
    try {
      soak = await load(minutes * 60, target);
    } finally {
      clearInterval(sampler);
    }
    const settled = samples.filter((s) => s.second * 1000 >= WARM_UP_MS).map((s) => s.rss_mb);
    const third = Math.floor(settled.length / 3);
    const early = third > 0 ? median(settled.slice(0, third)) : null;
    const late = third > 0 ? median(settled.slice(-third)) : null;
    const growth = early === null || late === null ? null : (late - early) / early;
    emit({
      what: `soak at ${Math.round(fraction * 100)}% of the maximum rate`,
      cores: cpus().length,
      connections,
      minutes,
      max_rate: maxRate,
      target_rate: target,
      achieved_rate: Math.round(soak.requests.total / soak.duration),
      requests: soak.requests.total,
      p50_ms: soak.latency.p50,
      p99_ms: soak.latency.p99,
      errors: soak.errors + soak.non2xx + soak.timeouts,
      rss_mb: samples.map((s) => s.rss_mb),
      rss_after_warm_up_min_mb: settled.length ? Math.min(...settled) : null,
      rss_after_warm_up_max_mb: settled.length ? Math.max(...settled) : null,
      rss_first_third_median_mb: early,
      rss_last_third_median_mb: late,
      rss_growth: growth === null ? null : Math.round(growth * 1000) / 1000,
      rss_flat_within_10_percent: growth === null ? null : Math.abs(growth) <= 0.1,
      server_alive: exitCode === null,
      note: 'load generator and server share a 2-core machine with other work; rates are a floor',
    });
  } finally {
    server.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
