/**
 * Hostile and broken clients against `sqlml serve --pg`, a real process on each
 * database: lengths that lie (negative, -1, huge) before and after login, messages cut
 * off then silence, clients that never log in, hundreds of idle connections. Each costs
 * only its own connection (FATAL with PostgreSQL's SQLSTATE, then closed), the server's
 * memory does not grow with what a client announces, a good client beside a bad one
 * keeps working, and the server is alive at the end and stops cleanly. On DuckDB, whose
 * sessions share one connection, a session's cancel or hang-up stops only its own statement.
 */
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverTargets } from '../helpers/servers.js';
import { RawClient, errorFieldsOf, loginFor, rawMessage, rawStartupHeader, startWireServer, type Login, type ServerMessage, type WireServer, sendCancel } from '../helpers/wire.js';

const AUTH_TIMEOUT_S = 3;

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((t) => t.label === 'postgres' || t.label === 'mysql')];

/** The one FATAL the server ended a connection with. */
function fatal(messages: readonly ServerMessage[]): Record<string, string> {
  const errors = messages.filter((m) => m.type === 'E').map((m) => errorFieldsOf(m.body));
  expect(errors).toHaveLength(1);
  expect(errors[0]!.S).toBe('FATAL');
  return errors[0]!;
}

describe.each(TARGETS)('serve --pg on $label survives any client', ({ url }) => {
  let server: WireServer;
  let login: Login;
  /** A well-behaved client connected before the bad ones, used throughout. */
  let good: pg.Client;

  const goodClient = (): pg.Client => new pg.Client({ host: '127.0.0.1', port: server.port, user: login.user, password: login.password ?? '', database: login.database });

  /** The good client still gets a plain answer and a sqlml one. */
  async function goodClientWorks(): Promise<void> {
    expect((await good.query('SELECT 40 + 2 AS n')).rows.map((r: { n: number | string }) => Number(r.n))).toEqual([42]);
    expect((await good.query('SHOW MODELS')).command).toBe('SELECT');
  }

  async function loggedIn(): Promise<RawClient> {
    const raw = new RawClient(server.port);
    await raw.connected;
    await raw.login(login);
    return raw;
  }

  beforeAll(async () => {
    login = loginFor(url);
    server = await startWireServer(url, ['--auth-timeout', String(AUTH_TIMEOUT_S)]);
    good = goodClient();
    await good.connect();
  }, 60_000);

  afterAll(async () => {
    await good?.end().catch(() => undefined);
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it('a Query with a negative length: FATAL 08P01 to that client, the others go on', async () => {
    for (const length of [-5, -(2 ** 31)]) {
      const raw = await loggedIn();
      raw.send(rawMessage('Q', length, Buffer.from('SELECT 1\0')));
      const error = fatal(await raw.whenClosed());
      expect(error.C).toBe('08P01');
      expect(error.M).toBe(`invalid message length ${length} for message type "Q"`);
    }
    await goodClientWorks();
  });

  it('a Query with length -1 (the spin that grew to GBs): refused at once, memory flat', async () => {
    const before = server.rss();
    const raw = await loggedIn();
    const started = performance.now();
    raw.send(rawMessage('Q', -1), Buffer.from('SELECT 1\0'));
    const error = fatal(await raw.whenClosed());
    expect(error.C).toBe('08P01');
    expect(error.M).toBe('invalid message length -1 for message type "Q"');
    expect(performance.now() - started).toBeLessThan(2_000);
    await goodClientWorks();
    expect(server.rss() - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('lengths under 4 and unknown message types after login: FATAL 08P01', async () => {
    const short = await loggedIn();
    short.send(rawMessage('S', 2));
    expect(fatal(await short.whenClosed())).toMatchObject({ C: '08P01', M: 'invalid message length 2 for message type "S"' });
    const unknown = await loggedIn();
    unknown.send(rawMessage(0x01, 4));
    expect(fatal(await unknown.whenClosed())).toMatchObject({ C: '08P01', M: 'invalid frontend message type 1' });
    const lying = await loggedIn();
    // A Bind whose parameter count runs past its end.
    lying.send(rawMessage('B', 4 + 6, Buffer.from([0, 0, 0, 0, 0x7f, 0x7f])), serialize.sync());
    expect(fatal(await lying.whenClosed())).toMatchObject({ C: '08P01' });
    await goodClientWorks();
  });

  it('a huge announced length before login: refused at the header, nothing buffered, RSS flat', async () => {
    const before = server.rss();
    const junk = Buffer.alloc(4 * 1024 * 1024, 0x41);
    const clients = Array.from({ length: 20 }, () => new RawClient(server.port));
    for (const raw of clients) {
      await raw.connected;
      raw.frame();
      raw.send(rawStartupHeader(2 ** 31 - 1), junk);
    }
    for (const raw of clients) expect(fatal(await raw.whenClosed())).toMatchObject({ C: '08P01', M: 'invalid length of startup packet' });
    // Before: the 80 MB sent here were buffered and kept (1 GB announced each).
    expect(server.rss() - before).toBeLessThan(32 * 1024 * 1024);
    await goodClientWorks();
  });

  it('a huge announced length after login (2 GB, and just over the 16 MiB cap): refused, RSS flat', async () => {
    const before = server.rss();
    for (const length of [2 ** 31 - 1, 16 * 1024 * 1024]) {
      const raw = await loggedIn();
      raw.send(rawMessage('Q', length), Buffer.alloc(8 * 1024 * 1024, 0x20));
      const error = fatal(await raw.whenClosed());
      expect(error.C).toBe('08P01');
      expect(error.M).toContain('more than the 16777216 sqlml accepts');
    }
    const sync = await loggedIn();
    sync.send(rawMessage('S', 10_000));
    expect(fatal(await sync.whenClosed()).M).toContain('more than the 10000 sqlml accepts');
    expect(server.rss() - before).toBeLessThan(48 * 1024 * 1024);
    await goodClientWorks();
  });

  it('a cut-off message then silence: before login it times out with FATAL 57014; after login only that client waits', async () => {
    const beforeLogin = new RawClient(server.port);
    await beforeLogin.connected;
    beforeLogin.frame();
    const startup = serialize.startup({ user: login.user, database: login.database });
    const started = performance.now();
    beforeLogin.send(startup.subarray(0, 10));
    const error = fatal(await beforeLogin.whenClosed(AUTH_TIMEOUT_S * 1000 + 5_000));
    expect(error).toMatchObject({ C: '57014', M: 'canceling authentication due to timeout' });
    expect(performance.now() - started).toBeGreaterThan(AUTH_TIMEOUT_S * 1000 - 500);

    // After login a half-sent statement is the client's own business, as on PostgreSQL:
    // everyone else goes on, and the rest of it, when it comes, is answered.
    const afterLogin = await loggedIn();
    const query = serialize.query('SELECT 7 AS seven');
    afterLogin.send(query.subarray(0, 9));
    await goodClientWorks();
    expect(afterLogin.isClosed).toBe(false);
    afterLogin.send(query.subarray(9), serialize.query('SELECT 8 AS eight'));
    const answers: ServerMessage[] = [];
    await afterLogin.until(() => {
      answers.push(...afterLogin.take());
      return answers.filter((m) => m.type === 'Z').length === 2;
    });
    expect(answers.filter((m) => m.type === 'D').map((m) => m.body.subarray(6).toString())).toEqual(['7', '8']);
    afterLogin.destroy();
  }, 30_000);

  it('a client that connects and says nothing (or only SSLRequest) is cut off after the authentication timeout', async () => {
    const silent = new RawClient(server.port);
    const ssl = new RawClient(server.port);
    await Promise.all([silent.connected, ssl.connected]);
    ssl.send(serialize.requestSsl());
    expect(await ssl.byte()).toBe('N');
    silent.frame();
    ssl.frame();
    for (const raw of [silent, ssl]) expect(fatal(await raw.whenClosed(AUTH_TIMEOUT_S * 1000 + 5_000))).toMatchObject({ C: '57014' });
  }, 30_000);

  it('200 idle connections do not keep a working client out, and are all cut off', async () => {
    const idle = Array.from({ length: 200 }, () => new RawClient(server.port));
    await Promise.all(idle.map((raw) => raw.connected));
    for (const raw of idle) raw.frame();
    const started = performance.now();
    const fresh = goodClient();
    await fresh.connect();
    expect((await fresh.query('SELECT 1 AS one')).rows.map((r: { one: number | string }) => Number(r.one))).toEqual([1]);
    await fresh.end();
    // All of that happened while the idle ones were still connected.
    expect(performance.now() - started).toBeLessThan(AUTH_TIMEOUT_S * 1000);
    expect(idle.filter((raw) => raw.isClosed)).toHaveLength(0);
    const endings = await Promise.all(idle.map((raw) => raw.whenClosed(AUTH_TIMEOUT_S * 1000 + 10_000)));
    for (const messages of endings) expect(fatal(messages).C).toBe('57014');
  }, 30_000);

  it('one client sending garbage while another runs statements: every good statement answered', async () => {
    const garbage = (async () => {
      for (let i = 0; i < 20; i++) {
        const raw = await loggedIn();
        raw.send(rawMessage('Q', -1 - i), Buffer.alloc(1024, i));
        await raw.whenClosed();
      }
    })();
    const answers: number[] = [];
    for (let i = 0; i < 40; i++) answers.push(Number((await good.query('SELECT $1 AS n', [i])).rows[0].n));
    await garbage;
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => i));
    await goodClientWorks();
  }, 30_000);

  it('the server is alive at the end, wrote no stack trace, and stops cleanly on SIGTERM', async () => {
    expect(server.child.exitCode).toBeNull();
    await goodClientWorks();
    await good.end();
    expect(server.stderr()).not.toMatch(/\n\s+at /);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 30_000);
});


/** A plain SELECT that keeps DuckDB busy for a while (`side`² pairs), and its count worked out here. */
function slowCount(side: number): { sql: string; count: number } {
  let count = 0;
  // Pairs (a, b) with (7a + b) % 13 = 0: for each a, the b below `side` in one residue class.
  for (let a = 0; a < side; a++) {
    const residue = (13 - ((7 * a) % 13)) % 13;
    count += residue < side ? Math.floor((side - 1 - residue) / 13) + 1 : 0;
  }
  return { sql: `SELECT count(*) AS n FROM range(${side}) a, range(${side}) b WHERE (a.range * 7 + b.range) % 13 = 0`, count };
}

/**
 * The other sessions' statements must queue behind A's, so A must have reached the server
 * and taken the shared connection first. Nothing outside the server can see that (every
 * other session's question would queue too), so the test gives A's query a moment: A runs
 * for seconds, far longer than this.
 */
function holdingTheConnection(): Promise<void> {
  return new Promise((done) => setTimeout(done, 300));
}

describe('serve --pg on DuckDB: sessions share one connection, and each cancel or hang-up stops only its own statement', () => {
  let server: WireServer;
  const login = loginFor('duckdb::memory:');
  const open = async (): Promise<pg.Client> => {
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: login.user, password: '', database: login.database });
    await client.connect();
    return client;
  };
  const counted = (result: pg.QueryResult): number[] => result.rows.map((row: Record<string, unknown>) => Number(Object.values(row)[0]));
  /** The outcome of a query: its rows, or the SQLSTATE it failed with. */
  const settle = (query: Promise<pg.QueryResult>): Promise<{ rows: number[] } | { code: string }> =>
    query.then(
      (result) => ({ rows: counted(result) }),
      (error: { code?: string; message?: string }) => ({ code: error.code ?? `no code: ${error.message}` }),
    );

  beforeAll(async () => {
    server = await startWireServer('duckdb::memory:');
  }, 60_000);

  afterAll(() => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it('while A runs a long query, other sessions connect, hang up mid-statement, cancel their own queued statement, or run one: A completes with its full result', async () => {
    // Long enough (about 1e9 pairs, a second or more) for the other sessions to queue behind it.
    const slow = slowCount(30_000);
    const a = await open();
    const others: pg.Client[] = [];
    try {
      const running = settle(a.query(slow.sql));
      await holdingTheConnection();
      // B1 sends a statement (it waits for the shared connection A holds), then its connection drops.
      const b1 = await open();
      b1.on('error', () => undefined); // its own connection dropping is what this client is for
      const dropped = settle(b1.query('SELECT 1 AS one'));
      (b1 as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      // B2 cancels its own statement while it waits.
      const b2 = await open();
      others.push(b2);
      const cancelled = settle(b2.query('SELECT 2 AS two'));
      await sendCancel(server.port, b2);
      // B3 runs one and gets its answer once A is done.
      const b3 = await open();
      others.push(b3);
      const answered = settle(b3.query('SELECT 3 AS three'));

      expect(await running).toEqual({ rows: [slow.count] });
      expect(await cancelled).toEqual({ code: '57014' });
      expect(await answered).toEqual({ rows: [3] });
      expect(await dropped).not.toHaveProperty('rows');
      // Both sessions that stayed are usable afterwards.
      expect(counted(await a.query('SELECT 4 AS four'))).toEqual([4]);
      expect(counted(await b2.query('SELECT 5 AS five'))).toEqual([5]);
    } finally {
      await a.end().catch(() => undefined);
      for (const client of others) await client.end().catch(() => undefined);
    }
  }, 30_000);

  it("a CancelRequest with A's key cancels A's statement (57014) and not B's, which completes in full; C's cancel stops C's waiting statement at once", async () => {
    // 1.6e11 pairs: minutes, so A is surely still running when its cancel arrives.
    const long = slowCount(400_000);
    const slow = slowCount(3000);
    const a = await open();
    const b = await open();
    const c = await open();
    try {
      const started = performance.now();
      let aSettled = false;
      const aRuns = settle(a.query(long.sql)).finally(() => (aSettled = true));
      await holdingTheConnection();
      const bRuns = settle(b.query(slow.sql));
      // C's statement waits behind A's; its cancel answers it now, while A goes on.
      const cRuns = settle(c.query('SELECT 7 AS seven'));
      await sendCancel(server.port, c);
      expect(await cRuns).toEqual({ code: '57014' });
      expect(aSettled).toBe(false);
      await sendCancel(server.port, a);
      expect(await aRuns).toEqual({ code: '57014' });
      expect(await bRuns).toEqual({ rows: [slow.count] });
      // A was stopped, not finished.
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(counted(await a.query('SELECT 6 AS six'))).toEqual([6]);
      expect(counted(await c.query('SELECT 8 AS eight'))).toEqual([8]);
    } finally {
      for (const client of [a, b, c]) await client.end().catch(() => undefined);
    }
  }, 30_000);

  it('the server is alive and wrote no stack trace', async () => {
    expect(server.child.exitCode).toBeNull();
    expect(server.stderr()).not.toMatch(/\n\s+at /);
  });
});
