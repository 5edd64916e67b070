/**
 * Streaming reads: one query on a connection of its own, rows decoded as they arrive
 * into the typed arrays of `batchRows`-row batches. When two full batches wait for the
 * consumer the connection is paused (the socket stops being read, so the server blocks
 * in its send), which bounds memory to a few batches whatever the result's size.
 */
import type { Connection, FieldPacket, Query } from 'mysql2';
import type { RowStream } from '../adapter.js';
import type { Column, ColumnData, RowBatch } from '../../src/data.js';
import { SqlmlError } from '../../src/errors.js';
import { cancelled, streamReadTwice } from '../adapter-errors.js';
import { mayCarryExact } from '../../src/data.js';
import { cellDecoderFor, exactCellText, toColumn, type CellDecoder, type MySQLField } from './mysql-types.js';

/** Full batches buffered ahead of the consumer before the connection pauses. */
const BATCHES_AHEAD = 2;

/** What the stream needs from its adapter. */
export interface StreamHooks {
  /** Stops the stream's query on the server (`KILL CONNECTION` from another connection). */
  killQuery(threadId: number): Promise<void>;
  /** Turns a driver error into the adapter's error. */
  asError(error: unknown): SqlmlError;
  /** Called once when the stream has let go of its connection. */
  onClose(): void;
}

/** mysql2 column definitions as the fields `mysql-types.ts` reads. */
export function asFields(packets: readonly FieldPacket[]): MySQLField[] {
  return packets.map((packet) => ({
    name: packet.name,
    columnType: packet.columnType ?? 253,
    columnLength: packet.columnLength ?? 0,
    flags: typeof packet.flags === 'number' ? packet.flags : 0,
    characterSet: packet.characterSet ?? 0,
    decimals: packet.decimals ?? 0,
  }));
}

/**
 * A running query's rows in batches. Listens to the query from the start, so no row that
 * arrives while `open()` is still resolving is lost.
 */
