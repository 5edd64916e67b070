import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCsv, formatExpanded, formatForTerminal, formatTable } from '../../src/cli/format.js';
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

describe('exact values and metrics', () => {
  it('prints values from the database whole and rounds only the columns the engine marks as metrics', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [
        { name: 'pi', type: 'double' },
        { name: 'd', type: 'decimal' },
        { name: 'big', type: 'bigint' },
        { name: 'auc', type: 'double', metric: true },
      ],
      rows: [[3.14159265, 93.994, '12345678901234567890', 0.934871]],
    };
    expect(formatTable(result).split('\n')[2]).toBe(' 3.14159265 | 93.994 | 12345678901234567890 | 0.9349');
  });

  it('gives every double back exactly: the cell parses to the same number', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const result: ResultTable = { command: 'SELECT', columns: [{ name: 'x', type: 'double' }], rows: [[x]] };
        const cell = formatTable(result).split('\n')[2]!.trim();
        expect(Object.is(Number(cell), x === 0 ? 0 : x) || (x === 0 && Number(cell) === 0)).toBe(true);
        expect(Number(formatCsv(result).split('\n')[1])).toBe(x === 0 ? 0 : x);
      }),
    );
  });
});

describe('formatExpanded', () => {
  it("prints one field per line under psql's record headers, nothing cut", () => {
    expect(formatExpanded(metricsResult)).toBe(
      [
        `-[ RECORD 1 ]+${'-'.repeat(15)}`,
        'model | churn',
        'auc   | 0.9349',
        'rows  | 6000',
        'note  |',
        `-[ RECORD 2 ]+${'-'.repeat(15)}`,
        'model | fraud_detector',
        'auc   | 0.5',
        'rows  | 12',
        'note  | ok',
      ].join('\n'),
    );
  });

  it('continues a value with line breaks on lines of its own', () => {
    const result: ResultTable = { command: 'SELECT', columns: [{ name: 'note', type: 'text' }], rows: [['one\ntwo']] };
    expect(formatExpanded(result).split('\n').slice(1)).toEqual(['note | one', '     | two']);
  });

  it('says (0 rows) for an empty result and prints a command without columns as the table does', () => {
    expect(formatExpanded({ command: 'SELECT', columns: [{ name: 'x', type: 'integer' }], rows: [] })).toBe('(0 rows)');
    expect(formatExpanded({ command: 'INSERT', columns: [], rows: [], rowsAffected: 2 })).toBe('INSERT 2');
  });

  it('auto: a table that fits the terminal stays a table; a wider one is expanded', () => {
    const width = Math.max(...formatTable(metricsResult).split('\n').map((line) => line.length));
    expect(formatForTerminal(metricsResult, 'auto', width)).toBe(formatTable(metricsResult));
    expect(formatForTerminal(metricsResult, 'auto', width - 1)).toBe(formatExpanded(metricsResult));
    expect(formatForTerminal(metricsResult, 'auto', undefined)).toBe(formatTable(metricsResult));
    expect(formatForTerminal(metricsResult, 'on', 1000)).toBe(formatExpanded(metricsResult));
    expect(formatForTerminal(metricsResult, 'off', 1)).toBe(formatTable(metricsResult));
  });
});

/** RFC 4180, as a reader of `--csv` output parses it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  rows.push(row);
  return rows;
}

describe('formatCsv', () => {
  it('quotes fields with commas, quotes or line breaks, and keeps NULL apart from the empty string', () => {
    const result: ResultTable = {
      command: 'SELECT',
      columns: [
        { name: 'a,b', type: 'text' },
        { name: 'n', type: 'double' },
        { name: 'e', type: 'text' },
        { name: 'z', type: 'text' },
        { name: 'ok', type: 'boolean' },
      ],
      rows: [['say "hi"\nthere', 0.1, '', null, true]],
    };
    expect(formatCsv(result)).toBe('"a,b",n,e,z,ok\n"say ""hi""\nthere",0.1,"",,true');
    expect(formatCsv({ command: 'INSERT', columns: [], rows: [], rowsAffected: 1 })).toBe('');
  });

  it('round-trips any text through an RFC 4180 reader', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é') }), { minLength: 2, maxLength: 2 }), { maxLength: 5 }), (rows) => {
        const result: ResultTable = {
          command: 'SELECT',
          columns: [
            { name: 'x', type: 'text' },
            { name: 'y', type: 'text' },
          ],
          rows,
        };
        expect(parseCsv(formatCsv(result))).toEqual([['x', 'y'], ...rows]);
      }),
    );
  });
});
