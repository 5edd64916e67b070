/**
 * The rows a training in the database works on, materialized once per training: each
 * row's encoded features and label (objective-sql.ts compileEncoding: what every
 * iteration sums, computed here once instead of in each iteration's query), its split
 * role (`sqlml_role`, src/learn/split.ts RowRole, computed in SQL by split-sql.ts exactly
 * as the stream assigns it) and a sample key (`sqlml_pick`), for rows with a target; the
 * source's columns only on the rows read back as they are (held out, or in the sample's
 * reach) where the dialect can leave them out of the others. Why a table: the role needs ROW_NUMBER over
 * every column (a window: serial, a sort), far too costly to repeat in every iteration's
 * aggregate; the table is read by plain scans, which PostgreSQL runs with parallel workers.
 *
 * It is built by ONE `CREATE … TABLE … AS SELECT` (PostgreSQL parallelises the scan of a
 * CTAS, never of an INSERT … SELECT), spelled by the dialect's `scratchTable` fact, and
 * dropped in a `finally` (after a cancel too). Its name is the model's and the training's
 * own (`sqlml_scratch_<name>_<md5 digits of the name>_<random digits>`), so two trainings
 * of one model at the same moment each have their own. While it lives, a lock of the same
 * name is held by a session of the training's (Adapter.holdLock), which the server frees
 * when the process dies, however it dies: a scratch table whose lock is free is a dead
 * training's leftover, and every training drops those before building its own. (A name
 * shared per model would not do even with a lock: a PostgreSQL backend whose client was
 * killed runs its CREATE TABLE … AS to the end, and would commit the table under the feet
 * of the next training.)
 */
import { randomBytes } from 'node:crypto';
import type { Adapter, HeldLock } from '../../adapters/adapter.js';
import type { Column } from '../data.js';
import { SqlmlError } from '../errors.js';
import { md5Utf8, md5Word } from '../learn/md5.js';
import { ENCODED_LABEL, type EncodedColumn, type ObjectiveEncoding } from '../compile/objective-sql.js';
import { RowRole } from '../learn/split.js';
import type { RoleFractions } from './split-sql.js';
import { CONTENT_HASH_COLUMN, contentHashSql, hashLayers, occurrenceSql, roleSql, sampleKeySteps, validationHashSteps } from './split-sql.js';
import { secondsSince } from './context.js';

/** Every scratch table's name starts so (tests look for leftovers by it). */
export const SCRATCH_PREFIX = 'sqlml_scratch_';
export const ROLE_COLUMN = 'sqlml_role';
export const PICK_COLUMN = 'sqlml_pick';

/** A scratch table's name: the prefix, the model's readable name and digits, the training's digits. */
const SCRATCH_NAME = /^sqlml_scratch_[a-z0-9_]*_[0-9a-f]{8}_[0-9a-f]{8}$/;

/**
 * The start of model `model`'s scratch tables' names: its name in lower-case letters,
 * digits and underscores (cut so the whole name fits every database's 63-character names
 * and MariaDB's 64-character lock names), then 8 hex digits of md5 of the exact name, so
 * two models whose names read alike get two prefixes.
 */
export function scratchTablePrefix(model: string): string {
  const readable = model.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 24);
  md5Utf8(model);
  const digits = (md5Word(0) >>> 0).toString(16).padStart(8, '0');
  return `${SCRATCH_PREFIX}${readable}_${digits}_`;
}

/** The scratch table of one training of model `model`: the model's prefix and 8 random hex digits. */
export function scratchTableName(model: string, training = randomBytes(4).toString('hex')): string {
  return `${scratchTablePrefix(model)}${training}`;
}

export interface ScratchPlan {
  /** The source as stored with the model: a parenthesized SELECT or a quoted table. */
  readonly source: string;
  /** All the source's columns (the split hashes and partitions by every one of them). */
  readonly columns: readonly Column[];
  readonly targetIndex: number;
  readonly fractions: RoleFractions;
  readonly seed: number;
  /** The objective's encoded columns (objective-sql.ts compileEncoding), computed here once for every iteration to read. */
  readonly encoding: ObjectiveEncoding;
  /**
   * The source's columns are kept on the held-out rows (the evaluation scores them) and
   * on the rows whose sample key is below this (the warm start's sample reads them),
   * NULL elsewhere where the dialect can (scratchTable.keepIf).
   */
  readonly rawBelow: number;
}

