import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Column, RowBatch } from '../../src/data.js';
import {
  blockArraysOf,
  blockBuffers,
  CacheDir,
  ExampleBlockBuilder,
  ExampleCache,
  RowCache,
  TEXT_DICTIONARY_MAX,
  type BlockArrays,
} from '../../src/engine/cache.js';
import type { ExampleBlock } from '../../src/learn/types.js';

const COLUMNS: Column[] = [
  { name: 'n', type: 'double', dbType: 'DOUBLE' },
  { name: 't', type: 'text', dbType: 'VARCHAR' },
  { name: 'd', type: 'date', dbType: 'DATE' },
];

let dir: CacheDir;
beforeEach(() => {
  dir = new CacheDir();
});
afterEach(() => {
  dir.dispose();
});

function replay(cache: RowCache): RowBatch[] {
  return [...cache.batches()];
}

/** The only batch a cache replays. */
function only(cache: RowCache): RowBatch {
  const batches = replay(cache);
  expect(batches).toHaveLength(1);
  return batches[0]!;
}

function texts(batch: RowBatch, column: number): (string | null)[] {
  const data = batch.columns[column]!;
  if (data.kind !== 'text') throw new Error(`column ${column} is not text`);
  return [...data.values.slice(0, batch.rowCount)];
}

describe('RowCache', () => {
  it('replays numbers bit for bit, NULL flags and texts, batch by batch, in order or by number', () => {
    const cache = new RowCache(dir.file('rows.bin'), COLUMNS);
    const first: RowBatch = {
      rowCount: 5,
      columns: [
        { kind: 'number', values: Float64Array.of(1.5, -0, Number.NaN, 0, -1e308), nulls: Uint8Array.of(0, 0, 0, 1, 0) },
        { kind: 'text', values: ['plain', '', null, 'é 😀 日本', '\u0000tab\t'] },
        { kind: 'number', values: Float64Array.of(0, 86_400_000, -86_400_000, 1e12, 5), nulls: Uint8Array.of(0, 0, 0, 0, 1) },
      ],
    };
    const second: RowBatch = {
      rowCount: 1,
      columns: [
        { kind: 'number', values: Float64Array.of(7), nulls: Uint8Array.of(0) },
        { kind: 'text', values: [null] },
        { kind: 'number', values: Float64Array.of(8), nulls: Uint8Array.of(0) },
      ],
    };
    expect(cache.append(first)).toBe(0);
    expect(cache.append(second)).toBe(1);
    const [a, b, ...rest] = replay(cache);
    const [b2, a2] = [...cache.batches([1, 0])];
    expect(texts(cache.batch(1), 1)).toEqual([null]);
    cache.close();
    expect(rest).toHaveLength(0);
    expect(cache.rows).toBe(6);
    expect(a2).toEqual(a);
    expect(b2).toEqual(b);
    const n = a!.columns[0]!;
    expect(n.kind).toBe('number');
    if (n.kind === 'number') {
      expect(Object.is(n.values[1], -0)).toBe(true);
      expect(n.values[2]).toBeNaN();
      expect([...n.values].filter((_, i) => i !== 2)).toEqual([1.5, -0, 0, -1e308]);
      expect([...n.nulls]).toEqual([0, 0, 0, 1, 0]);
    }
    expect(texts(a!, 1)).toEqual(['plain', '', null, 'é 😀 日本', '\u0000tab\t']);
    expect(texts(b!, 1)).toEqual([null]);
  });

  it('stores only the first rowCount rows of reused, longer arrays', () => {
    const cache = new RowCache(dir.file('rows.bin'), COLUMNS);
    cache.append(
      {
        rowCount: 2,
        columns: [
          { kind: 'number', values: Float64Array.of(1, 2, 99), nulls: Uint8Array.of(0, 0, 1) },
          { kind: 'text', values: ['a', 'b', 'stale'] },
          { kind: 'number', values: Float64Array.of(3, 4, 99), nulls: Uint8Array.of(0, 0, 0) },
        ],
      },
    );
    const batch = only(cache);
    cache.close();
    expect(batch.rowCount).toBe(2);
    expect(texts(batch, 1)).toEqual(['a', 'b']);
  });

  it('turns each lone surrogate into U+FFFD, as UTF-8 does, without pairing halves of neighbouring values', () => {
    const cache = new RowCache(dir.file('rows.bin'), [COLUMNS[1]!]);
    cache.append({ rowCount: 4, columns: [{ kind: 'text', values: ['a\uD800', '\uDC00b', '😀', '\uDE00'] }] });
    const batch = only(cache);
    cache.close();
    expect(texts(batch, 0)).toEqual(['a\uFFFD', '\uFFFDb', '😀', '\uFFFD']);
  });

  it('round-trips 10,000 rows of repeated and unique texts across several batches', () => {
    const cache = new RowCache(dir.file('rows.bin'), [COLUMNS[1]!]);
    const all: (string | null)[] = Array.from({ length: 10_000 }, (_, i) => (i % 11 === 0 ? null : i % 3 === 0 ? `unique ${i} ü` : `city_${i % 7}`));
    for (let start = 0; start < all.length; start += 4096) {
      const values = all.slice(start, start + 4096);
      cache.append({ rowCount: values.length, columns: [{ kind: 'text', values }] });
    }
    const replayed = replay(cache).flatMap((batch) => texts(batch, 0));
    cache.close();
    expect(replayed).toEqual(all);
  });
});

