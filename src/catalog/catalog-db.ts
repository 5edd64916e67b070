/**
 * sqlml's catalog tables through Kysely, typed by `CatalogDatabase`. The adapter hands
 * out only a Kysely dialect on its own connection (an adapter knows nothing of the
 * catalog's tables); the typed query builder is made here, above it.
 */
import { Kysely } from 'kysely';
import type { Adapter } from '../../adapters/adapter.js';
import type { CatalogDatabase } from './schema.js';

export type CatalogDb = Kysely<CatalogDatabase>;

/**
 * A query builder for the catalog on `adapter`'s connection. It holds nothing of its own:
 * closing the adapter releases everything it used, so it is never destroyed itself.
 */
export function openCatalogDb(adapter: Adapter): CatalogDb {
  return new Kysely<CatalogDatabase>({ dialect: adapter.kyselyDialect() });
}