/** The SELECT whose rows the scratch table holds (pure: text in, text out). */
export function scratchSelect(adapter: Adapter, plan: ScratchPlan): string {
  const dialect = adapter.sql;
  const q = (name: string): string => dialect.quoteIdent(name);
  const own = new Set([ROLE_COLUMN, PICK_COLUMN, ...plan.encoding.inner.map((c) => c.name)]);
  const clash = plan.columns.find((c) => own.has(c.name.toLowerCase()));
  if (clash !== undefined) throw new SqlmlError('unsupported', `column ${clash.name} of the source has a name training in the database uses itself; rename it in the source's SELECT`);
  let hashed: string;
  try {
    hashed = contentHashSql(dialect.split, plan.source, plan.columns.map((c) => ({ sql: q(c.name), type: c.type })), plan.seed);
  } catch (error) {
    throw new SqlmlError('unsupported', `the split cannot be computed in the ${dialect.name} database: ${(error as Error).message}`);
  }
  const target = q(plan.columns[plan.targetIndex]!.name);
  const needsValidation = plan.fractions.validationFraction > 0;
  const fence = dialect.split.layerFence;
  const partition = occurrenceSql(plan.columns.map((c) => dialect.split.partitionKey(`v.${q(c.name)}`, c.type)));
  const role = roleSql({ contentHash: CONTENT_HASH_COLUMN, validationHash: needsValidation ? 'sqlml_vh' : null, occurrence: 'sqlml_k' }, plan.fractions);
  // Rows without a target take no part, and are not counted as occurrences (RowSplitter skips them so).
  // The hashes are computed in layers (split-sql.ts hashLayers), which keeps each
  // expression short: the validation hash below the window, where PostgreSQL's workers
  // compute it, and the sample key, which needs the occurrence, above it. (The features'
  // encoding below the window too measured no faster: the sort then carries and spills
  // twice the bytes.)
  const targeted = `(SELECT h.* FROM (${hashed}) h WHERE h.${target} IS NOT NULL${fence})`;
  const withHashes = `${needsValidation ? hashLayers(dialect.split, targeted, 'sqlml_vh', validationHashSteps(dialect.split, CONTENT_HASH_COLUMN)) : targeted} v`;
  const withOccurrence = `(SELECT v.*, ${partition} AS sqlml_k FROM ${withHashes}${fence})`;
  const withPick = hashLayers(dialect.split, withOccurrence, PICK_COLUMN, sampleKeySteps(dialect.split, CONTENT_HASH_COLUMN, 'sqlml_k'));
  const withRole = `(SELECT o.*, ${role} AS ${ROLE_COLUMN} FROM ${withPick} o) r`;
  const select = (columns: readonly EncodedColumn[]): string[] => columns.map((c) => `${c.sql} AS ${q(c.name)}`);
  const translated = `(SELECT r.*, ${select(plan.encoding.inner).join(', ')} FROM ${withRole}${fence}) e`;
  const keepIf = dialect.scratchTable.keepIf;
  const readBack = `(e.${ROLE_COLUMN} = ${RowRole.Holdout} OR e.${PICK_COLUMN} < ${plan.rawBelow})`;
  const raw = plan.columns.map((c) => `${keepIf === undefined ? `e.${q(c.name)}` : keepIf(readBack, `e.${q(c.name)}`)} AS ${q(c.name)}`);
  // The encoded columns first: a row store's scan stops unpacking a row at the last column a query reads.
  // Rows whose label the learner cannot read (y NULL: an unseen class, a non-finite number)
  // are no training or validation rows, as the stream skips them; the held-out rows stay
  // whole, for the evaluation to count as the stream's does.
  return (
    `SELECT ${[...select(plan.encoding.outer), `e.${ROLE_COLUMN} AS ${ROLE_COLUMN}`, `e.${PICK_COLUMN} AS ${PICK_COLUMN}`, ...raw].join(', ')} ` +
    `FROM ${translated} WHERE e.${ROLE_COLUMN} = ${RowRole.Holdout} OR e.${q(ENCODED_LABEL)} IS NOT NULL`
  );
}

