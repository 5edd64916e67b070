/**
 * One client session's own connection to the PostgreSQL server sqlml runs on, for
 * pass-through: everything that is not a sqlml statement is forwarded verbatim and the
 * server's answers are relayed verbatim, so types, parameters, `\d` and the catalog
 * queries BI tools send are exactly PostgreSQL's.
 *
 * This module does the startup as a client (trust, cleartext, MD5 or SCRAM-SHA-256, with
 * the database URL's credentials or the client's own, TLS when the URL asks for it) and then only watches
 * the relayed bytes for ReadyForQuery: the transaction status the client must see and
 * the moment the connection is idle again (sqlml's own answers must not overtake
 * answers still coming from the server).
 */
import { createRequire } from 'node:module';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { createStartupMessage, hashMd5Password } from 'pg-gateway';
import { serialize } from 'pg-protocol';
import type { UpstreamServer } from '../../adapters/dialect.js';
import { MessageFramer, MessageReader, type ErrorFields, type TransactionStatus } from './pg-messages.js';

interface ScramSession {
  mechanism: string;
  response: string;
}
/** node pg's SCRAM client (no types of its own): the same code node pg authenticates with. */
interface SaslModule {
  startSession(mechanisms: string[], stream?: unknown): ScramSession;
  continueSession(session: ScramSession, password: string, serverData: string, stream?: unknown): Promise<void>;
  finalizeSession(session: ScramSession, serverData: string): void;
}
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as SaslModule;

const CONNECT_TIMEOUT_MS = 10_000;
/** Startup parameters that name the connection itself: the database URL decides those. */
const RESERVED_PARAMETERS = new Set(['user', 'database', 'replication']);

/** The server refused the startup (bad database, too many connections...): relayed to the client as is. */
export class UpstreamStartupError extends Error {
  readonly fields: ErrorFields;
  constructor(fields: ErrorFields) {
    super(fields.message);
    this.fields = fields;
  }
}

/** Reads the fields of an ErrorResponse/NoticeResponse from the server. */
export function readErrorFields(message: Buffer): ErrorFields {
  const reader = new MessageReader(message);
  const fields: Record<string, string> = {};
  for (let code = reader.byte(); code !== 0; code = reader.byte()) fields[String.fromCharCode(code)] = reader.cstring();
  return {
    severity: fields.V === 'FATAL' || fields.S === 'FATAL' ? 'FATAL' : 'ERROR',
    code: fields.C ?? 'XX000',
    message: fields.M ?? 'unknown error',
    ...(fields.D !== undefined ? { detail: fields.D } : {}),
    ...(fields.H !== undefined ? { hint: fields.H } : {}),
    ...(fields.P !== undefined ? { position: Number(fields.P) } : {}),
  };
}

function openSocket(settings: UpstreamServer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = settings.host.startsWith('/') ? connectTcp({ path: `${settings.host}/.s.PGSQL.${settings.port}` }) : connectTcp({ host: settings.host, port: settings.port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => fail(new Error(`cannot connect to PostgreSQL at ${settings.address}: the connection timed out`)), CONNECT_TIMEOUT_MS);
    function fail(error: Error): void {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    }
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/** Asks for TLS (SSLRequest) and upgrades, as the URL's sslmode requires. */
async function upgradeToTls(socket: Socket, settings: UpstreamServer): Promise<Socket> {
  if (!settings.ssl) return socket;
  socket.write(serialize.requestSsl());
  const answer = await new Promise<number>((resolve, reject) => {
    socket.once('data', (data: Buffer) => resolve(data[0]!));
    socket.once('error', reject);
  });
  if (answer !== 0x53) throw new Error(`PostgreSQL at ${settings.address} does not accept TLS connections, which the database URL requires`);
  const secure = connectTls({ ...settings.ssl, socket, servername: settings.ssl.servername ?? settings.host });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  return secure;
}

/** Messages from the server, one at a time, during startup (before relaying starts). */
class StartupReader {
  readonly #socket: Socket;
  readonly #framer = new MessageFramer();
  readonly #queue: Buffer[] = [];
  #waiter: ((message: Buffer) => void) | null = null;
  #failure: Error | null = null;
  #failed: ((error: Error) => void) | null = null;
  readonly #onData = (chunk: Buffer): void => {
    try {
      this.#queue.push(...this.#framer.push(chunk));
    } catch (error) {
      this.#socket.destroy(error as Error);
      return;
    }
    this.#deliver();
  };
  readonly #onEnd = (error?: Error): void => {
    this.#failure = error ?? new Error('PostgreSQL closed the connection during startup');
    this.#failed?.(this.#failure);
  };

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('error', this.#onEnd);
    socket.on('close', () => this.#onEnd());
  }

  #deliver(): void {
    if (this.#waiter && this.#queue.length > 0) {
      const waiter = this.#waiter;
      this.#waiter = null;
      this.#failed = null;
      waiter(this.#queue.shift()!);
    }
  }

  next(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.#failure && this.#queue.length === 0) return reject(this.#failure);
      this.#waiter = resolve;
      this.#failed = reject;
      this.#deliver();
    });
  }

  /** Stops reading for startup; anything the server sent after ReadyForQuery would be a protocol error. */
  detach(): void {
    this.#socket.off('data', this.#onData);
    this.#socket.removeAllListeners('error');
    this.#socket.removeAllListeners('close');
  }
}

