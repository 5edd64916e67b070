import { describe, expect, it } from 'vitest';
import { formatJsonLine, formatNumber, formatTable } from '../../src/cli/format.js';
import type { ResultTable } from '../../src/data.js';
import { SqlmlError } from '../../src/errors.js';

const metricsResult: ResultTable = {
  command: 'EVALUATE MODEL',
  columns: [
    { name: 'model', type: 'text' },
    { name: 'auc', type: 'double' },
    { name: 'rows', type: 'bigint' },
    { name: 'note', type: 'text' },
  ],
  rows: [
    ['churn', 0.934871, 6000, null],
    ['fraud_detector', 0.5, 12, 'ok'],
  ],
};

describe('formatTable', () => {
  it('right-aligns numbers, left-aligns text and centres headers', () => {
    // Widths: model 14 ('fraud_detector'), auc 6 ('0.9349'), rows 4, note 4.
    expect(formatTable(metricsResult)).toBe(
      [
        '     model      |  auc   | rows | note',
        '----------------+--------+------+------',
        ' churn          | 0.9349 | 6000 |',
        ' fraud_detector |    0.5 |   12 | ok',
        '(2 rows)',
      ].join('\n'),
    );
  });

  it('shows NULL as an empty cell, also in a numeric column', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [
        { name: 'score', type: 'double' },
        { name: 'label', type: 'text' },
      ],
      rows: [
        [null, 'a'],
        [12.5, null],
      ],
    };
    expect(formatTable(result)).toBe(
      [' score | label', '-------+-------', '       | a', '  12.5 |', '(2 rows)'].join('\n'),
    );
  });

  it('says "1 row" for a one-row result and shows booleans as words', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'churned', type: 'boolean' },
      ],
      rows: [[7, true]],
    };
    expect(formatTable(result)).toBe([' id | churned', '----+---------', '  7 | true', '(1 row)'].join('\n'));
  });

  it('prints the header and a zero footer for an empty result', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'name', type: 'text' },
      ],
      rows: [],
    };
    expect(formatTable(result)).toBe([' id | name', '----+------', '(0 rows)'].join('\n'));
  });

  it('truncates long cells with an ellipsis and marks line breaks', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [{ name: 'text', type: 'text' }],
      rows: [['a very long description'], ['line one\nline two'], ['tab\there']],
    };
    // maxWidth 10: 9 characters then '…'; '\n' becomes '↵' first, so it is the 9th character kept.
    expect(formatTable(result, { maxWidth: 10 })).toBe(
      ['    text', '------------', ' a very lo…', ' line one↵…', ' tab here', '(3 rows)'].join('\n'),
    );
    expect(formatTable(result, { maxWidth: 20 }).split('\n')[3]).toBe(' line one↵line two');
  });

  it('cuts cells at 60 characters by default', () => {
    const result: ResultTable = { command: 'SELECT', columns: [{ name: 'x', type: 'text' }], rows: [['y'.repeat(80)]] };
    expect(formatTable(result).split('\n')[2]).toBe(` ${'y'.repeat(59)}…`);
  });

  it('shows only maxRows rows and says how many there were', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [{ name: 'n', type: 'integer' }],
      rows: [[1], [2], [300]],
    };
    // Widths come from the rows shown: '300' is not among them.
    expect(formatTable(result, { maxRows: 2 })).toBe([' n', '---', ' 1', ' 2', '(3 rows, first 2 shown)'].join('\n'));
    expect(formatTable(result, { maxRows: 3 }).split('\n').at(-1)).toBe('(3 rows)');
  });

  it('prints the command and its row count for a statement without columns', () => {
    expect(formatTable({ command: 'INSERT', columns: [], rows: [], rowsAffected: 5 })).toBe('INSERT 5');
    expect(formatTable({ command: 'DROP MODEL', columns: [], rows: [] })).toBe('DROP MODEL');
  });

  it('rejects a maxWidth below 1, naming the option', () => {
    expect(() => formatTable(metricsResult, { maxWidth: 0 })).toThrow(SqlmlError);
    expect(() => formatTable(metricsResult, { maxWidth: 0 })).toThrow(/maxWidth/);
    expect(() => formatTable(metricsResult, { maxRows: -1 })).toThrow(/maxRows/);
  });
});

