/**
 * The binary metrics by one aggregate statement in the database
 * (src/engine/binary-metrics-in-database.ts) against the stream's own code
 * (learn/metrics.ts binaryMetrics over float32 scores), on DuckDB, PostgreSQL and
 * MariaDB: the confusion counts identical, the log loss within 1e-9, and the AUC within
 * the bound the statement certifies — from the histogram, or exact when the bound is over
 * the tolerance. Real scores: a monotone map of california_housing's median income against
 * "house value above the median" (~all scores distinct) and of bank's euribor3m against
 * y (a few hundred distinct scores: many ties); then random rows (fast-check) with ties,
 * 0, 1, tiny scores and NULL labels, at coarse and fine bins.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDialect } from '../../adapters/dialect.js';
import { doubleLiteral } from '../../src/compile/sql-values.js';
import type { Value } from '../../src/data.js';
import { AUC_HISTOGRAM, binaryFiguresInDatabase, type AucHistogram, type BinaryFigures } from '../../src/engine/binary-metrics-in-database.js';
import { Engine } from '../../src/engine/engine.js';
import { binaryMetrics } from '../../src/learn/metrics.js';
import { serverTargets } from '../helpers/servers.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

const californiaFile = sharedDataFile('california_housing.csv');
const bankFile = sharedDataFile('bank_additional_full.csv');
const haveData = californiaFile !== null && bankFile !== null;

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];

interface Scored {
  readonly labels: (0 | 1 | null)[];
  readonly scores: number[];
}

/** The real data sets' (label, score) rows, read by DuckDB. */
const real: Record<string, Scored> = {};
let reader: Engine | undefined;

beforeAll(async () => {
  if (!haveData) return;
  reader = await Engine.open('duckdb::memory:');
  const read = async (name: string, sql: string): Promise<void> => {
    await reader!.adapter.query(`CREATE TABLE ${name} AS SELECT row_number() OVER () AS id, * FROM (${sql}) AS t(y, p)`);
    const rows = (await reader!.adapter.query(`SELECT y, p FROM ${name} ORDER BY id`)).rows;
    real[name] = { labels: rows.map((row) => (row[0] === null ? null : Number(row[0]) === 1 ? 1 : 0)), scores: rows.map((row) => Number(row[1])) };
  };
  await read('spread', `SELECT CASE WHEN median_house_value > 179700 THEN 1 ELSE 0 END, 1 / (1 + exp(-(median_income - 3.87) / 1.9)) FROM read_csv(${sqlString(californiaFile!)})`);
  await read('ties', `SELECT CAST(y AS INTEGER), (euribor3m - 0.6) / 4.5 FROM read_csv(${sqlString(bankFile!)})`);
}, 60_000);

afterAll(async () => {
  await reader?.close();
});

/** The rows as a derived table of UNION ALL selects (every dialect has them). */
function rowsSql(dialect: SqlDialect, { labels, scores }: Scored): string {
  const selects = labels.map((y, i) => `SELECT ${y === null ? 'CAST(NULL AS INTEGER)' : y} AS sqlml_y, ${doubleLiteral(dialect, scores[i]!)} AS sqlml_p`);
  return `(${selects.join(' UNION ALL ')}) AS sqlml_rows`;
}

/** The stream's figures: known labels only, scores as the float32 it keeps. */
function streamFigures({ labels, scores }: Scored, threshold: number): ReturnType<typeof binaryMetrics> {
  const known = labels.flatMap((y, i) => (y === null ? [] : [i]));
  return binaryMetrics(
    Uint8Array.from(known.map((i) => labels[i]!)),
    Float32Array.from(known.map((i) => scores[i]!)),
    known.length,
    threshold,
  );
}

function expectStreamFigures(figures: BinaryFigures | null, data: Scored, threshold: number, histogram: AucHistogram): BinaryFigures {
  const stream = streamFigures(data, threshold);
  expect(figures).not.toBeNull();
  const f = figures!;
  expect({ tp: f.tp, fp: f.fp, tn: f.tn, fn: f.fn }).toEqual({ tp: stream.tp, fp: stream.fp, tn: stream.tn, fn: stream.fn });
  expect(Math.abs(f.logLoss - stream.logLoss)).toBeLessThanOrEqual(1e-9 * Math.max(1, stream.logLoss));
  if (Number.isNaN(stream.auc)) {
    expect(f.auc).toBeNaN();
    return f;
  }
  const error = Math.abs(f.auc - stream.auc);
  if (f.aucMethod.method === 'histogram') {
    expect(f.aucMethod.bound).toBeLessThanOrEqual(histogram.tolerance);
    // The certified bound holds (1e-12: the sums' rounding).
    expect(error, `bound ${f.aucMethod.bound}`).toBeLessThanOrEqual(f.aucMethod.bound + 1e-12);
  } else {
    expect(f.aucMethod.histogramBound).toBeGreaterThan(histogram.tolerance);
    expect(error).toBeLessThanOrEqual(1e-12);
  }
  return f;
}

