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
 * The prompt sends what it has read once a statement ends, so it must see statements end
 * where the server's database does: a `;` inside a MySQL `# comment` or after `\'` ends
 * nothing there, and cutting at it would run `DELETE FROM t # old rows;` without the WHERE
 * on the next line. The client asks the server for its lexical rules (`GET /v1/syntax`)
 * before the first statement and splits by them.
 *
 * No user name is ever written into SQL: the rules say how the server's session lexes, not
 * how a string must be quoted for it (MySQL's modes can change within the session). The
 * catalog questions read information_schema whole and pick the asked-for table out here.
 */
import type { TableRef } from '../../adapters/adapter.js';
import type { ColumnType, ResultColumn, ResultTable, Value } from '../data.js';
import { SqlmlError, errorMessage } from '../errors.js';
import { STANDARD_LEXICAL_RULES, type LexicalRules } from '../sql/index.js';
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

/** The message of an error answer, if it is one. */
function errorOf(body: unknown): string | undefined {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

const USER_SCHEMAS = "table_schema NOT IN ('information_schema', 'pg_catalog', 'mysql', 'performance_schema', 'sys')";

/** The server's answer to `GET /v1/syntax`. */
export interface ServerSyntax {
  /** Absent when the server predates /v1/syntax (it split by the standard rules then). */
  readonly dialect?: string;
  readonly lexical: LexicalRules;
}

/** `/v1/syntax`'s JSON checked member by member against the rules this client knows (members it does not know are left out). */
export function syntaxFromJson(json: unknown, origin: string): ServerSyntax {
  const body = (json ?? {}) as { dialect?: unknown; lexical?: Record<string, unknown> };
  const lexical = body.lexical;
  const bad = (what: string): SqlmlError => new SqlmlError('connection', `${origin} answered /v1/syntax without ${what}: is it sqlml serve?`);
  if (typeof body.dialect !== 'string') throw bad('a dialect');
  if (lexical === null || typeof lexical !== 'object') throw bad('its lexical rules');
  const rules: Record<string, unknown> = {};
  for (const [key, standard] of Object.entries(STANDARD_LEXICAL_RULES)) {
    const value = lexical[key];
    if (typeof value !== typeof standard) throw bad(`a ${typeof standard} lexical.${key}`);
    rules[key] = value;
  }
  if (rules.identifierQuote !== '"' && rules.identifierQuote !== '`') throw bad('" or ` as lexical.identifierQuote');
  return { dialect: body.dialect, lexical: Object.freeze(rules) as unknown as LexicalRules };
}

export class RemoteClient implements Client {
  readonly #url: URL;
  readonly #token: string | undefined;
  readonly syntax: ServerSyntax;

  /** Use `connect`, which asks the server for `syntax`. */
  constructor(url: URL, token: string | undefined, syntax: ServerSyntax) {
    this.#url = url;
    this.#token = token || undefined;
    this.syntax = syntax;
  }

  /** A client of the serve at `url`, once it has said how it splits statements. */
  static async connect(url: URL, token: string | undefined): Promise<RemoteClient> {
    const client = new RemoteClient(url, token, { lexical: STANDARD_LEXICAL_RULES });
    const { status, body } = await client.#request('GET', '/v1/syntax');
    // A serve older than /v1/syntax split every database's scripts by the standard rules.
    if (status === 404) return client;
    if (status !== 200) throw new SqlmlError('connection', `${url.origin} answered /v1/syntax with ${status}: ${errorOf(body) ?? 'no error message'}`);
    return new RemoteClient(url, token, syntaxFromJson(body, url.origin));
  }

  get description(): string {
    return `sqlml serve at ${this.#url.origin}${this.syntax.dialect ? ` (${this.syntax.dialect})` : ''}`;
  }

  isComplete(text: string): boolean {
    return completeStatements(text, this.syntax.lexical);
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
    return (await this.#request('POST', '/v1/query', JSON.stringify({ sql }), signal)).body as QueryAnswer;
  }

  /** One request; its status and JSON body. Throws on no answer, a refused token or an answer that is not JSON. */
  async #request(method: 'GET' | 'POST', path: string, body?: string, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
    const target = new URL(path, this.#url);
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
        },
        ...(body !== undefined ? { body } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw new SqlmlError('cancelled', 'canceling statement due to user request');
      const cause = error instanceof Error && error.cause !== undefined ? errorMessage(error.cause) : errorMessage(error);
      throw new SqlmlError('connection', `cannot reach sqlml serve at ${this.#url.origin}: ${cause}`);
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new SqlmlError('connection', `${this.#url.origin} refused the token (${response.status}): set SQLML_TOKEN to the token sqlml serve was started with`);
    }
    try {
      return { status: response.status, body: JSON.parse(text) as unknown };
    } catch {
      throw new SqlmlError('connection', `${this.#url.origin} answered ${response.status} with something other than sqlml's JSON: ${text.slice(0, 200)}`);
    }
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
