import { describe, expect, it } from 'vitest';
import { dataRow, textValue } from '../../src/server/pg-encode.js';

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