describe.each(TARGETS)('$label', ({ url }) => {
  let engine: Engine;
  const ask = async (text: string): Promise<readonly (readonly Value[])[]> => (await engine.adapter.query(text)).rows;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const tables: string[] = [];

  beforeAll(async () => {
    engine = await Engine.open(url);
  });

  afterAll(async () => {
    for (const table of tables) await engine.adapter.query(`DROP TABLE IF EXISTS ${engine.adapter.sql.quoteIdent(table)}`).catch(() => undefined);
    await engine.close();
  });

  /** The real data set `name` as a table of the database under test, as the rows the function takes. */
  async function tableOf(name: string): Promise<string> {
    const table = `bm_${name}_${tag}`;
    tables.push(table);
    const q = (id: string): string => engine.adapter.sql.quoteIdent(id);
    const stream = await reader!.adapter.openStream(`SELECT y, p FROM ${name} ORDER BY id`, { batchRows: 4096 });
    await engine.adapter.write({ name: table }, stream.columns, stream.batches(), 'replace');
    return `(SELECT ${q('y')} AS sqlml_y, ${q('p')} AS sqlml_p FROM ${q(table)}) AS sqlml_rows`;
  }

  it.skipIf(!haveData)('real scores, ~all distinct and with many ties: the histogram AUC within its certified bound (≤ 1e-4) of exact; exact below the bound; coarse bins still within theirs', async () => {
    for (const [name, data] of Object.entries(real)) {
      const rows = await tableOf(name);
      const fine = expectStreamFigures(await binaryFiguresInDatabase(ask, engine.adapter.sql, rows, 0.5), data, 0.5, AUC_HISTOGRAM);
      expect(fine.aucMethod.method, name).toBe('histogram');
      const exact = { bins: AUC_HISTOGRAM.bins, tolerance: 0 };
      const exactFigures = expectStreamFigures(await binaryFiguresInDatabase(ask, engine.adapter.sql, rows, 0.3, exact), data, 0.3, exact);
      const coarse = { bins: 8, tolerance: Number.POSITIVE_INFINITY };
      const coarseFigures = expectStreamFigures(await binaryFiguresInDatabase(ask, engine.adapter.sql, rows, 0.5, coarse), data, 0.5, coarse);
      expect(coarseFigures.aucMethod.method).toBe('histogram');
      // Coarse bins hold many distinct scores: the bound is not trivially 0, and still holds.
      expect(coarseFigures.aucMethod.method === 'histogram' && coarseFigures.aucMethod.bound).toBeGreaterThan(1e-3);
      if (name === 'spread') expect(exactFigures.aucMethod.method).toBe('exact');
    }
  }, 120_000);

  it('random rows (ties, 0, 1, tiny scores, NULL labels): the stream\'s counts and log loss, the AUC within the certified bound', async () => {
    const score = fc.oneof(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom(0, 1, 0.5, 0.25, 1e-30, 1 - 1e-9),
      fc.integer({ min: 0, max: 20 }).map((k) => k / 20),
    );
    const row = fc.tuple(fc.constantFrom<0 | 1 | null>(0, 1, 1, 0, null), score);
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 120 }),
        fc.constantFrom(1, 2, 16, 1024, 16384),
        fc.constantFrom(0, 1e-4, Number.POSITIVE_INFINITY),
        fc.constantFrom(0.5, 0.3, 0.99),
        async (pairs, bins, tolerance, threshold) => {
          const data: Scored = { labels: pairs.map(([y]) => y), scores: pairs.map(([, s]) => s) };
          const histogram = { bins, tolerance };
          const figures = await binaryFiguresInDatabase(ask, engine.adapter.sql, rowsSql(engine.adapter.sql, data), threshold, histogram);
          if (data.labels.every((y) => y === null)) expect(figures).toBeNull();
          else expectStreamFigures(figures, data, threshold, histogram);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
