/**
 * Runs the encoding pass in a worker thread so that, on a machine with a second core,
 * training on the first example blocks starts while the rest are still being encoded.
 * The blocks arrive in exactly the order the main thread would have produced them
 * (encode-examples.ts), so the model does not depend on which thread encoded.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Column } from '../data.js';
import { SqlmlError, type ErrorCode } from '../errors.js';
import type { LabelSpec } from '../learn/label.js';
import type { Recipe } from '../learn/recipe.js';
import type { RowRole } from '../learn/split.js';
import type { ExampleBlock } from '../learn/types.js';
import type { BlockIndex } from './cache.js';
import type { EncodingTotals } from './encode-examples.js';

/** Blocks the worker may post ahead of the main thread (each ~4,096 rows). */
export const MAX_BLOCKS_IN_FLIGHT = 4;
/**
 * The worker's heap: its garbage is short-lived (one batch of strings at a time), so a
 * small young generation costs a few more scavenges and keeps the process's peak
 * memory close to the single-threaded training's.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 };

/** Slots of the shared control array. */
export const CONTROL_CONSUMED = 0;
export const CONTROL_CANCELLED = 1;

export interface EncodeWorkerData {
  readonly rowCachePath: string;
  readonly index: BlockIndex;
  readonly columns: readonly Column[];
  readonly recipe: Recipe;
  readonly label: LabelSpec;
  readonly targetIndex: number;
  readonly classCount: number;
  /** The order in which to encode the row cache's batches. */
  readonly order: Uint32Array;
  readonly control: SharedArrayBuffer;
}

export type EncodeWorkerMessage =
  | { kind: 'block'; role: RowRole; block: ExampleBlock }
  | { kind: 'done'; skipped: number; rows: number; trainCounts: Float64Array }
  | { kind: 'error'; message: string; code: string | null };

/**
 * tsx's ESM API as a file URL, resolved from this package (not from the worker's working
 * directory); `require.resolve` finds its CommonJS twin beside it.
 */
function tsxApiUrl(): string {
  const commonJs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const esm = commonJs.replace(/\.cjs$/, '.mjs');
  return existsSync(esm) ? pathToFileURL(esm).href : 'tsx/esm/api';
}

/** The main thread's end of an encoding worker. */
export class EncodingThread {
  readonly #worker: Worker;
  readonly #control: Int32Array;
  readonly #queue: EncodeWorkerMessage[] = [];
  #wake: (() => void) | null = null;
  #failure: Error | null = null;
  #finished = false;

  constructor(data: Omit<EncodeWorkerData, 'control'>) {
    const control = new SharedArrayBuffer(8);
    this.#control = new Int32Array(control);
    const workerData = { ...data, control } satisfies EncodeWorkerData;
    // From source (tests, benches under tsx) the worker is TypeScript too: it registers
    // tsx's loader before importing its entry, as a worker does not inherit the parent's.
    if (import.meta.url.endsWith('.ts')) {
      const entry = JSON.stringify(new URL('./encode-worker.ts', import.meta.url).href);
      const tsx = JSON.stringify(tsxApiUrl());
      const bootstrap = `import(${tsx}).then((api) => { api.register(); return import(${entry}); })`;
      this.#worker = new Worker(bootstrap, { eval: true, workerData, resourceLimits: WORKER_LIMITS });
    } else {
      this.#worker = new Worker(new URL('./encode-worker.js', import.meta.url), { workerData, resourceLimits: WORKER_LIMITS });
    }
    this.#worker.on('message', (message: EncodeWorkerMessage) => this.#push(message));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => {
      if (!this.#finished) this.#fail(new Error(`the encoding worker stopped (exit code ${code}) before it finished`));
    });
  }

  /**
   * The encoded blocks in order, each handed on once `onBlock` returns; then the totals.
   * Throws the worker's error, if it failed.
   */
  async run(onBlock: (role: RowRole, block: ExampleBlock) => Promise<void> | void): Promise<EncodingTotals> {
    for (;;) {
      const message = await this.#next();
      if (message.kind === 'block') {
        await onBlock(message.role, message.block);
        Atomics.add(this.#control, CONTROL_CONSUMED, 1);
        Atomics.notify(this.#control, CONTROL_CONSUMED);
      } else if (message.kind === 'done') {
        this.#finished = true;
        return { skipped: message.skipped, rows: message.rows, trainCounts: message.trainCounts };
      } else {
        this.#finished = true;
        throw message.code ? new SqlmlError(message.code as ErrorCode, message.message) : new Error(message.message);
      }
    }
  }

  /** Stops the worker (after an error or a cancellation on the main side). */
  async stop(): Promise<void> {
    this.#finished = true;
    Atomics.store(this.#control, CONTROL_CANCELLED, 1);
    Atomics.notify(this.#control, CONTROL_CONSUMED);
    await this.#worker.terminate();
  }

  #push(message: EncodeWorkerMessage): void {
    this.#queue.push(message);
    this.#wake?.();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wake?.();
  }

  async #next(): Promise<EncodeWorkerMessage> {
    for (;;) {
      const message = this.#queue.shift();
      if (message) return message;
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}

/**
 * A small bounded hand-over between the encoding thread's blocks and the training loop:
 * `put` waits while the queue is full, so the worker's in-flight limit really bounds
 * memory; `drain` yields the blocks and, at the end, settles with the encoding itself
 * (so an encoding failure ends the training pass with that error).
 */
export class BlockQueue {
  static readonly CAPACITY = 4;
  readonly #items: ExampleBlock[] = [];
  #ended = false;
  #onData: (() => void) | null = null;
  #onSpace: (() => void) | null = null;

  async put(block: ExampleBlock): Promise<void> {
    while (this.#items.length >= BlockQueue.CAPACITY) await new Promise<void>((resolve) => (this.#onSpace = resolve));
    this.#items.push(block);
    this.#onData?.();
  }

  end(): void {
    this.#ended = true;
    this.#onData?.();
  }

  async *drain(settled: Promise<unknown>): AsyncGenerator<ExampleBlock> {
    for (;;) {
      const block = this.#items.shift();
      if (block) {
        this.#onSpace?.();
        yield block;
        continue;
      }
      if (this.#ended) {
        await settled;
        return;
      }
      await new Promise<void>((resolve) => (this.#onData = resolve));
      this.#onData = null;
    }
  }
}
