import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../src/data.js';
import { metricsResult } from './helpers/results.js';
import { formatBytes, formatJsonLine, formatNumber } from '../src/format.js';


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

  it('with types (the HTTP API): each column\'s type after the names, and which are metrics only when some are', () => {
    const result = {
      command: 'EVALUATE MODEL',
      columns: [{ name: 'auc', type: 'double' as const, metric: true }, { name: 'rows', type: 'bigint' as const }],
      rows: [[0.9123456, '10']],
    };
    expect(formatJsonLine(result, { types: true })).toBe(
      '{"command":"EVALUATE MODEL","columns":["auc","rows"],"types":["double","bigint"],"metrics":[true,false],"rows":[{"auc":0.9123456,"rows":"10"}]}',
    );
    expect(formatJsonLine({ command: 'SELECT', columns: [{ name: 'd', type: 'date' }], rows: [] }, { types: true })).toBe('{"command":"SELECT","columns":["d"],"types":["date"],"rows":[]}');
    expect(formatJsonLine(result)).not.toContain('"types"');
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

describe('formatBytes', () => {
  it('counts bytes below 1 KB as bytes', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(1023)).toBe('1023 bytes');
  });

  it('uses the largest binary unit, at most one decimal and a space before the unit', () => {
    expect(formatBytes(1024)).toBe('1 KB');
    expect(formatBytes(100 * 1024)).toBe('100 KB');
    expect(formatBytes(1_277_952)).toBe('1.2 MB');
    expect(formatBytes(256 * 1024 ** 2)).toBe('256 MB');
    expect(formatBytes(1024 ** 3)).toBe('1 GB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GB');
    expect(formatBytes(20 * 1024 ** 4)).toBe('20480 GB');
  });

  it('moves to the next unit when the figure rounds up to 1024', () => {
    expect(formatBytes(1024 ** 2 - 1)).toBe('1 MB');
    expect(formatBytes(1024 ** 3 - 1)).toBe('1 GB');
  });

  it('reads back within rounding: a figure of at least 1 and below 1024 (GB unbounded), one decimal, a known unit', () => {
    const units: Record<string, number> = { bytes: 1, byte: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), (bytes) => {
        const match = /^(\d+(?:\.\d)?) (bytes|byte|KB|MB|GB)$/.exec(formatBytes(bytes));
        expect(match).not.toBeNull();
        const figure = Number(match![1]);
        const unit = units[match![2]!]!;
        if (unit === 1) expect(figure).toBe(bytes);
        else expect(Math.abs(figure * unit - bytes)).toBeLessThanOrEqual(0.05 * unit);
        if (unit > 1) expect(figure).toBeGreaterThanOrEqual(1);
        if (unit < 1024 ** 3) expect(figure).toBeLessThan(1024);
      }),
    );
  });
});
