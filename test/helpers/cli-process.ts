/**
 * A `sqlml` CLI process the test can watch and signal: its stderr lines as they come
 * (with SQLML_PROGRESS=lines, the progress of each phase and pass), so a test can stop
 * it at an observable point of its work and kill it there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './cli.js';

const entry = resolve(dirname(fileURLToPath(import.meta.url)), 'cli-entry.ts');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class CliProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stdout = '';
  readonly exited: Promise<Exit>;
  #waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  #partial = '';

  constructor(args: readonly string[], env: Record<string, string>) {
    // The caller's SQLML_DB must not leak into the tests' databases.
    const { SQLML_DB: _ignored, ...inherited } = process.env;
    this.child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
      cwd: repoRoot,
      env: { ...inherited, SQLML_PROGRESS: 'lines', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.#take(chunk));
    this.exited = new Promise((resolvePromise, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code, signal) => resolvePromise({ code, signal }));
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * The first stderr line matching `pattern`; the process is stopped (SIGSTOP) in the same
   * tick the line arrives, so what the test then inspects is where the process was when it
   * printed it, give or take what it did while the line crossed the pipe.
   */
  stopAt(pattern: RegExp, timeoutMs = 25_000): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) {
      this.child.kill('SIGSTOP');
      return Promise.resolve(seen);
    }
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no stderr line matched ${pattern} within ${timeoutMs} ms; stderr so far:\n${this.lines.join('\n')}`)), timeoutMs);
      const waiter = {
        pattern,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolvePromise(line);
        },
      };
      this.#waiters.push(waiter);
      void this.exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`sqlml exited (${exit.code ?? exit.signal}) before printing a line matching ${pattern}; stderr:\n${this.lines.join('\n')}`));
      });
    });
  }

  /** SIGKILL, and the exit it caused. */
  async kill(): Promise<Exit> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  #take(chunk: string): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop()!;
    for (const line of parts) {
      this.lines.push(line);
      const index = this.#waiters.findIndex((waiter) => waiter.pattern.test(line));
      if (index >= 0) {
        this.child.kill('SIGSTOP');
        const [waiter] = this.#waiters.splice(index, 1);
        waiter!.resolve(line);
      }
    }
  }
}
