/**
 * Mutated statements through the parser and a running server, as JSON lines (not a test):
 *   npx tsx bench/fuzz-statements.ts [--count 100000] [--seed 1] [--server-count N] [--concurrency 4]
 *
 * The seeds are the statements of sql/examples/*.sql and the string literals of the
 * parser tests (test/sql/*.test.ts) that look like statements. Each case mutates one:
 * tokens deleted, repeated, swapped or replaced by keywords, quotes, comment openers,
 * numbers or random code units; two seeds spliced; the text truncated; parentheses
 * nested past the parser's limit. Every case goes through the parser (split + parse, in
 * the three dialects in turn), which must return statements or throw a SqlmlError — any
 * other exception is a bug, printed with its text. The first `--server-count` cases
 * (default: all) are also POSTed to /v1/query of `sqlml serve` on an in-memory DuckDB in a
 * process of its own, which must answer 200 or a JSON error, never drop the connection
 * and never exit; a 500 (`internal`) is a bug too. A case that runs longer than 20 s is
 * cancelled by hanging up, and counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqlmlError } from '../src/errors.js';
import type { DialectName } from '../adapters/dialect.js';
import { DIALECTS as SQL_DIALECTS } from '../adapters/dialects.js';
import { parseStatement, splitScript } from '../src/sql/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIALECTS: readonly DialectName[] = ['duckdb', 'postgres', 'mysql'];
const REQUEST_TIMEOUT_MS = 20_000;
const BUGS_FILE = '/tmp/fuzz-statements-bugs.jsonl';

function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'fuzz-statements', ...record })}\n`);
}

/** mulberry32: small, seeded, reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed statements: the example scripts' statements and the parser tests' statement-like literals. */
function seeds(): string[] {
  const found = new Set<string>();
  for (const file of readdirSync(join(repoRoot, 'sql', 'examples')).filter((f) => f.endsWith('.sql'))) {
    // Smaller tables, so a mutant that still trains does so in milliseconds.
    const script = readFileSync(join(repoRoot, 'sql', 'examples', file), 'utf8').replaceAll('20001', '501');
    for (const part of splitScript(script)) found.add(part.text);
  }
  const statementLike = /\b(MODEL|MODELS|PREDICT|JOB|JOBS|SELECT|EVALUATE|DESCRIBE|RECIPE|USING)\b/i;
  for (const file of readdirSync(join(repoRoot, 'test', 'sql')).filter((f) => f.endsWith('.test.ts'))) {
    const source = readFileSync(join(repoRoot, 'test', 'sql', file), 'utf8');
    for (const match of source.matchAll(/'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`|"((?:[^"\\\n]|\\.)*)"/g)) {
      const raw = match[1] ?? match[2] ?? match[3] ?? '';
      if (!statementLike.test(raw) || raw.includes('${')) continue;
      found.add(raw.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c));
    }
  }
  return [...found];
}

const KEYWORDS = [
  'CREATE', 'OR', 'REPLACE', 'MODEL', 'MODELS', 'IF', 'NOT', 'EXISTS', 'FROM', 'PREDICT', 'RECIPE', 'USING', 'TRAIN',
  'RETRAIN', 'EVALUATE', 'ON', 'INTO', 'KEY', 'APPEND', 'SHOW', 'DESCRIBE', 'DROP', 'JOB', 'JOBS', 'RUN', 'SCHEDULE',
  'EVERY', 'AS', 'SELECT', 'WITH', 'TRUE', 'NULL', 'exclude', 'ngram', 'quantile_bin', 'cartesian', 'passes', 'l2',
];
const PIECES = [
  "'", '"', '`', "''", '""', '$$', '$a$', "E'", "\\'", '\\', '--', '/*', '*/', '#', ';', ';;', '(', ')', ',', '.', '=',
  '@', '@0', '@-1', '@99999999999999999999', '-', '+', '*', '1', '-0', '1e309', '-1e-400', '0x1F', 'NaN', '.', '..',
  '\n', '\r', '\r\n', '\t', '\u0000', '\u00a0', '\u2028', '\ufeff', '\ud800', '\udfff', '😀', 'é', '\u202e',
];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function randomCodeUnits(rand: () => number): string {
  let text = '';
  const n = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) text += String.fromCharCode(rand() < 0.7 ? Math.floor(rand() * 128) : Math.floor(rand() * 0x10000));
  return text;
}

