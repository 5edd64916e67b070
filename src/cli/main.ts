/**
 * The `sqlml` command line (docs/cli.md): run statements from -e, -f or stdin,
 * an interactive prompt, and the demo. Exit 0 when every statement succeeded, 1 at the
 * first failing one, 2 for a bad command line.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { SERVER_RESULT_LIMIT, parseByteSize, type ResultLimit } from '../../adapters/result-budget.js';
import { Engine } from '../engine/engine.js';
import { errorMessage } from '../errors.js';
import { packageFile } from '../paths.js';
import { checkExposure, parseListenAddress, startServer } from '../server/serve.js';
import { LocalClient, type Client } from './client.js';
import { RemoteClient, serverUrl } from './remote.js';
import { repl } from './repl.js';
import { runScript } from './run-script.js';
import { hasMetaCommands, runLines } from './session.js';

const EXIT_OK = 0;
const EXIT_STATEMENT_FAILED = 1;
const EXIT_USAGE = 2;

interface MainOptions {
  db?: string;
  execute?: string;
  file?: string;
  json?: boolean;
  csv?: boolean;
  server?: string;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
}

function readScript(file: string): string {
  if (file === '-') return readFileSync(0, 'utf8');
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CommanderError(EXIT_USAGE, 'sqlml.file', `error: cannot read ${file}: ${errorMessage(error)}`);
  }
}

async function withEngine(url: string | undefined, work: (engine: Engine) => Promise<number>): Promise<number> {
  let engine: Engine;
  try {
    // An empty --db or SQLML_DB means "not given": the embedded default.
    engine = await Engine.open(url || undefined);
  } catch (error) {
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    return EXIT_STATEMENT_FAILED;
  }
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}

interface ServeCommandOptions {
  http?: string;
  pg?: string;
  token?: string;
  authTimeout?: string;
  maxResultRows?: string;
  maxResultSize?: string;
  scheduler: boolean;
  json?: boolean;
}

/** Runs `sqlml serve` until SIGINT or SIGTERM, then shuts down gracefully. */
async function serveUntilSignalled(db: string | undefined, options: ServeCommandOptions): Promise<number> {
  let http;
  let pg;
  let resultLimit: ResultLimit;
  try {
    resultLimit = {
      rows: options.maxResultRows === undefined ? SERVER_RESULT_LIMIT.rows : Number(options.maxResultRows),
      bytes: options.maxResultSize === undefined ? SERVER_RESULT_LIMIT.bytes : (parseByteSize(options.maxResultSize) ?? Number.NaN),
    };
    if (!(Number.isInteger(resultLimit.rows) && resultLimit.rows > 0)) {
      throw new Error(`--max-result-rows '${options.maxResultRows}' is not a positive whole number of rows`);
    }
    if (Number.isNaN(resultLimit.bytes)) throw new Error(`--max-result-size '${options.maxResultSize}' is not a size such as 256MB or 1GB`);
    http = options.http !== undefined ? parseListenAddress(options.http, '--http') : undefined;
    pg = options.pg !== undefined ? parseListenAddress(options.pg, '--pg') : undefined;
    if (options.authTimeout !== undefined && !(Number(options.authTimeout) > 0 && Number(options.authTimeout) <= 600)) {
      throw new Error(`--auth-timeout '${options.authTimeout}' is not a number of seconds between 0 and 600`);
    }
    checkExposure(http, pg, options.token);
  } catch (error) {
    throw new CommanderError(EXIT_USAGE, 'sqlml.serve', `error: ${errorMessage(error)}`);
  }
  if (!http && !pg) http = parseListenAddress('127.0.0.1:8080', '--http');
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  let server;
  try {
    server = await startServer({
      ...(db ? { db } : {}),
      ...(http ? { http } : {}),
      ...(pg ? { pg } : {}),
      ...(options.token ? { token: options.token } : {}),
      ...(options.authTimeout !== undefined ? { authenticationTimeoutMs: Number(options.authTimeout) * 1000 } : {}),
      scheduler: options.scheduler,
      resultLimit,
      log,
    });
  } catch (error) {
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    return EXIT_STATEMENT_FAILED;
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ http: server.httpUrl, pg: server.pgPort === null ? null : `${server.pgHost}:${server.pgPort}` })}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log(`sqlml: ${signal}: finishing running work, then stopping`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve();
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  await server.close();
  log('sqlml: stopped');
  return EXIT_OK;
}

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command()
    .name('sqlml')
    .description('Machine learning in SQL, where the data already is.')
    .addOption(new Option('--db <url>', 'database URL: duckdb:file.duckdb, duckdb::memory:, postgres://..., mysql://...').env('SQLML_DB'))
    .option('-e, --execute <statements>', 'run these statements and exit')
    .option('-f, --file <path>', "run the statements in a file ('-' reads standard input) and exit")
    .option('--json', 'print each result as one JSON object per line')
    .option('--csv', 'print each result as CSV with a header line')
    .addOption(
      new Option('--server <url>', 'send the statements to a running `sqlml serve --http` at this URL (token from SQLML_TOKEN)'),
    )
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .action(async (options: MainOptions) => {
      if (options.execute !== undefined && options.file !== undefined) {
        throw new CommanderError(EXIT_USAGE, 'sqlml.conflict', 'error: give either -e or -f, not both');
      }
      if (options.json && options.csv) throw new CommanderError(EXIT_USAGE, 'sqlml.conflict', 'error: give either --json or --csv, not both');
      const script =
        options.execute ?? (options.file !== undefined ? readScript(options.file) : process.stdin.isTTY ? undefined : readScript('-'));
      const output = { json: Boolean(options.json), csv: Boolean(options.csv) };
      const work = async (client: Client): Promise<number> => {
        if (script === undefined) {
          await repl(client, output);
          return EXIT_OK;
        }
        // A script with backslash commands (\i, \x, ...) is read line by line as the REPL reads it.
        const ok = hasMetaCommands(script) ? await runLines(client, script, { ...output, out: process.stdout }) : await client.run(script, output);
        return ok ? EXIT_OK : EXIT_STATEMENT_FAILED;
      };
      if (options.server !== undefined) {
        let url: URL;
        try {
          url = serverUrl(options.server);
        } catch (error) {
          throw new CommanderError(EXIT_USAGE, 'sqlml.server', `error: ${errorMessage(error)}`);
        }
        let client: RemoteClient;
        try {
          client = await RemoteClient.connect(url, process.env.SQLML_TOKEN);
        } catch (error) {
          // As a statement that cannot reach the server fails: an error line and exit status 1.
          process.stderr.write(`error: ${errorMessage(error)}\n`);
          exitCode = EXIT_STATEMENT_FAILED;
          return;
        }
        exitCode = await work(client);
        return;
      }
      exitCode = await withEngine(options.db, (engine) => work(new LocalClient(engine)));
    });

  program
    .command('demo')
    .description('a self-contained tour on embedded DuckDB: make data, train, evaluate, predict into a table')
    .option('--json', 'print each result as one JSON object per line')
    .action(async (options: { json?: boolean }) => {
      const url = program.opts<MainOptions>().db || 'duckdb::memory:';
      const script = readFileSync(packageFile('sql', 'examples', 'demo.sql'), 'utf8');
      exitCode = await withEngine(url, async (engine) => {
        const ok = await runScript(engine, script, { json: Boolean(options.json), echo: true });
        if (ok && !options.json) {
          process.stdout.write(
            'That was sql/examples/demo.sql. Try your own: npx sqlml -e "CREATE MODEL m FROM (SELECT ...) PREDICT col;"\n',
          );
        }
        return ok ? EXIT_OK : EXIT_STATEMENT_FAILED;
      });
    });

  program
    .command('serve')
    .description('the HTTP API and evaluation pages, the PostgreSQL wire protocol, and scheduled jobs')
    .option('--http <host:port>', 'serve the JSON API and evaluation pages here (default 127.0.0.1:8080 when neither --http nor --pg is given)')
    .option('--pg <host:port>', 'speak the PostgreSQL wire protocol here (e.g. 127.0.0.1:5433)')
    .addOption(new Option('--token <token>', 'require this bearer token (HTTP) / password (wire protocol)').env('SQLML_TOKEN'))
    .addOption(
      new Option('--auth-timeout <seconds>', 'wire protocol: a client that has not logged in within this time is disconnected (default 60, as PostgreSQL)').env('SQLML_AUTH_TIMEOUT'),
    )
    .addOption(
      new Option('--max-result-rows <rows>', 'most rows one statement may answer; a larger result is an error asking for a LIMIT or a table (default 1000000)').env('SQLML_MAX_RESULT_ROWS'),
    )
    .addOption(
      new Option('--max-result-size <size>', 'most memory one statement\'s answer may take, e.g. 64MB (default 256MB)').env('SQLML_MAX_RESULT_SIZE'),
    )
    .option('--no-scheduler', 'do not run scheduled jobs in this process')
    .option('--json', 'print the listening addresses as one JSON line on stdout')
    .action(async (options: ServeCommandOptions) => {
      // --json is also the top-level option, which commander gives to the program wherever it appears.
      const json = Boolean(options.json) || Boolean(program.opts<MainOptions>().json);
      exitCode = await serveUntilSignalled(program.opts<MainOptions>().db, { ...options, json });
    });

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
      if (error.code.startsWith('sqlml.')) process.stderr.write(`${error.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    return EXIT_STATEMENT_FAILED;
  }
  return exitCode;
}
