/**
 * Which row contents may have been seen before: a Bloom filter over the split's 64-bit
 * content keys, 10 bits a key. The exact copy counts (occurrences.ts) take 16-32 bytes
 * per distinct content, which made a training's memory grow with its rows (≈200 MB more
 * at 10M distinct rows than at 1M); the filter lets the split count exactly only the
 * contents it cannot rule out (split.ts, RowSplitter's deferred copies): true copies and
 * the filter's false positives (under 1% of the rows).
 *
 * Sized for the expected keys (the row estimate; without one, a million), it grows by
 * layers when more come: a full layer is followed by one of twice the capacity with one
 * more bit a key, so each layer's false-positive rate is about 0.7 times the one before
 * and their sum (a new key is tested against every layer) stays near 3% (six layers,
 * 64 times the first capacity: 0.94 + 0.65 + 0.46 + 0.32 + 0.23 + 0.16%).
 */

/** Bits per key of the first layer's capacity: with PROBES probes, ≈0.9% false positives when full. */
const FIRST_BITS_PER_KEY = 10;
const PROBES = 5;
/** The capacity when no estimate is given: 1.25 MB. */
const DEFAULT_CAPACITY = 1 << 20;
/** The least capacity, whatever the estimate. */
const MIN_CAPACITY = 1 << 12;

interface Layer {
  readonly bits: Int32Array;
  readonly bitCount: number;
  readonly capacity: number;
  readonly bitsPerKey: number;
  added: number;
}

export class CopyFilter {
  readonly #layers: Layer[] = [];
  #current: Layer;

  /** `expectedKeys`: how many keys are expected (0: unknown). */
  constructor(expectedKeys = 0) {
    const capacity = expectedKeys > 0 ? Math.max(MIN_CAPACITY, Math.ceil(expectedKeys)) : DEFAULT_CAPACITY;
    this.#current = this.#addLayer(capacity, FIRST_BITS_PER_KEY);
  }

  /**
   * Adds the key (`lo`, `hi`: two independent, well-mixed 32-bit halves) and returns
   * whether it may have been added before: false means certainly not.
   */
  testAndAdd(lo: number, hi: number): boolean {
    // Double hashing: probe j at lo + j·h2 (h2 odd, so one key's probes differ), each
    // mapped onto the layer's bits by a multiply (no power-of-two size needed).
    const h2 = hi | 1;
    const layers = this.#layers;
    for (let l = 0; l < layers.length; l++) {
      const layer = layers[l]!;
      const bits = layer.bits;
      const scale = layer.bitCount / 4294967296;
      let all = true;
      for (let j = 0, h = lo; j < PROBES; j++, h = (h + h2) | 0) {
        const bit = Math.floor((h >>> 0) * scale);
        if ((bits[bit >>> 5]! & (1 << (bit & 31))) === 0) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    let layer = this.#current;
    if (layer.added >= layer.capacity) layer = this.#current = this.#addLayer(2 * layer.capacity, layer.bitsPerKey + 1);
    const bits = layer.bits;
    const scale = layer.bitCount / 4294967296;
    for (let j = 0, h = lo; j < PROBES; j++, h = (h + h2) | 0) {
      const bit = Math.floor((h >>> 0) * scale);
      bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    layer.added++;
    return false;
  }

  /** Bytes held by the layers. */
  get byteLength(): number {
    let bytes = 0;
    for (const layer of this.#layers) bytes += layer.bits.byteLength;
    return bytes;
  }

  #addLayer(capacity: number, bitsPerKey: number): Layer {
    // Whole 32-bit words; the bit index of a probe stays below 2^32 (a layer of 2^32 bits is 512 MB).
    const words = Math.min(2 ** 27, Math.ceil((capacity * bitsPerKey) / 32));
    const layer: Layer = { bits: new Int32Array(words), bitCount: words * 32, capacity, bitsPerKey, added: 0 };
    this.#layers.push(layer);
    return layer;
  }
}
