/**
 * Fuzzes `sqlml serve --pg` (a real process) with random and mutated message sequences,
 * before and after login, and prints JSON lines:
 *   npx tsx bench/fuzz-wire.ts [--sequences 100000] [--db duckdb::memory:] [--concurrency 64] [--seed 1] [--close-deadline-ms 5000]
 *
 * Each sequence is real traffic captured from pg-protocol's serializer (SSLRequest,
 * StartupMessage, Query, Parse/Bind/Describe/Execute/Sync, Flush, Close, Password,
 * CancelRequest, Terminate) mutated: a length field set to a telling value (-1, 0, 3,
 * negative, over a cap, off by one, random), a type byte replaced, bytes flipped or
 * inserted, a message dropped or duplicated, the whole cut short, two sequences glued
 * together, or plain random bytes; sent in random-sized chunks on a fresh connection.
 * Half log in cleanly first and mutate only what follows.
 *
 * A connection then ends one of these ways, counted per kind:
 * - `answered`: the server answered and waits for more (ReadyForQuery or 'N' last);
 * - `error`: the server sent an ErrorResponse (and closed, for a FATAL);
 * - `closed`: the server closed without an error after a Terminate or CancelRequest;
 * - `incomplete`: the server was waiting for the rest of a cut-off message and closed
 *   when the client closed;
 * - `hung`: none of these within the deadline after the client closed (must be 0);
 * - `silent`: the server closed with no error and no reason (must be 0).
 * `crashes` counts server process exits (must be 0; the server is restarted to go on).
 * Peak RSS is sampled from /proc every 200 ms.
 */
import { connect } from 'node:net';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { startWireServer, type WireServer } from '../test/helpers/wire.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const TOTAL = Number(option('--sequences', '100000'));
const DB = option('--db', 'duckdb::memory:');
const CONCURRENCY = Number(option('--concurrency', '64'));
let seed = Number(option('--seed', '1'));

/** Quiet time after which a connection is taken to wait for more, and the client closes. */
const QUIET_MS = 150;
/** After the client closes, the server must close within this. */
const CLOSE_DEADLINE_MS = Number(option('--close-deadline-ms', '5000'));

