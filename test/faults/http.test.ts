/**
 * The HTTP face of `sqlml serve` against hostile and broken clients, on a real socket
 * and a real database (DuckDB always, PostgreSQL and MariaDB via serverTargets()):
 * malformed, oversized, truncated and missing bodies on every route, records of the wrong
 * kind, too many records, idle and slow-loris connections. Each answer is one 4xx JSON
 * error naming what is wrong (no stack trace), and a good request still answers the same
 * prediction afterwards.
 *
 * The app is built as serve.ts builds it (buildHttpApp + the evaluation pages) with the
 * default body limit; only the header and request deadlines are shortened, so a stalled
 * client is cut off in a second instead of the production 10 and 30 s.
 */
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { buildHttpApp, DEFAULT_BODIES_IN_FLIGHT_LIMIT, DEFAULT_BODY_LIMIT, HTTP_TIMEOUTS } from '../../src/server/http.js';
import { MAX_RECORDS_PER_REQUEST } from '../../src/server/http-predict.js';
import { registerEvaluationPages } from '../../src/server/pages/pages.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((t) => t.label !== 'postgres (cursor)')];
const SHORT = { headers: 1000, request: 1500, checkEvery: 100 };
const suffix = `${process.pid}`;
const TABLE = `faults_http_${suffix}`;
const MODEL = `faults_http_${suffix}`;
const GOOD_RECORD = { tenure: 12, plan: 'pro', fee: 64.5 };

/** 300 rows with a learnable target, in SQL every database takes. */
function tableSql(): string {
  const rows: string[] = [];
  for (let i = 0; i < 300; i++) {
    const tenure = (i * 37) % 100;
    const plan = ['basic', 'plus', 'pro'][i % 3]!;
    const fee = ((i * 53) % 90) + 10.5;
    rows.push(`(${tenure}, '${plan}', ${fee}, ${(tenure < 25 && i % 3 === 0) || fee > 80 ? 1 : 0})`);
  }
  return `CREATE TABLE ${TABLE} (tenure INTEGER, plan VARCHAR(10), fee DOUBLE PRECISION, churned INTEGER);
    INSERT INTO ${TABLE} VALUES ${rows.join(', ')};`;
}

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
  /** Whether the server closed the connection after answering. */
  closed: boolean;
  /** Bytes the client had written when the answer (or the close) came. */
  sent: number;
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes `head` on a fresh connection, then feeds `more()` chunks for as long as it
 * returns some and the server has not answered; resolves with the answer once the server
 * closes the connection or `settleMs` after a complete answer on a kept connection.
 */
async function rawExchange(port: number, head: string, more?: () => Buffer | null, settleMs = 300): Promise<RawAnswer> {
  const socket = await openSocket(port);
  socket.on('error', () => {}); // a reset after the server's answer is the server hanging up on an oversized upload
  let received = '';
  let sent = 0;
  let answeredAt = -1;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const at = received.indexOf('\r\n\r\n');
      const headers = at < 0 ? received : received.slice(0, at);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0);
      resolve({ status, headers, body: at < 0 ? '' : received.slice(at + 4), closed, sent: answeredAt < 0 ? sent : answeredAt });
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (answeredAt < 0) answeredAt = sent;
      const length = /content-length: (\d+)/i.exec(received)?.[1];
      const at = received.indexOf('\r\n\r\n');
      if (length !== undefined && at >= 0 && received.length - at - 4 >= Number(length)) setTimeout(() => finish(false), settleMs);
    });
    socket.on('close', () => finish(true));
    const pump = (): void => {
      while (answeredAt < 0 && !socket.destroyed) {
        const chunk = more?.();
        if (!chunk) return;
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    sent += Buffer.byteLength(head);
    socket.write(head, pump);
  });
}

/** A request on its own connection whose head is sent at once and whose body is sent when the test says. */
interface HeldRequest {
  readonly answer: Promise<RawAnswer>;
  /** Writes `bytes` (waiting for the socket), unless the connection is gone. */
  send(bytes: Buffer): Promise<void>;
  close(): void;
}

