/**
 * The framing of every backend message sqlml builds (src/server/pg-messages.ts and
 * pg-encode.ts), checked against the layouts of the protocol documentation by a walker
 * of its own (not node-postgres, which pg-messages.test.ts uses to read fields back):
 * the length field counts exactly the body, every C string ends at its own NUL and none
 * holds one, every count matches what follows. And the other side: a value that does
 * not fit its field (a column count past Int16, a NUL in a name, NaN where an integer
 * goes) is one WireValueError naming the field, never a wrapped number or a message
 * cut in the wrong place.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnType, ResultColumn, Value } from '../../src/data.js';
import { dataRow, errorFields, rowDescription } from '../../src/server/pg-encode.js';
import {
  MessageWriter,
  WireValueError,
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
  readCancelRequest,
  ProtocolViolation,
  readyForQuery,
  type ErrorFields,
} from '../../src/server/pg-messages.js';
import { binaryParameterText } from '../../src/server/pg-literals.js';

/** Reads a body field by field; `done()` says whether every byte was taken. */
class Walker {
  #at = 5;
  constructor(readonly message: Buffer) {}
  int16(): number {
    const v = this.message.readInt16BE(this.#at);
    this.#at += 2;
    return v;
  }
  uint16(): number {
    const v = this.message.readUInt16BE(this.#at);
    this.#at += 2;
    return v;
  }
  int32(): number {
    const v = this.message.readInt32BE(this.#at);
    this.#at += 4;
    return v;
  }
  byte(): number {
    return this.message[this.#at++]!;
  }
  bytes(n: number): Buffer {
    expect(this.#at + n).toBeLessThanOrEqual(this.message.length);
    const v = this.message.subarray(this.#at, this.#at + n);
    this.#at += n;
    return v;
  }
  cstring(): string {
    const end = this.message.indexOf(0, this.#at);
    expect(end).toBeGreaterThanOrEqual(this.#at);
    const v = this.message.toString('utf8', this.#at, end);
    this.#at = end + 1;
    return v;
  }
  done(): void {
    expect(this.#at).toBe(this.message.length);
  }
}

/** Walks a message by its type's documented layout; returns what it read. */
function walk(message: Buffer): unknown {
  expect(message.readInt32BE(1)).toBe(message.length - 1);
  const w = new Walker(message);
  const type = String.fromCharCode(message[0]!);
  let read: unknown;
  switch (type) {
    case 'T': {
      const n = w.int16();
      read = Array.from({ length: n }, () => ({ name: w.cstring(), table: w.int32(), attribute: w.int16(), oid: w.int32(), size: w.int16(), modifier: w.int32(), format: w.int16() }));
      break;
    }
    case 'D': {
      const n = w.int16();
      read = Array.from({ length: n }, () => {
        const length = w.int32();
        return length === -1 ? null : w.bytes(length);
      });
      break;
    }
    case 'C':
      read = w.cstring();
      break;
    case 'S':
      read = [w.cstring(), w.cstring()];
      break;
    case 'K':
      read = [w.int32(), w.int32()];
      break;
    case 'R': {
      const code = w.int32();
      read = code === 5 ? [code, w.bytes(4)] : [code];
      break;
    }
    case 'Z':
      read = String.fromCharCode(w.byte());
      break;
    case 't': {
      const n = w.uint16();
      read = Array.from({ length: n }, () => w.int32());
      break;
    }
    case 'v': {
      const version = w.int32();
      const n = w.int32();
      read = [version, Array.from({ length: n }, () => w.cstring())];
      break;
    }
    case 'E':
    case 'N': {
      const fields: Record<string, string> = {};
      for (let code = w.byte(); code !== 0; code = w.byte()) fields[String.fromCharCode(code)] = w.cstring();
      read = fields;
      break;
    }
    default:
      read = null; // the bodiless ones
  }
  w.done();
  return read;
}

/** Any text, NUL included: the builders must either carry it whole or refuse it. */
const anyText = fc.string({ unit: 'binary', maxLength: 30 });
const TYPES: readonly ColumnType[] = ['boolean', 'integer', 'bigint', 'double', 'decimal', 'text', 'date', 'timestamp', 'other'];

/** Runs `build`; its message, or the WireValueError it threw (any other error fails the test). */
function builtOrRefused(build: () => Buffer): Buffer | WireValueError {
  try {
    return build();
  } catch (error) {
    expect(error).toBeInstanceOf(WireValueError);
    return error as WireValueError;
  }
}

describe('every backend message: its layout, walked field by field', () => {
  it('messages with text fields carry the text whole, or refuse a NUL in it naming the field', () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        const cases: [() => Buffer, unknown][] = [
          [() => commandComplete(a), a],
          [() => parameterStatus(a, b), [a, b]],
          [() => negotiateProtocolVersion(0, [a, b]), [0x30000, [a, b]]],
        ];
        for (const [build, expected] of cases) {
          const out = builtOrRefused(build);
          if (out instanceof WireValueError) {
            expect(a.includes('\0') || b.includes('\0')).toBe(true);
            expect(out.message).toMatch(/holds a NUL character \(at character \d+\)/);
            expect(out.sqlstate).toBe('22021');
          } else {
            expect(walk(out)).toEqual(expected);
          }
        }
      }),
    );
  });

  it('ErrorResponse always goes out, a NUL in its text shown as \\0 so the message stays framed', () => {
    fc.assert(
      fc.property(anyText, anyText, fc.option(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { nil: undefined }), (message, detail, position) => {
        const fields: ErrorFields = { severity: 'ERROR', code: '22000', message, detail, ...(position === undefined ? {} : { position }) };
        const read = walk(errorResponse(fields)) as Record<string, string>;
        expect(read.M).toBe(message.replaceAll('\0', '\\0'));
        expect(read.D).toBe(detail.replaceAll('\0', '\\0'));
        expect(read.P).toBe(position === undefined ? undefined : String(position));
        expect(read.C).toBe('22000');
      }),
    );
  });

  it('the fixed-layout messages: integers back as given', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(int32, int32, fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { maxLength: 50 }), (pid, key, salt, oids) => {
        expect(walk(backendKeyData(pid, key))).toEqual([pid, key]);
        expect(walk(authenticationMd5(salt))).toEqual([5, Buffer.from(salt)]);
        expect(walk(authenticationOk())).toEqual([0]);
        expect(walk(authenticationCleartextPassword())).toEqual([3]);
        expect(walk(parameterDescription(oids))).toEqual(oids);
        for (const status of ['I', 'T', 'E'] as const) expect(walk(readyForQuery(status))).toBe(status);
        for (const type of ['1', '2', '3', 'n', 'I', 's'] as const) expect(walk(emptyMessage(type))).toBeNull();
      }),
    );
  });

  it('RowDescription and DataRow of any result: one field per column, each value its own length, or a refusal naming the column', () => {
    const value: fc.Arbitrary<Value> = fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.integer(), anyText, fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String));
    const column = fc.record({ name: anyText, type: fc.constantFrom(...TYPES) });
    fc.assert(
      fc.property(fc.array(column, { minLength: 0, maxLength: 6 }), fc.array(fc.constantFrom(0, 1), { maxLength: 6 }), fc.array(value, { minLength: 6, maxLength: 6 }), (columns, formats, values) => {
        // decimal has no binary form: checkFormats refuses it before any row is built.
        const usable = formats.map((f, i) => (columns[i]?.type === 'decimal' ? 0 : f));
        const description = builtOrRefused(() => rowDescription(columns, usable));
        if (description instanceof WireValueError) {
          expect(columns.some((c) => c.name.includes('\0'))).toBe(true);
          expect(description.message).toMatch(/^the name of result column \d+ holds a NUL/);
        } else {
          const fields = walk(description) as { name: string; format: number }[];
          expect(fields.map((f) => f.name)).toEqual(columns.map((c) => c.name));
          expect(fields.map((f) => f.format)).toEqual(columns.map((_, i) => usable[i] ?? 0));
        }
        const row = values.slice(0, columns.length);
        const built = builtOrRefused(() => dataRow(row, columns, usable));
        if (built instanceof WireValueError) {
          expect(built.sqlstate).toBe('22P03');
          expect(built.message).toMatch(/has no binary form sqlml can send; ask for text format$/);
          return;
        }
        const read = walk(built) as (Buffer | null)[];
        expect(read).toHaveLength(row.length);
        read.forEach((field, i) => expect(field === null).toBe(row[i] === null));
      }),
    );
  });
});

describe('values that do not fit their field', () => {
  it('every integer write checks its range: in range it reads back, outside (or not an integer) it is refused naming the field', () => {
    const fields = [
      { write: (w: MessageWriter, v: number) => w.int16(v, 'the x'), min: -0x8000, max: 0x7fff, read: (b: Buffer) => b.readInt16BE(5) },
      { write: (w: MessageWriter, v: number) => w.uint16(v, 'the x'), min: 0, max: 0xffff, read: (b: Buffer) => b.readUInt16BE(5) },
      { write: (w: MessageWriter, v: number) => w.int32(v, 'the x'), min: -0x80000000, max: 0x7fffffff, read: (b: Buffer) => b.readInt32BE(5) },
      { write: (w: MessageWriter, v: number) => w.byte(v, 'the x'), min: 0, max: 0xff, read: (b: Buffer) => b[5]! },
    ];
    const anyNumber = fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0x8000, -0x8001, 0x10000, 256, -1));
    fc.assert(
      fc.property(fc.constantFrom(...fields), anyNumber, (field, value) => {
        const writer = new MessageWriter();
        if (Number.isInteger(value) && value >= field.min && value <= field.max) {
          // The wire has no negative zero: -0 goes out as 0 (`+ 0` turns -0 into 0, and nothing else).
          expect(field.read(field.write(writer, value).finish('X'))).toBe(value + 0);
        } else {
          expect(() => field.write(writer, value)).toThrow(WireValueError);
          expect(() => field.write(new MessageWriter(), value)).toThrow(new RegExp(`^the x ${String(value).replace(/[.+]/g, '\\$&')} does not fit the PostgreSQL protocol's`));
        }
      }),
    );
  });

