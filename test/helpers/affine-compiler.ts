/**
 * A stand-in model-to-SQL compiler for the engine's own tests: it compiles models whose
 * inputs are all numeric and whose linear score is affine in them (standardized
 * numbers, no NULLs in the rows scored), by probing the streaming Scorer at the origin
 * and at each unit vector. It lets the engine's database paths (choice, PREDICT with and
 * without INTO, EXPLAIN, the CTAS-and-swap and its failures) be tested against the real
 * databases independently of src/compile, whose own equivalence suite covers every
 * transform. Models with any other input do not compile, with a reason.
 */
import type { SqlDialect } from '../../adapters/dialect.js';
import type { CompileModel, CompiledModel } from '../../src/compile/index.js';
import { isNumberType, type Column, type ColumnData, type NumberColumnData } from '../../src/data.js';
import { predictionColumns, Scorer } from '../../src/engine/predict.js';
import type { TrainedModel } from '../../src/learn/model.js';

export const STAND_IN_REASON = 'the stand-in compiler takes numeric inputs only';

export const affineCompiler: CompileModel = (model, dialect, sourceColumns) => {
  const inputs = model.inputColumns.filter((column) => column.name !== model.target.name);
  const columns = inputs.map((input) => sourceColumns.find((column) => column.name === input.name));
  if (columns.some((column) => column === undefined || !isNumberType(column.type))) return { ok: false, reason: STAND_IN_REASON };
  return { ok: true, compiled: compileAffine(model, dialect, columns as Column[]) };
};

/** The linear score (logit, or the value) at each probe row: the origin, then each unit vector. */
function probe(model: TrainedModel, columns: readonly Column[]): number[] {
  const rows = columns.length + 1;
  const data: ColumnData[] = columns.map((_, c) => {
    const values = new Float64Array(rows);
    values[c + 1] = 1;
    return { kind: 'number', values, nulls: new Uint8Array(rows) } satisfies NumberColumnData;
  });
  const scored = new Scorer(model, columns).score({ rowCount: rows, columns: data });
  const out = (scored.at(-1) as NumberColumnData).values;
  return Array.from(out, (p) => (model.task === 'regression' ? p : Math.log(p / (1 - p))));
}

function literal(label: string, type: Column['type'], dialect: SqlDialect): string {
  return type === 'text' || type === 'other' ? dialect.quoteString(label) : label;
}

function compileAffine(model: TrainedModel, dialect: SqlDialect, columns: readonly Column[]): CompiledModel {
  if (model.task === 'multiclass') throw new Error('the stand-in compiler has no multiclass');
  const z = probe(model, columns);
  const linear = (column: (name: string) => string): string =>
    [String(z[0]), ...columns.map((c, i) => `(${String(z[i + 1]! - z[0]!)}) * ${column(c.name)}`)].join(' + ');
  const outputs = predictionColumns(model);
  const expressions = (column: (name: string) => string): Record<string, string> => {
    if (model.task === 'regression') return { predicted_value: `(${linear(column)})` };
    const score = `(1.0 / (1.0 + EXP(-(${linear(column)}))))`;
    const [negative, positive] = model.label.classes.map((label) => literal(label, model.target.type, dialect));
    return { predicted_label: `CASE WHEN ${score} >= ${model.options.threshold} THEN ${positive} ELSE ${negative} END`, score };
  };
  return {
    outputs,
    expressions,
    select(source, keep) {
      const computed = expressions((name) => `sqlml_src.${dialect.quoteIdent(name)}`);
      const list = [
        ...keep.map((name) => `sqlml_src.${dialect.quoteIdent(name)}`),
        ...outputs.map((output) => `${computed[output.name]!} AS ${dialect.quoteIdent(output.name)}`),
      ];
      return `SELECT ${list.join(', ')} FROM ${source} AS sqlml_src`;
    },
  };
}
