/** PostgreSQL URLs, connection failures in one sentence, and the text forms of dates and timestamps. */
import { describe, expect, it } from 'vitest';
import { connectionError, supportsBinaryCopy } from '../../adapters/postgres/postgres-adapter.js';
import { parsePostgresUrl } from '../../adapters/postgres/postgres-url.js';
import { formatDate, formatTimestamp, isoTimestamp, parseDateText, parseTimestampText } from '../../adapters/postgres/postgres-types.js';
import { escapeCopyText } from '../../adapters/postgres/postgres-writer.js';
import { openAdapter } from '../../adapters/registry.js';
import { SqlmlError } from '../../src/errors.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const available = (await serverTargets()).some((target) => target.url === POSTGRES_URL);

async function rejection(promise: Promise<unknown>): Promise<SqlmlError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SqlmlError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('parsePostgresUrl', () => {
  it('reads user, password, host, port and database, decoding percent escapes', () => {
    expect(parsePostgresUrl('postgres://ana:s%40cr%2Ft@db.example.com:6543/sales%20db')).toMatchObject({
      user: 'ana',
      password: 's@cr/t',
      host: 'db.example.com',
      port: 6543,
      database: 'sales db',
      ssl: false,
      read: 'auto',
      address: 'db.example.com:6543',
    });
  });

  it("takes libpq's defaults for what is missing", () => {
    expect(parsePostgresUrl('postgresql://localhost')).toMatchObject({ user: 'postgres', password: undefined, host: 'localhost', port: 5432, database: 'postgres' });
    expect(parsePostgresUrl('postgres://bob@127.0.0.1/')).toMatchObject({ user: 'bob', database: 'bob' });
    expect(parsePostgresUrl('postgres://u@[::1]:5433/d')).toMatchObject({ host: '::1', port: 5433 });
  });

  it('maps sslmode to pg TLS options', () => {
    expect(parsePostgresUrl('postgres://h/d?sslmode=disable').ssl).toBe(false);
    expect(parsePostgresUrl('postgres://h/d?sslmode=prefer').ssl).toBe(false);
    expect(parsePostgresUrl('postgres://h/d?sslmode=require').ssl).toEqual({ rejectUnauthorized: false });
    expect(parsePostgresUrl('postgres://h/d?sslmode=verify-full').ssl).toEqual({ rejectUnauthorized: true });
    const verifyCa = parsePostgresUrl('postgres://h/d?sslmode=verify-ca').ssl;
    expect(verifyCa && verifyCa.rejectUnauthorized).toBe(true);
    expect(verifyCa && verifyCa.checkServerIdentity?.('h', {} as never)).toBeUndefined();
  });

  it('reads ?read=cursor, which forces the cursor path', () => {
    expect(parsePostgresUrl('postgres://h/d?read=cursor&sslmode=disable').read).toBe('cursor');
  });

  it('refuses a bad port, an unknown option or sslmode, naming it, with the password hidden', () => {
    const port = (() => {
      try {
        parsePostgresUrl('postgres://u:hunter2@h:99999/d');
      } catch (error) {
        return error as SqlmlError;
      }
    })();
    expect(port?.code).toBe('bad_url');
    expect(port?.message).not.toContain('hunter2');
    expect(() => parsePostgresUrl('postgres://u:hunter2@h/d?sslmode=sometimes')).toThrow(/sslmode=sometimes is not one of disable/);
    expect(() => parsePostgresUrl('postgres://h/d?fetch=fast')).toThrow(/the option fetch is not one of sslmode, read/);
    expect(() => parsePostgresUrl('postgres://h/d?read=copy')).toThrow(/read=copy is not one of auto, cursor/);
    expect(() => parsePostgresUrl('postgres://u:hunter2@h/d?sslmode=sometimes')).not.toThrow(/hunter2/);
  });
});

describe('read path choice', () => {
  it('uses binary COPY on PostgreSQL 9.4 and later, the cursor on Redshift and older servers', () => {
    expect(supportsBinaryCopy('PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64-pc-linux-gnu')).toBe(true);
    expect(supportsBinaryCopy('PostgreSQL 9.4.26 on x86_64-pc-linux-gnu')).toBe(true);
    expect(supportsBinaryCopy('PostgreSQL 9.3.25 on x86_64-pc-linux-gnu')).toBe(false);
    expect(supportsBinaryCopy('PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.77467')).toBe(false);
    expect(supportsBinaryCopy('CockroachDB CCL v23.1')).toBe(false);
  });
});

