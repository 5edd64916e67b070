/**
 * The layer rule: which part of sqlml may import which (docs/architecture.md explains it).
 * Lowest first: base ← src/sql, src/learn ← adapters ← src/catalog ← src/engine ← the faces
 * src/server and src/cli. An import may point down or sideways within its own layer, never up.
 * `npm run lint:layers` fails on any import these rules forbid; type-only imports count too.
 * src/index.ts (the public API), bench/ and test/ are not checked: they may import anything.
 */

/** The base layer: modules every other layer may import, which import only each other. */
const BASE = '^src/(errors|data|format|calendar|paths)\\.ts$';
/** A database's own folder under adapters/; only adapters/ (its registry's lazy imports) reaches in. */
const DATABASE_FOLDER = '^adapters/(duckdb|postgres|mysql)/';
/** The shared adapter modules (the interface the compiler needs), not a database's folder. */
const ADAPTER_INTERFACE = '^adapters/[^/]+\\.ts$';
/** The folders of src/ that form the layers above the base. */
const LAYER_FOLDERS = '^src/(sql|learn|catalog|compile|engine|server|cli)/';
/** Everything the rules speak about: imports of node: modules and packages are not restricted. */
const OURS = '^(src|adapters)/';

/** A rule forbidding imports from `from` to any of our modules not matching one of `allowed`. */
function onlyImports(name, comment, from, allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: OURS, pathNot: allowed.join('|') },
  };
}

module.exports = {
  forbidden: [
    onlyImports('base-imports-only-base', 'The base layer imports only the base layer.', BASE, [BASE]),
    onlyImports('sql-reaches-up', 'src/sql imports only the base layer and itself.', '^src/sql/', [BASE, '^src/sql/']),
    {
      name: 'learn-imports-sql',
      comment: 'The learner is pure and knows no SQL: src/learn does not import src/sql, not even its types.',
      severity: 'error',
      from: { path: '^src/learn/' },
      to: { path: '^src/sql/' },
    },
    onlyImports('learn-reaches-up', 'src/learn imports only the base layer and itself.', '^src/learn/', [
      BASE,
      '^src/learn/',
      '^src/sql/', // reported by learn-imports-sql
    ]),
    onlyImports('adapters-reach-up', 'adapters/ imports the base layer, src/sql and adapters/ only.', '^adapters/', [
      BASE,
      '^src/sql/',
      '^adapters/',
    ]),
    onlyImports('catalog-reaches-up', 'src/catalog imports the base layer, src/sql, adapters/ and itself only.', '^src/catalog/', [
      BASE,
      '^src/sql/',
      '^adapters/',
      '^src/catalog/',
    ]),
    onlyImports(
      'compile-reaches-up',
      "src/compile (models to SQL) imports the base layer, src/learn, the adapters' shared interface and itself only.",
      '^src/compile/',
      [BASE, '^src/learn/', ADAPTER_INTERFACE, '^src/compile/'],
    ),
    {
      name: 'engine-imports-a-face',
      comment: 'src/engine sits below the faces: it imports neither src/server nor src/cli.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/(server|cli)/' },
    },
    {
      name: 'server-imports-cli',
      comment: 'src/cli may import src/server (the serve command); src/server never imports src/cli.',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'database-folder-from-outside',
      comment:
        "Outside adapters/, nothing imports a database's own folder: code asks adapters/registry.ts for an adapter.",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/index\\.ts$' },
      to: { path: DATABASE_FOLDER },
    },
    {
      name: 'module-outside-the-layers',
      comment:
        'A module under src/ belongs to a layer of docs/architecture.md (or is src/index.ts); a new folder gets its row and rule first.',
      severity: 'error',
      from: { path: '^src/', pathNot: `${BASE}|${LAYER_FOLDERS}|^src/index\\.ts$` },
      to: { path: OURS },
    },
    {
      name: 'learn-cycle',
      comment: 'No circular imports within src/learn.',
      severity: 'error',
      from: { path: '^src/learn/' },
      to: { path: '^src/learn/', circular: true },
    },
  ],
  options: {
    includeOnly: OURS,
    // Type-only imports (`import type`) count: a layer may not even name a higher layer's types.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js'],
    },
  },
};
