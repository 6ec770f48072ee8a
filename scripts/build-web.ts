/**
 * Builds the web page: bundles `web/src/main.tsx` (Preact, TSX) and `web/src/styles.css` with
 * esbuild into `dist/web/assets/` under content-hashed names, and writes `dist/web/index.html`
 * from `web/index.html` with those names filled in. Part of `npm run build`.
 *
 * Invariants: `dist/web/` is rebuilt from scratch each time (no stale bundle survives), and
 * `index.html` is written last, so a page whose `index.html` exists finds its assets.
 * The API serves `/` from `dist/web/index.html` and `/assets/*` from `dist/web/assets/`
 * (src/stages/api/web-page.ts); nothing is loaded from another host.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'dist', 'web');
const ASSETS = join(OUT, 'assets');

async function main(): Promise<void> {
  const started = performance.now();
  await rm(OUT, { recursive: true, force: true });
  await mkdir(ASSETS, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [
      { in: 'web/src/main.tsx', out: 'app' },
      { in: 'web/src/styles.css', out: 'app' },
    ],
    outdir: ASSETS,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    // Browsers of the last few years: every one has ES2020, EventSource and XHR upload progress.
    target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: 'web/tsconfig.json',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const named = (ext: string) => {
    const found = outputs.find(([file, o]) => o.entryPoint !== undefined && file.endsWith(ext));
    if (!found) throw new Error(`build-web: esbuild wrote no ${ext} entry`);
    return `/assets/${basename(found[0])}`;
  };
  const template = await readFile(join(ROOT, 'web', 'index.html'), 'utf8');
  if (!template.includes('%APP_JS%') || !template.includes('%APP_CSS%')) throw new Error('build-web: web/index.html must name %APP_JS% and %APP_CSS%');
  await writeFile(join(OUT, 'index.html'), template.replace('%APP_JS%', named('.js')).replace('%APP_CSS%', named('.css')));
  const sizes = outputs.filter(([file]) => !file.endsWith('.map')).map(([file, o]) => `${relative(ROOT, join(ROOT, file))} ${(o.bytes / 1024).toFixed(1)} KiB`);
  console.log(`build-web: dist/web in ${Math.round(performance.now() - started)} ms (${sizes.join(', ')})`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
