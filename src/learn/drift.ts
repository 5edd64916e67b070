/**
 * Drift against the training data: what a version stores of its training rows (per input
 * column the decile edges and bin shares of numbers, or the shares of the most frequent
 * categories; the NULL share; the mean or top category; and the same for the score on the
 * held-out rows), and the population stability index of new rows binned on those same
 * edges and categories: PSI = Σ (current − training) · ln(current / training) over the
 * bins, NULL being a bin of its own and shares floored at PSI_FLOOR so an empty bin is
 * finite. Levels: 'none' under 0.1, 'moderate' up to 0.25, 'major' above (the usual
 * credit-scoring reading of PSI).
 */
import { isNumberType, type Column, type ColumnData } from '../data.js';
import { binOf } from './data-insights.js';
import { sampleQuantile, valueKey, type ColumnProfile } from './profile.js';

/** Format of the stored profile; a version without one (or of an older format) must be retrained to be monitored. */
export const DRIFT_PROFILE_FORMAT = 1;
/** Equal-frequency bins of a number column (fewer when values tie). */
export const DRIFT_BINS = 10;
/** Categories kept by name; the rest share one "other" bin. */
export const DRIFT_CATEGORIES = 20;
/** Smallest share a bin counts with, so that an empty bin gives a finite PSI. */
export const PSI_FLOOR = 1e-4;
export const PSI_MODERATE = 0.1;
export const PSI_MAJOR = 0.25;

/** The training side of one feature. Shares are of the non-NULL rows; `nullShare` of all rows. */
export type FeatureProfile =
  | {
      readonly name: string;
      readonly kind: 'number';
      /** Ascending cut points: value v is in bin `#edges ≤ v`. */
      readonly edges: readonly number[];
      readonly shares: readonly number[];
      readonly nullShare: number;
      readonly mean: number | null;
    }
  | {
      readonly name: string;
      readonly kind: 'category';
      readonly categories: readonly string[];
      /** One per category, then the "other" bin. */
      readonly shares: readonly number[];
      readonly nullShare: number;
      readonly top: string | null;
    };

export interface DriftProfile {
  readonly format: number;
  readonly rows: number;
  readonly columns: readonly FeatureProfile[];
  /** The score on the held-out rows (binary: P(positive); multiclass: the top class's probability; regression: the value); null without held-out rows. */
  readonly score: FeatureProfile | null;
}

export type DriftLevel = 'none' | 'moderate' | 'major';

export function driftLevel(psi: number): DriftLevel {
  return psi < PSI_MODERATE ? 'none' : psi <= PSI_MAJOR ? 'moderate' : 'major';
}

/** The training profile of one column from the profiler's statistics (its sample for numbers, its distinct counts for the rest). */
export function featureProfile(p: ColumnProfile, rows: number): FeatureProfile {
  const nullShare = rows > 0 ? p.nulls / rows : 0;
  if (isNumberType(p.type) && p.type !== 'boolean' && p.sample !== null) {
    const edges = decileEdges(p.sample);
    return { name: p.name, kind: 'number', edges, shares: sampleShares(p.sample, edges), nullShare, mean: p.count > 0 ? p.mean : null };
  }
  const counts = p.distinct === null ? [] : [...p.distinct.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kept = counts.slice(0, DRIFT_CATEGORIES);
  const total = p.count;
  const shares = kept.map(([, count]) => (total > 0 ? count / total : 0));
  const other = total > 0 ? 1 - shares.reduce((a, b) => a + b, 0) : 0;
  return { name: p.name, kind: 'category', categories: kept.map(([value]) => value), shares: [...shares, Math.max(0, other)], nullShare, top: kept[0]?.[0] ?? null };
}

/** The score's profile from the held-out scores (any order; sorted here). */
export function scoreProfile(scores: Float64Array): FeatureProfile | null {
  if (scores.length === 0) return null;
  const sorted = Float64Array.from(scores).sort();
  const edges = decileEdges(sorted);
  let mean = 0;
  for (let i = 0; i < sorted.length; i++) mean += (sorted[i]! - mean) / (i + 1);
  return { name: '(score)', kind: 'number', edges, shares: sampleShares(sorted, edges), nullShare: 0, mean };
}

function decileEdges(sorted: Float64Array): number[] {
  const edges: number[] = [];
  if (sorted.length === 0) return edges;
  for (let b = 1; b < DRIFT_BINS; b++) {
    const cut = sampleQuantile(sorted, b / DRIFT_BINS);
    if (cut > sorted[0]! && (edges.length === 0 || cut > edges[edges.length - 1]!)) edges.push(cut);
  }
  return edges;
}

function sampleShares(sorted: Float64Array, edges: readonly number[]): number[] {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < sorted.length; i++) counts[binOf(edges, sorted[i]!)]!++;
  return Array.from(counts, (c) => (sorted.length > 0 ? c / sorted.length : 0));
}

