/**
 * Short UTF-8 values decoded once per distinct value (PostgreSQL's binary COPY fields,
 * DuckDB's inline VARCHARs): a column of categories repeats a
 * few hundred values a million times, and decoding each occurrence into a new string is
 * most of what reading it costs. A table per column maps the bytes of values up to
 * SHORT_BYTES long to the string made for them the first time; later Map lookups on the
 * values also reuse each string's cached hash. Columns whose values rarely repeat (ids,
 * free text) stop looking after a probation period.
 */
import type { Buffer } from 'node:buffer';

/** Longest value the table keeps, in bytes. */
export const SHORT_BYTES = 16;
/** Slots (a power of two); the table holds at most half as many values. */
const SLOTS = 8192;
/** Lookups after which a column that mostly misses stops looking. */
const PROBATION = 65_536;

export class TextInterner {
  /**
   * The values held, by code: a code is given in the order values are first held and
   * stands for its value for the interner's life (see TextColumnData.codes).
   */
  readonly dictionary: string[] = [];
  /** The code of the value the last `decode` returned, or -1 when the table does not hold it. */
  code = -1;
  /** Per slot: its value's code. */
  readonly #codes = new Int32Array(SLOTS);
  /** Per slot: length + 1 (0 = empty). */
  readonly #lengths = new Int32Array(SLOTS);
  /** Per slot: the value's bytes, SHORT_BYTES apart. */
  readonly #bytes = new Uint8Array(SLOTS * SHORT_BYTES);
  readonly #strings: (string | undefined)[] = new Array(SLOTS);
  #held = 0;
  #lookups = 0;
  #hits = 0;
  #active = true;

  /** The string of `buffer[start, start + size)`, decoded as UTF-8. */
  decode(buffer: Buffer, start: number, size: number): string {
    if (size > SHORT_BYTES || !this.#active) {
      this.code = -1;
      return buffer.toString('utf8', start, start + size);
    }
    let h = size;
    for (let i = 0; i < size; i++) h = Math.imul(h ^ buffer[start + i]!, 0x01000193);
    h ^= h >>> 15;
    const lengths = this.#lengths;
    const bytes = this.#bytes;
    let slot = h & (SLOTS - 1);
    this.#lookups++;
    for (;;) {
      const tag = lengths[slot]!;
      if (tag === 0) break;
      if (tag === size + 1) {
        const base = slot * SHORT_BYTES;
        let same = true;
        for (let i = 0; i < size; i++) {
          if (bytes[base + i] !== buffer[start + i]) {
            same = false;
            break;
          }
        }
        if (same) {
          this.#hits++;
          this.code = this.#codes[slot]!;
          return this.#strings[slot]!;
        }
      }
      slot = (slot + 1) & (SLOTS - 1);
    }
    const text = buffer.toString('utf8', start, start + size);
    if (this.#held < SLOTS / 2) {
      lengths[slot] = size + 1;
      bytes.set(buffer.subarray(start, start + size), slot * SHORT_BYTES);
      this.#strings[slot] = text;
      this.#held++;
      this.code = this.dictionary.length;
      this.#codes[slot] = this.code;
      this.dictionary.push(text);
    } else {
      this.code = -1;
    }
    if (this.#lookups === PROBATION && this.#hits < PROBATION / 2) this.#active = false;
    return text;
  }
}
