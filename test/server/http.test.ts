/**
 * The HTTP API on a real engine (embedded DuckDB; PostgreSQL for one round trip):
 * statements answer with the CLI's --json objects, predictions equal PREDICT's for the
 * same rows, a new version is picked up, errors have fitting statuses, the token guards
 * everything, and a client that hangs up stops its statement.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJsonLine } from '../../src/format.js';
import type { Value } from '../../src/data.js';
import { DIALECTS } from '../../adapters/dialects.js';
import { Engine } from '../../src/engine/engine.js';
import { buildHttpApp } from '../../src/server/http.js';
import { ACTIVE_VERSION_TTL_MS } from '../../src/server/http-predict.js';
import { sqlml } from '../helpers/cli.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const TABLE = `CREATE TABLE customers AS SELECT i AS id, (i * 37) % 100 AS tenure, ['basic', 'plus', 'pro'][1 + i % 3] AS plan,
  ((i * 53) % 90 + 10)::DOUBLE AS fee, ((i * 37) % 100 < 25 AND i % 3 = 0) OR (i * 53) % 90 > 80 AS churned FROM range(3000) r(i);`;

type Record_ = { tenure?: unknown; plan?: unknown; fee?: unknown; [field: string]: unknown };

const ROWS: Record_[] = [
  { tenure: 5, plan: 'basic', fee: 95 },
  { tenure: 90, plan: 'pro', fee: 20 },
  { tenure: 40, plan: null, fee: null },
  { tenure: 61, plan: 'plus' },
];

let engine: Engine;
let app: FastifyInstance;
beforeAll(async () => {
  engine = await Engine.open('duckdb::memory:');
  await engine.runAll(`${TABLE}
    CREATE MODEL churn FROM customers PREDICT churned RECIPE (exclude(id));
    CREATE MODEL fee_model FROM customers PREDICT fee RECIPE (exclude(id, churned));
    CREATE MODEL plan_model FROM customers PREDICT plan RECIPE (exclude(id, churned));`);
  app = await buildHttpApp(engine);
});
afterAll(async () => {
  await app.close();
  await engine.close();
});

function post(url: string, payload: unknown, target: FastifyInstance = app): Promise<LightMyRequestResponse> {
  return target.inject({ method: 'POST', url, payload: payload as object });
}

function sqlLiteral(value: unknown, type: 'DOUBLE' | 'VARCHAR'): string {
  if (value === null || value === undefined) return `CAST(NULL AS ${type})`;
  return typeof value === 'string' ? `'${value.replace(/'/g, "''")}'` : `CAST(${String(value)} AS ${type})`;
}

/**
 * PREDICT through the engine for the same rows, each prediction as {column: value}; on the
 * stream, whose Scorer the endpoint uses, so the answers are equal to the bit.
 */
async function predictBySql(model: string, rows: readonly Record_[], columns: readonly string[]): Promise<Record<string, Value>[]> {
  const values = rows.map((r, i) => `(${i}, ${sqlLiteral(r.tenure, 'DOUBLE')}, ${sqlLiteral(r.plan, 'VARCHAR')}, ${sqlLiteral(r.fee, 'DOUBLE')})`);
  const [result] = await engine.runAll(`PREDICT ${model} FROM (SELECT * FROM (VALUES ${values.join(', ')}) v(id, tenure, plan, fee) ORDER BY id) USING engine = 'stream';`);
  const at = columns.map((name) => result!.columns.findIndex((c) => c.name === name));
  return result!.rows.map((row) => Object.fromEntries(columns.map((name, j) => [name, row[at[j]!]!])));
}

