/**
 * An emulated pg_catalog for the wire protocol on databases that have none (MySQL,
 * MariaDB) or one psql and JDBC cannot use (DuckDB's lacks pg_get_userbyid, regclass,
 * OPERATOR(pg_catalog.~), _pg_expandarray…). The catalog queries psql's `\dt`, `\d name`
 * (indexes and foreign keys included), `\dn`, `\l`, `\df` and JDBC's DatabaseMetaData (getTables, getColumns, getSchemas,
 * getPrimaryKeys) send are recognised by what they read, their patterns taken from
 * their text, and answered from the database's own catalog (adapter.introspect), row
 * for row in the columns the client asked for. Such a query never reaches the database
 * verbatim: a pg_catalog query sqlml does not know is refused on a database without a
 * pg_catalog, and left to the database's own where it has one (DuckDB).
 *
 * OIDs are a hash of the object's schema and name: the same in every query and every
 * session, so psql's second query (by the OID its first one found) finds the same table.
 */
import {
  postgresTypes,
  type ForeignKey,
  type IntrospectedColumn,
  type IntrospectedIndex,
  type IntrospectedTable,
  type Introspection,
  type PrimaryKey,
} from '../../adapters/introspect.js';
import type { ColumnType, ResultTable, Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import { likeRegex, literalAfter, literalList, postgresIdent, postgresRegex, selectItems } from './pg-catalog-sql.js';

/** Who asks: owner names are the session's user. */
export interface CatalogClient {
  readonly user: string;
}

/** A query reading PostgreSQL's system catalogs (pg_catalog.*, JDBC's information_schema._pg_expandarray). */
const CATALOG_QUERY = /\bpg_catalog\s*\.|\binformation_schema\s*\.\s*_pg_|\bFROM\s+pg_(?:class|namespace|attribute|type|index|database|roles|user|am)\b/i;

/**
 * Catalogs answered with no rows: what DuckDB and MySQL tables have no PostgreSQL
 * counterpart of (policies, statistics objects, publications, inheritance, triggers,
 * rules), and what sqlml does not report yet (comments, the queries of other clients on
 * constraints and functions than psql's): docs/bi-tools.md says so.
 */
const ALWAYS_EMPTY = /\bpg_catalog\.pg_(?:policy|statistic_ext|publication|inherits|trigger|rewrite|constraint|foreign_table|partitioned_table|sequence|description|attrdef|depend|event_trigger|extension|proc|collation)\b/i;

/** The longest catalog query read: psql's and JDBC's are a few KB. */
const MAX_CATALOG_QUERY_CHARS = 64 * 1024;

type Row = Readonly<Record<string, Value>>;

/** The server settings drivers look up, as PostgreSQL 15 has them by default. */
const SETTINGS: Readonly<Record<string, string>> = { max_index_keys: '32', max_identifier_length: '63', standard_conforming_strings: 'on' };

/** Up to this many relations, their columns are read one relation at a time. */
const FEW_RELATIONS = 4;

interface Relation extends IntrospectedTable {
  readonly oid: number;
  readonly namespaceOid: number;
}

/** The answer to a catalog query, or null when it is none (or is left to the database's own pg_catalog). */
export async function answerCatalogQuery(query: string, introspect: Introspection, client: CatalogClient): Promise<ResultTable | null> {
  if (!CATALOG_QUERY.test(query)) return null;
  if (query.length > MAX_CATALOG_QUERY_CHARS) {
    // psql's and JDBC's are a few KB: a longer one is none of them, and is not scanned.
    if (introspect.nativePgCatalog) return null;
    throw new SqlmlError('unsupported', `a pg_catalog query of ${query.length} characters is none sqlml answers on this database (they are at most ${MAX_CATALOG_QUERY_CHARS})`);
  }
  const catalog = new EmulatedCatalog(introspect, client);
  for (const recognise of RECOGNISERS) {
    const rows = recognise(query, catalog);
    if (rows) return result(query, await rows);
  }
  if (ALWAYS_EMPTY.test(query)) return result(query, []);
  if (introspect.nativePgCatalog) return null;
  throw new SqlmlError(
    'unsupported',
    `sqlml answers the catalog queries of psql (\\dt, \\d, \\df, \\dn, \\l) and of JDBC's DatabaseMetaData on this database, which has no pg_catalog; this one is not among them: ${query.replace(/\s+/g, ' ').slice(0, 120)}`,
  );
}

/** Rows in the client's columns: each select item takes its field (or its literal) from each row. */
function result(query: string, rows: readonly Row[]): ResultTable {
  const items = selectItems(query);
  const values = rows.map((row) => items.map((item) => (item.key === null ? item.literal : (row[item.key] ?? null))));
  const columns = items.map((item, i) => {
    const sample = item.key === null ? item.literal : values.find((row) => row[i] !== null)?.[i];
    return { name: item.name, type: typeOf(sample ?? null) };
  });
  return { command: 'SELECT', columns, rows: values };
}

function typeOf(value: Value): ColumnType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return 'integer';
  return 'text';
}

