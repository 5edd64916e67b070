/**
 * The dense feature kinds, one translation each, as src/learn/encode.ts's writers
 * compute them: number (signedLog when heavy-tailed, standardized, clipped, NULL slot),
 * boolean, one_hot (cleaned value, 'other' for unseen, NULL slot), date (year, month,
 * weekday, hour, days since 1970, UTC; NULL and ±infinity take the NULL slot) and
 * quantile_bin (bin = how many cuts are ≤ v).
 */
import { MS_PER_DAY } from '../calendar.js';
import { MAX_ABS_VALUE } from '../learn/encode.js';
import type { BinnedFeature, BooleanFeature, DateFeature, NumberFeature, OneHotFeature } from '../learn/recipe-format.js';
import { doubleLiteral, numericInput, type NumericInput } from './sql-values.js';
import { cleanedText } from './text-cleaning.js';
import { ASCII, byteOrderSearch, perOutput, slotChoice, standardized, weightLiteral, type FeatureScope, type Translated } from './terms.js';

function numeric(scope: FeatureScope, name: string): NumericInput | { reason: string } {
  const column = scope.column(name);
  const input = numericInput(scope.dialect, scope.columns(column.name), column.type);
  return input ?? { reason: `column ${column.name} (${column.type}): ${scope.dialect.name} has no reading of it as the learner's number` };
}

function refused(reason: string): Translated {
  return { ok: false, reason };
}

export function translateNumber(scope: FeatureScope, f: NumberFeature): Translated {
  const input = numeric(scope, f.column);
  if ('reason' in input) return refused(input.reason);
  const { dialect } = scope;
  // sign(x)·ln(1 + |x|), as recipe-format.ts signedLog.
  const v = f.log === true ? `(CASE WHEN ${input.value} < 0 THEN -LN(1 - ${input.value}) ELSE LN(1 + ${input.value}) END)` : input.value;
  const z = standardized(scope, v, f.standardize.center, f.standardize.scale, MAX_ABS_VALUE);
  const missing = f.nullSlot ? weightLiteral : () => doubleLiteral(dialect, 0);
  return {
    ok: true,
    terms: perOutput(scope, (k) => [`(CASE WHEN ${input.missing} THEN ${missing(scope, f.offset + 1, k)} ELSE ${weightLiteral(scope, f.offset, k)} * ${z} END)`]),
  };
}

export function translateBoolean(scope: FeatureScope, f: BooleanFeature): Translated {
  const input = numeric(scope, f.column);
  if ('reason' in input) return refused(input.reason);
  return { ok: true, terms: slotChoice(scope, [[input.missing, f.nullSlot ? f.offset + 1 : null], [`${input.value} <> 0`, f.offset]], null) };
}

export function translateBins(scope: FeatureScope, f: BinnedFeature): Translated {
  const input = numeric(scope, f.column);
  if ('reason' in input) return refused(input.reason);
  // Cuts ascend, so the first cut above v names its bin (equal cuts leave a bin empty, as binOf does).
  const cases: [string, number | null][] = [[input.missing, f.nullSlot ? f.offset + f.bins : null]];
  f.cuts.forEach((cut, i) => cases.push([`${input.value} < ${doubleLiteral(scope.dialect, cut)}`, f.offset + i]));
  return { ok: true, terms: slotChoice(scope, cases, f.offset + f.cuts.length) };
}

