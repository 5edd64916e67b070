import { describe, expect, it } from 'vitest';
import {
  exactCellText,
  MYSQL_TYPE,
  cellDecoderFor,
  columnTypeOf,
  dbTypeOf,
  parseDateMs,
  parseDateTimeMs,
  resultValue,
  type MySQLField,
} from '../../adapters/mysql/mysql-types.js';
import { MYSQL_TYPES } from '../../adapters/mysql/dialect.js';
import type { ColumnType } from '../../src/data.js';

const UNSIGNED = 32;
const BINARY = 63;
const UTF8MB4 = 45;

function field(columnType: number, extra: Partial<MySQLField> = {}): MySQLField {
  return { name: 'c', columnType, columnLength: 11, flags: 0, characterSet: UTF8MB4, decimals: 0, ...extra };
}

describe('columnTypeOf', () => {
  it('reads TINYINT(1) as boolean and wider or unsigned TINYINT as integer', () => {
    expect(columnTypeOf(field(MYSQL_TYPE.TINY, { columnLength: 1 }))).toBe('boolean');
    expect(columnTypeOf(field(MYSQL_TYPE.TINY, { columnLength: 4 }))).toBe('integer');
    expect(columnTypeOf(field(MYSQL_TYPE.TINY, { columnLength: 1, flags: UNSIGNED }))).toBe('integer');
  });

  it('maps integers, BIGINT, DECIMAL, floats, dates and YEAR', () => {
    expect([MYSQL_TYPE.SHORT, MYSQL_TYPE.INT24, MYSQL_TYPE.LONG, MYSQL_TYPE.YEAR].map((t) => columnTypeOf(field(t)))).toEqual(['integer', 'integer', 'integer', 'integer']);
    expect(columnTypeOf(field(MYSQL_TYPE.LONGLONG))).toBe('bigint');
    expect(columnTypeOf(field(MYSQL_TYPE.NEWDECIMAL))).toBe('decimal');
    expect(columnTypeOf(field(MYSQL_TYPE.DECIMAL))).toBe('decimal');
    expect(columnTypeOf(field(MYSQL_TYPE.FLOAT))).toBe('double');
    expect(columnTypeOf(field(MYSQL_TYPE.DOUBLE))).toBe('double');
    expect(columnTypeOf(field(MYSQL_TYPE.DATE))).toBe('date');
    expect(columnTypeOf(field(MYSQL_TYPE.DATETIME))).toBe('timestamp');
    expect(columnTypeOf(field(MYSQL_TYPE.TIMESTAMP))).toBe('timestamp');
  });

  it('reads character columns and ENUM/SET as text, binary ones, BIT, JSON and TIME as other', () => {
    expect(columnTypeOf(field(MYSQL_TYPE.VAR_STRING))).toBe('text');
    expect(columnTypeOf(field(MYSQL_TYPE.BLOB))).toBe('text'); // TEXT travels as BLOB with a character set
    expect(columnTypeOf(field(MYSQL_TYPE.STRING, { flags: 256, characterSet: BINARY }))).toBe('text'); // ENUM
    expect(columnTypeOf(field(MYSQL_TYPE.STRING, { flags: 2048 }))).toBe('text'); // SET
    expect(columnTypeOf(field(MYSQL_TYPE.BLOB, { characterSet: BINARY }))).toBe('other');
    expect(columnTypeOf(field(MYSQL_TYPE.VAR_STRING, { characterSet: BINARY }))).toBe('other');
    expect(columnTypeOf(field(MYSQL_TYPE.BIT))).toBe('other');
    expect(columnTypeOf(field(MYSQL_TYPE.JSON))).toBe('other');
    expect(columnTypeOf(field(MYSQL_TYPE.TIME))).toBe('other');
  });

  it('spells the server type for messages', () => {
    expect(dbTypeOf(field(MYSQL_TYPE.LONGLONG, { flags: UNSIGNED }))).toBe('BIGINT UNSIGNED');
    // DECIMAL(10,2): 10 digits + sign + point.
    expect(dbTypeOf(field(MYSQL_TYPE.NEWDECIMAL, { columnLength: 12, decimals: 2 }))).toBe('DECIMAL(10,2)');
    expect(dbTypeOf(field(MYSQL_TYPE.TINY, { columnLength: 1 }))).toBe('TINYINT(1)');
    expect(dbTypeOf(field(MYSQL_TYPE.STRING, { flags: 256 }))).toBe('ENUM');
  });
});

