import { describe, expect, it } from 'vitest';
import {
  escapeLoadDataText,
  formatDate,
  formatDateTime,
  formatNumberCell,
  insertValueLists,
  loadDataChunks,
} from '../../adapters/mysql/mysql-writer.js';
import type { Column, RowBatch } from '../../src/data.js';
import { mysqlDialect } from '../../adapters/mysql/dialect.js';

const quoteString = mysqlDialect({ backslashEscapes: true }).quoteString;
const quoteStringNoEscapes = mysqlDialect({ backslashEscapes: false }).quoteString;

const columns: Column[] = [
  { name: 'id', type: 'integer', dbType: 'INT' },
  { name: 'label', type: 'text', dbType: 'TEXT' },
  { name: 'ok', type: 'boolean', dbType: 'BOOLEAN' },
  { name: 'day', type: 'date', dbType: 'DATE' },
];
const day = Date.UTC(2024, 4, 1);
const batch: RowBatch = {
  rowCount: 3,
  columns: [
    { kind: 'number', values: new Float64Array([1, 2, 3]), nulls: new Uint8Array([0, 0, 1]) },
    { kind: 'text', values: ['a\tb\nc\\d', null, "it's"] },
    { kind: 'number', values: new Float64Array([1, 0, 0]), nulls: new Uint8Array([0, 0, 0]) },
    { kind: 'number', values: new Float64Array([day, 0, Number.NaN]), nulls: new Uint8Array([0, 1, 1]) },
  ],
};

describe('LOAD DATA text', () => {
  it('escapes tab, newline, carriage return, NUL and backslash, and spells NULL as \\N', () => {
    expect(escapeLoadDataText('a\tb\nc\rd\0e\\f')).toBe('a\\tb\\nc\\rd\\0e\\\\f');
    expect(escapeLoadDataText('\\N')).toBe('\\\\N');
    expect(escapeLoadDataText(null)).toBe('\\N');
    expect(escapeLoadDataText('')).toBe('');
  });

  it('writes a batch as tab-separated lines with booleans as 1/0 and dates as text', () => {
    expect(loadDataChunks(columns, batch)).toEqual(['1\ta\\tb\\nc\\\\d\t1\t2024-05-01\n2\t\\N\t0\t\\N\n\\N\tit\'s\t0\t\\N\n']);
  });
});

describe('INSERT value lists', () => {
  it('quotes text with backslash escapes by default and doubles quotes under NO_BACKSLASH_ESCAPES', () => {
    expect(quoteString(`it's a \\ and\n`)).toBe(`'it\\'s a \\\\ and\\n'`);
    expect(quoteStringNoEscapes(`it's a \\`)).toBe(`'it''s a \\'`);
  });

  it('writes a batch as value tuples with NULLs and quoted dates', () => {
    expect(insertValueLists(columns, batch, quoteString)).toEqual([`(1, 'a\tb\\nc\\\\d', 1, '2024-05-01'), (2, NULL, 0, NULL), (NULL, 'it\\'s', 0, NULL)`]);
  });
});

describe('number cells', () => {
  it('formats dates and timestamps in UTC, keeping microseconds, and and spells numbers as MySQL reads them', () => {
    expect(formatDate(Date.UTC(1969, 6, 20))).toBe('1969-07-20');
    expect(formatDateTime(Date.UTC(2024, 1, 29, 13, 14, 15, 250) + 0.001)).toBe('2024-02-29 13:14:15.250001');
    expect(formatDateTime(Date.UTC(1969, 11, 31, 23, 59, 59, 999))).toBe('1969-12-31 23:59:59.999000');
    expect(formatNumberCell('number', 0.1)).toBe('0.1');
    expect(formatNumberCell('boolean', 2)).toBe('1');
  });

  it('refuses NaN and ±Infinity, which MySQL cannot store, naming the column, the value and the row of the whole write', () => {
    const scores: Column[] = [{ name: 'score', type: 'double', dbType: '' }];
    const odd = (value: number): RowBatch => ({ rowCount: 2, columns: [{ kind: 'number', values: new Float64Array([1, value]), nulls: new Uint8Array(2) }] });
    expect(() => loadDataChunks(scores, odd(Number.NaN), 15)).toThrow('column score has NaN in row 17, which MySQL cannot store');
    expect(() => insertValueLists(scores, odd(Number.NEGATIVE_INFINITY), quoteString)).toThrow('column score has -Infinity in row 2, which MySQL cannot store');
  });
});
