// Writes the generated reference pages under docs/reference/ (see src/core/config-reference.ts).
import { writeFile } from 'node:fs/promises';
import { configurationReference } from '../src/core/config-reference.js';

const target = new URL('../docs/reference/configuration.md', import.meta.url);
await writeFile(target, configurationReference());
console.log(`build-reference: wrote ${target.pathname}`);
