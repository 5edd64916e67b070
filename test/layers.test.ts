/**
 * The layer rule (.dependency-cruiser.cjs, `npm run lint:layers`) bites: on a temporary copy
 * of src/ and adapters/ with probe files added, the cruiser reports each upward import under
 * the rule that forbids it, type-only imports and a cycle in src/learn included, and reports
 * nothing for imports the layers allow. The repository itself is never written to.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const depcruise = join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
}

/** Files added to the copy: path → content. Each illegal probe is named after the rule it breaks. */
const illegal: Record<string, { readonly rule: string; readonly to: string; readonly text: string }> = {
  'src/learn/probe-up.ts': {
    rule: 'learn-reaches-up',
    to: 'src/engine/engine.ts',
    text: "import { Engine } from '../engine/engine.js';\nexport const probe = Engine;\n",
  },
  'src/learn/probe-sql-type.ts': {
    rule: 'learn-imports-sql',
    to: 'src/sql/ast.ts',
    text: "import type { Statement } from '../sql/ast.js';\nexport type Probe = Statement;\n",
  },
  'src/sql/probe-learn.ts': {
    rule: 'sql-reaches-up',
    to: 'src/learn/random.ts',
    text: "export * from '../learn/random.js';\n",
  },
  'adapters/probe-catalog.ts': {
    rule: 'adapters-reach-up',
    to: 'src/catalog/model-store.ts',
    text: "import type { ModelStore } from '../src/catalog/model-store.js';\nexport type Probe = ModelStore;\n",
  },
  'src/catalog/probe-engine.ts': {
    rule: 'catalog-reaches-up',
    to: 'src/engine/engine.ts',
    text: "export { Engine } from '../engine/engine.js';\n",
  },
  'src/compile/probe-catalog.ts': {
    rule: 'compile-reaches-up',
    to: 'src/catalog/model-store.ts',
    text: "export * from '../catalog/model-store.js';\n",
  },
  'src/engine/probe-cli.ts': {
    rule: 'engine-imports-a-face',
    to: 'src/cli/format.ts',
    text: "export { formatTable } from '../cli/format.js';\n",
  },
  'src/server/probe-cli.ts': {
    rule: 'server-imports-cli',
    to: 'src/cli/format.ts',
    text: "export { formatTable } from '../cli/format.js';\n",
  },
  'src/probe-nowhere.ts': {
    rule: 'module-outside-the-layers',
    to: 'src/data.ts',
    text: "export type { Value } from './data.js';\n",
  },
  'src/engine/probe-duckdb.ts': {
    rule: 'database-folder-from-outside',
    to: 'adapters/duckdb/duckdb-adapter.ts',
    text: "export * from '../../adapters/duckdb/duckdb-adapter.js';\n",
  },
};

/** Imports the layers allow: none of these files may appear in a violation. */
const legal: Record<string, string> = {
  'src/learn/probe-legal.ts': "import type { Value } from '../data.js';\nimport { SqlmlError } from '../errors.js';\nexport * from './random.js';\nexport type Probe = Value | SqlmlError;\n",
  'src/sql/probe-legal.ts': "export { formatNumber } from '../format.js';\nexport * from './ast.js';\n",
  'adapters/probe-legal.ts': "import type { Statement } from '../src/sql/ast.js';\nexport type Probe = Statement;\nexport * from './registry.js';\n",
  'src/catalog/probe-legal.ts': "export * from '../../adapters/adapter.js';\nexport * from '../sql/ast.js';\n",
  'src/compile/probe-legal.ts': "export * from '../learn/random.js';\nexport * from '../../adapters/adapter.js';\nexport { formatBytes } from '../format.js';\n",
  'src/engine/probe-legal.ts': "export * from '../../adapters/registry.js';\nexport * from '../catalog/model-store.js';\n",
  'src/cli/probe-legal.ts': "export * from '../server/serve.js';\nexport * from '../engine/engine.js';\n",
};

let copy: string;
let violations: Violation[];

/** The cruiser's report on the copy, run as `npm run lint:layers` runs it, with the repository's config. */
function cruise(cwd: string): Promise<Violation[]> {
  const args = [depcruise, '--config', join(repo, '.dependency-cruiser.cjs'), '--output-type', 'json', 'src', 'adapters'];
  return new Promise((resolve, reject) => {
    // A non-zero exit is expected: the probes break the rules.
    execFile(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      try {
        resolve((JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations);
      } catch {
        reject(new Error(`dependency-cruiser gave no report: ${error?.message ?? ''}\n${stderr}`));
      }
    });
  });
}

beforeAll(async () => {
  copy = mkdtempSync(join(tmpdir(), 'sqlml-layers-'));
  for (const part of ['src', 'adapters', 'tsconfig.json']) cpSync(join(repo, part), join(copy, part), { recursive: true });
  const probes = { ...Object.fromEntries(Object.entries(illegal).map(([path, probe]) => [path, probe.text])), ...legal };
  for (const [path, text] of Object.entries(probes)) {
    mkdirSync(dirname(join(copy, path)), { recursive: true });
    writeFileSync(join(copy, path), text);
  }
  // Two files in src/learn that import each other, and a base module that imports the engine.
  writeFileSync(join(copy, 'src/learn/probe-cycle-a.ts'), "export * from './probe-cycle-b.js';\nexport const a = 1;\n");
  writeFileSync(join(copy, 'src/learn/probe-cycle-b.ts'), "export * from './probe-cycle-a.js';\nexport const b = 2;\n");
  appendFileSync(join(copy, 'src/errors.ts'), "\nexport type { Engine as ProbeEngine } from './engine/engine.js';\n");
  violations = await cruise(copy);
}, 120_000);

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('the layer rule', () => {
  it.each(Object.entries(illegal))('flags %s under its rule', (path, probe) => {
    expect(violations).toContainEqual(expect.objectContaining({ from: path, to: probe.to, rule: expect.objectContaining({ name: probe.rule }) }));
  });

  it('flags a base module that imports a higher layer, even type-only', () => {
    expect(violations).toContainEqual(
      expect.objectContaining({ from: 'src/errors.ts', to: 'src/engine/engine.ts', rule: expect.objectContaining({ name: 'base-imports-only-base' }) }),
    );
  });

  it('flags a cycle within src/learn', () => {
    const cycles = violations.filter((violation) => violation.rule.name === 'learn-cycle').map((violation) => [violation.from, violation.to]);
    expect(cycles).toContainEqual(expect.arrayContaining([expect.stringMatching(/^src\/learn\/probe-cycle-[ab]\.ts$/)]));
  });

  it('does not flag imports the layers allow', () => {
    const legalPaths = new Set(Object.keys(legal));
    expect(violations.filter((violation) => legalPaths.has(violation.from))).toEqual([]);
  });
});
