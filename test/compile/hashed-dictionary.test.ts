/**
 * A hashed category's values seen at training compile, where the dialect searches text by
 * byte order (PostgreSQL; UTF-8's, astral characters after U+E000–U+FFFF), to a dictionary of their keys (slots computed by the learner's
 * h32, self-checked against the slots they were named under); every other value takes
 * md5 in the database, as every value does elsewhere. On every
 * database the compiled model answers as the stream for known values, values differing
 * from a known one only in case or a trailing space, '', unicode (known and not) and
 * NULL; a name that does not hash to its slot is left out of the dictionary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/index.js';
import { DICTIONARY_CAP, knownValues } from '../../src/compile/hashed-features.js';
import type { Column, ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { h32 } from '../../src/learn/md5.js';
import { deserializeModel } from '../../src/learn/model-format.js';
import type { TrainedModel } from '../../src/learn/model.js';
import type { Recipe } from '../../src/learn/recipe-format.js';
import { ownDatabase, serverTargets } from '../helpers/servers.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];

/**
 * 156 categories (past ONE_HOT_MAX, so hashed): ASCII ones, '', a space inside, unicode:
 * astral characters (surrogate pairs in JavaScript) beside U+E000–U+FFFF ones, which UTF-8
 * orders the other way round, and a letter with a combining mark.
 */
const KNOWN = [...Array.from({ length: 140 }, (_, i) => `k${i}`), '', 'a b', 'Ünï', '日本', '🙂', 'x~', 'Q', 'q_1', 'z', '!', '\uff01', '\ue000', '😀', '𝔘', 'e\u0301', 'a|b'];
/** Scored values never seen: case and trailing-space twins of known ones, unicode (the precomposed twin of a combined letter), between and around them. */
const UNSEEN = ['K1', 'k1 ', ' k1', 'k140', 'k', 'A B', 'ünï', '日', ' ', 'Z', 'zz', '~', '', 'q_10', 'k0\u00a0', 'é', 'e', 'e\u0300', '\uff02', '🙃', '𝔙', 'a|'];

describe('knownValues', () => {
  const recipe = { hashBits: 6 } as Recipe;
  const prefix = 'c3:';
  const slotOf = (value: string): number => h32(prefix + value) & 63;

  it('keeps a name under the slot its key hashes to, and drops one under any other slot or of another feature', () => {
    const other = (slotOf('good') + 1) & 63;
    const names = {
      truncated: false,
      slots: {
        [String(slotOf('good'))]: [[2, 'good'], [5, 'good'], [-1, '']],
        [String(other)]: [[2, 'misplaced']].filter(() => slotOf('misplaced') !== other),
        [String(slotOf('ünï'))]: [[2, 'ünï']],
      },
    } as unknown as Parameters<typeof knownValues>[1];
    // A name recorded under a slot its key does not hash to is not a key: left out.
    if (slotOf('misplaced') !== other) expect(names!.slots[String(other)]!.length).toBe(1);
    const known = knownValues(recipe, names, 2, prefix);
    expect(known.map((k) => k.value).sort()).toEqual(['good', 'ünï']);
    for (const { value, offset } of known) expect(offset).toBe(slotOf(value));
    // Another feature's names are not this feature's keys (its prefix differs).
    expect(knownValues(recipe, names, 5, 'c9:').map((k) => k.value)).toEqual([]);
    expect(knownValues(recipe, null, 2, prefix)).toEqual([]);
    expect(DICTIONARY_CAP).toBeGreaterThan(KNOWN.length);
  });
});

