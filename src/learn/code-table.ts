/**
 * What a consumer works out once per distinct value of a producer's dictionary
 * (TextColumnData.codes: the COPY decoder's interned values, the row cache's dictionary
 * blocks) and then finds per row by the row's code: an Int32Array indexed by code, -1
 * where nothing is known yet. A code means a value only within its dictionary, so the
 * table starts afresh when the batches' dictionary is another one (another stream's); a
 * dictionary is only appended to while its stream lasts, so the table grows with it and
 * keeps what it knows.
 */
export class CodeTable {
  #entries: Int32Array | null = null;
  #dictionary: readonly string[] | null = null;

  /** The entries by code of `dictionary`, at least as many as it has values (-1: not known). */
  of(dictionary: readonly string[]): Int32Array {
    let entries = this.#entries;
    if (entries === null || this.#dictionary !== dictionary) {
      this.#dictionary = dictionary;
      entries = new Int32Array(Math.max(64, dictionary.length)).fill(-1);
    } else if (entries.length < dictionary.length) {
      const grown = new Int32Array(Math.max(dictionary.length, 2 * entries.length)).fill(-1);
      grown.set(entries);
      entries = grown;
    }
    this.#entries = entries;
    return entries;
  }

  /** Forgets every entry (what they stood for changed). */
  clear(): void {
    this.#entries = null;
    this.#dictionary = null;
  }
}
