import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
const entry = resolve(here, 'cli-entry.ts');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sqlml ...args` as a real process (stdin closed or given), from the repo root. */
export function sqlml(args: readonly string[], options: { stdin?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    // The caller's SQLML_DB must not leak into the tests' databases.
    const { SQLML_DB: _ignored, ...env } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
