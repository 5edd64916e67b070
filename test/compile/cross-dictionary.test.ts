/**
 * A crossing's pairs of values seen at training compile, where the dialect searches text
 * by byte order (PostgreSQL), to a dictionary of their keys: the left value searched,
 * then the right one among its pairs, each pair's slot computed by the learner's h32 and
 * self-checked against the slot its name was recorded under; every other pair takes md5
 * in the database, as every pair does elsewhere. On every database the compiled model
 * answers as the stream for known pairs, a known value crossed with an unseen one, unseen
 * values, near twins (case, a trailing space), '', unicode, values holding the separators
 * ('|', ' × ') and NULL on either side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/index.js';
import { knownPairs } from '../../src/compile/hashed-features.js';
import type { Column, ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { h32 } from '../../src/learn/md5.js';
import { deserializeModel } from '../../src/learn/model-format.js';
import type { TrainedModel } from '../../src/learn/model.js';
import type { CrossFeature, Recipe } from '../../src/learn/recipe-format.js';
import type { HashedNames } from '../../src/learn/weight-names.js';
import { ownDatabase, serverTargets } from '../helpers/servers.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];

/** Left values: ASCII, '', unicode (astral beside U+FF01, a combining mark), and the separators of the key ('|') and of the names (' × '). */
const LEFT = ['red', 'Green', 'blue ', '', 'Ünï', '日本', '🙂', '\uff01', 'e\u0301', 'a|b', 'x × y', '<NULL>'];
/** Right integers (bigint), negative and zero. */
const NUMBERS = [-3, -1, 0, 1, 2, 7, 40, 123456789012];
/** Right text values. */
const RIGHT = ['p', 'Q', 'q r', 'ü', '|', '× z', ''];
/** Never seen at training. */
const UNSEEN_LEFT = ['RED', 'red ', 'green', 'é', '🙃', 'a|', 'x ×', 'zz'];
const UNSEEN_NUMBERS = [-2, 3, 41, 999];
const UNSEEN_RIGHT = ['P', 'q', 'ü ', 'zz'];

describe('knownPairs', () => {
  const recipe = { hashBits: 6 } as Recipe;
  const prefix = 'x1:';
  const side = (kind: 'text' | 'number'): CrossFeature['left'] => ({ column: kind, kind, normalize: { lowercase: false, noPunct: false }, cuts: null, text: kind });
  const f = { kind: 'cartesian', left: side('text'), right: side('number') } as unknown as CrossFeature;
  const slotOf = (key: string): number => h32(prefix + key) & 63;

  it('reads each name at every separator, keeps the readings whose key hashes to the slot it is recorded under, and drops the rest', () => {
    const names: HashedNames = {
      truncated: false,
      slots: {
        [String(slotOf('tred|v5'))]: [[3, 'red × 5'], [4, 'red × 5']],
        [String(slotOf('tx × y|v-1'))]: [[3, 'x × y × -1']],
        [String(slotOf('n|n'))]: [[3, '<NULL> × <NULL>']],
        [String(slotOf('t<NULL>|v0'))]: [[3, '<NULL> × 0']],
        [String((slotOf('tmisplaced|v1') + 1) & 63)]: [[3, 'misplaced × 1'], [3, 'red × 1.5'], [3, 'red × 05']],
      },
    };
    const pairs = knownPairs(recipe, names, 3, f, prefix);
    const keys = pairs.map((p) => `${JSON.stringify(p.left)} ${JSON.stringify(p.right)}`).sort();
    expect(keys).toEqual(
      [`{"text":"red"} {"integer":5}`, `{"text":"x × y"} {"integer":-1}`, `null null`, `{"text":"<NULL>"} {"integer":0}`].sort(),
    );
    for (const p of pairs) {
      const token = (v: (typeof p)['left']): string => (v === null ? 'n' : 'text' in v ? `t${v.text}` : `v${v.integer}`);
      expect(p.offset).toBe(slotOf(`${token(p.left)}|${token(p.right)}`));
    }
    // Another feature's names are not this feature's pairs; no names, no pairs.
    expect(knownPairs(recipe, names, 5, f, prefix)).toEqual([]);
    expect(knownPairs(recipe, null, 3, f, prefix)).toEqual([]);
  });
});

