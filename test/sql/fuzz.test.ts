import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqlSyntaxError } from '../../src/errors.js';
import { isReservedWord } from '../../src/sql/keywords.js';
import { parseScript, SCRIPT_START, splitScript, toSql } from '../../src/sql/index.js';
import type {
  Identifier,
  ModelRef,
  OptionAssignment,
  OptionValue,
  Source,
  Statement,
  TableName,
  Transform,
  TransformArg,
} from '../../src/sql/index.js';
import { stripLayout } from './strip.js';
import { lexical, spelling, type DialectName } from './dialects.js';

const DIALECTS: readonly DialectName[] = ['duckdb', 'postgres', 'mysql'];
const P = SCRIPT_START;

/** Runs `parseScript`; anything thrown other than a SqlSyntaxError fails the property. */
function parsesOrRefuses(text: string, dialect: DialectName): Statement[] | null {
  try {
    return parseScript(text, lexical(dialect));
  } catch (error) {
    if (error instanceof SqlSyntaxError) return null;
    throw error;
  }
}

/** Line and column of `offset`, counted the slow, obvious way. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const lines = text.slice(0, offset).split(/\r\n|\r|\n/);
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

// ---- token soups -------------------------------------------------------------------

const PIECES = [
  'CREATE', 'create', 'OR', 'REPLACE', 'MODEL', 'models', 'IF', 'NOT', 'EXISTS', 'FROM', 'PREDICT', 'RECIPE',
  'USING', 'TRAIN', 'RETRAIN', 'EVALUATE', 'ON', 'INTO', 'KEY', 'APPEND', 'SHOW', 'MODELS', 'DESCRIBE', 'DROP',
  'EXPLAIN', 'JOB', 'JOBS', 'RUN', 'SCHEDULE', 'EVERY', 'AS', 'EXPORT', 'FUNCTION', 'TRUE', 'false', 'SELECT', 'm', 'churn', 't', 'y', 'e', 'ngram',
  '"Q"', '""', '`b`', "'s'", "E'x\\''", '$$', '$t$', '$1', '1', '-2.5', '.5', '1e-6', '(', ')', ',', ';', '.', '=',
  '@', '-', '--', '#', '/*', '*/', "'", '"', '`', '\\', '\n', '\r\n', ' ',
];

const soup = fc
  .tuple(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), fc.constantFrom(' ', '', '\n', '  '))
  .map(([pieces, separator]) => pieces.join(separator));

// ---- valid statement trees ---------------------------------------------------------

const clauseLikeWords = fc.constantFrom('if', 'model', 'Models', 'exists', 'not', 'or', 'true', 'job', 'e', 'E', 'x$1');
const bareWord = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,7}$/).filter((w) => !isReservedWord(w)),
  clauseLikeWords,
);
/** Characters that matter to quoting and comments, often; any other code unit sometimes. */
const trickyChar = fc.oneof(
  fc.constantFrom("'", '"', '`', '\\', ';', '(', ')', '$', '-', '#', '*', '/', '\n', '\r', ' ', 'a', 'Z'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const quotedText = fc.string({ unit: trickyChar, minLength: 1, maxLength: 10 });

const identifier: fc.Arbitrary<Identifier> = fc.oneof(
  bareWord.map((value) => ({ value, quoted: false, position: P })),
  quotedText.map((value) => ({ value, quoted: true, position: P })),
);

const tableName: fc.Arbitrary<TableName> = fc
  .tuple(fc.option(identifier, { nil: undefined }), identifier)
  .map(([schema, name]) => (schema ? { schema, name } : { name }));

const modelRef: fc.Arbitrary<ModelRef> = fc
  .tuple(identifier, fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }))
  .map(([name, version]) => (version === undefined ? { name } : { name, version }));

const numberLiteral = fc
  .tuple(
    fc.constantFrom('', '-'),
    fc.oneof(
      fc.nat(1_000_000).map(String),
      fc.double({ min: 0, max: 1e300, noNaN: true }).map(String),
      fc.constantFrom('.5', '1e-6', '2E+3', '3.', '007'),
    ),
  )
  .map(([sign, digits]) => {
    const text = sign + digits;
    return { kind: 'number' as const, value: Number(text), text };
  });

const stringValue = fc.string({ unit: trickyChar, maxLength: 12 });

