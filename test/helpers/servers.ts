/**
 * The database servers the tests run against: PostgreSQL and MariaDB on 127.0.0.1 with
 * a `sqlml_test` database each (.ci/run creates them; SQLML_TEST_POSTGRES and
 * SQLML_TEST_MYSQL name others). Under CI=true a server that does not answer at its URL's
 * address fails the run; elsewhere its tests are skipped with a message.
 */
import { createConnection } from 'node:net';
import { DATABASE_FACTS } from './database-facts.js';

export interface ServerTarget {
  readonly label: string;
  readonly url: string;
}

export const POSTGRES_URL = process.env.SQLML_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/sqlml_test';
export const MYSQL_URL = process.env.SQLML_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/sqlml_test';

/** The server adapters that exist in this build; a server joins when its adapter does. */
const SERVERS: readonly ServerTarget[] = [
  { label: 'postgres', url: POSTGRES_URL },
  // The portable cursor path (Redshift's) against the same server.
  { label: 'postgres (cursor)', url: `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}read=cursor` },
  { label: 'mysql', url: MYSQL_URL },
];

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'postgres:': 5432, 'postgresql:': 5432, 'mysql:': 3306 };

/** The host and port a server URL names (its scheme's default port when it names none). */
function address(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(parsed.port) || DEFAULT_PORTS[parsed.protocol] || 0 };
}

function listening({ host, port }: { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Every server target, each marked reachable or not, for suites that report an absent
 * server's tests as skipped (`describe.skipIf(!target.reachable)`). Under CI=true an
 * absent server throws instead.
 */
export async function everyServerTarget(): Promise<(ServerTarget & { readonly reachable: boolean })[]> {
  const targets: (ServerTarget & { readonly reachable: boolean })[] = [];
  for (const server of SERVERS) {
    const { host, port } = address(server.url);
    const reachable = await listening({ host, port });
    if (!reachable && process.env.CI === 'true') {
      throw new Error(`${server.label} is not answering on ${host}:${port}; under CI=true the server tests must run`);
    }
    if (!reachable) console.warn(`skipping the ${server.label} tests: nothing answers on ${host}:${port}`);
    targets.push({ ...server, reachable });
  }
  return targets;
}

/** The servers to test against: every one in CI (missing = failure), the reachable ones elsewhere. */
export async function serverTargets(): Promise<ServerTarget[]> {
  return (await everyServerTarget()).filter((target) => target.reachable).map(({ label, url }) => ({ label, url }));
}

/**
 * The URL of a database of the caller's own beside `url`'s (`<database>_<suffix>`, created if
 * missing), for tests that act on every session or every staging table of their database
 * (killing "all the other connections"): the other test files run beside them on `url`'s.
 */
export async function ownDatabase(url: string, suffix: string): Promise<string> {
  const parsed = new URL(url);
  const name = `${decodeURIComponent(parsed.pathname.slice(1))}_${suffix}`;
  const { openAdapter } = await import('../../adapters/registry.js');
  const admin = await openAdapter(url);
  try {
    if (DATABASE_FACTS[admin.sql.name].createDatabaseIfNotExists) {
      await admin.query(`CREATE DATABASE IF NOT EXISTS ${admin.sql.quoteIdent(name)}`);
    } else {
      const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = ${admin.sql.quoteString(name)}`);
      if (exists.rows.length === 0) await admin.query(`CREATE DATABASE ${admin.sql.quoteIdent(name)}`);
    }
  } finally {
    await admin.close();
  }
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}
