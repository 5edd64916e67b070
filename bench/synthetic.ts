/**
 * The synthetic training table of the benchmarks, generated inside DuckDB: 16 features
 * (numbers on very different scales, NULLs, low- and high-cardinality text, a boolean,
 * a date) and a binary target drawn from a known logistic model.
 */
export function syntheticTableSql(table: string, rows: number): string {
  return `
CREATE OR REPLACE TABLE ${table} AS
WITH d AS (
  SELECT i,
    (hash(i, 1) % 1000003) / 1000003.0 AS u1, (hash(i, 2) % 1000003) / 1000003.0 AS u2,
    (hash(i, 3) % 1000003) / 1000003.0 AS u3, (hash(i, 4) % 1000003) / 1000003.0 AS u4,
    (hash(i, 5) % 1000003) / 1000003.0 AS u5, (hash(i, 6) % 1000003) / 1000003.0 AS u6,
    (hash(i, 7) % 1000003) / 1000003.0 AS u7, (hash(i, 8) % 1000003) / 1000003.0 AS u8,
    (hash(i, 9) % 1000003) / 1000003.0 AS u9, (hash(i, 10) % 1000003) / 1000003.0 AS u10,
    hash(i, 11) % 1000 AS c1000, hash(i, 12) % 8 AS c8, hash(i, 13) % 50 AS c50,
    (hash(i, 14) % 1000003) / 1000003.0 AS noise
  FROM range(${rows}) t(i)
)
SELECT i AS id,
  u1 * 5e6 AS revenue, u2 * 1e-3 AS ratio, CASE WHEN u3 < 0.1 THEN NULL ELSE u3 * 100 - 50 END AS delta,
  u4 AS p4, u5 * 10 AS p5, CAST(u6 * 20 AS INTEGER) AS visits, u7 * u7 AS p7, ln(1 + u8 * 1000) AS p8,
  CASE WHEN u9 < 0.05 THEN NULL ELSE u9 END AS p9, u10 - 0.5 AS p10,
  'city_' || c1000 AS city, 'tier_' || c8 AS tier, 'region_' || c50 AS region,
  u4 > 0.5 AS flag, DATE '2020-01-01' + CAST(u5 * 1000 AS INTEGER) AS signup,
  CASE WHEN c8 = 3 THEN NULL ELSE 'channel_' || (c8 % 3) END AS channel,
  noise < 1 / (1 + exp(-(1.5 * (u1 - 0.5) - 2.0 * (u2 - 0.5) + 0.03 * coalesce(u3 * 100 - 50, 0)
      + 1.2 * (u7 - 0.33) + 0.8 * CAST(c8 = 1 AS INTEGER) - 0.8 * CAST(c8 = 5 AS INTEGER)
      + 0.6 * CAST(c1000 < 100 AS INTEGER) + 0.5 * (u10 - 0.5)))) AS label
FROM d;`;
}