async function heldRequest(port: number, head: string, onAnswer: () => void): Promise<HeldRequest> {
  const socket = await openSocket(port);
  socket.on('error', () => {});
  let received = '';
  let sent = 0;
  const answer = new Promise<RawAnswer>((resolve) => {
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      const at = received.indexOf('\r\n\r\n');
      const headers = received.slice(0, at < 0 ? received.length : at);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0), headers, body: at < 0 ? '' : received.slice(at + 4), closed, sent });
      onAnswer();
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const length = /content-length: (\d+)/i.exec(received)?.[1];
      const at = received.indexOf('\r\n\r\n');
      if (length !== undefined && at >= 0 && received.length - at - 4 >= Number(length)) finish(false);
    });
    socket.on('close', () => finish(true));
  });
  socket.write(head);
  sent += Buffer.byteLength(head);
  return {
    answer,
    send: (bytes) =>
      new Promise((resolve) => {
        if (socket.destroyed) return resolve();
        sent += bytes.length;
        if (socket.write(bytes)) resolve();
        else {
          socket.once('drain', () => resolve());
          socket.once('close', () => resolve());
        }
      }),
    close: () => socket.destroy(),
  };
}

function expectJsonError(answer: { status: number; body: string }, status: number, code: string | RegExp, message: RegExp): void {
  expect({ status: answer.status, body: answer.body.slice(0, 300) }).toMatchObject({ status });
  const error = (JSON.parse(answer.body) as { error: { code: string; message: string } }).error;
  expect(error.code).toMatch(code);
  expect(error.message).toMatch(message);
  // One sentence, no stack trace.
  expect(error.message).not.toMatch(/\n\s+at |node_modules|\.ts:\d/);
  expect(error.message.length).toBeLessThan(300);
}