function random(): number {
  // mulberry32: reproducible runs from --seed.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const below = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[below(items.length)]!;

const LOGIN = new URL(DB.startsWith('duckdb:') ? 'x://sqlml@h/sqlml' : DB);
const USER = decodeURIComponent(LOGIN.username);
const DATABASE = decodeURIComponent(LOGIN.pathname.slice(1));
const PASSWORD = decodeURIComponent(LOGIN.password);

const startup = (): Buffer => serialize.startup({ user: USER, database: DATABASE, application_name: 'fuzz' });
const AFTER_LOGIN: readonly (() => Buffer[])[] = [
  () => [serialize.query('SELECT 1')],
  () => [serialize.query('SHOW MODELS')],
  () => [serialize.query('SELECT 1; SELECT 2')],
  () => [serialize.parse({ text: 'SELECT $1::text' }), serialize.bind({ values: ['x'] }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()],
  () => [serialize.parse({ name: 's', text: 'SHOW MODELS' }), serialize.bind({ statement: 's' }), serialize.execute({ rows: 1 }), serialize.flush(), serialize.sync()],
  () => [serialize.parse({ text: 'SELECT 1' }), serialize.describe({ type: 'S' }), serialize.close({ type: 'S', name: '' }), serialize.sync()],
  () => [serialize.sync()],
  () => [serialize.flush()],
  () => [serialize.query('')],
  () => [serialize.end()],
];
const BEFORE_LOGIN: readonly (() => Buffer[])[] = [
  () => [startup()],
  () => [serialize.requestSsl(), startup()],
  () => [serialize.cancel(below(2 ** 31), below(2 ** 31))],
  () => [startup(), serialize.password(PASSWORD)],
  () => [startup(), serialize.query('SELECT 1')],
];

const TELLING_LENGTHS = [-1, 0, 1, 3, 4, 5, 7, 8, -2, -(2 ** 31), 2 ** 31 - 1, 9_999, 10_000, 10_001, 16 * 1024 * 1024, 16 * 1024 * 1024 + 1, 2 ** 30];

function mutate(messages: Buffer[], typed: boolean): Buffer {
  const list: Buffer[] = messages.map((m) => Buffer.from(m));
  const mutations = 1 + below(3);
  for (let i = 0; i < mutations && list.length > 0; i++) {
    const at = below(list.length);
    const message = list[at]!;
    // Untyped packets (before login) have their length at 0, typed messages at 1.
    const lengthAt = typed || message.length < 8 || message.readInt32BE(0) !== message.length ? 1 : 0;
    switch (below(9)) {
      case 0:
      case 1:
        if (message.length >= lengthAt + 4) message.writeInt32BE(random() < 0.7 ? pick(TELLING_LENGTHS) : (below(2 ** 32) | 0), lengthAt);
        break;
      case 2:
        if (message.length >= lengthAt + 4) message.writeInt32BE((message.readInt32BE(lengthAt) + pick([-2, -1, 1, 2])) | 0, lengthAt);
        break;
      case 3:
        message[0] = below(256);
        break;
      case 4:
        for (let k = 0; k < 1 + below(4); k++) message[below(message.length)] = below(256);
        break;
      case 5:
        list.splice(at, 0, Buffer.from(Array.from({ length: 1 + below(64) }, () => below(256))));
        break;
      case 6:
        list.splice(at, 1);
        break;
      case 7:
        list.splice(at, 0, Buffer.from(message));
        break;
      default:
        // Copies: pg-protocol hands out shared constants for Sync, Flush and Terminate.
        list.push(...pick(typed ? AFTER_LOGIN : BEFORE_LOGIN)().map((m) => Buffer.from(m)));
    }
  }
  let bytes: Buffer = Buffer.concat(list);
  if (random() < 0.25 && bytes.length > 1) bytes = bytes.subarray(0, 1 + below(bytes.length - 1));
  return bytes;
}

function sequence(): { login: boolean; bytes: Buffer } {
  const login = random() < 0.5;
  if (random() < 0.05) return { login, bytes: Buffer.from(Array.from({ length: 1 + below(256) }, () => below(256))) };
  const seedMessages = pick(login ? AFTER_LOGIN : BEFORE_LOGIN)();
  if (random() < 0.2) seedMessages.push(...pick(login ? AFTER_LOGIN : BEFORE_LOGIN)());
  return { login, bytes: mutate(seedMessages, login) };
}

/** The server's answer, read loosely: typed messages, and the single bytes that answer SSLRequest. */
function messageTypes(data: Buffer): string {
  let types = '';
  let p = 0;
  while (p < data.length) {
    if (p + 5 <= data.length) {
      const length = data.readInt32BE(p + 1);
      if (length >= 4 && p + 1 + length <= data.length && /[A-Za-z0-9]/.test(String.fromCharCode(data[p]!))) {
        types += String.fromCharCode(data[p]!);
        p += 1 + length;
        continue;
      }
    }
    if (data[p] === 0x4e /* N */) {
      types += 'n';
      p += 1;
      continue;
    }
    break;
  }
  return types;
}

/** What the server had answered on a hung or silent connection, for its example line. */
const lastAnswer = new Map<Buffer, string>();

type Outcome = 'answered' | 'error' | 'closed' | 'incomplete' | 'hung' | 'silent' | 'refused';

function runOne(port: number, login: boolean, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    let loggedIn = !login;
    let loginAnswer = 0;
    let answeredPassword = false;
    let clientClosed = false;
    let quiet: NodeJS.Timeout | null = null;
    let deadline: NodeJS.Timeout | null = null;
    let settled = false;
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      if (outcome === 'hung' || outcome === 'silent') lastAnswer.set(bytes, messageTypes(received.subarray(loginAnswer)));
      if (quiet) clearTimeout(quiet);
      if (deadline) clearTimeout(deadline);
      socket.destroy();
      resolve(outcome);
    };
    const armQuiet = (): void => {
      if (quiet) clearTimeout(quiet);
      quiet = setTimeout(() => {
        clientClosed = true;
        socket.end();
        deadline = setTimeout(() => finish('hung'), CLOSE_DEADLINE_MS);
      }, QUIET_MS);
    };
    const sendFuzz = (): void => {
      let offset = 0;
      while (offset < bytes.length) {
        const size = random() < 0.5 ? bytes.length - offset : 1 + below(bytes.length - offset);
        socket.write(bytes.subarray(offset, offset + size));
        offset += size;
      }
      armQuiet();
    };
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      if (login) socket.write(startup());
      else sendFuzz();
    });
    socket.on('data', (chunk: Buffer) => {
      if (!loggedIn) {
        received = Buffer.concat([received, chunk]);
        // AuthenticationCleartextPassword (auth passthrough on MySQL, or a PostgreSQL that wants one).
        if (!answeredPassword && received.includes(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]))) {
          answeredPassword = true;
          socket.write(serialize.password(PASSWORD));
        }
        if (messageTypes(received).endsWith('Z')) {
          loggedIn = true;
          loginAnswer = received.length;
          sendFuzz();
        }
        return;
      }
      received = Buffer.concat([received, chunk]);
      if (!clientClosed) armQuiet();
    });
    socket.on('close', () => {
      if (!loggedIn) return finish('refused');
      const types = messageTypes(received.subarray(loginAnswer));
      if (types.includes('E')) return finish('error');
      if (clientClosed) return finish(types === '' || types.endsWith('Z') || types.endsWith('n') ? (types === '' ? 'incomplete' : 'answered') : 'incomplete');
      // The server closed on its own with no error: only a Terminate or CancelRequest may do that.
      // (Terminate's body is not checked, as on PostgreSQL: any 'X' may be one.)
      const terminate = bytes.includes(0x58);
      const cancel = bytes.includes(Buffer.from([0x04, 0xd2, 0x16, 0x2e]));
      finish(terminate || cancel ? 'closed' : 'silent');
    });
  });
}

