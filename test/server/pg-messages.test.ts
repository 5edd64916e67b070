/**
 * The wire serializers of src/server/pg-messages.ts, tested the way node-postgres's
 * pg-protocol tests its own: each backend message's exact bytes (type byte, an Int32
 * length that counts itself, the fields, the terminators), then properties over open
 * inputs — the length field always equals the bytes that follow the type, and what
 * sqlml writes, node-postgres's own parser (pg-protocol, the client every pg driver for
 * node shares) reads back, however the stream is cut into chunks. The frontend readers
 * are checked the other way round: what pg-protocol's serializer sends, they read back.
 */
import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';
import { describe, expect, it } from 'vitest';
import {
  CANCEL_REQUEST_CODE,
  MAX_SERVER_MESSAGE_BYTES,
  MessageFramer,
  MessageReader,
  MessageWriter,
  ProtocolViolation,
  authenticationCleartextPassword,
  authenticationMd5,
  authenticationOk,
  backendKeyData,
  commandComplete,
  emptyMessage,
  errorResponse,
  negotiateProtocolVersion,
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
} from '../../src/server/pg-messages.js';

/** A message's bytes from its type byte and a body written as a list of pieces. */
function bytes(type: string, ...body: (string | number[] | Buffer)[]): Buffer {
  const parts = body.map((piece) => (typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.from(piece)));
  const length = 4 + parts.reduce((sum, part) => sum + part.length, 0);
  const header = Buffer.alloc(5);
  header[0] = type.charCodeAt(0);
  header.writeInt32BE(length, 1);
  return Buffer.concat([header, ...parts]);
}
const int16 = (value: number): number[] => [(value >> 8) & 0xff, value & 0xff];
const int32 = (value: number): number[] => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const NUL = [0];

/** Backend messages as node-postgres reads them, the stream cut into chunks at `cuts`. */
function parsed(stream: Buffer, cuts: readonly number[] = []): BackendMessage[] {
  const parser = new Parser();
  const messages: BackendMessage[] = [];
  const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const point of [...points, stream.length]) {
    if (point > start) parser.parse(stream.subarray(start, point), (message) => messages.push(message));
    start = Math.max(start, point);
  }
  return messages;
}

/** The one message `message` is, as node-postgres reads it. */
function parsedOne(message: Buffer): Record<string, unknown> {
  const messages = parsed(message);
  expect(messages).toHaveLength(1);
  return messages[0] as unknown as Record<string, unknown>;
}

/** Text the protocol can carry in a C string: any Unicode (multi-byte UTF-8 too) but NUL. */
const text = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replaceAll('\0', ''));
const int32s = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

