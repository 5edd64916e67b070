/**
 * The REPL's backslash commands, as psql has them: handled by the REPL itself, line by
 * line, before the statement splitter sees anything, so `\x` in the middle of a statement
 * being typed changes the display and leaves the statement as it was.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import type { Client } from './client.js';
import { formatTable, type ExpandedMode } from './format.js';

export const META_HELP = `General
  \\q                 quit sqlml
  \\? or help         this help
  \\i FILE            run the statements (and backslash commands) of FILE
Display
  \\x [on|off|auto]   one field per line; auto (the default): when a row is wider than the terminal
  \\timing [on|off]   show how long each statement took
Catalog
  \\dt                tables and views
  \\d [NAME]          the columns of table NAME (all tables without NAME)
  \\dm                models (SHOW MODELS)
Statements end with ';' and may span lines. sqlml's own: CREATE MODEL, TRAIN MODEL,
RETRAIN MODEL, EVALUATE MODEL, PREDICT, EXPLAIN PREDICT, SHOW MODELS, DESCRIBE MODEL,
DROP MODEL, EXPORT MODEL, CREATE/SHOW/RUN/DROP JOB. Anything else goes to the database.
Ctrl-C cancels the running statement or clears the one being typed; Ctrl-D quits.`;

/** The display settings the commands change. */
export interface DisplaySettings {
  expanded: ExpandedMode;
  timing: boolean;
}

export interface MetaContext {
  readonly client: Client;
  readonly settings: DisplaySettings;
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  /** Feeds the lines of a file through the REPL (`\i`); resolves when they have run, 'failed' at the first failure. */
  readonly include: (lines: readonly string[]) => Promise<MetaOutcome>;
}

/** 'failed' stops a script; the REPL reports it and goes on. */
export type MetaOutcome = 'quit' | 'ok' | 'failed';

/** Whether `line` is a backslash command (its first non-blank character is `\`). */
export function isMetaCommand(line: string): boolean {
  return line.trimStart().startsWith('\\');
}

/** Runs one backslash command line. Errors are reported on `err`; they never end the session. */
export async function runMetaCommand(line: string, context: MetaContext): Promise<MetaOutcome> {
  const [command = '', ...args] = line.trim().split(/\s+/);
  const { out, err, settings, client } = context;
  try {
    switch (command) {
      case '\\q':
        return 'quit';
      case '\\?':
        out.write(`${META_HELP}\n`);
        return 'ok';
      case '\\x': {
        const mode = args[0]?.toLowerCase();
        if (mode === undefined) settings.expanded = settings.expanded === 'on' ? 'off' : 'on';
        else if (mode === 'on' || mode === 'off' || mode === 'auto') settings.expanded = mode;
        else throw new Error(`\\x takes on, off or auto, not '${args[0]}'`);
        out.write(settings.expanded === 'auto' ? 'Expanded display is used automatically.\n' : `Expanded display is ${settings.expanded}.\n`);
        return 'ok';
      }
      case '\\timing': {
        const mode = args[0]?.toLowerCase();
        if (mode === undefined) settings.timing = !settings.timing;
        else if (mode === 'on' || mode === 'off') settings.timing = mode === 'on';
        else throw new Error(`\\timing takes on or off, not '${args[0]}'`);
        out.write(`Timing is ${settings.timing ? 'on' : 'off'}.\n`);
        return 'ok';
      }
      case '\\dt':
        out.write(`${formatTable(await client.tables(), { maxWidth: 200 })}\n\n`);
        return 'ok';
      case '\\d': {
        if (args.length === 0) {
          out.write(`${formatTable(await client.columns(), { maxWidth: 200 })}\n\n`);
          return 'ok';
        }
        const table = client.tableRef(args.join(' '));
        const columns = await client.columns(table);
        const label = table.schema === undefined ? table.name : `${table.schema}.${table.name}`;
        if (columns.rows.length === 0) throw new Error(`did not find a table named ${label} (\\dt lists them)`);
        const shown = { ...columns, columns: columns.columns.slice(1), rows: columns.rows.map((row) => row.slice(1)) };
        out.write(`Table ${label}\n${formatTable(shown, { maxWidth: 200 })}\n\n`);
        return 'ok';
      }
      case '\\dm':
        out.write(`${formatTable(await client.models(), { maxWidth: 200 })}\n\n`);
        return 'ok';
      case '\\i': {
        const file = args.join(' ');
        if (!file) throw new Error('\\i needs a file: \\i script.sql');
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw new Error(`cannot read ${file}: ${errorMessage(error)}`);
        }
        return await context.include(text.split(/\r?\n/));
      }
      default:
        throw new Error(`unknown command ${command} (\\? lists the commands); the statement being typed is kept`);
    }
  } catch (error) {
    err.write(`error: ${errorMessage(error)}\n`);
    return 'failed';
  }
}
