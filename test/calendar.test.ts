import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { civilFromDays, daysFromCivil, epochMsFromMicros, isoDateText, isoTimestampText, MS_PER_DAY, packedCivilFromDays } from '../src/calendar.js';

/** Day numbers JavaScript's Date can hold (±100,000,000 days around 1970). */
const dateDays = fc.integer({ min: -100_000_000, max: 100_000_000 });

describe('calendar', () => {
  it('counts days from 1970-01-01 across leap years and before the epoch', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2000, 3, 1)).toBe(11_017);
    expect(daysFromCivil(1969, 12, 31)).toBe(-1);
    expect(daysFromCivil(1, 1, 1)).toBe(-719_162);
    expect(daysFromCivil(0, 2, 29)).toBe(-719_469);
  });

  it('turns a day number into the date Date finds for it, years 0-99 and BC included', () => {
    fc.assert(
      fc.property(dateDays, (days) => {
        const date = new Date(days * MS_PER_DAY);
        expect(civilFromDays(days)).toEqual([date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()]);
      }),
    );
    expect(civilFromDays(-719_162)).toEqual([1, 1, 1]);
    expect(civilFromDays(-719_469)).toEqual([0, 2, 29]);
  });

  it('inverts daysFromCivil', () => {
    fc.assert(
      fc.property(dateDays, (days) => {
        const [year, month, day] = civilFromDays(days);
        expect(daysFromCivil(year, month, day)).toBe(days);
      }),
    );
  });

  it('packs year, month and day into one number that year * 16 + month can be read from', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_147_483_647, max: 2_147_483_647 }), (days) => {
        const [year, month, day] = civilFromDays(days);
        const packed = packedCivilFromDays(days);
        expect(packed).toBe(year * 512 + month * 32 + day);
        expect(Math.floor(packed / 32)).toBe(year * 16 + month);
      }),
    );
  });

  it('gives NaN for a day number that is not finite', () => {
    for (const days of [Number.NaN, Infinity, -Infinity]) {
      expect(civilFromDays(days).every(Number.isNaN)).toBe(true);
      expect(packedCivilFromDays(days)).toBeNaN();
    }
  });

  it('adds microseconds of the day to whole days', () => {
    expect(epochMsFromMicros(1, 1_500)).toBe(MS_PER_DAY + 1.5);
    expect(epochMsFromMicros(-1, 0)).toBe(-MS_PER_DAY);
  });

  it('writes dates and timestamps as Date does where Date can, microseconds and any year where it cannot', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(isoTimestampText(ms)).toBe(iso);
        expect(isoDateText(ms)).toBe(iso.slice(0, iso.indexOf('T')));
      }),
    );
    expect(isoTimestampText(Date.UTC(2024, 1, 29, 13, 14, 15, 250) + 0.125)).toBe('2024-02-29T13:14:15.250125Z');
    expect(isoTimestampText(Infinity)).toBe('infinity');
    expect(isoDateText(-Infinity)).toBe('-infinity');
    // DuckDB's latest timestamp is in year 294247, beyond Date's ±275760.
    expect(isoTimestampText(daysFromCivil(294_247, 1, 10) * MS_PER_DAY)).toBe('+294247-01-10T00:00:00.000Z');
  });
});

