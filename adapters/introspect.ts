/**
 * What a database holds, as its own catalog says: schemas, tables, columns with their
 * types and NULL-ability, primary keys. Read through `information_schema` (which DuckDB,
 * PostgreSQL and MySQL/MariaDB all have); each database's folder gives the few spellings
 * that differ (where "the current schema" is, which schemas are the system's, how its
 * type names read as PostgreSQL types).
 *
 * Two faces use it: the wire protocol, which answers psql's and JDBC's pg_catalog
 * queries from it on databases without a pg_catalog of their own, and the command line's
 * `\dt` / `\d name`.
 */
import type { ResultTable, Value } from '../src/data.js';
import type { QueryOptions, TableRef } from './adapter.js';
import { SERVER_RESULT_LIMIT } from './result-budget.js';
import type { SqlDialect } from './dialect.js';

export interface IntrospectedTable {
  readonly schema: string;
  readonly name: string;
  readonly kind: 'table' | 'view';
}

/** A column's type as PostgreSQL names it: what a pg client (psql, JDBC) expects to read. */
export interface PostgresType {
  /** pg_type.oid of the base type. */
  readonly oid: number;
  /** pg_type.typname: int4, varchar, numeric… */
  readonly name: string;
  /** format_type(): integer, character varying(20), numeric(10,2)… */
  readonly display: string;
  /** pg_attribute.atttypmod: -1, or the length / precision and scale PostgreSQL encodes there. */
  readonly typmod: number;
  /** pg_type.typlen: bytes of a fixed-width type, -1 for variable length. */
  readonly length: number;
}

export interface IntrospectedColumn {
  readonly name: string;
  /** The type as the database itself spells it (INTEGER, varchar(20), DECIMAL(10,2)…). */
  readonly type: string;
  readonly postgresType: PostgresType;
  readonly nullable: boolean;
  /** The default expression as the database shows it; null when there is none. */
  readonly default: string | null;
}

export interface PrimaryKey {
  /** The constraint's name as the database's catalog has it. */
  readonly name: string;
  /** Its columns in key order. */
  readonly columns: readonly string[];
}

export interface Introspection {
  /**
   * True when the database has a PostgreSQL-like pg_catalog of its own (DuckDB's views,
   * PostgreSQL's): a pg_catalog query sqlml does not answer itself may be run there.
   */
  readonly nativePgCatalog: boolean;
  /** The database (catalog) and schema unqualified names resolve in. */
  location(): Promise<{ readonly database: string; readonly schema: string }>;
  /** The user's schemas (not the system's), by name. */
  schemas(): Promise<string[]>;
  /** Tables and views of the user's schemas, by schema then name (in byte order, as PostgreSQL's C collation). */
  tables(): Promise<IntrospectedTable[]>;
  /** A table's columns in table order; empty when there is no such table. */
  columns(table: TableRef): Promise<IntrospectedColumn[]>;
  /** Every table's and view's columns in one read (tables in no particular order, columns in table order). */
  allColumns(): Promise<{ readonly schema: string; readonly name: string; readonly columns: IntrospectedColumn[] }[]>;
  /** A table's primary key, if it has one. */
  primaryKey(table: TableRef): Promise<PrimaryKey | undefined>;
  /** A view's defining query as the database shows it; undefined for a table or a missing view. */
  viewDefinition(view: TableRef): Promise<string | undefined>;
}

/** What differs between databases in reading information_schema. */
export interface IntrospectionSpelling {
  readonly nativePgCatalog: boolean;
  /** SQL for the current database (catalog) and schema. */
  readonly currentDatabase: string;
  readonly currentSchema: string;
  /** A condition on `table_schema` (and `table_catalog`) keeping the user's schemas: `{schema}`/`{catalog}` are the columns. */
  readonly userSchemas: string;
  /** SQL listing the user's schemas as one column. */
  readonly schemaList: string;
  /** The column of information_schema.columns (alias `c`) holding the type as the database spells it. */
  readonly columnType: string;
  /** The database's type as a PostgreSQL type. */
  postgresType(type: string, size: TypeSize): PostgresType;
  /** The default as information_schema shows it, as the database would print it (MariaDB writes NULL as the text 'NULL'). */
  defaultText?(text: string): string | null;
}

