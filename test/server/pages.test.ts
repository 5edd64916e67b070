/**
 * The evaluation pages, end to end: binary, multiclass and regression models trained on
 * a DuckDB table, served by a bare Fastify app, and opened in Debian's Chromium through
 * playwright-core. The threshold control's figures are checked against an independent
 * re-scoring of the held-out rows (EVALUATE MODEL ... USING threshold).
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { THRESHOLD_STEPS, thresholdStep } from '../../src/engine/evaluation.js';
import { registerEvaluationPages } from '../../src/server/pages/pages.js';
import { firstRow, memoryEngine, run } from '../helpers/engine.js';
import { CUSTOMERS_SQL } from '../helpers/tables.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; under CI=true the evaluation page tests must run (apt-get install chromium)`);
  console.warn(`skipping the browser tests of the evaluation pages: ${CHROMIUM} is missing`);
}

/** A model name and class labels that are HTML: they must reach the page as text. */
const HOSTILE_NAME = `<img src=x onerror="window.__xss=1">&co`;
const HOSTILE_LABELS = ['<script>window.__xss=2</script>', 'a&b', '<b>hi</b>'];

/** The few browser objects the checks touch in the page (the project compiles without the DOM lib). */
interface BrowserCanvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: ArrayLike<number> } } | null;
  toDataURL(): string;
}
interface BrowserGlobals {
  readonly document: { getElementById(id: string): unknown; querySelectorAll(selector: string): { length: number } };
  readonly __xss?: number;
}

interface BinaryDetails {
  confusion: { tp: number; fp: number; tn: number; fn: number };
  threshold_table: { steps: number; positive: number[]; negative: number[] };
}
interface StoredEvaluation<D> {
  metrics: Record<string, number>;
  details: D;
}

let engine: Engine;
let app: FastifyInstance;
let origin: string;

beforeAll(async () => {
  engine = await memoryEngine();
  await run(engine, CUSTOMERS_SQL);
  await engine.runAll(`
    CREATE MODEL churn FROM (SELECT spend, plan, calls, churned FROM customers) PREDICT churned;
    CREATE MODEL seg FROM (SELECT spend, calls, segment FROM customers) PREDICT segment;
    CREATE MODEL rev FROM customers PREDICT revenue RECIPE (exclude(id));
    CREATE MODEL "${HOSTILE_NAME.replaceAll('"', '""')}" FROM (
      SELECT spend, calls,
             CASE WHEN spend < 33 THEN '${HOSTILE_LABELS[0]}' WHEN spend < 66 THEN '${HOSTILE_LABELS[1]}' ELSE '${HOSTILE_LABELS[2]}' END AS tier
      FROM customers) PREDICT tier;
  `);
  // A version stored before the per-threshold counts existed: the page must still draw it.
  const churn = await engine.store.get('churn');
  const evaluation = churn!.evaluation as StoredEvaluation<Record<string, unknown>>;
  const olderDetails = { ...evaluation.details };
  delete olderDetails.threshold_table;
  await engine.store.saveVersion({
    name: 'legacy', type: 'binary', target: 'churned', options: churn!.options, recipe: churn!.recipe, model: churn!.model,
    trainingStats: churn!.trainingStats, evaluation: { ...evaluation, details: olderDetails }, sourceQuery: churn!.sourceQuery,
  });
  app = Fastify();
  registerEvaluationPages(app, engine);
  await app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await engine?.close();
});

async function storedEvaluation<D>(name: string): Promise<StoredEvaluation<D>> {
  return (await engine.store.get(name))!.evaluation as StoredEvaluation<D>;
}

/** Figures at threshold step k, computed here from the stored counts (not with the page's code). */
function figuresAt(details: BinaryDetails, step: number): Record<string, number> {
  const { positive, negative } = details.threshold_table;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  positive.forEach((count, k) => (k >= step ? (tp += count) : (fn += count)));
  negative.forEach((count, k) => (k >= step ? (fp += count) : (tn += count)));
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, tn, precision, recall, f1, accuracy: (tp + tn) / (tp + fp + fn + tn) };
}

