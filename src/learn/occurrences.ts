/**
 * How many times each row content has been seen so far, keyed by a 64-bit content hash
 * (two independent 32-bit halves). The split gives the k-th copy of a content its own
 * role, so the counter must never let two contents share a count: a 32-bit key would,
 * every few hundred thousand distinct rows, and their roles would then depend on the
 * order the rows arrive in.
 *
 * Open addressing with linear probing over typed arrays, 12 bytes a slot, at most 3/4 of
 * the home slots in use: about 16-32 bytes per distinct content, no per-row allocation.
 * Probes run forward without wrapping, into a spill region of 1/8 the home slots past
 * the last one. That lets the table double in place: its arrays sit on resizable
 * buffers that grow without a copy (no moment with the old and the new table both
 * alive, which at 5M distinct rows would be another 50 MB), and an entry moves either
 * nowhere or up by the old size.
 */

const INITIAL_HOME_SLOTS = 1 << 12;
/** The largest resizable ArrayBuffer V8 reserves (2^32 bytes): 2^29 slots of keys. */
const MAX_KEY_BYTES = 2 ** 32;

/** ES2024's resizable ArrayBuffer, which Node 20 has and the project's TypeScript lib does not declare. */
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ResizableArrayBuffer;

export class OccurrenceCounter {
  readonly #keyBuffer: ResizableArrayBuffer;
  readonly #countBuffer: ResizableArrayBuffer;
  /** Both halves of each slot's key, side by side: [lo0, hi0, lo1, hi1, ...]. */
  #keys: Int32Array;
  /** Copies of each slot's content seen so far; 0 marks an empty slot. */
  #counts: Uint32Array;
  /** Home slots - 1: a key's home is `lo & mask`. */
  #mask: number;
  #used = 0;
  #limit: number;

  constructor(homeSlots = INITIAL_HOME_SLOTS) {
    const home = 1 << Math.max(4, Math.ceil(Math.log2(homeSlots)));
    const slots = physicalSlots(home);
    this.#keyBuffer = new ResizableArrayBuffer(8 * slots, { maxByteLength: MAX_KEY_BYTES });
    this.#countBuffer = new ResizableArrayBuffer(4 * slots, { maxByteLength: MAX_KEY_BYTES / 2 });
    this.#keys = new Int32Array(this.#keyBuffer);
    this.#counts = new Uint32Array(this.#countBuffer);
    this.#mask = home - 1;
    this.#limit = (home >>> 2) * 3;
  }

