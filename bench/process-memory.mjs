/**
 * Where a bench process's resident memory is, from Linux's /proc/self (in MB, rounded):
 * what the RSS counts alone does not tell apart. Shared by bench/train-phase-memory.mjs.
 *
 * - `rollup()`: /proc/self/smaps_rollup: anonymous memory (V8's heap, malloc's and
 *   jemalloc's, DuckDB's buffer pool, thread stacks) against file-backed pages (the
 *   node binary and libduckdb.so's code, mapped files).
 * - `anonymousMappings()`: /proc/self/smaps, the anonymous resident memory by kind of
 *   mapping: glibc's main arena (`[heap]`, grown by brk), its other arenas (each thread
 *   that mallocs under contention gets one: a heap reserved as 64 MiB at a 64 MiB boundary,
 *   its used part read-write and the rest PROT_NONE), and every other anonymous mapping
 *   (V8's pages, mmap'd large mallocs, jemalloc's extents, stacks) by its size.
 */
import { readFileSync } from 'node:fs';

const MB = 1024;
/** glibc's HEAP_MAX_SIZE on 64-bit Linux: 2 × DEFAULT_MMAP_THRESHOLD_MAX. */
const ARENA_HEAP = 64n * 1024n * 1024n;

/** Rss, anonymous and file-backed resident MB from smaps_rollup, or null off Linux. */
export function rollup() {
  try {
    const text = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? 0);
    const rss = kb('Rss');
    const anonymous = kb('Anonymous');
    return { rss: Math.round(rss / MB), anonymous: Math.round(anonymous / MB), file: Math.round((rss - anonymous - kb('Shmem')) / MB) };
  } catch {
    return null;
  }
}

/** Anonymous resident MB by kind of mapping (see above), or null off Linux. */
export function anonymousMappings() {
  let text;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return null;
  }
  const maps = [];
  let current = null;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      current = { start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3], path: head[4], anonymous: 0 };
      maps.push(current);
      continue;
    }
    const anon = /^Anonymous:\s+(\d+) kB$/.exec(line);
    if (anon && current) current.anonymous = Number(anon[1]);
  }
  const kinds = { glibc_main_arena: 0, glibc_arenas: 0, glibc_arena_count: 0, other_under_1mb: 0, other_1_to_8mb: 0, other_8mb_up: 0, file_or_named: 0, largest_other: [] };
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    if (m.anonymous === 0) continue;
    if (m.path === '[heap]') kinds.glibc_main_arena += m.anonymous;
    else if (m.path !== '') kinds.file_or_named += m.anonymous;
    else if (isArenaHeap(m, maps[i + 1])) {
      kinds.glibc_arenas += m.anonymous;
      kinds.glibc_arena_count++;
    } else {
      const size = Number(m.end - m.start) / 1024;
      if (size < 1024) kinds.other_under_1mb += m.anonymous;
      else if (size < 8 * 1024) kinds.other_1_to_8mb += m.anonymous;
      else kinds.other_8mb_up += m.anonymous;
      kinds.largest_other.push(m.anonymous);
    }
  }
  const round = (kb) => Math.round(kb / MB);
  kinds.largest_other = kinds.largest_other.sort((a, b) => b - a).slice(0, 5).map(round);
  for (const key of Object.keys(kinds)) if (typeof kinds[key] === 'number' && key !== 'glibc_arena_count') kinds[key] = round(kinds[key]);
  return kinds;
}

/** A glibc arena's heap: read-write from a 64 MiB boundary, the rest of the 64 MiB reserved PROT_NONE (or all of it in use). */
function isArenaHeap(map, next) {
  if (map.start % ARENA_HEAP !== 0n || !map.perms.startsWith('rw')) return false;
  if (map.end - map.start === ARENA_HEAP) return true;
  return next !== undefined && next.start === map.end && next.perms.startsWith('---') && next.end - map.start === ARENA_HEAP;
}