function tokens(text: string): string[] {
  return text.split(/(\s+|[(),;=.@'"`$])/).filter((t) => t !== '');
}

/** One mutant of a seed. */
function mutate(rand: () => number, corpus: readonly string[]): string {
  const seed = pick(rand, corpus);
  const kind = rand();
  if (kind < 0.08) return seed.slice(0, Math.floor(rand() * (seed.length + 1)));
  if (kind < 0.16) {
    const other = pick(rand, corpus);
    return seed.slice(0, Math.floor(rand() * (seed.length + 1))) + (rand() < 0.5 ? ';' : ' ') + other.slice(Math.floor(rand() * (other.length + 1)));
  }
  if (kind < 0.19) {
    // Nesting past the parser's limit, in a recipe or in a subquery.
    const depth = pick(rand, [49, 50, 51, 200, 5000, 100_000]);
    return rand() < 0.5
      ? `CREATE MODEL m FROM t PREDICT y RECIPE (${'lowercase('.repeat(depth)}x${')'.repeat(depth)})`
      : `PREDICT m FROM ${'('.repeat(depth)}SELECT 1${')'.repeat(rand() < 0.5 ? depth : depth - 1)}`;
  }
  const parts = tokens(seed);
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (parts.length + 1));
    const choice = rand();
    const piece =
      choice < 0.35 ? pick(rand, KEYWORDS) : choice < 0.75 ? pick(rand, PIECES) : choice < 0.9 ? randomCodeUnits(rand) : (parts[Math.floor(rand() * parts.length)] ?? '');
    const operation = rand();
    if (operation < 0.3) parts.splice(at, 1);
    else if (operation < 0.65) parts.splice(at, 0, piece);
    else if (operation < 0.9) parts[Math.min(at, parts.length - 1)] = piece;
    else if (parts.length > 1) {
      const other = Math.floor(rand() * parts.length);
      [parts[at % parts.length], parts[other]] = [parts[other]!, parts[at % parts.length]!];
    }
  }
  let text = parts.join('');
  if (rand() < 0.03) text = text.repeat(2 + Math.floor(rand() * 50));
  return text;
}

interface ParserOutcome {
  ok: boolean;
  bug: { name: string; message: string } | null;
  ms: number;
}

function throughParser(text: string, dialect: DialectName): ParserOutcome {
  const started = performance.now();
  try {
    // Every part is parsed, as the server would reach each one after the ones before it ran.
    let refusal: unknown = null;
    for (const part of splitScript(text, SQL_DIALECTS[dialect].lexical)) {
      try {
        parseStatement(part, SQL_DIALECTS[dialect].lexical);
      } catch (error) {
        if (!(error instanceof SqlmlError)) throw error;
        refusal ??= error;
      }
    }
    return { ok: refusal === null, bug: null, ms: performance.now() - started };
  } catch (error) {
    const ms = performance.now() - started;
    if (error instanceof SqlmlError) return { ok: false, bug: null, ms };
    return { ok: false, bug: { name: error instanceof Error ? error.name : typeof error, message: error instanceof Error ? error.message : String(error) }, ms };
  }
}

/** The peak resident set of a process in MB (VmHWM), from /proc (Linux). */
function peakRssMb(pid: number): number | null {
  try {
    const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line ? Math.round(Number(line[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
  log: string;
  peakRss: number | null;
}

async function startServe(): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(repoRoot, 'test/helpers/cli-entry.ts'), '--db', 'duckdb::memory:', 'serve', '--http', '127.0.0.1:0', '--no-scheduler', '--json'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SQLML_DB: '', SQLML_TOKEN: '' } },
  );
  const server: Partial<Server> & { log: string; peakRss: number | null } = { log: '', peakRss: null };
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (server.log = (server.log + chunk).slice(-20_000)));
  const exited = new Promise<number | null>((done) => child.once('exit', (code, signal) => done(code ?? (signal ? -1 : null))));
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) done((JSON.parse(out.slice(0, out.indexOf('\n'))) as { http: string }).http);
    });
    child.once('exit', (code) => fail(new Error(`sqlml serve exited with ${code} before listening:\n${server.log}`)));
  });
  return Object.assign(server, { child, url, exited }) as Server;
}

