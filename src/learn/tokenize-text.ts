/**
 * Words, n-grams and orthogonal sparse bigrams of free text, as 32-bit hashes, without
 * cutting the text into substrings. Amazon ML's tokenization: words are split on
 * whitespace only; `no_punct` strips punctuation from the start and end of each word (so
 * "seat-belts!" → "seat-belts"). Two hashings of the terms: `TextTermKeys` hashes each
 * term's key string with md5 (recipe-format.ts spells the keys; SQL reproduces them),
 * `TextTermHasher` combines MurmurHash3 word hashes, for models stored by earlier versions.
 */
import { hashCombine, hashRange } from './hash.js';
import { encodeUtf8Into, Md5Message } from './md5.js';

export { hashRange };

/** Whitespace: ASCII controls and space, NBSP, the Unicode spaces, line/paragraph separators, BOM. */
export function isWhitespace(code: number): boolean {
  if (code <= 32) return true;
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200b) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** ASCII punctuation and symbols, Latin-1 punctuation, general and CJK punctuation blocks. */
export function isPunctuation(code: number): boolean {
  if (code < 128) {
    return (
      (code >= 33 && code <= 47) || (code >= 58 && code <= 64) || (code >= 91 && code <= 96) || (code >= 123 && code <= 126)
    );
  }
  return (
    code === 0xa1 ||
    code === 0xa7 ||
    code === 0xab ||
    code === 0xb6 ||
    code === 0xb7 ||
    code === 0xbb ||
    code === 0xbf ||
    (code >= 0x2010 && code <= 0x2027) ||
    (code >= 0x2030 && code <= 0x205e) ||
    (code >= 0x3001 && code <= 0x3003) ||
    (code >= 0x3008 && code <= 0x3011)
  );
}

/** Number of whitespace-separated tokens: the profiler's free-text signal. */
export function countTokens(text: string): number {
  let tokens = 0;
  let inToken = false;
  for (let i = 0; i < text.length; i++) {
    const space = isWhitespace(text.charCodeAt(i));
    if (!space && !inToken) tokens++;
    inToken = !space;
  }
  return tokens;
}

/** How a text column becomes terms. */
export interface TextTermOptions {
  readonly lowercase: boolean;
  readonly noPunct: boolean;
  /** 'ngram': word n-grams of length 1..n; 'osb': the words plus orthogonal sparse bigrams in a window of n words. */
  readonly mode: 'ngram' | 'osb';
  readonly n: number;
}

/** Hashes the terms of one text value at a time into `terms[0..count)`. */
export interface TextTerms {
  /** Term hashes of the last `hash()` call; valid up to the count it returned. */
  readonly terms: Uint32Array;
  /** Hashes the terms of `text`; returns how many were written to `terms`. */
  hash(text: string): number;
}

/**
 * The terms' md5 key hashes (`h32` of the keys recipe-format.ts's TextFeature spells).
 * Each word is encoded to UTF-8 once per row; a key is assembled from the prefix and the
 * words' bytes in one reused buffer, n-grams sharing their first words' bytes. The buffers
 * grow to the longest text seen and are then reused, so steady-state rows allocate only
 * the lower-cased copy of the text (when lowercasing).
 */
export class TextTermKeys implements TextTerms {
  terms: Uint32Array = new Uint32Array(64);
  private readonly options: TextTermOptions;
  /** The row's words as UTF-8, word w being `utf8[starts[w], ends[w])`. */
  private utf8 = new Uint8Array(256);
  private starts = new Int32Array(32);
  private ends = new Int32Array(32);
  private readonly key = new Md5Message(true);
  private readonly prefixLength: number;

  constructor(options: TextTermOptions, prefix: string) {
    this.options = options;
    this.key.appendText(prefix);
    this.prefixLength = this.key.length;
  }

  hash(text: string): number {
    const wordCount = this.splitWords(this.options.lowercase ? text.toLowerCase() : text);
    const needed = wordCount * this.options.n;
    if (needed > this.terms.length) this.terms = new Uint32Array(Math.max(needed, this.terms.length * 2));
    return this.options.mode === 'ngram' ? this.ngrams(wordCount) : this.osb(wordCount);
  }

  private splitWords(text: string): number {
    const noPunct = this.options.noPunct;
    if (this.utf8.length < 3 * text.length) this.utf8 = new Uint8Array(2 * 3 * text.length);
    let count = 0;
    let at = 0;
    let i = 0;
    const length = text.length;
    while (i < length) {
      while (i < length && isWhitespace(text.charCodeAt(i))) i++;
      let start = i;
      while (i < length && !isWhitespace(text.charCodeAt(i))) i++;
      let end = i;
      if (noPunct) {
        while (start < end && isPunctuation(text.charCodeAt(start))) start++;
        while (end > start && isPunctuation(text.charCodeAt(end - 1))) end--;
      }
      if (end > start) {
        if (count === this.starts.length) this.growWords();
        this.starts[count] = at;
        at = encodeUtf8Into(text, start, end, this.utf8, at);
        this.ends[count++] = at;
      }
    }
    return count;
  }

  private growWords(): void {
    const starts = new Int32Array(this.starts.length * 2);
    const ends = new Int32Array(this.ends.length * 2);
    starts.set(this.starts);
    ends.set(this.ends);
    this.starts = starts;
    this.ends = ends;
  }

