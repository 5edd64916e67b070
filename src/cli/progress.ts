/**
 * Progress of long work on stderr: one line, redrawn in place, when stderr is a terminal
 * (never in pipes, logs or --json consumers' stdout). SQLML_PROGRESS=lines prints it as
 * plain lines instead, for logs: one when the phase or the pass changes, else at most one
 * a second; SQLML_PROGRESS=off hides it.
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
const LINE_MS = 1000;

export type ProgressMode = 'redraw' | 'lines' | 'off';

/** How progress shows on `stream`, from SQLML_PROGRESS ('lines', 'off') or whether it is a terminal. */
export function progressMode(stream: NodeJS.WriteStream, setting = process.env.SQLML_PROGRESS): ProgressMode {
  const value = setting?.trim().toLowerCase();
  if (value === 'lines') return 'lines';
  if (value === 'off' || value === '0') return 'off';
  return stream.isTTY ? 'redraw' : 'off';
}

export class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #mode: ProgressMode;
  #lastDraw = 0;
  #visible = false;
  /** Lines mode: the phase and pass of the last line. */
  #lastStep = '';

  constructor(stream: NodeJS.WriteStream = process.stderr, mode: ProgressMode | boolean = progressMode(stream)) {
    this.#stream = stream;
    this.#mode = mode === true ? 'redraw' : mode === false ? 'off' : mode;
  }

  /** A callback for the engine's `onProgress`, or undefined when progress is not shown. */
  get callback(): ((progress: Progress) => void) | undefined {
    return this.#mode !== 'off' ? (progress) => this.update(progress) : undefined;
  }

  update(progress: Progress): void {
    const now = performance.now();
    const step = `${progress.phase} ${progress.pass ?? ''}`;
    if (this.#mode === 'lines' ? step === this.#lastStep && now - this.#lastDraw < LINE_MS : now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.#lastStep = step;
    const parts = [`${PHASE_LABEL[progress.phase]} ${progress.rows.toLocaleString('en-US')} rows`];
    if (progress.pass !== undefined) parts.push(`pass ${progress.pass}/${progress.passes ?? '?'}`);
    if (progress.iteration !== undefined) parts.push(`L-BFGS iteration ${progress.iteration}/${progress.iterations ?? '?'}`);
    if (progress.loss !== undefined && Number.isFinite(progress.loss)) parts.push(`loss ${progress.loss.toFixed(4)}`);
    if (progress.rowsPerSecond !== undefined && Number.isFinite(progress.rowsPerSecond)) {
      parts.push(`${Math.round(progress.rowsPerSecond).toLocaleString('en-US')} rows/s`);
    }
    if (this.#mode === 'lines') {
      this.#stream.write(`${parts.join(' · ')}\n`);
      return;
    }
    const columns = this.#stream.columns || 100;
    this.#stream.write(`\r\x1b[2K${parts.join(' · ').slice(0, columns - 1)}`);
    this.#visible = true;
  }

  clear(): void {
    if (this.#visible) this.#stream.write('\r\x1b[2K');
    this.#visible = false;
    this.#lastDraw = 0;
    this.#lastStep = '';
  }
}