/**
 * The batch without its text columns' codes, after checking them: each code's dictionary
 * entry is the row's very string, -1 a NULL (TextColumnData.codes).
 */
function withoutCodes(batch: RowBatch): RowBatch {
  return {
    rowCount: batch.rowCount,
    columns: batch.columns.map((data) => {
      if (data.kind !== 'text' || data.codes === undefined) return data;
      const { codes, dictionary } = data;
      for (let row = 0; row < batch.rowCount; row++) {
        const value = data.values[row];
        if (value === null) expect(codes[row]).toBe(-1);
        else expect(Object.is(dictionary![codes[row]!], value)).toBe(true);
      }
      return { kind: 'text', values: data.values };
    }),
  };
}

/** Whether each batch's first column came with codes. */
function coded(batches: RowBatch[]): boolean[] {
  return batches.map((batch) => batch.columns[0]!.kind === 'text' && batch.columns[0]!.codes !== undefined);
}

describe('RowCache: text dictionaries', () => {
  const TEXT = [COLUMNS[1]!, COLUMNS[0]!];
  /** Repeated categories, then more distinct values than a dictionary holds, then repeats again. */
  function batches(): RowBatch[] {
    // Block 2's distinct values (a 13th of its rows are NULL) outnumber the dictionary's room.
    const sizes = [4096, 4096, TEXT_DICTIONARY_MAX + 8192, 4096, 17];
    let k = 0;
    return sizes.map((size, b) => {
      const values = Array.from({ length: size }, (_, i) => {
        k++;
        if (k % 13 === 0) return null;
        return b === 2 ? `distinct ${k} ü` : `city_${k % 50}${k % 7 === 0 ? ' 😀' : ''}`;
      });
      return {
        rowCount: size,
        columns: [
          { kind: 'text', values },
          { kind: 'number', values: Float64Array.from({ length: size }, (_, i) => i * 0.5), nulls: new Uint8Array(size) },
        ],
      };
    });
  }

  it('reads back every block exactly, before and after a column outgrows its dictionary', () => {
    const cache = new RowCache(dir.file('rows.bin'), TEXT);
    const written = batches();
    for (const batch of written) cache.append(batch);
    const replayed = replay(cache);
    // The dictionary blocks' rows come with their codes; the plain ones' (from block 2 on) without.
    expect(coded(replayed)).toEqual([true, true, false, false, false]);
    expect(replayed.map(withoutCodes)).toEqual(written);
    expect([...cache.batches([4, 2, 0, 3, 1])].map(withoutCodes)).toEqual([4, 2, 0, 3, 1].map((i) => written[i]));
    cache.close();
  });

  it('lets a reader in another place learn the dictionary, even when asked for a later block first', () => {
    const cache = new RowCache(dir.file('rows.bin'), TEXT);
    const written = batches();
    const reader = new RowCache(dir.file('rows.bin'), TEXT, 'read');
    for (const batch of written) reader.addEntry(cache.entry(cache.append(batch)));
    expect(withoutCodes(reader.batch(3))).toEqual(written[3]);
    expect(withoutCodes(reader.batch(1))).toEqual(written[1]);
    const all = [...reader.batches()];
    expect(coded(all)).toEqual([true, true, false, false, false]);
    expect(all.map(withoutCodes)).toEqual(written);
    reader.close();
    cache.close();
  });
});

