/**
 * PostgreSQL wire protocol (v3) bytes: building backend messages, reading the frontend
 * messages the gateway has to understand (Query, Parse, Bind, Describe, Execute, Close,
 * Password, the pre-startup requests), and cutting a byte stream into whole messages
 * for the pass-through relay. No policy here: pg-session.ts decides what to answer.
 *
 * pg-frontend.ts frames the client's side, trusting nothing; MessageFramer is for the
 * upstream server's side, whose bytes are relayed as they are and only looked at for
 * ReadyForQuery.
 */

/** The 4-byte request codes of the untyped packets a client may send before StartupMessage. */
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

/**
 * A value a backend message cannot carry: a count or code outside its field's range, a
 * C string holding NUL, a message beyond what a PostgreSQL server ever sends. Thrown
 * before anything of the message is sent, so the client gets one ErrorResponse naming
 * the field (SQLSTATE `sqlstate`) instead of a wrapped number or a corrupted stream.
 */
export class WireValueError extends Error {
  readonly sqlstate: string;
  constructor(sqlstate: string, message: string) {
    super(message);
    this.name = 'WireValueError';
    this.sqlstate = sqlstate;
  }
}

/**
 * The largest message a PostgreSQL server sends: its own allocations stop at 1 GB
 * (MaxAllocSize), so a longer announced length is a broken or hostile stream, not data.
 * sqlml holds its own messages to the same bound.
 */
export const MAX_SERVER_MESSAGE_BYTES = 0x3fffffff;

/** program_limit_exceeded: what PostgreSQL answers for a value beyond a protocol limit. */
const LIMIT_EXCEEDED = '54000';

function checkRange(value: number, min: number, max: number, kind: string, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new WireValueError(LIMIT_EXCEEDED, `${what} ${value} does not fit the PostgreSQL protocol's ${kind} field (${min} to ${max})`);
  }
}

/**
 * Grows a byte buffer for one backend message; `finish(type)` prefixes type and length.
 * Every write checks its value against its field's range (`what` names the field in
 * the error): Buffer's own writers would let NaN through as 0.
 */
export class MessageWriter {
  #buffer = Buffer.allocUnsafe(256);
  #length = 0;

  #ensure(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    // 4 bytes of the body are the length field itself.
    if (4 + this.#length + extra > MAX_SERVER_MESSAGE_BYTES) {
      throw new WireValueError(LIMIT_EXCEEDED, `a message of more than ${MAX_SERVER_MESSAGE_BYTES} bytes (what a PostgreSQL server sends at most) cannot be sent`);
    }
    let size = this.#buffer.length * 2;
    while (size < this.#length + extra) size *= 2;
    const grown = Buffer.allocUnsafe(Math.min(size, MAX_SERVER_MESSAGE_BYTES));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }

  int16(value: number, what = 'an Int16 value'): this {
    checkRange(value, -0x8000, 0x7fff, 'Int16', what);
    this.#ensure(2);
    this.#buffer.writeInt16BE(value, this.#length);
    this.#length += 2;
    return this;
  }

  /** A count: PostgreSQL reads the protocol's Int16 counts as unsigned (up to 65,535 parameters). */
  uint16(value: number, what = 'an Int16 count'): this {
    checkRange(value, 0, 0xffff, 'unsigned Int16', what);
    this.#ensure(2);
    this.#buffer.writeUInt16BE(value, this.#length);
    this.#length += 2;
    return this;
  }

  int32(value: number, what = 'an Int32 value'): this {
    checkRange(value, -0x80000000, 0x7fffffff, 'Int32', what);
    this.#ensure(4);
    this.#buffer.writeInt32BE(value, this.#length);
    this.#length += 4;
    return this;
  }

