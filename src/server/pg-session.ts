/**
 * One client connection to the wire-protocol face. Startup: its bytes framed by
 * pg-frontend.ts, which trusts no length; login with the token, or without one as the
 * client's own database role (auth passthrough: the database decides), within the
 * authentication timeout. Then the routing rule of the whole gateway: sqlml statements
 * run in sqlml and come back as ordinary result sets; everything else goes to the
 * database. On PostgreSQL "everything else" is forwarded verbatim to this session's own
 * upstream connection; elsewhere it runs through the engine's adapter and is encoded here.
 *
 * Extended protocol: messages are routed per batch (up to Sync or Flush). A batch that
 * concerns only database statements is forwarded as is; one that concerns only sqlml
 * statements (tracked by prepared-statement and portal name) is answered here; a batch
 * that mixes both is refused with one error, as PostgreSQL does for any error in a
 * batch (the rest is skipped until Sync).
 */
import type { UpstreamServer } from '../../adapters/dialect.js';
import type { ResultLimit } from '../../adapters/result-budget.js';
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { hashMd5Password } from 'pg-gateway';
import type { ResultTable } from '../data.js';
import type { Engine } from '../engine/engine.js';
import { isSqlmlStatement, SCRIPT_START, type ScriptPart } from '../sql/index.js';
import { checkFormats, commandTag, dataRow, errorFields, formatsFor, resultMessages, rowDescription } from './pg-encode.js';
import { binaryParameterText, bindLiterals, parameterCount } from './pg-literals.js';
import {
  CANCEL_REQUEST_CODE,
  GSSENC_REQUEST_CODE,
  SSL_REQUEST_CODE,
  ProtocolViolation,
  authenticationCleartextPassword,
  authenticationMd5,
  authenticationOk,
  backendKeyData,
  commandComplete,
  negotiateProtocolVersion,
  emptyMessage,
  errorResponse,
  parameterDescription,
  parameterStatus,
  readBind,
  readCancelRequest,
  readExecute,
  readParse,
  readQuery,
  readTarget,
  readyForQuery,
  startupCode,
  type ErrorFields,
} from './pg-messages.js';
import { FrontendFramer, readStartupMessage } from './pg-frontend.js';
import { answerCatalogQuery } from './pg-catalog.js';
import { Upstream, UpstreamStartupError } from './pg-upstream.js';

/** What the gateway shares with its sessions. */
export interface SessionHost {
  readonly engine: Engine;
  readonly token: string | undefined;
  readonly upstreamUrl: string | undefined;
  /** Set when clients log in as their own database roles (no token, a server database). */
  readonly passthroughUrl: string | undefined;
  /**
   * Opens an engine that acts as the client's own role (auth passthrough), for the sqlml
   * statements of a session whose upstream connection was opened with its credentials.
   */
  openClientEngine(login: ClientLogin): Promise<Engine>;
  /** How long a client has from connecting to being logged in (PostgreSQL's authentication_timeout). */
  readonly authenticationTimeoutMs: number;
  readonly resultLimit: ResultLimit;
  /** A CancelRequest arrived on this (new) connection. */
  cancel(processId: number, secretKey: number): void;
  opened(session: PgSession): void;
  closed(session: PgSession): void;
}

/** The role, password and database a client logged in with (auth passthrough). */
export interface ClientLogin {
  readonly user: string;
  /** Undefined when the database let the role in without one (trust). */
  readonly password: string | undefined;
  readonly database: string;
}

/** What a session reports about itself when it has no upstream server to quote. */
const LOCAL_PARAMETERS: readonly (readonly [string, string])[] = [
  ['server_version', '15.0 (sqlml)'],
  ['server_encoding', 'UTF8'],
  ['client_encoding', 'UTF8'],
  ['DateStyle', 'ISO, MDY'],
  ['TimeZone', 'UTC'],
  ['IntervalStyle', 'postgres'],
  ['integer_datetimes', 'on'],
  ['standard_conforming_strings', 'on'],
  ['is_superuser', 'off'],
];

/** How long a closing server waits for a session's forwarded statement to finish. */
const SHUTDOWN_GRACE_MS = 10_000;
/** Database messages of one extended-protocol batch held before they are forwarded unasked. */
const MAX_PENDING_BYTES = 1024 * 1024;
/** How long a closed session waits for its client to close the connection too. */
const CLOSE_GRACE_MS = 2_000;

