/**
 * Files shipped beside the code (sql/catalog, sql/examples). The code runs from src/
 * under tsx/vitest and from dist/src once built, so the package root is found by walking
 * up to package.json rather than by a fixed number of `..`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('sqlml cannot find its package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  root = dir;
  return dir;
}

export function packageFile(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}
