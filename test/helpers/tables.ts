/**
 * Small deterministic tables made by DuckDB itself (hash() of the row number as dice),
 * with a known relationship between features and target.
 */
export const CUSTOMERS_SQL = `
CREATE OR REPLACE TABLE customers AS
WITH d AS (
  SELECT i AS id,
         (hash(i, 'a') % 10000) / 10000.0 AS u1,
         (hash(i, 'b') % 10000) / 10000.0 AS u2,
         (hash(i, 'c') % 10000) / 10000.0 AS u3,
         (hash(i, 'd') % 10000) / 10000.0 AS u4
  FROM range(1, 4001) t(i)
)
SELECT id,
       round(u1 * 100, 2) AS spend,
       CASE WHEN u2 < 0.5 THEN 'basic' WHEN u2 < 0.8 THEN 'plus' ELSE 'pro' END AS plan,
       CASE WHEN id % 13 = 0 THEN NULL ELSE CAST(u3 * 10 AS INTEGER) END AS calls,
       u4 < 1 / (1 + exp(-(-2 + 0.04 * u1 * 100 + 1.5 * CAST(u2 >= 0.8 AS INTEGER)))) AS churned,
       round(3 * u1 * 100 + 20 * CAST(u2 >= 0.8 AS INTEGER) + 5 * u4, 3) AS revenue,
       CASE WHEN u1 < 0.33 THEN 'low' WHEN u1 < 0.66 THEN 'mid' ELSE 'high' END AS segment
FROM d;
`;
