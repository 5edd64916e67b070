/**
 * mysql2's callback API as promises: one query → its rows (as arrays) and column
 * definitions, or the OK packet of a statement without a row set.
 */
import type { Connection, FieldPacket, PoolConnection, QueryOptions, ResultSetHeader } from 'mysql2';
import { asFields } from './mysql-reader.js';
import type { MySQLField } from './mysql-types.js';

export type MySQLConnection = Connection | PoolConnection;

/** What one query returned: rows and fields for a row set, `header` for anything else. */
export interface QueryOutcome {
  readonly rows: readonly (readonly unknown[])[];
  readonly fields: readonly MySQLField[] | undefined;
  readonly header: ResultSetHeader | undefined;
}

/** Runs one statement with rows as arrays; rejects with the driver's error. */
export function runQuery(connection: MySQLConnection, sql: string, options: Omit<QueryOptions, 'sql'> = {}): Promise<QueryOutcome> {
  return new Promise((resolve, reject) => {
    connection.query({ ...options, sql, rowsAsArray: true }, (error: Error | null, result: unknown, fields: FieldPacket[] | undefined) => {
      if (error) {
        reject(error);
      } else if (Array.isArray(result)) {
        resolve({ rows: result as unknown[][], fields: fields === undefined ? [] : asFields(fields), header: undefined });
      } else {
        resolve({ rows: [], fields: undefined, header: result as ResultSetHeader });
      }
    });
  });
}