function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'fuzz-wire', ...record })}\n`);
}

async function main(): Promise<void> {
  let server: WireServer = await startWireServer(DB, ['--auth-timeout', '2']);
  // However the bench ends, it leaves no server behind.
  process.on('exit', () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  let crashes = 0;
  let peakRss = server.rss();
  const startRss = peakRss;
  const counts: Record<Outcome, number> = { answered: 0, error: 0, closed: 0, incomplete: 0, hung: 0, silent: 0, refused: 0 };
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, server.rss());
    } catch {
      // The process is gone: counted below.
    }
  }, 200);
  const started = performance.now();
  let tried = 0;
  let nextReport = 10_000;
  const hungExamples: string[] = [];

  const worker = async (): Promise<void> => {
    while (tried < TOTAL) {
      tried++;
      const { login, bytes } = sequence();
      const outcome = await runOne(server.port, login, bytes);
      counts[outcome]++;
      if ((outcome === 'hung' || outcome === 'silent') && hungExamples.length < 5) hungExamples.push(`${outcome} login=${login} sent=${bytes.subarray(0, 256).toString('hex')} answered=${lastAnswer.get(bytes) ?? ''}`);
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        crashes++;
        emit({ crash: server.stderr().slice(-2000) });
        server = await startWireServer(DB, ['--auth-timeout', '2']);
      }
      if (tried >= nextReport) {
        nextReport += 10_000;
        emit({ progress: tried, ...counts, crashes, peak_rss_mb: Math.round(peakRss / 2 ** 20), wall_s: Math.round((performance.now() - started) / 1000) });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  // A well-behaved client at the end: the server still answers.
  const check = new pg.Client({ host: '127.0.0.1', port: server.port, user: USER, database: DATABASE, password: PASSWORD });
  await check.connect();
  const alive = Number((await check.query('SELECT 42 AS n')).rows[0].n) === 42;
  await check.end();
  clearInterval(sampler);
  const endRss = server.rss();
  server.child.kill('SIGTERM');
  const exitCode = await server.exited;
  emit({
    db: DB.replace(/\/\/[^@]*@/, '//'),
    sequences: tried,
    crashes,
    neither_worked_nor_error: counts.hung + counts.silent,
    ...counts,
    examples: hungExamples,
    alive_at_end: alive,
    sigterm_exit_code: exitCode,
    start_rss_mb: Math.round(startRss / 2 ** 20),
    peak_rss_mb: Math.round(peakRss / 2 ** 20),
    end_rss_mb: Math.round(endRss / 2 ** 20),
    wall_s: Math.round((performance.now() - started) / 1000),
  });
}

await main();
