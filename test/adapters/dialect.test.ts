/** The pure helpers behind the dialects' hooks (adapters/dialect.ts); the hooks themselves run on every database in conformance.test.ts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalCast, plainDecimal } from '../../adapters/dialect.js';
import { SqlmlError } from '../../src/errors.js';

const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 20 });
const decimalText = fc
  .record({ sign: fc.constantFrom('', '-', '+'), whole: digits, fraction: fc.option(digits), exponent: fc.option(fc.integer({ min: -40, max: 40 })) })
  .filter(({ whole, fraction }) => whole !== '' || (fraction ?? '') !== '')
  .map(({ sign, whole, fraction, exponent }) => `${sign}${whole}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : `e${exponent}`}`);

describe('plainDecimal', () => {
  it('writes a decimal out without an exponent, keeping its value and every digit', () => {
    fc.assert(
      fc.property(decimalText, (text) => {
        const plain = plainDecimal(text);
        expect(plain.text).toMatch(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/);
        expect(Number(plain.text)).toBe(Number(text) === 0 ? 0 : Number(text));
        expect(plainDecimal(plain.text)).toEqual(plain);
        expect(plain.scale).toBe(plain.text.split('.')[1]?.length ?? 0);
        expect(plain.digits).toMatch(/^(0|[1-9]\d*)$/);
      }),
    );
  });

  it('handles the edges', () => {
    expect(plainDecimal('1.25e-3').text).toBe('0.00125');
    expect(plainDecimal('-4.5E+4').text).toBe('-45000');
    expect(plainDecimal('-0.000').text).toBe('0');
    expect(plainDecimal('.5').text).toBe('0.5');
    expect(() => plainDecimal('1e')).toThrow();
    expect(() => plainDecimal('.')).toThrow();
    expect(() => plainDecimal("1'; DROP")).toThrow();
  });
});

describe('decimalCast', () => {
  const decimal = { name: 'DECIMAL', maxPrecision: 38, maxScale: 38 };

  it('casts text to a decimal type just wide enough', () => {
    expect(decimalCast('-12.50', decimal, 'DuckDB')).toBe("CAST('-12.5' AS DECIMAL(3,1))");
    expect(decimalCast('0.00125', decimal, 'DuckDB')).toBe("CAST('0.00125' AS DECIMAL(5,5))");
  });

  it('refuses digits beyond the type, naming the database', () => {
    expect(() => decimalCast('1'.repeat(39), decimal, 'DuckDB')).toThrow(SqlmlError);
    expect(() => decimalCast(`0.${'1'.repeat(31)}`, { name: 'DECIMAL', maxPrecision: 65, maxScale: 30 }, 'MySQL')).toThrow(/MySQL's DECIMAL holds \(65, 30 after the point\)/);
  });
});
