/**
 * Reading the catalog queries psql and JDBC send, just enough to answer them
 * (pg-catalog.ts): the select list of a query, split into its items and what each item
 * asks for; the string literals that carry the client's patterns; PostgreSQL regular
 * expressions and LIKE patterns as JavaScript RegExps. Nothing here runs SQL.
 */
import { SqlmlError } from '../errors.js';
import type { Value } from '../data.js';

/** One item of a select list: the column it makes and the value it asks for. */
export interface SelectItem {
  /** The result column's name: its alias, else what PostgreSQL would call it. */
  readonly name: string;
  /** The emulated catalog field it reads (lowercase), or null for a literal. */
  readonly key: string | null;
  /** A literal item's value (`''`, `NULL`, `false`, `0`). */
  readonly literal: Value;
}

/** The catalog functions whose result an item stands for, whatever their arguments. */
const KNOWN_FUNCTIONS = ['format_type', 'pg_get_viewdef', 'pg_get_expr', 'pg_get_indexdef', 'pg_get_constraintdef', 'pg_get_userbyid', 'col_description', 'obj_description', 'pg_encoding_to_char'];

/** Most characters of a catalog query read: psql's and JDBC's are a few KB. */
const MAX_QUERY_CHARS = 64 * 1024;

/**
 * Walks `text` at parenthesis depth 0, outside quotes and comments, calling `visit` with
 * each position; `visit` returning true stops the walk.
 */
function walkTopLevel(text: string, from: number, visit: (index: number) => boolean): void {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      // E'…' strings escape with backslashes; others double the quote.
      const backslashes = ch === "'" && i > 0 && /[eE]/.test(text[i - 1]!) && (i < 2 || !/\w/.test(text[i - 2]!));
      for (i++; i < text.length; i++) {
        if (backslashes && text[i] === '\\') i++;
        else if (text[i] === ch) {
          if (text[i + 1] === ch) i++;
          else break;
        }
      }
      continue;
    }
    if (ch === '-' && text[i + 1] === '-') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && visit(i)) return;
  }
}

function keywordAt(text: string, index: number, keyword: string): boolean {
  return (
    text.slice(index, index + keyword.length).toUpperCase() === keyword &&
    (index === 0 || !/[\w$.]/.test(text[index - 1]!)) &&
    !/[\w$]/.test(text[index + keyword.length] ?? '')
  );
}

/**
 * The items of the query's outermost select list. A `SELECT * FROM (SELECT …) alias`
 * (JDBC's getColumns) gives the inner query's items.
 */
export function selectItems(query: string): SelectItem[] {
  if (query.length > MAX_QUERY_CHARS) throw new SqlmlError('unsupported', `a catalog query of ${query.length} characters is longer than sqlml reads (${MAX_QUERY_CHARS})`);
  const text = query.trim();
  let start = -1;
  walkTopLevel(text, 0, (i) => {
    if (keywordAt(text, i, 'SELECT')) {
      start = i + 'SELECT'.length;
      return true;
    }
    return false;
  });
  if (start < 0) return [];
  let end = text.length;
  const commas: number[] = [];
  walkTopLevel(text, start, (i) => {
    if (keywordAt(text, i, 'FROM')) {
      end = i;
      return true;
    }
    if (text[i] === ',') commas.push(i);
    return false;
  });
  const bounds = [start, ...commas.map((c) => c + 1), end + 1];
  const raw = bounds.slice(0, -1).map((from, k) => text.slice(from, bounds[k + 1]! - 1).trim());
  if (raw.length === 1 && raw[0] === '*') {
    const inner = text.indexOf('(', end);
    return inner < 0 ? [] : selectItems(text.slice(inner + 1));
  }
  return raw.filter((item) => item !== '').map(selectItem);
}

function selectItem(item: string): SelectItem {
  let expression = item;
  let alias: string | undefined;
  const aliased = /\s+AS\s+(?:"((?:[^"]|"")*)"|([A-Za-z_][\w$]*))\s*$/i.exec(item);
  if (aliased) {
    alias = aliased[1] !== undefined ? aliased[1].replaceAll('""', '"') : aliased[2]!;
    expression = item.slice(0, aliased.index).trim();
  }
  const literal = literalValue(expression);
  if (literal !== undefined) return { name: alias ?? '?column?', key: null, literal };
  const known = KNOWN_FUNCTIONS.find((name) => new RegExp(`\\b${name}\\s*\\(`, 'i').test(expression));
  const last = /([A-Za-z_][\w$]*)\s*$/.exec(expression)?.[1];
  const called = /^(?:[\w$]+\.)?([A-Za-z_][\w$]*)\s*\(/.exec(expression)?.[1];
  const key = (alias ?? known ?? last ?? called ?? '?column?').toLowerCase();
  return { name: alias ?? known ?? last ?? called ?? '?column?', key, literal: null };
}

function literalValue(expression: string): Value | undefined {
  if (/^NULL$/i.test(expression)) return null;
  if (/^(true|false)$/i.test(expression)) return expression.toLowerCase() === 'true';
  if (/^-?\d+$/.test(expression)) return Number(expression);
  const string = /^'((?:[^']|'')*)'$/.exec(expression);
  return string ? string[1]!.replaceAll("''", "'") : undefined;
}

/** The string literal right after `prefix` (a RegExp source) in `query`, decoded; undefined when absent. */
export function literalAfter(query: string, prefix: string): string | undefined {
  // Standard strings double their quotes and keep backslashes; E'' strings escape with backslashes.
  const match = new RegExp(`${prefix}\\s*(?:[eE]'((?:[^'\\\\]|''|\\\\.)*)'|'((?:[^']|'')*)')`, 'is').exec(query);
  if (!match) return undefined;
  if (match[2] !== undefined) return match[2].replaceAll("''", "'");
  return match[1]!.replace(/\\(.)|''/gs, (_all, escaped: string | undefined) => (escaped === undefined ? "'" : (C_ESCAPES[escaped] ?? escaped)));
}

/** The one-letter escapes of E'' strings. */
const C_ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Every string literal inside the first `name IN (…)` list after `prefix`. */
export function literalList(query: string, prefix: string): string[] | undefined {
  const match = new RegExp(`${prefix}\\s+IN\\s*\\(([^)]*)\\)`, 'i').exec(query);
  if (!match) return undefined;
  return [...match[1]!.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replaceAll("''", "'"));
}

/** A PostgreSQL regular expression (psql's patterns: `^(name)$`, `^(t.*)$`) as a RegExp. */
export function postgresRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    throw new SqlmlError('unsupported', `the pattern ${pattern} is not a regular expression sqlml can match names with`);
  }
}

/** A LIKE pattern (`%`, `_`, `\` escapes: JDBC's name patterns) as an anchored RegExp. */
export function likeRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) source += escapeRegex(pattern[++i]!);
    else if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += escapeRegex(ch);
  }
  return new RegExp(`^${source}$`, 'su');
}

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** A name as PostgreSQL prints it in generated SQL (pg_get_indexdef): quoted unless plain lowercase. */
export function postgresIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
