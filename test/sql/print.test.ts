import { describe, expect, it } from 'vitest';
import { parseScript, SCRIPT_START, toSql } from '../../src/sql/index.js';
import type { Identifier, Statement } from '../../src/sql/index.js';
import { stripLayout } from './strip.js';
import { lexical, spelling, type DialectName } from './dialects.js';

function canonical(sql: string, dialect?: DialectName): string {
  const [statement] = parseScript(sql, lexical(dialect));
  return toSql(statement!, spelling(dialect));
}

function name(value: string, quoted = false): Identifier {
  return { value, quoted, position: SCRIPT_START };
}

describe('toSql: canonical text', () => {
  it('upper-cases keywords, single-spaces, and keeps the query verbatim', () => {
    expect(
      canonical(
        "create   model churn\nfrom ( select *\n  from customers )\npredict churned\nrecipe ( NGRAM( lowercase(text),2 ) )\nusing Passes=5 , l2 = 1e-6, type='binary', early_stopping = false, shuffle = none",
      ),
    ).toBe(
      "CREATE MODEL churn FROM (select *\n  from customers) PREDICT churned RECIPE (ngram(lowercase(text), 2)) USING passes = 5, l2 = 1e-6, type = 'binary', early_stopping = FALSE, shuffle = none",
    );
  });

  it('prints every statement form', () => {
    const pairs: [string, string][] = [
      ['train model m from t predict y', 'TRAIN MODEL m FROM t PREDICT y'],
      ['create or replace model if not exists m from s.t predict y', 'CREATE OR REPLACE MODEL IF NOT EXISTS m FROM s.t PREDICT y'],
      ['retrain model m', 'RETRAIN MODEL m'],
      ['retrain model m@2 from (select 1) using seed=3', 'RETRAIN MODEL m@2 FROM (select 1) USING seed = 3'],
      ['evaluate model m on holdout using threshold = .6', 'EVALUATE MODEL m ON holdout USING threshold = .6'],
      ['predict m from t', 'PREDICT m FROM t'],
      ['predict m from t into o key a , b append', 'PREDICT m FROM t INTO o KEY a, b APPEND'],
      ['predict m from t into o replace', 'PREDICT m FROM t INTO o'],
      ['show models', 'SHOW MODELS'],
      ['describe model m@7', 'DESCRIBE MODEL m@7'],
      ['drop model if exists m', 'DROP MODEL IF EXISTS m'],
      ["create job j every '1 day' as predict m from t into o", "CREATE JOB j EVERY '1 day' AS PREDICT m FROM t INTO o"],
      ["create or replace job j schedule '0 * * * *' as delete from t", "CREATE OR REPLACE JOB j SCHEDULE '0 * * * *' AS delete from t"],
      ['show jobs', 'SHOW JOBS'],
      ['run job j', 'RUN JOB j'],
      ['drop job if exists j', 'DROP JOB IF EXISTS j'],
      ['select  1 ,2', 'select  1 ,2'],
    ];
    for (const [sql, expected] of pairs) expect(canonical(sql), sql).toBe(expected);
  });

  it('keeps quoted names quoted and bare names bare', () => {
    expect(canonical('DROP MODEL "Churn ""v2"""')).toBe('DROP MODEL "Churn ""v2"""');
    expect(canonical('DROP MODEL Churn')).toBe('DROP MODEL Churn');
    expect(canonical('DROP MODEL `it``s`', 'mysql')).toBe('DROP MODEL `it``s`');
  });

  it('quotes a bare name that would not read back as itself', () => {
    const drop = (value: string): Statement => ({
      kind: 'drop_model',
      text: '',
      start: SCRIPT_START,
      ifExists: false,
      name: name(value),
    });
    expect(toSql(drop('from'))).toBe('DROP MODEL "from"');
    expect(toSql(drop('my model'))).toBe('DROP MODEL "my model"');
    expect(toSql(drop('2x'))).toBe('DROP MODEL "2x"');
    expect(toSql(drop('a#b'), spelling('mysql'))).toBe('DROP MODEL `a#b`');
    expect(toSql(drop('a#b'), spelling('duckdb'))).toBe('DROP MODEL "a#b"');
    expect(toSql(drop('if'))).toBe('DROP MODEL if');
  });

  it('quotes option words that would read back as something else', () => {
    expect(canonical('CREATE MODEL m FROM t PREDICT y USING positive = "true", shuffle = Auto')).toBe(
      'CREATE MODEL m FROM t PREDICT y USING positive = "true", shuffle = Auto',
    );
  });

  it('escapes strings for the dialect', () => {
    expect(canonical("CREATE MODEL m FROM t PREDICT y USING positive = 'it''s \\ok'")).toBe(
      "CREATE MODEL m FROM t PREDICT y USING positive = 'it''s \\ok'",
    );
    expect(canonical("CREATE MODEL m FROM t PREDICT y USING positive = 'it\\'s \\\\ok'", 'mysql')).toBe(
      "CREATE MODEL m FROM t PREDICT y USING positive = 'it\\'s \\\\ok'",
    );
  });

  it('ends a query that holds a line comment on a new line so the ) survives', () => {
    const printed = canonical('PREDICT m FROM (SELECT a -- note\n FROM t)');
    expect(printed).toBe('PREDICT m FROM (SELECT a -- note\n FROM t)');
    const statement: Statement = {
      kind: 'predict',
      text: '',
      start: SCRIPT_START,
      model: { name: name('m') },
      source: { kind: 'query', sql: 'SELECT 1 -- trailing', position: SCRIPT_START },
      into: null,
      options: [],
    };
    expect(toSql(statement)).toBe('PREDICT m FROM (SELECT 1 -- trailing\n)');
    // The parser leaves trailing comments out of a query, so what comes back is the query itself.
    expect(parseScript(toSql(statement))[0]).toMatchObject({ source: { kind: 'query', sql: 'SELECT 1' } });
  });
});

