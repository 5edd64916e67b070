/**
 * How many times each row content has been seen so far, keyed by a 64-bit content hash
 * (two independent 32-bit halves). The split gives the k-th copy of a content its own
 * role, so the counter must never let two contents share a count: a 32-bit key would,
 * every few hundred thousand distinct rows, and their roles would then depend on the
 * order the rows arrive in.
 *
 * Open addressing with linear probing over typed arrays: 12 bytes a slot, at most 3/4 of
 * the slots in use, so about 16-32 bytes per distinct content and no per-row allocation.
 */

const INITIAL_SLOTS = 1 << 12;

export class OccurrenceCounter {
  /** Both halves of each slot's key, side by side: [lo0, hi0, lo1, hi1, ...]. */
  #keys: Int32Array;
  /** Copies of each slot's content seen so far; 0 marks an empty slot. */
  #counts: Uint32Array;
  #mask: number;
  #used = 0;
  #limit: number;

  constructor(slots = INITIAL_SLOTS) {
    const size = 1 << Math.max(4, Math.ceil(Math.log2(slots)));
    this.#keys = new Int32Array(2 * size);
    this.#counts = new Uint32Array(size);
    this.#mask = size - 1;
    this.#limit = (size >>> 2) * 3;
  }

  /**
   * Counts one more copy of the content whose hash is (`lo`, `hi`) and returns how many
   * copies came before it (0 for the first). `lo` picks the slot, so it must be well
   * mixed (a finalized hash).
   */
  next(lo: number, hi: number): number {
    const keys = this.#keys;
    const counts = this.#counts;
    const mask = this.#mask;
    lo |= 0;
    hi |= 0;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const count = counts[slot]!;
      if (count === 0) {
        keys[2 * slot] = lo;
        keys[2 * slot + 1] = hi;
        counts[slot] = 1;
        if (++this.#used > this.#limit) this.#grow();
        return 0;
      }
      if (keys[2 * slot] === lo && keys[2 * slot + 1] === hi) {
        counts[slot] = count + 1;
        return count;
      }
    }
  }

  /** Distinct contents seen. */
  get distinct(): number {
    return this.#used;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.#keys.byteLength + this.#counts.byteLength;
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldCounts = this.#counts;
    const size = oldCounts.length * 2;
    const keys = new Int32Array(2 * size);
    const counts = new Uint32Array(size);
    const mask = size - 1;
    for (let old = 0; old < oldCounts.length; old++) {
      const count = oldCounts[old]!;
      if (count === 0) continue;
      const lo = oldKeys[2 * old]!;
      let slot = lo & mask;
      while (counts[slot] !== 0) slot = (slot + 1) & mask;
      keys[2 * slot] = lo;
      keys[2 * slot + 1] = oldKeys[2 * old + 1]!;
      counts[slot] = count;
    }
    this.#keys = keys;
    this.#counts = counts;
    this.#mask = mask;
    this.#limit = (size >>> 2) * 3;
  }
}