  it('a result of 32,768 columns is refused (54000, the column count named); 32,767 is framed and counted', () => {
    const columns = (n: number): ResultColumn[] => Array.from({ length: n }, (_, i) => ({ name: `c${i}`, type: 'integer' }));
    const widest = rowDescription(columns(32_767));
    expect(widest.readInt16BE(5)).toBe(32_767);
    expect((walk(widest) as unknown[]).length).toBe(32_767);
    expect(walk(dataRow(Array(32_767).fill(1), columns(32_767)))).toHaveLength(32_767);
    let thrown: unknown;
    try {
      rowDescription(columns(32_768));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WireValueError);
    expect(errorFields(thrown)).toEqual({
      severity: 'ERROR',
      code: '54000',
      message: "the column count of the result 32768 does not fit the PostgreSQL protocol's Int16 field (-32768 to 32767)",
    });
    expect(() => dataRow(Array(32_768).fill(1), columns(32_768))).toThrow(/column count of the result 32768/);
  });

  it('a C string holding NUL is refused with where the NUL is; errorFields answers it as 22021', () => {
    expect(() => new MessageWriter().cstring('ab\0c', 'the name of result column 2')).toThrow('the name of result column 2 holds a NUL character (at character 3)');
    let thrown: unknown;
    try {
      rowDescription([{ name: 'ok', type: 'text' }, { name: 'a\0b', type: 'text' }]);
    } catch (error) {
      thrown = error;
    }
    expect(errorFields(thrown)).toMatchObject({ code: '22021', message: expect.stringMatching(/^the name of result column 2 holds a NUL/) });
  });

