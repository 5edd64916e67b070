/**
 * DuckDB's allocator, told before DuckDB loads to give memory back when it is freed, for
 * a command line whose DuckDB URL bounds DuckDB's memory (`memory_limit` or `max_memory`
 * in its `?…` settings).
 *
 * DuckDB runs in sqlml's process. Its bundled jemalloc keeps the pages DuckDB frees for 5
 * seconds (or until a task's thread passed `allocator_flush_threshold`, 128 MiB by
 * default, whatever memory_limit says), so a user who capped DuckDB at 128 MB saw the
 * process peak 350–400 MB: the pool, plus freed pages jemalloc had not given back (30–100
 * MB: docs/training-in-database.md, "DuckDB's memory in the process"). With its decay at 0
 * they go back at once: gen.py's 1M rows trained in the database through the CLI peaked
 * at 316–325 MB instead of 353–405, the 10M rows at 353–365 instead of 465–472, for 5–18%
 * more CPU time (the stream over 10M rows: 333–334 MB instead of 349–353, 12–31% more
 * CPU). The default path (no memory bound in the URL) is left as DuckDB sets it.
 *
 * jemalloc reads its options once, when libduckdb.so loads, from the environment variable
 * DUCKDB_JE_MALLOC_CONF: so this runs in the CLI's entry before anything imports DuckDB,
 * and a value the user set (even empty) is left alone. A program that opens sqlml's
 * Engine itself sets the variable itself.
 */

/** jemalloc's options that return freed pages at once (dirty pages purged, none kept lazily freed). */
export const RETURN_FREED_PAGES = 'dirty_decay_ms:0,muzzy_decay_ms:0';

/** The `--db` URL of a command line as the CLI reads it (`--db URL`, `--db=URL`), else SQLML_DB. */
export function databaseUrlOf(args: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg === '--db') return args[i + 1];
    if (arg.startsWith('--db=')) return arg.slice('--db='.length);
  }
  return env.SQLML_DB;
}

/** Whether `url` is a DuckDB URL whose settings bound DuckDB's memory. */
export function boundsDuckDBMemory(url: string | undefined): boolean {
  if (url === undefined || !/^duckdb:/i.test(url)) return false;
  const query = url.indexOf('?');
  if (query < 0) return false;
  const settings = new URLSearchParams(url.slice(query + 1));
  return [...settings.keys()].some((key) => /^(memory_limit|max_memory)$/i.test(key));
}

/** Sets DUCKDB_JE_MALLOC_CONF in `env` when the command line's DuckDB URL bounds its memory and the user has not set it; says whether it did. */
export function boundDuckDBAllocator(args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (env.DUCKDB_JE_MALLOC_CONF !== undefined) return false;
  if (!boundsDuckDBMemory(databaseUrlOf(args, env))) return false;
  env.DUCKDB_JE_MALLOC_CONF = RETURN_FREED_PAGES;
  return true;
}
