/**
 * Cuts the bytes a wire-protocol client sends into whole messages, trusting none of
 * them: every length read off the socket is checked before anything is buffered, and
 * no message may be larger than its kind needs, so a hostile or broken client costs at
 * most one capped buffer and its own connection (a ProtocolViolation, answered with
 * FATAL 08P01 by the session).
 *
 * Two phases, as in PostgreSQL: untyped packets (length, then a request code) until the
 * StartupMessage, typed messages (type byte, length, body) after it. The framer tells
 * the phases apart itself: SSLRequest and GSSENCRequest are followed by another untyped
 * packet, anything else (StartupMessage, CancelRequest) ends the untyped phase.
 *
 * Limits (PostgreSQL's in brackets):
 * - an untyped packet: 10,000 bytes [MAX_STARTUP_PACKET_LENGTH, 10,000];
 * - Query, Parse, Bind, FunctionCall and CopyData, which carry statement text and bound
 *   values: 16 MiB [1 GB]. sqlml holds a whole message in memory before acting on it,
 *   so the cap bounds what one authenticated client can make the server hold;
 * - every other message (Sync, Flush, Describe, Close, Execute, Password...): 10,000
 *   bytes [PQ_SMALL_MESSAGE_LIMIT, 10,000; PostgreSQL lets a password message be large
 *   for GSSAPI/SSPI tokens, which sqlml does not speak].
 */
import { GSSENC_REQUEST_CODE, ProtocolViolation, SSL_REQUEST_CODE } from './pg-messages.js';

export const MAX_STARTUP_PACKET_BYTES = 10_000;
export const MAX_LARGE_MESSAGE_BYTES = 16 * 1024 * 1024;
export const MAX_SMALL_MESSAGE_BYTES = 10_000;

/** Type bytes of the messages that may be large: Query, Parse, Bind, FunctionCall, CopyData. */
const LARGE_TYPES = new Set([0x51, 0x50, 0x42, 0x46, 0x64]);

/** The largest whole message (type byte included) a client may send with this type byte. */
export function messageLimit(type: number): number {
  return LARGE_TYPES.has(type) ? MAX_LARGE_MESSAGE_BYTES : MAX_SMALL_MESSAGE_BYTES;
}

const EMPTY = Buffer.alloc(0);

export class FrontendFramer {
  #untyped = true;
  /** The message being assembled, allocated once at its announced size. */
  #message: Buffer | null = null;
  #filled = 0;
  /** Bytes of a header that arrived split across chunks (at most 5). */
  #header: Buffer = EMPTY;

  /** True until the StartupMessage (or CancelRequest) has been framed. */
  get beforeStartup(): boolean {
    return this.#untyped;
  }

  /** Bytes held for a message not yet complete: never more than its kind's limit. */
  get buffered(): number {
    return this.#message ? this.#filled : this.#header.length;
  }

  /**
   * Appends `chunk` and returns the messages it completes, each a buffer of its own
   * (untyped packets start with their length; typed messages with their type byte).
   * Throws ProtocolViolation at the first length that breaks the rules; after that the
   * connection is to be closed, not read further.
   */
  push(chunk: Buffer): Buffer[] {
    const messages: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#message === null) {
        const headerSize = this.#untyped ? 4 : 5;
        const needed = headerSize - this.#header.length;
        const available = chunk.length - offset;
        if (available < needed) {
          this.#header = Buffer.concat([this.#header, chunk.subarray(offset)]);
          break;
        }
        const header = this.#header.length === 0 ? chunk.subarray(offset, offset + headerSize) : Buffer.concat([this.#header, chunk.subarray(offset, offset + needed)]);
        offset += needed;
        this.#header = EMPTY;
        this.#message = Buffer.allocUnsafe(this.#checkedSize(header));
        header.copy(this.#message, 0, 0, headerSize);
        this.#filled = headerSize;
      }
      const message = this.#message;
      const take = Math.min(message.length - this.#filled, chunk.length - offset);
      chunk.copy(message, this.#filled, offset, offset + take);
      this.#filled += take;
      offset += take;
      if (this.#filled === message.length) {
        this.#message = null;
        this.#filled = 0;
        if (this.#untyped) this.#untyped = isNegotiation(message);
        messages.push(message);
      }
    }
    return messages;
  }

  /** The whole size of the message a header announces, or a ProtocolViolation. */
  #checkedSize(header: Buffer): number {
    if (this.#untyped) {
      const length = header.readInt32BE(0);
      // The shortest untyped packet is an SSLRequest: length and code.
      if (length < 8 || length > MAX_STARTUP_PACKET_BYTES) throw new ProtocolViolation('invalid length of startup packet');
      return length;
    }
    const type = header[0]!;
    const length = header.readInt32BE(1);
    if (length < 4) throw new ProtocolViolation(`invalid message length ${length} for message type "${printable(type)}"`);
    const limit = messageLimit(type);
    if (1 + length > limit) {
      throw new ProtocolViolation(`message of type "${printable(type)}" announces ${1 + length} bytes, more than the ${limit} sqlml accepts for it`);
    }
    return 1 + length;
  }
}

/** SSLRequest and GSSENCRequest keep the connection in the untyped phase. */
function isNegotiation(packet: Buffer): boolean {
  if (packet.length !== 8) return false;
  const code = packet.readInt32BE(4);
  return code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE;
}

function printable(type: number): string {
  return type >= 0x20 && type < 0x7f ? String.fromCharCode(type) : `\\x${type.toString(16).padStart(2, '0')}`;
}

export interface StartupMessage {
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly parameters: Record<string, string>;
}

/** Reads a StartupMessage packet (length, version, name/value pairs, a terminating zero). */
export function readStartupMessage(packet: Buffer): StartupMessage {
  const version = packet.readInt32BE(4);
  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  let offset = 8;
  const cstring = (): string => {
    const end = packet.indexOf(0, offset);
    if (end < 0) throw new ProtocolViolation('invalid startup packet layout: expected terminator as last byte');
    const value = packet.toString('utf8', offset, end);
    offset = end + 1;
    return value;
  };
  for (;;) {
    const name = cstring();
    if (name === '') break;
    parameters[name] = cstring();
  }
  if (offset !== packet.length) throw new ProtocolViolation('invalid startup packet layout: expected terminator as last byte');
  return { majorVersion: version >>> 16, minorVersion: version & 0xffff, parameters };
}
