/**
 * What a database holds, as its own catalog says: schemas, tables, columns with their
 * types and NULL-ability, primary keys, indexes, foreign keys, functions. Read through
 * `information_schema` (which DuckDB, PostgreSQL and MySQL/MariaDB all have) where it says
 * enough; each database's folder gives the spellings that differ (where "the current schema"
 * is, which schemas are the system's, how its type names read as PostgreSQL types, and the
 * queries for what information_schema does not standardise).
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

/** An index of a table: a primary key's or UNIQUE constraint's, or one made by CREATE INDEX. */
export interface IntrospectedIndex {
  readonly name: string;
  readonly primary: boolean;
  readonly unique: boolean;
  /** Made by a PRIMARY KEY or UNIQUE constraint (psql shows "UNIQUE CONSTRAINT"), not by CREATE INDEX. */
  readonly constraint: boolean;
  /** Its key: the column names in key order, or one expression as the database shows it (DuckDB's `(lower(note))`). */
  readonly columns: readonly string[];
  readonly expression?: string;
}

/** A foreign key: `table`'s `columns` reference `referencedTable`'s `referencedColumns`. */
export interface ForeignKey {
  readonly name: string;
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly referencedSchema: string;
  readonly referencedTable: string;
  readonly referencedColumns: readonly string[];
  /** The referential actions, as SQL spells them; `NO ACTION` where the database has none other. */
  readonly onDelete: string;
  readonly onUpdate: string;
}

/** A function of the user's schemas (an exported model's among them). */
export interface IntrospectedFunction {
  readonly schema: string;
  readonly name: string;
  /** The result type as a PostgreSQL type; null where the database does not say (DuckDB's macros). */
  readonly result: string | null;
  /** Its parameters in order: a name, and a PostgreSQL type where the database says one. */
  readonly parameters: readonly { readonly name: string; readonly type: string | null }[];
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
  /**
   * A table's indexes (its primary key's included), the primary key's first, then by name.
   * This and the two below read nothing where the spelling has no `catalogQueries`
   * (PostgreSQL, whose own pg_catalog answers psql): they answer none there.
   */
  indexes(table: TableRef): Promise<IntrospectedIndex[]>;
  /** The foreign keys of `table` (`outgoing`) and those of tables referencing it (`incoming`), each by name. */
  foreignKeys(table: TableRef): Promise<{ readonly outgoing: ForeignKey[]; readonly incoming: ForeignKey[] }>;
  /** The functions of the user's schemas, by schema then name. */
  functions(): Promise<IntrospectedFunction[]>;
}

/**
 * Catalog reads information_schema does not standardise (indexes, foreign keys with the
 * columns they reference, functions with their parameters), each a query of fixed columns.
 * `{schema}` and `{table}` are replaced by the table's schema (an SQL expression) and name
 * (a string literal).
 */
export interface CatalogQueries {
  /** name, is_primary, is_unique, is_constraint, column (or the expression), is_expression: one row per key column, in key order. */
  readonly indexes: string;
  /**
   * constraint, schema, table, column, referenced schema, referenced table, referenced column,
   * delete rule, update rule: one row per key column in key order, of the foreign keys of
   * the table and of those referencing it.
   */
  readonly foreignKeys: string;
  /** schema, name, result type, parameter name, parameter type: one row per parameter in order (NULLs for a function without any). */
  readonly functions: string;
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
  /**
   * How indexes, foreign keys and functions are read. Absent where no face asks (PostgreSQL,
   * whose pg_catalog answers psql itself): the reads then find none.
   */
  readonly catalogQueries?: CatalogQueries;
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
  const location = async (): Promise<{ database: string; schema: string }> => {
    const [row] = await rows(`SELECT ${spelling.currentDatabase} AS db, ${spelling.currentSchema} AS sch`);
    return { database: String(row?.[0] ?? ''), schema: String(row?.[1] ?? '') };
  };
  const queries = spelling.catalogQueries;
  const inTable = (text: string, table: TableRef): string => text.replaceAll('{schema}', schemaOf(table)).replaceAll('{table}', sql.quoteString(table.name));
  // A type as the database spells it (`varchar(20)`, `DOUBLE`), shown as PostgreSQL's.
  const asPostgres = (type: string): string => spelling.postgresType(type.toLowerCase(), { length: null, precision: null, scale: null }).display;
  return {
    nativePgCatalog: spelling.nativePgCatalog,
    location,
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
    async indexes(table) {
      if (!queries) return [];
      const found = await rows(inTable(queries.indexes, table));
      const byName = new Map<string, { name: string; primary: boolean; unique: boolean; constraint: boolean; columns: string[]; expression?: string }>();
      for (const [name, primary, unique, constraint, column, isExpression] of found) {
        const key = String(name);
        let index = byName.get(key);
        if (!index) byName.set(key, (index = { name: key, primary: truthy(primary), unique: truthy(unique), constraint: truthy(constraint), columns: [] }));
        if (truthy(isExpression)) index.expression = String(column);
        else index.columns.push(String(column));
      }
      return [...byName.values()].sort((a, b) => Number(b.primary) - Number(a.primary) || compareText(a.name, b.name));
    },
    async foreignKeys(table) {
      if (!queries) return { outgoing: [], incoming: [] };
      const { schema: current } = await location();
      const schema = table.schema ?? current;
      const found = await rows(inTable(queries.foreignKeys, table));
      const byName = new Map<string, { name: string; schema: string; table: string; columns: string[]; referencedSchema: string; referencedTable: string; referencedColumns: string[]; onDelete: string; onUpdate: string }>();
      for (const [name, sch, tbl, column, refSchema, refTable, refColumn, onDelete, onUpdate] of found) {
        const key = `${String(sch)}\u0000${String(tbl)}\u0000${String(name)}`;
        let fk = byName.get(key);
        if (!fk) {
          byName.set(
            key,
            (fk = {
              name: String(name),
              schema: String(sch),
              table: String(tbl),
              columns: [],
              referencedSchema: String(refSchema),
              referencedTable: String(refTable),
              referencedColumns: [],
              onDelete: String(onDelete ?? 'NO ACTION'),
              onUpdate: String(onUpdate ?? 'NO ACTION'),
            }),
          );
        }
        fk.columns.push(String(column));
        fk.referencedColumns.push(String(refColumn));
      }
      const all = [...byName.values()].sort((a, b) => compareText(a.name, b.name));
      return {
        outgoing: all.filter((fk) => fk.schema === schema && fk.table === table.name),
        incoming: all.filter((fk) => fk.referencedSchema === schema && fk.referencedTable === table.name),
      };
    },
    async functions() {
      if (!queries) return [];
      const found = await rows(queries.functions);
      const byName = new Map<string, { schema: string; name: string; result: string | null; parameters: { name: string; type: string | null }[] }>();
      for (const [sch, name, result, parameter, type] of found) {
        const key = `${String(sch)}\u0000${String(name)}`;
        let fn = byName.get(key);
        if (!fn) byName.set(key, (fn = { schema: String(sch), name: String(name), result: result === null ? null : asPostgres(String(result)), parameters: [] }));
        if (parameter !== null) fn.parameters.push({ name: String(parameter), type: type === null ? null : asPostgres(String(type)) });
      }
      return [...byName.values()].sort((a, b) => compareText(a.schema, b.schema) || compareText(a.name, b.name));
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

/** A catalog's boolean: MySQL answers 0 and 1. */
function truthy(value: Value): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
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
