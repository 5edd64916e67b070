/**
 * MySQL's and MariaDB's spellings for adapters/introspect.ts: a MySQL "database" is what
 * information_schema calls a schema, and the one connected to is the only schema shown
 * (unqualified names resolve there; the server's other databases are other logins'
 * business). COLUMN_TYPE keeps lengths and UNSIGNED, read as PostgreSQL types.
 */
import { postgresType, typeWithModifiers, type IntrospectionSpelling, type PostgresType } from '../introspect.js';

export const mysqlIntrospection: IntrospectionSpelling = {
  nativePgCatalog: false,
  currentDatabase: 'DATABASE()',
  currentSchema: 'DATABASE()',
  userSchemas: '{schema} = DATABASE()',
  schemaList: 'SELECT DATABASE()',
  columnType: 'c.column_type',
  postgresType: mysqlPostgresType,
  // MariaDB shows "no default" on a nullable column as the text NULL.
  defaultText: (text) => (text === 'NULL' ? null : text),
  catalogQueries: {
    // A PRIMARY KEY's index is named PRIMARY; a UNIQUE constraint's index has the constraint's name.
    indexes:
      `SELECT s.index_name, s.index_name = 'PRIMARY', s.non_unique = 0, tc.constraint_name IS NOT NULL, s.column_name, 0 ` +
      `FROM information_schema.statistics s LEFT JOIN information_schema.table_constraints tc ON tc.table_schema = s.table_schema ` +
      `AND tc.table_name = s.table_name AND tc.constraint_name = s.index_name AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE') ` +
      `WHERE s.table_schema = {schema} AND s.table_name = {table} ORDER BY s.index_name, s.seq_in_index`,
    foreignKeys:
      `SELECT k.constraint_name, k.table_schema, k.table_name, k.column_name, k.referenced_table_schema, k.referenced_table_name, ` +
      `k.referenced_column_name, r.delete_rule, r.update_rule FROM information_schema.key_column_usage k ` +
      `JOIN information_schema.referential_constraints r ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name ` +
      `AND r.table_name = k.table_name WHERE k.referenced_table_name IS NOT NULL ` +
      `AND ((k.table_schema = {schema} AND k.table_name = {table}) OR (k.referenced_table_schema = {schema} AND k.referenced_table_name = {table})) ` +
      `ORDER BY k.table_schema, k.table_name, k.constraint_name, k.ordinal_position`,
    functions:
      `SELECT r.routine_schema, r.routine_name, r.dtd_identifier, p.parameter_name, p.dtd_identifier FROM information_schema.routines r ` +
      `LEFT JOIN information_schema.parameters p ON p.specific_schema = r.routine_schema AND p.specific_name = r.specific_name AND p.ordinal_position > 0 ` +
      `WHERE r.routine_type = 'FUNCTION' AND r.routine_schema = DATABASE() ORDER BY r.routine_name, p.ordinal_position`,
  },
};

function mysqlPostgresType(type: string): PostgresType {
  const { base: words, args } = typeWithModifiers(type);
  const base = words.split(/\s+/)[0];
  const unsigned = /\bunsigned\b/i.test(type);
  switch (base) {
    case 'tinyint':
    case 'year':
      return postgresType('int2');
    case 'smallint':
      return postgresType(unsigned ? 'int4' : 'int2');
    case 'mediumint':
      return postgresType('int4');
    case 'int':
    case 'integer':
      return postgresType(unsigned ? 'int8' : 'int4');
    case 'bigint':
      return unsigned ? postgresType('numeric', { precision: 20, scale: 0 }) : postgresType('int8');
    case 'decimal':
    case 'numeric':
      return postgresType('numeric', { precision: args[0] ?? 10, scale: args[1] ?? 0 });
    case 'float':
      return postgresType('float4');
    case 'double':
    case 'real':
      return postgresType('float8');
    case 'varchar':
      return postgresType('varchar', { length: args[0] ?? null });
    case 'char':
      return postgresType('bpchar', { length: args[0] ?? null });
    case 'date':
      return postgresType('date');
    case 'time':
      return postgresType('time');
    case 'datetime':
    case 'timestamp':
      return postgresType('timestamp');
    case 'json':
      return postgresType('json');
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return postgresType('bytea');
    case 'uuid':
      return postgresType('uuid');
    default:
      return postgresType('text'); // text types, ENUM, SET, BIT, spatial types
  }
}
