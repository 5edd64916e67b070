/**
 * The REPL's history across runs, in `~/.sqlml_history` (SQLML_HISTORY names another
 * file): at most HISTORY_LIMIT entries, the oldest dropped first. A statement typed over
 * several lines is one entry, recalled whole; in the file, one entry per line, with its
 * line breaks and backslashes escaped (`\n`, `\\`).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const HISTORY_LIMIT = 1000;

/** The history file: SQLML_HISTORY, else `.sqlml_history` in the home directory (HOME). */
export function historyFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.SQLML_HISTORY || join(env.HOME || homedir(), '.sqlml_history');
}

export function encodeEntry(entry: string): string {
  return entry.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n');
}

export function decodeEntry(line: string): string {
  return line.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

export class History {
  readonly #file: string;
  readonly #limit: number;
  /** Oldest first, as in the file. */
  readonly #entries: string[];

  constructor(file: string, limit = HISTORY_LIMIT) {
    this.#file = file;
    this.#limit = limit;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // No history yet (or unreadable): start empty; the first entry creates the file.
    }
    this.#entries = text
      .split('\n')
      .filter((line) => line !== '')
      .map(decodeEntry)
      .slice(-limit);
  }

  /** Newest first, as readline's `history` holds them. */
  get newestFirst(): string[] {
    return [...this.#entries].reverse();
  }

  /**
   * Adds one entry (not a repeat of the last one) and writes the file. The file is written
   * whole through a temporary file and a rename, so a crash never leaves half of it; a
   * history that cannot be written is not worth stopping the session for.
   */
  add(entry: string): boolean {
    const text = entry.trim();
    if (!text || this.#entries.at(-1) === text) return false;
    this.#entries.push(text);
    if (this.#entries.length > this.#limit) this.#entries.splice(0, this.#entries.length - this.#limit);
    try {
      mkdirSync(dirname(this.#file), { recursive: true });
      const temporary = `${this.#file}.${process.pid}.tmp`;
      writeFileSync(temporary, this.#entries.map((e) => `${encodeEntry(e)}\n`).join(''), { mode: 0o600 });
      renameSync(temporary, this.#file);
    } catch {
      // Read-only home, full disk: the session goes on without saving its history.
    }
    return true;
  }
}
