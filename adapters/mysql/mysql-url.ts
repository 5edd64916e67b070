/**
 * `mysql://` URLs → connection settings, and the one-sentence errors for a server that
 * cannot be reached or refuses the connection. Nothing here ever repeats the password.
 */
import { SqlmlError, errorMessage } from '../../src/errors.js';

export const DEFAULT_MYSQL_PORT = 3306;

/**
 * The URL with its password replaced by `***` (registry.ts's `redactPassword`, which this
 * module cannot import: the registry imports the adapter that imports this module).
 */
export function redactMySQLUrl(url: string): string {
  return url.replace(/^([^:/]*:\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}

/** How `write()` moves rows into the server. */
export type BulkWriteMethod = 'auto' | 'load_data' | 'insert';

/** What a `mysql://` URL says. */
export interface MySQLSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Empty when the URL has none. */
  readonly password: string;
  readonly database: string;
  /** `?ssl=true`: TLS with certificate verification. */
  readonly ssl: boolean;
  /**
   * `?bulk_write=insert|load_data`: `auto` (the default) uses `LOAD DATA LOCAL INFILE`
   * when the server allows it and multi-row INSERTs when it does not.
   */
  readonly bulkWrite: BulkWriteMethod;
  /**
   * `?sql_mode=A,B`: the session's sql_mode, set on every connection the adapter opens
   * (the server's default otherwise). The adapter's dialect follows it, e.g. its string
   * literals under NO_BACKSLASH_ESCAPES.
   */
  readonly sqlMode?: string;
}

const FORM = 'mysql://user:password@host:3306/database';
/** sql_mode's value: mode names separated by commas (empty for none). */
const SQL_MODE = /^(?:[A-Za-z_]+(?:,[A-Za-z_]+)*)?$/;
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on', 'required']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', 'disabled']);

/** Parses `mysql://user:password@host:port/database?ssl=true|false&bulk_write=auto|load_data|insert&sql_mode=MODE,MODE`. */
export function parseMySQLUrl(url: string): MySQLSettings {
  const shown = redactMySQLUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SqlmlError('bad_url', `"${shown}" is not a valid MySQL URL: expected ${FORM}`);
  }
  if (parsed.protocol.toLowerCase() !== 'mysql:') {
    throw new SqlmlError('bad_url', `"${shown}" is not a MySQL URL: expected ${FORM}`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new SqlmlError('bad_url', `the MySQL URL "${shown}" names no host: expected ${FORM}`);
  const port = parsed.port === '' ? DEFAULT_MYSQL_PORT : Number(parsed.port);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new SqlmlError('bad_url', `the MySQL URL "${shown}" names no database: expected ${FORM}`);
  }
  let ssl = false;
  let bulkWrite: BulkWriteMethod = 'auto';
  let sqlMode: string | undefined;
  for (const [key, value] of parsed.searchParams) {
    if (key === 'ssl') {
      const word = value.toLowerCase();
      if (!TRUE_WORDS.has(word) && !FALSE_WORDS.has(word)) {
        throw new SqlmlError('bad_url', `the MySQL URL option ssl=${value} is not understood: use ssl=true or ssl=false`);
      }
      ssl = TRUE_WORDS.has(word);
    } else if (key === 'bulk_write') {
      if (value !== 'auto' && value !== 'load_data' && value !== 'insert') {
        throw new SqlmlError('bad_url', `the MySQL URL option bulk_write=${value} is not understood: use auto, load_data or insert`);
      }
      bulkWrite = value;
    } else if (key === 'sql_mode') {
      // Mode names only, so the value goes into SET as it is.
      if (!SQL_MODE.test(value)) {
        throw new SqlmlError('bad_url', `the MySQL URL option sql_mode=${value} is not understood: give mode names separated by commas, e.g. sql_mode=ANSI_QUOTES,NO_BACKSLASH_ESCAPES`);
      }
      sqlMode = value.toUpperCase();
    } else {
      throw new SqlmlError('bad_url', `the MySQL URL option "${key}" is not known: the options are ssl, bulk_write and sql_mode`);
    }
  }
  return {
    host,
    port,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database,
    ssl,
    bulkWrite,
    ...(sqlMode !== undefined ? { sqlMode } : {}),
  };
}

/** Driver error codes that mean nothing answered at the address. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'HANDSHAKE_SSL_ERROR']);

/** Turns a failed first connection into one sentence naming the server, user or database at fault. */
export function connectionError(settings: MySQLSettings, error: unknown): SqlmlError {
  const server = `the MySQL server at ${settings.host}:${settings.port}`;
  const code = (error as { code?: unknown } | null)?.code;
  // The driver's own text may quote the URL's parts; only the password must never show.
  const detail = settings.password === '' ? errorMessage(error) : errorMessage(error).replaceAll(settings.password, '***');
  let message: string;
  if (code === 'ER_ACCESS_DENIED_ERROR') {
    message = `${server} refused user "${settings.user}": wrong user name or password`;
  } else if (code === 'ER_BAD_DB_ERROR') {
    message = `database "${settings.database}" does not exist on ${server}`;
  } else if (code === 'ER_DBACCESS_DENIED_ERROR') {
    message = `user "${settings.user}" may not use database "${settings.database}" on ${server}`;
  } else if (typeof code === 'string' && UNREACHABLE.has(code)) {
    message = `cannot reach ${server} (${code}): is it running and listening there?`;
  } else {
    message = `cannot connect to ${server}: ${detail}`;
  }
  return new SqlmlError('connection', message, { cause: error });
}
