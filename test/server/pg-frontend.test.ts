/**
 * The client-side framer of the wire protocol, byte by byte: what pg-protocol's own
 * serializer produces is framed back exactly (whole, split at every byte, several per
 * chunk), and every length that breaks the rules is refused before anything is buffered.
 */
import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { FrontendFramer, MAX_LARGE_MESSAGE_BYTES, MAX_SMALL_MESSAGE_BYTES, MAX_STARTUP_PACKET_BYTES, readStartupMessage } from '../../src/server/pg-frontend.js';
import { ProtocolViolation, readBind } from '../../src/server/pg-messages.js';

const startup = serialize.startup({ user: 'analyst', database: 'shop', application_name: 'bi' });
const sslRequest = serialize.requestSsl();
const session = [
  serialize.query('SELECT 1'),
  serialize.parse({ name: 's1', text: 'SELECT $1::int', types: [23] }),
  serialize.bind({ statement: 's1', values: ['41', null] }),
  serialize.describe({ type: 'P' }),
  serialize.execute({ rows: 10 }),
  serialize.flush(),
  serialize.sync(),
  serialize.end(),
];

function typed(type: string, length: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type.charCodeAt(0);
  header.writeInt32BE(length, 1);
  return Buffer.concat([header, body]);
}

function loggedIn(): FrontendFramer {
  const framer = new FrontendFramer();
  expect(framer.push(startup)).toHaveLength(1);
  expect(framer.beforeStartup).toBe(false);
  return framer;
}

describe('FrontendFramer', () => {
  it('frames SSLRequest, StartupMessage and a session of typed messages sent in one chunk', () => {
    const framer = new FrontendFramer();
    const all = Buffer.concat([sslRequest, startup, ...session]);
    const messages = framer.push(all);
    expect(messages.map((m) => m.toString('hex'))).toEqual([sslRequest, startup, ...session].map((m) => m.toString('hex')));
    expect(framer.buffered).toBe(0);
  });

  it('frames the same bytes split at every position, one byte at a time too', () => {
    const all = Buffer.concat([sslRequest, startup, ...session]);
    const expected = [sslRequest, startup, ...session].map((m) => m.toString('hex'));
    for (let cut = 1; cut < all.length; cut++) {
      const framer = new FrontendFramer();
      const got = [...framer.push(all.subarray(0, cut)), ...framer.push(all.subarray(cut))];
      expect(got.map((m) => m.toString('hex'))).toEqual(expected);
    }
    const framer = new FrontendFramer();
    const got: Buffer[] = [];
    for (const byte of all) got.push(...framer.push(Buffer.from([byte])));
    expect(got.map((m) => m.toString('hex'))).toEqual(expected);
  });

  it('returns messages that do not share memory with the chunk (the caller may reuse it)', () => {
    const framer = loggedIn();
    const chunk = Buffer.from(serialize.query('SELECT 1'));
    const [message] = framer.push(chunk);
    chunk.fill(0);
    expect(message!.subarray(5, 13).toString()).toBe('SELECT 1');
  });

  it('refuses an untyped packet shorter than 8 bytes or longer than 10,000, at its header', () => {
    for (const length of [-1, -(2 ** 31), 0, 4, 7, MAX_STARTUP_PACKET_BYTES + 1, 2 ** 31 - 1]) {
      const header = Buffer.alloc(4);
      header.writeInt32BE(length, 0);
      expect(() => new FrontendFramer().push(header), `length ${length}`).toThrow(new ProtocolViolation('invalid length of startup packet'));
    }
    const largest = Buffer.alloc(MAX_STARTUP_PACKET_BYTES);
    largest.writeInt32BE(MAX_STARTUP_PACKET_BYTES, 0);
    largest.writeInt32BE(196608, 4);
    expect(new FrontendFramer().push(largest)).toHaveLength(1);
  });

  it('refuses a typed message whose length is negative, -1 or under 4, at its header', () => {
    for (const length of [-1, -2, -5, -(2 ** 31), 0, 3]) {
      const framer = loggedIn();
      expect(() => framer.push(typed('Q', length)), `length ${length}`).toThrow(ProtocolViolation);
      expect(() => loggedIn().push(typed('Q', length)), `length ${length}`).toThrow(new RegExp(`invalid message length ${length} for message type "Q"`));
    }
  });

  it('caps Query, Parse, Bind, FunctionCall and CopyData at 16 MiB and everything else at 10,000 bytes, without buffering', () => {
    for (const type of 'QPBFd') {
      const framer = loggedIn();
      expect(() => framer.push(typed(type, MAX_LARGE_MESSAGE_BYTES))).toThrow(/more than the 16777216 sqlml accepts/);
      expect(framer.buffered).toBe(0);
      expect(() => loggedIn().push(typed(type, 2 ** 31 - 1))).toThrow(ProtocolViolation);
    }
    for (const type of 'SHDECXpcf\x00\xff') {
      const framer = loggedIn();
      expect(() => framer.push(typed(type, MAX_SMALL_MESSAGE_BYTES))).toThrow(/more than the 10000 sqlml accepts/);
      expect(framer.buffered).toBe(0);
    }
    // The largest allowed ones pass whole.
    const query = Buffer.alloc(MAX_LARGE_MESSAGE_BYTES, 0x20);
    query[0] = 0x51;
    query.writeInt32BE(MAX_LARGE_MESSAGE_BYTES - 1, 1);
    query[query.length - 1] = 0;
    expect(loggedIn().push(query)[0]!.length).toBe(MAX_LARGE_MESSAGE_BYTES);
  });

  it('holds an incomplete message in one buffer of its announced size and hands it over once complete', () => {
    const framer = loggedIn();
    const message = serialize.query('x'.repeat(100_000));
    expect(framer.push(message.subarray(0, 3))).toEqual([]);
    expect(framer.buffered).toBe(3);
    expect(framer.push(message.subarray(3, 50_000))).toEqual([]);
    expect(framer.buffered).toBe(50_000);
    expect(framer.push(message.subarray(50_000))[0]!.equals(message)).toBe(true);
    expect(framer.buffered).toBe(0);
  });

  it('ends the untyped phase after a CancelRequest too', () => {
    const framer = new FrontendFramer();
    expect(framer.push(serialize.cancel(1, 2))).toHaveLength(1);
    expect(framer.beforeStartup).toBe(false);
  });
});

