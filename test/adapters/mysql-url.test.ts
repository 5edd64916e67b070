import { describe, expect, it } from 'vitest';
import { connectionError, parseMySQLUrl, redactMySQLUrl } from '../../adapters/mysql/mysql-url.js';
import { errorOf } from '../helpers/errors.js';

describe('parseMySQLUrl', () => {
  it('reads user, password, host, port and database, decoding escapes', () => {
    expect(parseMySQLUrl('mysql://ana:p%40ss%2Fw@db.example.com:3307/shop%20data')).toEqual({
      host: 'db.example.com', port: 3307, user: 'ana', password: 'p@ss/w', database: 'shop data', ssl: false, bulkWrite: 'auto',
    });
  });

  it('defaults the port to 3306 and the user to root, and reads an IPv6 host', () => {
    expect(parseMySQLUrl('mysql://[::1]/db')).toMatchObject({ host: '::1', port: 3306, user: 'root', password: '' });
  });

  it('reads ssl and bulk_write options', () => {
    expect(parseMySQLUrl('mysql://u@h/db?ssl=true').ssl).toBe(true);
    expect(parseMySQLUrl('mysql://u@h/db?ssl=false').ssl).toBe(false);
    expect(parseMySQLUrl('mysql://u@h/db?bulk_write=insert').bulkWrite).toBe('insert');
  });

  it('reads sql_mode as mode names, and refuses anything else', () => {
    expect(parseMySQLUrl('mysql://u@h/db?sql_mode=no_backslash_escapes,ANSI_QUOTES').sqlMode).toBe('NO_BACKSLASH_ESCAPES,ANSI_QUOTES');
    expect(parseMySQLUrl('mysql://u@h/db?sql_mode=').sqlMode).toBe('');
    expect(parseMySQLUrl('mysql://u@h/db').sqlMode).toBeUndefined();
    expect(errorOf(() => parseMySQLUrl("mysql://u@h/db?sql_mode=A';DROP")).message).toMatch(/sql_mode=A';DROP is not understood/);
  });

  it('refuses a URL without a database, naming the URL without its password', () => {
    const error = errorOf(() => parseMySQLUrl('mysql://u:secret@h:3306/'));
    expect(error.code).toBe('bad_url');
    expect(error.message).toContain('mysql://u:***@h:3306/');
    expect(error.message).not.toContain('secret');
  });

  it('refuses unknown options and values, naming them', () => {
    expect(errorOf(() => parseMySQLUrl('mysql://u@h/db?sslmode=require')).message).toMatch(/"sslmode" is not known/);
    expect(errorOf(() => parseMySQLUrl('mysql://u@h/db?ssl=maybe')).message).toMatch(/ssl=maybe/);
    expect(errorOf(() => parseMySQLUrl('mysql://u@h/db?bulk_write=copy')).message).toMatch(/bulk_write=copy/);
  });
});

describe('connectionError', () => {
  const settings = parseMySQLUrl('mysql://ana:hunter2@db:3306/shop');

  it('names the user for bad credentials, the database when it is missing, the address when unreachable', () => {
    expect(connectionError(settings, Object.assign(new Error('Access denied'), { code: 'ER_ACCESS_DENIED_ERROR' })).message).toBe(
      'the MySQL server at db:3306 refused user "ana": wrong user name or password',
    );
    expect(connectionError(settings, Object.assign(new Error('Unknown database'), { code: 'ER_BAD_DB_ERROR' })).message).toBe(
      'database "shop" does not exist on the MySQL server at db:3306',
    );
    const unreachable = connectionError(settings, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(unreachable.code).toBe('connection');
    expect(unreachable.message).toMatch(/^cannot reach the MySQL server at db:3306 \(ECONNREFUSED\)/);
  });

  it('never repeats the password, even when the driver quotes it', () => {
    const error = connectionError(settings, new Error('weird failure with hunter2 inside'));
    expect(error.message).not.toContain('hunter2');
  });

  it('redacts the password of a URL', () => {
    expect(redactMySQLUrl('mysql://ana:hunter2@db/shop')).toBe('mysql://ana:***@db/shop');
  });
});