describe('stored evaluation details', () => {
  it('thresholdStep puts a score in the step whose threshold it meets, exactly as `score >= k/steps`', () => {
    const steps = THRESHOLD_STEPS;
    const scores = [0, 1e-9, 0.001, 0.3, 0.29999999999999993, 0.7, 0.5, 0.999, 0.9999999, 1];
    for (let k = 0; k <= steps; k++) scores.push(k / steps, Math.fround(k / steps));
    for (const s of scores) {
      const k = thresholdStep(s, steps);
      expect(s >= k / steps, `score ${s} meets its step ${k}`).toBe(true);
      if (k < steps) expect(s >= (k + 1) / steps, `score ${s} is below step ${k + 1}`).toBe(false);
    }
  });

  it('binary: the per-threshold counts add up to the held-out rows and reproduce the stored confusion', async () => {
    const evaluation = await storedEvaluation<BinaryDetails>('churn');
    const { threshold_table: table, confusion } = evaluation.details;
    expect(table.steps).toBe(THRESHOLD_STEPS);
    const total = [...table.positive, ...table.negative].reduce((a, b) => a + b, 0);
    expect(total).toBe(evaluation.metrics.rows);
    const atStored = figuresAt(evaluation.details, Math.round(evaluation.metrics.threshold! * table.steps));
    expect({ tp: atStored.tp, fp: atStored.fp, tn: atStored.tn, fn: atStored.fn }).toEqual(confusion);
    expect(atStored.precision).toBe(evaluation.metrics.precision);
    expect(atStored.f1).toBe(evaluation.metrics.f1);
    const size = JSON.stringify(evaluation).length;
    expect(size).toBeLessThan(20_000);
  });

  it('regression: a residual histogram of every held-out row and a bounded, evenly spread sample', async () => {
    const evaluation = await storedEvaluation<{ residuals: { edges: number[]; counts: number[] }; sample: { rows: number; actual: number[]; predicted: number[] } }>('rev');
    const { residuals, sample } = evaluation.details;
    expect(residuals.counts.reduce((a, b) => a + b, 0)).toBe(evaluation.metrics.rows);
    expect(residuals.edges).toHaveLength(residuals.counts.length + 1);
    expect(sample.rows).toBe(evaluation.metrics.rows);
    expect(sample.actual).toHaveLength(Math.min(1000, evaluation.metrics.rows!));
    expect(sample.predicted).toHaveLength(sample.actual.length);
    // The sample is the model's own predictions: its RMSE is close to the stored one.
    const sse = sample.actual.reduce((s, a, i) => s + (a - sample.predicted[i]!) ** 2, 0);
    expect(Math.sqrt(sse / sample.actual.length)).toBeCloseTo(evaluation.metrics.rmse!, 0);
    const size = JSON.stringify(evaluation).length;
    expect(size).toBeLessThan(40_000);
  });
});