describe('cell decoders', () => {
  it('decodes numbers, big numbers sent as strings and booleans', () => {
    const number = cellDecoderFor(field(MYSQL_TYPE.LONGLONG));
    expect(number.kind).toBe('number');
    expect(number.kind === 'number' && number.decode(42)).toBe(42);
    expect(number.kind === 'number' && number.decode('18446744073709551615')).toBe(18446744073709551615);
    const flag = cellDecoderFor(field(MYSQL_TYPE.TINY, { columnLength: 1 }));
    expect(flag.kind === 'number' && [flag.decode(0), flag.decode(1), flag.decode(2)]).toEqual([0, 1, 1]);
  });

  it('turns BIT bytes into the number they spell and binary into UTF-8 text', () => {
    const bits = cellDecoderFor(field(MYSQL_TYPE.BIT));
    expect(bits.kind === 'text' && bits.decode(Buffer.from([0x01, 0x02]))).toBe('258');
    const blob = cellDecoderFor(field(MYSQL_TYPE.BLOB, { characterSet: BINARY }));
    expect(blob.kind === 'text' && blob.decode(Buffer.from('héllo'))).toBe('héllo');
  });

  it('shows decoded cells as result values, NULL and the zero date as null', () => {
    const dateField = field(MYSQL_TYPE.DATE);
    expect(resultValue('date', cellDecoderFor(dateField), '2024-02-29')).toBe('2024-02-29');
    expect(resultValue('date', cellDecoderFor(dateField), '0000-00-00')).toBeNull();
    expect(resultValue('integer', cellDecoderFor(field(MYSQL_TYPE.LONG)), null)).toBeNull();
    expect(resultValue('boolean', cellDecoderFor(field(MYSQL_TYPE.TINY, { columnLength: 1 })), 1)).toBe(true);
    expect(resultValue('timestamp', cellDecoderFor(field(MYSQL_TYPE.DATETIME)), '1969-07-20 20:17:40.5')).toBe('1969-07-20T20:17:40.500Z');
  });
});

describe('exact texts', () => {
  it('keeps a BIGINT beyond 2^53 and a DECIMAL of more than 15 digits as the text the driver sent, and nothing else', () => {
    expect(exactCellText('bigint', '9223372036854775807')).toBe('9223372036854775807');
    expect(exactCellText('bigint', '-9007199254740993')).toBe('-9007199254740993');
    expect(exactCellText('bigint', 42)).toBeUndefined();
    expect(exactCellText('decimal', '12345678901234567890.1234567890')).toBe('12345678901234567890.1234567890');
    expect(exactCellText('decimal', '12.5000000000')).toBeUndefined();
    expect(exactCellText('double', '12345678901234567890.5')).toBeUndefined();
  });

  it('shows them exactly as result values, other numbers as numbers', () => {
    const decimal = field(MYSQL_TYPE.NEWDECIMAL, { columnLength: 40, decimals: 10 });
    expect(resultValue('decimal', cellDecoderFor(decimal), '12345678901234567890.1234567890')).toBe('12345678901234567890.1234567890');
    expect(resultValue('decimal', cellDecoderFor(decimal), '12.5000000000')).toBe(12.5);
    expect(resultValue('bigint', cellDecoderFor(field(MYSQL_TYPE.LONGLONG)), '9223372036854775806')).toBe('9223372036854775806');
  });
});

describe('date and time parsing', () => {
  it('parses dates and datetimes as UTC epoch milliseconds, microseconds as a fraction', () => {
    expect(parseDateMs('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDateMs('0000-00-00')).toBeNaN();
    expect(parseDateTimeMs('2024-02-29 13:14:15')).toBe(Date.UTC(2024, 1, 29, 13, 14, 15));
    expect(parseDateTimeMs('2024-02-29 13:14:15.250')).toBe(Date.UTC(2024, 1, 29, 13, 14, 15, 250));
    expect(parseDateTimeMs('1970-01-01 00:00:00.000001')).toBeCloseTo(0.001, 12);
    expect(parseDateTimeMs('0000-00-00 00:00:00')).toBeNaN();
  });
});

describe('sqlTypeFor', () => {
  it('creates columns that read back as the same sqlml type (decimals as DOUBLE, other as text)', () => {
    expect(['boolean', 'integer', 'bigint', 'double', 'decimal', 'text', 'date', 'timestamp', 'other'].map((t) => MYSQL_TYPES.sqlTypeFor[t as ColumnType])).toEqual([
      'BOOLEAN', 'INT', 'BIGINT', 'DOUBLE', 'DOUBLE', 'LONGTEXT', 'DATE', 'DATETIME(6)', 'LONGTEXT',
    ]);
  });
});
