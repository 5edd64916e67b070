/**
 * The static files the evaluation pages load: the page's own script, style sheet and icon
 * (src/server/pages/assets/) and Chart.js from the installed package, so the pages work
 * offline and never reach a CDN. Read once, when the routes are registered, and served
 * from memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

const PAGE_FILES: Readonly<Record<string, string>> = {
  'page.js': 'application/javascript; charset=utf-8',
  'page.css': 'text/css; charset=utf-8',
  // Named in the pages' <link rel=icon>, so browsers do not ask for /favicon.ico.
  'favicon.svg': 'image/svg+xml',
};

/**
 * Where page.js and page.css are. tsc compiles this module into dist/ but does not copy
 * non-TypeScript files, so the compiled module finds them in the source tree that ships
 * beside dist/ (the package has no "files" list): walk up to the folder holding src/.
 */
function pageAssetDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'assets');
  if (existsSync(join(beside, 'page.js'))) return beside;
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'src', 'server', 'pages', 'assets');
    if (existsSync(join(candidate, 'page.js'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`the evaluation page's assets (page.js, page.css) are missing; looked beside ${here} and in src/server/pages/assets above it`);
}

/** chart.js exports no subpath for its browser build: resolve the package, then its dist folder. */
function chartJsPath(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return resolve(dirname(main), 'chart.umd.min.js');
}

/** Every asset by the name it is served under (/assets/NAME). */
export function loadAssets(): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>();
  const dir = pageAssetDir();
  for (const [name, contentType] of Object.entries(PAGE_FILES)) {
    assets.set(name, { body: readFileSync(join(dir, name)), contentType });
  }
  assets.set('chart.umd.min.js', { body: readFileSync(chartJsPath()), contentType: 'application/javascript; charset=utf-8' });
  return assets;
}
