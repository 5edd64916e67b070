/**
 * The documentation ships and holds together: every relative link of README.md and
 * docs/*.md points at a file of the repository (and at a heading that exists, for
 * `#anchors`), none leads outside it, and `npm pack` puts docs/ in the package.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

const pages = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function links(text: string): string[] {
  // Code blocks and code spans hold examples, not links.
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

describe('the documentation', () => {
  it('has the statement reference, the CLI reference and the guide, linked from the README', () => {
    for (const page of ['docs/statements.md', 'docs/cli.md', 'docs/guide.md']) expect(pages).toContain(page);
    const readme = links(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
    expect(readme).toEqual(expect.arrayContaining(['docs/statements.md', 'docs/cli.md', 'docs/guide.md']));
  });

  it.each(pages)('%s: every relative link resolves inside the repository', (page) => {
    const text = readFileSync(join(repoRoot, page), 'utf8');
    expect(text).not.toMatch(/\.\.\/shared/);
    for (const link of links(text)) {
      if (/^[a-z]+:/i.test(link)) continue;
      const [path, hash] = link.split('#') as [string, string | undefined];
      const target = path === '' ? join(repoRoot, page) : resolve(dirname(join(repoRoot, page)), path);
      expect(relative(repoRoot, target).startsWith('..'), `${page} links outside the repository: ${link}`).toBe(false);
      expect(existsSync(target), `${page} links to a missing file: ${link}`).toBe(true);
      if (hash && target.endsWith('.md')) {
        const headings = [...readFileSync(target, 'utf8').matchAll(/^#+ (.*)$/gm)].map((match) => anchor(match[1]!));
        expect(headings, `${page} links to a missing heading: ${link}`).toContain(hash);
      }
    }
  });

  it('ships in the npm package', { timeout: 120_000 }, () => {
    // --ignore-scripts: the listing, without building dist/ first.
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
    const [pack] = JSON.parse(output) as { files: { path: string }[] }[];
    const files = pack!.files.map((file) => file.path);
    for (const page of pages) expect(files).toContain(page);
    expect(files).toContain('sql/examples/demo.sql');
    expect(files).toContain('bin/sqlml.js');
    expect(files.some((file) => file.startsWith('test/'))).toBe(false);
  });
});
