/**
 * sqlml results on the PostgreSQL wire (src/server/pg-encode.ts): the exact bytes of
 * RowDescription and DataRow, the CommandComplete tags, and properties over any result —
 * node-postgres's parser (pg-protocol) reads back every column and value, and the binary
 * forms decode to the values sent.
 */
import fc from 'fast-check';
import { Parser } from 'pg-protocol/dist/parser.js';
import { describe, expect, it } from 'vitest';
import type { ColumnType, ResultColumn, Value } from '../../src/data.js';
import { commandTag, dataRow, resultMessages, rowDescription, textValue, typeOidOf } from '../../src/server/pg-encode.js';

const int16 = (value: number): Buffer => Buffer.from([(value >> 8) & 0xff, value & 0xff]);
const int32 = (value: number): Buffer => Buffer.from([(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);

/** The fields of a DataRow message: 'D', int32 length, int16 count, then int32 length + bytes each. */
function fields(message: Buffer): Buffer[] {
  const count = message.readInt16BE(5);
  const out: Buffer[] = [];
  for (let i = 0, at = 7; i < count; i++) {
    const length = message.readInt32BE(at);
    out.push(message.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

describe('wire values of wide numbers', () => {
  it('sends a BIGINT beyond 2^53, carried as exact text, exactly in binary and text format', () => {
    const columns = [{ name: 'id', type: 'bigint' as const }];
    expect(fields(dataRow(['9223372036854775807'], columns, [1]))[0]!.readBigInt64BE(0)).toBe(9223372036854775807n);
    expect(fields(dataRow([-42], columns, [1]))[0]!.readBigInt64BE(0)).toBe(-42n);
    expect(fields(dataRow(['9223372036854775806'], columns, [0]))[0]!.toString()).toBe('9223372036854775806');
    expect(textValue('12345678901234567890.1234567890', 'decimal')).toBe('12345678901234567890.1234567890');
  });
});

/** Backend messages as node-postgres reads them (DataRow fields as text). */
function parsed(stream: Buffer): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  new Parser().parse(stream, (message) => messages.push(message as unknown as Record<string, unknown>));
  return messages;
}

const TYPES: readonly ColumnType[] = ['boolean', 'integer', 'bigint', 'double', 'decimal', 'text', 'date', 'timestamp', 'other'];

describe('RowDescription, DataRow and CommandComplete: exact bytes', () => {
  it('RowDescription: T, length, an Int16 count, per column its name, table 0, attribute 0, type OID, type length, modifier -1, format', () => {
    const message = rowDescription([{ name: 'id', type: 'integer' }, { name: 'naïve', type: 'text' }], [1, 0]);
    const column = (name: string, oid: number, length: number, format: number): Buffer =>
      Buffer.concat([Buffer.from(name), Buffer.from([0]), Buffer.from([0, 0, 0, 0, 0, 0]), int32(oid), int16(length), int32(-1), int16(format)]);
    const body = Buffer.concat([int16(2), column('id', 23, 4, 1), column('naïve', 25, -1, 0)]);
    expect(message).toEqual(Buffer.concat([Buffer.from('T'), int32(4 + body.length), body]));
    expect(rowDescription([])).toEqual(Buffer.from([0x54, 0, 0, 0, 6, 0, 0]));
  });

  it('DataRow: D, length, an Int16 count, per value an Int32 length and its text (-1 and nothing for NULL)', () => {
    const columns = [{ name: 'a', type: 'integer' as const }, { name: 'b', type: 'text' as const }, { name: 'c', type: 'boolean' as const }];
    const body = Buffer.concat([int16(3), int32(2), Buffer.from('42'), int32(-1), int32(1), Buffer.from('t')]);
    expect(dataRow([42, null, true], columns)).toEqual(Buffer.concat([Buffer.from('D'), int32(4 + body.length), body]));
    expect(dataRow([], [])).toEqual(Buffer.from([0x44, 0, 0, 0, 6, 0, 0]));
  });

  it('the CommandComplete tags drivers count rows from', () => {
    const table = (command: string, rowsAffected?: number, columns: ResultColumn[] = [], rows: Value[][] = []) => ({ command, columns, rows, rowsAffected });
    expect(commandTag(table('SELECT', undefined, [{ name: 'x', type: 'integer' }], [[1], [2]]))).toBe('SELECT 2');
    expect(commandTag(table('EVALUATE MODEL', undefined, [{ name: 'auc', type: 'double' }], [[0.9]]))).toBe('SELECT 1');
    expect(commandTag(table('SELECT', undefined, [{ name: 'x', type: 'integer' }], [[1], [2]]), 1)).toBe('SELECT 1');
    expect(commandTag(table('insert', 3))).toBe('INSERT 0 3');
    expect(commandTag(table('UPDATE', 10))).toBe('UPDATE 10');
    expect(commandTag(table('DELETE'))).toBe('DELETE 0');
    expect(commandTag(table('CREATE TABLE'))).toBe('CREATE TABLE');
  });
});

describe('results as node-postgres reads them', () => {
  /** A value of a column type, as sqlml results carry it. */
  const valueOf = (type: ColumnType): fc.Arbitrary<Value> => {
    const present: fc.Arbitrary<Value> = (() => {
      switch (type) {
        case 'boolean':
          return fc.boolean();
        case 'integer':
          return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
        case 'bigint':
          return fc.oneof(fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String));
        case 'double':
          return fc.double();
        case 'date':
          return fc.date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
        case 'timestamp':
          return fc.date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString());
        default:
          return fc.string({ unit: 'binary', maxLength: 30 });
      }
    })();
    return fc.option(present, { nil: null, freq: 5 });
  };
  const result = fc
    .array(fc.record({ name: fc.string({ unit: 'binary', maxLength: 20 }).map((s) => s.replaceAll('\0', '')), type: fc.constantFrom(...TYPES) }), { minLength: 1, maxLength: 6 })
    .chain((columns) => fc.record({ columns: fc.constant(columns), rows: fc.array(fc.tuple(...columns.map((c) => valueOf(c.type))), { maxLength: 5 }) }));

  it('every column and every value of any result, in text format: names, type OIDs, the text of each value, NULLs, the row count', () => {
    fc.assert(
      fc.property(result, ({ columns, rows }) => {
        const messages = parsed(Buffer.concat(resultMessages({ command: 'SELECT', columns, rows })));
        expect(messages).toHaveLength(rows.length + 2);
        expect(messages[0]).toMatchObject({ name: 'rowDescription', fieldCount: columns.length });
        expect((messages[0]!.fields as { name: string; dataTypeID: number; format: string }[]).map((f) => [f.name, f.dataTypeID, f.format])).toEqual(
          columns.map((c) => [c.name, typeOidOf(c.type), 'text']),
        );
        rows.forEach((row, r) => {
          expect(messages[r + 1]).toMatchObject({ name: 'dataRow', fieldCount: columns.length });
          expect(messages[r + 1]!.fields).toEqual(row.map((value, i) => (value === null ? null : textValue(value, columns[i]!.type))));
        });
        expect(messages.at(-1)).toMatchObject({ name: 'commandComplete', text: `SELECT ${rows.length}` });
      }),
    );
  });

  it('the binary forms of the fixed-width types decode to the values sent', () => {
    const binaryTypes = ['boolean', 'integer', 'bigint', 'double', 'date', 'timestamp', 'text'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...binaryTypes).chain((type) => fc.tuple(fc.constant(type), valueOf(type))), ([type, value]) => {
        // node-postgres's parser has no binary mode: the field is read by hand.
        const message = dataRow([value], [{ name: 'v', type }], [1]);
        expect(message.readInt32BE(1)).toBe(message.length - 1);
        if (value === null) {
          expect(message.readInt32BE(7)).toBe(-1);
          return;
        }
        const field = fields(message)[0]!;
        const decoded = {
          boolean: () => field[0] === 1,
          integer: () => field.readInt32BE(0),
          bigint: () => field.readBigInt64BE(0),
          double: () => field.readDoubleBE(0),
          date: () => new Date(Date.UTC(2000, 0, 1) + field.readInt32BE(0) * 86_400_000).toISOString().slice(0, 10),
          timestamp: () => new Date(Number(field.readBigInt64BE(0) / 1000n) + Date.UTC(2000, 0, 1)).toISOString(),
          text: () => field.toString('utf8'),
        }[type]();
        expect(decoded).toEqual(type === 'bigint' ? BigInt(value) : value);
      }),
    );
  });
});
