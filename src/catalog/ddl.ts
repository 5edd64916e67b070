/**
 * The catalog DDL of each dialect, read from `sql/catalog/<dialect>.sql` and cut into
 * statements for `Adapter.ensureCatalog`. The SQL files are the reference for
 * `schema.ts`; this module only finds and splits them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DialectName } from '../../adapters/adapter.js';
import { SqlmlError } from '../errors.js';

/**
 * Where `sql/catalog` can be relative to this module: `src/catalog/` when run from source
 * (tsx, vitest), `dist/src/catalog/` after `tsc`; the `sql/` folder stays at the root.
 */
const CATALOG_DIRECTORIES = ['../../sql/catalog/', '../../../sql/catalog/'].map((relative) => new URL(relative, import.meta.url));

const cache = new Map<DialectName, readonly string[]>();

/** The catalog DDL statements of `dialect`, in file order, without comments or semicolons. */
export function catalogDdl(dialect: DialectName): string[] {
  let statements = cache.get(dialect);
  if (!statements) {
    statements = splitDdl(readFileSync(catalogFile(dialect), 'utf8'));
    cache.set(dialect, statements);
  }
  return [...statements];
}

/**
 * Cuts a DDL script into statements. Line comments go first so that a semicolon in a
 * comment cannot split a statement; the catalog files keep semicolons out of literals.
 */
export function splitDdl(script: string): string[] {
  return script
    .replace(/--[^\n]*/g, '')
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

function catalogFile(dialect: DialectName): string {
  for (const directory of CATALOG_DIRECTORIES) {
    const file = fileURLToPath(new URL(`${dialect}.sql`, directory));
    if (existsSync(file)) return file;
  }
  const tried = CATALOG_DIRECTORIES.map((directory) => fileURLToPath(directory)).join(' or ');
  throw new SqlmlError('internal', `the catalog DDL for ${dialect} (${dialect}.sql) was not found in ${tried}`);
}
