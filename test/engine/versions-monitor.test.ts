/**
 * Versions and rollback, DESCRIBE DATA's alerts and MONITOR MODEL's drift, on DuckDB and
 * on every server: a seeded table generated here (the target depends on x1 and x2 only;
 * x3 and c are noise the drift test moves; k, sparse, leak and id exist to be flagged).
 *  - rollback: v1, a worse v2 with promote = 'if_better' stays inactive, ACTIVATE v2 then
 *    v1, and PREDICT gives each version's own predictions;
 *  - drift: trained on the even rows, MONITOR on the odd rows finds nothing (every PSI
 *    under 0.1); on the odd rows with x3 moved by one standard deviation and c's share of
 *    'a' doubled, exactly x3 and c are 'major'; runs are stored, a job adds to them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { Engine as EngineClass } from '../../src/engine/engine.js';
import type { ResultTable, Value } from '../../src/data.js';
import { rejectionOf } from '../helpers/errors.js';
import { firstRow, rowObject, run } from '../helpers/engine.js';
import { everyServerTarget } from '../helpers/servers.js';
import { normalFrom, seededRandom } from '../helpers/synthetic.js';
import { CUSTOMERS_SQL } from '../helpers/tables.js';

const ROWS = 6000;

const TARGETS = [
  { label: 'duckdb', url: 'duckdb::memory:', reachable: true },
  ...(await everyServerTarget()).filter((t) => t.label !== 'postgres (cursor)'),
];

const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

/** The generated rows, as SQL literals: id, x1, x2, x3, c, k, sparse, leak, y. */
function generatedRows(): string[] {
  const random = seededRandom(20);
  const normal = normalFrom(random);
  const rows: string[] = [];
  for (let id = 1; id <= ROWS; id++) {
    const x1 = normal();
    const x2 = 5 + 2 * normal();
    const x3 = normal();
    const c = ['a', 'b', 'c'][Math.floor(random() * 3)]!;
    const logit = 1.5 * x1 - 0.8 * (x2 - 5);
    const y = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    const sparse = random() < 0.8 ? 'NULL' : (random() * 10).toFixed(3);
    const leak = (y + 0.2 * normal()).toFixed(6);
    rows.push(`(${id}, ${x1.toFixed(9)}, ${x2.toFixed(9)}, ${x3.toFixed(9)}, '${c}', 7, ${sparse}, ${leak}, ${y})`);
  }
  return rows;
}

function column(result: ResultTable, name: string): Value[] {
  const index = result.columns.findIndex((c) => c.name === name);
  if (index < 0) throw new Error(`no column ${name} in ${result.columns.map((c) => c.name).join(', ')}`);
  return result.rows.map((row) => row[index]!);
}

function byFeature(result: ResultTable): Map<string, Record<string, Value>> {
  return new Map(result.rows.map((_, i) => [rowObject(result, i).feature as string, rowObject(result, i)]));
}

