/**
 * A FIFO lock over a promise chain: one holder at a time, in call order. Adapters that
 * share one connection between pass-through, writes and the catalog take it around
 * each use, so a catalog call never lands inside a write's transaction.
 */
export class ConnectionLock {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves when the caller holds the lock, with the function that releases it. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((done) => (release = done));
    const acquired = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => released);
    return acquired;
  }
}
