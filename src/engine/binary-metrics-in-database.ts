/**
 * A binary classifier's metrics by one aggregate statement over (label, score) rows in the
 * database: the streaming collector's figures (learn/metrics.ts binaryMetrics) without a
 * row leaving it. The score is rounded to float32 first, as the stream keeps it, so both
 * see the same ties; the confusion counts, and so accuracy, precision, recall and F1, are
 * the stream's exactly, the log loss (the probability of the true label clipped to
 * [1e-15, 1 − 1e-15], per row) agrees to rounding in the sum.
 *
 * The AUC comes from a histogram of the scores with a certified error bound, else exactly:
 * the rows are grouped by bin floor(s × bins), a monotone function of s (× a power of two
 * is exact in binary floating point), so a positive and a negative in different bins are
 * ordered as their scores are and counted exactly, the negatives in lower bins by a
 * running sum over the bins. A pair within one bin is counted half, as a tie; its exact
 * share is 0, ½ or 1, and ½ whenever the bin holds one distinct score (its lowest score
 * equals its highest). So
 *   |AUC_histogram − AUC_exact| ≤ Σ over bins holding several scores of pos_b × neg_b / (2 × P × N),
 * a figure the same statement returns. When it exceeds the tolerance (1e-4, the issue's),
 * the statement runs again grouped by each distinct score, the exact Mann-Whitney sum
 * exactMetrics computes (ties counted half). Why bins: on continuous scores a group per
 * distinct score is about one per row (a million groups for a million rows, spilled to
 * disk and sorted for the window), while ≤ 16,385 bins stay in memory, and PostgreSQL
 * aggregates them in its parallel workers (Partial Aggregate → Gather → Finalize), the
 * window running over the bins only. 16,384 bins measured a bound of 1.7e-5 on gen.py's
 * binary table (1M rows, AUC 0.87), the error itself ~1e-8; scores concentrated in a
 * few bins (a very imbalanced target) can exceed the bound, and then cost the second,
 * exact statement.
 */
import type { SqlDialect } from '../../adapters/dialect.js';
import { doubleLiteral } from '../compile/sql-values.js';
import type { Value } from '../data.js';

/** The stream's clipping of a probability in the log loss (learn/metrics.ts). */
const PROBABILITY_FLOOR = 1e-15;

/** A probability clipped to [1e-15, 1 − 1e-15] as the stream clips it in the log loss. */
export function clippedProbability(dialect: SqlDialect, p: string): string {
  return `LEAST(${doubleLiteral(dialect, 1 - PROBABILITY_FLOOR)}, GREATEST(${doubleLiteral(dialect, PROBABILITY_FLOOR)}, ${p}))`;
}

export interface AucHistogram {
  /** floor(score × bins) is a row's bin: a power of two, so the product is exact. */
  readonly bins: number;
  /** The largest certified error taken from the histogram; above it the AUC is computed exactly. */
  readonly tolerance: number;
}

export const AUC_HISTOGRAM: AucHistogram = { bins: 16384, tolerance: 1e-4 };

export interface BinaryFigures {
  readonly positives: number;
  readonly negatives: number;
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
  /** NaN when one class has no rows. */
  readonly auc: number;
  readonly logLoss: number;
  /** How the AUC was computed: from the histogram (within `bound` of exact), or exactly (the histogram's bound was over the tolerance). */
  readonly aucMethod: { readonly method: 'histogram'; readonly bins: number; readonly bound: number } | { readonly method: 'exact'; readonly histogramBound: number };
}

export type Ask = (text: string) => Promise<readonly (readonly Value[])[]>;

/**
 * `rows` is a derived table (`(…) AS alias`) with `sqlml_y` (1 positive, 0 negative, NULL
 * skipped) and `sqlml_p` (P(positive) as a double). Null when no row has a label.
 */
export async function binaryFiguresInDatabase(ask: Ask, dialect: SqlDialect, rows: string, threshold: number, histogram: AucHistogram = AUC_HISTOGRAM): Promise<BinaryFigures | null> {
  if (!Number.isInteger(Math.log2(histogram.bins))) throw new Error(`AUC histogram bins must be a power of two, not ${histogram.bins}`);
  const t = doubleLiteral(dialect, threshold);
  const one = doubleLiteral(dialect, 1);
  const clip = (p: string): string => clippedProbability(dialect, p);
  const rounded = `(SELECT sqlml_y, ${dialect.probabilityAsFloat32('sqlml_p')} AS sqlml_s FROM ${rows} WHERE sqlml_y IS NOT NULL) AS sqlml_known`;
  // Per group (a bin, or a distinct score): positives, negatives, those at or above the
  // threshold, the summed log loss (per row: a bin holds several scores), the lowest and
  // highest score.
  const grouped = (key: string): string =>
    `(SELECT ${key} AS sqlml_g, SUM(sqlml_y) AS sqlml_pos, COUNT(*) - SUM(sqlml_y) AS sqlml_neg,
        SUM(CASE WHEN sqlml_s >= ${t} THEN sqlml_y ELSE 0 END) AS sqlml_tp, SUM(CASE WHEN sqlml_s >= ${t} THEN 1 - sqlml_y ELSE 0 END) AS sqlml_fp,
        SUM(CASE WHEN sqlml_y = 1 THEN -LN(${clip('sqlml_s')}) ELSE -LN(${clip(`${one} - sqlml_s`)}) END) AS sqlml_loss,
        MIN(sqlml_s) AS sqlml_lo, MAX(sqlml_s) AS sqlml_hi
      FROM ${rounded} GROUP BY 1) AS sqlml_groups`;
  const ranked = (key: string): string =>
    `(SELECT sqlml_groups.*, SUM(sqlml_neg) OVER (ORDER BY sqlml_g ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS sqlml_below FROM ${grouped(key)}) AS sqlml_ranked`;
  // The last column: the pairs counted as ties whose scores may differ (the bound's numerator).
  const statement = (key: string): string =>
    `SELECT SUM(sqlml_pos), SUM(sqlml_neg), SUM(sqlml_tp), SUM(sqlml_fp), SUM(sqlml_loss),
       SUM(sqlml_pos * (COALESCE(sqlml_below, 0) + sqlml_neg * 0.5)),
       SUM(CASE WHEN sqlml_lo < sqlml_hi THEN sqlml_pos * sqlml_neg ELSE 0 END)
     FROM ${ranked(key)}`;
  const read = (row: readonly Value[]): number[] => [0, 1, 2, 3, 4, 5, 6].map((i) => (row[i] === null || row[i] === undefined ? 0 : Number(row[i])));

  let figures = read((await ask(statement(`FLOOR(sqlml_s * ${histogram.bins})`)))[0] ?? []);
  const pairs = figures[0]! * figures[1]!;
  const bound = pairs === 0 ? 0 : figures[6]! / (2 * pairs);
  let aucMethod: BinaryFigures['aucMethod'] = { method: 'histogram', bins: histogram.bins, bound };
  if (bound > histogram.tolerance) {
    figures = read((await ask(statement('sqlml_s')))[0] ?? []);
    aucMethod = { method: 'exact', histogramBound: bound };
  }
  const [positives, negatives, tp, fp, lossSum, wins] = figures as [number, number, number, number, number, number];
  const count = positives + negatives;
  if (count === 0) return null;
  return {
    positives,
    negatives,
    tp,
    fp,
    tn: negatives - fp,
    fn: positives - tp,
    auc: pairs === 0 ? Number.NaN : wins / pairs,
    logLoss: lossSum / count,
    aucMethod,
  };
}
