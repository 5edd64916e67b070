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
  catalogQueries: {
    // PRIMARY KEY and UNIQUE constraints are indexes DuckDB lists among its constraints; CREATE
    // INDEX's are in duckdb_indexes(), their key only in the statement that made them.
    indexes:
      `SELECT constraint_name, constraint_type = 'PRIMARY KEY', true, true, unnest(constraint_column_names), false FROM duckdb_constraints() ` +
      `WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE') AND database_name = current_database() AND schema_name = {schema} AND table_name = {table} ` +
      `UNION ALL SELECT index_name, is_primary, is_unique, false, regexp_extract(sql, '\\((.*)\\);?\\s*$', 1), true FROM duckdb_indexes() ` +
      `WHERE database_name = current_database() AND schema_name = {schema} AND table_name = {table}`,
    // A foreign key references a table of its own schema.
    foreignKeys:
      `SELECT constraint_name, schema_name, table_name, unnest(constraint_column_names), schema_name, referenced_table, unnest(referenced_column_names), ` +
      `'NO ACTION', 'NO ACTION' FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY' AND database_name = current_database() ` +
      `AND schema_name = {schema} AND (table_name = {table} OR referenced_table = {table})`,
    // Macros (EXPORT MODEL makes these) have untyped parameters and no declared result.
    functions:
      `SELECT schema_name, function_name, return_type, unnest(CASE WHEN len(parameters) = 0 THEN [NULL] ELSE parameters END), ` +
      `unnest(CASE WHEN len(parameters) = 0 THEN [NULL] ELSE parameter_types END) FROM duckdb_functions() ` +
      `WHERE NOT internal AND database_name = current_database() AND schema_name NOT IN ${SYSTEM_SCHEMAS}`,
  },
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