describe('toSql: parse → print → reparse gives the same tree', () => {
  const corpus: Record<DialectName, string[]> = {
    duckdb: [
      'CREATE MODEL churn FROM (SELECT * FROM customers) PREDICT churned',
      "create or replace model \"Churn Model\" from (select a, (b), ')' from \"T\" where c = $$;)$$) predict \"Y\" recipe (quantile_bin(age, 10), ngram(lowercase(no_punct(\"Text\")), 2), cartesian(a, b), exclude(duration)) using passes = 20, l1 = 0, l2 = 1e-6, learning_rate = .05, split = 'none', seed = -1, shuffle = auto, threshold = 0.6, class_weights = balanced, max_model_size = '100MB', early_stopping = true, positive = 'y'",
      'TRAIN MODEL m FROM s.t PREDICT y USING type = multiclass',
      'RETRAIN MODEL m@3 FROM (WITH x AS (SELECT 1) SELECT * FROM x) USING passes = 1',
      'EVALUATE MODEL m ON (SELECT * FROM t -- held out\n) USING threshold = 0.25',
      'PREDICT churn@2 FROM new_customers INTO churn_scores KEY id, "Region" APPEND',
      'SHOW MODELS',
      'DESCRIBE MODEL "M"@1',
      'DROP MODEL IF EXISTS if',
      "CREATE JOB nightly SCHEDULE '0 3 * * *' AS RETRAIN MODEL churn",
      "CREATE OR REPLACE JOB j EVERY '15 minutes' AS CREATE JOB k EVERY '1h' AS INSERT INTO log VALUES (now())",
      'SHOW JOBS',
      'RUN JOB "Nightly"',
      'DROP JOB j',
      'SELECT 1 AS "a;b"',
    ],
    postgres: [
      "CREATE MODEL m FROM (SELECT E'a\\'b' AS x, $f$;$f$ AS y) PREDICT y USING positive = E'it\\'s'",
      'PREDICT m FROM crm.t INTO out.s KEY "Id"',
    ],
    mysql: [
      "CREATE MODEL `Churn` FROM (SELECT `a`, \"x;\" FROM t # note\n) PREDICT `y` USING positive = \"it's\", type = 'a\\\\b'",
      'PREDICT m FROM `crm`.`t` INTO `out` KEY `id` APPEND',
      "CREATE JOB j EVERY \"1 hour\" AS DROP MODEL `m`",
    ],
  };
  for (const [dialect, statements] of Object.entries(corpus) as [DialectName, string[]][]) {
    for (const sql of statements) {
      it(`${dialect}: ${sql.slice(0, 60).replace(/\n/g, ' ')}`, () => {
        const [first] = parseScript(sql, lexical(dialect));
        const printed = toSql(first!, spelling(dialect));
        const [again] = parseScript(printed, lexical(dialect));
        expect(stripLayout(again)).toEqual(stripLayout(first));
        expect(toSql(again!, spelling(dialect))).toBe(printed);
      });
    }
  }
});