export class MySQLRowStream implements RowStream {
  readonly method = 'mysql streaming query';
  columns: readonly Column[] = [];
  readonly #connection: Connection;
  readonly #batchRows: number;
  readonly #signal: AbortSignal | undefined;
  readonly #hooks: StreamHooks;
  #decoders: readonly CellDecoder[] = [];
  /** Column arrays of the batch being filled. */
  #numbers: (Float64Array | undefined)[] = [];
  #nulls: (Uint8Array | undefined)[] = [];
  #texts: ((string | null)[] | undefined)[] = [];
  /** BIGINT and DECIMAL columns: exact text where a double cannot hold the value (see `NumberColumnData.exact`). */
  #exact: ((string | undefined)[] | undefined)[] = [];
  #filled = 0;
  /** Whether the arrays of the next batch are still to be allocated (none until its first row). */
  #empty = true;
  readonly #ready: RowBatch[] = [];
  #paused = false;
  #sawFields = false;
  #ended = false;
  #error: SqlmlError | undefined;
  #closed = false;
  #iterated = false;
  #wake: (() => void) | undefined;
  readonly #onAbort = (): void => {
    void this.#kill();
    this.#notify();
  };
  #killing: Promise<void> | undefined;

  constructor(connection: Connection, query: Query, batchRows: number, signal: AbortSignal | undefined, hooks: StreamHooks) {
    this.#connection = connection;
    this.#batchRows = batchRows;
    this.#signal = signal;
    this.#hooks = hooks;
    query.on('fields', (fields: FieldPacket[]) => this.#start(asFields(fields)));
    query.on('result', (row: unknown) => {
      if (Array.isArray(row)) this.#addRow(row);
    });
    query.on('error', (error: Error) => {
      this.#error ??= this.#signal?.aborted || this.#closed ? cancelled() : this.#hooks.asError(error);
      this.#notify();
    });
    query.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    // The connection is this stream's own and is killed on cancel: the server then drops
    // it, and mysql2 reports that on the connection after the query has already failed.
    // Without a listener that late report would be an uncaught exception.
    connection.on('error', (error: Error) => {
      this.#error ??= this.#signal?.aborted || this.#closed ? cancelled() : this.#hooks.asError(error);
      this.#notify();
    });
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Resolves once the columns are known (or the query fails, or the signal aborts). */
  async open(): Promise<void> {
    while (!this.#sawFields && !this.#ended) {
      this.#check();
      await this.#next();
    }
    this.#check();
  }

  batches(): AsyncIterable<RowBatch> {
    if (this.#iterated) throw streamReadTwice();
    this.#iterated = true;
    return this.#read();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#notify();
    if (this.#ended || this.#error !== undefined) {
      this.#connection.end(() => undefined);
    } else {
      // The server would go on sending into a socket no one reads: stop the query, then drop the line.
      await this.#kill();
      this.#connection.destroy();
    }
    this.#hooks.onClose();
  }

  async *#read(): AsyncGenerator<RowBatch> {
    try {
      for (;;) {
        this.#check();
        const batch = this.#ready.shift();
        if (batch !== undefined) {
          if (this.#paused && this.#ready.length < BATCHES_AHEAD) {
            this.#paused = false;
            this.#connection.resume();
          }
          yield batch;
          continue;
        }
        if (this.#ended) {
          if (this.#filled > 0) yield this.#takeBatch();
          return;
        }
        await this.#next();
      }
    } finally {
      await this.close();
    }
  }

  #check(): void {
    if (this.#signal?.aborted) throw cancelled();
    if (this.#error !== undefined) throw this.#error;
    if (this.#closed) throw new SqlmlError('connection', 'the row stream was closed before its last row');
  }

  #next(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #kill(): Promise<void> {
    this.#killing ??= this.#hooks.killQuery(this.#connection.threadId).catch(() => undefined);
    return this.#killing;
  }

  #start(fields: readonly MySQLField[]): void {
    this.#sawFields = true;
    this.columns = fields.map(toColumn);
    this.#decoders = fields.map(cellDecoderFor);
    this.#notify();
  }

  #allocate(): void {
    const rows = this.#batchRows;
    this.#numbers = this.#decoders.map((decoder) => (decoder.kind === 'number' ? new Float64Array(rows) : undefined));
    this.#nulls = this.#decoders.map((decoder) => (decoder.kind === 'number' ? new Uint8Array(rows) : undefined));
    this.#texts = this.#decoders.map((decoder) => (decoder.kind === 'text' ? new Array<string | null>(rows).fill(null) : undefined));
    this.#exact = this.columns.map((column) => (mayCarryExact(column.type) ? new Array<string | undefined>(rows) : undefined));
    this.#filled = 0;
    this.#empty = false;
  }

  #addRow(row: readonly unknown[]): void {
    if (this.#empty) this.#allocate();
    const at = this.#filled;
    const decoders = this.#decoders;
    for (let c = 0; c < decoders.length; c++) {
      const decoder = decoders[c]!;
      const cell = row[c];
      if (decoder.kind === 'number') {
        const values = this.#numbers[c]!;
        const nulls = this.#nulls[c]!;
        const value = cell === null || cell === undefined ? Number.NaN : decoder.decode(cell);
        if (value !== value) {
          values[at] = 0;
          nulls[at] = 1;
        } else {
          values[at] = value;
          const exact = this.#exact[c];
          if (exact !== undefined) exact[at] = exactCellText(this.columns[c]!.type, cell);
        }
      } else {
        this.#texts[c]![at] = cell === null || cell === undefined ? null : decoder.decode(cell);
      }
    }
    this.#filled = at + 1;
    if (this.#filled === this.#batchRows) {
      this.#ready.push(this.#takeBatch());
      if (this.#ready.length >= BATCHES_AHEAD && !this.#paused) {
        this.#paused = true;
        this.#connection.pause();
      }
      this.#notify();
    }
  }

  /** Hands over the batch being filled and starts a fresh one: the consumer may keep what it got. */
  #takeBatch(): RowBatch {
    const rows = this.#filled;
    const columns = this.#decoders.map((decoder, c): ColumnData => {
      if (decoder.kind === 'number') {
        const values = this.#numbers[c]!.subarray(0, rows);
        const nulls = this.#nulls[c]!.subarray(0, rows);
        const exact = this.#exact[c];
        if (exact === undefined) return { kind: 'number', values, nulls };
        if (exact.length > rows) exact.length = rows;
        return { kind: 'number', values, nulls, exact };
      }
      const texts = this.#texts[c]!;
      if (texts.length > rows) texts.length = rows;
      return { kind: 'text', values: texts };
    });
    this.#empty = true;
    this.#filled = 0;
    return { rowCount: rows, columns };
  }
}
