/**
 * The row streams an adapter has open, so that closing the adapter closes them. A stream
 * that fails to start, or that started while the adapter was being closed (too late for
 * `closeAll` to see it), is closed before its caller hears of it.
 */
import type { RowStream } from './adapter.js';

export class OpenStreams<S extends Pick<RowStream, 'close'>> {
  readonly #streams = new Set<S>();

  /**
   * Tracks `stream`, waits for `start` (e.g. its columns from the server) and hands it
   * out; if `start` fails, or `assertOpen` finds the adapter closed by then, the stream
   * is closed and the error thrown.
   */
  async admit(stream: S, assertOpen: () => void, start?: () => Promise<void>): Promise<S> {
    this.#streams.add(stream);
    try {
      if (start !== undefined) await start();
      assertOpen();
    } catch (error) {
      await stream.close();
      throw error;
    }
    return stream;
  }

  /** Forgets a stream that has closed (its `onClose`). */
  delete(stream: S): void {
    this.#streams.delete(stream);
  }

  /** Closes every stream still open. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#streams].map((stream) => stream.close()));
  }
}
