/**
 * The training worker's entry point (see row-pipeline.ts). While the main thread reads
 * the database into the row cache, this thread reads each new block back, assigns split
 * roles and profiles it; once the recipe is known it encodes the cache into the example
 * caches, posting each training block for pass 0 at most MAX_BLOCKS_IN_FLIGHT ahead of
 * the main thread, and encodes the held-out rows last.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { RowRole } from '../learn/split.js';
import { blockArraysOf, blockBuffers, EXAMPLE_BLOCK_ROWS, ExampleCache, RowCache, type BlockArrays, type BlockBuffers } from './cache.js';
import { CacheBudget } from './cache-dir.js';
import {
  CONTROL_CANCELLED,
  CONTROL_CONSUMED,
  CONTROL_PROFILED,
  MAX_BLOCKS_IN_FLIGHT,
  RowProcessor,
  type RowWorkerData,
  type RowWorkerMessage,
  type RowWorkerRequest,
} from './row-pipeline.js';

const data = workerData as RowWorkerData;
const control = new Int32Array(data.control);
const port = parentPort!;
const post = (message: RowWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

class Cancelled extends Error {}

function cancelled(): boolean {
  return Atomics.load(control, CONTROL_CANCELLED) !== 0;
}

const cache = new RowCache(data.rowCachePath, data.columns, 'read');
/** Block arrays the main thread has handed back, to build the next blocks in. */
const spares: BlockArrays[] = [];
function spare(): BlockArrays | null {
  for (let message = receiveMessageOnPort(data.recycle); message !== undefined; message = receiveMessageOnPort(data.recycle)) {
    spares.push(blockArraysOf(message.message as BlockBuffers));
  }
  return spares.pop() ?? null;
}
const processor = new RowProcessor(data.columns, data.targetIndex, data.split, { ...data.copies, budget: CacheBudget.from(data.budget) });

port.on('message', (request: RowWorkerRequest) => {
  try {
    if (request.kind === 'blocks') {
      for (let i = 0; i < request.entries.length; i++) {
        if (cancelled()) return;
        cache.addEntry(request.entries[i]!);
        const batch = cache.transientBatch(cache.batchCount - 1);
        processor.add(batch, request.hashes[i] ?? undefined);
        Atomics.add(control, CONTROL_PROFILED, 1);
      }
    } else if (request.kind === 'finish-read') {
      post({ kind: 'read', summary: processor.finishRead() });
    } else {
      // This thread writes the example caches; the main thread gets the training blocks
      // only when pass 0 learns them as they come (request.feed).
      const paths = data.examplePaths;
      const budget = CacheBudget.from(data.budget);
      const caches = [paths.train, paths.validation, paths.holdout].map((path) => new ExampleCache(path, EXAMPLE_BLOCK_ROWS, 'write', budget));
      const [train, validation, holdout] = caches as [ExampleCache, ExampleCache, ExampleCache];
      let sent = 0;
      const totals = processor.encode(
        cache,
        request.plan,
        (role, block) => {
          caches[role]!.appendBlock(block);
          if (role !== RowRole.Train || !request.feed) {
            // Written: its arrays go straight back to the builders.
            spares.push(blockArraysOf(blockBuffers(block)));
            return;
          }
          // Wait for the main thread to take blocks off its queue before adding more.
          for (;;) {
            if (cancelled()) throw new Cancelled();
            const consumed = Atomics.load(control, CONTROL_CONSUMED);
            if (sent - consumed < MAX_BLOCKS_IN_FLIGHT) break;
            Atomics.wait(control, CONTROL_CONSUMED, consumed, 100);
          }
          sent++;
          post({ kind: 'block', role, block }, [
            block.labels.buffer as ArrayBuffer,
            block.offsets.buffer as ArrayBuffer,
            block.indices.buffer as ArrayBuffer,
            block.values.buffer as ArrayBuffer,
          ]);
        },
        () => {
          if (cancelled()) throw new Cancelled();
        },
        spare,
        { cache: holdout, trainingEncoded: () => post({ kind: 'training-encoded', written: { train: train.written(), validation: validation.written() } }) },
      );
      const written = { train: train.written(), validation: validation.written(), holdout: holdout.written() };
      for (const c of caches) c.close();
      post({ kind: 'encoded', totals, written });
      processor.close();
      cache.close();
      data.recycle.close();
      port.close();
    }
  } catch (error) {
    if (error instanceof Cancelled) return;
    post({ kind: 'error', message: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code ?? null });
  }
});
