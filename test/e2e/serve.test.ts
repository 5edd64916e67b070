/**
 * `sqlml serve` end to end on a real PostgreSQL, driven by real clients: psql over the
 * wire protocol (CREATE MODEL, PREDICT … INTO, SELECT from the result, \d), node `pg`
 * with bound parameters, the HTTP API, a headless Debian Chromium on the evaluation
 * page, and SIGTERM for a graceful stop.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { repoRoot } from '../helpers/cli.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'e2e-secret-token';
const suffix = `${process.pid}_${Date.now() % 100000}`;
const TABLE = `e2e_customers_${suffix}`;
const SCORES = `e2e_scores_${suffix}`;
const MODEL = `e2e_churn_${suffix}`;

const postgres = (await serverTargets()).some((t) => t.label === 'postgres');
if (process.env.CI === 'true' && !existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing; under CI=true the browser test must run (.ci/run installs chromium)`);

let server: ChildProcessWithoutNullStreams;
let httpUrl = '';
let pgPort = 0;
let stderr = '';
let exited: Promise<number>;

/** Starts `sqlml serve` from the sources and waits for its addresses on stdout (--json). */
async function startServe(): Promise<void> {
  server = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(repoRoot, 'test/helpers/cli-entry.ts'), '--db', POSTGRES_URL, 'serve', '--http', '127.0.0.1:0', '--pg', '127.0.0.1:0', '--token', TOKEN, '--json'],
    { cwd: repoRoot, env: { ...process.env, SQLML_DB: '' } },
  );
  server.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  exited = new Promise((done) => server.on('exit', (code) => done(code ?? -1)));
  const line = await new Promise<string>((done, fail) => {
    let out = '';
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) done(out.slice(0, out.indexOf('\n')));
    });
    server.on('exit', (code) => fail(new Error(`sqlml serve exited with ${code} before listening:\n${stderr}`)));
    setTimeout(() => fail(new Error(`sqlml serve did not print its addresses within 30 s:\n${stderr}`)), 30_000);
  });
  const addresses = JSON.parse(line) as { http: string; pg: string };
  httpUrl = addresses.http;
  pgPort = Number(addresses.pg.split(':').pop());
}

function psql(sql: string, password = TOKEN): { code: number; stdout: string; stderr: string } {
  const run = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'analyst', '-d', 'sqlml', '-v', 'ON_ERROR_STOP=0', '-X', '-c', sql], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' },
    timeout: 120_000,
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

