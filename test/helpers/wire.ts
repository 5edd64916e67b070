/**
 * Driving `sqlml serve --pg` as a real process, byte by byte: the fault tests and
 * bench/fuzz-wire.ts start it here, talk to it through RawClient (any bytes at all,
 * then the server's answers framed), and sample its resident memory from /proc.
 */
import { connect, type Socket } from 'node:net';
import type pg from 'pg';
import { serialize } from 'pg-protocol';
import { MessageFramer } from '../../src/server/pg-messages.js';
import { startServe, type ServeProcess } from './serve-process.js';

export interface WireServer extends ServeProcess {
  readonly port: number;
}

/** Starts `sqlml serve --pg 127.0.0.1:0` on `db` and waits for its address. */
export async function startWireServer(db: string, extraArgs: readonly string[] = []): Promise<WireServer> {
  const server = await startServe(db, ['--pg', '127.0.0.1:0', ...extraArgs]);
  return { ...server, port: Number(server.addresses.pg!.split(':').pop()) };
}

/** A role, password and database to log in with. */
export interface Login {
  readonly user: string;
  readonly password?: string;
  readonly database: string;
}

/** The login a target's URL implies: the URL's own role on the URL's database; DuckDB has none. */
export function loginFor(url: string): Login {
  if (url.startsWith('duckdb:')) return { user: 'sqlml', database: 'sqlml' };
  const parsed = new URL(url);
  return {
    user: decodeURIComponent(parsed.username),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    database: decodeURIComponent(parsed.pathname.slice(1)),
  };
}

export interface ServerMessage {
  readonly type: string;
  readonly body: Buffer;
}

/** The fields of an ErrorResponse body, by their one-letter codes. */
export function errorFieldsOf(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const code = String.fromCharCode(body[offset]!);
    const end = body.indexOf(0, offset + 1);
    fields[code] = body.toString('utf8', offset + 1, end);
    offset = end + 1;
  }
  return fields;
}

/** A connection that sends whatever it is told and collects the server's answers. */
export class RawClient {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  #framer = new MessageFramer();
  #messages: ServerMessage[] = [];
  #unframed = Buffer.alloc(0);
  #framing = false;
  #isClosed = false;
  #wake: (() => void) | null = null;
  readonly connected: Promise<void>;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('error', () => undefined); // a reset after the server's FATAL is expected
    this.connected = new Promise((done, fail) => {
      this.socket.once('connect', done);
      this.socket.once('error', fail);
    });
    this.closed = new Promise((done) => this.socket.once('close', () => done()));
    void this.closed.then(() => {
      this.#isClosed = true;
      this.#wake?.();
    });
    this.socket.on('data', (chunk: Buffer) => {
      if (this.#framing) for (const m of this.#framer.push(chunk)) this.#messages.push({ type: String.fromCharCode(m[0]!), body: m.subarray(5) });
      else this.#unframed = Buffer.concat([this.#unframed, chunk]);
      this.#wake?.();
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Writes bytes; a server that already closed the connection is not an error here. */
  send(...data: Buffer[]): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(Buffer.concat(data));
  }

  /** Waits (bounded) until `ready()` or the connection closes; then says which. */
  async until(ready: () => boolean, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (this.#isClosed) return ready();
      if (Date.now() > deadline) throw new Error(`no answer from the server within ${timeoutMs} ms`);
      await new Promise<void>((done) => {
        this.#wake = done;
        setTimeout(done, 50).unref();
      });
    }
    return true;
  }

  /** Messages received so far (and forgets them). */
  take(): ServerMessage[] {
    const taken = this.#messages;
    this.#messages = [];
    return taken;
  }

  /** The one-byte answer to an SSLRequest or GSSENCRequest. */
  async byte(): Promise<string> {
    await this.until(() => this.#unframed.length > 0);
    const answer = String.fromCharCode(this.#unframed[0]!);
    this.#unframed = this.#unframed.subarray(1);
    return answer;
  }

  /** Sends a StartupMessage and answers a password request; resolves at the first ReadyForQuery. */
  async login(login: Login): Promise<ServerMessage[]> {
    this.#framing = true;
    this.send(serialize.startup({ user: login.user, database: login.database }));
    const got: ServerMessage[] = [];
    for (;;) {
      await this.until(() => this.#messages.length > 0);
      const batch = this.take();
      if (batch.length === 0) throw new Error(`the server closed the connection during login`);
      for (const message of batch) {
        got.push(message);
        if (message.type === 'E') throw new Error(`login refused: ${errorFieldsOf(message.body).M}`);
        if (message.type === 'R' && message.body.readInt32BE(0) === 3) this.send(serialize.password(login.password ?? ''));
        if (message.type === 'Z') return got;
      }
    }
  }

  /** Frames what comes back from now on (for a client that sends the startup itself). */
  frame(): void {
    this.#framing = true;
  }

  /** Waits for the server to end the connection; returns every message it sent, the last first-class. */
  async whenClosed(timeoutMs = 10_000): Promise<ServerMessage[]> {
    await this.until(() => this.#isClosed, timeoutMs);
    return this.take();
  }

  /** Sends a simple Query and collects its answer up to ReadyForQuery. */
  async query(sql: string): Promise<ServerMessage[]> {
    this.send(serialize.query(sql));
    const got: ServerMessage[] = [];
    await this.until(() => {
      got.push(...this.take());
      return got.some((m) => m.type === 'Z');
    });
    return got;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A typed message with any length field at all, and any body. */
export function rawMessage(type: string | number, length: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header[0] = typeof type === 'number' ? type : type.charCodeAt(0);
  header.writeInt32BE(length, 1);
  return Buffer.concat([header, body]);
}

/** An untyped packet header announcing `length`. */
export function rawStartupHeader(length: number): Buffer {
  const header = Buffer.alloc(4);
  header.writeInt32BE(length, 0);
  return header;
}

/** Sends a CancelRequest for `target`'s backend key, on a connection of its own, as clients do. */
export function sendCancel(port: number, target: pg.Client): Promise<void> {
  const { processID, secretKey } = target as unknown as { processID: number; secretKey: number };
  return new Promise((done, fail) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      const packet = Buffer.alloc(16);
      packet.writeInt32BE(16, 0);
      packet.writeInt32BE(80877102, 4);
      packet.writeInt32BE(processID, 8);
      packet.writeInt32BE(secretKey, 12);
      socket.end(packet);
    });
    socket.on('close', () => done());
    socket.on('error', fail);
  });
}
