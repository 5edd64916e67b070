/**
 * MD5 of UTF-8 text, as 32-bit words, without allocating. Two users, both because
 * DuckDB, PostgreSQL and MariaDB (and Redshift, BigQuery, Snowflake, Trino) all have
 * `md5()`, so a database computes the same value in plain SQL:
 * - the split's text hash (`md5Utf8` / `md5Word`, see content-hash.ts);
 * - the feature hash of new models (`Md5Message.h32`, `h32`): the first 32 bits of md5
 *   over a key string's UTF-8 bytes, read big-endian.
 * Strings are encoded as TextEncoder encodes them: a lone surrogate becomes U+FFFD
 * (EF BF BD). SQL text cannot hold a lone surrogate, so no database value is affected.
 * Not for security.
 */

const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0);

/** The message being hashed, UTF-8, grown when a longer text comes. */
let bytes = new Uint8Array(256);
const block = new Int32Array(16);
/** The digest's four words, little-endian as MD5 defines them. */
const state = new Int32Array(4);

function encodeUtf8(text: string): number {
  if (bytes.length < 3 * text.length + 72) bytes = new Uint8Array(2 * (3 * text.length + 72));
  return encodeUtf8Into(text, 0, text.length, bytes, 0);
}

/**
 * Writes the UTF-8 of `text[start, end)` into `target` from `at` and returns where it
 * ended; `target` must have room for `3 * (end - start)` bytes. A surrogate pair split by
 * the range's end counts as lone.
 */
export function encodeUtf8Into(text: string, start: number, end: number, target: Uint8Array, at: number): number {
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) target[at++] = c;
    else if (c < 0x800) {
      target[at++] = 0xc0 | (c >> 6);
      target[at++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < end) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
          target[at++] = 0xf0 | (c >> 18);
          target[at++] = 0x80 | ((c >> 12) & 63);
          target[at++] = 0x80 | ((c >> 6) & 63);
          target[at++] = 0x80 | (c & 63);
          continue;
        }
      }
      // A lone surrogate is written as U+FFFD, as Node's and the databases' encoders do.
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      target[at++] = 0xe0 | (c >> 12);
      target[at++] = 0x80 | ((c >> 6) & 63);
      target[at++] = 0x80 | (c & 63);
    }
  }
  return at;
}

function compress(message: Uint8Array, from: number): void {
  for (let i = 0; i < 16; i++) {
    const b = from + 4 * i;
    block[i] = message[b]! | (message[b + 1]! << 8) | (message[b + 2]! << 16) | (message[b + 3]! << 24);
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const t = d;
    d = c;
    c = b;
    const x = (a + f + K[i]! + block[g]!) | 0;
    const s = S[i]!;
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
    a = t;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

/**
 * Hashes `text` (UTF-8); the digest is then in `md5Word(0..3)`. Word w is the digest's
 * hex digits 8w..8w+8 read as an unsigned big-endian integer, as `('x' || substr(md5(t),
 * 8w+1, 8))::bit(32)::bigint` reads it in PostgreSQL.
 */
export function md5Utf8(text: string): void {
  const length = encodeUtf8(text); // may replace `bytes` with a larger buffer
  digest(bytes, length);
}

/** MD5 of `message[0, length)` into `state`; pads in place, so `message` needs 72 bytes of room after `length`. */
function digest(message: Uint8Array, length: number): void {
  let padded = length + 1;
  message[length] = 0x80;
  while (padded % 64 !== 56) message[padded++] = 0;
  const bits = length * 8;
  message[padded] = bits & 255;
  message[padded + 1] = (bits >>> 8) & 255;
  message[padded + 2] = (bits >>> 16) & 255;
  message[padded + 3] = (bits >>> 24) & 255;
  const high = Math.floor(length / 536870912);
  message[padded + 4] = high & 255;
  message[padded + 5] = (high >>> 8) & 255;
  message[padded + 6] = (high >>> 16) & 255;
  message[padded + 7] = (high >>> 24) & 255;
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
  for (let from = 0; from < padded + 8; from += 64) compress(message, from);
}

/** Word `w` (0-3) of the last `md5Utf8` digest, as an unsigned big-endian 32-bit integer. */
export function md5Word(w: number): number {
  const x = state[w]!;
  return (((x & 255) << 24) | (((x >>> 8) & 255) << 16) | (((x >>> 16) & 255) << 8) | (x >>> 24)) >>> 0;
}

/**
 * A key assembled in place from pieces (UTF-8 text, bytes, decimal numbers) and hashed
 * with `h32`, reusing one buffer: the hashed features of a row allocate nothing. The
 * length can be set back to hash several keys that share a beginning (a feature's prefix,
 * an n-gram's first words) without writing it again.
 */
export class Md5Message {
  /** The key's bytes are `bytes[0, length)`; the buffer keeps room after them for md5's padding. */
  bytes = new Uint8Array(256);
  length = 0;

  /** Appends the UTF-8 of `text[start, end)`. */
  appendText(text: string, start = 0, end = text.length): void {
    this.room(3 * (end - start));
    this.length = encodeUtf8Into(text, start, end, this.bytes, this.length);
  }

  /** Appends `source[from, to)`, bytes already UTF-8. */
  appendBytes(source: Uint8Array, from: number, to: number): void {
    this.room(to - from);
    this.bytes.set(source.subarray(from, to), this.length);
    this.length += to - from;
  }

  /** Appends one ASCII character. */
  appendAscii(code: number): void {
    this.room(1);
    this.bytes[this.length++] = code;
  }

  /** Appends a non-negative safe integer in decimal. */
  appendNatural(value: number): void {
    if (value < 10) return this.appendAscii(48 + value);
    this.appendText(String(value));
  }

  /** The first 32 bits of md5 over the key, read big-endian: `h32` of the key's text. */
  h32(): number {
    digest(this.bytes, this.length);
    return md5Word(0);
  }

  private room(extra: number): void {
    const needed = this.length + extra + 72;
    if (needed <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, 2 * this.bytes.length));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

/**
 * The feature hash of new models: the first 32 bits of md5 over the UTF-8 of `key`, as an
 * unsigned integer, `parseInt(md5hex(key).slice(0, 8), 16)`; in SQL the split's
 * `md5Word(text, 0)` spelling.
 */
export function h32(key: string): number {
  md5Utf8(key);
  return md5Word(0);
}
