/**
 * Source tables for the compiler's equivalence suite, written with one database's own
 * literals: every recipe feature kind's input (numbers light- and heavy-tailed, a
 * boolean, categories, cleaned text, a date, a timestamp, binned integers) under hostile
 * column names, and targets for the three tasks. The scoring rows add what training
 * never saw: unseen and unicode categories, NULLs, empty strings, extreme numbers and,
 * where the database has them, NaN, ±Infinity and infinite dates.
 */
import type { Adapter, TableRef } from '../../adapters/adapter.js';
import type { ColumnType } from '../../src/data.js';
import { mulberry32 } from '../../src/learn/random.js';

export type Cell = null | boolean | number | string | { readonly special: 'NaN' | 'Infinity' | '-Infinity' | 'infinity' | '-infinity' };

export interface SourceColumn {
  readonly name: string;
  readonly type: ColumnType;
}

/** Hostile names: quotes of both kinds, a semicolon, a keyword, unicode. */
export const COLUMNS = {
  id: { name: 'id', type: 'integer' },
  amount: { name: 'amount "q"', type: 'double' },
  bytes: { name: 'bytes`; DROP TABLE x', type: 'double' },
  flag: { name: 'select', type: 'boolean' },
  color: { name: "cölör's", type: 'text' },
  note: { name: 'Note', type: 'text' },
  day: { name: 'day', type: 'date' },
  at: { name: 'at', type: 'timestamp' },
  level: { name: 'level', type: 'integer' },
  count: { name: 'n', type: 'bigint' },
  word: { name: 'wörd', type: 'text' },
  body: { name: 'body', type: 'text' },
  yBinary: { name: 'y_bin', type: 'text' },
  yBoolean: { name: 'y_bool', type: 'boolean' },
  yClass: { name: 'y_class', type: 'integer' },
  yValue: { name: 'y_value', type: 'double' },
} as const satisfies Record<string, SourceColumn>;

export const TARGETS = [COLUMNS.yBinary, COLUMNS.yBoolean, COLUMNS.yClass, COLUMNS.yValue];

type Row = Record<keyof typeof COLUMNS, Cell>;


const COLORS = ['red', 'Green', 'blue ', 'Ünïcode', '日本', '🙂', '', 'RED'];
const VOCABULARY = ['The', 'cat', 'sat', 'on', 'mat', 'Café', 'naïve', 'über', '東京', '北京', '🙂', 'ok!', '(maybe)', '"quoted"', '¿qué?', 'x—y', 'dog', 'DOG', 'Straße', '…', 'ΟΔΟΣ', 'İzmir'];
const SPACES = [' ', ' ', ' ', '  ', '\u00a0', '\t', '\u3000', '\n'];

/** A sentence of 0..9 words between assorted whitespace (NBSP, ideographic space, tabs). */
function sentence(next: () => number): string {
  const words = Math.floor(next() * 10);
  let text = next() < 0.2 ? SPACES[Math.floor(next() * SPACES.length)]! : '';
  for (let w = 0; w < words; w++) {
    if (w > 0) text += SPACES[Math.floor(next() * SPACES.length)]!;
    text += VOCABULARY[Math.floor(next() * VOCABULARY.length)]!;
  }
  return text;
}

const NOTES = ['Hello, World!', 'hello world', '¡Hola!', '(x)', 'A—b', 'nbsp\u00a0word', '"quoted"', 'Straße…', 'ÉTÉ', '...', ''];

/** Training rows: the targets follow the inputs (with noise), so every weight is learnt. */
export function trainingRows(count: number): Row[] {
  const next = mulberry32(7);
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const amount = next() < 0.1 ? null : Math.round((next() * 200 - 50) * 1000) / 1000;
    const bytes = next() < 0.03 ? Math.round(next() * 1e8) : Math.round(next() * 100);
    const flag = next() < 0.1 ? null : next() < 0.5;
    const color = next() < 0.08 ? null : COLORS[Math.floor(next() * 7)]!;
    const note = next() < 0.05 ? null : NOTES[Math.floor(next() * NOTES.length)]!;
    const dayMs = Date.UTC(2015, 0, 1) + Math.floor(next() * 3000) * 86_400_000;
    const day = next() < 0.05 ? null : new Date(dayMs).toISOString().slice(0, 10);
    const atMs = dayMs + Math.floor(next() * 86_400) * 1000 + Math.floor(next() * 1000);
    const at = new Date(atMs).toISOString().replace('T', ' ').replace('Z', '');
    const level = Math.floor(next() * 50);
    const count = Math.floor(next() * 1000) - 500;
    const word = next() < 0.05 ? null : `${['w', 'W', 'ü', '字'][Math.floor(next() * 4)]}${Math.floor(next() * 60)}`;
    const body = next() < 0.05 ? null : sentence(next);
    const signal = (amount ?? 0) / 50 + (flag ? 1 : -0.5) + (color === 'red' ? 1 : color === '日本' ? -1 : 0) + level / 25 - 1 + (note?.toLowerCase().includes('hello') ? 0.7 : 0) + (body?.includes('cat') ? 0.8 : 0) + (word?.endsWith('7') ? -0.6 : 0) + (next() - 0.5);
    rows.push({
      id: i,
      amount,
      bytes,
      flag,
      color,
      note,
      day,
      at,
      level,
      count,
      word,
      body,
      yBinary: signal > 0.5 ? 'yes' : 'no',
      yBoolean: signal > 0.8,
      yClass: signal < 0 ? 10 : signal < 1.2 ? 20 : 30,
      yValue: signal * 3 + 0.25,
    });
  }
  return rows;
}

