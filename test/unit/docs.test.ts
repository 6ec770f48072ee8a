import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRORS } from '../../src/core/errors.js';
import { configurationReference } from '../../src/core/config-reference.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFile(join(ROOT, path), 'utf8');

async function markdownFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await markdownFiles(path)));
    else if (e.name.endsWith('.md')) out.push(path);
  }
  return out;
}

test('docs/reference/errors.md lists every error code of the catalogue with its HTTP status', async () => {
  const text = await read('docs/reference/errors.md');
  for (const [code, e] of Object.entries(ERRORS))
    assert.ok(text.includes(`| \`${code}\` | ${e.status} |`), `${code} (${e.status}) missing from docs/reference/errors.md`);
});

test('docs/reference/configuration.md is what the config schema generates (npm run build:reference)', async () => {
  assert.equal(await read('docs/reference/configuration.md'), configurationReference(), 'stale: run `npm run build:reference`');
});

test('the README is a front page: at most 150 lines, the two set-up commands', async () => {
  const text = await read('README.md');
  assert.ok(text.split('\n').length <= 150, `${text.split('\n').length} lines`);
  assert.ok(text.includes('npm ci && npm start') && text.includes('npm ci && npm test'));
});

test('every relative link of the README and docs/ names a file that exists, and every anchor a heading there', async () => {
  const slug = (h: string) =>
    h
      .trim()
      .toLowerCase()
      .replace(/[^\w\s-]/g, '')
      .replace(/\s/g, '-');
  for (const file of ['README.md', ...(await markdownFiles('docs'))]) {
    const text = await read(file);
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // http(s), mailto
      const [path, anchor] = target!.split('#');
      const resolved = path ? join(dirname(file), path) : file;
      assert.ok(existsSync(join(ROOT, resolved)), `${file}: link to ${target} (${relative('.', resolved)}) names no file`);
      if (anchor && resolved.endsWith('.md')) {
        const headings = [...(await read(resolved)).matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!));
        assert.ok(headings.includes(anchor), `${file}: link to ${target}: no heading "${anchor}" in ${resolved}`);
      }
    }
  }
});
