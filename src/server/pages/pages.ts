/**
 * The evaluation pages of `sqlml serve`, for people rather than programs:
 *   GET /models                          index of the models
 *   GET /models/:name[?version=N]        one version's evaluation page (the active one by default)
 *   GET /models/:name/evaluation.json    what that page draws: stored evaluation, training
 *                                        statistics (the curve) and the model summary
 *   POST /models/:name/activate          {"version": N}: makes N the active version (the page's
 *                                        button); with a token, only through the
 *                                        Authorization header, never the page's cookie
 *   GET /assets/:file                    page.js, page.css and Chart.js, from memory
 * Everything a page shows is read from the catalog on each request: another process
 * may train a new version at any time, and an evaluation is a single small row.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SqlmlError } from '../../errors.js';
import type { ModelSummary, ModelVersion } from '../../catalog/model-store.js';
import type { Engine } from '../../engine/engine.js';
import { topWeights, type NamedWeight } from '../../engine/show-weights.js';
import { deserializeModel } from '../../learn/model-format.js';
import { loadAssets } from './assets.js';
import { renderErrorPage, renderIndex, renderModelPage } from './html.js';

/**
 * The pages load nothing but their own origin's files, and no inline script runs: a
 * model name that slipped through escaping still could not execute.
 */
const PAGE_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface ModelParams {
  name: string;
}
interface VersionQuery {
  version?: string;
}

type Lookup =
  | { readonly found: true; readonly version: ModelVersion; readonly summary: ModelSummary }
  | { readonly found: false; readonly status: 400 | 404; readonly code: string; readonly message: string };

/** The requested version of a model, or why there is none, as one sentence naming the fault. */
async function lookUp(engine: Engine, name: string, versionText: string | undefined): Promise<Lookup> {
  let version: number | undefined;
  if (versionText !== undefined) {
    if (!/^[1-9][0-9]{0,8}$/.test(versionText)) {
      return { found: false, status: 400, code: 'bad_option', message: `version must be a positive whole number, not ${JSON.stringify(versionText)}` };
    }
    version = Number(versionText);
  }
  await engine.store.ensureSchema();
  const summary = (await engine.store.list()).find((m) => m.name === name);
  if (!summary) {
    return { found: false, status: 404, code: 'unknown_model', message: `model ${name} does not exist` };
  }
  const stored = await engine.store.get(name, version);
  if (!stored) {
    return { found: false, status: 404, code: 'unknown_model', message: `model ${name} has no version ${version}` };
  }
  return { found: true, version: stored, summary };
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store')
    .send(html);
}

/** What the pages need to know of the server's access rule. */
export interface PageOptions {
  /** The token `sqlml serve` was given: activating a version then needs it in the Authorization header. */
  readonly token?: string;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Whether a state-changing request carries the token in its Authorization header. The
 * server's own check also accepts the page's cookie, which a browser attaches to a
 * cross-site request too; a header it never adds by itself, so requiring it here makes
 * the activate button safe from cross-site request forgery (as does the JSON body, which
 * a cross-site form cannot send).
 */
function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined || !/^bearer /i.test(header)) return false;
  return timingSafeEqual(sha256(header.slice(7).trim()), sha256(token));
}

/** How many of the largest weights the page lists (SHOW WEIGHTS lists them all). */
const PAGE_WEIGHTS = 20;

/** The page's weights: the largest by |weight|, named as SHOW WEIGHTS names them, and the bias. */
function pageWeights(version: ModelVersion): { top: NamedWeight[]; bias: NamedWeight[]; non_zero: number; shown: number } {
  const { top, bias, nonZero } = topWeights(deserializeModel(version.model), PAGE_WEIGHTS);
  return { top, bias, non_zero: nonZero, shown: top.length };
}

export function registerEvaluationPages(app: FastifyInstance, engine: Engine, options: PageOptions = {}): void {
  const assets = loadAssets();
  const tokenRequired = options.token !== undefined;

  app.get('/models', async (_request, reply) => {
    await engine.store.ensureSchema();
    return sendHtml(reply, 200, renderIndex(await engine.store.list()));
  });

  app.get<{ Params: ModelParams; Querystring: VersionQuery }>('/models/:name', async (request, reply) => {
    const found = await lookUp(engine, request.params.name, request.query.version);
    if (!found.found) {
      return sendHtml(reply, found.status, renderErrorPage(found.status === 404 ? 'Not found' : 'Bad request', found.message));
    }
    return sendHtml(reply, 200, renderModelPage(found.version, found.summary, tokenRequired));
  });

  app.get<{ Params: ModelParams; Querystring: VersionQuery }>('/models/:name/evaluation.json', async (request, reply) => {
    const found = await lookUp(engine, request.params.name, request.query.version);
    if (!found.found) {
      return reply.code(found.status).send({ error: { code: found.code, message: found.message } });
    }
    const { version: v, summary } = found;
    return reply.header('cache-control', 'no-store').send({
      model: {
        name: v.name,
        version: v.version,
        active: v.active,
        active_version: summary.version,
        versions: summary.versions,
        type: v.type,
        target: v.target,
        created_at: v.createdAt,
        source: v.sourceQuery,
        options: v.options,
      },
      evaluation: v.evaluation,
      training: v.trainingStats,
      versions: (await engine.store.versions(v.name)).map((stored) => ({
        version: stored.version,
        active: stored.active,
        status: stored.status,
        created_at: stored.createdAt,
        metrics: (stored.evaluation as { metrics?: unknown } | null)?.metrics ?? null,
      })),
      drift: (await engine.monitors.history(v.name)).map((run) => ({ version: run.version, run_at: run.runAt, rows: run.rows, results: run.results })),
      weights: pageWeights(v),
    });
  });

  app.post<{ Params: ModelParams; Body: unknown }>('/models/:name/activate', async (request, reply) => {
    if (options.token !== undefined && !bearerMatches(request.headers.authorization, options.token)) {
      return reply.code(403).send({ error: { code: 'forbidden', message: 'activating a version needs the token in the Authorization header (Bearer <token>); the page cookie is not enough' } });
    }
    const body = request.body as { version?: unknown } | null;
    const version = body !== null && typeof body === 'object' ? body.version : undefined;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
      return reply.code(400).send({ error: { code: 'bad_request', message: 'the body must be {"version": <a positive whole number>}' } });
    }
    await engine.store.ensureSchema();
    try {
      const previous = await engine.store.activate(request.params.name, version);
      return reply.header('cache-control', 'no-store').send({ model: request.params.name, version, previous_version: previous });
    } catch (error) {
      if (error instanceof SqlmlError && error.code === 'unknown_model') return reply.code(404).send({ error: { code: error.code, message: error.message } });
      throw error;
    }
  });

  app.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
    const asset = assets.get(request.params.file);
    if (!asset) {
      return reply.code(404).send({ error: { code: 'not_found', message: `there is no asset ${request.params.file}` } });
    }
    return reply
      .header('content-type', asset.contentType)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'public, max-age=3600')
      .send(asset.body);
  });
}
