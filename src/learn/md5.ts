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


/** The message being hashed, UTF-8, grown when a longer text comes. */
let bytes = new Uint8Array(256);
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

/**
 * One 64-byte block `message[from, from + 64)` folded into `state`: MD5's 64 steps
 * written out, each `a = b + ((a + f(b, c, d) + x[g] + K) <<< s)` with its round's f, g,
 * constant and shift inline (calls or table lookups per step cost several times more).
 */
function compress(message: Uint8Array, from: number): void {
  const m = message;
  const p = from;
  const x0 = m[p]! | (m[p + 1]! << 8) | (m[p + 2]! << 16) | (m[p + 3]! << 24);
  const x1 = m[p + 4]! | (m[p + 5]! << 8) | (m[p + 6]! << 16) | (m[p + 7]! << 24);
  const x2 = m[p + 8]! | (m[p + 9]! << 8) | (m[p + 10]! << 16) | (m[p + 11]! << 24);
  const x3 = m[p + 12]! | (m[p + 13]! << 8) | (m[p + 14]! << 16) | (m[p + 15]! << 24);
  const x4 = m[p + 16]! | (m[p + 17]! << 8) | (m[p + 18]! << 16) | (m[p + 19]! << 24);
  const x5 = m[p + 20]! | (m[p + 21]! << 8) | (m[p + 22]! << 16) | (m[p + 23]! << 24);
  const x6 = m[p + 24]! | (m[p + 25]! << 8) | (m[p + 26]! << 16) | (m[p + 27]! << 24);
  const x7 = m[p + 28]! | (m[p + 29]! << 8) | (m[p + 30]! << 16) | (m[p + 31]! << 24);
  const x8 = m[p + 32]! | (m[p + 33]! << 8) | (m[p + 34]! << 16) | (m[p + 35]! << 24);
  const x9 = m[p + 36]! | (m[p + 37]! << 8) | (m[p + 38]! << 16) | (m[p + 39]! << 24);
  const x10 = m[p + 40]! | (m[p + 41]! << 8) | (m[p + 42]! << 16) | (m[p + 43]! << 24);
  const x11 = m[p + 44]! | (m[p + 45]! << 8) | (m[p + 46]! << 16) | (m[p + 47]! << 24);
  const x12 = m[p + 48]! | (m[p + 49]! << 8) | (m[p + 50]! << 16) | (m[p + 51]! << 24);
  const x13 = m[p + 52]! | (m[p + 53]! << 8) | (m[p + 54]! << 16) | (m[p + 55]! << 24);
  const x14 = m[p + 56]! | (m[p + 57]! << 8) | (m[p + 58]! << 16) | (m[p + 59]! << 24);
  const x15 = m[p + 60]! | (m[p + 61]! << 8) | (m[p + 62]! << 16) | (m[p + 63]! << 24);
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let n: number;
  n = (a + ((b & c) | (~b & d)) + x0 + -680876936) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x1 + -389564586) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x2 + 606105819) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x3 + -1044525330) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x4 + -176418897) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x5 + 1200080426) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x6 + -1473231341) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x7 + -45705983) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x8 + 1770035416) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x9 + -1958414417) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x10 + -42063) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x11 + -1990404162) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & c) | (~b & d)) + x12 + 1804603682) | 0;
  a = (((n << 7) | (n >>> 25)) + b) | 0;
  n = (d + ((a & b) | (~a & c)) + x13 + -40341101) | 0;
  d = (((n << 12) | (n >>> 20)) + a) | 0;
  n = (c + ((d & a) | (~d & b)) + x14 + -1502002290) | 0;
  c = (((n << 17) | (n >>> 15)) + d) | 0;
  n = (b + ((c & d) | (~c & a)) + x15 + 1236535329) | 0;
  b = (((n << 22) | (n >>> 10)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x1 + -165796510) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x6 + -1069501632) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x11 + 643717713) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x0 + -373897302) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x5 + -701558691) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x10 + 38016083) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x15 + -660478335) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x4 + -405537848) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x9 + 568446438) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x14 + -1019803690) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x3 + -187363961) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x8 + 1163531501) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + ((b & d) | (c & ~d)) + x13 + -1444681467) | 0;
  a = (((n << 5) | (n >>> 27)) + b) | 0;
  n = (d + ((a & c) | (b & ~c)) + x2 + -51403784) | 0;
  d = (((n << 9) | (n >>> 23)) + a) | 0;
  n = (c + ((d & b) | (a & ~b)) + x7 + 1735328473) | 0;
  c = (((n << 14) | (n >>> 18)) + d) | 0;
  n = (b + ((c & a) | (d & ~a)) + x12 + -1926607734) | 0;
  b = (((n << 20) | (n >>> 12)) + c) | 0;
  n = (a + (b ^ c ^ d) + x5 + -378558) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x8 + -2022574463) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x11 + 1839030562) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x14 + -35309556) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x1 + -1530992060) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x4 + 1272893353) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x7 + -155497632) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x10 + -1094730640) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x13 + 681279174) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x0 + -358537222) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x3 + -722521979) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x6 + 76029189) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (b ^ c ^ d) + x9 + -640364487) | 0;
  a = (((n << 4) | (n >>> 28)) + b) | 0;
  n = (d + (a ^ b ^ c) + x12 + -421815835) | 0;
  d = (((n << 11) | (n >>> 21)) + a) | 0;
  n = (c + (d ^ a ^ b) + x15 + 530742520) | 0;
  c = (((n << 16) | (n >>> 16)) + d) | 0;
  n = (b + (c ^ d ^ a) + x2 + -995338651) | 0;
  b = (((n << 23) | (n >>> 9)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x0 + -198630844) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x7 + 1126891415) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x14 + -1416354905) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x5 + -57434055) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x12 + 1700485571) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x3 + -1894986606) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x10 + -1051523) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x1 + -2054922799) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x8 + 1873313359) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x15 + -30611744) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x6 + -1560198380) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x13 + 1309151649) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
  n = (a + (c ^ (b | ~d)) + x4 + -145523070) | 0;
  a = (((n << 6) | (n >>> 26)) + b) | 0;
  n = (d + (b ^ (a | ~c)) + x11 + -1120210379) | 0;
  d = (((n << 10) | (n >>> 22)) + a) | 0;
  n = (c + (a ^ (d | ~b)) + x2 + 718787259) | 0;
  c = (((n << 15) | (n >>> 17)) + d) | 0;
  n = (b + (d ^ (c | ~a)) + x9 + -343485551) | 0;
  b = (((n << 21) | (n >>> 11)) + c) | 0;
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
  private readonly memo: KeyMemo | null;

  /** `memo`: remember the h32 of recent short keys (for keys that repeat, as words and n-grams do). */
  constructor(memo = false) {
    this.memo = memo ? new KeyMemo() : null;
  }

  /** Appends the UTF-8 of `text[start, end)`. */
  appendText(text: string, start = 0, end = text.length): void {
    this.room(3 * (end - start));
    this.length = encodeUtf8Into(text, start, end, this.bytes, this.length);
  }

  /** Appends `source[from, to)`, bytes already UTF-8. */
  appendBytes(source: Uint8Array, from: number, to: number): void {
    this.room(to - from);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = from; i < to; i++) bytes[at++] = source[i]!;
    this.length = at;
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
    const memo = this.memo;
    if (memo !== null && this.length <= MEMO_KEY_BYTES) return memo.h32(this.bytes, this.length);
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