describe('backend messages: exact bytes', () => {
  it('messages without a body are the type byte and the length 4', () => {
    for (const type of ['1', '2', '3', 'n', 'I', 's'] as const) {
      expect(emptyMessage(type)).toEqual(bytes(type));
      expect(emptyMessage(type)).toEqual(Buffer.from([type.charCodeAt(0), 0, 0, 0, 4]));
    }
    expect(parsed(Buffer.concat((['1', '2', '3', 'n', 'I', 's'] as const).map(emptyMessage))).map((m) => m.name)).toEqual([
      'parseComplete',
      'bindComplete',
      'closeComplete',
      'noData',
      'emptyQuery',
      'portalSuspended',
    ]);
  });

  it('ReadyForQuery: Z, length 5, the transaction status byte', () => {
    expect(readyForQuery('I')).toEqual(Buffer.from([0x5a, 0, 0, 0, 5, 0x49]));
    expect(readyForQuery('T')).toEqual(bytes('Z', 'T'));
    expect(readyForQuery('E')).toEqual(bytes('Z', 'E'));
    expect(parsedOne(readyForQuery('T'))).toMatchObject({ name: 'readyForQuery', status: 'T' });
  });

  it('CommandComplete: C, length, the tag and its NUL', () => {
    expect(commandComplete('SELECT 1')).toEqual(Buffer.from([0x43, 0, 0, 0, 13, ...Buffer.from('SELECT 1'), 0]));
    expect(commandComplete('')).toEqual(Buffer.from([0x43, 0, 0, 0, 5, 0]));
    expect(parsedOne(commandComplete('INSERT 0 3'))).toMatchObject({ name: 'commandComplete', text: 'INSERT 0 3' });
  });

  it('ParameterStatus: S, length, name and value each NUL-terminated', () => {
    expect(parameterStatus('client_encoding', 'UTF8')).toEqual(bytes('S', 'client_encoding', NUL, 'UTF8', NUL));
    expect(parameterStatus('application_name', '')).toEqual(bytes('S', 'application_name', NUL, NUL));
    expect(parsedOne(parameterStatus('TimeZone', 'Europe/Zürich'))).toMatchObject({ name: 'parameterStatus', parameterName: 'TimeZone', parameterValue: 'Europe/Zürich' });
  });

  it('BackendKeyData: K, length 12, process id and secret key as signed Int32', () => {
    expect(backendKeyData(1234, -5)).toEqual(Buffer.from([0x4b, 0, 0, 0, 12, 0, 0, 0x04, 0xd2, 0xff, 0xff, 0xff, 0xfb]));
    expect(parsedOne(backendKeyData(2 ** 31 - 1, -(2 ** 31)))).toMatchObject({ name: 'backendKeyData', processID: 2 ** 31 - 1, secretKey: -(2 ** 31) });
  });

  it('Authentication requests: R, length, the Int32 request code (and the MD5 salt)', () => {
    expect(authenticationOk()).toEqual(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]));
    expect(authenticationCleartextPassword()).toEqual(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
    expect(authenticationMd5(Buffer.from([1, 2, 3, 4]))).toEqual(Buffer.from([0x52, 0, 0, 0, 12, 0, 0, 0, 5, 1, 2, 3, 4]));
    expect(parsedOne(authenticationOk())).toMatchObject({ name: 'authenticationOk' });
    expect(parsedOne(authenticationCleartextPassword())).toMatchObject({ name: 'authenticationCleartextPassword' });
    const md5 = parsedOne(authenticationMd5(Buffer.from([0xde, 0xad, 0xbe, 0xef])));
    expect(md5).toMatchObject({ name: 'authenticationMD5Password' });
    expect([...(md5.salt as Buffer)]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('NegotiateProtocolVersion: v, length, the version 3.minor, the count and the options not recognized', () => {
    expect(negotiateProtocolVersion(0, [])).toEqual(bytes('v', int32(0x30000), int32(0)));
    expect(negotiateProtocolVersion(2, ['_pq_.a', '_pq_.bé'])).toEqual(bytes('v', int32(0x30002), int32(2), '_pq_.a', NUL, '_pq_.bé', NUL));
  });

  it('ParameterDescription: t, length, an Int16 count, an Int32 type OID each', () => {
    expect(parameterDescription([])).toEqual(Buffer.from([0x74, 0, 0, 0, 6, 0, 0]));
    expect(parameterDescription([23, 25])).toEqual(bytes('t', int16(2), int32(23), int32(25)));
    expect(parsedOne(parameterDescription([20, 1043, 0]))).toMatchObject({ name: 'parameterDescription', parameterCount: 3, dataTypeIDs: [20, 1043, 0] });
  });

  it('ErrorResponse and NoticeResponse: each field a code byte and a C string, absent fields left out, a final NUL', () => {
    const error: ErrorFields = { severity: 'ERROR', code: '42601', message: 'syntax error at or near "FORM"', detail: 'd', hint: 'h', position: 10 };
    expect(errorResponse(error)).toEqual(
      bytes('E', 'S', 'ERROR', NUL, 'V', 'ERROR', NUL, 'C', '42601', NUL, 'M', 'syntax error at or near "FORM"', NUL, 'D', 'd', NUL, 'H', 'h', NUL, 'P', '10', NUL, NUL),
    );
    expect(errorResponse({ severity: 'FATAL', code: '28P01', message: '' })).toEqual(bytes('E', 'S', 'FATAL', NUL, 'V', 'FATAL', NUL, 'C', '28P01', NUL, 'M', NUL, NUL));
    expect(errorResponse({ severity: 'NOTICE', code: '00000', message: 'n' })[0]).toBe(0x4e);
    expect(parsedOne(errorResponse(error))).toMatchObject({ name: 'error', severity: 'ERROR', code: '42601', message: error.message, detail: 'd', hint: 'h', position: '10' });
    expect(parsedOne(errorResponse({ severity: 'NOTICE', code: '01000', message: 'careful' }))).toMatchObject({ name: 'notice', severity: 'NOTICE', code: '01000', message: 'careful' });
  });

  it('MessageWriter grows past its first buffer and starts afresh after finish', () => {
    const writer = new MessageWriter();
    const long = 'ü'.repeat(1000); // 2,000 bytes of UTF-8
    const first = writer.cstring(long).int32(-1).int16(-2).byte(7).bytes(Buffer.from([9, 9])).finish('X');
    expect(first).toEqual(bytes('X', long, NUL, int32(-1), int16(-2), [7, 9, 9]));
    expect(writer.byte(1).finish('Y')).toEqual(bytes('Y', [1]));
  });
});

describe('backend messages: properties', () => {
  /** One backend message from open inputs, and what node-postgres must read from it. */
  const backendMessage = fc.oneof(
    fc.constantFrom('1', '2', '3', 'n', 'I', 's').map((type) => ({ message: emptyMessage(type as '1'), expected: {} })),
    fc.constantFrom('I', 'T', 'E').map((status) => ({ message: readyForQuery(status as 'I'), expected: { name: 'readyForQuery', status } })),
    text.map((tag) => ({ message: commandComplete(tag), expected: { name: 'commandComplete', text: tag } })),
    fc.tuple(text, text).map(([name, value]) => ({ message: parameterStatus(name, value), expected: { name: 'parameterStatus', parameterName: name, parameterValue: value } })),
    fc.tuple(int32s, int32s).map(([pid, key]) => ({ message: backendKeyData(pid, key), expected: { name: 'backendKeyData', processID: pid, secretKey: key } })),
    fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { maxLength: 20 }).map((oids) => ({
      message: parameterDescription(oids),
      expected: { name: 'parameterDescription', parameterCount: oids.length, dataTypeIDs: oids },
    })),
    fc
      .record(
        {
          severity: fc.constantFrom('ERROR', 'FATAL', 'NOTICE' as const),
          code: fc.stringMatching(/^[0-9A-Z]{5}$/),
          message: text,
          detail: text,
          hint: text,
          position: fc.integer({ min: 1, max: 1_000_000 }),
        },
        { requiredKeys: ['severity', 'code', 'message'] },
      )
      .map((fields) => ({
        message: errorResponse(fields as ErrorFields),
        expected: {
          name: fields.severity === 'NOTICE' ? 'notice' : 'error',
          severity: fields.severity,
          code: fields.code,
          message: fields.message,
          detail: fields.detail,
          hint: fields.hint,
          position: fields.position === undefined ? undefined : String(fields.position),
        },
      })),
  );

  it('the length field always counts itself and the body: the message is 1 + length bytes', () => {
    fc.assert(
      fc.property(backendMessage, ({ message }) => {
        expect(message.readInt32BE(1)).toBe(message.length - 1);
        expect(message.readInt32BE(1)).toBeGreaterThanOrEqual(4);
      }),
    );
  });

  it('node-postgres reads back every field, whatever the text and however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(backendMessage, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (messages, cuts) => {
        const stream = Buffer.concat(messages.map((m) => m.message));
        const read = parsed(stream, cuts);
        expect(read).toHaveLength(messages.length);
        read.forEach((message, i) => {
          expect(message.length).toBe(messages[i]!.message.length - 1);
          expect(message).toMatchObject(messages[i]!.expected);
        });
      }),
    );
  });

  it('MessageFramer hands over exactly the messages of a stream cut anywhere, each once, in order', () => {
    fc.assert(
      fc.property(fc.array(backendMessage, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (messages, cuts) => {
        const stream = Buffer.concat(messages.map((m) => m.message));
        const framer = new MessageFramer();
        const out: Buffer[] = [];
        const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1))), stream.length].sort((a, b) => a - b);
        let start = 0;
        for (const point of points) {
          out.push(...framer.push(stream.subarray(start, point)));
          start = point;
        }
        expect(out.map((m) => m.toString('hex'))).toEqual(messages.map((m) => m.message.toString('hex')));
      }),
    );
  });

  it('MessageFramer refuses a length shorter than itself or beyond what a server can send, instead of looping or buffering', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -0x80000000, max: 3 }), fc.integer({ min: MAX_SERVER_MESSAGE_BYTES + 1, max: 0x7fffffff })), (length) => {
        const header = Buffer.alloc(5);
        header[0] = 0x44; // D
        header.writeInt32BE(length, 1);
        const framer = new MessageFramer();
        // A good message first: what came before the bad length is not what fails.
        expect(framer.push(readyForQuery('I'))).toHaveLength(1);
        expect(() => framer.push(header)).toThrow(ProtocolViolation);
      }),
    );
  });

  it('NegotiateProtocolVersion lists every option it was given, in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.array(text, { maxLength: 5 }), (minor, options) => {
        const message = negotiateProtocolVersion(minor, options);
        expect(message.readInt32BE(1)).toBe(message.length - 1);
        const reader = new MessageReader(message);
        expect(reader.int32()).toBe((3 << 16) | minor);
        expect(reader.int32()).toBe(options.length);
        expect(options.map(() => reader.cstring())).toEqual(options);
      }),
    );
  });
});

