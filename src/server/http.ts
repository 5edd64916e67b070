/**
 * The HTTP face of `sqlml serve` (../shared/spec/cli.md, "Serving"): statements as JSON,
 * the real-time prediction endpoint, the model list and descriptions, the lexical rules
 * statements are split by, a health check and the OpenAPI description. It builds the fastify instance but does not listen: serve.ts
 * registers the evaluation pages on the same instance first, and the token hook here
 * (added at the root) covers them too.
 *
 * User errors are 4xx with one JSON error naming the thing at fault; 500 only for bugs.
 * Statement results are the CLI's `--json` lines spliced in as they are, so HTTP answers
 * with exactly the CLI's objects, column order included (a plain object would move a
 * column named "2" ahead of the others).
 */
import { SERVER_RESULT_LIMIT, type ResultLimit } from '../../adapters/result-budget.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Engine } from '../engine/engine.js';
import type { Evaluation } from '../engine/evaluation.js';
import { errorMessage, SqlmlError, type ErrorCode } from '../errors.js';
import { formatBytes, formatJsonLine } from '../format.js';
import { describeRecipe } from '../learn/recipe-describe.js';
import { openApiDocument } from './http-openapi.js';
import { explainOf, PredictionCache, recordsOf, RecordError } from './http-predict.js';

export interface HttpOptions {
  /** Every request needs `Authorization: Bearer TOKEN` (or the page cookie) when set. */
  readonly token?: string;
  /** Largest request body in bytes (default 10 MB). */
  readonly bodyLimit?: number;
  /** Most bytes of request bodies held at once, over all requests (default 64 MB). */
  readonly bodiesInFlightLimit?: number;
  /** The connection timeouts, each in milliseconds (defaults: HTTP_TIMEOUTS). */
  readonly timeouts?: Partial<HttpTimeouts>;
  /** Most rows and bytes one statement of `/v1/query` may answer (default SERVER_RESULT_LIMIT). */
  readonly resultLimit?: ResultLimit;
}

export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
/**
 * bodyLimit bounds one request; this bounds them all together, so that 100 clients each
 * sending 10 MB cannot make the server hold a gigabyte. A body is counted from its first
 * byte until its answer is sent (its parsed form lives as long as the request).
 */
export const DEFAULT_BODIES_IN_FLIGHT_LIMIT = 64 * 1024 * 1024;
/** Seconds a client refused for lack of body room is asked to wait (`Retry-After`). */
const BODY_RETRY_AFTER_SECONDS = 1;
/** Longest model name an address may carry (PostgreSQL's names stop at 63). */
const MAX_NAME_IN_PATH = 256;

export interface HttpTimeouts {
  /** From connecting (or a later request's first byte) to the end of its headers: a client that trickles headers (slow loris) or never sends any is cut off after it. */
  readonly headers: number;
  /** From connecting to the last byte of the request's body (not its answer, so a long statement is not cut off). */
  readonly request: number;
  /** How long an idle keep-alive connection stays open between requests. */
  readonly keepAlive: number;
  /** How often the server looks for connections past the first two deadlines. */
  readonly checkEvery: number;
}

/**
 * Idle connections are bounded by deadlines on what the client owes (its headers, its
 * body), never by a socket inactivity timeout: a CREATE MODEL through /v1/query keeps
 * its socket silent for as long as it trains, and cutting that off would cancel it.
 * 30 s for a body of up to 10 MB asks a client for 350 KB/s. Keep-alive outlasts the
 * usual proxies' idle timeouts (nginx and AWS load balancers: 60 s), so the proxy closes
 * an idle connection first and never sends a request on one the server is closing.
 */
export const HTTP_TIMEOUTS: HttpTimeouts = { headers: 10_000, request: 30_000, keepAlive: 72_000, checkEvery: 1_000 };
const TOKEN_COOKIE = 'sqlml_token';
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The status for each error code. The user's mistakes are 4xx; a database that does not
 * answer is 503 (retry later), a cancelled statement 499 (the client went away, nginx's
 * code), data that trains to nothing 422 (the statement was fine, the rows were not).
 */
const STATUS: Readonly<Record<ErrorCode, number>> = {
  syntax: 400,
  bad_option: 400,
  bad_recipe: 400,
  bad_column: 400,
  bad_target: 400,
  empty_input: 400,
  bad_url: 400,
  database: 400,
  unsupported: 400,
  unknown_model: 404,
  model_exists: 409,
  training_failed: 422,
  cancelled: 499,
  // The answer, not the request, is too large; 413 is the closest status clients know.
  result_too_large: 413,
  connection: 503,
  internal: 500,
};

