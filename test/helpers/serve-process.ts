/**
 * `sqlml serve` as a real child process, for the tests that drive it over HTTP or the wire
 * protocol: started on free loopback ports, its addresses read from its `--json` line.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { repoRoot } from './cli.js';

export interface ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** What `serve --json` printed: `http://host:port` and `host:port`, for the listeners asked for. */
  readonly addresses: { readonly http?: string; readonly pg?: string };
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once the process is gone. */
  readonly exited: Promise<number | null>;
  /** Resident set size in bytes, from /proc. */
  rss(): number;
}

/** Starts `sqlml --db DB serve … --no-scheduler --json` with `args` (e.g. `--http 127.0.0.1:0`) and waits for its addresses. */
export async function startServe(db: string, args: readonly string[]): Promise<ServeProcess> {
  const { SQLML_DB: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(repoRoot, 'test/helpers/cli-entry.ts'), '--db', db, 'serve', ...args, '--no-scheduler', '--json'], {
    cwd: repoRoot,
    env,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const line = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) done(out.slice(0, out.indexOf('\n')));
    });
    void exited.then((code) => fail(new Error(`sqlml serve exited with ${code} before listening:\n${stderr}`)));
    setTimeout(() => fail(new Error(`sqlml serve did not print its addresses within 30 s:\n${stderr}`)), 30_000).unref();
  });
  return {
    child,
    addresses: JSON.parse(line) as { http?: string; pg?: string },
    stderr: () => stderr,
    exited,
    rss() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
    },
  };
}
