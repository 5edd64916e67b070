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

/** The share of the phase done, where its row count is known (an estimate may be passed: then it stays below 100%). */
export function progressShare(progress: Progress): number | undefined {
  if (progress.totalRows === undefined || !(progress.totalRows > 0)) return undefined;
  return Math.min(progress.rows / progress.totalRows, 0.99);
}

/** `, 12s left` from the rate so far; nothing until the rate means something. */
function timeLeft(progress: Progress, share: number): string {
  const rate = progress.rowsPerSecond;
  if (rate === undefined || !(rate > 0) || share <= 0) return '';
  const seconds = Math.max(0, (progress.totalRows! - progress.rows) / rate);
  return `, ${formatDuration(seconds)} left`;
}

/** Seconds as a person reads a wait: `8s`, `2m 05s`, `1h 03m`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
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
    const share = progressShare(progress);
    if (share !== undefined) parts[0] += ` of ~${progress.totalRows!.toLocaleString('en-US')} (${Math.floor(share * 100)}%${timeLeft(progress, share)})`;
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
