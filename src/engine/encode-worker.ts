/**
 * The encoding worker's entry point: reads the row cache that pass 0 wrote, encodes it
 * with the training's recipe and posts each finished example block to the main thread,
 * which trains on it while this thread encodes the next. At most MAX_BLOCKS_IN_FLIGHT
 * blocks wait in the main thread's queue, so memory stays bounded when training is the
 * slower side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FeatureEncoder } from '../learn/encode.js';
import { LabelEncoder } from '../learn/label.js';
import { RowCache } from './cache.js';
import { encodeExamples } from './encode-examples.js';
import { CONTROL_CANCELLED, CONTROL_CONSUMED, MAX_BLOCKS_IN_FLIGHT, type EncodeWorkerData, type EncodeWorkerMessage } from './encode-thread.js';

const data = workerData as EncodeWorkerData;
const control = new Int32Array(data.control);
const port = parentPort!;
const post = (message: EncodeWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

class Cancelled extends Error {}

try {
  const cache = new RowCache(data.rowCachePath, data.columns, data.index);
  try {
    const encoder = new FeatureEncoder(data.recipe, data.columns);
    const labels = new LabelEncoder(data.label, data.columns[data.targetIndex]!);
    let sent = 0;
    const totals = encodeExamples(
      cache.batches(data.order),
      encoder,
      labels,
      data.targetIndex,
      data.classCount,
      (role, block) => {
        // Wait for the main thread to take blocks off its queue before adding more.
        for (;;) {
          if (Atomics.load(control, CONTROL_CANCELLED) !== 0) throw new Cancelled();
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
        if (Atomics.load(control, CONTROL_CANCELLED) !== 0) throw new Cancelled();
      },
    );
    post({ kind: 'done', skipped: totals.skipped, rows: totals.rows, trainCounts: totals.trainCounts });
  } finally {
    cache.close();
  }
} catch (error) {
  if (!(error instanceof Cancelled)) {
    post({ kind: 'error', message: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code ?? null });
  }
}
