/**
 * One PostgreSQL backend made to run a statement alone, so that its CPU is the
 * statement's: no parallel workers (their CPU would be other processes') and no JIT
 * (sqlml's compiled statements run without it). Shared by the benches that compare two
 * compilations of one score by CPU seconds (cross-dictionary, multiclass-slots,
 * multiclass-text).
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** Sets `client`'s session serial and JIT-free; returns a reader of its backend's CPU seconds (utime + stime, ticks of 1/100 s). */
export async function serialBackend(client: pg.Client): Promise<() => number> {
  const backend = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  await client.query('SET max_parallel_workers_per_gather = 0');
  await client.query('SET jit = off');
  return () => {
    const fields = readFileSync(`/proc/${backend}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
}