/** Rows the models never saw: unseen, unicode and empty values, NULLs, extremes; non-finite values where `nonFinite`. */
export function scoringRows(nonFinite: boolean): Row[] {
  const base = trainingRows(40).map((row, i) => ({ ...row, id: 1000 + i }));
  const blank: Row = { ...base[0]!, id: 2000, amount: null, bytes: null, flag: null, color: null, note: null, day: null, at: null, level: null, count: null, word: null, body: null };
  const odd: Row[] = [
    blank,
    { ...base[1]!, id: 2001, color: 'purple', note: 'HELLO,   World?! ΟΔΟΣ. İZMİR', word: 'never-seen', body: 'CAT sat… on the Mat!! ¡Olé! 🙂🙂', amount: 1e300, bytes: -12345.5, level: -3 },
    { ...base[2]!, id: 2002, color: 'Red', note: '  ¿¡ÉTÉ!?  ', word: '', body: '', amount: -1e300, bytes: 1e15, level: 49 },
    { ...base[3]!, id: 2003, color: 'red ', note: '\u3000(x)\u3000', word: 'W7', body: '\u3000 ... — !!! \u00a0', day: '1900-03-01', at: '2200-12-31 23:59:59.999999', level: 1000 },
    { ...base[4]!, id: 2004, color: '🙂🙂', note: 'A—b —', body: 'the cat the cat the cat the cat the cat the cat the cat the cat the cat the cat the cat', day: '2099-02-28', at: '1901-01-01 00:00:00' },
    { ...base[5]!, id: 2005, color: '', note: '', amount: 0, bytes: 0, count: 0 },
  ];
  if (nonFinite) {
    odd.push(
      { ...base[6]!, id: 2100, amount: { special: 'NaN' }, bytes: { special: 'Infinity' }, day: { special: 'infinity' }, at: { special: '-infinity' } },
      { ...base[7]!, id: 2101, amount: { special: '-Infinity' }, bytes: { special: 'NaN' }, day: { special: '-infinity' }, at: { special: 'infinity' } },
    );
  }
  return [...base, ...odd];
}

function literal(adapter: Adapter, type: ColumnType, cell: Cell): string {
  const sql = adapter.sql;
  const double = (text: string): string => `CAST(${sql.quoteString(text)} AS ${sql.split.doubleCast})`;
  if (cell === null) return 'NULL';
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
  if (typeof cell === 'object') return type === 'double' ? double(cell.special) : sql.quoteString(cell.special);
  if (typeof cell === 'number') return type === 'double' ? double(String(cell)) : String(cell);
  return sql.quoteString(cell);
}

/** Creates `table` with every column and inserts `rows`. */
export async function createSource(adapter: Adapter, table: TableRef, rows: readonly Row[]): Promise<void> {
  const sql = adapter.sql;
  const entries = Object.entries(COLUMNS) as [keyof typeof COLUMNS, SourceColumn][];
  const quoted = sql.quoteTable(table);
  await adapter.query(`DROP TABLE IF EXISTS ${quoted}`);
  await adapter.query(`CREATE TABLE ${quoted} (${entries.map(([, c]) => `${sql.quoteIdent(c.name)} ${sql.types.sqlTypeFor[c.type]}`).join(', ')})`);
  for (let start = 0; start < rows.length; start += 200) {
    const values = rows.slice(start, start + 200).map((row) => `(${entries.map(([key, c]) => literal(adapter, c.type, row[key])).join(', ')})`);
    await adapter.query(`INSERT INTO ${quoted} VALUES ${values.join(', ')}`);
  }
}
