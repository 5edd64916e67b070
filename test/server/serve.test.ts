/** `sqlml serve`'s listen addresses: loopback unless a host is named, and one clear error for a bad value. */
import { describe, expect, it } from 'vitest';
import { checkExposure, parseListenAddress } from '../../src/server/serve.js';
import { sqlml } from '../helpers/cli.js';

describe('listen addresses', () => {
  it('binds a bare port to loopback and keeps a named host', () => {
    expect(parseListenAddress('8080', '--http')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListenAddress(':5433', '--pg')).toEqual({ host: '127.0.0.1', port: 5433 });
    expect(parseListenAddress('0.0.0.0:80', '--http')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListenAddress('[::1]:5433', '--pg')).toEqual({ host: '::1', port: 5433 });
  });

  it('names the option and the value at fault', () => {
    expect(() => parseListenAddress('localhost:http', '--http')).toThrow("--http 'localhost:http' is not HOST:PORT");
    expect(() => parseListenAddress('70000', '--pg')).toThrow("--pg '70000' is not HOST:PORT");
  });

  it('needs a token for HTTP anywhere but loopback, before opening anything', async () => {
    const exposed = await sqlml(['--db', 'duckdb::memory:', 'serve', '--http', '0.0.0.0:0', '--no-scheduler'], { env: { SQLML_TOKEN: '' } });
    expect(exposed.code).toBe(2);
    expect(exposed.stderr).toContain('--http 0.0.0.0:0 is reachable from the network, so it needs --token (or SQLML_TOKEN)');
    expect(() => checkExposure({ host: '127.0.0.1', port: 1 }, { host: '::1', port: 2 }, undefined, false)).not.toThrow();
    expect(() => checkExposure({ host: '0.0.0.0', port: 1 }, { host: '0.0.0.0', port: 2 }, 's3cret', false)).not.toThrow();
  });

  it("lets the wire listener off loopback without a token only where the database's roles decide who logs in", async () => {
    const pgOnDuckdb = await sqlml(['--db', 'duckdb::memory:', 'serve', '--pg', '[::]:0', '--no-scheduler'], { env: { SQLML_TOKEN: '' } });
    expect(pgOnDuckdb.code).toBe(1);
    expect(pgOnDuckdb.stderr).toBe(
      'error: --pg [::]:0 is reachable from the network, so it needs --token (or SQLML_TOKEN): this database has no roles for clients to log in as; without one, listen on 127.0.0.1\n',
    );
    expect(() => checkExposure(undefined, { host: '0.0.0.0', port: 1 }, undefined, true)).not.toThrow();
    expect(() => checkExposure(undefined, { host: '0.0.0.0', port: 1 }, undefined, false)).toThrow('this database has no roles');
  });

  it('exits 2 for a bad --http, before opening anything', async () => {
    const run = await sqlml(['--db', 'duckdb::memory:', 'serve', '--http', 'nowhere']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--http 'nowhere' is not HOST:PORT");
  });

});