type Route = 'sqlml' | 'database';

interface LocalStatement {
  readonly query: string;
  /** Null for an empty query string. */
  readonly part: ScriptPart | null;
  readonly sqlml: boolean;
  readonly parameterTypes: readonly number[];
  readonly parameterCount: number;
}

interface LocalPortal {
  readonly statement: LocalStatement;
  /** The text to run: the statement's, with bound parameters as literals for database statements. */
  readonly part: ScriptPart | null;
  readonly resultFormats: readonly number[];
  result: ResultTable | null;
  rowsSent: number;
}

interface Batch {
  route: Route | null;
  /** Database messages not yet forwarded (until Flush or Sync). */
  pending: Buffer[];
  pendingBytes: number;
  /** Some of this batch went to the server already (at a Flush). */
  forwarded: boolean;
  /** An error was sent: skip everything until Sync. */
  failed: boolean;
}

export class PgSession {
  readonly processId = randomInt(1, 2 ** 31 - 1);
  readonly secretKey = randomInt(1, 2 ** 31 - 1);
  readonly #host: SessionHost;
  readonly #socket: Socket;
  #user = '';
  #parameters: Record<string, string> = {};
  #salt: Uint8Array | null = null;
  /** The StartupMessage was read: typed messages follow. */
  #started = false;
  /** Authenticated and answered ReadyForQuery: statements may come. */
  #ready = false;
  readonly #loginTimer: NodeJS.Timeout;
  /** Auth passthrough: the client's password, once the database asked for it. */
  #password: string | undefined;
  /** The password request sent to the client, waiting for its answer. */
  #passwordRequest: { resolve(password: string): void; reject(error: Error): void } | null = null;
  /** Auth passthrough: the engine acting as the client's role, opened at its first sqlml statement. */
  #clientEngine: Promise<Engine> | null = null;
  #upstream: Upstream | null = null;
  /** Where prepared statements and portals live: sqlml's here, the database's upstream. */
  readonly #statementRoutes = new Map<string, Route>();
  readonly #portalRoutes = new Map<string, Route>();
  readonly #statements = new Map<string, LocalStatement>();
  readonly #portals = new Map<string, LocalPortal>();
  #batch: Batch = { route: null, pending: [], pendingBytes: 0, forwarded: false, failed: false };
  /** The sqlml statement running now, for CancelRequest. */
  #running: AbortController | null = null;
  /** The message being handled, for a graceful close. */
  #work: Promise<void> = Promise.resolve();
  #closing = false;
  #ended = false;
  readonly #framer = new FrontendFramer();
  readonly #queue: Buffer[] = [];
  #draining = false;

  constructor(host: SessionHost, socket: Socket) {
    this.#host = host;
    this.#socket = socket;
    this.#socket.setNoDelay(true);
    this.#socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    this.#socket.on('error', () => this.#end());
    this.#socket.on('close', () => this.#end());
    // PostgreSQL's authentication_timeout: a client that does not finish logging in
    // within it is cut off, so silent or dribbling connections cannot pile up.
    this.#loginTimer = setTimeout(() => this.#fatal({ severity: 'FATAL', code: '57014', message: 'canceling authentication due to timeout' }), host.authenticationTimeoutMs);
    this.#loginTimer.unref();
    host.opened(this);
  }

