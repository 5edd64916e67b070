/**
 * `postgres://` / `postgresql://` URLs → pg connection settings. Owns the URL grammar:
 * user, password, host, port, database, `sslmode` and sqlml's own `read` option.
 */
import type { ConnectionOptions } from 'node:tls';
import type { UpstreamServer } from '../dialect.js';
import { SqlmlError } from '../../src/errors.js';

/** How training reads rows: the binary COPY fast path where the server has it, or always the cursor. */
export type PostgresReadMode = 'auto' | 'cursor';

/** The connection a URL names (what the wire listener's upstream needs too), and how training reads. */
export interface PostgresSettings extends UpstreamServer {
  readonly read: PostgresReadMode;
}

const DEFAULT_PORT = 5432;

/**
 * Parses a PostgreSQL URL. Missing parts take libpq's defaults: user `postgres`, host
 * `localhost`, port 5432, database = user. `?sslmode=disable|prefer|allow|require|verify-ca|verify-full`
 * and `?read=auto|cursor` (`cursor` forces the portable cursor path, as on Redshift).
 */
export function parsePostgresUrl(url: string): PostgresSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badUrl(url, 'it is not a valid URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw badUrl(url, 'the scheme must be postgres:// or postgresql://');
  const user = decode(parsed.username) || 'postgres';
  const password = parsed.password === '' ? undefined : decode(parsed.password);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  let port = DEFAULT_PORT;
  if (parsed.port !== '') {
    port = Number(parsed.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw badUrl(url, `the port ${parsed.port} is not between 1 and 65535`);
  }
  const path = decode(parsed.pathname.replace(/^\//, ''));
  if (path.includes('/')) throw badUrl(url, `the database name "${path}" contains a slash`);
  const database = path || user;
  let ssl: false | ConnectionOptions = false;
  let read: PostgresReadMode = 'auto';
  for (const [key, value] of parsed.searchParams) {
    if (key === 'sslmode') ssl = sslOptions(url, value);
    else if (key === 'read') read = readMode(url, value);
    else throw badUrl(url, `the option ${key} is not one of sslmode, read`);
  }
  return { user, password, host, port, database, ssl, read, address: `${host}:${port}` };
}

function sslOptions(url: string, mode: string): false | ConnectionOptions {
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      // libpq's `require` encrypts without checking who answers.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain is checked, the host name is not.
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      throw badUrl(url, `sslmode=${mode} is not one of disable, allow, prefer, require, verify-ca, verify-full`);
  }
}

function readMode(url: string, mode: string): PostgresReadMode {
  if (mode === 'auto' || mode === 'cursor') return mode;
  throw badUrl(url, `read=${mode} is not one of auto, cursor`);
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * The URL with its password masked, as registry.ts's `redactPassword` does; not imported
 * from there because registry.ts imports this adapter, and the cycle would leave its
 * factory map without this adapter when this module is loaded first.
 */
function redactPassword(url: string): string {
  return url.replace(/^([^:/]*:\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}

function badUrl(url: string, why: string): SqlmlError {
  return new SqlmlError('bad_url', `the PostgreSQL URL "${redactPassword(url)}" cannot be used: ${why}`);
}