describe('frontend messages: what node-postgres sends, the readers read back', () => {
  it('Query, Parse, Describe, Close and Execute', () => {
    expect(readQuery(serialize.query('SELECT 1'))).toBe('SELECT 1');
    expect(readParse(serialize.parse({ name: 's1', text: 'SELECT $1::int', types: [23] }))).toEqual({ statement: 's1', query: 'SELECT $1::int', parameterTypes: [23] });
    expect(readTarget(serialize.describe({ type: 'S', name: 's1' }))).toEqual({ target: 'S', name: 's1' });
    expect(readTarget(serialize.close({ type: 'P', name: '' }))).toEqual({ target: 'P', name: '' });
    expect(readExecute(serialize.execute({ portal: 'p', rows: 5 }))).toEqual({ portal: 'p', maxRows: 5 });
    expect(readExecute(serialize.execute())).toEqual({ portal: '', maxRows: 0 });
  });

  it('Bind: text, binary and NULL parameters, formats expanded per parameter', () => {
    const bind = readBind(serialize.bind({ portal: 'p', statement: 's', values: ['x', null, Buffer.from([0, 1]), 'ü'], binary: true }));
    expect(bind).toEqual({
      portal: 'p',
      statement: 's',
      parameterFormats: [0, 0, 1, 0],
      parameters: [Buffer.from('x'), null, Buffer.from([0, 1]), Buffer.from('ü')],
      resultFormats: [1],
    });
  });

  it('a Bind, Parse or ParameterDescription with more than 32,767 parameters (PostgreSQL takes up to 65,535): the counts are unsigned', () => {
    const values = Array.from({ length: 40_000 }, (_, i) => String(i));
    const bind = readBind(serialize.bind({ values }));
    expect(bind.parameters).toHaveLength(40_000);
    expect(bind.parameters[39_999]!.toString()).toBe('39999');
    expect(bind.parameterFormats).toHaveLength(40_000);
    expect(readParse(serialize.parse({ text: 'SELECT', types: Array(40_000).fill(25) })).parameterTypes).toHaveLength(40_000);
    const description = parameterDescription(Array(65_535).fill(25));
    expect(description.readInt32BE(1)).toBe(description.length - 1);
    expect(description.readUInt16BE(5)).toBe(65_535);
  });

  it('every reader reads back any names, query text and parameters it is sent', () => {
    const parameter = fc.oneof(text, fc.constant(null), fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)));
    fc.assert(
      fc.property(text, text, text, fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { maxLength: 10 }), fc.array(parameter, { maxLength: 10 }), fc.boolean(), fc.nat(), (name, portal, query, types, values, binary, rows) => {
        expect(readQuery(serialize.query(query))).toBe(query);
        expect(readParse(serialize.parse({ name, text: query, types }))).toEqual({ statement: name, query, parameterTypes: types });
        const bind = readBind(serialize.bind({ portal, statement: name, values, binary }));
        expect(bind.portal).toBe(portal);
        expect(bind.statement).toBe(name);
        expect(bind.resultFormats).toEqual([binary ? 1 : 0]);
        expect(bind.parameterFormats).toEqual(values.map((v) => (v instanceof Buffer ? 1 : 0)));
        expect(bind.parameters).toEqual(values.map((v) => (v === null ? null : typeof v === 'string' ? Buffer.from(v) : v)));
        for (const type of ['S', 'P'] as const) {
          expect(readTarget(serialize.describe({ type, name }))).toEqual({ target: type, name });
          expect(readTarget(serialize.close({ type, name }))).toEqual({ target: type, name });
        }
        expect(readExecute(serialize.execute({ portal, rows }))).toEqual({ portal, maxRows: rows });
      }),
    );
  });

  it('a message cut short anywhere is a ProtocolViolation, never another error', () => {
    const message = fc.oneof(
      fc.tuple(text, text).map(([name, query]) => ({ read: readParse, bytes: serialize.parse({ name, text: query, types: [23, 25] }) })),
      fc.tuple(text, fc.array(fc.oneof(text, fc.constant(null)), { maxLength: 4 })).map(([portal, values]) => ({ read: readBind, bytes: serialize.bind({ portal, values }) })),
      text.map((name) => ({ read: readTarget, bytes: serialize.describe({ type: 'S', name }) })),
      text.map((portal) => ({ read: readExecute, bytes: serialize.execute({ portal, rows: 1 }) })),
      text.map((query) => ({ read: readQuery, bytes: serialize.query(query) })),
    );
    fc.assert(
      fc.property(message, fc.nat(), ({ read, bytes: whole }, cut) => {
        const short = Buffer.from(whole.subarray(0, 5 + (cut % (whole.length - 5))));
        short.writeInt32BE(short.length - 1, 1);
        let thrown: unknown;
        try {
          read(short);
        } catch (error) {
          thrown = error;
        }
        // A C string cut short is unterminated; one cut at a NUL boundary may still read.
        if (thrown !== undefined) expect(thrown).toBeInstanceOf(ProtocolViolation);
      }),
    );
    expect(() => readBind(bytes('B', NUL, NUL, int16(0), int16(1), int32(-2)))).toThrow(ProtocolViolation);
    expect(() => readTarget(bytes('D', 'X', NUL))).toThrow(ProtocolViolation);
  });

  it('the untyped pre-startup packets: their request code, and a CancelRequest key', () => {
    const cancel = serialize.cancel(4321, -99);
    expect(startupCode(cancel)).toBe(CANCEL_REQUEST_CODE);
    expect(readCancelRequest(cancel)).toEqual({ processId: 4321, secretKey: -99 });
    expect(startupCode(serialize.requestSsl())).toBe(80877103);
    expect(startupCode(Buffer.from([0, 0, 0, 4]))).toBe(0);
  });
});
