/**
 * `sqlml serve`: one process, one engine, up to three faces over it — the HTTP API with
 * the evaluation pages, the PostgreSQL wire protocol, and the job scheduler (always on:
 * scheduled warehouse jobs are what a serve process exists for even with no listener).
 *
 * Shutdown order matters for the "nothing half-written" rule: first stop taking work
 * (listeners close, the scheduler takes no new run), then wait for what is running (open
 * requests, the running job's atomic write), and only then close the database.
 */
import type { FastifyInstance } from 'fastify';
import { SERVER_RESULT_LIMIT, type ResultLimit } from '../../adapters/result-budget.js';
import { Engine } from '../engine/engine.js';
import { SqlmlError } from '../errors.js';
import { buildHttpApp } from './http.js';
import { registerEvaluationPages } from './pages/pages.js';
import { startPgServer } from './pg-gateway.js';
import { Scheduler } from './scheduler.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface ServeOptions {
  /** Database URL; empty or missing means the embedded default. */
  readonly db?: string;
  readonly http?: ListenAddress;
  readonly pg?: ListenAddress;
  readonly token?: string;
  /** Wire protocol: how long a client has to log in (default 60 s, as PostgreSQL's authentication_timeout). */
  readonly authenticationTimeoutMs?: number;
  /** Most rows and bytes one statement's result may hold, HTTP and wire protocol alike (default SERVER_RESULT_LIMIT). */
  readonly resultLimit?: ResultLimit;
  /** Whether this process runs scheduled jobs (default true). */
  readonly scheduler?: boolean;
  /** Where log lines go (stderr in the CLI). */
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  readonly engine: Engine;
  /** The bound address, e.g. http://127.0.0.1:8080 (port 0 resolved). */
  readonly httpUrl: string | null;
  readonly pgPort: number | null;
  readonly pgHost: string | null;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

/**
 * Parses `--http` / `--pg` values: `PORT`, `:PORT`, `HOST:PORT`, `[IPv6]:PORT`. A bare
 * port binds to loopback, so nothing is exposed unless the user names another host.
 */
export function parseListenAddress(text: string, option: string): ListenAddress {
  const trimmed = text.trim();
  let host = LOOPBACK;
  let portText = trimmed;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
  } else if (trimmed.includes(':')) {
    const at = trimmed.lastIndexOf(':');
    host = trimmed.slice(0, at) || LOOPBACK;
    portText = trimmed.slice(at + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new SqlmlError('bad_option', `${option} '${text}' is not HOST:PORT (e.g. 127.0.0.1:8080, or 8080 for loopback)`);
  }
  return { host, port };
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || /^::ffff:127\./i.test(host);
}

/**
 * Who may connect is decided by the token or, for the wire listener on a database with
 * logins of its own (PostgreSQL, MySQL: each client's login passes through), by the
 * database; with neither, only this machine may connect. HTTP has no logins, so it needs
 * the token off loopback whatever the database. `databaseHasLogins` is undefined before
 * the database is opened, when only --http can be judged. Throws naming the option.
 */
export function checkExposure(
  http: ListenAddress | undefined,
  pg: ListenAddress | undefined,
  token: string | undefined,
  databaseHasLogins?: boolean,
): void {
  if (token) return;
  const shown = (address: ListenAddress): string => `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  if (http && !isLoopback(http.host)) {
    throw new SqlmlError('bad_option', `--http ${shown(http)} is reachable from the network, so it needs --token (or SQLML_TOKEN): HTTP has no logins of its own and every request would act as sqlml's role; without one, listen on 127.0.0.1`);
  }
  if (pg && !isLoopback(pg.host) && databaseHasLogins === false) {
    throw new SqlmlError('bad_option', `--pg ${shown(pg)} is reachable from the network, so it needs --token (or SQLML_TOKEN): this database has no roles for clients to log in as; without one, listen on 127.0.0.1`);
  }
}

/** How wire-protocol clients log in without a token: through to the database's own roles, where it has them (its dialect says how). */
function loginPassthrough(engine: Engine, db: string): { upstreamUrl?: string; passthroughUrl?: string } {
  const login = engine.adapter.sql.clientLogin.kind;
  return login === 'upstream' ? { upstreamUrl: db } : login === 'passthrough' ? { passthroughUrl: db } : {};
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  checkExposure(options.http, options.pg, options.token);
  const log = options.log ?? (() => {});
  const engine = await Engine.open(options.db || undefined);
  const logins = loginPassthrough(engine, options.db ?? '');
  try {
    checkExposure(options.http, options.pg, options.token, Object.keys(logins).length > 0);
  } catch (error) {
    await engine.close();
    throw error;
  }
  let http: FastifyInstance | null = null;
  let pg: Awaited<ReturnType<typeof startPgServer>> | null = null;
  let scheduler: Scheduler | null = null;
  let httpUrl: string | null = null;
  try {
    // The catalog tables must exist before the first request or scheduled run looks for them.
    await engine.store.ensureSchema();
    if (options.http) {
      const app = await buildHttpApp(engine, {
        ...(options.token ? { token: options.token } : {}),
        ...(options.resultLimit ? { resultLimit: options.resultLimit } : {}),
      });
      http = app;
      registerEvaluationPages(app, engine, options.token ? { token: options.token } : {});
      await app.listen({ host: options.http.host, port: options.http.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : options.http.port;
      httpUrl = `http://${options.http.host.includes(':') ? `[${options.http.host}]` : options.http.host}:${port}`;
      log(`sqlml: HTTP API on ${httpUrl} (evaluation pages under ${httpUrl}/models)`);
    }
    if (options.pg) {
      pg = await startPgServer(engine, {
        host: options.pg.host,
        port: options.pg.port,
        ...(options.token ? { token: options.token } : {}),
        ...(options.authenticationTimeoutMs !== undefined ? { authenticationTimeoutMs: options.authenticationTimeoutMs } : {}),
        resultLimit: options.resultLimit ?? SERVER_RESULT_LIMIT,
        ...logins,
      });
      log(`sqlml: PostgreSQL wire protocol on ${options.pg.host}:${pg.port}`);
    }
    if (options.scheduler !== false) {
      scheduler = new Scheduler(engine, { log, resultLimit: options.resultLimit ?? SERVER_RESULT_LIMIT });
      scheduler.start();
      log('sqlml: running scheduled jobs');
    }
  } catch (error) {
    await Promise.allSettled([http?.close(), pg?.close(), scheduler?.stop()]);
    await engine.close();
    throw error;
  }

  let closing: Promise<void> | null = null;
  return {
    engine,
    httpUrl,
    pgPort: pg?.port ?? null,
    pgHost: options.pg?.host ?? null,
    close() {
      closing ??= (async () => {
        // Stop taking work everywhere at once, then wait for all of it.
        await Promise.allSettled([http?.close(), pg?.close(), scheduler?.stop()]);
        await engine.close();
      })();
      return closing;
    },
  };
}