  it('binary values with no binary form are refused naming the column, never written as 0', () => {
    const binary = (value: Value, type: ColumnType): Buffer => dataRow([value], [{ name: 'v', type }], [1]);
    expect(() => binary(Number.NaN, 'integer')).toThrow('the value "NaN" of column v (integer) has no binary form sqlml can send; ask for text format');
    expect(() => binary('', 'integer')).toThrow(WireValueError);
    expect(() => binary(2 ** 31, 'integer')).toThrow(WireValueError);
    expect(() => binary('9223372036854775808', 'bigint')).toThrow(WireValueError);
    expect(() => binary('infinity', 'date')).toThrow(WireValueError);
    expect(() => binary('not a time', 'timestamp')).toThrow(WireValueError);
    expect(() => binary('maybe', 'boolean')).toThrow(WireValueError);
    expect(binary('true', 'boolean').subarray(-1)[0]).toBe(1);
    expect(binary(' -7 ', 'integer').readInt32BE(11)).toBe(-7);
  });

  it('a binary bind parameter of the wrong width is refused as PostgreSQL does (22P03), not read short or cut', () => {
    expect(binaryParameterText(Buffer.from([0, 0, 0, 42]), 23, 1)).toBe('42');
    expect(() => binaryParameterText(Buffer.from([0, 0, 42]), 23, 1)).toThrow('incorrect binary data format in bind parameter 1: 3 bytes for a type of 4');
    expect(() => binaryParameterText(Buffer.alloc(8), 23, 2)).toThrow(WireValueError);
    expect(() => binaryParameterText(Buffer.alloc(0), 16, 3)).toThrow(WireValueError);
    expect(() => binaryParameterText(Buffer.alloc(4), 701, 4)).toThrow(WireValueError);
  });

  it('a CancelRequest of the wrong length is a ProtocolViolation, not a RangeError', () => {
    expect(() => readCancelRequest(Buffer.alloc(12))).toThrow(ProtocolViolation);
  });
});
