/**
 * A program in a real terminal, driven the way a person drives it: tmux runs it in a
 * detached pane of a private server (its own socket), keys are sent to it, and the screen
 * is read back. Waits are for what appears on the screen, never fixed sleeps, so a loaded
 * machine makes the test slower, not flaky.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V']).status === 0;
}

let sessions = 0;

export class TmuxPane {
  readonly #socket: string;
  readonly #config: string;

  /** Starts `command` (argv) in a `columns`×`rows` terminal, in `cwd`, with `env` added. */
  constructor(options: { command: readonly string[]; cwd: string; env: Record<string, string>; dir: string; columns?: number; rows?: number }) {
    this.#socket = `sqlml-test-${process.pid}-${++sessions}`;
    // remain-on-exit: the screen can still be read after the program quits.
    this.#config = join(options.dir, `tmux-${sessions}.conf`);
    writeFileSync(this.#config, 'set -g remain-on-exit on\nset -g history-limit 5000\n');
    const env = Object.entries(options.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    this.#tmux(['new-session', '-d', '-s', 'repl', '-x', String(options.columns ?? 120), '-y', String(options.rows ?? 50), '-c', options.cwd, ...env, ...options.command]);
  }

  #tmux(args: readonly string[]): string {
    return execFileSync('tmux', ['-L', this.#socket, '-f', this.#config, ...args], { encoding: 'utf8' });
  }

  /** Types `text` literally (no key names), without Enter. */
  type(text: string): void {
    // tmux reads an argument ending in ';' as the end of its command: the ';' goes as a key code.
    const body = text.endsWith(';') ? text.slice(0, -1) : text;
    if (body) this.#tmux(['send-keys', '-t', 'repl', '-l', body]);
    if (body !== text) this.#tmux(['send-keys', '-t', 'repl', '-H', '3b']);
  }

  /** Presses keys by tmux's names: Enter, Tab, Up, C-c, C-d. */
  press(...keys: string[]): void {
    this.#tmux(['send-keys', '-t', 'repl', ...keys]);
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    this.type(text);
    this.press('Enter');
  }

  /** The whole screen and its scrollback, wrapped lines joined. */
  screen(): string {
    return this.#tmux(['capture-pane', '-p', '-J', '-S', '-5000', '-t', 'repl']).replace(/\s+$/, '');
  }

  /** Whether the program in the pane has exited. */
  exited(): boolean {
    return this.#tmux(['display-message', '-p', '-t', 'repl', '#{pane_dead}']).trim() === '1';
  }

  /**
   * Waits until the screen satisfies `test` (a pattern counted from `after`, the screen
   * length when the step started) and returns the screen.
   */
  async waitFor(test: RegExp | ((screen: string) => boolean), options: { after?: number; timeoutMs?: number } = {}): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 90_000);
    const check = typeof test === 'function' ? test : (screen: string) => test.test(screen.slice(options.after ?? 0));
    for (;;) {
      const screen = this.screen();
      if (check(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`the screen never showed ${String(test)}; it shows:\n${screen}`);
      // Polling the screen, not a timed assertion: the wait ends as soon as it shows.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Runs `step` and waits for `expected` to appear in what it prints (after what was on screen before). */
  async expect(step: () => void, expected: RegExp, timeoutMs?: number): Promise<string> {
    const before = this.screen().length;
    step();
    const screen = await this.waitFor(expected, { after: before, ...(timeoutMs ? { timeoutMs } : {}) });
    return screen.slice(before);
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.#socket, 'kill-server']);
  }
}