/** The database's catalog as pg_catalog rows, read once per query as it is asked for. */
class EmulatedCatalog {
  readonly #introspect: Introspection;
  readonly user: string;
  #location: Promise<{ database: string; schema: string }> | null = null;
  #relations: Promise<Relation[]> | null = null;

  constructor(introspect: Introspection, client: CatalogClient) {
    this.#introspect = introspect;
    this.user = client.user;
  }

  location(): Promise<{ database: string; schema: string }> {
    return (this.#location ??= this.#introspect.location());
  }

  schemas(): Promise<string[]> {
    return this.#introspect.schemas();
  }

  relations(): Promise<Relation[]> {
    return (this.#relations ??= this.#introspect
      .tables()
      .then((tables) => tables.map((table) => ({ ...table, oid: oidOf('r', table.schema, table.name), namespaceOid: oidOf('n', table.schema) }))));
  }

  async relation(oid: number): Promise<Relation | undefined> {
    return (await this.relations()).find((relation) => relation.oid === oid);
  }

  columns(relation: Relation): Promise<IntrospectedColumn[]> {
    return this.#introspect.columns({ schema: relation.schema, name: relation.name });
  }

  /**
   * The columns of several relations, in their order: one catalog read per relation when
   * there are few, one read of every column when there are more (JDBC's getColumns of `%`
   * would otherwise cost a query per table).
   */
  async columnsOf(relations: readonly Relation[]): Promise<[Relation, IntrospectedColumn[]][]> {
    if (relations.length <= FEW_RELATIONS) return Promise.all(relations.map(async (r): Promise<[Relation, IntrospectedColumn[]]> => [r, await this.columns(r)]));
    const all = new Map((await this.#introspect.allColumns()).map((t) => [`${t.schema}\u0000${t.name}`, t.columns]));
    return relations.map((r) => [r, all.get(`${r.schema}\u0000${r.name}`) ?? []]);
  }

  primaryKey(relation: Relation): Promise<PrimaryKey | undefined> {
    return this.#introspect.primaryKey({ schema: relation.schema, name: relation.name });
  }

  viewDefinition(relation: Relation): Promise<string | undefined> {
    return this.#introspect.viewDefinition({ schema: relation.schema, name: relation.name });
  }

  indexes(relation: Relation): Promise<IntrospectedIndex[]> {
    return this.#introspect.indexes({ schema: relation.schema, name: relation.name });
  }

  foreignKeys(relation: Relation): Promise<{ readonly outgoing: ForeignKey[]; readonly incoming: ForeignKey[] }> {
    return this.#introspect.foreignKeys({ schema: relation.schema, name: relation.name });
  }

  functions(): ReturnType<Introspection['functions']> {
    return this.#introspect.functions();
  }
}

/** A foreign key as pg_get_constraintdef prints it: the referenced table qualified when it is not in `current`. */
function foreignKeyDefinition(fk: ForeignKey, current: string): string {
  const referenced = fk.referencedSchema === current ? postgresIdent(fk.referencedTable) : `${postgresIdent(fk.referencedSchema)}.${postgresIdent(fk.referencedTable)}`;
  let text = `FOREIGN KEY (${fk.columns.map(postgresIdent).join(', ')}) REFERENCES ${referenced}(${fk.referencedColumns.map(postgresIdent).join(', ')})`;
  // NO ACTION is PostgreSQL's default and is not printed; MySQL reports its default as RESTRICT, which acts the same there.
  for (const [event, rule] of [['UPDATE', fk.onUpdate], ['DELETE', fk.onDelete]] as const) {
    if (rule !== 'NO ACTION' && rule !== 'RESTRICT') text += ` ON ${event} ${rule}`;
  }
  return text;
}

/** A table's name as regclass prints it: qualified when it is not in `current`. */
function relationName(schema: string, name: string, current: string): string {
  return schema === current ? name : `${schema}.${name}`;
}

/** A stable OID from an object's kind and names: FNV-1a, above PostgreSQL's FirstNormalObjectId (16384). */
export function oidOf(kind: string, ...names: string[]): number {
  let hash = 0x811c9dc5;
  for (const char of `${kind}\u0000${names.join('\u0000')}`) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return 16384 + (hash % (2 ** 31 - 16384));
}

type Recogniser = (query: string, catalog: EmulatedCatalog) => Promise<Row[]> | null;

const RELKIND: Record<IntrospectedTable['kind'], string> = { table: 'r', view: 'v' };

/** psql's name patterns: `c.relname OPERATOR(pg_catalog.~) '^(t)$'`, and the schema's. */
function psqlPattern(query: string, column: string): RegExp | undefined {
  const pattern = literalAfter(query, `${column.replace('.', '\\.')}\\s+OPERATOR\\(pg_catalog\\.~\\)`);
  return pattern === undefined ? undefined : postgresRegex(pattern);
}

/** The OID a psql \d query asks about: `WHERE c.oid = '16398'`, `a.attrelid = '16398'`. */
function oidLiteral(query: string, column: string): number | undefined {
  const match = new RegExp(`\\b${column.replace('.', '\\.')}\\s*=\\s*'?(\\d+)'?`, 'i').exec(query);
  return match ? Number(match[1]) : undefined;
}

/** Relations a psql pattern query selects: by name and schema patterns, else those visible on the search path. */
async function psqlRelations(query: string, catalog: EmulatedCatalog): Promise<Relation[]> {
  const name = psqlPattern(query, 'c.relname');
  const schema = psqlPattern(query, 'n.nspname');
  const visibleOnly = schema === undefined && /pg_table_is_visible/i.test(query);
  const { schema: current } = await catalog.location();
  const kinds = literalList(query, 'c\\.relkind');
  return (await catalog.relations()).filter(
    (relation) =>
      (kinds === undefined || kinds.includes(RELKIND[relation.kind])) &&
      (name === undefined || name.test(relation.name)) &&
      (schema === undefined || schema.test(relation.schema)) &&
      (!visibleOnly || relation.schema === current),
  );
}

/**
 * The primary-key columns JDBC's getPrimaryKeys and getIndexInfo ask about (`n.nspname =`
 * and `ct.relname =` when given), one entry per key column with its 1-based position.
 */
async function primaryKeyColumns(
  query: string,
  catalog: EmulatedCatalog,
): Promise<{ relation: Relation; key: PrimaryKey; column: string; position: number }[]> {
  const schema = literalAfter(query, 'n\\.nspname\\s*=');
  const name = literalAfter(query, 'ct\\.relname\\s*=');
  const columns: { relation: Relation; key: PrimaryKey; column: string; position: number }[] = [];
  for (const relation of await catalog.relations()) {
    if ((schema !== undefined && relation.schema !== schema) || (name !== undefined && relation.name !== name)) continue;
    const key = await catalog.primaryKey(relation);
    key?.columns.forEach((column, i) => columns.push({ relation, key, column, position: i + 1 }));
  }
  return columns;
}

const RECOGNISERS: readonly Recogniser[] = [
  // psql \d name, first query: which relations the pattern names.
  (query, catalog) =>
    /^\s*SELECT\s+c\.oid,\s*n\.nspname,\s*c\.relname\s+FROM\s+pg_catalog\.pg_class\s+c\b/i.test(query)
      ? psqlRelations(query, catalog).then((relations) => relations.map((r) => ({ oid: r.oid, nspname: r.schema, relname: r.name })))
      : null,

  // psql \d name: the relation's flags.
  (query, catalog) => {
    if (!/SELECT\s+c\.relchecks,\s*c\.relkind/i.test(query)) return null;
    return (async () => {
      const relation = await catalog.relation(oidLiteral(query, 'c.oid') ?? -1);
      if (!relation) return [];
      const [indexes, { outgoing, incoming }] = await Promise.all([catalog.indexes(relation), catalog.foreignKeys(relation)]);
      return [
        {
          relchecks: 0,
          relkind: RELKIND[relation.kind],
          relhasindex: indexes.length > 0,
          relhasrules: false,
          // PostgreSQL enforces foreign keys with triggers, and psql asks for them only where there are triggers.
          relhastriggers: outgoing.length + incoming.length > 0,
          relrowsecurity: false,
          relforcerowsecurity: false,
          relhasoids: false,
          relispartition: false,
          reltablespace: 0,
          relpersistence: 'p',
          relreplident: 'd',
          amname: null,
        },
      ];
    })();
  },

  // psql \d name: the columns.
  (query, catalog) => {
    if (!/FROM\s+pg_catalog\.pg_attribute\s+a\s+WHERE\s+a\.attrelid\s*=/i.test(query)) return null;
    return (async () => {
      const relation = await catalog.relation(oidLiteral(query, 'a.attrelid') ?? -1);
      if (!relation) return [];
      return (await catalog.columns(relation)).map((column, i) => attributeRow(relation, column, i + 1));
    })();
  },

  // psql \d name: the indexes.
  (query, catalog) => {
    if (!/FROM\s+pg_catalog\.pg_class\s+c,\s*pg_catalog\.pg_class\s+c2,\s*pg_catalog\.pg_index\s+i/i.test(query)) return null;
    return (async () => {
      const relation = await catalog.relation(oidLiteral(query, 'c.oid') ?? -1);
      if (!relation) return [];
      const table = `${postgresIdent(relation.schema)}.${postgresIdent(relation.name)}`;
      return (await catalog.indexes(relation)).map((index) => {
        const key = index.expression ?? index.columns.map(postgresIdent).join(', ');
        const contype = index.primary ? 'p' : index.constraint ? 'u' : null;
        return {
          relname: index.name,
          indisprimary: index.primary,
          indisunique: index.unique,
          indisclustered: false,
          indisvalid: true,
          pg_get_indexdef: `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${postgresIdent(index.name)} ON ${table} USING btree (${key})`,
          pg_get_constraintdef: contype === null ? null : `${index.primary ? 'PRIMARY KEY' : 'UNIQUE'} (${key})`,
          contype,
          condeferrable: false,
          condeferred: false,
          indisreplident: false,
          reltablespace: 0,
        };
      });
    })();
  },

  // psql \d name: the table's foreign keys.
  (query, catalog) => {
    if (!/FROM\s+pg_catalog\.pg_constraint\s+r\b/i.test(query) || !/r\.contype\s*=\s*'f'/i.test(query)) return null;
    return (async () => {
      const relation = await catalog.relation(oidLiteral(query, 'r.conrelid') ?? -1);
      if (!relation) return [];
      const { schema: current } = await catalog.location();
      return (await catalog.foreignKeys(relation)).outgoing.map((fk) => ({
        conname: fk.name,
        condef: foreignKeyDefinition(fk, current),
        ontable: relationName(fk.schema, fk.table, current),
      }));
    })();
  },

  // psql \d name: the foreign keys referencing the table ("Referenced by").
  (query, catalog) => {
    const oid = /\bconfrelid\s+IN\s*\(\s*SELECT\s+pg_catalog\.pg_partition_ancestors\(\s*'(\d+)'/i.exec(query)?.[1] ?? /\bconfrelid\s*=\s*'(\d+)'/i.exec(query)?.[1];
    if (oid === undefined || !/FROM\s+pg_catalog\.pg_constraint\b/i.test(query)) return null;
    return (async () => {
      const relation = await catalog.relation(Number(oid));
      if (!relation) return [];
      const { schema: current } = await catalog.location();
      return (await catalog.foreignKeys(relation)).incoming.map((fk) => ({
        conname: fk.name,
        ontable: relationName(fk.schema, fk.table, current),
        condef: foreignKeyDefinition(fk, current),
      }));
    })();
  },

  // psql \df: the functions (EXPORT MODEL's among them).
  (query, catalog) => {
    if (!/FROM\s+pg_catalog\.pg_proc\s+p\b/i.test(query) || !/AS\s+"Argument data types"/i.test(query)) return null;
    return (async () => {
      const name = psqlPattern(query, 'p.proname');
      const schema = psqlPattern(query, 'n.nspname');
      const { schema: current } = await catalog.location();
      return (await catalog.functions())
        .filter((fn) => (name === undefined || name.test(fn.name)) && (schema === undefined ? fn.schema === current : schema.test(fn.schema)))
        .map((fn) => ({
          schema: fn.schema,
          name: fn.name,
          'result data type': fn.result,
          'argument data types': fn.parameters.map((p) => (p.type === null ? postgresIdent(p.name) : `${postgresIdent(p.name)} ${p.type}`)).join(', '),
          type: 'func',
        }));
    })();
  },

  // psql \d+ view: its definition.
  (query, catalog) => {
    const oid = /^\s*SELECT\s+pg_catalog\.pg_get_viewdef\(\s*'?(\d+)'?/i.exec(query)?.[1];
    if (oid === undefined) return null;
    return (async () => {
      const relation = await catalog.relation(Number(oid));
      const definition = relation?.kind === 'view' ? await catalog.viewDefinition(relation) : undefined;
      return definition === undefined ? [] : [{ pg_get_viewdef: definition }];
    })();
  },

  // psql \dt, \dv, \d (lists of relations).
  (query, catalog) =>
    /pg_get_userbyid\(c\.relowner\)\s+as\s+"Owner"/i.test(query) && /FROM\s+pg_catalog\.pg_class\s+c\b/i.test(query)
      ? psqlRelations(query, catalog).then((relations) =>
          relations.map((r) => ({ schema: r.schema, name: r.name, type: r.kind, owner: catalog.user, persistence: 'permanent' })),
        )
      : null,

  // psql \dn.
  (query, catalog) =>
    /FROM\s+pg_catalog\.pg_namespace\s+n\b/i.test(query) && /AS\s+"Name"/i.test(query)
      ? catalog.schemas().then((schemas) => {
          const pattern = psqlPattern(query, 'n.nspname');
          return schemas.filter((s) => pattern === undefined || pattern.test(s)).map((s) => ({ name: s, owner: catalog.user }));
        })
      : null,

  // psql \l.
  (query, catalog) =>
    /FROM\s+pg_catalog\.pg_database\s+d\b/i.test(query)
      ? catalog.location().then(({ database }) => {
          const pattern = psqlPattern(query, 'd.datname');
          return pattern !== undefined && !pattern.test(database) ? [] : [{ name: database, owner: catalog.user, encoding: 'UTF8' }];
        })
      : null,

  // JDBC getSchemas.
  (query, catalog) =>
    /SELECT\s+nspname\s+AS\s+TABLE_SCHEM\b/i.test(query)
      ? catalog.schemas().then((schemas) => {
          const like = literalAfter(query, 'nspname\\s+LIKE');
          return schemas.filter((s) => like === undefined || likeRegex(like).test(s)).map((s) => ({ table_schem: s, table_catalog: null }));
        })
      : null,

  // JDBC getTables.
  (query, catalog) => {
    if (!/\bAS\s+TABLE_TYPE\b/i.test(query) || !/FROM\s+pg_catalog\.pg_namespace\s+n,\s*pg_catalog\.pg_class\s+c\b/i.test(query)) return null;
    return (async () => {
      const schema = literalAfter(query, 'n\\.nspname\\s+LIKE');
      const name = literalAfter(query, 'c\\.relname\\s+LIKE');
      const kinds = jdbcRelkinds(query);
      const relations = (await catalog.relations()).filter(
        (r) => (schema === undefined || likeRegex(schema).test(r.schema)) && (name === undefined || likeRegex(name).test(r.name)) && (kinds === undefined || kinds.has(RELKIND[r.kind])),
      );
      const type = { table: 'TABLE', view: 'VIEW' } as const;
      return relations
        .map((r) => ({ table_cat: null, table_schem: r.schema, table_name: r.name, table_type: type[r.kind], remarks: null }))
        .sort((a, b) => compare(a.table_type, b.table_type) || compare(a.table_schem, b.table_schem) || compare(a.table_name, b.table_name));
    })();
  },

  // JDBC getColumns.
  (query, catalog) => {
    if (!/\bSELECT\s+n\.nspname,\s*c\.relname,\s*a\.attname,\s*a\.atttypid\b/i.test(query)) return null;
    return (async () => {
      const schema = literalAfter(query, 'n\\.nspname\\s+LIKE');
      const name = literalAfter(query, 'c\\.relname\\s+LIKE');
      const column = literalAfter(query, '\\battname\\s+LIKE');
      const schemaLike = schema === undefined ? undefined : likeRegex(schema);
      const nameLike = name === undefined ? undefined : likeRegex(name);
      const columnLike = column === undefined ? undefined : likeRegex(column);
      const relations = (await catalog.relations()).filter((r) => (!schemaLike || schemaLike.test(r.schema)) && (!nameLike || nameLike.test(r.name)));
      const rows: Row[] = [];
      for (const [relation, columns] of await catalog.columnsOf(relations)) {
        for (const [i, c] of columns.entries()) {
          if (columnLike && !columnLike.test(c.name)) continue;
          rows.push({ ...attributeRow(relation, c, i + 1), typtypmod: -1, attidentity: null, attgenerated: null, typbasetype: 0, typtype: 'b', description: null });
        }
      }
      return rows;
    })();
  },

  // JDBC getPrimaryKeys.
  (query, catalog) => {
    if (!/\bKEY_SEQ\b/i.test(query) || !/\bindisprimary\b/i.test(query)) return null;
    return (async () =>
      (await primaryKeyColumns(query, catalog)).map(({ relation, key, column, position }) => ({
        table_cat: null,
        table_schem: relation.schema,
        table_name: relation.name,
        column_name: column,
        key_seq: position,
        pk_name: key.name,
      })))();
  },

  // JDBC getIndexInfo: the primary key's index (the only index sqlml reports).
  (query, catalog) => {
    if (!/\bINDEX_QUALIFIER\b/i.test(query) || !/\bpg_catalog\.pg_index\b/i.test(query)) return null;
    return (async () =>
      (await primaryKeyColumns(query, catalog)).map(({ relation, key, column, position }) => ({
        table_cat: null,
        table_schem: relation.schema,
        table_name: relation.name,
        non_unique: false,
        index_qualifier: null,
        index_name: key.name,
        type: 3, // DatabaseMetaData.tableIndexOther
        ordinal_position: position,
        column_name: column,
        asc_or_desc: 'A',
        cardinality: 0,
        pages: 0,
        filter_condition: null,
      })))();
  },

  // Settings drivers read (JDBC's getImportedKeys asks max_index_keys first).
  (query) => {
    if (!/\bFROM\s+pg_catalog\.pg_settings\b/i.test(query)) return null;
    const name = literalAfter(query, '\\bname\\s*=');
    const value = name === undefined ? undefined : SETTINGS[name];
    return value === undefined ? null : Promise.resolve([{ setting: value, name: name! }]);
  },

  // JDBC's type lookups (TypeInfoCache) for an OID or name it does not know by heart: the base types columns are shown as.
  (query) => {
    if (!/\bFROM\s+pg_catalog\.pg_type\b/i.test(query)) return null;
    const oid = /\b(?:pg_type|t)\.oid\s*=\s*'?(\d+)'?/i.exec(query)?.[1];
    const name = literalAfter(query, '\\btypname\\s*=');
    const types = postgresTypes().filter((type) => (oid === undefined || type.oid === Number(oid)) && (name === undefined || type.name === name));
    return Promise.resolve(
      // `n.nspname = ANY(current_schemas(true))` (is the type on the search path) has no name of its own.
      types.map((type) => ({ oid: type.oid, typname: type.name, nspname: 'pg_catalog', '?column?': true, is_array: false, typtype: 'b', typlen: type.length, typdelim: ',' })),
    );
  },
];

/** pg_attribute (with pg_type's and pg_attrdef's columns) for one column of a relation. */
function attributeRow(relation: Relation, column: IntrospectedColumn, attnum: number): Row {
  const type = column.postgresType;
  return {
    nspname: relation.schema,
    relname: relation.name,
    attrelid: relation.oid,
    attname: column.name,
    attnum,
    atttypid: type.oid,
    atttypmod: type.typmod,
    attlen: type.length,
    attnotnull: !column.nullable,
    format_type: type.display,
    pg_get_expr: column.default,
    adsrc: column.default,
    atthasdef: column.default !== null,
    attcollation: null,
    attidentity: '',
    attgenerated: '',
    attstorage: type.length === -1 ? 'x' : 'p',
    attcompression: '',
    attstattarget: null,
    col_description: null,
    typname: type.name,
  };
}

/**
 * The relation kinds JDBC's getTables asks for: from its `( c.relkind … AND n.nspname !~ '^pg_' … )`
 * groups of user relations (system and temporary groups name pg_ schemas, which are none here).
 */
function jdbcRelkinds(query: string): Set<string> | undefined {
  const groups = [...query.matchAll(/\(\s*c\.relkind\s*(?:=\s*'(\w)'|IN\s*\(([^)]*)\))([^()]*)\)/gi)];
  if (groups.length === 0) return undefined;
  const kinds = new Set<string>();
  for (const group of groups) {
    if (!/!~\s*'\^pg_'|<>\s*'pg_catalog'/.test(group[3]!)) continue;
    if (group[1]) kinds.add(group[1]);
    for (const m of (group[2] ?? '').matchAll(/'(\w)'/g)) kinds.add(m[1]!);
  }
  return kinds;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
