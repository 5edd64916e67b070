/**
 * The interactive prompt, like psql: statements end with `;` and may span lines;
 * backslash commands are handled line by line before the splitter (src/cli/session.ts);
 * history persists across runs (src/cli/history.ts) and Tab completes names
 * (src/cli/completion.ts). Ctrl-C cancels the running statement (or clears the one being
 * typed), Ctrl-D or \q leaves.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Client } from './client.js';
import { changesNames, Completer, type CatalogNames } from './completion.js';
import { History, historyFile } from './history.js';
import { LineSession } from './session.js';

export interface ReplOptions {
  readonly json: boolean;
  readonly csv?: boolean;
}

/** readline's history, which its types do not show: set by the REPL so that a statement is one entry. */
interface ReadlineHistory {
  history: string[];
  historyIndex: number;
}

/** The names completion offers, from the client's catalog. */
async function catalogNames(client: Client): Promise<CatalogNames> {
  const [models, tables, columns] = await Promise.all([client.models(), client.tables(), client.columns()]);
  const texts = (rows: readonly (readonly unknown[])[], index: number): string[] => [
    ...new Set(rows.map((row) => row[index]).filter((v): v is string => typeof v === 'string')),
  ];
  return { models: texts(models.rows, 0), tables: texts(tables.rows, 1), columns: texts(columns.rows, 1) };
}

export async function repl(client: Client, options: ReplOptions): Promise<void> {
  const input = process.stdin;
  const output = process.stdout;
  const terminal = Boolean(input.isTTY);
  const history = terminal ? new History(historyFile()) : undefined;
  const completer = new Completer();
  // historySize 0: readline adds no line by itself; the session adds whole statements (onEntry).
  const rl: Interface = createInterface({
    input,
    output,
    terminal,
    historySize: 0,
    ...(history ? { history: history.newestFirst } : {}),
    ...(terminal ? { completer: (line: string) => completer.complete(line) } : {}),
  });
  // Completion names are read at start and after statements that may change them, before
  // the next prompt (so a name just made completes at once); a failure (a server that is
  // down) leaves completion with what it had.
  const refreshNames = async (): Promise<void> => {
    if (!terminal) return;
    try {
      completer.names = await catalogNames(client);
    } catch {
      // Completion is a convenience: the session goes on without new names.
    }
  };
  const session = new LineSession(client, {
    ...options,
    out: output,
    terminalColumns: () => (output.isTTY ? output.columns : undefined),
    onEntry: (entry) => {
      if (!history || !history.add(entry)) return;
      const state = rl as unknown as ReadlineHistory;
      state.history = history.newestFirst;
      state.historyIndex = -1;
    },
    afterRun: async (script) => {
      if (changesNames(script)) await refreshNames();
    },
  });
  const prompt = (): void => {
    rl.setPrompt(session.pending ? '   ...> ' : 'sqlml> ');
    rl.prompt();
  };

  // readline keeps reading while a statement runs, so Ctrl-C reaches this handler then too.
  rl.on('SIGINT', () => {
    if (session.interrupt()) return;
    // psql's way: what was typed stays on screen, the statement is forgotten.
    output.write('^C\n');
    Object.assign(rl, { line: '', cursor: 0 });
    prompt();
  });
  output.write(`sqlml on ${client.description}. \\? for help, \\q to quit.\n`);
  await refreshNames();
  prompt();
  for await (const line of rl) {
    if ((await session.line(line)) === 'quit') break;
    prompt();
  }
  rl.close();
}