  /** Messages are handled one at a time, in order; the socket is paused while they are. */
  #receive(chunk: Buffer): void {
    if (this.#ended) return;
    try {
      for (const message of this.#framer.push(chunk)) this.#queue.push(message);
    } catch (error) {
      // The framer refuses before buffering: nothing of this connection is read further.
      this.#fatal({ severity: 'FATAL', code: '08P01', message: error instanceof Error ? error.message : String(error) });
      return;
    }
    if (this.#passwordRequest && this.#queue.length > 0) this.#answerPasswordRequest(this.#queue.shift()!);
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    this.#socket.pause();
    while (this.#queue.length > 0 && !this.#ended) {
      this.#work = this.#handleSafely(this.#queue.shift()!);
      await this.#work;
      // A client that does not read its answers must not make the server hold them.
      if (this.#socket.writableNeedDrain && !this.#ended) await this.#drained();
    }
    this.#draining = false;
    if (!this.#ended) this.#socket.resume();
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#socket.destroyed) return resolve();
      const done = (): void => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  // ---- startup and authentication ---------------------------------------------------

  /** An untyped packet: SSLRequest, GSSENCRequest, CancelRequest or the StartupMessage. */
  async #startupPacket(packet: Buffer): Promise<void> {
    const code = startupCode(packet);
    if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
      // No TLS or GSS encryption here: 'N', and the client goes on in the clear (or gives up).
      this.#socket.write('N');
      return;
    }
    if (code === CANCEL_REQUEST_CODE) {
      if (packet.length !== 16) throw new ProtocolViolation('invalid length of cancel request packet');
      const { processId, secretKey } = readCancelRequest(packet);
      this.#host.cancel(processId, secretKey);
      return this.#end();
    }
    const startup = readStartupMessage(packet);
    if (startup.majorVersion !== 3) {
      return this.#fatal({
        severity: 'FATAL',
        code: '0A000',
        message: `unsupported frontend protocol ${startup.majorVersion}.${startup.minorVersion}: server supports 3.0 to 3.0`,
      });
    }
    const user = startup.parameters.user;
    if (!user) return this.#fatal({ severity: 'FATAL', code: '28000', message: 'no PostgreSQL user name specified in startup packet' });
    const options = Object.keys(startup.parameters).filter((name) => name.startsWith('_pq_.'));
    if (startup.minorVersion > 0 || options.length > 0) this.#write(negotiateProtocolVersion(0, options));
    this.#started = true;
    this.#parameters = Object.fromEntries(Object.entries(startup.parameters).filter(([name]) => !name.startsWith('_pq_.')));
    this.#user = user;
    if (this.#host.token !== undefined) {
      this.#salt = randomBytes(4);
      this.#write(authenticationMd5(this.#salt));
    } else {
      await this.#completeStartup();
    }
  }

  /** Auth passthrough: the client logs in as its own role; sqlml has no say in who gets in. */
  get #passthrough(): boolean {
    return this.#host.passthroughUrl !== undefined;
  }

  /**
   * Asks the client for its password, in clear: the database wants one, and sqlml needs
   * it as such to open the upstream session (whatever method the database asks with)
   * and, for sqlml statements, a connection of the client's own.
   */
  #askPassword(): Promise<string> {
    if (this.#password !== undefined) return Promise.resolve(this.#password);
    this.#write(authenticationCleartextPassword());
    return new Promise((resolve, reject) => {
      this.#passwordRequest = {
        resolve: (password) => {
          this.#password = password;
          resolve(password);
        },
        reject,
      };
      // The drain loop is inside the startup and waits for it: the answer is taken as it comes.
      if (this.#queue.length > 0) this.#answerPasswordRequest(this.#queue.shift()!);
      else this.#socket.resume();
    });
  }

