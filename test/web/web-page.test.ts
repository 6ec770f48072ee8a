import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { FramewiseError, toErrorBody } from '../../src/core/errors.js';
import { toFramewiseError } from '../../src/stages/api/error-mapping.js';
import { registerWebPage } from '../../src/stages/api/web-page.js';

/** An app with the API's error and not-found handling (as buildApi sets them up) and the page from `root`. */
async function appWithPage(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((err, _req, reply) => {
    const e = toFramewiseError(err);
    return reply.status(e.status).send(toErrorBody(e));
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new FramewiseError('ERR_ROUTE_NOT_FOUND', req.url);
    return reply.status(e.status).send(toErrorBody(e));
  });
  app.get('/api/health', async () => ({ status: 'ok' }));
  await registerWebPage(app, root);
  await app.ready();
  return app;
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fw-web-page-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('without a built page the API starts and / answers 503 naming npm run build', async () => {
  const app = await appWithPage(join(dir, 'never-built'));
  try {
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 503);
    const body = res.json() as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'ERR_WEB_NOT_BUILT');
    assert.match(body.error.message, /npm run build/);
    assert.equal((await app.inject({ url: '/api/health' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/assets/app.js' })).json().error.code, 'ERR_ROUTE_NOT_FOUND');
  } finally {
    await app.close();
  }
});

test('a built page: / is index.html (revalidated), assets are cached, anything else is the JSON 404', async () => {
  const root = join(dir, 'built');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><script type="module" src="/assets/app-ABC.js"></script>');
  await writeFile(join(root, 'assets', 'app-ABC.js'), 'console.log(1)');
  await writeFile(join(root, 'assets', '.secret'), 'no');
  await writeFile(join(root, 'outside.txt'), 'not an asset');
  const app = await appWithPage(root);
  try {
    const page = await app.inject({ url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.body, /app-ABC\.js/);
    const js = await app.inject({ url: '/assets/app-ABC.js' });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['content-type'] as string, /javascript/);
    assert.match(js.headers['cache-control'] as string, /max-age=31536000.*immutable/);
    for (const url of ['/assets/missing.js', '/assets/.secret', '/assets/../outside.txt', '/assets/%2e%2e/outside.txt', '/index.html', '/api/nope']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, 'ERR_ROUTE_NOT_FOUND', url);
    }
  } finally {
    await app.close();
  }
});
