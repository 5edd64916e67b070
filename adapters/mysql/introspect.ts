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
