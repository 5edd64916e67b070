/**
 * The HTTP API on a real engine (embedded DuckDB, and PostgreSQL for one round trip):
 * statements answer with the CLI's --json objects, predictions equal PREDICT's for the
 * same rows, a new version is picked up, errors have fitting statuses, the token guards
 * everything.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJsonLine } from '../../src/cli/format.js';
import { Engine } from '../../src/engine/engine.js';
import { buildHttpApp } from '../../src/server/http.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const TABLE = `CREATE TABLE customers AS SELECT i AS id, (i * 37) % 100 AS tenure, ['basic', 'plus', 'pro'][1 + i % 3] AS plan,
  ((i * 53) % 90 + 10)::DOUBLE AS fee, ((i * 37) % 100 < 25 AND i % 3 = 0) OR (i * 53) % 90 > 80 AS churned FROM range(3000) r(i);`;

let engine: Engine;
let app: FastifyInstance;
beforeAll(async () => {
  engine = await Engine.open('duckdb::memory:');
  await engine.runAll(`${TABLE} CREATE MODEL churn FROM customers PREDICT churned RECIPE (exclude(id));`);
  app = await buildHttpApp(engine);
});
afterAll(async () => {
  await app.close();
  await engine.close();
});

describe('POST /v1/query', () => {
  it('answers each statement with the same object as sqlml --json', async () => {
    const sql = 'SELECT 1 AS one; SHOW MODELS;';
    const response = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql } });
    expect(response.statusCode).toBe(200);
    const expected = (await engine.runAll(sql)).map((r) => JSON.parse(formatJsonLine(r)) as unknown);
    expect(response.json()).toEqual({ results: expected });
  });

  it('fits the status to the error and keeps the results before it', async () => {
    const syntax = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT 2 AS two; CREATE MODEL x FROM t PREDIKT y;' } });
    expect(syntax.statusCode).toBe(400);
    expect(syntax.json().error).toMatchObject({ code: 'syntax', statement: 2 });
    expect(syntax.json().error.message).toMatch(/expected PREDICT/);
    expect(syntax.json().error.results).toHaveLength(1);
    expect((await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'EVALUATE MODEL nope;' } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'CREATE MODEL churn FROM customers PREDICT churned;' } })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT * FROM no_such_table;' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/v1/query', payload: { nosql: 1 } })).statusCode).toBe(400);
    const badJson = await app.inject({ method: 'POST', url: '/v1/query', headers: { 'content-type': 'application/json' }, payload: '{"sql": ' });
    expect(badJson.statusCode).toBe(400);
    const wrongType = await app.inject({ method: 'POST', url: '/v1/query', headers: { 'content-type': 'application/xml' }, payload: '<sql/>' });
    expect(wrongType.statusCode).toBe(415);
  });
});

describe('POST /v1/models/:name/predict', () => {
  it('predicts one record and many, equal to PREDICT on the same rows', async () => {
    const rows = [
      { tenure: 5, plan: 'basic', fee: 95 },
      { tenure: 90, plan: 'pro', fee: 20 },
      { tenure: 40, plan: null, fee: null },
    ];
    const many = await app.inject({ method: 'POST', url: '/v1/models/churn/predict', payload: { records: rows } });
    expect(many.statusCode).toBe(200);
    const body = many.json() as { model: string; version: number; predictions: { predicted_label: boolean; score: number }[] };
    expect(body).toMatchObject({ model: 'churn', version: 1 });
    const [expected] = await engine.runAll(
      `PREDICT churn FROM (SELECT * FROM (VALUES (0, 5, 'basic', 95.0), (1, 90, 'pro', 20.0), (2, 40, NULL, NULL)) v(id, tenure, plan, fee) ORDER BY id);`,
    );
    const label = expected!.columns.findIndex((c) => c.name === 'predicted_label');
    const score = expected!.columns.findIndex((c) => c.name === 'score');
    expect(body.predictions.map((p) => p.score)).toEqual(expected!.rows.map((r) => r[score]));
    expect(body.predictions.map((p) => p.predicted_label)).toEqual(expected!.rows.map((r) => r[label]));
    const one = await app.inject({ method: 'POST', url: '/v1/models/churn/predict', payload: rows[0] });
    expect(one.json().predictions).toEqual([body.predictions[0]]);
    const bare = await app.inject({ method: 'POST', url: '/v1/models/churn/predict', payload: rows });
    expect(bare.json().predictions).toEqual(body.predictions);
  });

  it('names the record and field of a bad value, 404s an unknown model', async () => {
    const bad = await app.inject({ method: 'POST', url: '/v1/models/churn/predict', payload: { records: [{ tenure: 1 }, { tenure: 'many' }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'bad_record', record: 1, field: 'tenure' });
    expect((await app.inject({ method: 'POST', url: '/v1/models/nope/predict', payload: {} })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/v1/models/churn/predict', payload: '42', headers: { 'content-type': 'application/json' } })).statusCode).toBe(400);
  });

  it('uses a new version once it is active', async () => {
    const record = { tenure: 5, plan: 'basic', fee: 95 };
    const before = (await app.inject({ method: 'POST', url: '/v1/models/churn/predict', payload: record })).json();
    const retrained = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'RETRAIN MODEL churn USING seed = 9, passes = 3;' } });
    expect(retrained.statusCode).toBe(200);
    const after = (await app.inject({ method: 'POST', url: '/v1/models/churn/predict', payload: record })).json();
    expect(after.version).toBe(before.version + 1);
    expect(after.predictions[0].score).not.toBe(before.predictions[0].score);
  });
});

describe('models, health, OpenAPI, token', () => {
  it('lists and describes models', async () => {
    const list = (await app.inject({ method: 'GET', url: '/v1/models' })).json();
    expect(list.command).toBe('SHOW MODELS');
    expect(list.rows.map((r: { name: string }) => r.name)).toContain('churn');
    const one = (await app.inject({ method: 'GET', url: '/v1/models/churn' })).json();
    expect(one).toMatchObject({ name: 'churn', type: 'binary', target: 'churned' });
    expect(one.evaluation.metrics.auc).toBeGreaterThan(0.5);
    expect(one.training.curve.length).toBeGreaterThan(0);
    expect((await app.inject({ method: 'GET', url: '/v1/models/nope' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode).toBe(404);
  });

  it('answers /healthz and describes itself at /openapi.json', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/query', '/v1/models/{name}/predict', '/v1/models', '/v1/models/{name}', '/healthz']));
  });

  it('with a token: 401 without it, 200 with the bearer header, and ?token= sets a cookie for pages', async () => {
    const guarded = await buildHttpApp(engine, { token: 's3cret' });
    try {
      expect((await guarded.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(401);
      expect((await guarded.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
      expect((await guarded.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer s3cret' } })).statusCode).toBe(200);
      const visit = await guarded.inject({ method: 'GET', url: '/v1/models?token=s3cret' });
      expect(visit.statusCode).toBe(303);
      expect(visit.headers.location).toBe('/v1/models');
      const cookie = String(visit.headers['set-cookie']).split(';')[0]!;
      expect((await guarded.inject({ method: 'GET', url: '/v1/models', headers: { cookie } })).statusCode).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('listens on loopback for real clients', async () => {
    const live = await buildHttpApp(engine);
    try {
      await live.listen({ host: '127.0.0.1', port: 0 });
      const address = live.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const response = await fetch(`http://127.0.0.1:${port}/v1/models/churn/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenure: 5, plan: 'basic', fee: 95 }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { predictions: unknown[] }).predictions).toHaveLength(1);
    } finally {
      await live.close();
    }
  });
});

describe('on PostgreSQL', async () => {
  const postgres = (await serverTargets()).some((t) => t.label === 'postgres');
  it.runIf(postgres)('trains through /v1/query and predicts over HTTP', async () => {
    const pgEngine = await Engine.open(POSTGRES_URL);
    const pgApp = await buildHttpApp(pgEngine);
    const table = `http_customers_${process.pid}`;
    try {
      const sql = `DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} AS SELECT i AS id, (i * 37) % 100 AS tenure, (i % 3 = 0) AS churned FROM generate_series(1, 2000) s(i);
        CREATE OR REPLACE MODEL http_pg_model FROM ${table} PREDICT churned RECIPE (exclude(id));`;
      expect((await pgApp.inject({ method: 'POST', url: '/v1/query', payload: { sql } })).statusCode).toBe(200);
      const response = await pgApp.inject({ method: 'POST', url: '/v1/models/http_pg_model/predict', payload: { tenure: 12 } });
      expect(response.statusCode).toBe(200);
      expect(typeof response.json().predictions[0].predicted_label).toBe('boolean');
    } finally {
      await pgEngine.runAll(`DROP TABLE IF EXISTS ${table}; DROP MODEL IF EXISTS http_pg_model;`);
      await pgApp.close();
      await pgEngine.close();
    }
  });
});