export function statusOf(error: unknown): number {
  return error instanceof SqlmlError ? STATUS[error.code] : 500;
}

/** `{"code", "message"}` of an error; a bug's details go to the server's stderr, not the client. */
function errorFields(error: unknown): { code: string; message: string } {
  if (error instanceof SqlmlError) {
    if (error.code === 'internal') process.stderr.write(`sqlml serve: ${error.stack ?? error.message}\n`);
    return { code: error.code, message: error.message };
  }
  process.stderr.write(`sqlml serve: internal error: ${error instanceof Error ? (error.stack ?? error.message) : errorMessage(error)}\n`);
  return { code: 'internal', message: 'internal error (see the server log)' };
}

function sendError(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(status).send({ error: { code, message, ...extra } });
}

/** One sentence for each of fastify's body errors, naming what is wrong with the body. */
function bodyErrorMessage(error: Error & { code?: string }, bodyLimit: number, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the request body is larger than the server's limit of ${formatBytes(bodyLimit)}`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return `the request body is empty, but ${request.method} ${request.url.split('?')[0]} needs a JSON body`;
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'the request body is not as long as its Content-Length header says';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `the Content-Type ${JSON.stringify(String(request.headers['content-type'] ?? '')).slice(0, 80)} is not accepted; send application/json`;
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // fastify's parser drops JSON.parse's own words, and refuses prototype keys under the same code.
      return 'the request body is not valid JSON, or has a "__proto__" or "constructor" key (refused: it could change an object\'s prototype)';
    default:
      // JSON.parse's own message names the position (its excerpt of the body is short).
      return error instanceof SyntaxError ? `the request body is not valid JSON: ${error.message}` : error.message;
  }
}

/** A body that would take the bytes held for bodies past the server's total. */
class BodiesInFlightError extends Error {
  readonly statusCode = 503;
  readonly code = 'server_busy';
  constructor(limit: number) {
    super(`the server is already holding its limit of ${formatBytes(limit)} of request bodies; retry in a moment`);
  }
}

/**
 * The bytes of request bodies held across all requests. A body with a Content-Length takes
 * its length before a byte is read, so a refusal costs nothing; a chunked body takes its
 * bytes as they arrive. Each request gives back what it took when its answer is done.
 */
function limitBodiesInFlight(app: FastifyInstance, bodyLimit: number, limit: number): void {
  let held = 0;
  const take = (bytes: number): boolean => {
    if (held + bytes > limit) return false;
    held += bytes;
    return true;
  };
  app.addHook('preParsing', async (request, reply, payload) => {
    let taken = 0;
    let answered = false;
    // 'close' comes once the answer is sent or the connection is gone, whichever is first.
    reply.raw.once('close', () => {
      answered = true;
      held -= taken;
      taken = 0;
    });
    const declared = Number(request.headers['content-length']);
    if (Number.isInteger(declared) && declared >= 0) {
      // A body over bodyLimit is refused by fastify with its own 413, which says more.
      if (declared > bodyLimit) return payload;
      if (!take(declared)) throw new BodiesInFlightError(limit);
      taken = declared;
      return payload;
    }
    if (request.headers['transfer-encoding'] === undefined) return payload;
    return payload.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
          if (answered || !take(chunk.length)) {
            callback(new BodiesInFlightError(limit));
            return;
          }
          taken += chunk.length;
          callback(null, chunk);
        },
      }),
    );
  });
}

/**
 * What the HTTP parser refuses before there is a request (malformed request line or
 * headers, headers too large, a client past its headers or request deadline): the same
 * JSON error shape as every route, then the connection closes, as HTTP requires.
 */
function clientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'timeout', 'the request did not arrive in time (its headers or body stopped short)']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'the request headers are larger than the server accepts (16 KB)']
        : [400, 'bad_request', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Tokens compared as SHA-256 digests: equal length always, so the comparison leaks nothing. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function bearerToken(header: string | undefined): string | undefined {
  // The scheme is case-insensitive (RFC 9110 §11.1).
  return header !== undefined && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
}

/** Guards every route, including ones registered after this (the evaluation pages). */
function requireToken(app: FastifyInstance, token: string): void {
  const expected = digest(token);
  const matches = (given: string | undefined): boolean => given !== undefined && timingSafeEqual(digest(given), expected);
  app.addHook('onRequest', async (request, reply) => {
    if (matches(bearerToken(request.headers.authorization)) || matches(cookieValue(request.headers.cookie, TOKEN_COOKIE))) return;
    // A browser cannot send a bearer header when a person opens a page: `?token=` on a
    // GET sets an HttpOnly cookie once and redirects to the same address without it, so
    // the token does not stay in the address bar or the history.
    if (request.method === 'GET' && request.url.includes('token=')) {
      const url = new URL(request.url, 'http://localhost');
      if (matches(url.searchParams.get('token') ?? undefined)) {
        url.searchParams.delete('token');
        const query = url.searchParams.toString();
        return reply
          .header('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`)
          .redirect(url.pathname + (query ? `?${query}` : ''), 303);
      }
    }
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="sqlml"')
      .send({ error: { code: 'unauthorized', message: 'this server needs Authorization: Bearer <token> (the token given to sqlml serve --token or SQLML_TOKEN)' } });
  });
}

/**
 * On close, hangs up on connections that carry no request, and waits only for the ones
 * that do. Node's own close keeps waiting for a socket that a client opened and never
 * used (browsers and fetch open spare ones), which would hold a shutdown for a minute.
 */
function closeUnusedConnections(app: FastifyInstance): void {
  const inFlight = new Map<Socket, number>();
  app.server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  app.server.on('request', (request: { socket: Socket }, response: { once(event: 'close', listener: () => void): void }) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (inFlight.has(socket)) inFlight.set(socket, left);
      // Closing already: a connection whose last request just ended is not reused.
      if (left === 0 && closing) socket.destroySoon();
    });
  });
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
  });
}

/**
 * Runs `sql` statement by statement. The answer is the JSON text of {"results": [...]},
 * or the failing statement's error with the results before it; `statement` is the
 * failing statement's 0-based index (so it equals the number of results).
 */
async function runStatements(engine: Engine, sql: string, signal: AbortSignal, resultLimit: ResultLimit): Promise<{ status: number; body: string }> {
  const results: string[] = [];
  try {
    for (const part of engine.split(sql)) {
      // A client that went away between statements stops the script too.
      if (signal.aborted) throw new SqlmlError('cancelled', 'the request was cancelled by the client');
      results.push(formatJsonLine(await engine.execute(engine.parse(part), { signal, resultLimit }), { types: true }));
    }
    return { status: 200, body: `{"results":[${results.join(',')}]}` };
  } catch (error) {
    const { code, message } = errorFields(error);
    const head = JSON.stringify({ code, message, statement: results.length }).slice(0, -1);
    return { status: statusOf(error), body: `{"error":${head},"results":[${results.join(',')}]}}` };
  }
}

/** DESCRIBE MODEL as structured JSON: what the model is, how it was trained, how it scored. */
async function describeJson(engine: Engine, predictions: PredictionCache, name: string): Promise<Record<string, unknown>> {
  await engine.store.ensureSchema();
  const version = await engine.store.get(name);
  if (!version) throw new SqlmlError('unknown_model', `model ${name} does not exist (GET /v1/models lists the models)`);
  const model = predictions.modelOf(version);
  const label = model.label;
  const evaluation = version.evaluation as Evaluation | null;
  return {
    name: version.name,
    version: version.version,
    active: version.active,
    type: version.type,
    target: version.target,
    labels: model.task === 'binary' ? { positive: label.positive, negative: label.negative } : model.task === 'multiclass' ? { classes: label.classes } : null,
    created_at: version.createdAt,
    source: version.sourceQuery,
    inputs: model.inputColumns.map((c) => ({ name: c.name, type: c.type, db_type: c.dbType })),
    options: version.options,
    recipe: describeRecipe(model.recipe),
    training: version.trainingStats,
    evaluation: evaluation ? { metrics: evaluation.metrics, details: evaluation.details } : null,
  };
}