/** The materialized rows: the table's quoted name, its rows per role (with a usable label), and the seconds building took. */
export interface ScratchTable {
  readonly table: string;
  /** The lock that marks the table as in use, released when it is dropped. */
  readonly lock: HeldLock;
  /** Rows per RowRole (train, validation, held out). */
  readonly roleCounts: readonly [number, number, number];
  readonly seconds: number;
  readonly queries: number;
}

/**
 * Builds a scratch table of model `model` from `select`, under a name of its own whose
 * lock it holds (dropping dead trainings' leftovers first), and counts its rows per role.
 * On failure nothing is left.
 */
export async function createScratchTable(adapter: Adapter, model: string, select: string, signal: AbortSignal | undefined): Promise<ScratchTable> {
  const started = performance.now();
  const options = signal ? { signal } : {};
  // The lock first: the table never exists without it, so no other training takes it for a leftover.
  const name = scratchTableName(model);
  const lock = await adapter.holdLock(name);
  if (lock === null) throw new SqlmlError('internal', `the lock of the new scratch table ${name} is held by another session`);
  const table = adapter.sql.quoteIdent(name);
  try {
    const swept = await dropLeftovers(adapter);
    await adapter.query(`${adapter.sql.scratchTable.create} ${table} AS ${select}`, options);
    const analyze = adapter.sql.scratchTable.analyze?.(table);
    if (analyze !== undefined) await adapter.query(analyze, options);
    // Rows with a label the learner reads (sqlml_y not NULL), as the stream counts its rows per role.
    const counts = await adapter.query(`SELECT ${ROLE_COLUMN}, COUNT(${adapter.sql.quoteIdent(ENCODED_LABEL)}) FROM ${table} GROUP BY ${ROLE_COLUMN}`, options);
    const roleCounts: [number, number, number] = [0, 0, 0];
    for (const [role, n] of counts.rows) roleCounts[Number(role)] = Number(n);
    return { table, lock, roleCounts, seconds: secondsSince(started), queries: swept + (analyze === undefined ? 2 : 3) };
  } catch (error) {
    await dropScratchTable(adapter, { table, lock });
    throw error;
  }
}

/**
 * Drops a scratch table and frees its lock, without a signal (it runs after a cancel).
 * Best effort: a server that is gone keeps the table, with its lock freed, for the next
 * training to drop, and the error that ended the training is the one reported.
 */
export async function dropScratchTable(adapter: Adapter, scratch: Pick<ScratchTable, 'table' | 'lock'>): Promise<void> {
  await adapter.query(`DROP TABLE IF EXISTS ${scratch.table}`).catch(() => undefined);
  await scratch.lock.release();
}

/**
 * Drops the scratch tables (of any model) in the current schema whose lock is free: their
 * training's process has died. A table whose lock a live session holds is left to it.
 * Best effort (a user who may not list or drop them still trains). Returns the queries run.
 */
export async function dropLeftovers(adapter: Adapter): Promise<number> {
  let queries = 1;
  try {
    const { schema } = await adapter.introspect.location();
    const listed = await adapter.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = ${adapter.sql.quoteString(schema)} AND table_name LIKE 'sqlml%'`);
    for (const [name] of listed.rows) {
      if (typeof name !== 'string' || !SCRATCH_NAME.test(name)) continue;
      const lock = await adapter.holdLock(name);
      if (lock === null) continue;
      queries++;
      await dropScratchTable(adapter, { table: adapter.sql.quoteIdent(name), lock });
    }
  } catch {
    // Listing or dropping needs privileges the training itself may not: leave them.
  }
  return queries;
}
