/**
 * Calendar arithmetic on day numbers without Date, for every layer that turns dates into
 * numbers or back (the adapters' readers and writers, the learner's date features, the
 * wire encoder): years before 100 and BC dates are valid in PostgreSQL and MySQL, and
 * Date.UTC maps years 0-99 to 1900-1999. (Howard Hinnant's days_from_civil / civil_from_days.)
 */

export const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (year 0 = 1 BC). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * The inverse of `daysFromCivil` packed into one number, `year * 512 + month * 32 + day`,
 * so that code run for every row (the learner's date features) allocates nothing;
 * `Math.floor(packed / 32)` is `year * 16 + month`.
 */
export function packedCivilFromDays(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return year * 512 + month * 32 + day;
}

/** The inverse of `daysFromCivil`: [year, month, day]. */
export function civilFromDays(days: number): [number, number, number] {
  const packed = packedCivilFromDays(days);
  const year = Math.floor(packed / 512);
  const month = Math.floor(packed / 32) - year * 16;
  return [year, month, packed - Math.floor(packed / 32) * 32];
}

const US_PER_DAY = 86_400_000_000;

/**
 * Milliseconds since 1970 of `days` since 1970 plus `microsOfDay` (any integer below
 * 2^53, an offset from UTC included): the double nearest the whole count of microseconds,
 * divided by 1000. That is what the split's SQL computes from a timestamp (see
 * adapters/split-sql-dialect.ts timestampToEpochMs), however far the count is beyond 2^53:
 * days · 86400000000 is exact (86400000000 is 2^13 times a 24-bit odd number, and
 * |days| < 2^29), so the sum rounds once.
 */
export function epochMsFromMicros(days: number, microsOfDay: number): number {
  return (days * US_PER_DAY + microsOfDay) / 1000;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** ISO-8601's year: four digits, or signed and six beyond 0000..9999 (year 0 = 1 BC). */
function isoYear(year: number): string {
  return year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
}

/** A date's text from epoch milliseconds: `2024-02-29`; ±infinity as `infinity` / `-infinity`, as PostgreSQL and DuckDB spell them. */
export function isoDateText(ms: number): string {
  if (!Number.isFinite(ms)) return ms > 0 ? 'infinity' : '-infinity';
  const [year, month, day] = civilFromDays(Math.floor(ms / MS_PER_DAY));
  return `${isoYear(year)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/**
 * A UTC timestamp's text from epoch milliseconds: `2024-02-29T13:14:15.250Z`, the
 * microseconds appended when the value has them (`…15.250125Z`), any year (Date's range
 * ends at ±275760); ±infinity as `infinity` / `-infinity`.
 */
export function isoTimestampText(ms: number): string {
  if (!Number.isFinite(ms)) return ms > 0 ? 'infinity' : '-infinity';
  // Whole milliseconds and the microseconds beyond them apart: ms · 1000 is beyond 2^53 for most dates.
  let whole = Math.floor(ms);
  let micros = Math.round((ms - whole) * 1000);
  if (micros === 1000) {
    whole += 1;
    micros = 0;
  }
  const days = Math.floor(whole / MS_PER_DAY);
  const rest = whole - days * MS_PER_DAY;
  const seconds = Math.floor(rest / 1000);
  const subseconds = micros === 0 ? pad(rest % 1000, 3) : `${pad(rest % 1000, 3)}${pad(micros, 3)}`;
  const time = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}.${subseconds}`;
  return `${isoDateText(days * MS_PER_DAY)}T${time}Z`;
}