export function translateOneHot(scope: FeatureScope, f: OneHotFeature): Translated {
  const column = scope.column(f.column);
  if (column.type !== 'text' && column.type !== 'other') {
    return refused(`one-hot column ${column.name} is ${column.type} in the source; the compiler reads one-hot columns as text`);
  }
  const ref = scope.columns(column.name);
  const cleaned = cleanedText(scope.dialect, ref, f.normalize);
  if (!cleaned.ok) return refused(cleaned.reason);
  const { dialect } = scope;
  const other = f.offset + f.categories.length;
  // NULL never seen at training falls under 'other', as the encoder has it.
  const nullSlot = f.nullSlot ? other + 1 : other;
  const key = dialect.split.partitionKey(cleaned.sql, 'text');
  const keys = f.categories.map((category) => dialect.textKeyConstant(category));
  // Where the dialect looks a value up in a list (DuckDB), the category's weight is read by
  // its position, found once for every output.
  const position = keys.length > 0 ? dialect.constantKeyPosition?.(keys, key) : undefined;
  const slots = f.categories.map((category, i) => ({ text: category, slot: f.offset + i }));
  // A simple CASE states the key once and compares it with each category in turn; a
  // search states it once per level, so it is used only where the key is the column itself.
  const searched =
    position === undefined && dialect.textKeyBelow !== undefined && cleaned.sql === ref && slots.length >= SEARCHED_CATEGORIES && slots.every(({ text }) => ASCII.test(text));
  return {
    ok: true,
    terms: perOutput(scope, (k) => {
      const otherwise = weightLiteral(scope, other, k);
      // A value not among the categories reaches an ELSE giving it the unseen-category weight, searched or not.
      const caseOf = (part: readonly (typeof slots)[number][]): string =>
        `CASE ${key} ${part.map(({ text, slot }) => `WHEN ${dialect.textKeyConstant(text)} THEN ${weightLiteral(scope, slot, k)}`).join(' ')} ELSE ${otherwise} END`;
      const known =
        position !== undefined
          ? `COALESCE(${dialect.constantDoubleAt(
              keys.map((_, i) => scope.weights.weight(f.offset + i, k)),
              position,
            )}, ${otherwise})`
          : searched
            ? byteOrderSearch(dialect, key, slots, caseOf)
            : caseOf(slots);
      return [`(CASE WHEN ${ref} IS NULL THEN ${weightLiteral(scope, nullSlot, k)} ELSE ${known} END)`];
    }),
  };
}

/** From how many categories a one-hot is searched (dialect.textKeyBelow) rather than compared in turn. */
const SEARCHED_CATEGORIES = 8;

export function translateDate(scope: FeatureScope, f: DateFeature): Translated {
  const column = scope.column(f.column);
  const input = numeric(scope, f.column);
  if ('reason' in input) return refused(input.reason);
  const { dialect } = scope;
  const ref = scope.columns(column.name);
  const base = f.offset;
  const slots = f.slots;
  const zero = doubleLiteral(dialect, 0);
  const whenPresent = (k: number, present: string): string =>
    `(CASE WHEN ${input.missing} THEN ${slots.null >= 0 && present === 'null' ? weightLiteral(scope, base + slots.null, k) : zero} ELSE ${present === 'null' ? zero : present} END)`;
  const choice = (part: 'month' | 'weekday', first: number, count: number, k: number): string => {
    const x = dialect.datePart(part, ref);
    const whens = Array.from({ length: count }, (_, i) => `WHEN ${first + i} THEN ${weightLiteral(scope, base + slots[part] + i, k)}`).join(' ');
    return `(CASE ${x} ${whens} ELSE ${zero} END)`;
  };
  return {
    ok: true,
    terms: perOutput(scope, (k) => {
      // In the order DateWriter pushes: NULL indicator (alone), year, month, weekday, hour, days.
      const terms = [whenPresent(k, 'null')];
      if (f.year !== null) {
        const z = standardized(scope, `CAST(${dialect.datePart('year', ref)} AS ${dialect.split.doubleCast})`, f.year.center, f.year.scale, MAX_ABS_VALUE);
        terms.push(whenPresent(k, `${weightLiteral(scope, base + slots.year, k)} * ${z}`));
      }
      terms.push(whenPresent(k, choice('month', 1, 12, k)));
      terms.push(whenPresent(k, choice('weekday', 0, 7, k)));
      if (f.hour !== null) {
        const z = standardized(scope, `CAST(${dialect.datePart('hour', ref)} AS ${dialect.split.doubleCast})`, f.hour.center, f.hour.scale, MAX_ABS_VALUE);
        terms.push(whenPresent(k, `${weightLiteral(scope, base + slots.hour, k)} * ${z}`));
      }
      const days = standardized(scope, `(${input.value} / ${doubleLiteral(dialect, MS_PER_DAY)})`, f.days.center, f.days.scale, MAX_ABS_VALUE);
      terms.push(whenPresent(k, `${weightLiteral(scope, base + slots.days, k)} * ${days}`));
      return terms;
    }),
  };
}
