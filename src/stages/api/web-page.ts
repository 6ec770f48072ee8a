import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { FramewiseError } from '../../core/errors.js';

/**
 * The built web page (`npm run build` runs scripts/build-web.ts): `src/stages/api` (under tsx) and
 * `dist/stages/api` are both three levels below the package root, whose `dist/web/` it is.
 */
export const WEB_ROOT = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/** The paths the page is served at; every other path stays the API's (unknown ones: the JSON 404). */
export const isWebPagePath = (url: string): boolean => url === '/' || url.startsWith('/assets/');

/**
 * Serves the web page with @fastify/static: `GET /` → `index.html`, revalidated on every load (it
 * names the current bundle), and `GET /assets/<name>` → the bundle, whose content-hashed names let
 * browsers keep it for a year. Neither is described in /openapi.json (hidden routes). Only the
 * files found at start-up are routes (no wildcard), so every other path, `/api/...` included, still
 * gets the app's JSON 404.
 *
 * Without a built page the API still starts, and `/` answers 503 `ERR_WEB_NOT_BUILT` naming
 * `npm run build`. The files are looked up once, at start-up: restart the server after a build.
 */
export async function registerWebPage(app: FastifyInstance<any, any, any, any, any>, root = WEB_ROOT): Promise<void> {
  const built = existsSync(join(root, 'index.html')) && existsSync(join(root, 'assets'));
  if (!built) app.log.warn({ root }, 'the web page is not built: / answers 503 (run npm run build, then restart)');
  // Encapsulated, so the reply decorators of @fastify/static stay out of the API's own routes.
  await app.register(async (scope) => {
    if (built) {
      await scope.register(fastifyStatic, {
        root: join(root, 'assets'),
        prefix: '/assets/',
        wildcard: false,
        schemaHide: true,
        index: false,
        dotfiles: 'ignore',
        maxAge: '365d',
        immutable: true,
      });
    }
    scope.get('/', { schema: { hide: true } }, async (_req, reply) => {
      if (!built) throw new FramewiseError('ERR_WEB_NOT_BUILT', root);
      return reply.header('cache-control', 'no-cache').sendFile('index.html', root, { cacheControl: false });
    });
  });
}
