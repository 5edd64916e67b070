/**
 * The split's content hashes (src/learn/split.ts `contentHashes`) over batches shaped like
 * gen.py's binary table (an integer id, ten doubles — two of them small integers —, three
 * categories of 2-50 values, a 0/1 label), as JSON lines: ns per row and per cell, and a
 * digest of every hash so the variants can be checked to agree. Alternates, run by run,
 * `contentHashes` with `reference`: the same hashes folded cell by cell through
 * content-hash.ts's primitives (numberWords, numberValue, textWords), as split.ts
 * did before its number loop was written out.
 *   npx tsx bench/content-hash.ts [--rows 1000000] [--repeat 5]
 */
import { loadavg } from 'node:os';
import type { RowBatch } from '../src/data.js';
import type { ColumnData } from '../src/data.js';
import { mix, numberValue, numberWords, ROW_PRIME, textWords, wordHi, wordLo } from '../src/learn/content-hash.js';
import { finishHash, mixBlock } from '../src/learn/hash.js';
import { contentHashes } from '../src/learn/split.js';

/** The content hashes by the definition's primitives, cell by cell (no NULLs or exact texts in this data). */
function reference(batch: RowBatch, seed: number, into: Int32Array): Int32Array {
  const n = batch.rowCount;
  const keySeed = seed ^ 0x5bd1e995;
  for (let row = 0; row < n; row++) {
    into[2 * row] = seed;
    into[2 * row + 1] = keySeed;
  }
  for (const data of batch.columns) {
    for (let row = 0; row < n; row++) {
      let value: number;
      if (data.kind === 'number') {
        numberWords(data.values[row]!);
        value = numberValue(wordLo, wordHi);
      } else {
        textWords(data.values[row]!);
        value = mix(wordLo);
      }
      into[2 * row] = Math.imul(into[2 * row]!, ROW_PRIME) + value;
      into[2 * row + 1] = mixBlock(mixBlock(into[2 * row + 1]!, wordLo), wordHi);
    }
  }
  for (let row = 0; row < n; row++) {
    into[2 * row] = mix(into[2 * row]! >>> 0);
    into[2 * row + 1] = finishHash(into[2 * row + 1]!, 2 * batch.columns.length);
  }
  return into;
}

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const rows = Number(option('--rows', '1000000'));
const repeat = Number(option('--repeat', '5'));
const BATCH = 8192;

/** Deterministic values (xorshift), a batch at a time, built before timing. */
let state = 42;
const next = (): number => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};
const texts = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
const categories = [texts('c1', 2), texts('c2', 8), texts('c3', 50)];
const batches: RowBatch[] = [];
for (let start = 0; start < rows; start += BATCH) {
  const n = Math.min(BATCH, rows - start);
  const number = (value: (row: number) => number) => {
    const values = new Float64Array(n);
    for (let row = 0; row < n; row++) values[row] = value(start + row);
    return { kind: 'number' as const, values, nulls: new Uint8Array(n) };
  };
  const columns: ColumnData[] = [number((row) => row + 1)];
  for (let c = 0; c < 10; c++) columns.push(c === 4 || c === 8 ? number(() => Math.floor(next() * 6)) : number(() => Math.round((next() - 0.5) * 1e6) / 1e3));
  for (const values of categories) columns.push({ kind: 'text', values: Array.from({ length: n }, () => values[Math.floor(next() * values.length)]!) });
  columns.push(number(() => (next() < 0.5 ? 1 : 0)));
  batches.push({ rowCount: n, columns });
}
const cells = rows * batches[0]!.columns.length;
const into = new Int32Array(2 * BATCH);
for (let run = 0; run < 2 * repeat; run++) {
  const variant = run % 2 === 0 ? 'reference' : 'contentHashes';
  const hash = run % 2 === 0 ? reference : contentHashes;
  let digest = 0;
  const started = performance.now();
  for (const batch of batches) {
    hash(batch, 42, into);
    for (let i = 0; i < 2 * batch.rowCount; i++) digest = (Math.imul(digest, 31) + into[i]!) | 0;
  }
  const ms = performance.now() - started;
  process.stdout.write(
    `${JSON.stringify({ bench: 'content-hash', variant, run: run >> 1, rows, seconds: Number((ms / 1000).toFixed(3)), ns_per_row: Math.round((ms * 1e6) / rows), ns_per_cell: Number(((ms * 1e6) / cells).toFixed(1)), digest, loadavg: loadavg().map((l) => Number(l.toFixed(2))) })}\n`,
  );
}