export interface UpstreamOptions {
  /** The PostgreSQL server and the role to log in as (the database URL, as the dialect reads it). */
  readonly server: UpstreamServer;
  /** The client's startup parameters (application_name, client_encoding, DateStyle, ...). */
  readonly clientParameters: Readonly<Record<string, string>>;
  /**
   * Log in as the client instead of as the URL's role (auth passthrough): its role and
   * database, and its password, asked for only if the server wants one.
   */
  readonly login?: { readonly user: string; readonly database: string; password(): Promise<string> };
}

export class Upstream {
  /** The server's ParameterStatus values from startup, to pass on to the client. */
  readonly parameters: readonly (readonly [string, string])[];
  readonly #socket: Socket;
  readonly #settings: UpstreamServer;
  readonly #processId: number;
  readonly #secretKey: number;
  readonly #framer = new MessageFramer();
  /** ReadyForQuery messages still owed for forwarded Query/Sync/FunctionCall messages. */
  #owed = 0;
  #status: TransactionStatus = 'I';
  #idleWaiters: (() => void)[] = [];
  /** Where relayed messages go (the client); set by the session. */
  #sink: (messages: Buffer[]) => void = () => undefined;
  /** While set, sees each message first; returning true keeps it from the client. */
  #intercept: ((message: Buffer) => boolean) | null = null;
  #closed = false;
  /** The server sent a FATAL ErrorResponse (relayed to the client): its own word on why it ends. */
  #fatalRelayed = false;
  #onLost: (error: Error, fatalRelayed: boolean) => void = () => undefined;