describe.each(TARGETS)('$label', ({ url: sharedUrl }) => {
  let engine: Engine;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const src = `xd_src_${tag}`;
  const score = `xd_score_${tag}`;
  const binary = `xd_model_${tag}`;
  const multiclass = `xd_classes_${tag}`;
  const sql = (text: string): Promise<ResultTable> => engine.adapter.query(text);
  const run = async (text: string): Promise<ResultTable> => (await engine.runAll(text)).at(-1)!;
  const text = (value: string | null): string => (value === null ? 'NULL' : engine.adapter.sql.quoteString(value));
  const int = (value: number | null): string => (value === null ? 'NULL' : String(value));
  const COLUMNS: Column[] = [
    { name: 'a', type: 'text', dbType: '' },
    { name: 'b', type: 'text', dbType: '' },
    { name: 'n', type: 'bigint', dbType: '' },
  ];

  const compiledSelect = (trained: TrainedModel): string => {
    const compiled = compileModel(trained, engine.adapter.sql, COLUMNS);
    if (!compiled.ok) throw new Error(compiled.reason);
    return compiled.compiled.select(score, []);
  };
  const stored = async (name: string): Promise<TrainedModel> => deserializeModel((await engine.store.get(name))!.model);

  beforeAll(async () => {
    const url = sharedUrl.startsWith('duckdb') ? sharedUrl : await ownDatabase(sharedUrl, 'xd');
    engine = await Engine.open(url);
    for (const table of [src, score]) {
      await sql(`DROP TABLE IF EXISTS ${table}`);
      await sql(`CREATE TABLE ${table} (id INTEGER NOT NULL PRIMARY KEY, a VARCHAR(20), b VARCHAR(20), n BIGINT, y INTEGER, k INTEGER)`);
    }
    // Every (left, right) pair several times, with NULLs on each side; each pair its own rates of y and k, so the crossings' weights differ.
    const rows: string[] = [];
    for (let i = 0; i < 1400; i++) {
      const l = (i * 7) % (LEFT.length + 1);
      const r = (i * 11) % (NUMBERS.length + 1);
      const t = (i * 13) % (RIGHT.length + 1);
      const a = l === LEFT.length ? null : LEFT[l]!;
      const n = r === NUMBERS.length ? null : NUMBERS[r]!;
      const b = t === RIGHT.length ? null : RIGHT[t]!;
      const mix = (l * 31 + r * 17 + t * 5) % 100;
      const y = (i * 7919) % 100 < mix ? 1 : 0;
      const k = ((i * 7919) % 100 < 75 ? l + r : i) % 3;
      rows.push(`(${i + 1}, ${text(a)}, ${text(b)}, ${int(n)}, ${y}, ${k})`);
    }
    await sql(`INSERT INTO ${src} VALUES ${rows.join(', ')}`);
    const lefts = [...LEFT, ...UNSEEN_LEFT, null];
    const numbers = [...NUMBERS, ...UNSEEN_NUMBERS, null];
    const rights = [...RIGHT, ...UNSEEN_RIGHT, null];
    const scored: string[] = [];
    lefts.forEach((a, l) => numbers.forEach((n, r) => scored.push(`(${scored.length + 1}, ${text(a)}, ${text(rights[(l + r) % rights.length]!)}, ${int(n)}, 0, 0)`)));
    await sql(`INSERT INTO ${score} VALUES ${scored.join(', ')}`);
    const recipe = 'RECIPE (cartesian(a, n), cartesian(a, b))';
    await run(`CREATE MODEL ${binary} FROM (SELECT a, b, n, y FROM ${src}) PREDICT y ${recipe} USING passes = 3;`);
    await run(`CREATE MODEL ${multiclass} FROM (SELECT a, b, n, k FROM ${src}) PREDICT k ${recipe} USING passes = 3;`);
  }, 180_000);

  afterAll(async () => {
    if (!engine) return;
    for (const name of [binary, multiclass]) await run(`DROP MODEL IF EXISTS ${name};`).catch(() => undefined);
    for (const table of [src, score]) await sql(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await engine.close();
  });

  it.each(['binary', 'multiclass'])('%s: answers as the stream for known pairs, unseen and unicode values, separators and NULL on either side', async (task) => {
    const name = task === 'binary' ? binary : multiclass;
    const model = await stored(name);
    const crossings = model.recipe.features.map((f, i) => [f, i] as const).filter(([f]) => f.kind === 'cartesian');
    expect(crossings).toHaveLength(2);
    // Pairs were recorded (and self-checked) for both crossings, NULLs and the separators among them.
    for (const [f, i] of crossings) {
      const pairs = knownPairs(model.recipe, model.hashedNames ?? null, i, f as CrossFeature, (f as CrossFeature).hashPrefix!);
      expect(pairs.length, f.transform ?? '').toBeGreaterThan(40);
      expect(pairs.some((p) => p.left === null)).toBe(true);
      expect(pairs.some((p) => p.left !== null && 'text' in p.left && p.left.text === 'x × y')).toBe(true);
    }
    // The dictionary is in the SQL exactly where the dialect searches one; md5 stays for the pairs not in it.
    const searched = engine.adapter.sql.hashedTextKey !== undefined && engine.adapter.sql.textKeyBelow !== undefined;
    const withNames = compiledSelect(model);
    const withoutNames = compiledSelect({ ...model, hashedNames: null });
    expect(withNames).toMatch(/md5/i);
    expect(withNames.length > withoutNames.length).toBe(searched);
    if (!searched) expect(withNames).toBe(withoutNames);
    const byId = (result: ResultTable): Map<number, readonly Value[]> => new Map(result.rows.map((row) => [Number(row[0]), row]));
    const source = `(SELECT id, a, b, n FROM ${score})`;
    const database = byId(await run(`PREDICT ${name} FROM ${source} USING engine = 'database';`));
    const stream = byId(await run(`PREDICT ${name} FROM ${source} USING engine = 'stream';`));
    expect(database.size).toBe((LEFT.length + UNSEEN_LEFT.length + 1) * (NUMBERS.length + UNSEEN_NUMBERS.length + 1));
    expect(database.size).toBe(stream.size);
    const scores = new Set<number>();
    const at = stream.values().next().value!.length;
    for (const [id, want] of stream) {
      const have = database.get(id)!;
      const what = `row ${id} (${String(want[1])}, ${String(want[2])}, ${String(want[3])})`;
      expect(String(have[at - 2]), `${what} predicted_label`).toBe(String(want[at - 2]));
      expect(Math.abs(Number(have[at - 1]) - Number(want[at - 1])), `${what} score`).toBeLessThan(1e-9);
      scores.add(Number(want[at - 1]));
    }
    // The pairs' weights differ: a pair routed to a wrong slot would show.
    expect(scores.size).toBeGreaterThan(100);
  });

  it('leaves out of the dictionary a name that does not hash to the slot it is recorded under', async () => {
    const model = await stored(binary);
    const names = model.hashedNames!;
    const feature = model.recipe.features.findIndex((f) => f.kind === 'cartesian' && f.right.kind === 'number');
    const f = model.recipe.features[feature] as CrossFeature;
    const own = Object.entries(names.slots).find(([, list]) => list.some(([g, v]) => g === feature && v === 'red × 7'))![0];
    const wrong = Object.keys(names.slots).find((slot) => slot !== own)!;
    const tampered = { ...names, slots: { ...names.slots, [wrong]: [...names.slots[wrong]!, [feature, 'bogus × 5'] as const] } };
    const kept = knownPairs(model.recipe, tampered, feature, f, f.hashPrefix!);
    expect(kept.some((p) => p.left !== null && 'text' in p.left && p.left.text === 'bogus')).toBe(false);
    expect(kept.find((p) => p.left !== null && 'text' in p.left && p.left.text === 'red' && p.right !== null && 'integer' in p.right && p.right.integer === 7)?.offset).toBe(Number(own));
    expect(compiledSelect({ ...model, hashedNames: tampered })).not.toContain(engine.adapter.sql.quoteString('bogus'));
  });
});