function connectionCount(app: FastifyInstance): Promise<number> {
  return new Promise((resolve, reject) => app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

/** A nested JSON array, `depth` deep, as text (no nested value is built). */
function nestedArray(depth: number, inner = '1'): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

describe.each(TARGETS)('HTTP faults on $label', ({ url }) => {
  let engine: Engine;
  let app: FastifyInstance;
  let base = '';
  let port = 0;
  let reference: unknown;

  const post = (path: string, body: string | undefined, contentType: string | null = 'application/json'): Promise<Response> =>
    fetch(`${base}${path}`, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, ...(body !== undefined ? { body } : {}) });

  const answer = async (response: Response): Promise<{ status: number; body: string }> => ({ status: response.status, body: await response.text() });

  /** The server still answers a good prediction, and the same one as before. */
  async function stillServing(): Promise<void> {
    const response = await post(`/v1/models/${MODEL}/predict`, JSON.stringify(GOOD_RECORD));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(reference);
  }

  beforeAll(async () => {
    engine = await Engine.open(url);
    await engine.runAll(`DROP TABLE IF EXISTS ${TABLE}; ${tableSql()} DROP MODEL IF EXISTS ${MODEL}; CREATE MODEL ${MODEL} FROM ${TABLE} PREDICT churned;`);
    app = await buildHttpApp(engine, { timeouts: SHORT });
    registerEvaluationPages(app, engine);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    base = `http://127.0.0.1:${port}`;
    const first = await post(`/v1/models/${MODEL}/predict`, JSON.stringify(GOOD_RECORD));
    expect(first.status).toBe(200);
    reference = await first.json();
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await engine?.runAll(`DROP MODEL IF EXISTS ${MODEL}; DROP TABLE IF EXISTS ${TABLE};`);
    await engine?.close();
  });

  it('POST /v1/query: bad JSON, wrong types, no body, deep nesting each get one 400 naming the fault', async () => {
    const cases: [string, string | undefined, string | null, string | RegExp, RegExp][] = [
      ['invalid JSON', '{"sql": ', 'application/json', /JSON/, /not valid JSON/],
      ['NaN is not JSON', '{"sql": NaN}', 'application/json', /JSON/, /not valid JSON/],
      ['a number for sql', '{"sql": 5}', 'application/json', 'bad_request', /\{"sql"/],
      ['an array for sql', '{"sql": ["SELECT 1"]}', 'application/json', 'bad_request', /\{"sql"/],
      ['a bare string', '"SELECT 1"', 'application/json', 'bad_request', /\{"sql"/],
      ['null', 'null', 'application/json', 'bad_request', /\{"sql"/],
      ['sql nested 100,000 deep', `{"sql": ${nestedArray(100_000, '"SELECT 1"')}}`, 'application/json', 'bad_request', /\{"sql"/],
      ['an empty body', '', 'application/json', 'FST_ERR_CTP_EMPTY_JSON_BODY', /empty.*\/v1\/query/],
      ['no body, no content type', undefined, null, 'bad_request', /\{"sql"/],
      ['prototype poisoning', '{"sql": "SELECT 1", "__proto__": {"x": 1}}', 'application/json', 'FST_ERR_CTP_INVALID_JSON_BODY', /"__proto__"/],
      ['a form body', 'sql=SELECT+1', 'application/x-www-form-urlencoded', 'FST_ERR_CTP_INVALID_MEDIA_TYPE', /application\/json/],
    ];
    for (const [what, body, type, code, message] of cases) {
      const got = await answer(await post('/v1/query', body, type));
      expect({ what, status: got.status }).toEqual({ what, status: got.status >= 400 && got.status < 500 ? got.status : 'a 4xx' });
      expectJsonError(got, got.status === 415 ? 415 : 400, code, message);
    }
    await stillServing();
  });

  it('POST /v1/query: a deeply nested value beside sql, and a 10,000-character string, run as given', async () => {
    const nested = await post('/v1/query', `{"sql": "SELECT 1 AS one;", "extra": ${nestedArray(100_000)}}`);
    expect(nested.status).toBe(200);
    expect(((await nested.json()) as { results: { rows: unknown[] }[] }).results[0]!.rows).toEqual([{ one: 1 }]);
    const long = 'x'.repeat(10_000);
    const echoed = await post('/v1/query', JSON.stringify({ sql: `SELECT '${long}' AS long_text;` }));
    expect(echoed.status).toBe(200);
    expect(((await echoed.json()) as { results: { rows: { long_text: string }[] }[] }).results[0]!.rows[0]!.long_text).toBe(long);
    // 10,000 characters that are no statement: the database's own refusal, as a 400.
    const garbage = await answer(await post('/v1/query', JSON.stringify({ sql: `${'x'.repeat(10_000)};` })));
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body).error).toMatchObject({ code: expect.stringMatching(/syntax|database/), statement: 0, results: [] });
    await stillServing();
  });

  // The rest of the body is read and dropped, bounded by the request deadline, so the client sees the answer (a close with unread data would reset it away).
  it('a 100 MB body is refused with 413 before it is read, by Content-Length and when chunked', async () => {
    const megabyte = Buffer.alloc(1024 * 1024, 'x');
    for (const path of ['/v1/query', `/v1/models/${MODEL}/predict`]) {
      let left = 100;
      const declared = await rawExchange(
        port,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`,
        () => (left-- > 0 ? megabyte : null),
      );
      expectJsonError(declared, 413, 'FST_ERR_CTP_BODY_TOO_LARGE', /larger than the server's limit of 10 MB/);
      // The answer came before the body: the server did not wait for 100 MB.
      expect(declared.sent).toBeLessThan(DEFAULT_BODY_LIMIT);

      left = 100;
      const chunk = Buffer.concat([Buffer.from(`${megabyte.length.toString(16)}\r\n`), megabyte, Buffer.from('\r\n')]);
      const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
      const chunked = await rawExchange(port, head, () => (left-- > 0 ? chunk : null));
      expectJsonError(chunked, 413, 'FST_ERR_CTP_BODY_TOO_LARGE', /larger than the server's limit of 10 MB/);
      // At most 8 chunks past the limit's worth went out before the answer, counted with their framing.
      expect(chunked.sent).toBeLessThanOrEqual(head.length + (DEFAULT_BODY_LIMIT / megabyte.length + 8) * chunk.length);
    }
    await stillServing();
  }, 30_000);

  it('a body shorter than its Content-Length, then silence: 408 at the request deadline, connection closed', async () => {
    const started = Date.now();
    const stalled = await rawExchange(port, `POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sql": "SEL`);
    expectJsonError(stalled, 408, 'timeout', /did not arrive in time/);
    expect(stalled.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(SHORT.request + 2000);
    await stillServing();
  });

  it('malformed HTTP and oversized headers: 400 and 431 as JSON, connection closed', async () => {
    const garbage = await rawExchange(port, 'THIS IS NOT HTTP\r\n\r\n');
    expectJsonError(garbage, 400, 'bad_request', /not valid HTTP/);
    expect(garbage.closed).toBe(true);
    const big = await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expectJsonError(big, 431, 'headers_too_large', /headers/);
    await stillServing();
  });

  it('POST /v1/models/{name}/predict: bad records name the record and field; NaN-like strings are not numbers', async () => {
    const path = `/v1/models/${MODEL}/predict`;
    const long = 'y'.repeat(10_000);
    const cases: [string, string | undefined, string | null, number, string | RegExp, RegExp, { record?: number; field?: string | null }?][] = [
      ['invalid JSON', '{"tenure": ', 'application/json', 400, /JSON/, /not valid JSON/],
      ['an empty body', '', 'application/json', 400, 'FST_ERR_CTP_EMPTY_JSON_BODY', /empty/],
      ['no body', undefined, null, 400, 'bad_record', /record object/],
      ['a number', '5', 'application/json', 400, 'bad_record', /record object/],
      ['records not an array', '{"records": {"tenure": 1}}', 'application/json', 400, 'bad_record', /"records" must be an array/],
      ['a record that is a string', '["tenure"]', 'application/json', 400, 'bad_record', /record 0 is not a JSON object/, { record: 0 }],
      ['a body nested 100,000 deep', nestedArray(100_000), 'application/json', 400, 'bad_record', /record 0 is not a JSON object/],
      ['a nested value for a text field', `{"plan": ${nestedArray(100_000)}}`, 'application/json', 400, 'bad_record', /field plan: an array is not text/, { field: 'plan' }],
      ['an object for a number', '{"fee": {"x": 1}}', 'application/json', 400, 'bad_record', /field fee: an object is not a number/, { field: 'fee' }],
      ['a 10,000-character string for a number', JSON.stringify({ fee: long }), 'application/json', 400, 'bad_record', /field fee: "y+… \(10002 characters\) is not a number/],
      ['a bad value in the second record', JSON.stringify([GOOD_RECORD, { tenure: 'twelve' }]), 'application/json', 400, 'bad_record', /record 1, field tenure/, { record: 1, field: 'tenure' }],
    ];
    for (const word of ['NaN', 'Infinity', '-Infinity', '1e999', '0x10', 'NaN ', '']) {
      cases.push([`"${word}" for a number`, JSON.stringify({ fee: word }), 'application/json', 400, 'bad_record', /field fee: .* is not a number/, { field: 'fee' }]);
    }
    for (const [what, body, type, status, code, message, where] of cases) {
      const got = await answer(await post(path, body, type));
      expect({ what, status: got.status }).toEqual({ what, status });
      expectJsonError(got, status, code, message);
      if (where) expect(JSON.parse(got.body).error).toMatchObject(where);
    }
    // A 10,000-character category is only an unseen category: a prediction, not an error.
    const unseen = await post(path, JSON.stringify({ ...GOOD_RECORD, plan: long }));
    expect(unseen.status).toBe(200);
    // Numbers in decimal text are numbers, as before.
    const numeric = await post(path, JSON.stringify({ tenure: '12', plan: 'pro', fee: ' 6.45e1 ' }));
    expect(await numeric.json()).toEqual(reference);
    await stillServing();
  });

  it(`POST /v1/models/{name}/predict: ${MAX_RECORDS_PER_REQUEST} records answer, one more is refused`, async () => {
    const path = `/v1/models/${MODEL}/predict`;
    const many = (n: number): string => `{"records": [${Array.from({ length: n }, () => '{"tenure": 12, "plan": "pro", "fee": 64.5}').join(',')}]}`;
    const over = await answer(await post(path, many(MAX_RECORDS_PER_REQUEST + 1)));
    expectJsonError(over, 400, 'bad_record', new RegExp(`${MAX_RECORDS_PER_REQUEST + 1} records, more than the ${MAX_RECORDS_PER_REQUEST}`));
    const atLimit = await post(path, many(MAX_RECORDS_PER_REQUEST));
    expect(atLimit.status).toBe(200);
    const predictions = ((await atLimit.json()) as { predictions: unknown[] }).predictions;
    expect(predictions).toHaveLength(MAX_RECORDS_PER_REQUEST);
    expect(predictions[MAX_RECORDS_PER_REQUEST - 1]).toEqual((reference as { predictions: unknown[] }).predictions[0]);
    await stillServing();
  }, 30_000);

  it('every other route: garbage bodies, hostile names and wrong methods answer JSON, never 5xx', async () => {
    const routes = ['/v1/models', `/v1/models/${MODEL}`, '/healthz', '/openapi.json', '/models', `/models/${MODEL}`, `/models/${MODEL}/evaluation.json`, '/assets/nothing.js', '/nowhere'];
    for (const route of routes) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
        const response = await fetch(`${base}${route}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{"broken": ' }) });
        const body = await response.text();
        expect({ route, method, status: response.status }).toEqual({ route, method, status: response.status < 500 ? response.status : 'under 500' });
        if (response.status >= 400) expectJsonError({ status: response.status, body }, response.status, /./, /./);
      }
    }
    for (const name of [`x'; DROP TABLE ${TABLE}; --`, 'n'.repeat(10_000), '%00', '..%2F..%2Fetc%2Fpasswd']) {
      for (const path of [`/v1/models/${name}`, `/v1/models/${name}/predict`, `/models/${name}`]) {
        const response = await fetch(`${base}${path}`, { method: path.endsWith('/predict') ? 'POST' : 'GET', headers: { 'content-type': 'application/json' }, ...(path.endsWith('/predict') ? { body: '{}' } : {}) });
        const body = await response.text();
        expect({ path: path.slice(0, 60), status: response.status }).toEqual({ path: path.slice(0, 60), status: response.status >= 400 && response.status < 500 ? response.status : 'a 4xx' });
        if (response.headers.get('content-type')?.startsWith('application/json')) expectJsonError({ status: response.status, body }, response.status, /./, /./);
      }
    }
    const [count] = await engine.runAll(`SELECT count(*) AS n FROM ${TABLE};`);
    expect(Number(count!.rows[0]![0])).toBe(300);
    await stillServing();
  });

  it('500 idle connections and 50 slow-loris clients do not stop a working client, and are cut off at the headers deadline', async () => {
    // Opened in waves the server has accepted, so none waits in the kernel's listen backlog
    // (a connection the server never accepted is one it cannot time out).
    const sockets: Socket[] = [];
    const closedAt = new Map<Socket, number>();
    const started = Date.now();
    const watched = async (): Promise<Socket> => {
      const socket = await openSocket(port);
      socket.on('error', () => {});
      socket.once('close', () => closedAt.set(socket, Date.now() - started));
      // Read what the server says (its 408), or the socket never sees the end and never closes.
      socket.resume();
      return socket;
    };
    const before = await connectionCount(app);
    for (let wave = 0; wave < 11; wave++) {
      sockets.push(...(await Promise.all(Array.from({ length: 50 }, watched))));
      const until = Date.now() + 5000;
      while ((await connectionCount(app)) < before + sockets.length && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const openedIn = Date.now() - started;
    const idle = sockets.slice(0, 500);
    const loris = sockets.slice(500);
    // A header byte every 100 ms: never a complete request, never silent for long.
    const header = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    let at = 0;
    const trickle = setInterval(() => {
      for (const socket of loris) if (!socket.destroyed) socket.write(at < header.length ? header[at]! : 'a');
      at++;
    }, 100);
    try {
      const timed = Date.now();
      await stillServing();
      const query = await post('/v1/query', '{"sql": "SELECT 42 AS answer;"}');
      expect(((await query.json()) as { results: { rows: unknown[] }[] }).results[0]!.rows).toEqual([{ answer: 42 }]);
      expect(Date.now() - timed).toBeLessThan(SHORT.headers);
      // Every one of them is closed by the server, by the headers deadline (checked every 100 ms).
      const deadline = Date.now() + SHORT.headers + 5000;
      while (closedAt.size < idle.length + loris.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closedAt.size).toBe(idle.length + loris.length);
      // Opening them took a while; the last was opened under SHORT.headers before the trickle began.
      expect(Math.max(...closedAt.values())).toBeLessThan(openedIn + SHORT.headers + 3000);
    } finally {
      clearInterval(trickle);
      for (const socket of [...idle, ...loris]) socket.destroy();
    }
    await stillServing();
  }, 30_000);
});

describe('request bodies held at once', () => {
  // The limit is over all requests: 40 clients each sending 9 MB would hold 360 MB.
  it('40 concurrent 9 MB bodies: those past the 64 MB total get 503 naming the limit (with Retry-After), the server holds only the admitted ones, a small request is answered meanwhile', async () => {
    const engine = await Engine.open('duckdb::memory:');
    const app = await buildHttpApp(engine);
    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(process.memoryUsage.rss()), 10);
    const requests: HeldRequest[] = [];
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const megabyte = 1024 * 1024;
      const prefix = '{"sql": "SELECT 1 AS one;", "pad": "';
      const body = Buffer.alloc(9 * megabyte, 'x');
      body.write(prefix, 0);
      body.write('"}', body.length - 2);
      const head = `POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
      const admitted = Math.floor(DEFAULT_BODIES_IN_FLIGHT_LIMIT / body.length);
      expect(admitted).toBe(7);

      // Heads only: the admitted requests wait for their bodies, holding their room; the others are answered at once.
      let answered = 0;
      let allRefused: () => void = () => undefined;
      const refusedSeen = new Promise<void>((resolve) => (allRefused = resolve));
      const onAnswer = (): void => {
        if (++answered === 40 - admitted) allRefused();
      };
      for (let i = 0; i < 40; i++) requests.push(await heldRequest(port, head, onAnswer));
      const waited = await Promise.race([refusedSeen.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]);
      expect(waited, `answers before any body was sent: ${answered}, expected ${40 - admitted}`).toBe(true);
      const pending = new Set<number>();
      const refused: RawAnswer[] = [];
      await Promise.all(
        requests.map(async (request, index) => {
          const early = await Promise.race([request.answer, new Promise<null>((resolve) => setImmediate(() => resolve(null)))]);
          if (early === null) pending.add(index);
          else refused.push(early);
        }),
      );
      expect(pending.size).toBe(admitted);
      for (const answer of refused) {
        expectJsonError(answer, 503, 'server_busy', /limit of 64 MB of request bodies/);
        expect(answer.headers).toMatch(/\r\nretry-after: 1\r\n/i);
        expect(JSON.parse(answer.body).error.limit_bytes).toBe(DEFAULT_BODIES_IN_FLIGHT_LIMIT);
      }

      // With 63 MB held, a small request still fits; a chunked 2 MB one does not.
      const small = await fetch(`http://127.0.0.1:${port}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sql": "SELECT 42 AS answer;"}' });
      expect(small.status).toBe(200);
      expect(((await small.json()) as { results: { rows: unknown[] }[] }).results[0]!.rows).toEqual([{ answer: 42 }]);
      const chunked = await heldRequest(port, 'POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', () => undefined);
      const chunk = Buffer.concat([Buffer.from(`${megabyte.toString(16)}\r\n`), body.subarray(0, megabyte), Buffer.from('\r\n')]);
      await chunked.send(chunk);
      await chunked.send(chunk);
      expectJsonError(await chunked.answer, 503, 'server_busy', /limit of 64 MB of request bodies/);
      chunked.close();

      // Every client now sends its whole body, the refused ones too (a client that ignores the 503): those are read and dropped.
      const baseline = process.memoryUsage.rss();
      rssSamples.length = 0;
      await Promise.all(requests.map((request) => request.send(body)));
      const answers = await Promise.all([...pending].map((index) => requests[index]!.answer));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body).results[0].rows).toEqual([{ one: 1 }]);
      }
      const grew = Math.max(...rssSamples, process.memoryUsage.rss()) - baseline;
      // The 7 admitted bodies (raw, joined, decoded, parsed: up to 4 copies of 9 MB each) and no more; all 40 would be over a gigabyte.
      expect(grew).toBeLessThan(admitted * 4 * body.length + 64 * megabyte);

      // The room is given back once the answers are sent: another full body is admitted.
      const again = await heldRequest(port, head, () => undefined);
      await again.send(body);
      expect((await again.answer).status).toBe(200);
      again.close();
      // And so is a chunked one, counted as it arrives.
      const chunkedAgain = await heldRequest(port, 'POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', () => undefined);
      await chunkedAgain.send(Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]));
      const chunkedAnswer = await chunkedAgain.answer;
      expect(chunkedAnswer.status).toBe(200);
      expect(JSON.parse(chunkedAnswer.body).results[0].rows).toEqual([{ one: 1 }]);
      chunkedAgain.close();
    } finally {
      clearInterval(sampler);
      for (const request of requests) request.close();
      await app.close();
      await engine.close();
    }
  }, 30_000);
});

describe('the deadlines sqlml serve uses', () => {
  it('bounds what a client owes, not how long a statement may run', async () => {
    const engine = await Engine.open('duckdb::memory:');
    const app = await buildHttpApp(engine);
    try {
      expect(HTTP_TIMEOUTS).toEqual({ headers: 10_000, request: 30_000, keepAlive: 72_000, checkEvery: 1_000 });
      expect(app.server.headersTimeout).toBe(HTTP_TIMEOUTS.headers);
      expect(app.server.requestTimeout).toBe(HTTP_TIMEOUTS.request);
      expect(app.server.keepAliveTimeout).toBe(HTTP_TIMEOUTS.keepAlive);
      // No socket inactivity timeout: a long CREATE MODEL keeps its socket silent.
      expect(app.server.timeout).toBe(0);
    } finally {
      await app.close();
      await engine.close();
    }
  });
});
