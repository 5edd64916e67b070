/** Helpers for the learner's growable typed-array arenas. */

/** `fresh` (a larger array of the same type) with `old`'s contents copied to its start. */
export function grownCopy<T extends Float64Array | Float32Array | Uint32Array>(old: T, fresh: T): T {
  fresh.set(old);
  return fresh;
}