describe.each(TARGETS)('$label', (target) => {
  let engine: Engine;
  const table = `i20_gen_${tag}`;
  const model = `i20_m_${tag}`;
  const drift = `i20_d_${tag}`;
  const job = `i20_j_${tag}`;

  beforeAll(async () => {
    if (!target.reachable) return;
    engine = await EngineClass.open(target.url);
    await run(engine, `DROP TABLE IF EXISTS ${table}`);
    await run(
      engine,
      `CREATE TABLE ${table} (id INTEGER, x1 DOUBLE PRECISION, x2 DOUBLE PRECISION, x3 DOUBLE PRECISION, c VARCHAR(8), k INTEGER, sparse DOUBLE PRECISION, leak DOUBLE PRECISION, y INTEGER)`,
    );
    const rows = generatedRows();
    for (let i = 0; i < rows.length; i += 1000) await run(engine, `INSERT INTO ${table} VALUES ${rows.slice(i, i + 1000).join(', ')}`);
  }, 120_000);

  afterAll(async () => {
    if (!engine) return;
    await engine.runAll(`DROP JOB IF EXISTS ${job}; DROP MODEL IF EXISTS ${model}; DROP MODEL IF EXISTS ${drift}; DROP TABLE IF EXISTS ${table}`);
    await engine.close();
  });

  describe.skipIf(!target.reachable)('versions', () => {
    it('keeps a worse version inactive with promote = if_better, rolls forward and back with ACTIVATE, and PREDICT follows', async () => {
      const source = `(SELECT id, x1, x2, x3, c, y FROM ${table})`;
      const v1 = firstRow(await run(engine, `CREATE MODEL ${model} FROM ${source} PREDICT y`));
      expect(v1.version).toBe(1);
      // Without x1, the column that carries most of the signal, the new version is clearly worse.
      const v2 = await run(engine, `RETRAIN MODEL ${model} FROM (SELECT id, x2, x3, c, y FROM ${table}) USING promote = 'if_better', l2 = 0.001`);
      expect(firstRow(v2).version).toBe(2);
      expect(firstRow(v2).auc as number).toBeLessThan(v1.auc as number);
      expect(firstRow(v2).active).toBe(false);
      expect(v2.notices?.some((n) => n.includes('not active'))).toBe(true);

      const versions = await run(engine, `SHOW VERSIONS ${model}`);
      expect(column(versions, 'version')).toEqual([1, 2]);
      expect(column(versions, 'active')).toEqual([true, false]);
      expect(column(versions, 'auc')).toEqual([v1.auc, firstRow(v2).auc]);
      expect(column(versions, 'changed_options')[1]).toContain('l2=0.001');

      const predictions = async (ref: string): Promise<Value[]> =>
        column(await run(engine, `PREDICT ${ref} FROM (SELECT id, x1, x2, x3, c FROM ${table} WHERE id <= 200) USING engine = 'stream'`), 'score');
      const own1 = await predictions(`${model}@1`);
      const own2 = await predictions(`${model}@2`);
      expect(own1).not.toEqual(own2);
      expect(await predictions(model)).toEqual(own1);

      expect(firstRow(await run(engine, `ACTIVATE MODEL ${model}@2`))).toMatchObject({ version: 2, previous_version: 1 });
      expect(await predictions(model)).toEqual(own2);
      expect(firstRow(await run(engine, `EVALUATE MODEL ${model}`)).auc).toBeCloseTo(firstRow(v2).auc as number, 9);
      // EXPORT follows the active version too: the functions it creates record v2.
      await run(engine, `EXPORT MODEL ${model} AS FUNCTION i20_f_${tag}`);
      expect((await engine.exports.ofModel(model)).map((f) => f.version)).toEqual([2, 2]);
      await run(engine, `ACTIVATE MODEL ${model}@1`);
      expect(await predictions(model)).toEqual(own1);
      expect(column(await run(engine, `SHOW VERSIONS ${model}`), 'active')).toEqual([true, false]);

      // A tie promotes: retrained from the active v1's own source and options, v3 is v1 again, and becomes active.
      const v3 = firstRow(await run(engine, `RETRAIN MODEL ${model} USING promote = 'if_better'`));
      expect(v3.auc).toBe(v1.auc);
      expect(v3.active).toBe(true);
      expect(firstRow(await run(engine, 'SHOW MODELS')).version).toBeDefined();
    }, 120_000);

    it('refuses an unknown version, an unknown model and a bad promote value, changing nothing', async () => {
      const missing = await rejectionOf(run(engine, `ACTIVATE MODEL ${model}@9`));
      expect(missing.code).toBe('unknown_model');
      expect(missing.message).toBe(`model ${model} has no version 9 (SHOW VERSIONS ${model} lists them)`);
      const unknown = await rejectionOf(run(engine, `ACTIVATE MODEL no_such_${tag}@1`));
      expect(unknown.message).toBe(`model no_such_${tag} does not exist (SHOW MODELS lists the models)`);
      expect((await rejectionOf(run(engine, `SHOW VERSIONS no_such_${tag}`))).code).toBe('unknown_model');
      const bad = await rejectionOf(run(engine, `RETRAIN MODEL ${model} USING promote = 'sometimes'`));
      expect(bad.message).toBe("option promote accepts 'always' or 'if_better'");
      expect(column(await run(engine, `SHOW VERSIONS ${model}`), 'active')).toEqual([false, false, true]);
    });
  });

  describe.skipIf(!target.reachable)('data alerts', () => {
    it('DESCRIBE DATA flags the constant, mostly-NULL, identifier and leaking columns, and nothing else', async () => {
      const result = await run(engine, `DESCRIBE DATA FROM ${table} PREDICT y`);
      const rows = new Map(result.rows.map((_, i) => [rowObject(result, i).column as string, rowObject(result, i)]));
      expect([...rows.keys()]).toEqual(['id', 'x1', 'x2', 'x3', 'c', 'k', 'sparse', 'leak', 'y']);
      expect(rows.get('id')!.alerts).toContain('identifier-like');
      expect(rows.get('k')!.alerts).toContain('constant');
      expect(rows.get('sparse')!.alerts).toMatch(/^mostly NULL \(8\d% of rows\)$/);
      expect(rows.get('leak')!.alerts).toMatch(/^likely leakage: alone reaches AUC (0\.9\d\d|1\.000)/);
      for (const clean of ['x1', 'x2', 'x3', 'c']) expect(rows.get(clean)!.alerts).toBeNull();
      expect(rows.get('y')!.metric).toBe('target');
      expect(rows.get('x1')!.metric).toBe('auc');
      // x1 carries the signal, x3 none (its AUC near 0.5 either way).
      expect(rows.get('x1')!.strength as number).toBeGreaterThan(0.7);
      expect(rows.get('x3')!.strength as number).toBeLessThan(0.55);
      expect(rows.get('x1')).toMatchObject({ rows: ROWS, nulls: 0 });
      expect(rows.get('c')!.top_values).toMatch(/^[abc] \(\d+\), [abc] \(\d+\), [abc] \(\d+\)$/);
      expect(rows.get('k')).toMatchObject({ distinct: 1, min: '7', max: '7', mean: 7, stddev: 0 });
    });

    it('CREATE MODEL shows the alerts as notices, and refuses a source with no usable feature column', async () => {
      const result = await run(engine, `CREATE OR REPLACE MODEL ${drift} FROM (SELECT id, x1, leak, y FROM ${table}) PREDICT y`);
      expect(result.notices).toEqual(['id: identifier-like: nearly every value is distinct', expect.stringMatching(/^leak: likely leakage/)]);
      const refused = await rejectionOf(run(engine, `CREATE OR REPLACE MODEL ${drift} FROM (SELECT k, y FROM ${table}) PREDICT y`));
      expect(refused.code).toBe('bad_column');
      expect(refused.message).toBe(`model ${drift} has no usable feature column: every column besides the target y is constant (k has one value only)`);
      // Nothing was stored by the refused training.
      expect(column(await run(engine, `SHOW VERSIONS ${drift}`), 'version')).toEqual([1]);
    }, 60_000);
  });

  describe.skipIf(!target.reachable)('drift', () => {
    it('finds no drift between two halves, and exactly the shifted column and the doubled category on a moved copy', async () => {
      await run(engine, `DROP MODEL IF EXISTS ${drift}; CREATE MODEL ${drift} FROM (SELECT x1, x2, x3, c, y FROM ${table} WHERE id % 2 = 0) PREDICT y`);
      const same = byFeature(await run(engine, `MONITOR MODEL ${drift} ON (SELECT x1, x2, x3, c FROM ${table} WHERE id % 2 = 1)`));
      expect([...same.keys()]).toEqual(['x1', 'x2', 'x3', 'c', '(score)']);
      for (const [feature, row] of same) {
        expect(row.psi as number, feature).toBeLessThan(0.1);
        expect(row.drift, feature).toBe('none');
      }

      // x3 moves by one standard deviation; a third of the rows (half of the non-'a' ones) become 'a', doubling its share.
      const moved = byFeature(
        await run(
          engine,
          `MONITOR MODEL ${drift} ON (SELECT x1, x2, x3 + 1 AS x3, CASE WHEN c <> 'a' AND id % 4 = 1 THEN 'a' ELSE c END AS c FROM ${table} WHERE id % 2 = 1)`,
        ),
      );
      const major = [...moved].filter(([, row]) => row.drift === 'major').map(([feature]) => feature);
      expect(major).toEqual(['x3', 'c']);
      expect((moved.get('x3')!.current_mean as number) - (moved.get('x3')!.training_mean as number)).toBeCloseTo(1, 1);
      expect(moved.get('c')!.current_top).toBe('a');
      for (const feature of ['x1', 'x2']) expect(moved.get(feature)!.drift).toBe('none');
      expect(moved.get('(score)')!.drift).not.toBe('major');

      // Each run is stored; a job running MONITOR adds to the history.
      await run(engine, `CREATE JOB ${job} EVERY '1 day' AS MONITOR MODEL ${drift} ON (SELECT x1, x2, x3, c FROM ${table} WHERE id % 2 = 1)`);
      await run(engine, `RUN JOB ${job}`);
      const history = await engine.monitors.history(drift);
      expect(history.map((h) => h.version)).toEqual([1, 1, 1]);
      expect(history.map((h) => h.rows)).toEqual([ROWS / 2, ROWS / 2, ROWS / 2]);
      const psiOfX3 = history.map((h) => (h.results as { feature: string; psi: number }[]).find((r) => r.feature === 'x3')!.psi);
      expect(psiOfX3[1]).toBeGreaterThan(0.25);
      expect(psiOfX3[2]).toBeLessThan(0.1);
    }, 120_000);

    it('names a missing input column, and asks to retrain a version stored without a profile', async () => {
      const missing = await rejectionOf(run(engine, `MONITOR MODEL ${drift} ON (SELECT x1, x2, c FROM ${table})`));
      expect(missing.code).toBe('bad_column');
      expect(missing.message).toMatch(new RegExp(`^input column x3 of model ${drift} is not among the source's columns`));
      if (target.label === 'duckdb') {
        // A version from before profiles were stored: its training statistics without one.
        const stats = { ...((await engine.store.get(drift))!.trainingStats as Record<string, unknown>) };
        delete stats.drift_profile;
        await engine.catalog.updateTable('sqlml_model_versions').set({ training_stats: JSON.stringify(stats) }).where('name', '=', drift).execute();
        const old = await rejectionOf(run(engine, `MONITOR MODEL ${drift} ON ${table}`));
        expect(old.message).toBe(`version 1 of model ${drift} was trained before sqlml stored training profiles; RETRAIN MODEL ${drift} to monitor it`);
      }
      // The runs go with their model.
      await run(engine, `DROP JOB ${job}; DROP MODEL ${drift}`);
      expect(await engine.monitors.history(drift)).toEqual([]);
    });
  });
});