export async function buildHttpApp(engine: Engine, options: HttpOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const bodiesInFlightLimit = options.bodiesInFlightLimit ?? DEFAULT_BODIES_IN_FLIGHT_LIMIT;
  const timeouts = { ...HTTP_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    logger: false,
    bodyLimit,
    http: { headersTimeout: timeouts.headers, connectionsCheckingInterval: timeouts.checkEvery },
    requestTimeout: timeouts.request,
    keepAliveTimeout: timeouts.keepAlive,
    connectionTimeout: 0,
    clientErrorHandler: clientError,
    // Errors fastify raises before a route runs (an address it cannot decode, a name longer
    // than maxParamLength): the same JSON shape, without echoing the address back.
    frameworkErrors: (error: Error & { statusCode?: number; code?: string }, _request, reply) =>
      sendError(
        reply,
        error.statusCode ?? 400,
        error.code ?? 'bad_request',
        error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `a name in the address is longer than ${MAX_NAME_IN_PATH} characters` : 'the address cannot be decoded',
      ),
    routerOptions: { maxParamLength: MAX_NAME_IN_PATH },
  });
  const predictions = new PredictionCache(engine);
  closeUnusedConnections(app);

  // Only JSON bodies: a text/plain POST is a 415, not a string the routes would misread.
  app.removeContentTypeParser('text/plain');
  if (options.token !== undefined) requireToken(app, options.token);
  limitBodiesInFlight(app, bodyLimit, bodiesInFlightLimit);

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof BodiesInFlightError) {
      // As for a 413: the unread rest of the body is read and dropped (not held), so the client sees the answer.
      reply.removeHeader('connection');
      request.raw.unpipe();
      request.raw.resume();
      return sendError(reply.header('retry-after', String(BODY_RETRY_AFTER_SECONDS)), 503, error.code, error.message, { limit_bytes: bodiesInFlightLimit });
    }
    // Fastify's own client errors (bad JSON 400, too large 413, wrong content type 415) keep their status.
    if (!(error instanceof SqlmlError) && error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      if (error.statusCode === 413 && !request.raw.complete) {
        // fastify closes the connection after a body error, but a close while the client is
        // still sending resets the connection, and the client loses the answer before it reads
        // it. The rest of the body is read and dropped instead, for at most the request deadline.
        reply.removeHeader('connection');
        // A chunked body flows through limitBodiesInFlight's counter, which nobody reads any more.
        request.raw.unpipe();
        request.raw.resume();
      }
      return sendError(reply, error.statusCode, error.code ?? 'bad_request', bodyErrorMessage(error, bodyLimit, request));
    }
    const { code, message } = errorFields(error);
    return sendError(reply, statusOf(error), code, message);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));

  app.post('/v1/query', async (request: FastifyRequest<{ Body: unknown }>, reply: FastifyReply) => {
    const body = request.body as { sql?: unknown } | null;
    const sql = body !== null && typeof body === 'object' ? body.sql : undefined;
    if (typeof sql !== 'string' || sql.trim() === '') {
      return sendError(reply, 400, 'bad_request', 'the body must be {"sql": "<one or more statements>"}');
    }
    // A client that goes away stops its statement: the response closes before it ends.
    const controller = new AbortController();
    const onClose = (): void => {
      if (!reply.raw.writableEnded) controller.abort();
    };
    reply.raw.once('close', onClose);
    try {
      const { status, body: text } = await runStatements(engine, sql, controller.signal, options.resultLimit ?? SERVER_RESULT_LIMIT);
      return reply.code(status).type(JSON_TYPE).send(text);
    } finally {
      // Whatever ran may have trained, replaced or dropped a model: predictions look again.
      predictions.invalidate();
    }
  });

  app.post('/v1/models/:name/predict', async (request: FastifyRequest<{ Params: { name: string }; Body: unknown }>, reply: FastifyReply) => {
    try {
      const text = await predictions.predictJson(request.params.name, recordsOf(request.body), explainOf(request.body));
      return reply.type(JSON_TYPE).send(text);
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      return sendError(reply, 400, 'bad_record', error.message, { record: error.record, field: error.field });
    }
  });

  app.get('/v1/models', async (_request, reply) => {
    const [result] = await engine.runAll('SHOW MODELS;');
    return reply.type(JSON_TYPE).send(formatJsonLine(result!, { types: true }));
  });

  app.get('/v1/models/:name', async (request: FastifyRequest<{ Params: { name: string } }>) => describeJson(engine, predictions, request.params.name));

  // How the server cuts a script into statements: `sqlml --server` reads its prompt's lines
  // by these rules, so that it sends a statement when the database sees it end (a `;` in a
  // MySQL `# comment` or after `\'` ends nothing there) and never half of one.
  const syntax = JSON.stringify({ dialect: engine.adapter.sql.name, lexical: engine.adapter.sql.lexical });
  app.get('/v1/syntax', async (_request, reply) => reply.type(JSON_TYPE).send(syntax));

  app.get('/healthz', async (_request, reply) => {
    try {
      await engine.adapter.query('SELECT 1');
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', error: { code: 'database', message: `the database does not answer: ${errorMessage(error)}` } });
    }
    return { status: 'ok' };
  });

  const openApi = JSON.stringify(openApiDocument());
  app.get('/openapi.json', async (_request, reply) => reply.type(JSON_TYPE).send(openApi));

  return app;
}
