import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ERRORS } from '../../src/core/errors.js';
import { describeConfig } from '../../src/core/config.js';

const readme = () => readFile(new URL('../../README.md', import.meta.url), 'utf8');

test('the README lists every error code of the catalogue with its HTTP status', async () => {
  const text = await readme();
  for (const [code, e] of Object.entries(ERRORS)) assert.ok(text.includes(`| \`${code}\` | ${e.status} |`), `${code} (${e.status}) missing from the README's error table`);
});

test('the README documents every configuration variable', async () => {
  const text = await readme();
  for (const s of describeConfig()) assert.ok(text.includes(s.env), `${s.env} missing from the README`);
});