describe('RowCache exact texts', () => {
  it('keeps the exact texts of bigint and decimal columns, block by block, for a reader elsewhere too', () => {
    const columns: Column[] = [
      { name: 'id', type: 'bigint', dbType: 'BIGINT' },
      { name: 'k', type: 'decimal', dbType: 'DECIMAL(38,10)' },
    ];
    const wide = (id: string, k: string | undefined, n: number): RowBatch => ({
      rowCount: n,
      columns: [
        { kind: 'number', values: Float64Array.from({ length: n }, () => Number(id)), nulls: new Uint8Array(n), exact: Array.from({ length: n }, (_, i) => (i === 0 ? id : undefined)) },
        k === undefined
          ? { kind: 'number', values: new Float64Array(n), nulls: new Uint8Array(n) }
          : { kind: 'number', values: Float64Array.from({ length: n }, () => Number(k)), nulls: new Uint8Array(n), exact: Array.from({ length: n }, () => k) },
      ],
    });
    const written = [wide('9223372036854775807', '12345678901234567890.1234567890', 3), wide('9223372036854775806', undefined, 2)];
    const cache = new RowCache(dir.file('rows.bin'), columns);
    const reader = new RowCache(dir.file('rows.bin'), columns, 'read');
    for (const batch of written) reader.addEntry(cache.entry(cache.append(batch)));
    const exactOf = (batch: RowBatch): (string | undefined)[][] =>
      batch.columns.map((data) => (data.kind === 'number' ? Array.from({ length: batch.rowCount }, (_, row) => data.exact?.[row]) : []));
    for (const source of [cache, reader]) {
      expect([...source.batches()].map(exactOf)).toEqual([
        [['9223372036854775807', undefined, undefined], Array(3).fill('12345678901234567890.1234567890')],
        [['9223372036854775806', undefined], [undefined, undefined]],
      ]);
    }
    reader.close();
    cache.close();
  });
});

describe('ExampleCache', () => {
  it('returns the blocks it was given, flushed every blockRows rows', () => {
    const cache = new ExampleCache(dir.file('examples.bin'), 2);
    cache.add(Uint32Array.of(1, 5), Float64Array.of(0.5, -2), 2, 1);
    cache.add(Uint32Array.of(3), Float64Array.of(4), 1, 0);
    cache.add(Uint32Array.of(7, 8, 9), Float64Array.of(1, 2, 3), 3, 1);
    cache.flush();
    expect(cache.blockCount).toBe(2);
    const first = cache.readBlock(0);
    expect(first.count).toBe(2);
    expect([...first.labels]).toEqual([1, 0]);
    expect([...first.offsets]).toEqual([0, 2, 3]);
    expect([...first.indices]).toEqual([1, 5, 3]);
    expect([...first.values]).toEqual([0.5, -2, 4]);
    const second = cache.readBlock(1);
    expect([...second.indices]).toEqual([7, 8, 9]);
    expect([...second.labels]).toEqual([1]);
    cache.close();
  });
});

describe('ExampleBlockBuilder', () => {
  /** Rows r = 0..rows-1 with r % 5 + 1 features (index r + j, value r + j / 10) and label r. */
  function build(builder: ExampleBlockBuilder, rows: number): void {
    const indices = new Uint32Array(8);
    const values = new Float64Array(8);
    for (let r = 0; r < rows; r++) {
      const nnz = (r % 5) + 1;
      for (let j = 0; j < nnz; j++) {
        indices[j] = r + j;
        values[j] = r + j / 10;
      }
      builder.add(indices, values, nnz, r);
    }
    builder.flush();
  }

  /** What a block holds, as plain numbers (copied while the block is valid). */
  function contents(block: ExampleBlock): { labels: number[]; offsets: number[]; indices: number[]; values: number[] } {
    return { labels: [...block.labels], offsets: [...block.offsets], indices: [...block.indices], values: [...block.values] };
  }

  it('builds the next block in the arrays the receiver handed back, with the same contents as fresh ones', () => {
    const fresh: ReturnType<typeof contents>[] = [];
    build(new ExampleBlockBuilder((block) => fresh.push(contents(block)), 4, () => null), 10);

    const handedBack: BlockArrays[] = [];
    const buffersSeen: ArrayBuffer[] = [];
    const recycled: ReturnType<typeof contents>[] = [];
    const builder = new ExampleBlockBuilder(
      (block) => {
        recycled.push(contents(block));
        buffersSeen.push(block.indices.buffer as ArrayBuffer);
        // The receiver is done at once and hands the arrays back, as the main thread does to the worker.
        handedBack.push(blockArraysOf(blockBuffers(block)));
      },
      4,
      () => handedBack.pop() ?? null,
    );
    build(builder, 10);
    expect(recycled).toEqual(fresh);
    expect(fresh.map((b) => b.labels.length)).toEqual([4, 4, 2]);
    // Every block after the first was built in the first block's buffer.
    expect(new Set(buffersSeen).size).toBe(1);
  });

  it('without a spare source, emits views of its own arrays, valid until emit returns', () => {
    const seen: ReturnType<typeof contents>[] = [];
    const buffers = new Set<ArrayBuffer>();
    build(
      new ExampleBlockBuilder((block) => {
        seen.push(contents(block));
        buffers.add(block.values.buffer as ArrayBuffer);
      }, 4),
      10,
    );
    expect(seen.map((b) => b.labels)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(seen[2]!.offsets).toEqual([0, 4, 9]);
    expect(buffers.size).toBe(1);
  });
});
