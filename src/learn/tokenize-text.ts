/**
 * Words, n-grams and orthogonal sparse bigrams of free text, as 32-bit hashes, without
 * cutting the text into substrings: a word is a range of code units and is hashed in
 * place. Amazon ML's tokenization: words are split on whitespace only; `no_punct` strips
 * punctuation from the start and end of each word (so "seat-belts!" → "seat-belts").
 */
import { hashCombine, hashRange } from './hash.js';

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

/**
 * Hashes the terms of one text value at a time into `terms[0..count)`; the buffers grow
 * to the longest text seen and are then reused, so steady-state rows allocate only the
 * lower-cased copy of the text (when lowercasing).
 */
export class TextTermHasher {
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
