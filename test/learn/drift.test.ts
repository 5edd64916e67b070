/**
 * The drift arithmetic (learn/drift.ts) and the univariate strengths behind DESCRIBE DATA
 * (learn/data-insights.ts), on generated data: PSI is never negative, is 0 for the training
 * distribution itself, grows as a column moves; binOf agrees with a linear scan; an
 * identifier carries no cross-fitted strength; the alerts follow their thresholds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Column, RowBatch } from '../../src/data.js';
import { binOf, InsightCollector, univariateStrength } from '../../src/learn/data-insights.js';
import { driftLevel, FeatureCounter, featureProfile, scoreProfile } from '../../src/learn/drift.js';
import { Profiler } from '../../src/learn/profile.js';
import { normalFrom, seededRandom } from '../helpers/synthetic.js';

function numberBatch(values: readonly number[]): RowBatch {
  return { rowCount: values.length, columns: [{ kind: 'number', values: Float64Array.from(values), nulls: new Uint8Array(values.length) }] };
}

function psiOf(training: readonly number[], current: readonly number[]): number {
  const column: Column = { name: 'x', type: 'double', dbType: 'DOUBLE' };
  const profiler = new Profiler([column]);
  profiler.add(numberBatch(training));
  const profile = profiler.finish();
  const counter = new FeatureCounter(featureProfile(profile.columns[0]!, profile.rows));
  counter.add('double', numberBatch(current).columns[0]!, current.length);
  return counter.finish().psi;
}

describe('binOf', () => {
  it('counts the cuts at or below the value, as a linear scan does', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 30 }), fc.double({ noNaN: true, min: -2e6, max: 2e6 }), (raw, value) => {
        const cuts = [...raw].sort((a, b) => a - b);
        expect(binOf(cuts, value)).toBe(cuts.filter((c) => c <= value).length);
      }),
    );
  });
});

describe('PSI', () => {
  it('is 0 for the training values themselves and never negative for any other sample', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 }), { minLength: 1, maxLength: 300 }),
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 }), { minLength: 1, maxLength: 300 }),
        (training, current) => {
          expect(psiOf(training, training)).toBeCloseTo(0, 9);
          expect(psiOf(training, current)).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('grows with the shift of a normal column: none for another sample, major for one standard deviation', () => {
    const normal = normalFrom(seededRandom(3));
    const training = Array.from({ length: 5000 }, normal);
    const same = Array.from({ length: 5000 }, normal);
    const psis = [0, 0.25, 1].map((shift) => psiOf(training, same.map((v) => v + shift)));
    expect(driftLevel(psis[0]!)).toBe('none');
    expect(psis[1]!).toBeGreaterThan(psis[0]!);
    expect(psis[2]!).toBeGreaterThan(psis[1]!);
    expect(driftLevel(psis[2]!)).toBe('major');
  });

  it('bins categories by the training ones, unseen ones together, NULL apart', () => {
    const column: Column = { name: 'c', type: 'text', dbType: 'VARCHAR' };
    const profiler = new Profiler([column]);
    profiler.add({ rowCount: 4, columns: [{ kind: 'text', values: ['a', 'a', 'b', null] }] });
    const profile = featureProfile(profiler.finish().columns[0]!, 4);
    expect(profile).toMatchObject({ kind: 'category', categories: ['a', 'b'], nullShare: 0.25, top: 'a' });
    const counter = new FeatureCounter(profile);
    counter.add('text', { kind: 'text', values: ['a', 'a', 'b', null] }, 4);
    expect(counter.finish()).toMatchObject({ psi: 0, drift: 'none', currentTop: 'a', currentNullShare: 0.25 });
    const moved = new FeatureCounter(profile);
    moved.add('text', { kind: 'text', values: ['z', 'z', 'z', 'b'] }, 4);
    expect(moved.finish()).toMatchObject({ drift: 'major', currentTop: 'z', currentNullShare: 0 });
  });

  it('profiles the score from the held-out scores: deciles, shares adding to 1', () => {
    const scores = Float64Array.from({ length: 1000 }, (_, i) => i / 1000);
    const profile = scoreProfile(scores)!;
    expect(profile.kind).toBe('number');
    if (profile.kind !== 'number') return;
    expect(profile.edges).toHaveLength(9);
    expect(profile.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(scoreProfile(new Float64Array(0))).toBeNull();
  });
});

describe('univariate strength', () => {
  it('gives an identifier no cross-fitted strength, and a copy of the target all of it', () => {
    const random = seededRandom(9);
    const n = 4000;
    const y = Float64Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0));
    const ids = Array.from({ length: n }, (_, i) => `id${i}`);
    const copy = Array.from(y, (v) => (v === 1 ? 'yes' : 'no'));
    expect(univariateStrength('binary', 2, y, n, null, ids)!).toBeLessThan(0.56);
    expect(univariateStrength('binary', 2, y, n, null, copy)!).toBeCloseTo(1, 9);
    // Regression: a column equal to the target explains it; noise does not.
    const target = Float64Array.from({ length: n }, () => random() * 10);
    expect(univariateStrength('regression', 0, target, n, Float64Array.from(target), null)!).toBeGreaterThan(0.99);
    expect(univariateStrength('regression', 0, target, n, Float64Array.from({ length: n }, () => random()), null)!).toBeLessThan(0.02);
  });

  it('keeps a bounded sample whatever the rows, and flags only by the documented thresholds', () => {
    const columns: Column[] = [
      { name: 'x', type: 'double', dbType: 'DOUBLE' },
      { name: 'y', type: 'integer', dbType: 'INTEGER' },
    ];
    const collector = new InsightCollector(columns, 1);
    const random = seededRandom(4);
    for (let b = 0; b < 10; b++) {
      const n = 4096;
      const x = Float64Array.from({ length: n }, () => random());
      const y = Float64Array.from(x, (v) => (v + 0.3 * random() > 0.65 ? 1 : 0));
      collector.add({ rowCount: n, columns: [{ kind: 'number', values: x, nulls: new Uint8Array(n) }, { kind: 'number', values: y, nulls: new Uint8Array(n) }] });
    }
    const insights = collector.finish();
    expect(insights.rows).toBe(40960);
    expect(insights.task).toBe('binary');
    expect(insights.columns[0]!.strength!).toBeGreaterThan(0.8);
    expect(insights.columns[0]!.alerts).toEqual([expect.stringMatching(/^likely leakage: alone reaches AUC 0\.9/)]);
    expect(insights.columns[1]!.isTarget).toBe(true);
  });
});