describe('POST /v1/query', () => {
  it('answers with what sqlml --json prints, column order included, plus each column\'s type', async () => {
    const sql = `SELECT 1 AS id, 'say "hi"' AS "2", 2.5 AS id, NULL AS nothing, true AS yes; SELECT 42 AS answer;`;
    const cli = await sqlml(['--db', 'duckdb::memory:', '--json', '-e', sql]);
    expect(cli.code).toBe(0);
    const response = await post('/v1/query', { sql });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    // The --json line with "types" after "columns": the same text otherwise, byte for byte.
    const lines = cli.stdout.trim().split('\n');
    const types = [['integer', 'text', 'decimal', 'integer', 'boolean'], ['integer']];
    const withTypes = lines.map((line, i) => line.replace(/("columns":\[[^\]]*\]),/, `$1,"types":${JSON.stringify(types[i])},`));
    expect(response.body).toBe(`{"results":[${withTypes.join(',')}]}`);
  });

  it('runs sqlml statements and SQL alike, one result per statement', async () => {
    const sql = 'SHOW MODELS; EVALUATE MODEL churn; SELECT count(*) AS n FROM customers;';
    const response = await post('/v1/query', { sql });
    expect(response.statusCode).toBe(200);
    const expected = (await engine.runAll(sql)).map((r) => JSON.parse(formatJsonLine(r, { types: true })) as unknown);
    expect(response.json()).toEqual({ results: expected });
  });

  it('stops at a failing statement: its index, the results before it, a status that fits', async () => {
    const syntax = await post('/v1/query', { sql: 'SELECT 2 AS two; CREATE MODEL x FROM t PREDIKT y; CREATE TABLE never_made AS SELECT 1;' });
    expect(syntax.statusCode).toBe(400);
    const error = syntax.json().error;
    expect(error).toMatchObject({ code: 'syntax', statement: 1, results: [{ command: 'SELECT', rows: [{ two: 2 }] }] });
    expect(error.message).toMatch(/expected PREDICT/);
    const [check] = await engine.runAll(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'never_made';`);
    expect(check!.rows[0]![0]).toBe(0);

    const cases: [string, number, string, RegExp][] = [
      ['EVALUATE MODEL nope;', 404, 'unknown_model', /nope/],
      ['CREATE MODEL churn FROM customers PREDICT churned;', 409, 'model_exists', /churn/],
      ['SELECT * FROM no_such_table;', 400, 'database', /no_such_table/],
      ['CREATE MODEL m2 FROM customers PREDICT no_such_column;', 400, 'bad_column', /no_such_column/],
      ['CREATE MODEL m2 FROM customers PREDICT churned RECIPE (exclude(no_such_column));', 400, 'bad_recipe', /no_such_column/],
      ['CREATE MODEL m2 FROM customers PREDICT churned USING passes = 0;', 400, 'bad_option', /passes/],
      ["SELECT 'unterminated;", 400, 'syntax', /./],
    ];
    for (const [sql, status, code, message] of cases) {
      const response = await post('/v1/query', { sql });
      expect({ sql, status: response.statusCode }).toEqual({ sql, status });
      expect(response.json().error).toMatchObject({ code, statement: 0, results: [] });
      expect(response.json().error.message).toMatch(message);
    }
  });

  it('refuses a body that is not {"sql": ...} as JSON, and unknown routes, with JSON errors', async () => {
    expect((await post('/v1/query', { nosql: 1 })).statusCode).toBe(400);
    expect((await post('/v1/query', { sql: '  ' })).statusCode).toBe(400);
    const badJson = await app.inject({ method: 'POST', url: '/v1/query', headers: { 'content-type': 'application/json' }, payload: '{"sql": ' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error.message).toMatch(/JSON/);
    for (const type of ['application/xml', 'text/plain']) {
      const wrongType = await app.inject({ method: 'POST', url: '/v1/query', headers: { 'content-type': type }, payload: 'SELECT 1' });
      expect(wrongType.statusCode).toBe(415);
      expect(wrongType.json().error.code).toBeTypeOf('string');
    }
    const missing = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toEqual({ code: 'not_found', message: 'no route GET /nowhere' });
    expect((await app.inject({ method: 'GET', url: '/v1/query' })).statusCode).toBe(404);
  });

  it('answers 413 to a body over the limit', async () => {
    const small = await buildHttpApp(engine, { bodyLimit: 1024 });
    try {
      const response = await post('/v1/query', { sql: `SELECT '${'x'.repeat(2000)}' AS big;` }, small);
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
      expect((await post('/v1/query', { sql: 'SELECT 1 AS one;' }, small)).statusCode).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('POST /v1/models/:name/predict', () => {
  it('predicts one record and many, equal to PREDICT on the same rows (binary, regression, multiclass)', async () => {
    const models: [string, string[]][] = [
      ['churn', ['predicted_label', 'score']],
      ['fee_model', ['predicted_value']],
      ['plan_model', ['predicted_label', 'score']],
    ];
    for (const [model, columns] of models) {
      const many = await post(`/v1/models/${model}/predict`, { records: ROWS });
      expect(many.statusCode).toBe(200);
      const body = many.json();
      expect(body).toMatchObject({ model, version: 1 });
      expect(body.predictions).toEqual(await predictBySql(model, ROWS, columns));
      for (const [i, row] of ROWS.entries()) {
        expect((await post(`/v1/models/${model}/predict`, row)).json().predictions).toEqual([body.predictions[i]]);
      }
      expect((await post(`/v1/models/${model}/predict`, ROWS)).json().predictions).toEqual(body.predictions);
    }
    const churn = (await post('/v1/models/churn/predict', ROWS[0])).json().predictions[0];
    expect(typeof churn.predicted_label).toBe('boolean');
    expect(typeof (await post('/v1/models/plan_model/predict', ROWS[0])).json().predictions[0].predicted_label).toBe('string');
  });

  it('adds each record\'s explanation with "explain", equal to PREDICT … USING explain on the same rows', async () => {
    for (const model of ['churn', 'fee_model', 'plan_model']) {
      const values = ROWS.map((r, i) => `(${i}, ${sqlLiteral(r.tenure, 'DOUBLE')}, ${sqlLiteral(r.plan, 'VARCHAR')}, ${sqlLiteral(r.fee, 'DOUBLE')})`);
      for (const explain of ['all', 2] as const) {
        const [result] = await engine.runAll(
          `PREDICT ${model} FROM (SELECT * FROM (VALUES ${values.join(', ')}) v(id, tenure, plan, fee) ORDER BY id) USING explain = ${explain === 'all' ? "'all'" : explain};`,
        );
        const at = result!.columns.findIndex((c) => c.name === 'explanation');
        const answer = await post(`/v1/models/${model}/predict`, { records: ROWS, explain });
        expect(answer.statusCode).toBe(200);
        const predictions = answer.json().predictions as { explanation: unknown }[];
        expect(predictions.map((p) => p.explanation)).toEqual(result!.rows.map((row) => JSON.parse(row[at] as string)));
      }
    }
    const bad = await post('/v1/models/churn/predict', { records: ROWS, explain: 0 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'bad_record', field: 'explain' });
  });

  it('reads records leniently where it is safe: numeric strings, any case, unknown fields ignored, none at all', async () => {
    const plain = (await post('/v1/models/churn/predict', { tenure: 5, plan: 'basic', fee: 95 })).json().predictions;
    const loose = (await post('/v1/models/churn/predict', { TENURE: '5', plan: 'basic', fee: '95', favourite_colour: 'red' })).json().predictions;
    expect(loose).toEqual(plain);
    expect((await post('/v1/models/churn/predict', { records: [] })).json()).toEqual({ model: 'churn', version: 1, predictions: [] });
  });

  it('names the record and field of a bad value; 404s an unknown model', async () => {
    const bad = await post('/v1/models/churn/predict', { records: [{ tenure: 1 }, { tenure: 'many' }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'bad_record', record: 1, field: 'tenure' });
    expect(bad.json().error.message).toMatch(/record 1, field tenure: "many" is not a number/);
    const object = await post('/v1/models/churn/predict', [{ plan: { nested: true } }]);
    expect(object.json().error).toMatchObject({ code: 'bad_record', record: 0, field: 'plan' });
    expect((await post('/v1/models/churn/predict', [1, 2])).json().error).toMatchObject({ code: 'bad_record', record: 0 });
    expect((await post('/v1/models/churn/predict', { records: 'all' })).statusCode).toBe(400);
    const scalar = await app.inject({ method: 'POST', url: '/v1/models/churn/predict', payload: '42', headers: { 'content-type': 'application/json' } });
    expect(scalar.statusCode).toBe(400);
    const unknown = await post('/v1/models/nope/predict', {});
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'unknown_model', message: expect.stringMatching(/model nope does not exist/) });
  });

  it('uses a new version as soon as it is trained through /v1/query, and after a second when trained elsewhere', async () => {
    const record = { tenure: 5, plan: 'basic', fee: 95 };
    const predictOne = async (): Promise<{ version: number; predictions: { score: number }[] }> => (await post('/v1/models/churn/predict', record)).json();
    const v1 = await predictOne();

    expect((await post('/v1/query', { sql: 'RETRAIN MODEL churn USING seed = 9, passes = 3;' })).statusCode).toBe(200);
    const v2 = await predictOne();
    expect(v2.version).toBe(v1.version + 1);
    expect(v2.predictions[0]!.score).not.toBe(v1.predictions[0]!.score);

    const replace = `CREATE OR REPLACE MODEL churn FROM customers PREDICT churned RECIPE (exclude(id)) USING seed = 3;`;
    expect((await post('/v1/query', { sql: replace })).statusCode).toBe(200);
    const v3 = await predictOne();
    expect(v3.version).toBe(v2.version + 1);
    expect(v3.predictions).toEqual(await predictBySql('churn', [record], ['predicted_label', 'score']));

    // Trained by someone else (here: the engine directly, as the pg listener or another
    // process would): the cached version serves until its check is due, then the new one.
    const checked = Date.now();
    await predictOne();
    await engine.runAll('RETRAIN MODEL churn USING seed = 11, passes = 2;');
    const stale = await predictOne();
    if (Date.now() - checked < ACTIVE_VERSION_TTL_MS * 0.8) expect(stale.version).toBe(v3.version);
    await new Promise((resolve) => setTimeout(resolve, ACTIVE_VERSION_TTL_MS + 100));
    expect((await predictOne()).version).toBe(v3.version + 1);

    const dropped = await post('/v1/query', { sql: 'CREATE MODEL gone FROM customers PREDICT churned; SELECT 1;' });
    expect(dropped.statusCode).toBe(200);
    expect((await post('/v1/models/gone/predict', record)).statusCode).toBe(200);
    await post('/v1/query', { sql: 'DROP MODEL gone;' });
    expect((await post('/v1/models/gone/predict', record)).statusCode).toBe(404);
  });
});

describe('models, health, OpenAPI', () => {
  it('lists models as SHOW MODELS does and describes one as structured JSON', async () => {
    const list = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(list.body).toBe(formatJsonLine((await engine.runAll('SHOW MODELS;'))[0]!, { types: true }));
    expect(list.json().rows.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['churn', 'fee_model', 'plan_model']));

    const churn = (await app.inject({ method: 'GET', url: '/v1/models/churn' })).json();
    expect(churn).toMatchObject({ name: 'churn', active: true, type: 'binary', target: 'churned', labels: { positive: 'true', negative: 'false' }, source: expect.stringContaining("customers") });
    expect(churn.inputs.map((c: { name: string }) => c.name)).toEqual(['id', 'tenure', 'plan', 'fee']);
    expect(churn.options).toMatchObject({ passes: expect.any(Number), threshold: 0.5 });
    expect(churn.recipe.some((line: string) => /^plan: one-hot/.test(line))).toBe(true);
    expect(churn.training.curve.length).toBeGreaterThan(0);
    expect(churn.training.curve[0]).toMatchObject({ pass: 1, train_loss: expect.any(Number) });
    expect(churn.evaluation.metrics.auc).toBeGreaterThan(0.5);
    expect(churn.evaluation.details.roc.fpr.length).toBeGreaterThan(1);

    const plan = (await app.inject({ method: 'GET', url: '/v1/models/plan_model' })).json();
    expect(plan).toMatchObject({ type: 'multiclass', labels: { classes: ['basic', 'plus', 'pro'] } });
    expect(plan.evaluation.details.confusion).toHaveLength(3);
    const fee = (await app.inject({ method: 'GET', url: '/v1/models/fee_model' })).json();
    expect(fee).toMatchObject({ type: 'regression', labels: null });
    expect(fee.evaluation.metrics.rmse).toBeGreaterThan(0);

    const missing = await app.inject({ method: 'GET', url: '/v1/models/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('unknown_model');
  });

  it('answers /healthz after asking the database, and describes every route at /openapi.json', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/v1/query'].post.responses).toHaveProperty('409');
    expect(doc.paths['/v1/models/{name}/predict'].post.responses).toHaveProperty('404');
    for (const [path, method] of [
      ['/v1/query', 'post'],
      ['/v1/models/{name}/predict', 'post'],
      ['/v1/models', 'get'],
      ['/v1/models/{name}', 'get'],
      ['/v1/syntax', 'get'],
      ['/healthz', 'get'],
      ['/openapi.json', 'get'],
    ] as const) {
      expect(doc.paths[path], path).toHaveProperty(method);
      // Every documented route exists on the app.
      expect(app.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace('{name}', ':name') }), path).toBe(true);
    }
  });

  it("answers /v1/syntax with the lexical rules its scripts are split by (DuckDB's here)", async () => {
    const syntax = (await app.inject({ method: 'GET', url: '/v1/syntax' })).json();
    expect(syntax).toEqual({ dialect: 'duckdb', lexical: { ...DIALECTS.duckdb.lexical } });
    expect(syntax.lexical.dollarQuotes).toBe(true);
  });

  it('answers /healthz with 503 when the database is gone', async () => {
    const closing = await Engine.open('duckdb::memory:');
    const lonely = await buildHttpApp(closing);
    await closing.close();
    try {
      const response = await lonely.inject({ method: 'GET', url: '/healthz' });
      expect(response.statusCode).toBe(503);
      expect(response.json().status).toBe('unavailable');
    } finally {
      await lonely.close();
    }
  });
});

describe('token', () => {
  it('needs the bearer header or the cookie on every route, including routes registered later', async () => {
    const guarded = await buildHttpApp(engine, { token: 's3cret' });
    guarded.get('/models/:name', async () => 'a page');
    try {
      const none = await guarded.inject({ method: 'GET', url: '/v1/models' });
      expect(none.statusCode).toBe(401);
      expect(none.json().error.code).toBe('unauthorized');
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await guarded.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
      expect((await guarded.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer s3cret' } })).statusCode).toBe(200);
      expect((await guarded.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'bearer s3cret' } })).statusCode).toBe(200);
      expect((await guarded.inject({ method: 'GET', url: '/models/churn' })).statusCode).toBe(401);
      expect((await guarded.inject({ method: 'GET', url: '/nowhere' })).statusCode).toBe(401);
      const predictWithout = await guarded.inject({ method: 'POST', url: '/v1/models/churn/predict', payload: { tenure: 1 } });
      expect(predictWithout.statusCode).toBe(401);
      const predictWith = await guarded.inject({ method: 'POST', url: '/v1/models/churn/predict', payload: { tenure: 1 }, headers: { authorization: 'Bearer s3cret' } });
      expect(predictWith.statusCode).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('turns ?token= on a GET into an HttpOnly cookie and a redirect without it', async () => {
    const guarded = await buildHttpApp(engine, { token: 's3cret' });
    guarded.get('/models/:name', async () => 'a page');
    try {
      const visit = await guarded.inject({ method: 'GET', url: '/models/churn?version=1&token=s3cret' });
      expect(visit.statusCode).toBe(303);
      expect(visit.headers.location).toBe('/models/churn?version=1');
      const setCookie = String(visit.headers['set-cookie']);
      expect(setCookie).toMatch(/^sqlml_token=s3cret;/);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Strict/);
      const cookie = setCookie.split(';')[0]!;
      const page = await guarded.inject({ method: 'GET', url: '/models/churn?version=1', headers: { cookie: `other=1; ${cookie}` } });
      expect(page.statusCode).toBe(200);
      expect(page.body).toBe('a page');
      expect((await guarded.inject({ method: 'GET', url: '/v1/models', headers: { cookie: 'sqlml_token=wrong' } })).statusCode).toBe(401);
      expect((await guarded.inject({ method: 'GET', url: '/models/churn?token=wrong' })).statusCode).toBe(401);
      // Only a GET trades the query token for a cookie.
      expect((await guarded.inject({ method: 'POST', url: '/v1/query?token=s3cret', payload: { sql: 'SELECT 1;' } })).statusCode).toBe(401);
    } finally {
      await guarded.close();
    }
  });
});

describe('on a real socket', () => {
  it('serves fetch on 127.0.0.1, and a client that hangs up stops its statement', async () => {
    const live = await buildHttpApp(engine);
    const failures: unknown[] = [];
    // Watch the real engine's statements end (not a mock: the call goes through unchanged).
    const execute = engine.execute.bind(engine);
    engine.execute = async (statement, options) => {
      try {
        return await execute(statement, options);
      } catch (error) {
        failures.push(error);
        throw error;
      }
    };
    try {
      await live.listen({ host: '127.0.0.1', port: 0 });
      const address = live.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const response = await fetch(`${base}/v1/models/churn/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ records: ROWS }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { predictions: unknown[] }).predictions).toHaveLength(ROWS.length);

      await engine.runAll(`CREATE TABLE big AS SELECT i AS id, (i * 37) % 100 AS tenure, (i * 7919) % 1000 AS noise, i % 3 = 0 AS flag FROM range(500000) r(i);`);
      const client = new AbortController();
      const started = Date.now();
      const slow = fetch(`${base}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'CREATE MODEL slow FROM big PREDICT flag USING passes = 50, early_stopping = false;' }),
        signal: client.signal,
      });
      setTimeout(() => client.abort(), 300);
      await expect(slow).rejects.toThrow();
      while (failures.length === 0 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(failures.map((e) => (e as { code?: string }).code)).toEqual(['cancelled']);
      // 50 passes over 500k rows take many seconds; the hang-up ended it well before.
      expect(Date.now() - started).toBeLessThan(2500);
      expect((await engine.runAll('SHOW MODELS;'))[0]!.rows.map((r) => r[0])).not.toContain('slow');
    } finally {
      engine.execute = execute;
      // A client's spare connection must not hold the close (fetch opens one after the hang-up).
      const closing = Date.now();
      await live.close();
      expect(Date.now() - closing).toBeLessThan(1000);
      await engine.runAll('DROP TABLE IF EXISTS big;');
    }
  });
});

describe('on PostgreSQL', async () => {
  const postgres = (await serverTargets()).some((t) => t.label === 'postgres');
  it.runIf(postgres)('trains through /v1/query and predicts over HTTP, equal to PREDICT', async () => {
    const pgEngine = await Engine.open(POSTGRES_URL);
    const pgApp = await buildHttpApp(pgEngine);
    const table = `http_customers_${process.pid}`;
    const model = `http_pg_model_${process.pid}`;
    try {
      const sql = `DROP TABLE IF EXISTS ${table};
        CREATE TABLE ${table} AS SELECT i AS id, (i * 37) % 100 AS tenure, (ARRAY['basic', 'plus', 'pro'])[1 + i % 3] AS plan, (i % 3 = 0) AS churned FROM generate_series(1, 2000) s(i);
        CREATE OR REPLACE MODEL ${model} FROM ${table} PREDICT churned RECIPE (exclude(id));`;
      const trained = await post('/v1/query', { sql }, pgApp);
      expect(trained.statusCode).toBe(200);
      expect(trained.json().results.map((r: { command: string }) => r.command)).toEqual(["DROP TABLE", "CREATE TABLE", "CREATE MODEL"]);
      const response = await post(`/v1/models/${model}/predict`, { records: [{ tenure: 12, plan: 'pro' }, { tenure: 80 }] }, pgApp);
      expect(response.statusCode).toBe(200);
      // On the stream, whose Scorer the endpoint uses: equal to the bit.
      const [expected] = await pgEngine.runAll(`PREDICT ${model} FROM (SELECT 12 AS tenure, 'pro' AS plan UNION ALL SELECT 80, NULL) USING engine = 'stream';`);
      const label = expected!.columns.findIndex((c) => c.name === 'predicted_label');
      const score = expected!.columns.findIndex((c) => c.name === 'score');
      expect(response.json().predictions).toEqual(expected!.rows.map((r) => ({ predicted_label: r[label], score: r[score] })));
      const failed = await post('/v1/query', { sql: `SELECT nope FROM ${table};` }, pgApp);
      expect(failed.statusCode).toBe(400);
      expect(failed.json().error).toMatchObject({ code: 'database', message: expect.stringMatching(/nope/) });
    } finally {
      await pgEngine.runAll(`DROP TABLE IF EXISTS ${table}; DROP MODEL IF EXISTS ${model};`);
      await pgApp.close();
      await pgEngine.close();
    }
  });
});
