/**
 * Encoding throughput of the hashed features, MurmurHash3 (models stored by earlier
 * versions) against md5 key strings (new models, reproducible in SQL), side by side in
 * one run: synthetic rows of a high-cardinality category (50,000 values, skewed) and a
 * free-text column (10-30 words from a 5,000-word vocabulary, default recipe: lowercase,
 * no_punct, unigrams and bigrams), encoded batch by batch as training and the stream do.
 * One JSON line per (features, hashing) with rows/s and the md5/Murmur ratio. Times are
 * the process's CPU time (encoding is single-threaded), so other load on the machine
 * skews the ratio less than wall time would.
 * Run: npx tsx bench/hash-features.ts [rows]
 */
import type { Column, RowBatch } from '../src/data.js';
import { FeatureEncoder } from '../src/learn/encode.js';
import { inferLabel } from '../src/learn/label.js';
import { DEFAULT_OPTIONS } from '../src/learn/options.js';
import { Profiler } from '../src/learn/profile.js';
import { mulberry32 } from '../src/learn/random.js';
import { buildRecipe } from '../src/learn/recipe.js';
import type { Recipe } from '../src/learn/recipe-format.js';
import { createSparseVector } from '../src/learn/types.js';
import type { Transform } from '../src/sql/ast.js';

const ROWS = Number(process.argv[2] ?? 200_000);
const BATCH_ROWS = 2048;
const CATEGORIES = 50_000;
const VOCABULARY = 5_000;
const ROUNDS = 3;

const COLUMNS: readonly Column[] = [
  { name: 'city', type: 'text', dbType: 'VARCHAR' },
  { name: 'body', type: 'text', dbType: 'VARCHAR' },
  { name: 'y', type: 'integer', dbType: 'INTEGER' },
];

function generate(): RowBatch[] {
  const next = mulberry32(7);
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'qu', 'ph', 'é'];
  const vocabulary = Array.from({ length: VOCABULARY }, (_, i) => {
    let word = '';
    for (let k = i + 1; k > 0; k = Math.floor(k / syllables.length)) word += syllables[k % syllables.length];
    return i % 10 === 0 ? `${word[0]!.toUpperCase()}${word.slice(1)},` : word;
  });
  const batches: RowBatch[] = [];
  for (let first = 0; first < ROWS; first += BATCH_ROWS) {
    const n = Math.min(BATCH_ROWS, ROWS - first);
    const city: string[] = [];
    const body: string[] = [];
    const labels = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      city.push(`city-${Math.floor(next() ** 2 * CATEGORIES)}`);
      const words = 10 + Math.floor(next() * 21);
      const text: string[] = [];
      for (let w = 0; w < words; w++) text.push(vocabulary[Math.floor(next() ** 1.5 * VOCABULARY)]!);
      body.push(text.join(' '));
      labels[r] = r % 2;
    }
    batches.push({
      rowCount: n,
      columns: [
        { kind: 'text', values: city },
        { kind: 'text', values: body },
        { kind: 'number', values: labels, nulls: new Uint8Array(n) },
      ],
    });
  }
  return batches;
}

function recipeOf(batches: readonly RowBatch[], transforms: Transform[]): Recipe {
  const profiler = new Profiler(COLUMNS);
  for (const batch of batches.slice(0, 10)) profiler.add(batch);
  const profile = profiler.finish();
  const label = inferLabel(profile.columns.find((c) => c.name === 'y')!, DEFAULT_OPTIONS);
  return buildRecipe(profile, label, transforms, DEFAULT_OPTIONS);
}

/** The same recipe as an earlier version stored it: no `hash`, no prefixes, so MurmurHash3. */
function asMurmur(recipe: Recipe): Recipe {
  const stored = JSON.parse(JSON.stringify(recipe)) as { hash?: string; features: { hashPrefix?: string }[] };
  delete stored.hash;
  for (const feature of stored.features) delete feature.hashPrefix;
  return stored as unknown as Recipe;
}

/** CPU seconds of this process so far. */
function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Rows per CPU second encoding every batch (best of ROUNDS, each with a fresh encoder). */
function rowsPerSecond(recipe: Recipe, batches: readonly RowBatch[]): { rowsPerSecond: number; nnz: number } {
  let best = Infinity;
  let nnz = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const encoder = new FeatureEncoder(recipe, COLUMNS);
    const out = createSparseVector(encoder.maxNnz);
    nnz = 0;
    const start = cpuSeconds();
    for (const batch of batches) {
      const encoding = encoder.encodeBatch(batch);
      for (let row = 0; row < batch.rowCount; row++) {
        encoding.row(row, out);
        nnz += out.nnz;
      }
    }
    best = Math.min(best, cpuSeconds() - start);
  }
  return { rowsPerSecond: Math.round(ROWS / best), nnz };
}

const pos = { line: 1, column: 1, offset: 0 };
const exclude = (name: string): Transform => ({ name: 'exclude', args: [{ kind: 'column', name: { value: name, quoted: false, position: pos } }], position: pos });

const batches = generate();
const cases: [string, Transform[]][] = [
  ['category', [exclude('body')]],
  ['text', [exclude('city')]],
  ['category+text', []],
];
for (const [features, transforms] of cases) {
  const md5 = recipeOf(batches, transforms);
  const kinds = md5.features.map((f) => f.kind).join(',');
  const murmur = rowsPerSecond(asMurmur(md5), batches);
  const keys = rowsPerSecond(md5, batches);
  console.log(JSON.stringify({ bench: 'hash-features', features, kinds, rows: ROWS, hashing: 'murmur3', ...murmur }));
  console.log(JSON.stringify({ bench: 'hash-features', features, kinds, rows: ROWS, hashing: 'md5', ...keys, ratio: Math.round((keys.rowsPerSecond / murmur.rowsPerSecond) * 100) / 100 }));
}