  private constructor(socket: Socket, settings: UpstreamServer, parameters: (readonly [string, string])[], processId: number, secretKey: number) {
    this.#socket = socket;
    this.#settings = settings;
    this.parameters = parameters;
    this.#processId = processId;
    this.#secretKey = secretKey;
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#relay(chunk);
      } catch (error) {
        // A stream that cannot be framed is lost: `#lost` reports it to the client.
        socket.destroy(error as Error);
      }
    });
    socket.on('error', (error) => this.#lost(error));
    socket.on('close', () => this.#lost(new Error('the connection to PostgreSQL was closed')));
  }

  /** Connects and authenticates with the URL's credentials; resolves at the server's first ReadyForQuery. */
  static async connect(options: UpstreamOptions): Promise<Upstream> {
    const settings = options.server;
    let socket = await openSocket(settings);
    try {
      socket = await upgradeToTls(socket, settings);
      const reader = new StartupReader(socket);
      const parameters: Record<string, string> = {};
      for (const [name, value] of Object.entries(options.clientParameters)) {
        if (!RESERVED_PARAMETERS.has(name)) parameters[name] = value;
      }
      const user = options.login?.user ?? settings.user;
      parameters.user = user;
      parameters.database = options.login?.database ?? settings.database;
      const password =
        options.login?.password ??
        (async (): Promise<string> => {
          if (settings.password === undefined) throw new Error(`PostgreSQL at ${settings.address} asks a password for user ${settings.user}, and the database URL has none`);
          return settings.password;
        });
      socket.write(createStartupMessage({ majorVersion: 3, minorVersion: 0, parameters: parameters as { user: string } }));

      const statuses: [string, string][] = [];
      let processId = 0;
      let secretKey = 0;
      let scram: ScramSession | null = null;
      for (;;) {
        const message = await reader.next();
        const type = String.fromCharCode(message[0]!);
        const body = new MessageReader(message);
        if (type === 'E') throw new UpstreamStartupError(readErrorFields(message));
        if (type === 'S') statuses.push([body.cstring(), body.cstring()]);
        else if (type === 'K') {
          processId = body.int32();
          secretKey = body.int32();
        } else if (type === 'Z') {
          reader.detach();
          return new Upstream(socket, settings, statuses, processId, secretKey);
        } else if (type === 'R') {
          scram = await Upstream.#authenticate(socket, settings, user, password, message, scram);
        }
        // NoticeResponse and anything else during startup: nothing for the client to act on.
      }
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  /** Answers one Authentication request; returns the SCRAM exchange in progress, if any. */
  static async #authenticate(
    socket: Socket,
    settings: UpstreamServer,
    user: string,
    password: () => Promise<string>,
    message: Buffer,
    scram: ScramSession | null,
  ): Promise<ScramSession | null> {
    const reader = new MessageReader(message);
    const kind = reader.int32();
    switch (kind) {
      case 0:
        return null;
      case 3:
        socket.write(serialize.password(await password()));
        return null;
      case 5: {
        const salt = reader.bytes(4);
        socket.write(serialize.password(await hashMd5Password(user, await password(), salt)));
        return null;
      }
      case 10: {
        const mechanisms: string[] = [];
        for (let name = reader.cstring(); name !== ''; name = reader.cstring()) mechanisms.push(name);
        await password();
        const session = sasl.startSession(mechanisms);
        socket.write(serialize.sendSASLInitialResponseMessage(session.mechanism, session.response));
        return session;
      }
      case 11: {
        if (!scram) throw new Error('PostgreSQL sent SASLContinue before SASL started');
        await sasl.continueSession(scram, await password(), message.toString('utf8', 9));
        socket.write(serialize.sendSCRAMClientFinalMessage(scram.response));
        return scram;
      }
      case 12: {
        if (!scram) throw new Error('PostgreSQL sent SASLFinal before SASL started');
        sasl.finalizeSession(scram, message.toString('utf8', 9));
        return null;
      }
      default:
        throw new Error(`PostgreSQL at ${settings.address} asks for an authentication method sqlml does not speak (code ${kind})`);
    }
  }

  /** The transaction status of the server's last ReadyForQuery. */
  get status(): TransactionStatus {
    return this.#status;
  }

  get busy(): boolean {
    return this.#owed > 0;
  }

  /** Where relayed server messages go, and what to do when the server connection is lost. */
  attach(sink: (messages: Buffer[]) => void, onLost: (error: Error, fatalRelayed: boolean) => void): void {
    this.#sink = sink;
    this.#onLost = onLost;
  }

  /**
   * Forwards client bytes verbatim. `readyCount` is how many ReadyForQuery messages they
   * will bring back (one per Query, Sync and FunctionCall).
   */
  send(data: Buffer, readyCount: number): void {
    if (this.#closed) return;
    this.#owed += readyCount;
    this.#socket.write(data);
  }

  /** Resolves once every forwarded request has had its ReadyForQuery. */
  whenIdle(): Promise<void> {
    if (this.#owed === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Runs one statement as a simple Query whose results go to the client but whose
   * ReadyForQuery does not: for a client query that mixes sqlml and database statements.
   * Resolves to whether the server answered with an error.
   */
  async runWithinQuery(sql: string): Promise<{ failed: boolean }> {
    await this.whenIdle();
    let failed = false;
    return new Promise((resolve) => {
      this.#intercept = (message) => {
        if (message[0] === 0x45 /* E */) failed = true;
        if (message[0] !== 0x5a /* Z */) return false;
        this.#intercept = null;
        // Resolve after this chunk's messages went out, so the next answer cannot overtake them.
        queueMicrotask(() => resolve({ failed }));
        return true;
      };
      this.send(serialize.query(sql), 1);
    });
  }

  #relay(chunk: Buffer): void {
    const messages = this.#framer.push(chunk);
    if (messages.length === 0) return;
    const out: Buffer[] = [];
    let becameIdle = false;
    for (const message of messages) {
      if (message[0] === 0x5a /* Z */) {
        this.#status = String.fromCharCode(message[5]!) as TransactionStatus;
        this.#owed = Math.max(0, this.#owed - 1);
        becameIdle ||= this.#owed === 0;
      }
      if (message[0] === 0x45 /* E */ && !this.#fatalRelayed) this.#fatalRelayed = readErrorFields(message).severity === 'FATAL';
      if (this.#intercept?.(message)) continue;
      out.push(message);
    }
    if (out.length > 0) this.#sink(out);
    if (becameIdle && this.#owed === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  /** Backpressure from the client: stop reading from the server until the client drains. */
  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /** Forwards a client's CancelRequest to the server, on a connection of its own as the protocol wants. */
  cancel(): Promise<void> {
    return new Promise((resolve) => {
      openSocket(this.#settings).then(
        (socket) => {
          socket.on('error', () => undefined);
          socket.end(serialize.cancel(this.#processId, this.#secretKey));
          socket.once('close', () => resolve());
        },
        () => resolve(),
      );
    });
  }

  #lost(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#releaseWaiters();
    this.#onLost(error, this.#fatalRelayed);
  }

  #releaseWaiters(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Sends Terminate and closes; the server ends the session (rolling back an open transaction). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#releaseWaiters();
    this.#socket.end(serialize.end());
  }
}