  byte(value: number, what = 'a Byte1 value'): this {
    checkRange(value, 0, 0xff, 'Byte1', what);
    this.#ensure(1);
    this.#buffer[this.#length++] = value;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.#ensure(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  /**
   * A NUL-terminated string. One holding NUL is refused: the reader would end the string
   * there and take the rest for the next fields, a corrupted message.
   */
  cstring(value: string, what = 'a string'): this {
    const nul = value.indexOf('\0');
    if (nul >= 0) {
      throw new WireValueError('22021', `${what} holds a NUL character (at character ${nul + 1}), which the PostgreSQL protocol cannot carry in a string field`);
    }
    const length = Buffer.byteLength(value);
    this.#ensure(length + 1);
    this.#buffer.write(value, this.#length, 'utf8');
    this.#length += length;
    this.#buffer[this.#length++] = 0;
    return this;
  }

  /** Returns the finished message and empties the writer for the next one. */
  finish(type: string): Buffer {
    const message = Buffer.allocUnsafe(5 + this.#length);
    message[0] = type.charCodeAt(0);
    message.writeInt32BE(4 + this.#length, 1);
    this.#buffer.copy(message, 5, 0, this.#length);
    this.#length = 0;
    return message;
  }
}

const EMPTY = Buffer.alloc(0);

/** A message with no body: ParseComplete '1', BindComplete '2', CloseComplete '3', NoData 'n', EmptyQueryResponse 'I', PortalSuspended 's'. */
export function emptyMessage(type: '1' | '2' | '3' | 'n' | 'I' | 's'): Buffer {
  return Buffer.from([type.charCodeAt(0), 0, 0, 0, 4]);
}

export type TransactionStatus = 'I' | 'T' | 'E';

export function readyForQuery(status: TransactionStatus): Buffer {
  return new MessageWriter().byte(status.charCodeAt(0)).finish('Z');
}

export function commandComplete(tag: string): Buffer {
  return new MessageWriter().cstring(tag, 'the command tag').finish('C');
}

export function parameterStatus(name: string, value: string): Buffer {
  return new MessageWriter().cstring(name, 'a parameter name').cstring(value, `the value of parameter ${name}`).finish('S');
}

export function backendKeyData(processId: number, secretKey: number): Buffer {
  return new MessageWriter().int32(processId).int32(secretKey).finish('K');
}

export function authenticationOk(): Buffer {
  return new MessageWriter().int32(0).finish('R');
}

export function authenticationCleartextPassword(): Buffer {
  return new MessageWriter().int32(3).finish('R');
}

export function authenticationMd5(salt: Uint8Array): Buffer {
  return new MessageWriter().int32(5).bytes(salt).finish('R');
}

/** The newest minor version of protocol 3 sqlml speaks, and the `_pq_.` options it does not know. */
export function negotiateProtocolVersion(minorVersion: number, unrecognizedOptions: readonly string[]): Buffer {
  checkRange(minorVersion, 0, 0xffff, 'Int16', 'the protocol minor version');
  const writer = new MessageWriter().int32((3 << 16) | minorVersion).int32(unrecognizedOptions.length, 'the count of options');
  for (const option of unrecognizedOptions) writer.cstring(option, 'a protocol option name');
  return writer.finish('v');
}

export function parameterDescription(typeOids: readonly number[]): Buffer {
  const writer = new MessageWriter().uint16(typeOids.length, 'the parameter count');
  for (const oid of typeOids) writer.int32(oid, 'a parameter type OID');
  return writer.finish('t');
}

/** The fields of an ErrorResponse / NoticeResponse (protocol-error-fields.html). */
export interface ErrorFields {
  readonly severity: 'ERROR' | 'FATAL' | 'NOTICE';
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  /** 1-based character position in the query text. */
  readonly position?: number;
}

export function errorResponse(fields: ErrorFields): Buffer {
  const writer = new MessageWriter();
  // The text of an error may quote the user's data, and data may hold NUL: it is shown
  // as the two characters \\0 rather than refused, so the error still reaches the client.
  const field = (code: string, value: string | undefined): void => {
    if (value !== undefined) writer.byte(code.charCodeAt(0)).cstring(value.replaceAll('\0', '\\0'), 'an error field');
  };
  field('S', fields.severity);
  field('V', fields.severity);
  field('C', fields.code);
  field('M', fields.message);
  field('D', fields.detail);
  field('H', fields.hint);
  field('P', fields.position === undefined ? undefined : String(fields.position));
  writer.byte(0);
  return writer.finish(fields.severity === 'NOTICE' ? 'N' : 'E');
}

/** Reads a frontend message body (after the type byte and length). */
export class MessageReader {
  readonly #data: Buffer;
  #offset: number;

  /** `message` is a whole typed message: type byte, length, body. */
  constructor(message: Buffer, offset = 5) {
    this.#data = message;
    this.#offset = offset;
  }

  /** A message shorter than its own fields say is the client's fault, not an internal error. */
  #need(bytes: number): void {
    if (bytes < 0 || this.#offset + bytes > this.#data.length) throw new ProtocolViolation(`invalid message format: a "${String.fromCharCode(this.#data[0]!)}" message ends inside its fields`);
  }

  int16(): number {
    this.#need(2);
    const value = this.#data.readInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  /** A count: PostgreSQL reads the protocol's Int16 counts as unsigned (up to 65,535 parameters). */
  uint16(): number {
    this.#need(2);
    const value = this.#data.readUInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  int32(): number {
    this.#need(4);
    const value = this.#data.readInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  byte(): number {
    this.#need(1);
    return this.#data[this.#offset++]!;
  }

  bytes(length: number): Buffer {
    this.#need(length);
    const value = this.#data.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  cstring(): string {
    const end = this.#data.indexOf(0, this.#offset);
    if (end < 0) throw new ProtocolViolation('a string in the message is not terminated');
    const value = this.#data.toString('utf8', this.#offset, end);
    this.#offset = end + 1;
    return value;
  }
}

/** A frontend message that breaks the protocol's rules: answered with FATAL 08P01. */
export class ProtocolViolation extends Error {}

export interface ParseMessage {
  readonly statement: string;
  readonly query: string;
  readonly parameterTypes: readonly number[];
}

export function readParse(message: Buffer): ParseMessage {
  const reader = new MessageReader(message);
  const statement = reader.cstring();
  const query = reader.cstring();
  const count = reader.uint16();
  const parameterTypes: number[] = [];
  for (let i = 0; i < count; i++) parameterTypes.push(reader.int32());
  return { statement, query, parameterTypes };
}

export interface BindMessage {
  readonly portal: string;
  readonly statement: string;
  /** Each parameter's format (0 text, 1 binary), already expanded per parameter. */
  readonly parameterFormats: readonly number[];
  readonly parameters: readonly (Buffer | null)[];
  /** Result column formats as sent: empty = all text, one = for every column, else per column. */
  readonly resultFormats: readonly number[];
}

export function readBind(message: Buffer): BindMessage {
  const reader = new MessageReader(message);
  const portal = reader.cstring();
  const statement = reader.cstring();
  const formatCount = reader.uint16();
  const formats: number[] = [];
  for (let i = 0; i < formatCount; i++) formats.push(reader.int16());
  const parameterCount = reader.uint16();
  const parameters: (Buffer | null)[] = [];
  for (let i = 0; i < parameterCount; i++) {
    const length = reader.int32();
    if (length < -1) throw new ProtocolViolation(`invalid length ${length} of bound parameter ${i + 1}`);
    parameters.push(length === -1 ? null : reader.bytes(length));
  }
  const resultCount = reader.uint16();
  const resultFormats: number[] = [];
  for (let i = 0; i < resultCount; i++) resultFormats.push(reader.int16());
  const parameterFormats = parameters.map((_, i) => (formats.length === 1 ? formats[0]! : (formats[i] ?? 0)));
  return { portal, statement, parameterFormats, parameters, resultFormats };
}

/** Describe and Close both name a prepared statement ('S') or a portal ('P'). */
export interface TargetMessage {
  readonly target: 'S' | 'P';
  readonly name: string;
}

export function readTarget(message: Buffer): TargetMessage {
  const reader = new MessageReader(message);
  const target = String.fromCharCode(reader.byte());
  if (target !== 'S' && target !== 'P') throw new ProtocolViolation(`invalid ${message[0] === 0x44 ? 'DESCRIBE' : 'CLOSE'} message subtype ${target}`);
  return { target, name: reader.cstring() };
}

export interface ExecuteMessage {
  readonly portal: string;
  /** 0 = no limit. */
  readonly maxRows: number;
}

export function readExecute(message: Buffer): ExecuteMessage {
  const reader = new MessageReader(message);
  return { portal: reader.cstring(), maxRows: reader.int32() };
}

export function readQuery(message: Buffer): string {
  return new MessageReader(message).cstring();
}

/** The code of an untyped pre-startup packet (length, then this int32). */
export function startupCode(packet: Buffer): number {
  return packet.length >= 8 ? packet.readInt32BE(4) : 0;
}

/** The backend key of a CancelRequest packet. */
export function readCancelRequest(packet: Buffer): { processId: number; secretKey: number } {
  if (packet.length !== 16) throw new ProtocolViolation('invalid length of cancel request packet');
  return { processId: packet.readInt32BE(8), secretKey: packet.readInt32BE(12) };
}

/**
 * Cuts a byte stream of typed messages into whole messages. Hands each chunk's complete
 * messages over at once so the relay can write them with one syscall.
 */
export class MessageFramer {
  #pending: Buffer = EMPTY;

  /**
   * Appends `chunk`; returns the complete messages now available (views, not copies).
   * Throws ProtocolViolation at a length below its own 4 bytes or above
   * MAX_SERVER_MESSAGE_BYTES: nothing of such a stream can be framed after it.
   */
  push(chunk: Buffer): Buffer[] {
    const data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const messages: Buffer[] = [];
    let offset = 0;
    while (data.length - offset >= 5) {
      const length = data.readInt32BE(offset + 1);
      if (length < 4 || length > MAX_SERVER_MESSAGE_BYTES) {
        throw new ProtocolViolation(`the server sent a message of type 0x${data[offset]!.toString(16)} announcing ${length} bytes`);
      }
      if (data.length - offset < 1 + length) break;
      messages.push(data.subarray(offset, offset + 1 + length));
      offset += 1 + length;
    }
    // Copy the tail: `data` may be the caller's chunk, which must not be kept alive whole.
    this.#pending = offset === data.length ? EMPTY : Buffer.from(data.subarray(offset));
    return messages;
  }
}
