import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Api } from '../../src/stages/api/app.js';
import { Metrics } from '../../src/observability/metrics.js';
import { isWebPagePath } from '../../src/stages/api/web-page.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';

let fx: ApiFixture;
let api: Api;
const routes: { method: string; url: string; hidden: boolean }[] = [];

before(async () => {
  // With metrics, so that /metrics is among the routes to describe.
  fx = await startApiFixture('openapi', { maxUploadBytes: 1_000_000, metrics: new Metrics('openapi-test') });
  api = fx.api;
  // Every route the app serves, from Fastify's route tree (each line: indent, segment, methods),
  // its own HEAD twins of GET routes aside.
  const stack: string[] = [];
  for (const line of api.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([\s│├└─]*)(\S.*) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const url = stack.join('');
    for (const method of m[3]!.split(', '))
      if (method !== 'HEAD') routes.push({ method, url, hidden: url.startsWith('/docs') || url === '/openapi.json' || isWebPagePath(url) });
  }
});
after(() => fx.close());

test('/openapi.json is OpenAPI 3 and describes every route the API serves', async () => {
  const res = await api.inject({ url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json() as { openapi: string; info: { version: string }; paths: Record<string, Record<string, { responses?: object }>> };
  assert.match(doc.openapi, /^3\./);
  assert.match(doc.info.version, /^\d+\.\d+\.\d+/);
  const served = routes.filter((r) => !r.hidden);
  assert.ok(served.length >= 10, `routes found: ${served.map((r) => r.url).join(', ')}`);
  for (const r of served) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const op = doc.paths[path]?.[r.method.toLowerCase()];
    assert.ok(op, `${r.method} ${r.url} is not in /openapi.json`);
    assert.ok(op.responses && Object.keys(op.responses).length > 0, `${r.method} ${r.url} documents no response`);
  }
  const form = (doc.paths['/api/upload_video']!.post as { requestBody?: { content?: Record<string, { schema?: { properties?: object } }> } }).requestBody;
  assert.ok(
    form?.content?.['multipart/form-data']?.schema?.properties && 'file' in form.content['multipart/form-data'].schema.properties,
    'the upload form is described',
  );
  assert.ok(!doc.paths['/openapi.json'] && !Object.keys(doc.paths).some((p) => p.startsWith('/docs')), 'the docs do not describe themselves');
  assert.ok(!Object.keys(doc.paths).some(isWebPagePath), 'the web page is not part of the API description');
});

test('/docs serves Swagger UI from the installed package (no CDN)', async () => {
  const page = await api.inject({ url: '/docs/' });
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /text\/html/);
  assert.doesNotMatch(page.body, /https?:\/\/(?!127\.0\.0\.1|localhost)[^"']*\.(js|css)/, 'no script or style from another host');
  const bundle = await api.inject({ url: '/docs/static/swagger-ui-bundle.js' });
  assert.equal(bundle.statusCode, 200);
  assert.ok(bundle.body.length > 100_000);
});
