/**
 * The real data sets live in ../shared/data beside the repository (never copied in).
 * Under CI=true a missing file fails the test; on a developer's machine the test is
 * skipped with a message saying what is missing.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDataDir = resolve(repoRoot, '..', 'shared', 'data');

/** Absolute path of a shared data file, or null (after a warning) when it is missing outside CI. */
export function sharedDataFile(name: string): string | null {
  const path = resolve(sharedDataDir, name);
  if (existsSync(path)) return path;
  if (process.env.CI === 'true') {
    throw new Error(`${path} is missing: CI must run with ../shared/data beside the repository`);
  }
  console.warn(`skipping: ${path} is missing (tests read the shared data sets from ../shared/data)`);
  return null;
}

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
