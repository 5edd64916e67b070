/**
 * What the REPL and the script runner talk to: the engine in this process, or a running
 * `sqlml serve` over HTTP (`--server`, src/cli/remote.ts). Both run scripts and print
 * their results the same way, and answer the REPL's catalog questions (`\dt`, `\d`, `\dm`,
 * completion).
 */
import type { TableRef } from '../../adapters/adapter.js';
import type { ResultTable } from '../data.js';
import type { Engine } from '../engine/engine.js';
import { SqlSyntaxError } from '../errors.js';
import { endsWithTerminator, type LexicalRules } from '../sql/index.js';
import { runScript, type OutputOptions } from './run-script.js';

export interface Client {
  /** What the REPL's greeting says it is connected to. */
  readonly description: string;
  /** True when `text` holds one or more complete statements (ends with `;` outside quotes and comments). */
  isComplete(text: string): boolean;
  /** Runs the statements of `script`, printing each result; false when one failed (reported on stderr). */
  run(script: string, options: OutputOptions): Promise<boolean>;
  /** The tables and views the session sees: table_schema, table_name, table_type. */
  tables(): Promise<ResultTable>;
  /** The columns of `table`, or of every visible table: table_name, column_name, data_type, is_nullable. */
  columns(table?: TableRef): Promise<ResultTable>;
  /** SHOW MODELS. */
  models(): Promise<ResultTable>;
  /** The table a name typed unquoted in `\d name` denotes (`schema.name`, folded as the database folds it). */
  tableRef(text: string): TableRef;
  close(): Promise<void>;
}

/**
 * Whether `text`, lexed by `rules`, is whole statements, the last ended by its `;`: not by a
 * `;` inside a comment (`DELETE FROM t -- old rows;` waits for the WHERE on the next line).
 */
export function completeStatements(text: string, rules: LexicalRules): boolean {
  // Lexing a long statement at each of its lines is skipped until a line ends with `;`.
  if (!text.trimEnd().endsWith(';')) return false;
  try {
    return endsWithTerminator(text, rules);
  } catch (error) {
    if (error instanceof SqlSyntaxError) return false;
    throw error;
  }
}

/** Splits `schema.name` at its last dot outside double quotes or backticks, removing the quotes of a quoted part. */
export function splitTableName(text: string, fold: (value: string, quoted: boolean) => string): TableRef {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  let quoted = false;
  const push = (): void => {
    parts.push(fold(current, quoted));
    current = '';
    quoted = false;
  };
  for (const c of text.trim()) {
    if (quote !== null) {
      if (c === quote) quote = null;
      else current += c;
    } else if (c === '"' || c === '`') {
      quote = c;
      quoted = true;
    } else if (c === '.') push();
    else current += c;
  }
  push();
  const name = parts.pop()!;
  return parts.length > 0 ? { schema: parts.join('.'), name } : { name };
}

export class LocalClient implements Client {
  readonly engine: Engine;

  constructor(engine: Engine) {
    this.engine = engine;
  }

  get description(): string {
    return this.engine.adapter.sql.name;
  }

  isComplete(text: string): boolean {
    return completeStatements(text, this.engine.adapter.sql.lexical);
  }

  run(script: string, options: OutputOptions): Promise<boolean> {
    return runScript(this.engine, script, options);
  }

  // \dt and \d read the database's catalog through adapter.introspect, the reader the
  // wire protocol answers psql and JDBC from, so both faces list the same tables.
  async tables(): Promise<ResultTable> {
    const tables = await this.engine.adapter.introspect.tables();
    return textTable(
      ['table_schema', 'table_name', 'table_type'],
      tables.map((t) => [t.schema, t.name, t.kind === 'view' ? 'VIEW' : 'BASE TABLE']),
    );
  }

  async columns(table?: TableRef): Promise<ResultTable> {
    const { introspect } = this.engine.adapter;
    const tables =
      table === undefined
        ? (await introspect.allColumns()).sort((a, b) => compare(a.schema, b.schema) || compare(a.name, b.name))
        : [{ name: table.name, columns: await introspect.columns(table) }];
    return textTable(
      ['table_name', 'column_name', 'data_type', 'is_nullable'],
      tables.flatMap((t) => t.columns.map((c) => [t.name, c.name, c.type, c.nullable ? 'YES' : 'NO'])),
    );
  }

  models(): Promise<ResultTable> {
    return this.engine.execute(this.engine.parse(this.engine.split('SHOW MODELS')[0]!));
  }

  tableRef(text: string): TableRef {
    return splitTableName(text, (value, quoted) => this.engine.adapter.sql.foldIdentifier(value, quoted));
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}

/** A result of text columns, as the catalog questions answer. */
function textTable(names: readonly string[], rows: readonly (readonly string[])[]): ResultTable {
  return { command: 'SELECT', columns: names.map((name) => ({ name, type: 'text' as const })), rows };
}

/** Byte order, as the catalog lists names. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