/** The sizes information_schema reports beside a type. */
export interface TypeSize {
  readonly length: number | null;
  readonly precision: number | null;
  readonly scale: number | null;
}

type Query = (sql: string, options: QueryOptions) => Promise<ResultTable>;

/** A catalog read is bounded as a server's statement is: a database of millions of columns fails clearly, not out of memory. */
const CATALOG_LIMIT = SERVER_RESULT_LIMIT;

export function informationSchemaIntrospection(query: Query, sql: SqlDialect, spelling: IntrospectionSpelling): Introspection {
  const users = (schema: string, catalog: string): string => spelling.userSchemas.replaceAll('{schema}', schema).replaceAll('{catalog}', catalog);
  const schemaOf = (table: TableRef): string => (table.schema === undefined ? spelling.currentSchema : sql.quoteString(table.schema));
  const rows = async (text: string): Promise<(readonly Value[])[]> => [...(await query(text, { limit: CATALOG_LIMIT })).rows];
  const columnsSql =
    `SELECT c.column_name AS name, ${spelling.columnType} AS type, c.is_nullable AS nullable, c.column_default AS dflt, ` +
    `c.character_maximum_length AS len, c.numeric_precision AS prec, c.numeric_scale AS scale, c.table_schema AS sch, c.table_name AS tbl ` +
    `FROM information_schema.columns c WHERE ${users('c.table_schema', 'c.table_catalog')}`;
  const toColumn = (row: readonly Value[]): IntrospectedColumn => {
    const type = String(row[1]);
    const dflt = row[3] === null ? null : String(row[3]);
    return {
      name: String(row[0]),
      type,
      postgresType: spelling.postgresType(type, { length: numberOrNull(row[4]), precision: numberOrNull(row[5]), scale: numberOrNull(row[6]) }),
      nullable: String(row[2]).toUpperCase() === 'YES',
      default: dflt === null || !spelling.defaultText ? dflt : spelling.defaultText(dflt),
    };
  };
  return {
    nativePgCatalog: spelling.nativePgCatalog,
    async location() {
      const [row] = await rows(`SELECT ${spelling.currentDatabase} AS db, ${spelling.currentSchema} AS sch`);
      return { database: String(row?.[0] ?? ''), schema: String(row?.[1] ?? '') };
    },
    async schemas() {
      return (await rows(spelling.schemaList)).map((row) => String(row[0])).sort(compareText);
    },
    async tables() {
      const found = await rows(
        `SELECT t.table_schema AS sch, t.table_name AS name, t.table_type AS kind FROM information_schema.tables t ` +
          `WHERE ${users('t.table_schema', 't.table_catalog')}`,
      );
      return found
        .map((row): IntrospectedTable => ({ schema: String(row[0]), name: String(row[1]), kind: /VIEW/i.test(String(row[2])) ? 'view' : 'table' }))
        .sort((a, b) => compareText(a.schema, b.schema) || compareText(a.name, b.name));
    },
    async columns(table) {
      const found = await rows(`${columnsSql} AND c.table_schema = ${schemaOf(table)} AND c.table_name = ${sql.quoteString(table.name)} ORDER BY c.ordinal_position`);
      return found.map(toColumn);
    },
    async allColumns() {
      const found = await rows(`${columnsSql} ORDER BY c.table_schema, c.table_name, c.ordinal_position`);
      const byTable = new Map<string, { schema: string; name: string; columns: IntrospectedColumn[] }>();
      for (const row of found) {
        const schema = String(row[7]);
        const name = String(row[8]);
        const key = `${schema}\u0000${name}`;
        let entry = byTable.get(key);
        if (!entry) byTable.set(key, (entry = { schema, name, columns: [] }));
        entry.columns.push(toColumn(row));
      }
      return [...byTable.values()];
    },
    async primaryKey(table) {
      const found = await rows(
        `SELECT tc.constraint_name AS name, k.column_name AS col FROM information_schema.table_constraints tc ` +
          `JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name ` +
          `WHERE tc.constraint_type = 'PRIMARY KEY' AND ${users('tc.table_schema', 'tc.table_catalog')} ` +
          `AND tc.table_schema = ${schemaOf(table)} AND tc.table_name = ${sql.quoteString(table.name)} ORDER BY k.ordinal_position`,
      );
      if (found.length === 0) return undefined;
      return { name: String(found[0]![0]), columns: found.map((row) => String(row[1])) };
    },
    async viewDefinition(view) {
      const [row] = await rows(
        `SELECT v.view_definition AS definition FROM information_schema.views v WHERE ${users('v.table_schema', 'v.table_catalog')} ` +
          `AND v.table_schema = ${schemaOf(view)} AND v.table_name = ${sql.quoteString(view.name)}`,
      );
      return row === undefined || row[0] === null ? undefined : String(row[0]);
    },
  };
}

