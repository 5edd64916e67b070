/**
 * The PostgreSQL wire-protocol face of `sqlml serve`: psql, node `pg`, psycopg2, JDBC
 * and the BI tools built on them connect to sqlml as to a PostgreSQL server. sqlml
 * statements run in sqlml; everything else reaches the database (see pg-session.ts).
 *
 * This module owns the listener and the set of sessions: it gives each connection a
 * session (which frames the client's bytes itself, see pg-frontend.ts), routes
 * CancelRequests (which come on a connection of their own) to the session whose key
 * they carry, and closes gracefully: stop accepting, let running statements finish,
 * then end every session.
 */
import { createServer, type Server } from 'node:net';
import { SERVER_RESULT_LIMIT, type ResultLimit } from '../../adapters/result-budget.js';
import { Engine } from '../engine/engine.js';
import { PgSession, type ClientLogin, type SessionHost } from './pg-session.js';

export interface PgServerOptions {
  /** Default 127.0.0.1: nothing is exposed unless asked. */
  readonly host?: string;
  /** 0 = any free port. */
  readonly port: number;
  /** When set, clients must send it as their password. */
  readonly token?: string;
  /** The database URL when it is postgres://: pass-through is forwarded to it verbatim. */
  readonly upstreamUrl?: string;
  /**
   * Without a token, clients log in as their own roles on the database of this URL (a
   * server database: PostgreSQL through the upstream, MySQL through an engine per
   * client); default: upstreamUrl. Unset on DuckDB, which has no roles.
   */
  readonly passthroughUrl?: string;
  /** From connecting to logged in, at most this long (PostgreSQL's authentication_timeout); default 60 s. */
  readonly authenticationTimeoutMs?: number;
  /** Most rows and bytes one statement sqlml runs may answer (default SERVER_RESULT_LIMIT). */
  readonly resultLimit?: ResultLimit;
}

export const DEFAULT_AUTHENTICATION_TIMEOUT_MS = 60_000;

export interface PgServer {
  readonly port: number;
  /** Stops accepting, lets running statements finish, ends every session. */
  close(): Promise<void>;
}

export async function startPgServer(engine: Engine, options: PgServerOptions): Promise<PgServer> {
  const sessions = new Map<number, PgSession>();
  const host: SessionHost = {
    engine,
    token: options.token,
    upstreamUrl: options.upstreamUrl,
    authenticationTimeoutMs: options.authenticationTimeoutMs ?? DEFAULT_AUTHENTICATION_TIMEOUT_MS,
    passthroughUrl: options.token === undefined ? (options.passthroughUrl ?? options.upstreamUrl) : undefined,
    openClientEngine: (login) => Engine.open(clientUrl((options.passthroughUrl ?? options.upstreamUrl)!, login)),
    resultLimit: options.resultLimit ?? SERVER_RESULT_LIMIT,
    cancel(processId, secretKey) {
      const session = sessions.get(processId);
      // A wrong key is ignored silently, as PostgreSQL does: nothing to learn from guessing.
      if (session && session.secretKey === secretKey) session.cancel();
    },
    opened(session) {
      sessions.set(session.processId, session);
    },
    closed(session) {
      sessions.delete(session.processId);
    },
  };

  const server: Server = createServer((socket) => new PgSession(host, socket));

  const bindHost = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: bindHost, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  let closing: Promise<void> | null = null;
  return {
    port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.allSettled([...sessions.values()].map((session) => session.shutdown()));
        await stopped;
      })();
      return closing;
    },
  };
}

/** The database URL with the client's role, password and database in place of sqlml's own. */
export function clientUrl(base: string, login: ClientLogin): string {
  const url = new URL(base);
  url.username = encodeURIComponent(login.user);
  url.password = login.password === undefined ? '' : encodeURIComponent(login.password);
  url.pathname = `/${encodeURIComponent(login.database)}`;
  return url.toString();
}
