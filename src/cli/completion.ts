/**
 * Tab completion for the REPL: keywords (sqlml's and SQL's usual ones), backslash
 * commands, and the names of models, tables and columns. The names are cached: read once
 * at start and again after a statement that may change them (CREATE, DROP, ALTER, …),
 * never while the user is typing, so completing costs no round trip.
 */
import { KEYWORDS } from '../sql/keywords.js';

/** SQL's words people type most, beside sqlml's own (src/sql/keywords.ts). */
const SQL_WORDS = [
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'HAVING', 'LIMIT', 'OFFSET', 'JOIN', 'LEFT', 'RIGHT', 'INNER', 'OUTER',
  'UNION', 'ALL', 'DISTINCT', 'INSERT', 'VALUES', 'UPDATE', 'SET', 'DELETE', 'TABLE', 'VIEW', 'ALTER', 'WITH', 'CASE',
  'WHEN', 'THEN', 'ELSE', 'END', 'AND', 'NULL', 'IS', 'IN', 'BETWEEN', 'LIKE', 'CAST', 'COUNT', 'ASC', 'DESC',
  'THRESHOLD', 'ENGINE',
];

export const META_COMMANDS = ['\\?', '\\q', '\\x', '\\timing', '\\dt', '\\d', '\\dm', '\\i'] as const;

export interface CatalogNames {
  readonly models: readonly string[];
  readonly tables: readonly string[];
  readonly columns: readonly string[];
}

/** Statements after which the cached names may be stale. */
const CHANGES_NAMES = /^\s*(create|drop|alter|rename|retrain|train|predict[\s\S]*\binto\b)/i;

export function changesNames(statement: string): boolean {
  return CHANGES_NAMES.test(statement);
}

export class Completer {
  readonly #keywords = [...new Set([...KEYWORDS, ...SQL_WORDS])].sort();
  #names: CatalogNames = { models: [], tables: [], columns: [] };

  set names(names: CatalogNames) {
    this.#names = names;
  }

  /**
   * readline's completer: the candidates for the word before the cursor and that word.
   * Keywords follow the case of what was typed; names are given as the catalog spells them.
   */
  complete(line: string): [string[], string] {
    const meta = /^\s*(\\\w*)$/.exec(line);
    if (meta) return [META_COMMANDS.filter((c) => c.startsWith(meta[1]!)), meta[1]!];
    const word = /[\w$]*$/.exec(line)![0];
    const lower = word.toLowerCase();
    const upper = word === '' || word !== lower;
    const keywords = this.#keywords.filter((k) => k.toLowerCase().startsWith(lower)).map((k) => (upper ? k : k.toLowerCase()));
    const { models, tables, columns } = this.#names;
    const names = [...models, ...tables, ...columns].filter((name) => name.toLowerCase().startsWith(lower));
    // Names first: after `MODEL ` or `FROM `, a name is what is wanted far more often than a keyword.
    return [[...new Set([...names, ...(word === '' ? [] : keywords)])], word];
  }
}
