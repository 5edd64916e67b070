import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/cli/format.js';
import type { ResultTable } from '../../src/data.js';
import { metricsResult } from '../helpers/results.js';
import { SqlmlError } from '../../src/errors.js';


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
