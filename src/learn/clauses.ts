/**
 * The parts of a statement the learner reads: a RECIPE clause's transforms and a USING
 * clause's option assignments. The learner declares the shapes it needs here instead of
 * importing the parser's tree, so it does not depend on src/sql; the parser's objects
 * have these shapes, so the engine hands them over as they are.
 */

/** Where a transform was written, for messages. */
export interface SourcePosition {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

/** A column name as written: `quoted` names keep their case. */
export interface Identifier {
  readonly value: string;
  readonly quoted: boolean;
}

/** An argument of a recipe transform: a column, a number, a string, or a nested transform. */
export type TransformArg =
  | { readonly kind: 'column'; readonly name: Identifier }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'transform'; readonly transform: Transform };

/** `quantile_bin(age, 10)`, `ngram(lowercase(text), 2)`...: name lower-cased, not yet validated. */
export interface Transform {
  readonly name: string;
  readonly args: readonly TransformArg[];
  readonly position: SourcePosition;
}

/** The value of a USING option. */
export type OptionValue =
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'identifier'; readonly value: string };

/** `name = value` in a USING clause. */
export interface OptionAssignment {
  /** Lower-cased option name. */
  readonly name: string;
  readonly value: OptionValue;
}