describe('formatJsonLine', () => {
  it('writes one line that parses back to command, column names and row objects', () => {
    const line = formatJsonLine(metricsResult);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      command: 'EVALUATE MODEL',
      columns: ['model', 'auc', 'rows', 'note'],
      rows: [
        { model: 'churn', auc: 0.934871, rows: 6000, note: null },
        { model: 'fraud_detector', auc: 0.5, rows: 12, note: 'ok' },
      ],
    });
  });

  it('keeps numbers as JSON numbers at full precision and booleans as booleans', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [
        { name: 'a', type: 'double' },
        { name: 'b', type: 'boolean' },
      ],
      rows: [[0.1 + 0.2, false]],
    };
    expect(formatJsonLine(result)).toBe(
      '{"command":"SELECT","columns":["a","b"],"rows":[{"a":0.30000000000000004,"b":false}]}',
    );
  });

  it('turns NaN and Infinity into null', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [
        { name: 'auc', type: 'double' },
        { name: 'big', type: 'double' },
        { name: 'small', type: 'double' },
      ],
      rows: [[NaN, Infinity, -Infinity]],
    };
    expect(JSON.parse(formatJsonLine(result)).rows).toEqual([{ auc: null, big: null, small: null }]);
  });

  it('keeps column order and gives a repeated column name a suffix', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [
        { name: 'id', type: 'integer' },
        { name: '2', type: 'text' },
        { name: 'id', type: 'integer' },
        { name: 'id_2', type: 'integer' },
      ],
      rows: [[1, 'x', 2, 3]],
    };
    const line = formatJsonLine(result);
    // '2' would jump ahead of 'id' in a plain object; the line keeps the table's order.
    expect(line).toBe('{"command":"SELECT","columns":["id","2","id_3","id_2"],"rows":[{"id":1,"2":"x","id_3":2,"id_2":3}]}');
  });

  it('escapes text and keeps a column named __proto__ as data', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [{ name: '__proto__', type: 'text' }],
      rows: [['say "hi"\n']],
    };
    const parsed = JSON.parse(formatJsonLine(result));
    expect(Object.keys(parsed.rows[0])).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(parsed.rows[0], '__proto__')?.value).toBe('say "hi"\n');
  });

  it('adds rowsAffected for a statement that reported it', () => {
    const parsed = JSON.parse(formatJsonLine({ command: 'INSERT', columns: [], rows: [], rowsAffected: 5 }));
    expect(parsed).toEqual({ command: 'INSERT', columns: [], rows: [], rowsAffected: 5 });
    expect(JSON.parse(formatJsonLine({ command: 'DROP MODEL', columns: [], rows: [] }))).toEqual({
      command: 'DROP MODEL',
      columns: [],
      rows: [],
    });
  });
});

describe('formatNumber', () => {
  it('prints integers as they are', () => {
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(-3)).toBe('-3');
    expect(formatNumber(6000000)).toBe('6000000');
    expect(formatNumber(-0)).toBe('0');
  });

  it('keeps four significant digits below 100 and drops trailing zeros', () => {
    expect(formatNumber(0.934871)).toBe('0.9349');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(0.0123456)).toBe('0.01235');
    expect(formatNumber(1.23456)).toBe('1.235');
    expect(formatNumber(12.3456)).toBe('12.35');
    expect(formatNumber(-0.25)).toBe('-0.25');
    expect(formatNumber(0.99996)).toBe('1');
  });

  it('keeps two decimals for larger numbers', () => {
    expect(formatNumber(69151.6612)).toBe('69151.66');
    expect(formatNumber(123.456)).toBe('123.46');
    expect(formatNumber(1234.5)).toBe('1234.5');
  });

  it('switches to exponent form below 1e-4', () => {
    expect(formatNumber(1.2e-7)).toBe('1.2e-7');
    expect(formatNumber(-0.0000123456)).toBe('-1.235e-5');
    expect(formatNumber(0.00012346)).toBe('0.0001235');
  });

  it('spells the non-finite values', () => {
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(Infinity)).toBe('Infinity');
    expect(formatNumber(-Infinity)).toBe('-Infinity');
  });
});