const QUERIES: Record<DialectName, readonly string[]> = {
  duckdb: [
    'SELECT * FROM customers',
    "SELECT a, (b + 1) AS c, ')' AS d FROM \"T\" WHERE e = ';'",
    'WITH x AS (SELECT 1 AS y) SELECT * FROM x',
    'SELECT $$);$$ AS body -- note\nFROM t',
  ],
  postgres: ["SELECT E'\\')' AS q, $f$;$f$ AS r FROM t", 'SELECT 1 /* ) */ AS x'],
  mysql: ["SELECT `a;`, \"b)\", 'c\\'' FROM t # note\nWHERE 1", 'SELECT 1 AS x'],
};

const PASS_THROUGH: readonly string[] = [
  'SELECT 1',
  "DELETE FROM scores WHERE day < '2024-01-01'",
  'DESCRIBE bank',
  'DESCRIBE data',
  'SHOW TABLES',
  'INSERT INTO log VALUES (1, 2)',
];

function statementTree(dialect: DialectName): fc.Arbitrary<Statement> {
  const source: fc.Arbitrary<Source> = fc.oneof(
    tableName.map((table) => ({ kind: 'table' as const, table })),
    fc.constantFrom(...QUERIES[dialect]).map((sql) => ({ kind: 'query' as const, sql, position: P })),
  );

  const { transform } = fc.letrec<{ transform: Transform; arg: TransformArg }>((tie) => ({
    transform: fc.record({
      name: fc.oneof(fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/), fc.constantFrom('replace', 'from', 'key')),
      args: fc.array(tie('arg'), { minLength: 1, maxLength: 3 }),
      position: fc.constant(P),
    }),
    arg: fc.oneof(
      { maxDepth: 3, depthIdentifier: 'recipe' },
      identifier.map((name) => ({ kind: 'column' as const, name })),
      numberLiteral,
      stringValue.map((value) => ({ kind: 'string' as const, value })),
      tie('transform').map((t) => ({ kind: 'transform' as const, transform: t })),
    ),
  }));

  const optionValue: fc.Arbitrary<OptionValue> = fc.oneof(
    numberLiteral,
    stringValue.map((value) => ({ kind: 'string' as const, value })),
    fc.boolean().map((value) => ({ kind: 'boolean' as const, value })),
    fc.oneof(bareWord, quotedText).map((value) => ({ kind: 'identifier' as const, value })),
  );

  const options: fc.Arbitrary<OptionAssignment[]> = fc
    .uniqueArray(fc.stringMatching(/^[a-z_][a-z0-9_]{0,9}$/).filter((w) => !isReservedWord(w)), { maxLength: 4 })
    .chain((names) => fc.tuple(...names.map((name) => optionValue.map((value) => ({ name, value, position: P })))));

  const base = { text: '', start: P };
  const simple: fc.Arbitrary<Statement> = fc.oneof(
    fc
      .record({
        train: fc.boolean(),
        orReplace: fc.boolean(),
        ifNotExists: fc.boolean(),
        name: identifier,
        source,
        target: identifier,
        recipe: fc.option(fc.array(transform, { minLength: 1, maxLength: 3 }), { nil: null }),
        options,
      })
      .map((r) => ({
        kind: 'create_model' as const,
        ...base,
        ...r,
        // TRAIN MODEL always means OR REPLACE and has no IF NOT EXISTS.
        orReplace: r.train || r.orReplace,
        ifNotExists: !r.train && r.ifNotExists,
      })),
    fc
      .record({ model: modelRef, source: fc.option(source, { nil: null }), options })
      .map((r) => ({ kind: 'retrain_model' as const, ...base, ...r })),
    fc
      .record({ model: modelRef, source: fc.option(source, { nil: null }), options })
      .map((r) => ({ kind: 'evaluate_model' as const, ...base, ...r })),
    fc
      .record({
        model: modelRef,
        source,
        into: fc.option(
          fc.record({
            table: tableName,
            key: fc.array(identifier, { maxLength: 3 }),
            mode: fc.constantFrom('replace' as const, 'append' as const),
          }),
          { nil: null },
        ),
        options,
      })
      .map((r) => ({ kind: 'predict' as const, ...base, ...r })),
    fc.record({ model: modelRef, source, options }).map((r) => ({ kind: 'explain_predict' as const, ...base, ...r })),
    fc.constant({ kind: 'show_models' as const, ...base }),
    modelRef.map((model) => ({ kind: 'describe_model' as const, ...base, model })),
    modelRef.map((model) => ({ kind: 'show_weights' as const, ...base, model })),
    fc.record({ ifExists: fc.boolean(), name: identifier }).map((r) => ({ kind: 'drop_model' as const, ...base, ...r })),
    fc.record({ model: modelRef, function: tableName }).map((r) => ({ kind: 'export_model' as const, ...base, ...r })),
    fc.constant({ kind: 'show_jobs' as const, ...base }),
    identifier.map((name) => ({ kind: 'run_job' as const, ...base, name })),
    fc.record({ ifExists: fc.boolean(), name: identifier }).map((r) => ({ kind: 'drop_job' as const, ...base, ...r })),
    identifier.map((name) => ({ kind: 'show_versions' as const, ...base, name })),
    fc
      .record({ name: identifier, version: fc.integer({ min: 1, max: 1_000_000 }) })
      .map((r) => ({ kind: 'activate_model' as const, ...base, ...r })),
    fc.record({ source, target: fc.option(identifier, { nil: null }) }).map((r) => ({ kind: 'describe_data' as const, ...base, ...r })),
    fc.record({ model: modelRef, source }).map((r) => ({ kind: 'monitor_model' as const, ...base, ...r })),
    fc.constantFrom(...PASS_THROUGH).map((text) => ({ kind: 'pass_through' as const, text, start: P })),
  );

  const job = (body: fc.Arbitrary<Statement>): fc.Arbitrary<Statement> =>
    fc
      .record({
        orReplace: fc.boolean(),
        name: identifier,
        schedule: fc.oneof(
          stringValue.map((expression) => ({ kind: 'cron' as const, expression })),
          stringValue.map((interval) => ({ kind: 'every' as const, interval })),
        ),
        body,
      })
      .map((r) => ({ kind: 'create_job' as const, ...base, ...r }));

  return fc.oneof(simple, job(simple), job(job(simple)));
}

