/**
 * `sqlml --server http://host:port`: the statements go to a running `sqlml serve` through
 * its `POST /v1/query` (the token from SQLML_TOKEN as a bearer token) and its answers print
 * as local results do. This is the way to work beside a serve that holds a DuckDB file
 * (DuckDB lets one process open a file for writing).
 *
 * The HTTP answer carries each column's sqlml type and which columns are sqlml's own
 * metrics, so a result prints (and `--json` reads) as a local run's; values are JSON's
 * (doubles round-trip, wide integers and decimals come as their exact text).
 *
 * The server's database is not known here, nor its session's string syntax (MySQL reads
 * a backslash in a string literal as an escape unless NO_BACKSLASH_ESCAPES): no user name
 * is ever written into SQL. The catalog questions read information_schema whole and pick
 * the asked-for table out here.
 */
import type { TableRef } from '../../adapters/adapter.js';
import type { ColumnType, ResultColumn, ResultTable, Value } from '../data.js';
import { SqlmlError, errorMessage } from '../errors.js';
import { STANDARD_LEXICAL_RULES, splitScript } from '../sql/index.js';
import { completeStatements, splitTableName, type Client } from './client.js';
import { printResult, timingLine, type OutputOptions } from './run-script.js';

interface JsonResult {
  readonly command: string;
  readonly columns: readonly string[];
  /** Absent from a server older than this client: the columns are then `other`. */
  readonly types?: readonly ColumnType[];
  readonly metrics?: readonly boolean[];
  readonly rows: readonly Record<string, Value>[];
  readonly rowsAffected?: number;
  readonly notices?: readonly string[];
}

interface QueryAnswer {
  readonly results?: readonly JsonResult[];
  /** A failing statement: its error, with the results of the statements before it. */
  readonly error?: { readonly code: string; readonly message: string; readonly results?: readonly JsonResult[] };
}

/** A result line of the HTTP API as a ResultTable: its keys are the (unique) column names, in order. */
export function resultFromJson(json: JsonResult): ResultTable {
  const columns: ResultColumn[] = json.columns.map((name, i) => ({
    name,
    type: json.types?.[i] ?? 'other',
    ...(json.metrics?.[i] === true ? { metric: true } : {}),
  }));
  const rows = json.rows.map((row) => json.columns.map((name) => row[name] ?? null));
  return {
    command: json.command,
    columns,
    rows,
    ...(json.rowsAffected !== undefined ? { rowsAffected: json.rowsAffected } : {}),
    ...(json.notices !== undefined ? { notices: json.notices } : {}),
  };
}

/** The server's base URL, checked: http or https, no path beyond `/`. */
export function serverUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SqlmlError('bad_url', `--server '${text}' is not a URL such as http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SqlmlError('bad_url', `--server '${text}' must be an http:// or https:// URL (the address of sqlml serve --http)`);
  }
  return url;
}

const USER_SCHEMAS = "table_schema NOT IN ('information_schema', 'pg_catalog', 'mysql', 'performance_schema', 'sys')";

export class RemoteClient implements Client {
  readonly #url: URL;
  readonly #token: string | undefined;

  constructor(url: URL, token: string | undefined) {
    this.#url = url;
    this.#token = token || undefined;
  }

  get description(): string {
    return `sqlml serve at ${this.#url.origin}`;
  }

  isComplete(text: string): boolean {
    return completeStatements(text, (t) => splitScript(t, STANDARD_LEXICAL_RULES));
  }

  /** POSTs the script; prints the results that came back, then the error if one statement failed. */
  async run(script: string, options: OutputOptions): Promise<boolean> {
    const out = options.out ?? process.stdout;
    const err = options.err ?? process.stderr;
    const started = performance.now();
    let answer: QueryAnswer;
    try {
      answer = await this.#post(script, options.signal);
    } catch (error) {
      err.write(`error: ${errorMessage(error)}\n`);
      return false;
    }
    for (const json of answer.results ?? answer.error?.results ?? []) {
      const result = resultFromJson(json);
      // As a local run does: notices on stderr, before the result.
      for (const notice of result.notices ?? []) err.write(`notice: ${notice}\n`);
      printResult(result, options, out);
    }
    if (options.timing) out.write(timingLine(performance.now() - started));
    if (answer.error) {
      err.write(`error: ${answer.error.message}\n`);
      return false;
    }
    return true;
  }

  async #post(sql: string, signal?: AbortSignal): Promise<QueryAnswer> {
    const target = new URL('/v1/query', this.#url);
    let response: Response;
    try {
      response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}) },
        body: JSON.stringify({ sql }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw new SqlmlError('cancelled', 'canceling statement due to user request');
      const cause = error instanceof Error && error.cause !== undefined ? errorMessage(error.cause) : errorMessage(error);
      throw new SqlmlError('connection', `cannot reach sqlml serve at ${this.#url.origin}: ${cause}`);
    }
    const text = await response.text();
    let body: QueryAnswer;
    try {
      body = JSON.parse(text) as QueryAnswer;
    } catch {
      throw new SqlmlError('connection', `${this.#url.origin} answered ${response.status} with something other than sqlml's JSON: ${text.slice(0, 200)}`);
    }
    if (response.status === 401 || response.status === 403) {
      throw new SqlmlError('connection', `${this.#url.origin} refused the token (${response.status}): set SQLML_TOKEN to the token sqlml serve was started with`);
    }
    return body;
  }

  async #query(sql: string): Promise<ResultTable> {
    const answer = await this.#post(sql);
    if (answer.error) throw new SqlmlError('database', answer.error.message);
    return resultFromJson(answer.results![0]!);
  }

  // information_schema, which all three databases have, with the system schemas left out.
  tables(): Promise<ResultTable> {
    return this.#query(`SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE ${USER_SCHEMAS} ORDER BY table_schema, table_name`);
  }

  async columns(table?: TableRef): Promise<ResultTable> {
    const all = await this.#query(
      `SELECT table_schema, table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE ${USER_SCHEMAS} ORDER BY table_schema, table_name, ordinal_position`,
    );
    // The table is picked here, not in a WHERE: see the module comment.
    const rows = table === undefined ? all.rows : all.rows.filter((row) => row[1] === table.name && (table.schema === undefined || row[0] === table.schema));
    return { ...all, columns: all.columns.slice(1), rows: rows.map((row) => row.slice(1)) };
  }

  models(): Promise<ResultTable> {
    return this.#query('SHOW MODELS');
  }

  tableRef(text: string): TableRef {
    return splitTableName(text, (value) => value);
  }

  async close(): Promise<void> {}
}