describe.runIf(postgres)('sqlml serve on PostgreSQL, driven by real clients', () => {
  beforeAll(async () => {
    const setup = await Engine.open(POSTGRES_URL);
    await setup.runAll(`DROP TABLE IF EXISTS ${TABLE}; DROP TABLE IF EXISTS ${SCORES};
      CREATE TABLE ${TABLE} AS
        SELECT i AS id, (i * 37 % 100) AS tenure, (i * 53 % 90 + 10)::float8 AS monthly_fee,
               (ARRAY['basic','plus','pro'])[1 + i % 3] AS plan,
               (i * 37 % 100) < 25 AND (i % 3) = 0 OR (i * 53 % 90) > 80 AS churned
        FROM generate_series(1, 3000) AS s(i);`);
    await setup.close();
    await startServe();
  }, 60_000);

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    const cleanup = await Engine.open(POSTGRES_URL);
    await cleanup.runAll(`DROP TABLE IF EXISTS ${TABLE}; DROP TABLE IF EXISTS ${SCORES}; DROP MODEL IF EXISTS ${MODEL};`);
    await cleanup.close();
  });

  it('psql: CREATE MODEL, PREDICT … INTO, SELECT from the result and \\d, with the token as password', () => {
    const created = psql(`CREATE MODEL ${MODEL} FROM (SELECT * FROM ${TABLE}) PREDICT churned RECIPE (exclude(id));`);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(new RegExp(`${MODEL}.*binary`));
    const predicted = psql(`PREDICT ${MODEL} FROM ${TABLE} INTO ${SCORES} KEY id;`);
    expect(predicted.stdout).toContain('3000');
    const selected = psql(`SELECT count(*) AS n, count(*) FILTER (WHERE score BETWEEN 0 AND 1) AS scored FROM ${SCORES};`);
    expect(selected.stdout).toMatch(/3000 \|\s+3000/);
    const described = psql(`\\d ${SCORES}`);
    expect(described.stdout).toMatch(/id\s+\|\s+(integer|bigint)/);
    expect(described.stdout).toMatch(/predicted_label\s+\|\s+boolean/);
    expect(described.stdout).toMatch(/score\s+\|\s+double precision/);
    const wrong = psql('SELECT 1', 'not-the-token');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/password authentication failed|28P01/);
  }, 120_000);

  it("psql: a training's data alerts arrive as NOTICEs, the result as usual", () => {
    const created = psql(`CREATE MODEL ${MODEL}_notice FROM (SELECT tenure, 1 AS k, churned FROM ${TABLE}) PREDICT churned; DROP MODEL ${MODEL}_notice;`);
    expect(created.stderr).toMatch(/NOTICE:\s+k: constant: one value only/);
    expect(created.stdout).toMatch(new RegExp(`${MODEL}_notice.*binary`));
  }, 120_000);

  it('psql: a bad statement prints one ERROR naming the position, and the session goes on', () => {
    const result = psql(`CREATE MODEL x FROM (SELECT 1) PREDIKT y; SELECT 41 + 1 AS answer;`);
    expect(result.stderr).toMatch(/ERROR:.*PREDICT/);
    expect(result.stdout).toMatch(/answer\s*\n-+\n\s*42/);
  });

  it('node pg: bound parameters pass through; sqlml statements come back as result sets', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: pgPort, user: 'analyst', database: 'sqlml', password: TOKEN });
    await client.connect();
    try {
      const top = await client.query(`SELECT id, score FROM ${SCORES} WHERE score >= $1 ORDER BY score DESC, id LIMIT $2`, [0.5, 3]);
      expect(top.rows.length).toBeGreaterThan(0);
      expect(top.rows.length).toBeLessThanOrEqual(3);
      for (const row of top.rows) expect(Number(row.score)).toBeGreaterThanOrEqual(0.5);
      const models = await client.query('SHOW MODELS;');
      expect(models.rows.map((r: { name: string }) => r.name)).toContain(MODEL);
      await expect(client.query('DESCRIBE MODEL no_such_model_e2e;')).rejects.toThrow(/no_such_model_e2e/);
      const after = await client.query('SELECT $1::int + 1 AS n', [41]);
      expect(after.rows[0].n).toBe(42);
    } finally {
      await client.end();
    }
  });

  it('HTTP: real-time predictions and the model list, behind the bearer token', async () => {
    const denied = await fetch(`${httpUrl}/v1/models`);
    expect(denied.status).toBe(401);
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const models = (await (await fetch(`${httpUrl}/v1/models`, { headers })).json()) as unknown;
    expect(JSON.stringify(models)).toContain(MODEL);
    const response = await fetch(`${httpUrl}/v1/models/${MODEL}/predict`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ records: [{ tenure: 5, monthly_fee: 95, plan: 'basic' }, { tenure: 90, monthly_fee: 20, plan: 'pro' }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { predictions: { score: number }[] };
    expect(body.predictions).toHaveLength(2);
    for (const p of body.predictions) expect(p.score).toBeGreaterThanOrEqual(0);
  });

  it.runIf(existsSync(CHROMIUM))('Chromium: the evaluation page draws the ROC curve and its threshold control moves the figures', async () => {
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const page = await browser.newPage();
      const foreign: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(httpUrl) && !request.url().startsWith('data:')) foreign.push(request.url());
      });
      await page.goto(`${httpUrl}/models/${MODEL}?token=${TOKEN}`);
      await page.waitForSelector('canvas');
      const slider = page.locator('input[type=range]').first();
      const before = await page.locator('body').innerText();
      await slider.fill('0.9');
      await slider.dispatchEvent('input');
      const after = await page.locator('body').innerText();
      expect(after).not.toBe(before);
      expect(foreign).toEqual([]);
    } finally {
      await browser?.close();
    }
  }, 60_000);

  it.runIf(existsSync(CHROMIUM))('Chromium: the model page lists the versions, activates one with the token header, and shows the weights, the data alerts and the drift history', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const query = async (sql: string): Promise<{ status: number; text: string }> => {
      const response = await fetch(`${httpUrl}/v1/query`, { method: 'POST', headers, body: JSON.stringify({ sql }) });
      return { status: response.status, text: await response.text() };
    };
    // A worse version (no tenure, no fee) stays inactive under promote = 'if_better'; two MONITOR runs make a history.
    const retrained = await query(`RETRAIN MODEL ${MODEL} FROM (SELECT id, plan, churned FROM ${TABLE}) USING promote = 'if_better';`);
    expect(retrained.status, retrained.text).toBe(200);
    expect(retrained.text).toContain('"active"');
    for (let i = 0; i < 2; i++) expect((await query(`MONITOR MODEL ${MODEL} ON ${TABLE};`)).status).toBe(200);
    const activeVersion = async (): Promise<number> => {
      const response = await fetch(`${httpUrl}/v1/models/${MODEL}/predict`, { method: 'POST', headers, body: JSON.stringify({ records: [{ tenure: 5, monthly_fee: 95, plan: 'basic' }] }) });
      return ((await response.json()) as { version: number }).version;
    };
    expect(await activeVersion()).toBe(1);

    // The page's cookie alone cannot activate (a cross-site form would carry it); neither can a wrong token.
    const withCookie = await fetch(`${httpUrl}/models/${MODEL}/activate`, {
      method: 'POST',
      headers: { cookie: `sqlml_token=${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: 2 }),
    });
    expect(withCookie.status).toBe(403);

    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const page = await browser.newPage();
      await page.goto(`${httpUrl}/models/${MODEL}?token=${TOKEN}`);
      await page.waitForSelector('#evaluation[data-ready=true]');
      expect(await page.locator('#versions tr[data-version="1"]').innerText()).toContain('active');
      expect(await page.locator('#alerts').innerText()).toContain('Data alerts');
      expect(await page.locator('#drift tr[data-feature="tenure"]').getAttribute('data-drift')).toBe('none');
      expect(await page.locator('#drift tr[data-feature="(score)"]').count()).toBe(1);
      expect(await page.locator('#drift-chart').count()).toBe(1);
      // The weights: the largest by |weight| as SHOW WEIGHTS names them, then the bias.
      const shown = await query(`SHOW WEIGHTS ${MODEL}@1;`);
      expect(shown.status, shown.text).toBe(200);
      type WeightRow = { feature: string; value: string | null; weight: number };
      const all = (JSON.parse(shown.text) as { results: [{ rows: WeightRow[] }] }).results[0].rows;
      const bias = all.find((w) => w.feature === '(bias)')!;
      const largest = all.filter((w) => w.feature !== '(bias)').sort((x, y) => Math.abs(y.weight) - Math.abs(x.weight));
      const cells = await page.locator('#weights tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)));
      expect(cells).toEqual([
        ...largest.slice(0, 20).map((w) => [w.feature, w.value ?? '', w.weight.toFixed(4)]),
        ['(bias)', '', bias.weight.toFixed(4)],
      ]);
      expect(await page.locator('#weights').innerText()).toContain(`of ${largest.length} weights that are not zero`);

      await page.locator('#activate-token').fill('not-the-token');
      await page.locator('#versions button[data-version="2"]').click();
      await page.locator('#activate-status', { hasText: 'Could not activate' }).waitFor();
      expect(await activeVersion()).toBe(1);

      await page.locator('#activate-token').fill(TOKEN);
      await Promise.all([page.waitForEvent('load'), page.locator('#versions button[data-version="2"]').click()]);
      await page.waitForSelector('#evaluation[data-ready=true]');
      expect(await page.locator('#versions tr[data-version="2"]').innerText()).toContain('active');
      // The HTTP endpoint follows within a second (it trusts its active-version lookup that long).
      const deadline = Date.now() + 3000;
      while ((await activeVersion()) !== 2 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 200));
      expect(await activeVersion()).toBe(2);
    } finally {
      await browser?.close();
    }
  }, 120_000);

  it('SIGTERM stops the server gracefully (exit 0)', async () => {
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/stopped/);
  }, 30_000);
});
