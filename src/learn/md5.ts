/**
 * MD5 of a string's UTF-8 bytes, as 32-bit words, without allocating: the split's text
 * hash is `md5()` because DuckDB, PostgreSQL and MariaDB all have it, so a database can
 * compute the same content hash in plain SQL (see content-hash.ts). Not for security.
 */

const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0);

/** The message being hashed, UTF-8, grown when a longer text comes. */
let bytes = new Uint8Array(256);
const block = new Int32Array(16);
/** The digest's four words, little-endian as MD5 defines them. */
const state = new Int32Array(4);

function encodeUtf8(text: string): number {
  const length = text.length;
  if (bytes.length < 3 * length + 72) bytes = new Uint8Array(2 * (3 * length + 72));
  let at = 0;
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) bytes[at++] = c;
    else if (c < 0x800) {
      bytes[at++] = 0xc0 | (c >> 6);
      bytes[at++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
          bytes[at++] = 0xf0 | (c >> 18);
          bytes[at++] = 0x80 | ((c >> 12) & 63);
          bytes[at++] = 0x80 | ((c >> 6) & 63);
          bytes[at++] = 0x80 | (c & 63);
          continue;
        }
      }
      // A lone surrogate is written as U+FFFD, as Node's and the databases' encoders do.
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      bytes[at++] = 0xe0 | (c >> 12);
      bytes[at++] = 0x80 | ((c >> 6) & 63);
      bytes[at++] = 0x80 | (c & 63);
    }
  }
  return at;
}

function compress(from: number): void {
  for (let i = 0; i < 16; i++) {
    const b = from + 4 * i;
    block[i] = bytes[b]! | (bytes[b + 1]! << 8) | (bytes[b + 2]! << 16) | (bytes[b + 3]! << 24);
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
  const length = encodeUtf8(text);
  let padded = length + 1;
  bytes[length] = 0x80;
  while (padded % 64 !== 56) bytes[padded++] = 0;
  const bits = length * 8;
  bytes[padded] = bits & 255;
  bytes[padded + 1] = (bits >>> 8) & 255;
  bytes[padded + 2] = (bits >>> 16) & 255;
  bytes[padded + 3] = (bits >>> 24) & 255;
  const high = Math.floor(length / 536870912);
  bytes[padded + 4] = high & 255;
  bytes[padded + 5] = (high >>> 8) & 255;
  bytes[padded + 6] = (high >>> 16) & 255;
  bytes[padded + 7] = (high >>> 24) & 255;
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
  for (let from = 0; from < padded + 8; from += 64) compress(from);
}

/** Word `w` (0-3) of the last `md5Utf8` digest, as an unsigned big-endian 32-bit integer. */
export function md5Word(w: number): number {
  const x = state[w]!;
  return (((x & 255) << 24) | (((x >>> 8) & 255) << 16) | (((x >>> 16) & 255) << 8) | (x >>> 24)) >>> 0;
}