function numberOrNull(value: Value): number | null {
  if (value === null) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

/** Byte order, as PostgreSQL's C collation sorts names in psql's listings. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- PostgreSQL's types ------------------------------------------------------------------

/** The PostgreSQL base types a database's columns are shown as: typname → oid, format_type name, typlen. */
const POSTGRES_TYPES = {
  bool: [16, 'boolean', 1],
  bytea: [17, 'bytea', -1],
  int8: [20, 'bigint', 8],
  int2: [21, 'smallint', 2],
  int4: [23, 'integer', 4],
  text: [25, 'text', -1],
  json: [114, 'json', -1],
  float4: [700, 'real', 4],
  float8: [701, 'double precision', 8],
  bpchar: [1042, 'character', -1],
  varchar: [1043, 'character varying', -1],
  date: [1082, 'date', 4],
  time: [1083, 'time without time zone', 8],
  timestamp: [1114, 'timestamp without time zone', 8],
  timestamptz: [1184, 'timestamp with time zone', 8],
  interval: [1186, 'interval', 16],
  numeric: [1700, 'numeric', -1],
  uuid: [2950, 'uuid', 16],
} as const satisfies Record<string, readonly [number, string, number]>;

export type PostgresTypeName = keyof typeof POSTGRES_TYPES;

/** PostgreSQL's VARHDRSZ: atttypmod carries the declared size plus this. */
const VARHDRSZ = 4;

/**
 * A PostgreSQL type with its modifiers, as pg_attribute and format_type() give it:
 * `varchar` with length 20 is `character varying(20)`, atttypmod 24; `numeric` with
 * precision 10 and scale 2 is `numeric(10,2)`, atttypmod (10 << 16 | 2) + 4.
 */
export function postgresType(name: PostgresTypeName, size: { readonly length?: number | null; readonly precision?: number | null; readonly scale?: number | null } = {}): PostgresType {
  const [oid, display, length] = POSTGRES_TYPES[name];
  if ((name === 'varchar' || name === 'bpchar') && size.length != null && size.length > 0) {
    return { oid, name, display: `${display}(${size.length})`, typmod: size.length + VARHDRSZ, length };
  }
  if (name === 'numeric' && size.precision != null && size.precision > 0) {
    const scale = size.scale ?? 0;
    return { oid, name, display: `${display}(${size.precision},${scale})`, typmod: ((size.precision << 16) | scale) + VARHDRSZ, length };
  }
  return { oid, name, display, typmod: -1, length };
}

/** Every PostgreSQL base type a column may be shown as (for pg_type lookups by OID or name). */
export function postgresTypes(): PostgresType[] {
  return (Object.keys(POSTGRES_TYPES) as PostgresTypeName[]).map((name) => postgresType(name));
}

/** `NAME(a,b)` → `{ base: 'NAME', args: [a, b] }` (type names with their parenthesized modifiers). */
export function typeWithModifiers(type: string): { readonly base: string; readonly args: readonly number[]; readonly rest: string } {
  const match = /^\s*([A-Za-z][A-Za-z0-9_]*(?:\s+[A-Za-z][A-Za-z0-9_]*)*)\s*(?:\(\s*([\d\s,]+)\))?\s*(.*)$/.exec(type);
  if (!match) return { base: type.trim().toLowerCase(), args: [], rest: '' };
  const args = match[2] === undefined ? [] : match[2].split(',').map((arg) => Number(arg.trim()));
  return { base: match[1]!.toLowerCase(), args, rest: match[3]!.trim().toLowerCase() };
}