describe.each(TARGETS)('$label', ({ url: sharedUrl }) => {
  let engine: Engine;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const src = `hd_src_${tag}`;
  const score = `hd_score_${tag}`;
  const model = `hd_model_${tag}`;
  const multiclass = `hd_classes_${tag}`;
  const sql = (text: string): Promise<ResultTable> => engine.adapter.query(text);
  const run = async (text: string): Promise<ResultTable> => (await engine.runAll(text)).at(-1)!;
  const text = (value: string | null): string => (value === null ? 'NULL' : engine.adapter.sql.quoteString(value));

  /** The model's compiled SELECT over the score table. */
  const compiledSelect = (trained: TrainedModel): string => {
    const columns: Column[] = [{ name: 'cat', type: 'text', dbType: '' }];
    const compiled = compileModel(trained, engine.adapter.sql, columns);
    if (!compiled.ok) throw new Error(compiled.reason);
    return compiled.compiled.select(score, []);
  };

  beforeAll(async () => {
    const url = sharedUrl.startsWith('duckdb') ? sharedUrl : await ownDatabase(sharedUrl, 'hd');
    engine = await Engine.open(url);
    for (const table of [src, score]) {
      await sql(`DROP TABLE IF EXISTS ${table}`);
      await sql(`CREATE TABLE ${table} (id INTEGER NOT NULL PRIMARY KEY, cat VARCHAR(20), y INTEGER, k INTEGER)`);
    }
    // Each category with its own rate of y = 1 and of each class k (and some NULLs), so the weights differ.
    const training = Array.from({ length: KNOWN.length * 8 }, (_, i) => {
      const c = i % KNOWN.length;
      const y = (i * 7919) % 100 < (c * 100) / KNOWN.length ? 1 : 0;
      const k = ((i * 7919) % 100 < 70 ? c : i) % 3;
      return `(${i + 1}, ${i % 37 === 0 ? 'NULL' : text(KNOWN[c]!)}, ${y}, ${k})`;
    });
    await sql(`INSERT INTO ${src} VALUES ${training.join(', ')}`);
    const scored = [...KNOWN, ...UNSEEN, null].map((value, i) => `(${i + 1}, ${text(value)}, 0, 0)`);
    await sql(`INSERT INTO ${score} VALUES ${scored.join(', ')}`);
    await run(`CREATE MODEL ${model} FROM (SELECT cat, y FROM ${src}) PREDICT y USING passes = 3;`);
    await run(`CREATE MODEL ${multiclass} FROM (SELECT cat, k FROM ${src}) PREDICT k USING passes = 3;`);
  }, 180_000);

  afterAll(async () => {
    if (!engine) return;
    for (const name of [model, multiclass]) await run(`DROP MODEL IF EXISTS ${name};`).catch(() => undefined);
    for (const table of [src, score]) await sql(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await engine.close();
  });

  it.each(['binary', 'multiclass'])('%s: answers as the stream for known values, their near twins, unseen ones and NULL', async (task) => {
    const name = task === 'binary' ? model : multiclass;
    // (EXPLAIN PREDICT shows no SQL where 'auto' keeps a hashed model on the stream: MySQL.)
    const compiled = compiledSelect(deserializeModel((await engine.store.get(name))!.model));
    // The category is hashed, and its known values (ASCII or not) are in the dictionary where the dialect searches one.
    expect(compiled).toMatch(/md5/i);
    const searched = engine.adapter.sql.hashedTextKey !== undefined && engine.adapter.sql.textKeyBelow !== undefined;
    for (const value of ['k0', 'k139', 'a b', 'x~', '🙂', '\uff01', '𝔘', 'e\u0301', '日本']) expect(compiled.includes(engine.adapter.sql.quoteString(value)), value).toBe(searched);
    const byId = (result: ResultTable): Map<number, readonly Value[]> => new Map(result.rows.map((row) => [Number(row[0]), row]));
    const database = byId(await run(`PREDICT ${name} FROM (SELECT id, cat FROM ${score}) USING engine = 'database';`));
    const stream = byId(await run(`PREDICT ${name} FROM (SELECT id, cat FROM ${score}) USING engine = 'stream';`));
    expect(database.size).toBe(KNOWN.length + UNSEEN.length + 1);
    expect(database.size).toBe(stream.size);
    const scores = new Set<number>();
    for (const [id, want] of stream) {
      const have = database.get(id)!;
      expect(String(have[2]), `row ${id} (${String(want[1])}) predicted_label`).toBe(String(want[2]));
      expect(Math.abs(Number(have[3]) - Number(want[3])), `row ${id} (${String(want[1])}) score`).toBeLessThan(1e-9);
      scores.add(Number(want[3]));
    }
    // The values' weights differ: a value routed to a wrong slot would show.
    expect(scores.size).toBeGreaterThan(15);
  });

  it('leaves out of the dictionary a name that does not hash to the slot it is recorded under', async () => {
    const stored = deserializeModel((await engine.store.get(model))!.model);
    const names = stored.hashedNames!;
    expect(names).toBeTruthy();
    const feature = stored.recipe.features.findIndex((f) => f.kind === 'hashed_category');
    // 'k7' recorded under a slot it does not hash to (as well as its own), and a bogus name.
    const own = Object.entries(names.slots).find(([, list]) => list.some(([f, v]) => f === feature && v === 'k7'))![0];
    const wrong = Object.keys(names.slots).find((slot) => slot !== own)!;
    const tampered = { ...names, slots: { ...names.slots, [wrong]: [...names.slots[wrong]!, [feature, 'bogus'] as const] } };
    const kept = knownValues(stored.recipe, tampered, feature, (stored.recipe.features[feature] as { hashPrefix: string }).hashPrefix);
    expect(kept.some((k) => k.value === 'bogus')).toBe(false);
    expect(kept.find((k) => k.value === 'k7')?.offset).toBe(Number(own));
    const select = compiledSelect({ ...stored, hashedNames: tampered });
    expect(select).not.toContain(engine.adapter.sql.quoteString('bogus'));
    expect(select.includes(engine.adapter.sql.quoteString('k7'))).toBe(engine.adapter.sql.hashedTextKey !== undefined);
  });
});