async function main(): Promise<void> {
  const count = Number(option('--count', '100000'));
  const serverCount = Number(option('--server-count', String(count)));
  const concurrency = Number(option('--concurrency', '4'));
  const seed = Number(option('--seed', '1'));
  const started = Date.now();
  const corpus = seeds();
  // Each case from its own generator, so the server phase makes it again instead of keeping 1e5 texts (some are megabytes).
  const caseText = (index: number): string => mutate(random(Math.imul(seed, 0x9e3779b1) + index), corpus);
  const bugs: Record<string, unknown>[] = [];
  const recordBug = (bug: Record<string, unknown>): void => {
    if (bugs.length < 200) bugs.push(bug);
  };

  // The parser, in this process.
  let parsed = 0;
  let refused = 0;
  let parserBugs = 0;
  let slowest = { ms: 0, length: 0 };
  for (let i = 0; i < count; i++) {
    const text = caseText(i);
    const outcome = throughParser(text, DIALECTS[i % DIALECTS.length]!);
    if (outcome.ok) parsed++;
    else if (outcome.bug) {
      parserBugs++;
      recordBug({ where: 'parser', dialect: DIALECTS[i % DIALECTS.length], text: text.slice(0, 2000), length: text.length, ...outcome.bug });
    } else refused++;
    if (outcome.ms > slowest.ms) slowest = { ms: Math.round(outcome.ms * 10) / 10, length: text.length };
  }
  emit({
    what: 'parser',
    seeds: corpus.length,
    statements_tried: count,
    parsed,
    refused_with_sqlml_error: refused,
    parser_non_sqlml_throws: parserBugs,
    slowest_ms: slowest.ms,
    slowest_length: slowest.length,
    seconds: (Date.now() - started) / 1000,
  });

  // The server, in a process of its own; restarted if it dies, so every case is tried.
  const serverStarted = Date.now();
  let server = await startServe();
  await fetch(`${server.url}/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: `CREATE TABLE t AS SELECT i AS x, i % 3 AS y, 'a' || (i % 5) AS s FROM range(200) r(i); CREATE MODEL m FROM t PREDICT y;` }),
  });
  const statuses: Record<string, number> = {};
  let crashes = 0;
  let dropped = 0;
  let internal = 0;
  let badBodies = 0;
  let cancelled = 0;
  let peakServerRss = 0;
  let next = 0;
  const inFlight = new Set<number>();
  const samplePeak = (): void => {
    peakServerRss = Math.max(peakServerRss, peakRssMb(server.child.pid!) ?? 0);
  };
  const rssTimer = setInterval(samplePeak, 1000);

  async function one(index: number): Promise<void> {
    const text = caseText(index);
    const current = server;
    inFlight.add(index);
    try {
      const response = await fetch(`${current.url}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: text }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = await response.text();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      type Answer = { results?: unknown; error?: { code?: unknown; message?: unknown } };
      let parsedBody: Answer | null;
      try {
        parsedBody = JSON.parse(body) as Answer;
      } catch {
        parsedBody = null;
      }
      const wellFormed =
        parsedBody !== null &&
        (response.status === 200 ? Array.isArray(parsedBody.results) : typeof parsedBody.error?.code === 'string' && typeof parsedBody.error.message === 'string');
      if (!wellFormed) {
        badBodies++;
        recordBug({ where: 'server', kind: 'malformed answer', status: response.status, text: text.slice(0, 2000), body: body.slice(0, 500) });
      }
      if (response.status === 500) {
        internal++;
        recordBug({ where: 'server', kind: 'internal error', text: text.slice(0, 2000), body: body.slice(0, 500) });
      }
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        cancelled++;
        recordBug({ where: 'server', kind: `slower than ${REQUEST_TIMEOUT_MS / 1000} s (cancelled)`, text: text.slice(0, 2000) });
        return;
      }
      dropped++;
      if (current.child.exitCode !== null || current.child.signalCode !== null || (await Promise.race([current.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))]))) {
        if (server === current) {
          crashes++;
          recordBug({ where: 'server', kind: 'server exited', in_flight: [...inFlight].map((i) => caseText(i).slice(0, 2000)), log: current.log.slice(-3000) });
          server = await startServe();
        }
      } else {
        recordBug({ where: 'server', kind: 'connection dropped', error: String((error as Error).cause ?? error), text: text.slice(0, 2000) });
      }
    } finally {
      inFlight.delete(index);
    }
  }

  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < Math.min(serverCount, count)) {
        const index = next++;
        if (index > 0 && index % 5000 === 0) process.stderr.write(`fuzz-statements: ${index} sent to the server, ${Math.round((Date.now() - serverStarted) / 1000)} s\n`);
        await one(index);
      }
    }),
  );
  clearInterval(rssTimer);
  samplePeak();
  const health = await fetch(`${server.url}/healthz`).then((r) => r.status).catch(() => 0);
  server.child.kill('SIGTERM');
  const exitCode = await server.exited;

  emit({
    what: 'server: POST /v1/query on duckdb::memory:',
    statements_tried: Math.min(serverCount, count),
    concurrency,
    statuses,
    server_crashes: crashes,
    dropped_connections: dropped,
    internal_errors_500: internal,
    malformed_answers: badBodies,
    cancelled_slow: cancelled,
    healthz_after: health,
    clean_exit_on_sigterm: exitCode === 0,
    server_peak_rss_mb: peakServerRss,
    seconds: (Date.now() - serverStarted) / 1000,
  });
  emit({
    what: 'total',
    statements_tried: count,
    parser_non_sqlml_throws: parserBugs,
    server_crashes: crashes,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 102.4) / 10,
    server_peak_rss_mb: peakServerRss,
    wall_seconds: (Date.now() - started) / 1000,
    bugs_file: bugs.length ? BUGS_FILE : null,
  });
  if (bugs.length) writeFileSync(BUGS_FILE, bugs.map((b) => JSON.stringify(b)).join('\n') + '\n');
}

await main();
