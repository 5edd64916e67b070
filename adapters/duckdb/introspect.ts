/**
 * DuckDB's spellings for adapters/introspect.ts: its schemas are those of the current
 * database (an attached file's tables stay its own), and its type names read as
 * PostgreSQL's (VARCHAR has no length; HUGEINT and unsigned BIGINT only fit numeric).
 */
import { postgresType, typeWithModifiers, type IntrospectionSpelling, type PostgresType } from '../introspect.js';

const SYSTEM_SCHEMAS = `('information_schema', 'pg_catalog')`;

export const duckdbIntrospection: IntrospectionSpelling = {
  nativePgCatalog: true,
  currentDatabase: 'current_database()',
  currentSchema: 'current_schema()',
  userSchemas: `{catalog} = current_database() AND {schema} NOT IN ${SYSTEM_SCHEMAS}`,
  schemaList: `SELECT schema_name FROM information_schema.schemata WHERE catalog_name = current_database() AND schema_name NOT IN ${SYSTEM_SCHEMAS}`,
  columnType: 'c.data_type',
  postgresType: duckdbPostgresType,
};

function duckdbPostgresType(type: string): PostgresType {
  const { base, args, rest } = typeWithModifiers(type);
  if (rest !== '' && !/^with time zone$/.test(rest)) return postgresType('text'); // LIST, STRUCT, MAP… have no PostgreSQL base type
  switch (base) {
    case 'boolean':
      return postgresType('bool');
    case 'tinyint':
    case 'smallint':
    case 'utinyint':
      return postgresType('int2');
    case 'integer':
    case 'usmallint':
      return postgresType('int4');
    case 'bigint':
    case 'uinteger':
      return postgresType('int8');
    case 'hugeint':
    case 'uhugeint':
    case 'ubigint':
      return postgresType('numeric');
    case 'decimal':
      return postgresType('numeric', { precision: args[0] ?? null, scale: args[1] ?? 0 });
    case 'float':
      return postgresType('float4');
    case 'double':
      return postgresType('float8');
    case 'varchar':
      return postgresType('varchar');
    case 'date':
      return postgresType('date');
    case 'time':
      return postgresType('time');
    case 'timestamp':
      return postgresType(rest === '' ? 'timestamp' : 'timestamptz');
    case 'timestamp with time zone':
      return postgresType('timestamptz');
    case 'interval':
      return postgresType('interval');
    case 'blob':
      return postgresType('bytea');
    case 'json':
      return postgresType('json');
    case 'uuid':
      return postgresType('uuid');
    default:
      return postgresType('text');
  }
}
