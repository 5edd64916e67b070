/**
 * Seeded 32-bit hashing (MurmurHash3 x86_32) for the deterministic train/evaluation
 * split, the profiler's distinct-value sketches, and the hashed features of models stored
 * by earlier versions (new models hash key strings with md5, which SQL reproduces: see
 * md5.ts and recipe-format.ts). Strings are hashed by UTF-16 code unit, which is
 * deterministic across platforms and needs no encoding step per value.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3's block scramble (exported for the split's SQL form, split-sql.ts, which folds a constant block). */
export function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of a string's UTF-16 code units, two per 32-bit block. */
export function hashString(text: string, seed: number): number {
  return hashRange(text, 0, text.length, seed);
}

/**
 * `hashString(text.slice(start, end), seed)` without the slice, so a word inside a text
 * hashes alike whether it was cut out or not, and tokenizing allocates no substrings.
 */
export function hashRange(text: string, start: number, end: number, seed: number): number {
  let h = seed | 0;
  let i = start;
  for (; i + 1 < end; i += 2) {
    h = mixH(h, text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
  }
  if (i < end) h ^= mixK(text.charCodeAt(i));
  return finalize(h, (end - start) * 2);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Hash of a double's bit pattern (+0 and -0 hash alike). */
export function hashNumber(value: number, seed: number): number {
  f64[0] = value === 0 ? 0 : value;
  let h = seed | 0;
  h = mixH(h, u32[0]!);
  h = mixH(h, u32[1]!);
  return finalize(h, 8);
}

/**
 * Folds a double's bit pattern (+0 and -0 alike) into a running MurmurHash3 state, two
 * 32-bit blocks, without finalizing: cheaper than `hashCombine(h, hashNumber(value))`
 * and keeping all 64 bits; `finishHash` ends the run.
 */
export function mixNumber(h: number, value: number): number {
  f64[0] = value === 0 ? 0 : value;
  return mixH(mixH(h, u32[0]!), u32[1]!);
}

/** Folds one 32-bit block into a running MurmurHash3 state, without finalizing. */
export function mixBlock(h: number, block: number): number {
  return mixH(h, block | 0);
}

/** Ends a run of `mixNumber`/`mixBlock` over `blocks` 32-bit blocks. */
export function finishHash(h: number, blocks: number): number {
  return finalize(h, blocks * 4);
}

/** Folds one more 32-bit hash into a running hash (order-sensitive). */
export function hashCombine(h: number, value: number): number {
  return finalize(mixH(h | 0, value | 0), 4);
}

/** A hash as a number in [0, 1). */
export function hashToUnit(h: number): number {
  return (h >>> 0) / 4294967296;
}