describe('routes', () => {
  it('GET /models lists the models with links, names escaped', async () => {
    const response = await app.inject({ method: 'GET', url: '/models' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.body).toContain('<a href="/models/churn">churn</a>');
    expect(response.body).toContain('<a href="/models/seg">seg</a>');
    expect(response.body).not.toContain('<img');
    expect(response.body).toContain('&#60;img src=x onerror=&#34;window.__xss=1&#34;&#62;&#38;co');
  });

  it('answers 404 for an unknown model or version and 400 for a bad version, naming the fault', async () => {
    const page = await app.inject({ method: 'GET', url: '/models/nope' });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('model nope does not exist');
    const json = await app.inject({ method: 'GET', url: '/models/nope/evaluation.json' });
    expect(json.statusCode).toBe(404);
    expect(json.json()).toEqual({ error: { code: 'unknown_model', message: 'model nope does not exist' } });
    const first = await app.inject({ method: 'GET', url: '/models/churn?version=1' });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('data-source="/models/churn/evaluation.json?version=1"');
    const version = await app.inject({ method: 'GET', url: '/models/churn?version=7' });
    expect(version.statusCode).toBe(404);
    expect(version.body).toContain('model churn has no version 7');
    const bad = await app.inject({ method: 'GET', url: '/models/churn/evaluation.json?version=x1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe('version must be a positive whole number, not "x1"');
    const hostile = await app.inject({ method: 'GET', url: `/models/${encodeURIComponent('<b>nope</b>')}` });
    expect(hostile.statusCode).toBe(404);
    expect(hostile.body).toContain('model &#60;b&#62;nope&#60;/b&#62; does not exist');
  });

  it('evaluation.json carries the stored evaluation, the training curve and the model summary', async () => {
    const response = await app.inject({ method: 'GET', url: '/models/churn/evaluation.json' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    const stored = await engine.store.get('churn');
    expect(body.model).toMatchObject({ name: 'churn', version: 1, active: true, active_version: 1, versions: 1, type: 'binary', target: 'churned' });
    expect(body.evaluation).toEqual(JSON.parse(JSON.stringify(stored!.evaluation)));
    expect(body.training.curve.length).toBe(body.training.passes);
    expect(body.training.curve[0]).toHaveProperty('train_loss');
  });

  it('serves Chart.js and the page files from the installed package, and nothing else', async () => {
    const chart = await app.inject({ method: 'GET', url: '/assets/chart.umd.min.js' });
    expect(chart.statusCode).toBe(200);
    expect(chart.headers['content-type']).toMatch(/^application\/javascript/);
    expect(chart.body).toContain('Chart.js v4');
    expect((await app.inject({ method: 'GET', url: '/assets/page.js' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/assets/page.css' })).headers['content-type']).toMatch(/^text\/css/);
    expect((await app.inject({ method: 'GET', url: '/assets/..%2Fpages.ts' })).statusCode).toBe(404);
  });
});

describe.skipIf(!haveChromium)('in Chromium', () => {
  let browser: Browser;
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${path}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${path}: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${path}: ${response.status()} for ${response.url()}`);
    });
    await page.goto(`${origin}${path}`);
    await page.waitForSelector('main[data-ready=true]', { timeout: 30_000 });
    return page;
  }

  /** How many pixels of a canvas have been drawn on. */
  function paintedPixels(page: Page, id: string): Promise<number> {
    return page.evaluate((canvasId) => {
      const { document } = globalThis as unknown as BrowserGlobals;
      const canvas = document.getElementById(canvasId) as BrowserCanvas | null;
      if (!canvas || canvas.width === 0 || canvas.height === 0) return 0;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
      return painted;
    }, id);
  }

  async function shown(page: Page): Promise<Record<string, number>> {
    const figures: Record<string, number> = {};
    for (const key of ['accuracy', 'precision', 'recall', 'f1']) {
      figures[key] = Number(await page.locator(`.threshold [data-metric=${key}]`).getAttribute('data-value'));
    }
    for (const key of ['tp', 'fp', 'tn', 'fn']) {
      figures[key] = Number(await page.locator(`[data-confusion=${key}]`).textContent());
    }
    return figures;
  }

  it('binary: draws the ROC, histogram and training charts; the threshold control recomputes the figures live', async () => {
    const page = await open('/models/churn');
    for (const id of ['roc-chart', 'histogram-chart', 'training-chart']) {
      expect(await paintedPixels(page, id), `${id} is drawn`).toBeGreaterThan(1000);
    }
    const evaluation = await storedEvaluation<BinaryDetails>('churn');
    const threshold = page.locator('input[type=range]');
    expect(Number(await threshold.inputValue())).toBe(evaluation.metrics.threshold);
    const start = await shown(page);
    expect(start).toEqual({
      accuracy: evaluation.metrics.accuracy, precision: evaluation.metrics.precision, recall: evaluation.metrics.recall, f1: evaluation.metrics.f1,
      ...evaluation.details.confusion,
    });
    expect(await page.locator('#passes').textContent()).toMatch(/^\d+/);
    const histogramBefore = await page.locator('#histogram-chart').evaluate((c) => (c as unknown as BrowserCanvas).toDataURL());

    await threshold.fill('0.3');
    expect(await page.locator('#threshold-value').textContent()).toBe('0.300');
    const moved = await shown(page);
    // Independently: from the stored counts here, and by re-scoring the held-out rows.
    const expected = figuresAt(evaluation.details, 300);
    expect(moved).toEqual({ accuracy: expected.accuracy, precision: expected.precision, recall: expected.recall, f1: expected.f1, tp: expected.tp, fp: expected.fp, tn: expected.tn, fn: expected.fn });
    const rescored = firstRow(await run(engine, 'EVALUATE MODEL churn USING threshold = 0.3;'));
    for (const key of ['accuracy', 'precision', 'recall', 'f1'] as const) expect(moved[key], key).toBe(rescored[key]);
    expect(moved.tp + moved.fn).toBe(start.tp + start.fn);
    expect(moved.recall).toBeGreaterThan(start.recall!);
    expect(moved.precision).not.toBe(start.precision);
    // The threshold line moved on the histogram.
    expect(await page.locator('#histogram-chart').evaluate((c) => (c as unknown as BrowserCanvas).toDataURL())).not.toBe(histogramBefore);

    // The keyboard moves it one step (0.001) at a time.
    await threshold.focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('#threshold-value').textContent()).toBe('0.301');
    const stepped = figuresAt(evaluation.details, 301);
    expect(Number(await page.locator('.threshold [data-metric=precision]').getAttribute('data-value'))).toBe(stepped.precision);

    await page.locator('#threshold-reset').click();
    expect(await shown(page)).toEqual(start);
    await page.close();
  });

  it('binary without per-threshold counts (older versions): stored figures, charts, the control disabled', async () => {
    const page = await open('/models/legacy');
    expect(await paintedPixels(page, 'roc-chart')).toBeGreaterThan(1000);
    expect(await paintedPixels(page, 'histogram-chart')).toBeGreaterThan(1000);
    expect(await page.locator('input[type=range]').isDisabled()).toBe(true);
    const stored = await storedEvaluation<BinaryDetails>('legacy');
    expect(Number(await page.locator('.threshold [data-metric=precision]').getAttribute('data-value'))).toBe(stored.metrics.precision);
    expect(await page.locator('.threshold p.note').textContent()).toContain('RETRAIN MODEL');
    await page.close();
  });

  it('multiclass: the confusion matrix cells are the stored counts', async () => {
    const page = await open('/models/seg');
    const evaluation = await storedEvaluation<{ classes: string[]; confusion: number[][] }>('seg');
    const { confusion, classes } = evaluation.details;
    expect(classes.length).toBe(3);
    for (let a = 0; a < classes.length; a++) {
      for (let p = 0; p < classes.length; p++) {
        const cell = page.locator(`#confusion-matrix td[data-actual="${a}"][data-predicted="${p}"]`);
        expect(Number(await cell.textContent()), `actual ${classes[a]}, predicted ${classes[p]}`).toBe(confusion[a]![p]);
      }
    }
    expect(await page.locator('#per-class tbody tr').count()).toBe(3);
    expect(await paintedPixels(page, 'training-chart')).toBeGreaterThan(1000);
    await page.close();
  });

  it('regression: draws the residual histogram and the predicted-vs-actual scatter', async () => {
    const page = await open('/models/rev');
    for (const id of ['residual-chart', 'scatter-chart', 'training-chart']) {
      expect(await paintedPixels(page, id), `${id} is drawn`).toBeGreaterThan(1000);
    }
    const rmse = (await storedEvaluation<unknown>('rev')).metrics.rmse!;
    expect(await page.locator('[data-metric=rmse]').textContent()).toBe(rmse.toFixed(4));
    await page.close();
  });

  it('shows model names and class labels that are HTML as text', async () => {
    const page = await open(`/models/${encodeURIComponent(HOSTILE_NAME)}`);
    expect(await page.locator('h1').textContent()).toContain(HOSTILE_NAME);
    const headers = await page.locator('#confusion-matrix thead th[scope=col]').allTextContents();
    expect([...headers].sort()).toEqual([...HOSTILE_LABELS].sort());
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.querySelectorAll('img, b, main script').length)).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).__xss)).toBeUndefined();
    await page.close();
  });

  it('asked for nothing but the local origin, and logged no errors', () => {
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
