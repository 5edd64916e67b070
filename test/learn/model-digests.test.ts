/**
 * The same data and seed give the same model bytes as the learner whose digests are in
 * fixtures/model-digests.jsonl: binary, multiclass and regression models on samples of
 * the shared bank, letters and california data sets, each through the full-batch finish,
 * and one with quantile bins, n-grams and a cross. A refactor of the learner must leave
 * them bit-identical. When a change to the learner's output is intended, regenerate the
 * fixture with `npx tsx bench/model-digests.ts > test/learn/fixtures/model-digests.jsonl`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIGEST_CASES, modelDigests, type Digest } from '../../bench/model-digests.js';
import { sharedDataDir, sharedDataFile } from '../helpers/shared-data.js';

const expected = readFileSync(new URL('./fixtures/model-digests.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Digest);

const available = DIGEST_CASES.every((c) => sharedDataFile(c.file) !== null);

describe.skipIf(!available)('model bytes', () => {
  it('are the fixture\'s for every case, each having run the full-batch finish', async () => {
    const digests = await modelDigests(sharedDataDir);
    expect(digests.map((d) => d.name)).toEqual(DIGEST_CASES.map((c) => c.name));
    for (const digest of digests) expect(digest.polished, digest.name).toBe(true);
    expect(digests).toEqual(expected);
  }, 120_000);
});
