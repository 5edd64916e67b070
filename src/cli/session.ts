/**
 * Input read line by line, as the REPL and a script with backslash commands have it:
 * a line starting with `\` is a command (src/cli/meta-commands.ts), handled before the
 * splitter, the statement being typed left as it was; other lines gather until they
 * complete one or more statements, which then run. Owns the display settings the
 * commands change.
 */
import { errorMessage } from '../errors.js';
import type { Client } from './client.js';
import { isMetaCommand, META_HELP, runMetaCommand, type DisplaySettings } from './meta-commands.js';
import type { OutputOptions } from './run-script.js';

export type LineOutcome = 'ok' | 'failed' | 'quit';

export interface SessionOptions {
  readonly json: boolean;
  readonly csv?: boolean;
  readonly out: NodeJS.WriteStream | NodeJS.WritableStream;
  readonly err?: NodeJS.WritableStream;
  /** The terminal's width, for `\x auto`; undefined when the output is not a terminal. */
  readonly terminalColumns?: () => number | undefined;
  /** Called with each statement (whole) and command line, for the history. */
  readonly onEntry?: (entry: string) => void;
  /** Awaited after statements ran, with their text (the REPL refreshes its completion names). */
  readonly afterRun?: (script: string) => Promise<void>;
}

export class LineSession {
  readonly client: Client;
  readonly settings: DisplaySettings = { expanded: 'auto', timing: false };
  readonly #options: SessionOptions;
  #buffer = '';
  #running: AbortController | null = null;

  constructor(client: Client, options: SessionOptions) {
    this.client = client;
    this.#options = options;
  }

  /** True while part of a statement has been typed. */
  get pending(): boolean {
    return this.#buffer !== '';
  }

  /** Ctrl-C: cancels the running statement (true), else forgets the statement being typed (false). */
  interrupt(): boolean {
    if (this.#running) {
      this.#running.abort();
      return true;
    }
    this.#buffer = '';
    return false;
  }

  async line(line: string): Promise<LineOutcome> {
    const err = this.#options.err ?? process.stderr;
    const trimmed = line.trim();
    if (isMetaCommand(line)) {
      this.#options.onEntry?.(trimmed);
      return runMetaCommand(line, {
        client: this.client,
        settings: this.settings,
        out: this.#options.out,
        err,
        include: async (lines) => {
          for (const included of lines) {
            const outcome = await this.line(included);
            if (outcome !== 'ok') return outcome;
          }
          return this.finish();
        },
      });
    }
    if (!this.#buffer && (trimmed === 'quit' || trimmed === 'exit')) return 'quit';
    if (!this.#buffer && trimmed === 'help') {
      this.#options.out.write(`${META_HELP}\n`);
      return 'ok';
    }
    this.#buffer += (this.#buffer ? '\n' : '') + line;
    let complete: boolean;
    try {
      complete = this.client.isComplete(this.#buffer);
    } catch (error) {
      err.write(`error: ${errorMessage(error)}\n`);
      this.#buffer = '';
      return 'failed';
    }
    if (complete) return this.#run();
    if (!this.#buffer.trim()) this.#buffer = '';
    return 'ok';
  }

  /** The end of the input: what is left of a statement runs as it is (its last `;` may be missing). */
  async finish(): Promise<LineOutcome> {
    return this.#buffer.trim() ? this.#run() : 'ok';
  }

  async #run(): Promise<LineOutcome> {
    const script = this.#buffer;
    this.#buffer = '';
    this.#options.onEntry?.(script);
    this.#running = new AbortController();
    const columns = this.#options.terminalColumns?.();
    const output: OutputOptions = {
      json: this.#options.json,
      csv: Boolean(this.#options.csv),
      expanded: this.settings.expanded,
      ...(columns ? { terminalColumns: columns } : {}),
      timing: this.settings.timing,
      signal: this.#running.signal,
      out: this.#options.out,
      ...(this.#options.err ? { err: this.#options.err as NodeJS.WriteStream } : {}),
    };
    let ok: boolean;
    try {
      ok = await this.client.run(script, output);
    } finally {
      this.#running = null;
    }
    await this.#options.afterRun?.(script);
    return ok ? 'ok' : 'failed';
  }
}

/** Whether a script needs reading line by line: it has a backslash command. */
export function hasMetaCommands(script: string): boolean {
  return script.split('\n').some(isMetaCommand);
}

/** Runs a script with backslash commands, stopping at the first failing statement or command. */
export async function runLines(client: Client, script: string, options: SessionOptions): Promise<boolean> {
  const session = new LineSession(client, options);
  for (const line of script.split(/\r?\n/)) {
    const outcome = await session.line(line);
    if (outcome === 'failed') return false;
    if (outcome === 'quit') return true;
  }
  return (await session.finish()) !== 'failed';
}
