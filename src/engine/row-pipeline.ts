/**
 * What a training does with the rows of pass 0 besides caching them: the split role of
 * every row, the column profile, and — once the recipe is known — the encoding pass.
 *
 * `RowProcessor` holds that work and its state. It runs either on the main thread
 * (`InlinePipeline`, for small sources) or in a worker (`ThreadPipeline`), where it reads
 * the row cache the main thread writes, block by block, so that decoding the database's
 * rows (main thread) and profiling them (worker) run on two cores; the worker then
 * encodes while the main thread trains on the blocks it posts. Both run the same code
 * over the same batches in the same order, so the model does not depend on which ran.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Column, RowBatch } from '../data.js';
import { SqlmlError, type ErrorCode } from '../errors.js';
import { FeatureEncoder } from '../learn/encode.js';
import { LabelEncoder, type LabelSpec } from '../learn/label.js';
import { Profiler, type Profile } from '../learn/profile.js';
import type { Recipe } from '../learn/recipe-format.js';
import { contentHashes, countsCopies, RowRole, RowSplitter, type SplitSpec } from '../learn/split.js';
import type { ExampleBlock } from '../learn/types.js';
import type { CacheBudget, SharedCacheBudget } from './cache-dir.js';
import { blockBuffers, EXAMPLE_BLOCK_ROWS, type BlockArrays, type BlockEntry, type ExampleCache, type RowCache, type WrittenExamples } from './cache.js';
import { SHUFFLE_BUFFER_ROWS } from '../learn/train.js';
import { encodeExamples, rowsWithRoles, type EncodingTotals } from './encode-examples.js';
import { RoleFile, SplitCopies } from './split-copies.js';

/** What pass 0 learnt about the rows. */
export interface ReadSummary {
  readonly profile: Profile;
  /** Rows per role (indexed by RowRole). */
  readonly roleCounts: Float64Array;
}

/** What the encoding pass needs once the recipe is known. */
export interface EncodingPlan {
  readonly recipe: Recipe;
  readonly label: LabelSpec;
  readonly classCount: number;
  /** The order in which to encode the row cache's batches (pass 0's order). */
  readonly order: Uint32Array;
}

/** The content hashes of every row of `batch` (two int32 each), in an array of their own. */
export function splitHashes(batch: RowBatch, split: SplitSpec): Int32Array {
  return contentHashes(batch, split.seed, new Int32Array(2 * batch.rowCount));
}

/** Where a RowProcessor keeps its roles and counts copies on disk (see its constructor). */
export interface CopyFiles {
  /** The roles, a byte a row (RoleFile). */
  readonly rolesPath: string;
  /** The content keys' partitions (SplitCopies). */
  readonly copiesPath: string;
  /** The rows expected (0: unknown), which sizes the partitions. */
  readonly expectedRows: number;
}

/** Roles and profile of each batch as it comes; the encoding pass over the row cache after. */
export class RowProcessor {
  readonly #columns: readonly Column[];
  readonly #targetIndex: number;
  /** Assigns the roles during the read (counting copies as they come, or only first copies' roles); dropped after it. */
  #splitter: RowSplitter | null;
  readonly #profiler: Profiler;
  /** Roles of each cached batch, by batch number, one byte a row: here (the small sources) or on disk (#roleFile). */
  readonly #roles: Uint8Array[] = [];
  readonly #roleFile: RoleFile | null;
  /** The copies counted on disk, after the read (null: counted as they come, or none to count). */
  readonly #copies: SplitCopies | null;
  /** Rows of each batch, when the roles are on disk. */
  readonly #batchRows: number[] = [];
  readonly #roleCounts = new Float64Array(4);

  readonly #split: SplitSpec;
  #scratchHashes = new Int32Array(0);
  #scratchRoles = new Uint8Array(0);
  #copiesClosed = false;
  #rolesClosed = false;

