/**
 * Running a client program (psql, java, python) to its end without blocking the event
 * loop: the wire-protocol tests start the server under test in their own process, so a
 * synchronous spawn would leave it unable to answer the client it waits for.
 */
import { spawn } from 'node:child_process';

export interface ProgramRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command args` with `env` added to this process's; killed (SIGKILL) after `timeoutMs`. */
export function runProgram(command: string, args: readonly string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<ProgramRun> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, stdout, stderr });
    });
  });
}
