import { describe, expect, it } from 'vitest';
import { SqlSyntaxError } from '../../src/errors.js';
import { isSqlmlStatement, parseScript, parseStatement } from '../../src/sql/index.js';
import type { Statement } from '../../src/sql/index.js';
import { stripLayout } from './strip.js';
import { lexical, type DialectName } from './dialects.js';

function parseOne(sql: string, dialect?: DialectName): Statement {
  const statements = parseScript(sql, lexical(dialect));
  expect(statements).toHaveLength(1);
  return statements[0]!;
}

/** The statement's meaning: no positions, no statement text. */
function meaning(sql: string, dialect?: DialectName): unknown {
  return stripLayout(parseOne(sql, dialect));
}

function id(value: string, quoted = false) {
  return { value, quoted };
}

function table(name: string, schema?: string) {
  return { kind: 'table', table: schema === undefined ? { name: id(name) } : { schema: id(schema), name: id(name) } };
}

function syntaxError(sql: string, dialect?: DialectName): SqlSyntaxError {
  try {
    parseScript(sql, lexical(dialect));
  } catch (error) {
    if (error instanceof SqlSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected a syntax error from ${JSON.stringify(sql)}`);
}

describe('parser: CREATE MODEL and TRAIN MODEL', () => {
  it('parses the smallest CREATE MODEL', () => {
    expect(meaning('CREATE MODEL churn FROM customers PREDICT churned')).toEqual({
      kind: 'create_model',
      train: false,
      orReplace: false,
      ifNotExists: false,
      name: id('churn'),
      source: table('customers'),
      target: id('churned'),
      recipe: null,
      options: [],
    });
  });

  it('matches keywords in any case and keeps names as written', () => {
    expect(meaning('create Model Churn from Customers predict Churned')).toMatchObject({
      kind: 'create_model',
      name: id('Churn'),
      source: table('Customers'),
      target: id('Churned'),
    });
  });

  it('reads OR REPLACE, IF NOT EXISTS, quoted names and a schema-qualified table', () => {
    expect(meaning('CREATE OR REPLACE MODEL IF NOT EXISTS "Churn Model" FROM crm."Customers" PREDICT "Churned"')).toMatchObject({
      orReplace: true,
      ifNotExists: true,
      name: id('Churn Model', true),
      source: { kind: 'table', table: { schema: id('crm'), name: id('Customers', true) } },
      target: id('Churned', true),
    });
  });

  it('keeps the query between the parentheses verbatim, trimmed, with its position', () => {
    const sql = "CREATE MODEL m FROM (\n  SELECT a, (b + 1) AS c, ')' AS d -- )\n  FROM t /* ) */\n) PREDICT y";
    const statement = parseOne(sql);
    expect(statement).toMatchObject({
      kind: 'create_model',
      source: {
        kind: 'query',
        sql: "SELECT a, (b + 1) AS c, ')' AS d -- )\n  FROM t",
        position: { line: 2, column: 3, offset: 24 },
      },
    });
  });

  it('takes any model name that is not a clause word, such as if or model', () => {
    expect(meaning('CREATE MODEL if FROM t PREDICT y')).toMatchObject({ ifNotExists: false, name: id('if') });
    expect(meaning('CREATE MODEL model FROM t PREDICT y')).toMatchObject({ name: id('model') });
    expect(meaning('CREATE MODEL "from" FROM t PREDICT y')).toMatchObject({ name: id('from', true) });
  });

  it('reads TRAIN MODEL as CREATE OR REPLACE MODEL', () => {
    expect(meaning('TRAIN MODEL m FROM (SELECT 1 AS y) PREDICT y USING passes = 3')).toEqual({
      kind: 'create_model',
      train: true,
      orReplace: true,
      ifNotExists: false,
      name: id('m'),
      source: { kind: 'query', sql: 'SELECT 1 AS y' },
      target: id('y'),
      recipe: null,
      options: [{ name: 'passes', value: { kind: 'number', value: 3, text: '3' } }],
    });
  });

  it('reads every shape of recipe argument, lower-casing transform names', () => {
    const statement = meaning(
      "CREATE MODEL m FROM t PREDICT y RECIPE (NGRAM(lowercase(no_punct(text)), 2), cartesian(a, \"B c\"), " +
        "quantile_bin(age, -1.5e2), exclude(duration), tag(city, 'x''y'))",
    );
    expect(statement).toMatchObject({
      recipe: [
        {
          name: 'ngram',
          args: [
            {
              kind: 'transform',
              transform: {
                name: 'lowercase',
                args: [{ kind: 'transform', transform: { name: 'no_punct', args: [{ kind: 'column', name: id('text') }] } }],
              },
            },
            { kind: 'number', value: 2, text: '2' },
          ],
        },
        { name: 'cartesian', args: [{ kind: 'column', name: id('a') }, { kind: 'column', name: id('B c', true) }] },
        { name: 'quantile_bin', args: [{ kind: 'column', name: id('age') }, { kind: 'number', value: -150, text: '-1.5e2' }] },
        { name: 'exclude', args: [{ kind: 'column', name: id('duration') }] },
        { name: 'tag', args: [{ kind: 'column', name: id('city') }, { kind: 'string', value: "x'y" }] },
      ],
    });
  });

  it('reads every shape of option value, lower-casing option names', () => {
    const statement = meaning(
      "CREATE MODEL m FROM t PREDICT y USING Passes = 10, l2 = 1e-6, learning_rate = .5, bias = -3, " +
        "type = 'binary', early_stopping = FALSE, shuffle = TRUE, class_weights = Balanced, positive = \"Yes\"",
    );
    expect(statement).toMatchObject({
      options: [
        { name: 'passes', value: { kind: 'number', value: 10, text: '10' } },
        { name: 'l2', value: { kind: 'number', value: 1e-6, text: '1e-6' } },
        { name: 'learning_rate', value: { kind: 'number', value: 0.5, text: '.5' } },
        { name: 'bias', value: { kind: 'number', value: -3, text: '-3' } },
        { name: 'type', value: { kind: 'string', value: 'binary' } },
        { name: 'early_stopping', value: { kind: 'boolean', value: false } },
        { name: 'shuffle', value: { kind: 'boolean', value: true } },
        { name: 'class_weights', value: { kind: 'identifier', value: 'Balanced' } },
        { name: 'positive', value: { kind: 'identifier', value: 'Yes' } },
      ],
    });
  });

  it('reads RECIPE before USING', () => {
    expect(meaning('CREATE MODEL m FROM t PREDICT y RECIPE (exclude(id)) USING seed = 7')).toMatchObject({
      recipe: [{ name: 'exclude' }],
      options: [{ name: 'seed' }],
    });
  });
});

describe('parser: RETRAIN, EVALUATE, PREDICT', () => {
  it('parses RETRAIN MODEL with and without a source, version and options', () => {
    expect(meaning('RETRAIN MODEL m')).toEqual({ kind: 'retrain_model', model: { name: id('m') }, source: null, options: [] });
    expect(meaning('RETRAIN MODEL m@3 FROM (SELECT * FROM t2) USING passes = 2')).toEqual({
      kind: 'retrain_model',
      model: { name: id('m'), version: 3 },
      source: { kind: 'query', sql: 'SELECT * FROM t2' },
      options: [{ name: 'passes', value: { kind: 'number', value: 2, text: '2' } }],
    });
    expect(meaning('RETRAIN MODEL m FROM s.t')).toMatchObject({ source: table('t', 's') });
  });

  it('parses EVALUATE MODEL with and without ON', () => {
    expect(meaning('EVALUATE MODEL churn')).toEqual({
      kind: 'evaluate_model',
      model: { name: id('churn') },
      source: null,
      options: [],
    });
    expect(meaning('EVALUATE MODEL churn@2 ON (SELECT * FROM holdout) USING threshold = 0.6')).toEqual({
      kind: 'evaluate_model',
      model: { name: id('churn'), version: 2 },
      source: { kind: 'query', sql: 'SELECT * FROM holdout' },
      options: [{ name: 'threshold', value: { kind: 'number', value: 0.6, text: '0.6' } }],
    });
    expect(meaning('EVALUATE MODEL churn ON holdout')).toMatchObject({ source: table('holdout') });
  });

  it('parses PREDICT without INTO', () => {
    expect(meaning('PREDICT churn FROM (SELECT * FROM new_customers)')).toEqual({
      kind: 'predict',
      model: { name: id('churn') },
      source: { kind: 'query', sql: 'SELECT * FROM new_customers' },
      into: null,
      options: [],
    });
  });

  it('parses USING engine = ... on PREDICT, after INTO', () => {
    expect(meaning("PREDICT churn@2 FROM t INTO s KEY id APPEND USING engine = 'database'")).toMatchObject({
      model: { name: id('churn'), version: 2 },
      into: { mode: 'append' },
      options: [{ name: 'engine', value: { kind: 'string', value: 'database' } }],
    });
    expect(meaning('PREDICT churn FROM (SELECT 1) USING engine = stream')).toMatchObject({
      into: null,
      options: [{ name: 'engine', value: { kind: 'identifier', value: 'stream' } }],
    });
  });

  it('parses EXPLAIN PREDICT; other EXPLAINs are the database\'s', () => {
    expect(meaning('explain predict churn@3 FROM (SELECT * FROM t)')).toEqual({
      kind: 'explain_predict',
      model: { name: id('churn'), version: 3 },
      source: { kind: 'query', sql: 'SELECT * FROM t' },
      options: [],
    });
    expect(meaning('EXPLAIN SELECT 1')).toMatchObject({ kind: 'pass_through' });
    expect(() => parseScript('EXPLAIN PREDICT churn FROM t INTO s')).toThrow(/expected end of statement/);
    // PREDICT's options, which decide the engine PREDICT would take.
    expect(meaning("EXPLAIN PREDICT churn FROM t USING explain = 3, engine = 'stream'")).toMatchObject({
      options: [
        { name: 'explain', value: { kind: 'number', value: 3 } },
        { name: 'engine', value: { kind: 'string', value: 'stream' } },
      ],
    });
  });

  it('parses PREDICT ... INTO with keys and modes', () => {
    expect(meaning('PREDICT churn FROM new_customers INTO churn_scores KEY id')).toMatchObject({
      into: { table: { name: id('churn_scores') }, key: [id('id')], mode: 'replace' },
    });
    expect(meaning('PREDICT churn@4 FROM new_customers INTO out.scores KEY id, "Region" APPEND')).toMatchObject({
      model: { name: id('churn'), version: 4 },
      into: { table: { schema: id('out'), name: id('scores') }, key: [id('id'), id('Region', true)], mode: 'append' },
    });
    expect(meaning('PREDICT churn FROM t INTO s REPLACE')).toMatchObject({ into: { key: [], mode: 'replace' } });
  });
});

describe('parser: inspecting and managing models', () => {
  it('parses SHOW MODELS, DESCRIBE MODEL and DROP MODEL', () => {
    expect(meaning('show models')).toEqual({ kind: 'show_models' });
    expect(meaning('DESCRIBE MODEL churn@12')).toEqual({
      kind: 'describe_model',
      model: { name: id('churn'), version: 12 },
    });
    expect(meaning('show weights churn')).toEqual({ kind: 'show_weights', model: { name: id('churn') } });
    expect(meaning('SHOW WEIGHTS "Churn"@2')).toEqual({ kind: 'show_weights', model: { name: id('Churn', true), version: 2 } });
    expect(meaning('DROP MODEL churn')).toEqual({ kind: 'drop_model', ifExists: false, name: id('churn') });
    expect(meaning('DROP MODEL IF EXISTS "Churn"')).toEqual({ kind: 'drop_model', ifExists: true, name: id('Churn', true) });
  });

  it('parses SHOW TRIALS name[@v]', () => {
    expect(meaning('show trials churn')).toEqual({ kind: 'show_trials', model: { name: id('churn') } });
    expect(meaning('SHOW TRIALS "Churn"@2')).toEqual({ kind: 'show_trials', model: { name: id('Churn', true), version: 2 } });
  });

  it('parses EXPORT MODEL … AS FUNCTION, the function name schema-qualified or not', () => {
    expect(meaning('export model churn as function churn_fn')).toEqual({
      kind: 'export_model',
      model: { name: id('churn') },
      function: { name: id('churn_fn') },
    });
    expect(meaning('EXPORT MODEL "Churn"@3 AS FUNCTION analytics."Score me"')).toEqual({
      kind: 'export_model',
      model: { name: id('Churn', true), version: 3 },
      function: { schema: id('analytics'), name: id('Score me', true) },
    });
    expect(meaning('EXPORT MODEL m AS FUNCTION function')).toMatchObject({ function: { name: id('function') } });
    expect(meaning('EXPORT DATABASE x')).toEqual({ kind: 'pass_through', text: 'EXPORT DATABASE x' });
  });

  it('refuses an EXPORT MODEL without AS FUNCTION or with more after the name', () => {
    expect(() => parseScript('EXPORT MODEL m AS f')).toThrow('line 1, column 19: expected FUNCTION, found f');
    expect(() => parseScript('EXPORT MODEL m FUNCTION f')).toThrow('line 1, column 16: expected AS, found FUNCTION');
    expect(() => parseScript('EXPORT MODEL m AS FUNCTION f g')).toThrow('line 1, column 30: expected end of statement, found g');
    expect(() => parseScript('EXPORT MODEL m AS FUNCTION')).toThrow('expected function name, found end of statement');
  });

  it('takes IF as a model name when EXISTS does not follow', () => {
    expect(meaning('DROP MODEL if')).toEqual({ kind: 'drop_model', ifExists: false, name: id('if') });
  });
});

describe('parser: jobs', () => {
  it('parses CREATE JOB with a cron schedule and a sqlml body', () => {
    const sql = "CREATE JOB nightly SCHEDULE '0 3 * * *' AS\n  TRAIN MODEL churn FROM customers PREDICT churned";
    const statement = parseOne(sql);
    expect(stripLayout(statement)).toEqual({
      kind: 'create_job',
      orReplace: false,
      name: id('nightly'),
      schedule: { kind: 'cron', expression: '0 3 * * *' },
      body: {
        kind: 'create_model',
        train: true,
        orReplace: true,
        ifNotExists: false,
        name: id('churn'),
        source: table('customers'),
        target: id('churned'),
        recipe: null,
        options: [],
      },
    });
    expect(statement.kind === 'create_job' && statement.body).toMatchObject({
      text: 'TRAIN MODEL churn FROM customers PREDICT churned',
      start: { line: 2, column: 3, offset: 45 },
    });
  });

  it('parses CREATE OR REPLACE JOB with an interval and a pass-through body kept verbatim', () => {
    const statement = parseOne("CREATE OR REPLACE JOB purge EVERY '1 hour' AS DELETE FROM scores WHERE day < now() - 7");
    expect(stripLayout(statement)).toEqual({
      kind: 'create_job',
      orReplace: true,
      name: id('purge'),
      schedule: { kind: 'every', interval: '1 hour' },
      body: { kind: 'pass_through', text: 'DELETE FROM scores WHERE day < now() - 7' },
    });
  });

  it('parses SHOW JOBS, RUN JOB and DROP JOB', () => {
    expect(meaning('SHOW JOBS')).toEqual({ kind: 'show_jobs' });
    expect(meaning('run job nightly')).toEqual({ kind: 'run_job', name: id('nightly') });
    expect(meaning('DROP JOB nightly')).toEqual({ kind: 'drop_job', ifExists: false, name: id('nightly') });
    expect(meaning('DROP JOB IF EXISTS nightly')).toEqual({ kind: 'drop_job', ifExists: true, name: id('nightly') });
  });
});

describe('parser: pass-through', () => {
  const statements = [
    'DESCRIBE bank',
    'SHOW TABLES',
    'DROP TABLE x',
    'CREATE TABLE t (a INT, b TEXT)',
    'CREATE OR REPLACE VIEW v AS SELECT 1',
    "SELECT 'CREATE MODEL' AS x",
    'INSERT INTO t VALUES (1, \'a;b\')',
    '"CREATE" MODEL m',
    'WITH x AS (SELECT 1) SELECT * FROM x /* keep me */ WHERE 1 = 1',
  ];
  for (const sql of statements) {
    it(`passes ${JSON.stringify(sql)} through verbatim`, () => {
      expect(parseOne(sql)).toEqual({ kind: 'pass_through', text: sql, start: { line: 1, column: 1, offset: 0 } });
    });
  }

  it('keeps a multi-line statement verbatim and starts it at its first token', () => {
    const script = 'SELECT 1;\n\n  -- the second\n  UPDATE t\n     SET a = 1 ;';
    expect(parseScript(script)[1]).toEqual({
      kind: 'pass_through',
      text: 'UPDATE t\n     SET a = 1',
      start: { line: 4, column: 3, offset: 29 },
    });
  });
});

describe('parser: dialects', () => {
  it('quotes names with backticks on mysql', () => {
    expect(meaning('CREATE MODEL `Churn` FROM `crm`.`t` PREDICT `y`', 'mysql')).toMatchObject({
      name: id('Churn', true),
      source: { kind: 'table', table: { schema: id('crm', true), name: id('t', true) } },
    });
  });

  it('reads "..." as a string on mysql, so it is not a name there', () => {
    expect(meaning('CREATE MODEL m FROM t PREDICT y USING type = "binary"', 'mysql')).toMatchObject({
      options: [{ name: 'type', value: { kind: 'string', value: 'binary' } }],
    });
    expect(syntaxError('CREATE MODEL "m" FROM t PREDICT y', 'mysql').message).toBe(
      'line 1, column 14: expected model name, found "m"',
    );
  });

  it("decodes a mysql backslash string and a postgres E'' string in option values", () => {
    expect(meaning("CREATE MODEL m FROM t PREDICT y USING positive = 'it\\'s'", 'mysql')).toMatchObject({
      options: [{ value: { kind: 'string', value: "it's" } }],
    });
    expect(meaning("CREATE MODEL m FROM t PREDICT y USING positive = E'it\\'s'", 'postgres')).toMatchObject({
      options: [{ value: { kind: 'string', value: "it's" } }],
    });
  });
});

describe('parser: positions', () => {
  it('gives names, options and transforms their script positions', () => {
    const script = 'SHOW MODELS;\n\nCREATE MODEL m\n  FROM t PREDICT y\n  RECIPE (normalize(a))\n  USING passes = 2';
    const statement = parseScript(script)[1]!;
    expect(statement.start).toEqual({ line: 3, column: 1, offset: 14 });
    if (statement.kind !== 'create_model') throw new Error(statement.kind);
    expect(statement.name.position).toEqual({ line: 3, column: 14, offset: 27 });
    expect(statement.target.position).toEqual({ line: 4, column: 18, offset: 46 });
    expect(statement.recipe![0]!.position).toEqual({ line: 5, column: 11, offset: 58 });
    expect(statement.options[0]!.position).toEqual({ line: 6, column: 9, offset: 80 });
  });

  it('counts from the part it is given', () => {
    const statement = parseStatement({ text: 'DROP MODEL m', start: { line: 9, column: 5, offset: 200 } });
    expect(statement).toMatchObject({ start: { line: 9, column: 5, offset: 200 }, name: { position: { line: 9, column: 16, offset: 211 } } });
  });
});

describe('parser: errors', () => {
  const cases: [string, string, string][] = [
    ['misspelt PREDICT', 'CREATE MODEL m FROM t PREDIKT y', 'line 1, column 23: expected PREDICT, found PREDIKT'],
    ['missing PREDICT', 'CREATE MODEL m FROM t', 'line 1, column 22: expected PREDICT, found end of statement'],
    ['missing model name', 'CREATE MODEL FROM t PREDICT y', 'line 1, column 14: expected model name, found FROM'],
    ['empty quoted model name', 'CREATE MODEL "" FROM t PREDICT y', 'line 1, column 14: expected model name, found ""'],
    ['missing target', 'CREATE MODEL m FROM t PREDICT', 'line 1, column 30: expected target column, found end of statement'],
    ['forgotten parentheses', 'CREATE MODEL m FROM SELECT * FROM t PREDICT y', 'line 1, column 21: expected table name or ( <select> ), found SELECT'],
    ['unclosed parenthesis', 'CREATE MODEL m FROM (SELECT * FROM t PREDICT y', 'line 1, column 21: expected closing ), found end of statement'],
    ['empty query', 'PREDICT m FROM ( )', 'line 1, column 18: expected query, found )'],
    ['bad option value', 'CREATE MODEL m FROM t PREDICT y USING passes = )', 'line 1, column 48: expected option value, found )'],
    ['missing =', 'EVALUATE MODEL m ON t USING threshold 0.6', 'line 1, column 39: expected =, found 0.6'],
    ['minus without a number', 'CREATE MODEL m FROM t PREDICT y USING l2 = -x', 'line 1, column 45: expected number, found x'],
    ['duplicate option', 'CREATE MODEL m FROM t PREDICT y USING passes = 5, PASSES = 6', 'line 1, column 51: expected each option once, found passes twice'],
    ['dangling comma in options', 'CREATE MODEL m FROM t PREDICT y USING passes = 5,', 'line 1, column 50: expected option name, found end of statement'],
    ['column where a transform belongs', 'CREATE MODEL m FROM t PREDICT y RECIPE (age)', 'line 1, column 41: expected transform, found age'],
    ['unclosed transform', 'CREATE MODEL m FROM t PREDICT y RECIPE (normalize(age)', 'line 1, column 55: expected , or ), found end of statement'],
    ['empty recipe', 'CREATE MODEL m FROM t PREDICT y RECIPE ()', 'line 1, column 41: expected transform, found )'],
    ['transform without arguments', 'CREATE MODEL m FROM t PREDICT y RECIPE (f())', 'line 1, column 43: expected transform argument, found )'],
    ['SHOW TRIALS without a model', 'SHOW TRIALS', 'line 1, column 12: expected model name, found end of statement'],
    ['junk after SHOW TRIALS', 'SHOW TRIALS m now', 'line 1, column 15: expected end of statement, found now'],
    ['trailing junk', 'SHOW MODELS now', 'line 1, column 13: expected end of statement, found now'],
    ['junk after PREDICT ... INTO', 'PREDICT m FROM t INTO out KEY id APPEND now', 'line 1, column 41: expected end of statement, found now'],
    ['name@x', 'PREDICT m@x FROM t', 'line 1, column 11: expected version number, found x'],
    ['name@ without version', 'PREDICT m@ FROM t', 'line 1, column 12: expected version number, found FROM'],
    ['version 0', 'PREDICT m@0 FROM t', 'line 1, column 11: expected version number, found 0'],
    ['fractional version', 'DESCRIBE MODEL m@1.5', 'line 1, column 18: expected version number, found 1.5'],
    ['TRAIN without MODEL', 'TRAIN m FROM t PREDICT y', 'line 1, column 7: expected MODEL, found m'],
    ['RUN without JOB', 'RUN j', 'line 1, column 5: expected JOB, found j'],
    ['job without schedule', 'CREATE JOB j AS SHOW MODELS', 'line 1, column 14: expected SCHEDULE or EVERY, found AS'],
    ['unquoted interval', 'CREATE JOB j EVERY 5 AS SHOW MODELS', 'line 1, column 20: expected quoted interval, found 5'],
    ['job without AS', "CREATE JOB j EVERY '1h' SHOW MODELS", 'line 1, column 25: expected AS, found SHOW'],
    ['job without body', "CREATE JOB j EVERY '1h' AS", 'line 1, column 27: expected statement, found end of statement'],
    ['junk after a job body', "CREATE JOB j EVERY '1h' AS SHOW MODELS x", 'line 1, column 40: expected end of statement, found x'],
  ];
  for (const [what, sql, message] of cases) {
    it(`reports ${what}`, () => {
      const error = syntaxError(sql);
      expect(error.message).toBe(message);
      expect(error.code).toBe('syntax');
    });
  }

  it('carries line, column, expected and found as fields', () => {
    expect(syntaxError('CREATE MODEL m FROM t PREDIKT y')).toMatchObject({
      line: 1,
      column: 23,
      expected: 'PREDICT',
      found: 'PREDIKT',
    });
  });

  it('reports the line in the script for a statement that starts on line 3', () => {
    const error = syntaxError('SELECT 1;\nSELECT 2;\nCREATE MODEL m\n  FROM t PREDIKT y;\nSELECT 3;');
    expect(error.message).toBe('line 4, column 10: expected PREDICT, found PREDIKT');
  });

  it('shortens a long token in the message and keeps it on one line', () => {
    const error = syntaxError(`SHOW MODELS 'a\n${'b'.repeat(100)}'`);
    expect(error.found).toBe(`'a ${'b'.repeat(36)}…`);
  });

  it('refuses recipe calls nested deeper than 50 levels', () => {
    const deep = (n: number) => `${'f('.repeat(n)}x${')'.repeat(n)}`;
    expect(() => parseScript(`CREATE MODEL m FROM t PREDICT y RECIPE (${deep(40)})`)).not.toThrow();
    expect(syntaxError(`CREATE MODEL m FROM t PREDICT y RECIPE (${deep(80)})`).expected).toBe('at most 50 levels of nesting');
  });

  it('refuses job bodies nested deeper than 50 levels', () => {
    const deep = (n: number) => `${"CREATE JOB j EVERY '1h' AS ".repeat(n)}SHOW JOBS`;
    expect(() => parseScript(deep(40))).not.toThrow();
    expect(syntaxError(deep(60)).message).toMatch(/^line 1, column 1351: expected at most 50 levels of nesting/);
  });
});

describe('isSqlmlStatement', () => {
  it('is true for sqlml statements, from their first words only', () => {
    for (const sql of [
      'CREATE MODEL m FROM',
      'create or replace model',
      'TRAIN MODEL',
      'RETRAIN MODEL m',
      'EVALUATE MODEL m',
      'PREDICT m FROM t',
      'SHOW MODELS',
      'DESCRIBE MODEL m',
      'DROP MODEL m',
      "CREATE JOB j EVERY '1h' AS SELECT 1",
      'SHOW JOBS',
      'RUN JOB j',
      'DROP JOB j',
      '  -- comment first\n SHOW MODELS',
    ]) {
      expect(isSqlmlStatement(sql), sql).toBe(true);
    }
  });

  it('is false for the database own statements and for text that does not lex', () => {
    for (const sql of ['SELECT 1', 'DESCRIBE bank', 'SHOW TABLES', 'DROP TABLE x', 'CREATE TABLE t (a INT)', '', "'unterminated"]) {
      expect(isSqlmlStatement(sql), sql).toBe(false);
    }
  });
});