describe('fuzz: parseScript never fails any other way than a SqlSyntaxError', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), fc.constantFrom(...DIALECTS), (text, dialect) => {
        parsesOrRefuses(text, dialect);
      }),
      { numRuns: 1000 },
    );
  });

  it('on token soups of sqlml keywords, names, quotes and punctuation; what parses, round-trips', () => {
    fc.assert(
      fc.property(soup, fc.constantFrom(...DIALECTS), (text, dialect) => {
        const statements = parsesOrRefuses(text, dialect);
        for (const statement of statements ?? []) {
          const printed = toSql(statement, spelling(dialect));
          const again = parseScript(printed, lexical(dialect));
          expect(again).toHaveLength(1);
          expect(stripLayout(again[0])).toEqual(stripLayout(statement));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('splits soups into parts whose text and positions match the script, and that split again into themselves', () => {
    fc.assert(
      fc.property(soup, fc.constantFrom(...DIALECTS), (text, dialect) => {
        let parts;
        try {
          parts = splitScript(text, lexical(dialect));
        } catch (error) {
          if (error instanceof SqlSyntaxError) return;
          throw error;
        }
        for (const part of parts) {
          expect(part.text.length).toBeGreaterThan(0);
          expect(text.slice(part.start.offset, part.start.offset + part.text.length)).toBe(part.text);
          const { line, column } = lineAndColumn(text, part.start.offset);
          expect(part.start).toEqual({ line, column, offset: part.start.offset });
          expect(splitScript(part.text, lexical(dialect)).map((p) => p.text)).toEqual([part.text]);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('fuzz: damaged valid statements', () => {
  const edit = fc.tuple(fc.constantFrom('delete', 'insert', 'replace'), fc.nat(), fc.constantFrom(...PIECES));
  for (const dialect of DIALECTS) {
    it(`${dialect}: parse or refuse with a SqlSyntaxError; what parses, round-trips`, () => {
      fc.assert(
        fc.property(statementTree(dialect), fc.array(edit, { minLength: 1, maxLength: 3 }), (statement, edits) => {
          const words = toSql(statement, spelling(dialect)).split(' ');
          for (const [operation, at, piece] of edits) {
            const i = at % (words.length + 1);
            if (operation === 'delete') words.splice(i, 1);
            else if (operation === 'insert') words.splice(i, 0, piece);
            else words[Math.min(i, words.length - 1)] = piece;
          }
          for (const parsed of parsesOrRefuses(words.join(' '), dialect) ?? []) {
            const again = parseScript(toSql(parsed, spelling(dialect)), lexical(dialect));
            expect(again).toHaveLength(1);
            expect(stripLayout(again[0])).toEqual(stripLayout(parsed));
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('fuzz: generated statements round-trip through toSql', () => {
  for (const dialect of DIALECTS) {
    it(dialect, () => {
      fc.assert(
        fc.property(statementTree(dialect), (statement) => {
          const printed = toSql(statement, spelling(dialect));
          const again = parseScript(printed, lexical(dialect));
          expect(again).toHaveLength(1);
          expect(stripLayout(again[0])).toEqual(stripLayout(statement));
        }),
        { numRuns: 400 },
      );
    });
  }
});