describe('readStartupMessage', () => {
  it('reads the version and parameters pg-protocol writes', () => {
    expect(readStartupMessage(startup)).toEqual({ majorVersion: 3, minorVersion: 0, parameters: { user: 'analyst', database: 'shop', application_name: 'bi', client_encoding: 'UTF8' } });
  });

  it('refuses a packet whose parameters are not terminated, or that has bytes after the terminator', () => {
    const unterminated = Buffer.from(startup.subarray(0, startup.length - 1));
    unterminated.writeInt32BE(unterminated.length, 0);
    expect(() => readStartupMessage(unterminated)).toThrow(/invalid startup packet layout/);
    const trailing = Buffer.concat([startup, Buffer.from('x\0')]);
    trailing.writeInt32BE(trailing.length, 0);
    expect(() => readStartupMessage(trailing)).toThrow(/invalid startup packet layout/);
  });
});

describe('reading a framed message that lies about its fields', () => {
  it('a Bind whose counts run past its end is a ProtocolViolation, not a RangeError', () => {
    const bind = serialize.bind({ values: ['1'] });
    const cut = Buffer.from(bind.subarray(0, bind.length - 6));
    cut.writeInt32BE(cut.length - 1, 1);
    expect(() => readBind(cut)).toThrow(ProtocolViolation);
    const negative = Buffer.from(bind);
    // The parameter's length (1) followed by its value '1'.
    negative.writeInt32BE(-7, bind.indexOf(Buffer.from([0, 0, 0, 1, 0x31])));
    expect(() => readBind(negative)).toThrow(/invalid length -7 of bound parameter 1/);
  });
});
