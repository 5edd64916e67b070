/**
 * The HTTP face of `sqlml serve` (../shared/spec/cli.md, "Serving"): statements as JSON,
 * the real-time prediction endpoint, the model list and descriptions, a health check and
 * the OpenAPI description. The evaluation pages are registered on the same instance by
 * serve.ts (pages/pages.ts); the token hook here covers them too.
 *
 * User errors are 4xx with one JSON error naming the thing at fault; 500 only for bugs.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { formatJsonLine } from '../cli/format.js';
import type { Engine } from '../engine/engine.js';
import { SqlmlError, type ErrorCode } from '../errors.js';
import { openApiDocument } from './http-openapi.js';
import { PredictionCache, RecordError } from './http-predict.js';

export interface HttpOptions {
  /** Every request needs `Authorization: Bearer TOKEN` (or the page cookie) when set. */
  readonly token?: string;
  /** Largest request body in bytes (default 10 MB). */
  readonly bodyLimit?: number;
}

const TOKEN_COOKIE = 'sqlml_token';

/** The status that fits each error code: the user's mistakes are 4xx, never 500. */
const STATUS: Record<ErrorCode, number> = {
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
  connection: 503,
  internal: 500,
};

export function statusOf(error: unknown): number {
  return error instanceof SqlmlError ? STATUS[error.code] : 500;
}

function errorBody(error: unknown, extra: Record<string, unknown> = {}): { error: Record<string, unknown> } {
  if (error instanceof SqlmlError) return { error: { code: error.code, message: error.message, ...extra } };
  return { error: { code: 'internal', message: 'internal error (see the server log)', ...extra } };
}

/** The `--json` result object of one statement, so HTTP and the CLI answer alike. */
function resultObject(result: Parameters<typeof formatJsonLine>[0]): unknown {
  return JSON.parse(formatJsonLine(result)) as unknown;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export async function buildHttpApp(engine: Engine, options: HttpOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024 });
  const predictions = new PredictionCache(engine);

  if (options.token !== undefined) {
    const token = options.token;
    app.addHook('onRequest', async (request, reply) => {
      const url = new URL(request.url, 'http://sqlml.local');
      // A browser cannot send a bearer header when a person opens a page: `?token=` on a
      // GET sets an HttpOnly cookie once and redirects to the same address without it.
      const queryToken = url.searchParams.get('token');
      if (request.method === 'GET' && queryToken !== null && sameToken(queryToken, token)) {
        url.searchParams.delete('token');
        const location = url.pathname + (url.searchParams.size > 0 ? `?${url.searchParams}` : '');
        return reply
          .header('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`)
          .redirect(location, 303);
      }
      const header = request.headers.authorization;
      const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
      const given = bearer ?? cookieToken(request);
      if (given === undefined || !sameToken(given, token)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: { code: 'unauthorized', message: 'this server needs Authorization: Bearer <token> (sqlml serve --token)' } });
      }
      return undefined;
    });
  }

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    // Fastify's own client errors (bad JSON, wrong content type, body too large) keep their 4xx status.
    if (!(error instanceof SqlmlError) && error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: { code: error.code ?? 'bad_request', message: error.message } });
    }
    return reply.code(statusOf(error)).send(errorBody(error));
  });
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });

  app.post('/v1/query', async (request: FastifyRequest<{ Body: { sql?: unknown } }>, reply: FastifyReply) => {
    const sql = request.body?.sql;
    if (typeof sql !== 'string' || sql.trim() === '') {
      return reply.code(400).send({ error: { code: 'bad_request', message: 'the body must be {"sql": "<statements>"}' } });
    }
    // A client that goes away stops its statement.
    const controller = new AbortController();
    request.raw.on('close', () => {
      if (!reply.sent) controller.abort();
    });
    const results: unknown[] = [];
    try {
      for await (const result of engine.run(sql, { signal: controller.signal })) results.push(resultObject(result));
    } catch (error) {
      // Training or a new version may have changed what predictions should use.
      predictions.invalidate();
      return reply.code(statusOf(error)).send(errorBody(error, { statement: results.length + 1, results }));
    }
    predictions.invalidate();
    return { results };
  });

  app.post('/v1/models/:name/predict', async (request: FastifyRequest<{ Params: { name: string }; Body: unknown }>, reply: FastifyReply) => {
    const body = request.body;
    const records = Array.isArray(body)
      ? body
      : body !== null && typeof body === 'object' && Array.isArray((body as { records?: unknown }).records)
        ? (body as { records: unknown[] }).records
        : body !== null && typeof body === 'object'
          ? [body]
          : null;
    if (records === null) {
      return reply.code(400).send({ error: { code: 'bad_request', message: 'the body must be a record object, an array of records, or {"records": [...]}' } });
    }
    try {
      return await predictions.predict(request.params.name, records);
    } catch (error) {
      if (error instanceof RecordError) return reply.code(400).send({ error: { code: 'bad_record', message: error.message, record: error.record, field: error.field } });
      throw error;
    }
  });

  app.get('/v1/models', async () => {
    const [result] = await engine.runAll('SHOW MODELS;');
    return resultObject(result!);
  });

  app.get('/v1/models/:name', async (request: FastifyRequest<{ Params: { name: string } }>) => {
    await engine.store.ensureSchema();
    const version = await engine.store.get(request.params.name);
    if (!version) throw new SqlmlError('unknown_model', `model ${request.params.name} does not exist (GET /v1/models lists the models)`);
    return {
      name: version.name,
      version: version.version,
      type: version.type,
      target: version.target,
      created_at: version.createdAt,
      source: version.sourceQuery,
      options: version.options,
      recipe: version.recipe,
      training: version.trainingStats,
      evaluation: version.evaluation,
    };
  });

  app.get('/healthz', async () => {
    await engine.adapter.query('SELECT 1');
    return { status: 'ok' };
  });

  app.get('/openapi.json', async () => openApiDocument());

  return app;
}
