/**
 * Runs a script through the engine and prints each result as it completes: aligned
 * tables for people, JSON lines with --json. The first failing statement stops the
 * script (statements after it are not run) and is reported on stderr.
 */
import { CLI_RESULT_LIMIT, type ResultLimit } from '../../adapters/result-budget.js';
import type { ResultTable } from '../data.js';
import type { Engine } from '../engine/engine.js';
import { errorMessage } from '../errors.js';
import { formatJsonLine } from '../format.js';
import { formatCsv, formatForTerminal, type ExpandedMode } from './format.js';
import { ProgressLine } from './progress.js';

export interface OutputOptions {
  readonly json: boolean;
  /** CSV with a header per result instead of tables (ignored with json). */
  readonly csv?: boolean;
  /** Tables or one field per line (`\x`); default 'off'. */
  readonly expanded?: ExpandedMode;
  /** The terminal's width, for `expanded: 'auto'`. */
  readonly terminalColumns?: number;
  /** Print `Time: … ms` after each statement (`\timing`). */
  readonly timing?: boolean;
  /** Echo each statement before its result (the demo does). */
  readonly echo?: boolean;
  readonly out?: NodeJS.WritableStream;
  readonly err?: NodeJS.WriteStream;
  readonly signal?: AbortSignal;
  /** Most rows and bytes one statement's result may hold (default CLI_RESULT_LIMIT). */
  readonly resultLimit?: ResultLimit;
}

/** Returns true when every statement succeeded. */
export async function runScript(engine: Engine, script: string, options: OutputOptions): Promise<boolean> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const progress = new ProgressLine(err);
  try {
    for (const part of engine.split(script)) {
      const statement = engine.parse(part);
      if (options.echo && !options.json) out.write(`sqlml> ${echoText(part.text)};\n`);
      const started = performance.now();
      const result = await engine.execute(statement, {
        ...(progress.callback ? { onProgress: progress.callback } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        resultLimit: options.resultLimit ?? CLI_RESULT_LIMIT,
      });
      progress.clear();
      for (const notice of result.notices ?? []) err.write(`notice: ${notice}\n`);
      printResult(result, options, out);
      if (options.timing) out.write(timingLine(performance.now() - started));
    }
    return true;
  } catch (error) {
    progress.clear();
    err.write(`error: ${errorMessage(error)}\n`);
    return false;
  }
}

/** Writes one result as `options` ask: a JSON line, CSV, or a table (or its expanded form) and a blank line. */
export function printResult(result: ResultTable, options: OutputOptions, out: NodeJS.WritableStream): void {
  if (options.json) out.write(`${formatJsonLine(result)}\n`);
  else if (options.csv) {
    const csv = formatCsv(result);
    if (csv) out.write(`${csv}\n`);
  } else out.write(`${formatForTerminal(result, options.expanded ?? 'off', options.terminalColumns)}\n\n`);
}

/** psql's `\timing` line: milliseconds with three decimals. */
export function timingLine(ms: number): string {
  return `Time: ${ms.toFixed(3)} ms\n`;
}

/** Long statements (the demo's data generator) are echoed by their first lines only. */
const ECHO_LINES = 4;

function echoText(text: string): string {
  const lines = text.trim().split('\n');
  return lines.length <= ECHO_LINES + 2 ? lines.join('\n') : `${lines.slice(0, ECHO_LINES).join('\n')}\n  ... (${lines.length - ECHO_LINES} more lines)`;
}