/** Longest key a KeyMemo keeps; longer keys are always hashed. */
const MEMO_KEY_BYTES = 48;
const MEMO_SLOTS = 1 << 15;

/**
 * The h32 of recent short keys, direct-mapped: a key's slot is a cheap hash (FNV-1a) of
 * its bytes, and a key found in its slot (same length, same bytes) skips md5; a new key
 * takes the slot over. Bounded (1.5 MB), and the answers are md5's either way.
 */
class KeyMemo {
  private readonly keys = new Uint8Array(MEMO_SLOTS * MEMO_KEY_BYTES);
  /** Key length per slot, -1 when empty. */
  private readonly lengths = new Int32Array(MEMO_SLOTS).fill(-1);
  private readonly values = new Uint32Array(MEMO_SLOTS);

  h32(bytes: Uint8Array, length: number): number {
    let f = 0x811c9dc5;
    for (let i = 0; i < length; i++) f = Math.imul(f ^ bytes[i]!, 0x01000193);
    const slot = (f ^ (f >>> 15)) & (MEMO_SLOTS - 1);
    const keys = this.keys;
    const at = slot * MEMO_KEY_BYTES;
    if (this.lengths[slot] === length) {
      let i = 0;
      while (i < length && keys[at + i] === bytes[i]) i++;
      if (i === length) return this.values[slot]!;
    }
    for (let i = 0; i < length; i++) keys[at + i] = bytes[i]!;
    this.lengths[slot] = length;
    digest(bytes, length);
    const h = md5Word(0);
    this.values[slot] = h;
    return h;
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
