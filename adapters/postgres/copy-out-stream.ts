/**
 * `COPY … TO STDOUT` as a readable stream of the CopyData messages' content, like
 * pg-copy-streams' `to()` (whose connection handling it keeps: it is a subclass), with
 * the message framing taken off in place. PostgreSQL sends a binary COPY as one CopyData
 * message per row (about 170 bytes for gen.py's 15 columns); pg-copy-streams makes a
 * Buffer of each message's content and then copies them all into one more Buffer per
 * socket chunk. Here each socket chunk's contents are moved down over the message
 * headers in the chunk itself, with no object per row: on 1M rows that was most of the client's CPU for a
 * COPY whose bytes are only counted (docs/training-in-database.md, "The stream's read").
 *
 * The protocol handling is pg-copy-streams' (7.x, copy-to.js): CopyOutResponse,
 * CopyData, NoticeResponse, ParameterStatus and NotificationResponse are read (only
 * CopyData's content is passed on); an ErrorResponse hands everything from it back to
 * pg's own parser (which fails the query with the server's error); any other message
 * (CopyDone) ends the data, and what follows it goes back to pg the same way.
 */
import type { ReadableOptions } from 'node:stream';
import copyStreams, { type CopyToStreamQuery } from 'pg-copy-streams';

const ERROR_RESPONSE = 0x45;
const COPY_OUT_RESPONSE = 0x48;
const COPY_DATA = 0x64;
const NOTIFICATION_RESPONSE = 0x41;
const NOTICE_RESPONSE = 0x4e;
const PARAMETER_STATUS = 0x53;
/** A message's type byte and its int32 length (which counts itself, not the type byte). */
const HEADER_BYTES = 5;

/** What of pg-copy-streams' CopyToStreamQuery the subclass uses (its own fields, not in its typings). */
interface CopyToInternals {
  /** Bytes read from the socket and not yet parsed: handed back to pg by `_detach`. */
  _buffer: { push(chunk: Buffer): void; readonly size: number };
  /** Gives the connection back to pg's parser, with `_buffer`'s bytes. */
  _detach(): void;
  _cleanup(): void;
}

type CopyToConstructor = new (text: string, options?: ReadableOptions) => CopyToStreamQuery & CopyToInternals;

// pg-copy-streams exports the factory, not the class: its prototype is the class's.
const CopyToQuery = Object.getPrototypeOf(copyStreams.to('')).constructor as CopyToConstructor;

export class CopyOutStream extends CopyToQuery {
  /** The current message's type and the bytes of its content not yet read (0: at a message's start). */
  #code = 0;
  #unread = 0;
  /** A message header cut by a chunk's end (fewer than HEADER_BYTES bytes). */
  #partialHeader: Buffer | null = null;

  /** Parses one socket chunk, pushing its CopyData content; false when the reader wants no more now (pg-copy-streams' contract). */
  _parse(chunk: Buffer): boolean {
    let data = chunk;
    if (this.#partialHeader !== null) {
      data = Buffer.concat([this.#partialHeader, chunk]);
      this.#partialHeader = null;
    }
    const length = data.length;
    // The contents are moved down over the headers, in the chunk itself (this stream is
    // its only reader; what goes back to pg after an error or the copy's end lies past
    // `position`, which the contents never reach): no second buffer, and no garbage per
    // row, where Buffer's copy made a Uint8Array view of the source for every message.
    let written = 0;
    let position = 0;
    let done = false;
    while (position < length) {
      if (this.#unread > 0) {
        const n = Math.min(this.#unread, length - position);
        if (this.#code === COPY_DATA) {
          if (written !== position) data.copyWithin(written, position, position + n);
          written += n;
        }
        position += n;
        this.#unread -= n;
        if (this.#unread === 0 && !continuesCopy(this.#code)) {
          done = true;
          break;
        }
        continue;
      }
      if (data[position] === ERROR_RESPONSE) {
        // pg's parser reads the error and fails the query; the rows before it are not passed on.
        this._buffer.push(data.subarray(position));
        this._detach();
        return false;
      }
      if (length - position < HEADER_BYTES) {
        this.#partialHeader = Buffer.from(data.subarray(position));
        break;
      }
      this.#code = data[position]!;
      this.#unread = data.readUInt32BE(position + 1) - 4;
      position += HEADER_BYTES;
      if (this.#unread === 0 && !continuesCopy(this.#code)) {
        done = true;
        break;
      }
    }
    const drained = written > 0 ? this.push(data.subarray(0, written)) : true;
    if (done) {
      if (position < length) this._buffer.push(data.subarray(position));
      this._detach();
      this.push(null);
      this._cleanup();
    }
    return drained;
  }
}

/** Whether a message of this type may come between CopyData messages (anything else ends the copy). */
function continuesCopy(code: number): boolean {
  return code === COPY_DATA || code === COPY_OUT_RESPONSE || code === NOTICE_RESPONSE || code === PARAMETER_STATUS || code === NOTIFICATION_RESPONSE;
}

/** `COPY … TO STDOUT` for `client.query`, its rows' bytes as they come (see CopyOutStream). */
export function copyOut(text: string, options?: ReadableOptions): CopyToStreamQuery {
  return new CopyOutStream(text, options);
}
