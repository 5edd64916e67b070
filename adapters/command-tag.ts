/**
 * What every adapter reads from a pass-through statement's text to name its command the
 * way PostgreSQL tags them (`SELECT`, `INSERT`, `CREATE TABLE`, `DROP VIEW`). Each adapter
 * says which comments its database has and which words may stand between CREATE/DROP/ALTER
 * and the object's kind, and decides itself what its driver's own report adds.
 */

/** Leading white space, `--` and `/* … *\/` comments and opening parentheses (PostgreSQL, DuckDB). */
export const LEADING_NOISE = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()*/;

/** The statement's first words (at most eight), upper-cased, once `leadingNoise` is cut off. */
export function leadingWords(sql: string, leadingNoise: RegExp = LEADING_NOISE): string[] {
  return sql
    .replace(leadingNoise, '')
    .split(/\s+/, 8)
    .map((word) => word.toUpperCase());
}

/** The keyword a word starts with (`SELECT` of `SELECT*`); undefined when it starts with none. */
export function keywordOf(word: string | undefined): string | undefined {
  return /^[A-Z_]+/.exec(word ?? '')?.[0];
}

/**
 * The tag of a CREATE, DROP or ALTER statement: the verb and the first word after it that
 * is not one of `modifiers` (`CREATE OR REPLACE VIEW` → `CREATE VIEW`); undefined for any
 * other statement.
 */
export function schemaChangeTag(words: readonly string[], modifiers: ReadonlySet<string>): string | undefined {
  const verb = keywordOf(words[0]);
  if (verb !== 'CREATE' && verb !== 'DROP' && verb !== 'ALTER') return undefined;
  const kind = keywordOf(words.slice(1).find((word) => !modifiers.has(word)));
  return kind === undefined ? verb : `${verb} ${kind}`;
}
