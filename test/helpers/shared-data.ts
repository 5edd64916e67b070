/**
 * The real data sets live in ../shared/data beside the repository (never copied in);
 * SQLML_SHARED_DATA names another folder. Under CI=true a missing file fails the test
 * file; on a developer's machine the tests that need it are skipped, with a message
 * saying what is missing. Test files look a data set up once, at the top, and pass
 * `=== null` to `describe.skipIf` / `it.skipIf`, so vitest counts them as skipped.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const override = process.env.SQLML_SHARED_DATA?.trim();
export const sharedDataDir = override ? resolve(override) : resolve(repoRoot, '..', 'shared', 'data');

/** Absolute path of a shared data file; null (after a warning) when it is missing outside CI. */
export function sharedDataFile(name: string): string | null {
  const path = resolve(sharedDataDir, name);
  if (existsSync(path)) return path;
  if (process.env.CI === 'true') {
    throw new Error(`${path} is missing: under CI=true the tests on the shared data sets must run`);
  }
  console.warn(`skipping the tests on ${name}: ${path} is missing`);
  return null;
}

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
