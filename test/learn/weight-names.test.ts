/**
 * weight-names.ts: a text's term names come in the order, and (for n-grams) with the very
 * keys, that TextTermKeys hashes; bins read as half-open ranges; a hashed slot without a
 * recorded name (a model stored before names were kept) is `slot N`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Md5Message } from '../../src/learn/md5.js';
import type { Recipe } from '../../src/learn/recipe-format.js';
import { TextTermKeys } from '../../src/learn/tokenize-text.js';
import { binRange, termNames, weightName } from '../../src/learn/weight-names.js';

const word = fc.stringMatching(/^[A-Za-z0-9!?.,'-]{1,6}$/);
const text = fc.array(fc.oneof(word, fc.constantFrom(' ', '  ', '\t', '!!', 'Ünï', '£100')), { maxLength: 12 }).map((parts) => parts.join(' '));

describe('termNames', () => {
  it('names as many terms as TextTermKeys hashes, and an n-gram name is its key', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('ngram' as const, 'osb' as const), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.boolean(), (value, mode, n, lowercase, noPunct) => {
        const keys = new TextTermKeys({ lowercase, noPunct, mode, n }, 'p1:');
        const count = keys.hash(value);
        const names = termNames(value, lowercase, noPunct, mode, n);
        expect(names.length).toBe(count);
        if (mode === 'ngram') {
          names.forEach((name, i) => {
            const key = new Md5Message();
            key.appendText(`p1:${name}`);
            expect(key.h32() >>> 0).toBe(keys.terms[i]! >>> 0);
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('spells OSB pairs with their distance', () => {
    expect(termNames('Free entry now', true, false, 'osb', 3)).toEqual(['free', 'free (+1) entry', 'free (+2) now', 'entry', 'entry (+1) now', 'now']);
    expect(termNames('Free  entry!', true, true, 'ngram', 2)).toEqual(['free', 'free entry', 'entry']);
  });
});

describe('weightName', () => {
  it('reads bins as half-open ranges', () => {
    expect(binRange([30, 40, 60], 0, 'double')).toBe('< 30');
    expect(binRange([30, 40, 60], 2, 'double')).toBe('[40, 60)');
    expect(binRange([30, 40, 60], 3, 'double')).toBe('>= 60');
    expect(binRange([Date.UTC(2024, 0, 1)], 1, 'date')).toBe('>= 2024-01-01');
  });

  it('names a hashed slot by its recorded values, all of them on a collision, and `slot N` without', () => {
    const recipe: Recipe = {
      version: 1,
      target: 'y',
      inputs: [{ name: 'city', type: 'text' }],
      features: [{ kind: 'hashed_category', column: 'city', offset: 0, size: 1, transform: null, normalize: { lowercase: false, noPunct: false }, nullSlot: true, distinctValues: 5000, hashPrefix: 'c:' }],
      dropped: [],
      hashBits: 4,
      hashSeed: 1,
      hash: 'md5',
      denseSize: 1,
      dimension: 17,
      outputs: 1,
    };
    expect(weightName(recipe, null, 0)).toEqual({ feature: 'city', value: '<NULL>' });
    expect(weightName(recipe, null, 5)).toEqual({ feature: 'city', value: 'slot 4' });
    const names = { slots: { '4': [[0, 'Oslo'], [0, 'Lima']] as [number, string][], '7': [[0, 'a'], [0, 'b'], [0, 'c'], [0, 'd'], [-1, '']] as [number, string][] }, truncated: false };
    expect(weightName(recipe, names, 5)).toEqual({ feature: 'city', value: 'Oslo | Lima' });
    expect(weightName(recipe, names, 8)).toEqual({ feature: 'city', value: 'a | b | c | d | …' });
    expect(weightName(recipe, names, 9)).toEqual({ feature: 'city', value: 'slot 8' });
  });
});