  /**
   * Counts one more copy of the content whose hash is (`lo`, `hi`) and returns how many
   * copies came before it (0 for the first). `lo` picks the slot, so it must be well
   * mixed (a finalized hash).
   */
  next(lo: number, hi: number): number {
    lo |= 0;
    hi |= 0;
    for (;;) {
      const keys = this.#keys;
      const counts = this.#counts;
      const end = counts.length;
      for (let slot = lo & this.#mask; slot < end; slot++) {
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
      // A run of occupied slots reached the end of the spill region: make room, probe again.
      this.#grow();
    }
  }

  /** Whether the content whose hash is (`lo`, `hi`) has been counted (nothing is counted). */
  has(lo: number, hi: number): boolean {
    lo |= 0;
    hi |= 0;
    const keys = this.#keys;
    const counts = this.#counts;
    for (let slot = lo & this.#mask; slot < counts.length; slot++) {
      if (counts[slot] === 0) return false;
      if (keys[2 * slot] === lo && keys[2 * slot + 1] === hi) return true;
    }
    return false;
  }

  /** Distinct contents seen. */
  get distinct(): number {
    return this.#used;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.#keyBuffer.byteLength + this.#countBuffer.byteLength;
  }

  /**
   * Forgets every content counted, keeping the table's size: one counter then counts
   * many small sets in turn (the split's partitions) without a table, and its address
   * space reservation, made and given back for each.
   */
  clear(): void {
    if (this.#used === 0) return;
    this.#counts.fill(0);
    this.#used = 0;
  }

  /** Gives the table's memory back at once (the counter is empty after). */
  release(): void {
    this.#keyBuffer.resize(0);
    this.#countBuffer.resize(0);
    this.#used = 0;
    this.#mask = 0;
    this.#limit = -1;
  }

  /**
   * Doubles the home slots in place. Entries come out of the spill region first; then
   * each entry of the old home slots, in slot order, is taken out and put back with the
   * new mask: a key whose home stays lands at or before its old slot (every slot between
   * its home and there is already settled), a key whose home moves up lands among
   * settled entries only. The spilled entries go back last.
   */
  #grow(): void {
    const oldHome = this.#mask + 1;
    const oldEnd = this.#counts.length;
    const home = 2 * oldHome;
    const end = physicalSlots(home);
    if (8 * end > MAX_KEY_BYTES) {
      throw new Error(`the split counts copies of at most ${(MAX_KEY_BYTES / 8) * 0.75} distinct rows`);
    }
    const spilled = this.#takeOut(oldHome, oldEnd);
    this.#keyBuffer.resize(8 * end);
    this.#countBuffer.resize(4 * end);
    this.#keys = new Int32Array(this.#keyBuffer);
    this.#counts = new Uint32Array(this.#countBuffer);
    this.#mask = home - 1;
    this.#limit = (home >>> 2) * 3;
    const keys = this.#keys;
    const counts = this.#counts;
    for (let old = 0; old < oldHome; old++) {
      const count = counts[old]!;
      if (count === 0) continue;
      counts[old] = 0;
      if (!this.#place(keys[2 * old]!, keys[2 * old + 1]!, count)) return this.#rebuild(spilled, old, count);
    }
    for (let i = 0; i < spilled.counts.length; i++) {
      if (!this.#place(spilled.keys[2 * i]!, spilled.keys[2 * i + 1]!, spilled.counts[i]!)) return this.#rebuild(spilled, -1, 0, i);
    }
  }

  /** Puts an entry in the first free slot from its home; false if the spill region is full. */
  #place(lo: number, hi: number, count: number): boolean {
    const keys = this.#keys;
    const counts = this.#counts;
    for (let slot = lo & this.#mask; slot < counts.length; slot++) {
      if (counts[slot] !== 0) continue;
      keys[2 * slot] = lo;
      keys[2 * slot + 1] = hi;
      counts[slot] = count;
      return true;
    }
    return false;
  }

  /** The entries of slots [from, to), removed from the table. */
  #takeOut(from: number, to: number): { keys: Int32Array; counts: Uint32Array } {
    const counts = this.#counts;
    let n = 0;
    for (let slot = from; slot < to; slot++) if (counts[slot] !== 0) n++;
    const taken = { keys: new Int32Array(2 * n), counts: new Uint32Array(n) };
    let i = 0;
    for (let slot = from; slot < to; slot++) {
      if (counts[slot] === 0) continue;
      taken.keys[2 * i] = this.#keys[2 * slot]!;
      taken.keys[2 * i + 1] = this.#keys[2 * slot + 1]!;
      taken.counts[i++] = counts[slot]!;
      counts[slot] = 0;
    }
    return taken;
  }

  /**
   * The slow way, when a run of keys sharing home slots overflows the spill region during
   * the in-place doubling: every entry (those in the table, the one in hand at old slot
   * `pending` or spilled entry `spilledFrom`, and the spilled ones not yet back) comes
   * out, and the table doubles again until they all fit.
   */
  #rebuild(spilled: { keys: Int32Array; counts: Uint32Array }, pendingSlot: number, pendingCount: number, spilledFrom = 0): void {
    const inTable = this.#takeOut(0, this.#counts.length);
    const pending: number[] = [];
    if (pendingSlot >= 0) pending.push(this.#keys[2 * pendingSlot]!, this.#keys[2 * pendingSlot + 1]!, pendingCount);
    for (let i = spilledFrom; i < spilled.counts.length; i++) pending.push(spilled.keys[2 * i]!, spilled.keys[2 * i + 1]!, spilled.counts[i]!);
    const used = this.#used;
    for (;;) {
      this.#mask = 2 * (this.#mask + 1) - 1;
      const end = physicalSlots(this.#mask + 1);
      if (8 * end > MAX_KEY_BYTES) throw new Error('the split found too many row contents sharing one hash');
      this.#keyBuffer.resize(8 * end);
      this.#countBuffer.resize(4 * end);
      this.#keys = new Int32Array(this.#keyBuffer);
      this.#counts = new Uint32Array(this.#countBuffer);
      this.#counts.fill(0);
      this.#limit = ((this.#mask + 1) >>> 2) * 3;
      let fits = true;
      for (let i = 0; fits && i < inTable.counts.length; i++) fits = this.#place(inTable.keys[2 * i]!, inTable.keys[2 * i + 1]!, inTable.counts[i]!);
      for (let i = 0; fits && i < pending.length; i += 3) fits = this.#place(pending[i]!, pending[i + 1]!, pending[i + 2]!);
      if (fits) break;
    }
    this.#used = used;
  }
}

/** Home slots plus the spill region past them. */
function physicalSlots(home: number): number {
  return home + Math.max(64, home >>> 3);
}