/** The current side of one feature, counted batch by batch into the training profile's bins. */
export class FeatureCounter {
  readonly profile: FeatureProfile;
  /** [NULL, bin 0, bin 1, ...]. */
  readonly #counts: Float64Array;
  readonly #index: Map<string, number> | null;
  #rows = 0;
  #sum = 0;
  #present = 0;
  /** Category counts of the current rows beyond the training's, for the current top category (bounded). */
  readonly #unseen = new Map<string, number>();

  constructor(profile: FeatureProfile) {
    this.profile = profile;
    this.#counts = new Float64Array(profile.shares.length + 1);
    this.#index = profile.kind === 'category' ? new Map(profile.categories.map((c, i) => [c, i])) : null;
  }

  /** Counts `n` rows of `data`, a column of type `type`. */
  add(type: Column['type'], data: ColumnData, n: number): void {
    this.#rows += n;
    const counts = this.#counts;
    if (this.profile.kind === 'number') {
      const edges = this.profile.edges;
      for (let row = 0; row < n; row++) {
        const v = data.kind === 'number' ? (data.nulls[row] === 1 ? Number.NaN : data.values[row]!) : parseNumber(data.values[row]);
        if (!Number.isFinite(v)) {
          counts[0]!++;
          continue;
        }
        counts[1 + binOf(edges, v)]!++;
        this.#present++;
        this.#sum += v;
      }
      return;
    }
    const index = this.#index!;
    const other = this.profile.categories.length;
    for (let row = 0; row < n; row++) {
      let key: string | null;
      if (data.kind === 'text') key = data.values[row] ?? null;
      else key = data.nulls[row] === 1 || !Number.isFinite(data.values[row]!) ? null : valueKey(type, data.values[row]!);
      if (key === null) {
        counts[0]!++;
        continue;
      }
      this.#present++;
      const slot = index.get(key);
      if (slot !== undefined) counts[1 + slot]!++;
      else {
        counts[1 + other]!++;
        if (this.#unseen.size < 1000 || this.#unseen.has(key)) this.#unseen.set(key, (this.#unseen.get(key) ?? 0) + 1);
      }
    }
  }

  /** Adds already computed values (the score). */
  addValues(values: Float64Array, n: number): void {
    this.add('double', { kind: 'number', values, nulls: new Uint8Array(n) }, n);
  }

  finish(): FeatureDrift {
    const p = this.profile;
    const rows = this.#rows;
    const expected = [p.nullShare, ...p.shares.map((s) => s * (1 - p.nullShare))];
    const actual = Array.from(this.#counts, (c) => (rows > 0 ? c / rows : 0));
    let psi = 0;
    for (let b = 0; b < expected.length; b++) {
      const e = Math.max(expected[b]!, PSI_FLOOR);
      const a = Math.max(actual[b]!, PSI_FLOOR);
      psi += (a - e) * Math.log(a / e);
    }
    const currentNullShare = rows > 0 ? this.#counts[0]! / rows : null;
    if (p.kind === 'number') {
      return {
        feature: p.name,
        kind: 'number',
        psi,
        drift: driftLevel(psi),
        trainingNullShare: p.nullShare,
        currentNullShare,
        trainingMean: p.mean,
        currentMean: this.#present > 0 ? this.#sum / this.#present : null,
        trainingTop: null,
        currentTop: null,
      };
    }
    let currentTop: string | null = null;
    let best = 0;
    p.categories.forEach((category, i) => {
      if (this.#counts[1 + i]! > best) [best, currentTop] = [this.#counts[1 + i]!, category];
    });
    for (const [category, count] of this.#unseen) if (count > best) [best, currentTop] = [count, category];
    return {
      feature: p.name,
      kind: 'category',
      psi,
      drift: driftLevel(psi),
      trainingNullShare: p.nullShare,
      currentNullShare,
      trainingMean: null,
      currentMean: null,
      trainingTop: p.top,
      currentTop,
    };
  }
}

/** One feature's drift, as MONITOR MODEL returns and stores it. */
export interface FeatureDrift {
  readonly feature: string;
  readonly kind: 'number' | 'category';
  readonly psi: number;
  readonly drift: DriftLevel;
  readonly trainingNullShare: number;
  readonly currentNullShare: number | null;
  readonly trainingMean: number | null;
  readonly currentMean: number | null;
  readonly trainingTop: string | null;
  readonly currentTop: string | null;
}

function parseNumber(text: string | null | undefined): number {
  if (text === null || text === undefined || text.trim() === '') return Number.NaN;
  return Number(text);
}