describe('other tasks (DuckDB)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await EngineClass.open('duckdb::memory:');
    await engine.runAll(CUSTOMERS_SQL);
  });
  afterAll(async () => {
    await engine.close();
  });

  it('DESCRIBE DATA measures R² for a regression target and macro AUC for a multiclass one', async () => {
    const regression = await run(engine, 'DESCRIBE DATA FROM (SELECT spend, plan, calls, revenue FROM customers) PREDICT revenue');
    const r2 = new Map(regression.rows.map((_, i) => [rowObject(regression, i).column, rowObject(regression, i)]));
    // revenue = 3 × spend + …: spend alone explains nearly all of it, a leak by the R² rule.
    expect(r2.get('spend')).toMatchObject({ metric: 'r2' });
    expect(r2.get('spend')!.strength as number).toBeGreaterThan(0.9);
    expect(r2.get('spend')!.alerts).toMatch(/^likely leakage: alone reaches R² 0\.9/);
    expect(r2.get('calls')!.strength as number).toBeLessThan(0.05);
    const multiclass = await run(engine, 'DESCRIBE DATA FROM (SELECT spend, calls, segment FROM customers) PREDICT segment');
    const macro = new Map(multiclass.rows.map((_, i) => [rowObject(multiclass, i).column, rowObject(multiclass, i)]));
    // segment is cut from the same draw as spend: spend separates the three segments.
    expect(macro.get('spend')).toMatchObject({ metric: 'macro_auc' });
    expect(macro.get('spend')!.strength as number).toBeGreaterThan(0.95);
    expect(macro.get('calls')!.strength as number).toBeLessThan(0.56);
  });

  it('monitors a regression model and a multiclass one, named by version', async () => {
    await run(engine, 'CREATE MODEL rev FROM (SELECT plan, calls, segment, revenue FROM customers WHERE id % 2 = 0) PREDICT revenue');
    const same = byFeature(await run(engine, 'MONITOR MODEL rev@1 ON (SELECT plan, calls, segment FROM customers WHERE id % 2 = 1)'));
    expect([...same.values()].map((row) => row.drift)).toEqual(['none', 'none', 'none', 'none']);
    expect(same.get('(score)')!.training_mean as number).toBeGreaterThan(100);
    await run(engine, 'CREATE MODEL seg FROM (SELECT spend, plan, segment FROM customers WHERE id % 2 = 0) PREDICT segment');
    const moved = byFeature(await run(engine, "MONITOR MODEL seg ON (SELECT spend * 2 AS spend, 'pro' AS plan FROM customers WHERE id % 2 = 1)"));
    expect(moved.get('spend')!.drift).toBe('major');
    expect(moved.get('plan')).toMatchObject({ drift: 'major', training_top: 'basic', current_top: 'pro' });
    expect(moved.get('(score)')!.psi as number).toBeGreaterThan(0);
  });

  it('watches only the columns the recipe keeps: an excluded one is neither needed nor reported', async () => {
    const created = await run(engine, 'CREATE MODEL kept FROM (SELECT id, spend, plan, churned FROM customers) PREDICT churned RECIPE (exclude(id))');
    expect(created.notices).toBeUndefined();
    const drift = await run(engine, 'MONITOR MODEL kept ON (SELECT spend, plan FROM customers)');
    expect(column(drift, 'feature')).toEqual(['spend', 'plan', '(score)']);
  });
});