  /**
   * `files`: keep the roles on disk and count the copies there after the read
   * (split-copies.ts: memory that does not grow with the rows, for about 13 bytes a row on
   * disk); null keeps the roles here and counts copies exactly as they come (16-32 bytes
   * per distinct row: the small sources).
   */
  constructor(columns: readonly Column[], targetIndex: number, split: SplitSpec, files: (CopyFiles & { readonly budget: CacheBudget | null }) | null = null) {
    this.#columns = columns;
    this.#targetIndex = targetIndex;
    this.#split = split;
    this.#splitter = new RowSplitter(split, files === null ? {} : { firstCopies: true });
    this.#roleFile = files === null ? null : new RoleFile(files.rolesPath, files.budget);
    this.#copies = files === null || !countsCopies(split) ? null : new SplitCopies(files.copiesPath, split, files.expectedRows, files.budget);
    this.#profiler = new Profiler(columns);
  }

  /**
   * Profiles `batch` and assigns and keeps its roles; batches must come in stream order
   * (the split counts copies of a content). `hashes`: the batch's content hashes, when
   * the caller computed them already.
   */
  add(batch: RowBatch, hashes?: Int32Array): void {
    if (this.#splitter === null) throw new Error('a batch came after the read was finished');
    const n = batch.rowCount;
    let roles: Uint8Array;
    if (this.#roleFile === null) roles = new Uint8Array(n);
    else {
      if (this.#scratchRoles.length < n) this.#scratchRoles = new Uint8Array(n);
      roles = this.#scratchRoles.subarray(0, n);
    }
    if (this.#copies !== null && hashes === undefined) {
      if (this.#scratchHashes.length < 2 * n) this.#scratchHashes = new Int32Array(2 * n);
      hashes = contentHashes(batch, this.#split.seed, this.#scratchHashes);
    }
    this.#splitter.assign(batch, this.#targetIndex, roles, hashes);
    this.#copies?.add(hashes!, roles, n);
    const counts = this.#roleCounts;
    for (let row = 0; row < n; row++) counts[roles[row]!]! += 1;
    this.#profiler.add(batch);
    if (this.#roleFile === null) this.#roles.push(roles);
    else {
      this.#roleFile.append(roles, n);
      this.#batchRows.push(n);
    }
  }

  finishRead(): ReadSummary {
    const splitter = this.#splitter;
    if (splitter !== null && this.#copies !== null && !this.#copiesClosed) this.#copies.resolve(this.#roleFile!, this.#batchRows, this.#roleCounts);
    this.#closeCopies();
    // Counted as they come, the copy counts are the largest thing the read keeps (16-32
    // bytes per distinct row): their memory goes back now, not whenever the collector gets to it.
    splitter?.release();
    this.#splitter = null;
    return { profile: this.#profiler.finish(), roleCounts: this.#roleCounts };
  }

  /** Closes the files the processor keeps, if any (after the encoding, or a training that ends before). */
  close(): void {
    this.#closeCopies();
    if (this.#roleFile === null || this.#rolesClosed) return;
    this.#rolesClosed = true;
    this.#roleFile.close();
  }

  #closeCopies(): void {
    if (this.#copies === null || this.#copiesClosed) return;
    this.#copiesClosed = true;
    this.#copies.close();
  }

  /** Batch `index`'s roles (from the role file: valid until the next call). */
  #rolesOf(index: number): Uint8Array {
    return this.#roleFile === null ? this.#roles[index]! : this.#roleFile.batch(index);
  }

  /**
   * Encodes the row cache in the plan's order, handing every finished block to `emit`.
   * With `holdout`, the held-out rows wait: the training and validation rows are encoded
   * first, `holdout.trainingEncoded()` is told, and then the held-out rows are encoded
   * into `holdout.cache`. In a worker that moves the held-out third of the encoding out of
   * pass 0 (which waits for the validation rows, not the held-out ones) into the passes
   * after it, when the worker is otherwise idle.
   */
  encode(
    cache: RowCache,
    plan: EncodingPlan,
    emit: (role: RowRole, block: ExampleBlock) => void,
    afterBatch?: (totals: EncodingTotals) => void,
    spare: (() => BlockArrays | null) | null = null,
    holdout: HoldoutSink | null = null,
  ): EncodingTotals {
    const encoder = new FeatureEncoder(plan.recipe, this.#columns);
    const labels = new LabelEncoder(plan.label, this.#columns[this.#targetIndex]!);
    const rolesOf = (index: number): Uint8Array => this.#rolesOf(index);
    // Each batch and its roles are used up before the next are read (both are views the next read reuses).
    function* batches(): Generator<{ batch: RowBatch; roles: Uint8Array }> {
      for (const index of plan.order) yield { batch: cache.transientBatch(index), roles: rolesOf(index) };
    }
    if (holdout === null) return encodeExamples(batches(), encoder, labels, this.#targetIndex, plan.classCount, emit, afterBatch, spare);
    const first = encodeExamples(rowsWithRoles(batches(), ALL_BUT_HOLDOUT), encoder, labels, this.#targetIndex, plan.classCount, emit, afterBatch, spare);
    holdout.trainingEncoded();
    if (this.#roleCounts[RowRole.Holdout] === 0) return first;
    const second = encodeExamples(
      rowsWithRoles(batches(), HOLDOUT_ONLY),
      encoder,
      labels,
      this.#targetIndex,
      plan.classCount,
      (_role, block) => holdout.cache.appendBlock(block),
      afterBatch,
    );
    return { skipped: first.skipped + second.skipped, trainCounts: first.trainCounts, rows: first.rows + second.rows };
  }
}

/** Where `RowProcessor.encode` puts the held-out rows it encodes last. */
export interface HoldoutSink {
  readonly cache: ExampleCache;
  /** Called once every training and validation block has been emitted. */
  trainingEncoded(): void;
}

/** Roles kept by each of the two sweeps of a deferred encoding (indexed by RowRole). */
const ALL_BUT_HOLDOUT = Uint8Array.of(1, 1, 0, 1);
const HOLDOUT_ONLY = Uint8Array.of(0, 0, 1, 0);

/** The example caches a parallel pipeline wrote itself, by role. */
export interface WrittenSplits {
  readonly train: WrittenExamples;
  readonly validation: WrittenExamples;
}

/** What an encoding pass produced. */
export interface EncodedExamples {
  readonly totals: EncodingTotals;
  /** The caches, when the pipeline wrote them itself (`writesCaches`). */
  readonly written: (WrittenSplits & { readonly holdout: WrittenExamples }) | null;
}

/** The two ways of running a RowProcessor, behind one face for the training. */
export interface RowPipeline {
  /** Whether the encoded blocks arrive while the main thread is free to train on them. */
  readonly parallel: boolean;
  /** After the main thread appended batch `block` to the row cache. */
  added(batch: RowBatch, block: number): void;
  finishRead(): Promise<ReadSummary>;
  /**
   * Whether the encoding writes the example caches itself (a worker, while the main
   * thread trains): then `encode` hands `onBlock` the training blocks only, and only
   * when asked to (`feed`), for pass 0 to learn them as they come.
   */
  readonly writesCaches: boolean;
  /**
   * Runs the encoding pass, handing each block to `onBlock` in order, and calling
   * `trainingEncoded` once the training and validation blocks are all out (with their
   * caches when the pipeline wrote them); resolves with the totals, and the caches. The
   * caller gives every block back with `release` once done with it (and before the next
   * block when the pipeline is not parallel: then the block is valid only until
   * `onBlock` returns). A pipeline that writes its caches encodes the held-out rows
   * last, after `trainingEncoded`.
   */
  encode(
    plan: EncodingPlan,
    onBlock: (role: RowRole, block: ExampleBlock) => Promise<void> | void,
    afterBatch?: (totals: EncodingTotals) => void,
    trainingEncoded?: (written: WrittenSplits | null) => void,
    feed?: boolean,
  ): Promise<EncodedExamples>;
  /** Gives a block from `encode` back, for its arrays to build another block in; the block must not be used after. */
  release(block: ExampleBlock): void;
  stop(): Promise<void>;
}

export class InlinePipeline implements RowPipeline {
  readonly parallel = false;
  readonly writesCaches = false;
  readonly #processor: RowProcessor;
  readonly #cache: RowCache;

  constructor(processor: RowProcessor, cache: RowCache) {
    this.#processor = processor;
    this.#cache = cache;
  }

  added(batch: RowBatch): void {
    this.#processor.add(batch);
  }

  async finishRead(): Promise<ReadSummary> {
    return this.#processor.finishRead();
  }

  async encode(
    plan: EncodingPlan,
    onBlock: (role: RowRole, block: ExampleBlock) => void,
    afterBatch?: (totals: EncodingTotals) => void,
    trainingEncoded?: (written: WrittenSplits | null) => void,
  ): Promise<EncodedExamples> {
    const totals = this.#processor.encode(this.#cache, plan, onBlock, afterBatch);
    trainingEncoded?.(null);
    return { totals, written: null };
  }

  /** Nothing to do: the blocks are views of the builders' own arrays, reused in place. */
  release(): void {}

  async stop(): Promise<void> {
    this.#processor.close();
  }
}

/** Blocks the worker may post ahead of the main thread (each ~4,096 rows). */
export const MAX_BLOCKS_IN_FLIGHT = 4;
/** Slots of the shared control array. */
export const CONTROL_CONSUMED = 0;
export const CONTROL_CANCELLED = 1;
/** Row-cache blocks the worker has profiled so far. */
export const CONTROL_PROFILED = 2;

/**
 * Blocks the worker may lag behind the main thread's reading before the main thread
 * computes the split's content hashes itself. Which thread is the slower one during the read depends
 * on the database (DuckDB hands over rows faster than PostgreSQL's COPY) and the
 * machine, so the work moves to whichever side has room; hashes are the same whoever
 * computes them (the row cache gives back exactly the values it was given), so the roles
 * and the model are too.
 */
const HASHES_LAG_BLOCKS = 4;

/**
 * The worker's heap: its garbage is short-lived (one batch of strings at a time), so a
 * small young generation costs a few more scavenges and keeps the process's peak
 * memory close to the single-threaded training's. 1M synthetic rows on DuckDB: 4 MB
 * took ~270 scavenges (~195 ms), 8 MB ~135 (~130 ms) for about the same peak RSS, 16 MB
 * ~90 (~140 ms) for ~10 MB more.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 512 };

export interface RowWorkerData {
  readonly rowCachePath: string;
  /** Where the worker writes the example caches, by role (see RowPipeline.writesCaches). */
  readonly examplePaths: { readonly train: string; readonly validation: string; readonly holdout: string };
  /** What the training may still write to its cache, shared with the main thread. */
  readonly budget: SharedCacheBudget;
  readonly columns: readonly Column[];
  readonly targetIndex: number;
  readonly split: SplitSpec;
  /** Where the worker keeps the roles and counts the split's copies (RowProcessor). */
  readonly copies: CopyFiles;
  readonly control: SharedArrayBuffer;
  /** Where the main thread sends released blocks' buffers back (BlockBuffers messages). */
  readonly recycle: MessagePort;
}

/**
 * Main thread → worker. A block's content hashes come along when the main thread
 * computed them (null: the worker does); the worker assigns every role, in block order.
 */
export type RowWorkerRequest =
  | { kind: 'blocks'; entries: BlockEntry[]; hashes: (Int32Array | null)[] }
  | { kind: 'finish-read' }
  /** `feed`: post each training block for pass 0 to learn as it comes. */
  | { kind: 'encode'; plan: EncodingPlan; feed: boolean };

/** Worker → main thread. */
export type RowWorkerMessage =
  | { kind: 'read'; summary: ReadSummary }
  | { kind: 'block'; role: RowRole; block: ExampleBlock }
  | { kind: 'training-encoded'; written: WrittenSplits }
  | { kind: 'encoded'; totals: EncodingTotals; written: WrittenSplits & { holdout: WrittenExamples } }
  | { kind: 'error'; message: string; code: string | null };

export class ThreadPipeline implements RowPipeline {
  readonly parallel = true;
  readonly writesCaches = true;
  readonly #worker: Worker;
  readonly #cache: RowCache;
  readonly #control: Int32Array;
  readonly #queue: RowWorkerMessage[] = [];
  /** Entries appended since the last post, and their content hashes: sent in groups, one message per few blocks. */
  #pending: BlockEntry[] = [];
  #pendingHashes: (Int32Array | null)[] = [];
  readonly #split: SplitSpec;
  #wake: (() => void) | null = null;
  #failure: Error | null = null;
  #finished = false;
  readonly #recycle: MessagePort;
  #stopped = false;

  /** Starts the worker; it catches up on the `existing` blocks the cache already holds. */
  constructor(data: Omit<RowWorkerData, 'control' | 'recycle'>, cache: RowCache, existing: number) {
    const control = new SharedArrayBuffer(12);
    this.#control = new Int32Array(control);
    this.#cache = cache;
    this.#split = data.split;
    const channel = new MessageChannel();
    this.#recycle = channel.port1;
    // Never keeps the process alive by itself.
    this.#recycle.unref();
    this.#worker = startWorker({ ...data, control, recycle: channel.port2 });
    this.#worker.on('message', (message: RowWorkerMessage) => this.#push(message));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => {
      if (!this.#finished) this.#fail(new Error(`the training worker stopped (exit code ${code}) before it finished`));
    });
    for (let block = 0; block < existing; block++) {
      this.#pending.push(cache.entry(block));
      this.#pendingHashes.push(null);
    }
    this.#flush();
  }

  /**
   * Hashing every value of a row for its split role is, after profiling, the worker's
   * larger job during the read; when the worker falls behind (HASHES_LAG_BLOCKS), the main
   * thread hashes the batch it has just decoded and sends the hashes along. The roles
   * themselves are always assigned by the worker, which sees every block in order.
   */
  added(batch: RowBatch, block: number): void {
    // Blocks posted to the worker and not yet profiled: the ones waiting in #pending are
    // not its backlog, so they do not count.
    const backlog = block - this.#pending.length - Atomics.load(this.#control, CONTROL_PROFILED);
    this.#pending.push(this.#cache.entry(block));
    this.#pendingHashes.push(backlog > HASHES_LAG_BLOCKS ? splitHashes(batch, this.#split) : null);
    if (this.#pending.length >= 4) this.#flush();
  }

  async finishRead(): Promise<ReadSummary> {
    this.#flush();
    this.#post({ kind: 'finish-read' });
    const message = await this.#next();
    if (message.kind !== 'read') throw this.#unexpected(message);
    return message.summary;
  }

  async encode(
    plan: EncodingPlan,
    onBlock: (role: RowRole, block: ExampleBlock) => Promise<void> | void,
    _afterBatch?: (totals: EncodingTotals) => void,
    trainingEncoded?: (written: WrittenSplits | null) => void,
    feed = false,
  ): Promise<EncodedExamples> {
    this.#post({ kind: 'encode', plan, feed });
    for (;;) {
      const message = await this.#next();
      if (message.kind === 'block') {
        await onBlock(message.role, message.block);
        Atomics.add(this.#control, CONTROL_CONSUMED, 1);
        Atomics.notify(this.#control, CONTROL_CONSUMED);
      } else if (message.kind === 'training-encoded') {
        trainingEncoded?.(message.written);
      } else if (message.kind === 'encoded') {
        this.#finished = true;
        return { totals: message.totals, written: message.written };
      } else {
        throw this.#unexpected(message);
      }
    }
  }

  release(block: ExampleBlock): void {
    // After stop() (or once the worker is gone) the buffers are simply left to the collector.
    if (this.#stopped) return;
    const buffers = blockBuffers(block);
    this.#recycle.postMessage(buffers, [buffers.labels, buffers.offsets, buffers.indices, buffers.values]);
  }

  async stop(): Promise<void> {
    this.#finished = true;
    this.#stopped = true;
    this.#recycle.close();
    Atomics.store(this.#control, CONTROL_CANCELLED, 1);
    Atomics.notify(this.#control, CONTROL_CONSUMED);
    await this.#worker.terminate();
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const hashes = this.#pendingHashes;
    this.#worker.postMessage({ kind: 'blocks', entries: this.#pending, hashes } satisfies RowWorkerRequest, hashes.flatMap((h) => (h ? [h.buffer as ArrayBuffer] : [])));
    this.#pending = [];
    this.#pendingHashes = [];
  }

  #post(request: RowWorkerRequest): void {
    this.#worker.postMessage(request);
  }

  #unexpected(message: RowWorkerMessage): Error {
    this.#finished = true;
    if (message.kind === 'error') return message.code ? new SqlmlError(message.code as ErrorCode, message.message) : new Error(message.message);
    return new Error(`the training worker answered ${message.kind} out of turn`);
  }

  #push(message: RowWorkerMessage): void {
    this.#queue.push(message);
    this.#wake?.();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wake?.();
  }

  async #next(): Promise<RowWorkerMessage> {
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
 * The worker's own options. `trackUnmanagedFds`: the worker opens its cache files with
 * plain descriptors (openSync), and a cancel ends it from outside (`terminate`) wherever
 * it is; tracked, they are closed as the thread ends. Node's default, stated because
 * without it every cancelled training would keep its deleted cache files open for the
 * life of the process (test/faults/cancel-training-files.test.ts).
 */
const WORKER_OPTIONS = { resourceLimits: WORKER_LIMITS, trackUnmanagedFds: true } as const;

function startWorker(workerData: RowWorkerData): Worker {
  const transferList = [workerData.recycle];
  // From source (tests, benches under tsx) the worker is TypeScript too: it registers
  // tsx's loader before importing its entry, as a worker does not inherit the parent's.
  if (import.meta.url.endsWith('.ts')) {
    const entry = JSON.stringify(new URL('./row-worker.ts', import.meta.url).href);
    const bootstrap = `import(${JSON.stringify(tsxApiUrl())}).then((api) => { api.register(); return import(${entry}); })`;
    return new Worker(bootstrap, { eval: true, workerData, transferList, ...WORKER_OPTIONS });
  }
  return new Worker(new URL('./row-worker.js', import.meta.url), { workerData, transferList, ...WORKER_OPTIONS });
}

/**
 * tsx's ESM API as a file URL, resolved from this package (not from the worker's working
 * directory); `require.resolve` finds its CommonJS twin beside it.
 */
function tsxApiUrl(): string {
  const commonJs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const esm = commonJs.replace(/\.cjs$/, '.mjs');
  return existsSync(esm) ? pathToFileURL(esm).href : 'tsx/esm/api';
}

/**
 * A bounded hand-over between the worker's blocks and the training loop: `put` waits
 * while the queue is full, so the worker's in-flight limit really bounds memory; `drain`
 * yields the blocks and, at the end, settles with the encoding itself (so an encoding
 * failure ends the training pass with that error). It holds a whole shuffle buffer and
 * more: the trainer takes blocks in bursts (it learns a full shuffle buffer at a time),
 * and a smaller queue made the worker stop while the trainer learnt and the trainer wait
 * while the worker caught up (pass 0 of 1M rows: 216k rows/s with 4 blocks).
 */
export class BlockQueue {
  static readonly CAPACITY = Math.ceil(SHUFFLE_BUFFER_ROWS / EXAMPLE_BLOCK_ROWS) + 4;
  readonly #items: ExampleBlock[] = [];
  /** Called with each block once the consumer has asked for the next one (or stopped): it is done with it. */
  readonly #release: (block: ExampleBlock) => void;

  constructor(release: (block: ExampleBlock) => void = () => {}) {
    this.#release = release;
  }

  #ended = false;
  #complete = false;
  #onData: (() => void) | null = null;
  #onSpace: (() => void) | null = null;

  async put(block: ExampleBlock): Promise<void> {
    while (this.#items.length >= BlockQueue.CAPACITY) await new Promise<void>((resolve) => (this.#onSpace = resolve));
    this.#items.push(block);
    this.#onData?.();
  }

  /** No more blocks: `drain` ends once the queued ones are taken, after the encoding settles. */
  end(): void {
    this.#ended = true;
    this.#onData?.();
  }

  /** No more blocks, and the rest of the encoding is none of the consumer's business: `drain` ends without waiting for it. */
  complete(): void {
    this.#complete = true;
    this.end();
  }

  async *drain(settled: Promise<unknown>): AsyncGenerator<ExampleBlock> {
    for (;;) {
      const block = this.#items.shift();
      if (block) {
        this.#onSpace?.();
        try {
          yield block;
        } finally {
          this.#release(block);
        }
        continue;
      }
      if (this.#ended) {
        if (!this.#complete) await settled;
        return;
      }
      await new Promise<void>((resolve) => (this.#onData = resolve));
      this.#onData = null;
    }
  }
}
