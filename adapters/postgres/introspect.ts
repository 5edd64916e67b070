/**
 * PostgreSQL's spellings for adapters/introspect.ts: its own type names (udt_name) are
 * the PostgreSQL types already; system schemas are pg_* and information_schema.
 */
import { postgresType, type IntrospectionSpelling, type PostgresType, type PostgresTypeName, type TypeSize } from '../introspect.js';

const KNOWN = new Set(['bool', 'bytea', 'int8', 'int2', 'int4', 'text', 'json', 'float4', 'float8', 'bpchar', 'varchar', 'date', 'time', 'timestamp', 'timestamptz', 'interval', 'numeric', 'uuid']);

export const postgresIntrospection: IntrospectionSpelling = {
  nativePgCatalog: true,
  currentDatabase: 'current_database()',
  currentSchema: 'current_schema()',
  userSchemas: `{schema} NOT IN ('information_schema', 'pg_catalog') AND {schema} NOT LIKE 'pg\\_%'`,
  schemaList: `SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('information_schema', 'pg_catalog') AND schema_name NOT LIKE 'pg\\_%'`,
  columnType: 'c.udt_name',
  postgresType: (type: string, size: TypeSize): PostgresType => (KNOWN.has(type) ? postgresType(type as PostgresTypeName, size) : postgresType('text')),
};