describe('connection errors', () => {
  const settings = parsePostgresUrl('postgres://ana:hunter2@127.0.0.1:5999/shop');

  it('says which server refused the connection', () => {
    const error = connectionError(settings, Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' }));
    expect(error.code).toBe('connection');
    expect(error.message).toBe('cannot connect to PostgreSQL at 127.0.0.1:5999: connection refused');
  });

  it('names the user for bad credentials and the database when it is missing, never the password', () => {
    const credentials = connectionError(settings, Object.assign(new Error('password authentication failed for user "ana"'), { code: '28P01' }));
    expect(credentials.message).toBe('cannot connect to PostgreSQL at 127.0.0.1:5999 as user ana: password authentication failed');
    const database = connectionError(settings, Object.assign(new Error('database "shop" does not exist'), { code: '3D000' }));
    expect(database.message).toBe('cannot connect to PostgreSQL at 127.0.0.1:5999: database "shop" does not exist');
    const echoed = connectionError(settings, new Error('something about hunter2'));
    expect(echoed.message).not.toContain('hunter2');
  });

  it('reports a real refused connection in one sentence', async () => {
    const error = await rejection(openAdapter('postgres://ana:hunter2@127.0.0.1:5999/shop'));
    expect(error.code).toBe('connection');
    expect(error.message).toBe('cannot connect to PostgreSQL at 127.0.0.1:5999: connection refused');
  });

  it.skipIf(!available)('reports a missing database and an unknown role from the real server', async () => {
    const url = new URL(POSTGRES_URL);
    url.pathname = '/sqlml_no_such_database';
    const database = await rejection(openAdapter(url.toString()));
    expect(database.code).toBe('connection');
    expect(database.message).toMatch(/: database "sqlml_no_such_database" does not exist$/);
    const role = new URL(POSTGRES_URL);
    role.username = 'sqlml_no_such_role';
    role.password = 'hunter2';
    const refused = await rejection(openAdapter(role.toString()));
    expect(refused.code).toBe('connection');
    expect(refused.message).toContain('as user sqlml_no_such_role');
    expect(refused.message).not.toContain('hunter2');
  });
});

describe('date and timestamp text', () => {
  it('parses ISO dates, BC dates and infinities to UTC milliseconds', () => {
    expect(parseDateText('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDateText('0050-01-01')).toBe(new Date('0050-01-01T00:00:00Z').getTime());
    expect(parseDateText('0001-01-01 BC')).toBe(new Date('0000-01-01T00:00:00Z').getTime());
    expect(parseDateText('infinity')).toBe(Infinity);
    expect(parseDateText('01/02/2024')).toBeNaN();
  });

  it('parses timestamps with fractions and offsets', () => {
    expect(parseTimestampText('2024-02-29 13:14:15.25')).toBe(Date.UTC(2024, 1, 29, 13, 14, 15, 250));
    expect(parseTimestampText('2024-02-29 13:14:15.000001+05:30')).toBe(Date.UTC(2024, 1, 29, 7, 44, 15) + 0.001);
    expect(parseTimestampText('1969-12-31 23:00:00-01')).toBe(0);
    expect(isoTimestamp('2024-02-29 13:14:15.123456')).toBe('2024-02-29T13:14:15.123456Z');
    expect(isoTimestamp('2024-02-29 13:14:15')).toBe('2024-02-29T13:14:15.000Z');
  });

  it('formats what it parses', () => {
    for (const ms of [0, Date.UTC(1969, 6, 20), Date.UTC(2024, 1, 29), new Date('-000043-03-15T00:00:00Z').getTime()]) {
      expect(parseDateText(formatDate(ms))).toBe(ms);
    }
    expect(formatDate(new Date('-000043-03-15T00:00:00Z').getTime())).toBe('0044-03-15 BC');
    expect(formatTimestamp(Date.UTC(2024, 1, 29, 13, 14, 15, 250) + 0.5)).toBe('2024-02-29 13:14:15.250500+00');
    for (const ms of [-1, 1.001, Date.UTC(1900, 0, 1, 0, 0, 0, 1)]) expect(parseTimestampText(formatTimestamp(ms))).toBeCloseTo(ms, 6);
  });

  it('escapes COPY text: backslash, tab, newline, carriage return', () => {
    expect(escapeCopyText('plain')).toBe('plain');
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
  });
});
