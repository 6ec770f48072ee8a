import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { LocalDirObjectStore } from '../../src/adapters/object-store/local-dir.js';
import type { Api } from '../../src/stages/api/app.js';
import { multipart } from '../support/multipart.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';

/** Strict requests: undeclared query parameters and body fields are refused by name, never dropped. */
describe('strict requests', () => {
  let fx: ApiFixture;
  let api: Api;
  let outboxDb: OutboxDatabase;
  let objects: LocalDirObjectStore;
  const ID = '00000000-0000-4000-8000-000000000000';

  before(async () => {
    fx = await startApiFixture('strict');
    ({ api, outboxDb, objects } = fx);
  });
  after(() => fx.close());

  const refused = (r: { statusCode: number; json: () => any }, named: RegExp) => {
    assert.equal(r.statusCode, 400, JSON.stringify(r.json()));
    assert.equal(r.json().error.code, 'ERR_REQUEST_INVALID');
    assert.match(r.json().error.message, named);
  };

  test('an unknown query parameter is a 400 naming it, on routes with query parameters and without', async () => {
    refused(await api.inject({ url: `/api/result_video/${ID}?limit=10&min_confidence=0.9` }), /querystring: unknown parameter "min_confidence"/);
    refused(await api.inject({ url: `/api/status/${ID}?verbose=1` }), /unknown parameter "verbose"/);
    refused(await api.inject({ url: '/api/status/all?page=2' }), /unknown parameter "page"/);
    refused(await api.inject({ url: '/api/models?x=1' }), /unknown parameter "x"/);
    refused(await api.inject({ method: 'DELETE', url: '/api/cleanup/all?force=true' }), /unknown parameter "force"/);
    refused(await api.inject({ url: '/api/admin/dead_letters?outbox=jobs&sort=asc' }), /unknown parameter "sort"/);
  });

  test('declared query parameters still work (coerced from text), and so do routes outside /api', async () => {
    const unknownJob = await api.inject({ url: `/api/result_video/${ID}?limit=10&min_conf=0.5&class=person` });
    assert.equal(unknownJob.statusCode, 404, 'validated, then looked up');
    assert.equal((await api.inject({ url: '/api/admin/dead_letters?outbox=jobs&limit=5' })).statusCode, 200);
    assert.equal((await api.inject({ url: '/openapi.json?cache=1' })).statusCode, 200);
  });

  test('an unknown body field of /api/request is a 400 naming it; nothing is created', async () => {
    const video = await readFile(new URL('../fixtures/vtest-10s.mp4', import.meta.url));
    await objects.put(`input/${ID}.mp4`, Readable.from([video]));
    const before = (await outboxDb.outboxEvents.list()).length;
    refused(
      await api.inject({ method: 'POST', url: '/api/request', payload: { object: `input/${ID}.mp4`, confidance: 0.5 } }),
      /body: unknown field "confidance"/,
    );
    refused(await api.inject({ method: 'POST', url: '/api/request', payload: { object: `input/${ID}.mp4`, owner: 'someone-else' } }), /unknown field "owner"/);
    assert.equal((await outboxDb.outboxEvents.list()).length, before);
    const ok = await api.inject({ method: 'POST', url: '/api/request', payload: { object: `input/${ID}.mp4`, confidence: 0.5 } });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('a list option whose item fails its schema is a 400 naming the option (fuzz finding: was a 500)', async () => {
    for (const query of [`?classes=${'0'.repeat(5001)}`, `?classes=person&classes=${'x'.repeat(101)}`]) {
      const r = await api.inject({ method: 'POST', url: `/api/upload_video${query}`, ...multipart('file', 'clip.mp4', Buffer.from('not read')) });
      assert.equal(r.statusCode, 400, r.body);
      assert.equal(r.json().error.code, 'ERR_OPTION_INVALID');
      assert.match(r.json().error.message, /^Invalid job option classes=.*must NOT have more than/);
    }
  });

  test('an upload with an unknown query parameter is refused before its file is stored', async () => {
    const r = await api.inject({ method: 'POST', url: '/api/upload_video?sample_evry=3', ...multipart('file', 'clip.mp4', Buffer.from('not read')) });
    refused(r, /unknown parameter "sample_evry"/);
  });
});
