/**
 * Progress of long work on stderr: one line, redrawn in place, only when stderr is a
 * terminal (never in pipes, logs or --json consumers' stdout).
 */
import type { Progress } from '../engine/context.js';

const PHASE_LABEL: Record<Progress['phase'], string> = {
  read: 'reading',
  encode: 'encoding',
  train: 'training',
  finish: 'finishing',
  evaluate: 'evaluating',
  predict: 'predicting',
  write: 'writing',
};

const REDRAW_MS = 100;

export class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #lastDraw = 0;
  #visible = false;

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = Boolean(stream.isTTY)) {
    this.#stream = stream;
    this.#enabled = enabled;
  }

  /** A callback for the engine's `onProgress`, or undefined when progress is not shown. */
  get callback(): ((progress: Progress) => void) | undefined {
    return this.#enabled ? (progress) => this.update(progress) : undefined;
  }

  update(progress: Progress): void {
    const now = performance.now();
    if (now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    const parts = [`${PHASE_LABEL[progress.phase]} ${progress.rows.toLocaleString('en-US')} rows`];
    if (progress.pass !== undefined) parts.push(`pass ${progress.pass}/${progress.passes ?? '?'}`);
    if (progress.iteration !== undefined) parts.push(`L-BFGS iteration ${progress.iteration}/${progress.iterations ?? '?'}`);
    if (progress.loss !== undefined && Number.isFinite(progress.loss)) parts.push(`loss ${progress.loss.toFixed(4)}`);
    if (progress.rowsPerSecond !== undefined && Number.isFinite(progress.rowsPerSecond)) {
      parts.push(`${Math.round(progress.rowsPerSecond).toLocaleString('en-US')} rows/s`);
    }
    const columns = this.#stream.columns || 100;
    this.#stream.write(`\r\x1b[2K${parts.join(' · ').slice(0, columns - 1)}`);
    this.#visible = true;
  }

  clear(): void {
    if (this.#visible) this.#stream.write('\r\x1b[2K');
    this.#visible = false;
    this.#lastDraw = 0;
  }
}