  /** Every n-gram of length 1..n, by first word then length: each longer n-gram extends the key of the shorter one. */
  private ngrams(wordCount: number): number {
    const { key, terms, utf8, starts, ends } = this;
    const n = this.options.n;
    let count = 0;
    for (let first = 0; first < wordCount; first++) {
      key.length = this.prefixLength;
      key.appendBytes(utf8, starts[first]!, ends[first]!);
      terms[count++] = key.h32();
      for (let w = first + 1; w < first + n && w < wordCount; w++) {
        key.appendAscii(32);
        key.appendBytes(utf8, starts[w]!, ends[w]!);
        terms[count++] = key.h32();
      }
    }
    return count;
  }

  /** Each word, then the word paired with each of the n-1 words after it, the pair's key holding their distance. */
  private osb(wordCount: number): number {
    const { key, terms, utf8, starts, ends } = this;
    const window = this.options.n;
    let count = 0;
    for (let first = 0; first < wordCount; first++) {
      key.length = this.prefixLength;
      key.appendBytes(utf8, starts[first]!, ends[first]!);
      terms[count++] = key.h32();
      key.appendAscii(32);
      const pairStart = key.length;
      for (let distance = 1; distance < window && first + distance < wordCount; distance++) {
        key.length = pairStart;
        key.appendNatural(distance);
        key.appendAscii(32);
        key.appendBytes(utf8, starts[first + distance]!, ends[first + distance]!);
        terms[count++] = key.h32();
      }
    }
    return count;
  }
}

/**
 * The terms' MurmurHash3 hashes, for models stored by earlier versions: each word hashed
 * in place as a range of code units, n-grams and pairs combined from word hashes. The
 * buffers grow to the longest text seen and are then reused.
 */
export class TextTermHasher implements TextTerms {
  /** Term hashes of the last `hash()` call; valid up to the count it returned. */
  terms: Uint32Array = new Uint32Array(64);
  private words: Uint32Array = new Uint32Array(32);
  private readonly options: TextTermOptions;
  private readonly wordSeed: number;
  /** Seed per n-gram length (index k = length k) or per OSB distance (index d). */
  private readonly seeds: Uint32Array;

  constructor(options: TextTermOptions, seed: number) {
    this.options = options;
    this.wordSeed = hashCombine(seed, 0x776f7264);
    this.seeds = new Uint32Array(options.n + 1);
    for (let k = 0; k <= options.n; k++) this.seeds[k] = hashCombine(this.wordSeed, k + 1);
  }

  /** Upper bound of terms produced per word. */
  get termsPerWord(): number {
    return this.options.n;
  }

  /** Hashes the terms of `text`; returns how many were written to `terms`. */
  hash(text: string): number {
    const wordCount = this.hashWords(this.options.lowercase ? text.toLowerCase() : text);
    const needed = wordCount * this.options.n;
    if (needed > this.terms.length) this.terms = new Uint32Array(Math.max(needed, this.terms.length * 2));
    return this.options.mode === 'ngram' ? this.ngrams(wordCount) : this.osb(wordCount);
  }

  private hashWords(text: string): number {
    const noPunct = this.options.noPunct;
    let count = 0;
    let i = 0;
    const length = text.length;
    while (i < length) {
      while (i < length && isWhitespace(text.charCodeAt(i))) i++;
      let start = i;
      while (i < length && !isWhitespace(text.charCodeAt(i))) i++;
      let end = i;
      if (noPunct) {
        while (start < end && isPunctuation(text.charCodeAt(start))) start++;
        while (end > start && isPunctuation(text.charCodeAt(end - 1))) end--;
      }
      if (end > start) {
        if (count === this.words.length) {
          const grown = new Uint32Array(count * 2);
          grown.set(this.words);
          this.words = grown;
        }
        this.words[count++] = hashRange(text, start, end, this.wordSeed);
      }
    }
    return count;
  }

  /** Every n-gram of length 1..n, each hashed from its length's seed and its words in order. */
  private ngrams(wordCount: number): number {
    const { words, terms, seeds } = this;
    const n = this.options.n;
    let count = 0;
    for (let last = 0; last < wordCount; last++) {
      for (let length = 1; length <= n && length <= last + 1; length++) {
        let h = seeds[length]!;
        for (let w = last - length + 1; w <= last; w++) h = hashCombine(h, words[w]!);
        terms[count++] = h;
      }
    }
    return count;
  }

  /** The words, and each word paired with each of the n-1 words before it, the pair's hash keyed by their distance. */
  private osb(wordCount: number): number {
    const { words, terms, seeds } = this;
    const window = this.options.n;
    let count = 0;
    for (let last = 0; last < wordCount; last++) {
      terms[count++] = hashCombine(seeds[0]!, words[last]!);
      for (let distance = 1; distance < window && distance <= last; distance++) {
        terms[count++] = hashCombine(hashCombine(seeds[distance]!, words[last - distance]!), words[last]!);
      }
    }
    return count;
  }
}

/**
 * A whole categorical value under `lowercase` / `no_punct`: lower-cased, and with each
 * word's leading and trailing punctuation removed (words then joined by one space).
 */
export function normalizeValue(value: string, lowercase: boolean, noPunct: boolean): string {
  const text = lowercase ? value.toLowerCase() : value;
  if (!noPunct) return text;
  let result = '';
  let i = 0;
  while (i < text.length) {
    while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
    let start = i;
    while (i < text.length && !isWhitespace(text.charCodeAt(i))) i++;
    let end = i;
    while (start < end && isPunctuation(text.charCodeAt(start))) start++;
    while (end > start && isPunctuation(text.charCodeAt(end - 1))) end--;
    if (end > start) result = result === '' ? text.slice(start, end) : `${result} ${text.slice(start, end)}`;
  }
  return result;
}
