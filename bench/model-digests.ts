/**
 * Trains one model per case on an in-memory DuckDB and prints the SHA-256 of each stored
 * model (the bytes the catalog keeps), one JSON line per case. The cases cover the
 * binary, multiclass and regression learners, the full-batch finish (polish.ts) on each,
 * and a recipe with quantile bins, n-grams and a cross.
 *
 * test/learn/model-digests.test.ts compares a fresh training to
 * test/learn/fixtures/model-digests.jsonl. When a change to the learner's output is
 * intended, regenerate that fixture with:
 *
 *   npx tsx bench/model-digests.ts > test/learn/fixtures/model-digests.jsonl
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine/engine.js';

export interface DigestCase {
  readonly name: string;
  /** Data file in the shared data folder. */
  readonly file: string;
  /** Rows read from the top of the file (the same rows every time). */
  readonly rows: number;
  readonly target: string;
  /** RECIPE (...) and USING ... clauses. */
  readonly clauses: string;
}

export const DIGEST_CASES: readonly DigestCase[] = [
  { name: 'bank', file: 'bank_additional_full.csv', rows: 12_000, target: 'y', clauses: 'USING seed = 5' },
  {
    name: 'bank_recipe',
    file: 'bank_additional_full.csv',
    rows: 12_000,
    target: 'y',
    clauses: 'RECIPE (quantile_bin(age, 10), ngram(lowercase(education), 2), cartesian(job, marital)) USING seed = 5',
  },
  { name: 'letters', file: 'letter_recognition.csv', rows: 6_000, target: 'letter', clauses: 'USING seed = 5' },
  { name: 'california', file: 'california_housing.csv', rows: 12_000, target: 'median_house_value', clauses: 'USING seed = 5' },
];

export interface Digest {
  readonly name: string;
  readonly sha256: string;
  /** Whether the full-batch finish ran (it must, for the digest to cover it). */
  readonly polished: boolean;
}

/** Trains every case on a fresh in-memory engine and returns the stored models' digests. */
export async function modelDigests(dataDir: string): Promise<Digest[]> {
  const engine = await Engine.open('duckdb::memory:');
  try {
    const digests: Digest[] = [];
    for (const c of DIGEST_CASES) {
      const path = resolve(dataDir, c.file).replaceAll("'", "''");
      await engine.runAll(`CREATE OR REPLACE TABLE t_${c.name} AS SELECT * FROM read_csv('${path}') LIMIT ${c.rows};`);
      await engine.runAll(`CREATE MODEL m_${c.name} FROM t_${c.name} PREDICT ${c.target} ${c.clauses};`);
      const stored = (await engine.store.get(`m_${c.name}`))!;
      const polished = (stored.trainingStats as { polish?: unknown } | null)?.polish !== undefined;
      digests.push({ name: c.name, sha256: createHash('sha256').update(stored.model).digest('hex'), polished });
    }
    return digests;
  } finally {
    await engine.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dataDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');
  if (!existsSync(dataDir)) throw new Error(`${dataDir} is missing`);
  for (const digest of await modelDigests(dataDir)) console.log(JSON.stringify(digest));
}
