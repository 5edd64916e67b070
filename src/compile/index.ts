/**
 * A stored model compiled into one database's SQL, so the database computes the
 * predictions (and from them the metrics) without a row leaving it. Pure: it takes the
 * model and the dialect's facts (adapters/dialect.ts) and returns text; it runs nothing.
 * One translation per recipe feature kind; what differs per database is asked of the
 * dialect object by name.
 */
import type { Column } from '../data.js';
import type { TrainedModel } from '../learn/model.js';
import type { SqlDialect } from '../../adapters/dialect.js';

/** SQL expressions over one row's input columns. */
export type ColumnExpressions = (column: string) => string;

export interface CompiledModel {
  /**
   * The prediction columns, in order, as the streaming Scorer makes them
   * (src/engine/predict.ts predictionColumns): `predicted_label`, `score` for
   * classifiers; `predicted_value` for regression.
   */
  readonly outputs: readonly Column[];
  /**
   * One SQL expression per output, computing it from the input columns given by
   * `columns` (each a column reference or a function parameter, already quoted). Text
   * features use scalar subqueries, so the expressions also serve as a function body.
   */
  expressions(columns: ColumnExpressions): Readonly<Record<string, string>>;
  /**
   * `SELECT <keep columns>, <outputs> FROM <source>`: `source` is a parenthesized
   * subquery or a quoted table name, `keep` the source's column names passed through
   * first (quoted by the dialect). Ready to paste into a view.
   * `probabilityOf` (classifiers; an expression over the kept columns, e.g. the actual
   * label): one more column last, `probability_of`, the probability the model gives that
   * label, NULL for none of its classes — computed from the layers' probabilities, so
   * EVALUATE's log loss costs no second computation of the margins (`probabilityOf()`
   * below repeats them).
   */
  select(source: string, keep: readonly string[], probabilityOf?: string): string;
  /**
   * Classifiers: the probability the model gives the label the expression `label` holds
   * (in the target's type), for EVALUATE's log loss; NULL for a label that is none of the
   * model's classes. A regression model has none (calling it throws).
   */
  probabilityOf?(columns: ColumnExpressions, label: string): string;
}

export type Compilation =
  | { readonly ok: true; readonly compiled: CompiledModel }
  /** `reason` names what cannot be expressed, e.g. "text feature body: MySQL has no regular-expression split". */
  | { readonly ok: false; readonly reason: string };

/**
 * Compiles `model` for `dialect`, reading a source with `sourceColumns` (the names and
 * types the source gives; a feature column missing from them is the caller's error, as
 * on the streaming path).
 */
export type CompileModel = (model: TrainedModel, dialect: SqlDialect, sourceColumns: readonly Column[]) => Compilation;

import { compileModel as compile } from './compile-model.js';

/** The compiler (src/compile/compile-model.ts). */
export const compileModel: CompileModel = compile;
