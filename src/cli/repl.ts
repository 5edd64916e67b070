/**
 * The interactive prompt, like psql: statements end with `;` and may span lines;
 * Ctrl-C cancels the running statement (or clears the line), Ctrl-D or \q leaves.
 */
import { createInterface } from 'node:readline';
import type { Engine } from '../engine/engine.js';
import { SqlSyntaxError } from '../errors.js';
import { runScript } from './run-script.js';

const HELP = `Statements end with ';'. sqlml's own: CREATE MODEL, TRAIN MODEL, RETRAIN MODEL, EVALUATE MODEL,
PREDICT, SHOW MODELS, DESCRIBE MODEL, DROP MODEL, CREATE/SHOW/RUN/DROP JOB. Anything else goes to the database.
\\q quits, \\? shows this.`;

/** True when `text` holds one or more complete statements (ends with `;` outside quotes/comments). */
export function isComplete(engine: Engine, text: string): boolean {
  if (!text.trimEnd().endsWith(';')) return false;
  try {
    engine.split(text);
    return true;
  } catch (error) {
    if (error instanceof SqlSyntaxError) return false;
    throw error;
  }
}

export async function repl(engine: Engine, options: { json: boolean }): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY) });
  let buffer = '';
  let running: AbortController | null = null;
  const prompt = (): void => {
    rl.setPrompt(buffer ? '   ...> ' : 'sqlml> ');
    rl.prompt();
  };
  rl.on('SIGINT', () => {
    if (running) {
      running.abort();
      return;
    }
    buffer = '';
    process.stdout.write('\n');
    prompt();
  });
  process.stdout.write(`sqlml on ${engine.adapter.sql.name}. \\? for help, \\q to quit.\n`);
  prompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (!buffer && (trimmed === '\\q' || trimmed === 'quit' || trimmed === 'exit')) break;
    if (!buffer && (trimmed === '\\?' || trimmed === 'help')) {
      process.stdout.write(`${HELP}\n`);
      prompt();
      continue;
    }
    buffer += (buffer ? '\n' : '') + line;
    if (isComplete(engine, buffer)) {
      const script = buffer;
      buffer = '';
      // readline keeps reading while the statement runs, so Ctrl-C reaches the SIGINT handler above.
      running = new AbortController();
      await runScript(engine, script, { json: options.json, signal: running.signal });
      running = null;
    } else if (!buffer.trim()) {
      buffer = '';
    }
    prompt();
  }
  rl.close();
}
