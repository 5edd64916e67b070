import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import { catalogDdl, splitDdl } from '../../src/catalog/ddl.js';
import { ModelStore, type NewModelVersion } from '../../src/catalog/model-store.js';
import { SqlmlError } from '../../src/errors.js';

/** DROP without a job check or function drops: the store's own rows only. */
const NO_JOBS_CHECK = { refuse: (): void => undefined, dropFunction: null };

let adapter: Adapter;
let store: ModelStore;

beforeAll(async () => {
  adapter = await openAdapter('duckdb::memory:');
});

afterAll(async () => {
  await adapter.close();
});

beforeEach(async () => {
  // A clean catalog per test; a fresh store so ensureSchema really runs.
  for (const table of ['sqlml_model_versions', 'sqlml_models', 'sqlml_job_runs', 'sqlml_jobs', 'sqlml_job_leases']) await adapter.query(`DROP TABLE IF EXISTS ${table}`);
  await adapter.query('DROP SEQUENCE IF EXISTS sqlml_job_runs_id_seq');
  store = new ModelStore(adapter);
  await store.ensureSchema();
});

function newVersion(overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    name: 'churn',
    type: 'binary',
    target: 'churned',
    options: { passes: 10, l2: 1e-6, seed: 1 },
    recipe: { transforms: [{ kind: 'standardize', column: 'age', mean: 41.5, sd: 9.25 }] },
    model: '{"weights":"AAAA"}',
    trainingStats: { rows_trained: 700, curve: [{ pass: 1, train_loss: 0.5 }] },
    evaluation: { task: 'binary', metrics: { auc: 0.875, accuracy: 0.8 }, details: {} },
    sourceQuery: 'SELECT * FROM customers',
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('catalog DDL', () => {
  it('splits each dialect file into its CREATE statements, comments and semicolons gone', () => {
    for (const dialect of ['duckdb', 'postgres', 'mysql'] as const) {
      const statements = catalogDdl(dialect);
      const tables = statements.filter((s) => s.startsWith('CREATE TABLE IF NOT EXISTS')).map((s) => /EXISTS (\w+)/.exec(s)![1]);
      expect(tables).toEqual(['sqlml_models', 'sqlml_model_versions', 'sqlml_jobs', 'sqlml_job_runs', 'sqlml_job_leases', 'sqlml_exports', 'sqlml_monitor_runs', 'sqlml_trials']);
      for (const statement of statements) {
        expect(statement).not.toContain(';');
        expect(statement).not.toMatch(/--/);
      }
    }
    expect(splitDdl('-- a; comment\nCREATE TABLE a (x INT); ;\n CREATE TABLE b (y INT) -- trailing;\n')).toEqual(['CREATE TABLE a (x INT)', 'CREATE TABLE b (y INT)']);
  });
});

describe('ModelStore', () => {
  it('creates the catalog once per store', async () => {
    expect(await adapter.tableExists({ name: 'sqlml_models' })).toBe(true);
    await adapter.query('DROP TABLE sqlml_jobs');
    await store.ensureSchema();
    expect(await adapter.tableExists({ name: 'sqlml_jobs' })).toBe(false);
    await new ModelStore(adapter).ensureSchema();
    expect(await adapter.tableExists({ name: 'sqlml_jobs' })).toBe(true);
  });

  it('stores a first version as version 1, active, and reads back exactly what was saved', async () => {
    const saved = await store.saveVersion(newVersion());
    expect(saved).toMatchObject({ name: 'churn', version: 1, status: 'ready', active: true, type: 'binary', target: 'churned' });
    expect(Date.parse(saved.createdAt)).not.toBeNaN();
    expect(await store.get('churn')).toEqual(saved);
    expect(await store.get('churn', 1)).toEqual(saved);
    expect(saved.options).toEqual({ passes: 10, l2: 1e-6, seed: 1 });
    expect(saved.recipe).toEqual(newVersion().recipe);
    expect(saved.trainingStats).toEqual(newVersion().trainingStats);
    expect(saved.evaluation).toEqual(newVersion().evaluation);
    expect(saved.sourceQuery).toBe('SELECT * FROM customers');
  });

  it('numbers versions per model and makes the newest active', async () => {
    await store.saveVersion(newVersion({ model: 'm1' }));
    await store.saveVersion(newVersion({ name: 'other', model: 'o1' }));
    const second = await store.saveVersion(newVersion({ model: 'm2' }));
    expect(second.version).toBe(2);
    expect((await store.get('churn'))?.model).toBe('m2');
    expect(await store.get('churn', 1)).toMatchObject({ model: 'm1', active: false });
    expect(await store.get('other')).toMatchObject({ version: 1, model: 'o1', active: true });
  });

  it('serializes concurrent saves of one model into distinct versions', async () => {
    const saved = await Promise.all([1, 2, 3, 4, 5].map((n) => store.saveVersion(newVersion({ model: `m${n}` }))));
    expect(saved.map((v) => v.version).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await store.get('churn'))?.version).toBe(5);
  });

  it('keeps the active version when a save fails half-way, and leaves none of the new one', async () => {
    await store.saveVersion(newVersion({ model: 'good' }));
    // The version row is refused by NOT NULL after the model row was already touched.
    const error = await rejection(store.saveVersion(newVersion({ target: null as unknown as string })));
    expect(error).toBeInstanceOf(SqlmlError);
    expect((error as SqlmlError).code).toBe('database');
    expect(await store.get('churn')).toMatchObject({ version: 1, model: 'good', active: true });
    expect(await store.get('churn', 2)).toBeUndefined();
    expect((await store.saveVersion(newVersion({ model: 'next' }))).version).toBe(2);
  });

  it('leaves no trace of a model whose first save fails', async () => {
    const error = await rejection(store.saveVersion(newVersion({ name: 'ghost', type: null as unknown as string })));
    expect((error as SqlmlError).code).toBe('database');
    expect(await store.exists('ghost')).toBe(false);
    expect(await store.list()).toEqual([]);
  });

  it('fails before writing anything when a document cannot be serialized', async () => {
    await store.saveVersion(newVersion({ model: 'good' }));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(store.saveVersion(newVersion({ evaluation: circular }))).rejects.toThrow(/circular/i);
    expect(await store.get('churn')).toMatchObject({ version: 1, model: 'good' });
  });

  it('stores a missing document as JSON null', async () => {
    const saved = await store.saveVersion(newVersion({ evaluation: undefined, recipe: null }));
    expect(saved.evaluation).toBeNull();
    expect((await store.get('churn'))?.recipe).toBeNull();
  });

  it('keeps names exactly as given', async () => {
    await store.saveVersion(newVersion({ name: 'Churn Model' }));
    expect(await store.exists('Churn Model')).toBe(true);
    expect(await store.exists('churn model')).toBe(false);
  });

  it('lists models by name with their active version, version count and headline metric', async () => {
    await store.saveVersion(newVersion({ name: 'b_multi', type: 'multiclass', evaluation: { task: 'multiclass', metrics: { accuracy: 0.9, macro_f1: 0.85 } } }));
    await store.saveVersion(newVersion({ name: 'a_binary' }));
    const active = await store.saveVersion(newVersion({ name: 'a_binary', evaluation: { metrics: { auc: 0.91 } } }));
    await store.saveVersion(newVersion({ name: 'c_regression', type: 'regression', evaluation: { rmse: 3.25, mae: 2 } }));
    await store.saveVersion(newVersion({ name: 'd_unevaluated', evaluation: null }));
    const summaries = await store.list();
    expect(summaries).toEqual([
      { name: 'a_binary', version: 2, versions: 2, type: 'binary', target: 'churned', createdAt: active.createdAt, headline: { metric: 'auc', value: 0.91 } },
      expect.objectContaining({ name: 'b_multi', version: 1, versions: 1, headline: { metric: 'accuracy', value: 0.9 } }),
      expect.objectContaining({ name: 'c_regression', type: 'regression', headline: { metric: 'rmse', value: 3.25 } }),
      expect.objectContaining({ name: 'd_unevaluated', headline: null }),
    ]);
  });

  it('drops every version of one model and says whether it existed', async () => {
    await store.saveVersion(newVersion());
    await store.saveVersion(newVersion());
    await store.saveVersion(newVersion({ name: 'kept' }));
    expect((await store.drop('churn', NO_JOBS_CHECK)).dropped).toBe(true);
    expect(await store.exists('churn')).toBe(false);
    expect(await store.get('churn', 1)).toBeUndefined();
    expect((await store.drop('churn', NO_JOBS_CHECK)).dropped).toBe(false);
    expect((await store.list()).map((m) => m.name)).toEqual(['kept']);
    // A new model of the dropped name starts again at version 1.
    expect((await store.saveVersion(newVersion())).version).toBe(1);
  });

  it('answers undefined for an unknown model or version', async () => {
    await store.saveVersion(newVersion());
    expect(await store.get('nope')).toBeUndefined();
    expect(await store.get('churn', 7)).toBeUndefined();
    expect(await store.exists('nope')).toBe(false);
  });

  it('stores and reads back a 32 MB model text', async () => {
    const model = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'.repeat(1 << 20);
    await store.saveVersion(newVersion({ model }));
    const read = await store.get('churn');
    expect(read?.model.length).toBe(model.length);
    expect(read?.model === model).toBe(true);
  });
});
