import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashCombine, hashString } from '../../src/learn/hash.js';
import { countTokens, hashRange, normalizeValue, TextTermHasher } from '../../src/learn/tokenize-text.js';

describe('hashRange', () => {
  it('equals hashString of the slice, for any text and range', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(), fc.nat(), fc.integer(), (text, a, b, seed) => {
        const start = text.length === 0 ? 0 : a % (text.length + 1);
        const end = start + (text.length === 0 ? 0 : b % (text.length - start + 1));
        expect(hashRange(text, start, end, seed)).toBe(hashString(text.slice(start, end), seed));
      }),
      { numRuns: 500 },
    );
  });
});

describe('countTokens', () => {
  it('counts runs of non-whitespace', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('   ')).toBe(0);
    expect(countTokens('one')).toBe(1);
    expect(countTokens('  two\twords\n')).toBe(2);
    expect(countTokens('a\u00a0b\u3000c')).toBe(3);
  });
});

describe('normalizeValue', () => {
  it("lower-cases and strips each word's edge punctuation, as Amazon ML's no_punct", () => {
    expect(normalizeValue('Welcome to AML - please fasten your seat-belts!', false, true)).toBe(
      'Welcome to AML please fasten your seat-belts',
    );
    expect(normalizeValue('Admin.', true, false)).toBe('admin.');
    expect(normalizeValue('  «Hola»,  MUNDO… ', true, true)).toBe('hola mundo');
    expect(normalizeValue('--', false, true)).toBe('');
  });
});

describe('TextTermHasher', () => {
  const seed = 1234;

  it('makes unigrams and bigrams from words hashed in place', () => {
    const hasher = new TextTermHasher({ lowercase: true, noPunct: true, mode: 'ngram', n: 2 }, seed);
    const count = hasher.hash('Hello, world! hello');
    // words: hello world hello → 3 unigrams + 2 bigrams
    expect(count).toBe(5);
    const terms = [...hasher.terms.subarray(0, count)];
    // order: hello, world, hello world, hello, world hello
    expect(terms[0]).toBe(terms[3]);
    expect(new Set(terms).size).toBe(4);
    // The same words in a fresh hasher hash alike: indices are stable across runs.
    const again = new TextTermHasher({ lowercase: true, noPunct: true, mode: 'ngram', n: 2 }, seed);
    again.hash('HELLO world');
    expect([...again.terms.subarray(0, 3)]).toEqual([terms[0], terms[1], terms[2]]);
  });

  it('hashes a unigram as the word hash folded into the length-1 seed', () => {
    const hasher = new TextTermHasher({ lowercase: false, noPunct: false, mode: 'ngram', n: 1 }, seed);
    hasher.hash('spam');
    const wordSeed = hashCombine(seed, 0x776f7264);
    expect(hasher.terms[0]).toBe(hashCombine(hashCombine(wordSeed, 2), hashString('spam', wordSeed)));
  });

  it('makes the words plus orthogonal sparse bigrams within the window', () => {
    const hasher = new TextTermHasher({ lowercase: false, noPunct: false, mode: 'osb', n: 3 }, seed);
    // a b c d: words 4; pairs at distance 1: ab bc cd, distance 2: ac bd → 9
    expect(hasher.hash('a b c d')).toBe(9);
    // "a _ c" (distance 2) differs from "a c" (distance 1)
    const pairs = hasher.hash('a x c');
    expect(pairs).toBe(6);
    const ac = hasher.terms[5];
    hasher.hash('a c');
    expect(hasher.terms[2]).not.toBe(ac);
  });

  it('gives no terms for empty or punctuation-only text and grows for long text', () => {
    const hasher = new TextTermHasher({ lowercase: false, noPunct: true, mode: 'ngram', n: 2 }, seed);
    expect(hasher.hash('')).toBe(0);
    expect(hasher.hash(' ... !! ')).toBe(0);
    const long = Array.from({ length: 500 }, (_, i) => `w${i}`).join(' ');
    expect(hasher.hash(long)).toBe(999);
  });
});
