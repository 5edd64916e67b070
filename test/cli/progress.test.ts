/** The progress line's percentage and time left, where the engine knows how many rows a phase has. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, progressShare, ProgressLine } from '../../src/cli/progress.js';

function lines(updates: Parameters<ProgressLine['update']>[0][]): string[] {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const line = new ProgressLine(stream as unknown as NodeJS.WriteStream, 'lines');
  for (const update of updates) {
    line.update(update);
    line.clear();
  }
  return text.trim().split('\n');
}

describe('progress with a known row count', () => {
  it('shows the share done and the time left at the rate so far', () => {
    expect(lines([{ phase: 'predict', rows: 25_000, totalRows: 100_000, rowsPerSecond: 5_000 }])).toEqual([
      'predicting 25,000 rows of ~100,000 (25%, 15s left) · 5,000 rows/s',
    ]);
  });

  it('never says 100% of an estimate it may pass, and shows no share without a count', () => {
    expect(progressShare({ phase: 'read', rows: 120, totalRows: 100 })).toBe(0.99);
    expect(progressShare({ phase: 'read', rows: 5 })).toBeUndefined();
    expect(progressShare({ phase: 'read', rows: 5, totalRows: 0 })).toBeUndefined();
    expect(lines([{ phase: 'read', rows: 4096 }])).toEqual(['reading 4,096 rows']);
  });

  it('writes durations as a person reads them', () => {
    expect([8.4, 125, 3780].map(formatDuration)).toEqual(['8s', '2m 05s', '1h 03m']);
  });
});
