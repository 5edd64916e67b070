/**
 * How many rows a source will give, for progress with a percentage and time left: asked
 * of the database the way its dialect says (DuckDB counts, PostgreSQL's planner estimates)
 * and only when someone watches the progress. A failure or a database without an estimate
 * is simply no percentage: it never fails the statement.
 */
import type { ExecContext } from './context.js';

export async function estimateRows(context: ExecContext, select: string): Promise<number | undefined> {
  const estimate = context.adapter.sql.rowEstimate;
  if (!context.onProgress || !estimate) return undefined;
  try {
    const result = await context.adapter.query(estimate.sql(select), context.signal ? { signal: context.signal } : {});
    const rows = estimate.read(result.rows[0]?.[0]);
    return rows !== undefined && Number.isFinite(rows) && rows > 0 ? rows : undefined;
  } catch {
    return undefined;
  }
}