  #answerPasswordRequest(message: Buffer): void {
    const request = this.#passwordRequest!;
    this.#passwordRequest = null;
    this.#socket.pause();
    try {
      if (message[0] !== 0x70 /* p */) throw new ProtocolViolation(`expected password response, got message type ${message[0]}`);
      request.resolve(readQuery(message));
    } catch (error) {
      request.reject(error as Error);
    }
  }

  async #checkPassword(message: Buffer): Promise<void> {
    if (message[0] !== 0x70 /* p */ || this.#salt === null) {
      return this.#fatal({ severity: 'FATAL', code: '08P01', message: 'expected a password message' });
    }
    const given = Buffer.from(readQuery(message));
    const expected = Buffer.from(await hashMd5Password(this.#user, this.#host.token!, this.#salt));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return this.#fatal({ severity: 'FATAL', code: '28P01', message: `password authentication failed for user "${this.#user}"` });
    }
    await this.#completeStartup();
  }

  async #completeStartup(): Promise<void> {
    let parameters = LOCAL_PARAMETERS;
    if (this.#host.upstreamUrl) {
      try {
        const login = this.#passthrough ? { user: this.#user, database: this.#database, password: () => this.#askPassword() } : undefined;
        this.#upstream = await Upstream.connect({ server: upstreamServer(this.#host, this.#host.upstreamUrl), clientParameters: this.#parameters, ...(login ? { login } : {}) });
      } catch (error) {
        if (error instanceof ProtocolViolation) throw error;
        const fields: ErrorFields = error instanceof UpstreamStartupError ? { ...error.fields, severity: 'FATAL' } : { severity: 'FATAL', code: '08006', message: error instanceof Error ? error.message : String(error) };
        return this.#fatal(fields);
      }
      if (this.#ended) return this.#upstream.close();
      this.#upstream.attach(
        (messages) => this.#relay(messages),
        // A server that ended the session said why (57P01 after pg_terminate_backend...), and the client has it.
        (error, fatalRelayed) => (fatalRelayed ? this.#end(false) : this.#fatal({ severity: 'FATAL', code: '08006', message: `the connection to the database was lost: ${error.message}` })),
      );
      parameters = this.#upstream.parameters;
    } else if (this.#passthrough) {
      // No upstream to ask for us (MySQL): the client's password, then its own connection, now.
      try {
        await this.#askPassword();
        await this.#executionEngine();
      } catch (error) {
        if (error instanceof ProtocolViolation) throw error;
        return this.#fatal(loginRefusal(error, this.#user));
      }
      if (this.#ended) return;
    }
    const messages = [authenticationOk(), ...parameters.map(([name, value]) => parameterStatus(name, value))];
    if (!this.#upstream && this.#parameters.application_name !== undefined) messages.push(parameterStatus('application_name', this.#parameters.application_name));
    messages.push(backendKeyData(this.processId, this.secretKey), readyForQuery(this.#upstream?.status ?? 'I'));
    this.#write(...messages);
    this.#ready = true;
    clearTimeout(this.#loginTimer);
  }

  // ---- message dispatch -------------------------------------------------------------

  async #handleSafely(message: Buffer): Promise<void> {
    try {
      if (this.#ended) return;
      if (!this.#started) return await this.#startupPacket(message);
      if (!this.#ready) return await this.#checkPassword(message);
      if (this.#closing) return this.#fatal(terminating());
      await this.#handle(message);
    } catch (error) {
      if (error instanceof ProtocolViolation) return this.#fatal({ severity: 'FATAL', code: '08P01', message: error.message });
      this.#fatal({ severity: 'FATAL', code: 'XX000', message: `internal error: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  async #handle(message: Buffer): Promise<void> {
    const type = String.fromCharCode(message[0]!);
    switch (type) {
      case 'Q':
        return this.#query(message);
      case 'P':
      case 'B':
      case 'D':
      case 'E':
      case 'C':
        return this.#extended(message);
      case 'S':
        return this.#sync(message);
      case 'H':
        return this.#flush(message);
      case 'X':
        return this.#end();
      case 'd': // CopyData, CopyDone, CopyFail: only ever part of a forwarded COPY
      case 'c':
      case 'f':
        this.#upstream?.send(message, 0);
        return;
      case 'F':
        if (this.#upstream) return this.#upstream.send(message, 1);
        this.#write(errorResponse({ severity: 'ERROR', code: '0A000', message: 'function calls (FunctionCall messages) are not supported by sqlml on this database' }), readyForQuery('I'));
        return;
      default:
        throw new ProtocolViolation(`invalid frontend message type ${message[0]}`);
    }
  }

  // ---- simple query protocol ----------------------------------------------------------

  async #query(message: Buffer): Promise<void> {
    const text = readQuery(message);
    const engine = this.#host.engine;
    let parts: ScriptPart[];
    try {
      parts = engine.split(text);
    } catch (error) {
      // An unterminated quote or comment: the database has the final word on its own SQL.
      if (this.#upstream) return this.#upstream.send(message, 1);
      this.#write(errorResponse(errorFields(error, text)), readyForQuery('I'));
      return;
    }
    const sqlml = parts.map((part) => this.#isSqlml(part.text));
    const upstream = this.#upstream;
    if (upstream && !sqlml.includes(true)) return upstream.send(message, 1);
    if (parts.length === 0) {
      await upstream?.whenIdle();
      this.#write(emptyMessage('I'), readyForQuery(upstream?.status ?? 'I'));
      return;
    }
    await upstream?.whenIdle();
    // A failed statement does not stop the ones after it: each is reported on its own, as
    // psql does for a script with ON_ERROR_STOP off.
    for (const [i, part] of parts.entries()) {
      if (upstream && !sqlml[i]) await upstream.runWithinQuery(part.text);
      else this.#write(...(await this.#runHere(part, text, part.start.offset)));
    }
    this.#write(readyForQuery(upstream?.status ?? 'I'));
  }

  #isSqlml(text: string): boolean {
    return isSqlmlStatement(text, this.#host.engine.adapter.sql.lexical);
  }

  /** Runs one statement in sqlml; its result messages, or its ErrorResponse. */
  async #runHere(part: ScriptPart, clientText: string, partOffset: number): Promise<Buffer[]> {
    try {
      const result = await this.#execute(part);
      // Notices (a training's data alerts) go first, as a NoticeResponse each: SQLSTATE 01000, warning.
      const notices = (result.notices ?? []).map((message) => errorResponse({ severity: 'NOTICE', code: '01000', message }));
      return [...notices, ...resultMessages(result)];
    } catch (error) {
      return [errorResponse(this.#errorFields(error, part, clientText, partOffset))];
    }
  }

  #errorFields(error: unknown, part: ScriptPart, clientText: string, partOffset: number): ErrorFields {
    const sqlml = this.#isSqlml(part.text);
    const fields = errorFields(error, clientText, !sqlml);
    // A database's position counts from the statement it was given, not from the client's text.
    return !sqlml && fields.position !== undefined ? { ...fields, position: fields.position + partOffset } : fields;
  }

  /** The engine sqlml statements run in: the client's own role under auth passthrough. */
  #executionEngine(): Promise<Engine> {
    if (!this.#passthrough) return Promise.resolve(this.#host.engine);
    if (this.#clientEngine === null) {
      const opening = this.#host.openClientEngine({ user: this.#user, password: this.#password, database: this.#database });
      this.#clientEngine = opening;
      opening.catch(() => {
        if (this.#clientEngine === opening) this.#clientEngine = null;
      });
    }
    return this.#clientEngine;
  }

  get #database(): string {
    return this.#parameters.database || this.#user;
  }

  async #execute(part: ScriptPart): Promise<ResultTable> {
    const engine = await this.#executionEngine();
    const setting = this.#upstream ? null : protocolSetting(part.text);
    if (setting) {
      if (setting.report) this.#write(parameterStatus(...setting.report));
      return { command: 'SET', columns: [], rows: [] };
    }
    // psql's and JDBC's pg_catalog queries, answered from the database's own catalog (pg-catalog.ts).
    const catalog = this.#upstream ? null : await answerCatalogQuery(part.text, engine.adapter.introspect, { user: this.#user });
    if (catalog) return catalog;
    const controller = new AbortController();
    this.#running = controller;
    try {
      return await engine.execute(engine.parse(part), { signal: controller.signal, resultLimit: this.#host.resultLimit });
    } finally {
      if (this.#running === controller) this.#running = null;
    }
  }

  // ---- extended query protocol ----------------------------------------------------------

  /** Which side a Parse/Bind/Describe/Execute/Close message concerns (and records new names). */
  #route(message: Buffer): Route {
    if (!this.#upstream) return 'sqlml'; // no server to forward to: everything is answered here
    switch (message[0]) {
      case 0x50 /* P */: {
        const parse = readParse(message);
        const route: Route = this.#isSqlml(parse.query) ? 'sqlml' : 'database';
        this.#statementRoutes.set(parse.statement, route);
        return route;
      }
      case 0x42 /* B */: {
        const bind = readBind(message);
        const route = this.#statementRoutes.get(bind.statement) ?? 'database';
        this.#portalRoutes.set(bind.portal, route);
        return route;
      }
      case 0x45 /* E */:
        return this.#portalRoutes.get(readExecute(message).portal) ?? 'database';
      default: {
        const { target, name } = readTarget(message);
        return (target === 'S' ? this.#statementRoutes : this.#portalRoutes).get(name) ?? 'database';
      }
    }
  }

  async #extended(message: Buffer): Promise<void> {
    const batch = this.#batch;
    if (batch.failed) return;
    const route = this.#route(message);
    if (batch.route !== null && batch.route !== route) {
      batch.failed = true;
      batch.pending = [];
      batch.pendingBytes = 0;
      this.#write(
        errorResponse({
          severity: 'ERROR',
          code: '0A000',
          message: 'a sqlml statement and a database statement cannot share one extended-protocol batch: send a Sync between them',
        }),
      );
      return;
    }
    batch.route = route;
    if (route === 'database') {
      batch.pending.push(message);
      batch.pendingBytes += message.length;
      // A client that never sends Sync must not make the server hold its messages:
      // past a bound they go to the server now (which answers nothing before Flush or Sync).
      if (batch.pendingBytes > MAX_PENDING_BYTES && this.#upstream) {
        this.#upstream.send(Buffer.concat(batch.pending), 0);
        batch.pending = [];
        batch.pendingBytes = 0;
        batch.forwarded = true;
      }
      return;
    }
    await this.#upstream?.whenIdle();
    try {
      this.#write(...(await this.#answerHere(message)));
    } catch (error) {
      if (error instanceof ProtocolViolation) throw error;
      batch.failed = true;
      this.#write(errorResponse(error instanceof ExtendedError ? error.fields : errorFields(error)));
    }
  }

  async #sync(message: Buffer): Promise<void> {
    const batch = this.#batch;
    this.#batch = { route: null, pending: [], pendingBytes: 0, forwarded: false, failed: false };
    const upstream = this.#upstream;
    if (upstream && ((batch.route === 'database' && !batch.failed) || batch.forwarded || batch.route === null)) {
      // The server answers the Sync itself, with its own transaction status.
      upstream.send(batch.failed ? message : Buffer.concat([...batch.pending, message]), 1);
      return;
    }
    await upstream?.whenIdle();
    this.#write(readyForQuery(upstream?.status ?? 'I'));
  }

  #flush(message: Buffer): void {
    const batch = this.#batch;
    if (this.#upstream && batch.route === 'database' && !batch.failed) {
      this.#upstream.send(Buffer.concat([...batch.pending, message]), 0);
      batch.pending = [];
      batch.pendingBytes = 0;
      batch.forwarded = true;
    }
    // Local answers are written as they are made: nothing to flush.
  }

  /** Answers one extended-protocol message in sqlml. */
  async #answerHere(message: Buffer): Promise<Buffer[]> {
    switch (message[0]) {
      case 0x50 /* P */: {
        const parse = readParse(message);
        if (parse.statement !== '' && this.#statements.has(parse.statement)) {
          throw new ExtendedError('42P05', `prepared statement "${parse.statement}" already exists`);
        }
        let parts: ScriptPart[];
        try {
          parts = this.#host.engine.split(parse.query);
        } catch (error) {
          throw new ExtendedError(errorFields(error, parse.query));
        }
        if (parts.length > 1) throw new ExtendedError('42601', 'cannot insert multiple commands into a prepared statement');
        const part = parts[0] ?? null;
        const sqlml = part !== null && this.#isSqlml(part.text);
        this.#statements.set(parse.statement, {
          query: parse.query,
          part,
          sqlml,
          parameterTypes: parse.parameterTypes,
          parameterCount: part === null || sqlml ? 0 : parameterCount(part.text, this.#host.engine.adapter.sql),
        });
        return [emptyMessage('1')];
      }
      case 0x42 /* B */: {
        const bind = readBind(message);
        const statement = this.#statements.get(bind.statement);
        if (!statement) throw new ExtendedError('26000', `prepared statement "${bind.statement}" does not exist`);
        if (statement.sqlml && bind.parameters.length > 0) {
          throw new ExtendedError(
            '08P01',
            `sqlml statements take no parameters, but ${bind.parameters.length} ${bind.parameters.length === 1 ? 'was' : 'were'} bound to "${statement.part!.text.slice(0, 40)}"`,
          );
        }
        if (bind.parameters.length !== statement.parameterCount) {
          throw new ExtendedError('08P01', `bind message supplies ${bind.parameters.length} parameters, but prepared statement "${bind.statement}" requires ${statement.parameterCount}`);
        }
        if (bind.portal !== '' && this.#portals.has(bind.portal)) throw new ExtendedError('42P03', `cursor "${bind.portal}" already exists`);
        const values = bind.parameters.map((value, i) =>
          value === null ? null : bind.parameterFormats[i] === 1 ? binaryParameterText(value, statement.parameterTypes[i] ?? 0, i + 1) : value.toString('utf8'),
        );
        const part =
          statement.part === null || bind.parameters.length === 0
            ? statement.part
            : { text: bindLiterals(statement.part.text, this.#host.engine.adapter.sql, values, statement.parameterTypes), start: SCRIPT_START };
        this.#portals.set(bind.portal, { statement, part, resultFormats: bind.resultFormats, result: null, rowsSent: 0 });
        return [emptyMessage('2')];
      }
      case 0x44 /* D */: {
        const { target, name } = readTarget(message);
        if (target === 'S') {
          const statement = this.#statements.get(name);
          if (!statement) throw new ExtendedError('26000', `prepared statement "${name}" does not exist`);
          // Columns are known once a statement ran; before that, nothing is promised.
          const types = Array.from({ length: statement.parameterCount }, (_, i) => statement.parameterTypes[i] ?? 0);
          return [parameterDescription(types), emptyMessage('n')];
        }
        const portal = this.#portal(name);
        const result = await this.#runPortal(portal);
        if (result === null || result.columns.length === 0) return [emptyMessage('n')];
        const formats = formatsFor(result.columns.length, portal.resultFormats);
        checkFormats(result.columns, formats);
        return [rowDescription(result.columns, formats)];
      }
      case 0x45 /* E */: {
        const { portal: name, maxRows } = readExecute(message);
        const portal = this.#portal(name);
        const result = await this.#runPortal(portal);
        if (result === null) return [emptyMessage('I')];
        if (result.columns.length === 0) return [commandComplete(commandTag(result))];
        const formats = formatsFor(result.columns.length, portal.resultFormats);
        checkFormats(result.columns, formats);
        const end = maxRows > 0 ? Math.min(result.rows.length, portal.rowsSent + maxRows) : result.rows.length;
        const out: Buffer[] = [];
        for (let i = portal.rowsSent; i < end; i++) out.push(dataRow(result.rows[i]!, result.columns, formats));
        const sent = end - portal.rowsSent;
        portal.rowsSent = end;
        out.push(maxRows > 0 && end < result.rows.length ? emptyMessage('s') : commandComplete(commandTag(result, sent)));
        return out;
      }
      default: {
        const { target, name } = readTarget(message);
        if (target === 'S') {
          this.#statements.delete(name);
          this.#statementRoutes.delete(name);
        } else {
          this.#portals.delete(name);
          this.#portalRoutes.delete(name);
        }
        return [emptyMessage('3')];
      }
    }
  }

  #portal(name: string): LocalPortal {
    const portal = this.#portals.get(name);
    if (!portal) throw new ExtendedError('34000', `portal "${name}" does not exist`);
    return portal;
  }

  /** Runs a portal's statement once (at Describe or Execute, whichever comes first). */
  async #runPortal(portal: LocalPortal): Promise<ResultTable | null> {
    if (portal.part === null) return null;
    if (portal.result === null) {
      try {
        portal.result = await this.#execute(portal.part);
      } catch (error) {
        throw new ExtendedError(errorFields(error, portal.statement.query, false));
      }
    }
    return portal.result;
  }

  // ---- output, cancel, close -------------------------------------------------------------

  #write(...messages: Buffer[]): void {
    if (this.#ended || messages.length === 0) return;
    this.#socket.write(messages.length === 1 ? messages[0]! : Buffer.concat(messages));
  }

  /** Server messages to the client; a slow client slows the server's side down, not memory. */
  #relay(messages: Buffer[]): void {
    if (this.#ended) return;
    const flowing = this.#socket.write(messages.length === 1 ? messages[0]! : Buffer.concat(messages));
    if (!flowing && this.#upstream) {
      const upstream = this.#upstream;
      upstream.pause();
      this.#socket.once('drain', () => upstream.resume());
    }
  }

  /** A CancelRequest with this session's key: stop the sqlml statement, or ask the server to stop its own. */
  cancel(): void {
    this.#running?.abort();
    if (this.#upstream?.busy) void this.#upstream.cancel();
  }

  #fatal(fields: ErrorFields): void {
    if (this.#ended) return;
    this.#write(errorResponse({ ...fields, severity: 'FATAL' }));
    this.#end(false);
  }

  /** `drain`: read (and drop) what the client still sends until it closes; else stop reading it. */
  #end(drain = true): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#loginTimer);
    this.#passwordRequest?.reject(new Error('the client closed the connection'));
    this.#running?.abort();
    this.#upstream?.close();
    void this.#clientEngine?.then(
      (engine) => engine.close(),
      () => undefined,
    );
    this.#queue.length = 0;
    // The last answer (an error, often) goes out; a client that keeps the connection
    // open after it, or keeps sending, is cut off shortly after rather than held forever.
    const socket = this.#socket;
    socket.end();
    if (drain) socket.resume();
    else socket.pause();
    // Not unref'd: a paused socket keeps no event loop alive, and the listener's close waits for it.
    const cutoff = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    socket.once('close', () => clearTimeout(cutoff));
    this.#host.closed(this);
  }

  /**
   * Ends the session for a server shutdown: the statement running now finishes (and
   * its answer goes out), then the client gets PostgreSQL's "terminating connection" FATAL.
   */
  async shutdown(): Promise<void> {
    this.#closing = true;
    await this.#work;
    if (this.#upstream?.busy) {
      await Promise.race([this.#upstream.whenIdle(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref())]);
    }
    this.#fatal(terminating());
  }
}

/**
 * Settings of PostgreSQL's client protocol that drivers SET on connect (JDBC:
 * extra_float_digits, application_name) and that DuckDB and MySQL do not have: accepted
 * and, for those clients track, reported back. Without this no JDBC tool could connect.
 */
const PROTOCOL_SETTINGS = new Map([
  ['extra_float_digits', null],
  ['application_name', 'application_name'],
  ['client_encoding', 'client_encoding'],
  ['datestyle', 'DateStyle'],
  ['intervalstyle', 'IntervalStyle'],
  ['client_min_messages', null],
  ['bytea_output', null],
  ['standard_conforming_strings', 'standard_conforming_strings'],
]);

/** A SET of one of those settings: the ParameterStatus to send, if the setting is reported. */
/** The server a forwarded session connects to: the database URL as the engine's dialect reads it. */
function upstreamServer(host: SessionHost, url: string): UpstreamServer {
  const login = host.engine.adapter.sql.clientLogin;
  if (login.kind !== 'upstream') throw new Error(`the ${host.engine.adapter.sql.name} database speaks no PostgreSQL protocol to forward clients to`);
  return login.upstreamServer(url);
}

function protocolSetting(text: string): { report: [string, string] | null } | null {
  const set = /^SET\s+(?:SESSION\s+)?([A-Za-z_]+)\s*(?:=|\s+TO\s+)\s*'?([^']*?)'?\s*$/is.exec(text);
  const name = set?.[1]?.toLowerCase();
  if (!set || name === undefined || !PROTOCOL_SETTINGS.has(name)) return null;
  const reported = PROTOCOL_SETTINGS.get(name);
  return { report: reported ? [reported, set[2]!] : null };
}

/**
 * The database's own refusal of a client's login, as a FATAL: MySQL's access denied
 * (which does not tell a missing user from a wrong password) is 28P01, an unknown
 * database 3D000, otherwise the server's SQLSTATE, with the server's own message.
 */
function loginRefusal(error: unknown, user: string): ErrorFields {
  const cause = (error instanceof Error ? error.cause : undefined) as { errno?: number; sqlState?: string; sqlMessage?: string } | undefined;
  const message = cause?.sqlMessage ?? (error instanceof Error ? error.message : String(error));
  if (cause?.errno === 1045 || cause?.errno === 1698 || cause?.sqlState === '28000') return { severity: 'FATAL', code: '28P01', message, detail: `password authentication failed for user "${user}"` };
  if (cause?.errno === 1049) return { severity: 'FATAL', code: '3D000', message };
  return { severity: 'FATAL', code: cause?.sqlState ?? '08006', message };
}

function terminating(): ErrorFields {
  return { severity: 'FATAL', code: '57P01', message: 'terminating connection due to administrator command' };
}

/** An error answered to one extended-protocol message (then the batch is skipped until Sync). */
class ExtendedError extends Error {
  readonly fields: ErrorFields;
  constructor(codeOrFields: string | ErrorFields, message?: string) {
    const fields = typeof codeOrFields === 'string' ? { severity: 'ERROR' as const, code: codeOrFields, message: message! } : codeOrFields;
    super(fields.message);
    this.fields = fields;
  }
}
