import { after, before, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto, { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pino from 'pino';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { RunnerDatabase } from '../../src/ports/runner-database.js';
import type { LocalDirObjectStore } from '../../src/adapters/object-store/local-dir.js';
import { buildApi, type Api, type ApiDeps } from '../../src/stages/api/app.js';
import { apiKeys, KeyRing } from '../../src/stages/api/auth.js';
import { decodeOutboxEvent, encodeOutboxEvent } from '../../src/core/messages.js';
import { multipart } from '../support/multipart.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';
import { modelDefaults } from '../../src/core/model-defaults.js';
import { apiStores } from '../../src/modes/api-stores.js';

const FIXTURE = new URL('../fixtures/vtest-10s.mp4', import.meta.url);
const KEYS = { alice: 'alice-key-0123456789abcdef', bob: 'bob-key-0123456789abcdef', root: 'root-key-0123456789abcdef' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const MODELS = { names: ['centernet-coco'], defaultModel: 'centernet-coco', defaults: (m: string) => modelDefaults({ models: [] }, m) };

/**
 * Access control over the HTTP API (inject, real SQLite stores and files): keys and roles, who
 * sees which job, the web page's session cookie, the limit of unfinished jobs per key, and what
 * `/api/request` may name.
 */
describe('access: API keys, roles, job ownership, sessions, limits', () => {
  let fx: ApiFixture;
  let outboxDb: OutboxDatabase;
  let runnerDb: RunnerDatabase;
  let objects: LocalDirObjectStore;
  let video: Buffer;
  /** Further APIs `make` built (the fixture closes its own). */
  const apis: Api[] = [];

  /** An API on the shared stores, with the keys of `api` unless `extra` says otherwise. */
  const make = async (extra: Partial<ApiDeps> = {}) => {
    const api = await buildApi({ ...fx.deps, ...extra });
    apis.push(api);
    return api;
  };
  /** The fixture's API, with three keys: alice (client, plain key), bob (client, configured by its SHA-256 only), root (admin). */
  let api: Api;

  before(async () => {
    const keys = apiKeys({
      apiKeys: [
        { id: 'alice', role: 'client', key: KEYS.alice },
        { id: 'bob', role: 'client', sha256: createHash('sha256').update(KEYS.bob).digest('hex') },
        { id: 'root', role: 'admin', key: KEYS.root },
      ],
    });
    fx = await startApiFixture('access', { models: MODELS, auth: { keys } });
    ({ outboxDb, runnerDb, objects, api } = fx);
    video = await readFile(FIXTURE);
  });
  after(async () => {
    for (const a of apis) await a.close();
    await fx.close();
  });

  const upload = async (on: Api, key: string | undefined, headers: Record<string, string> = {}) => {
    const body = multipart('file', 'clip.mp4', video);
    return on.inject({
      method: 'POST',
      url: '/api/upload_video',
      payload: body.payload,
      headers: { ...body.headers, ...(key ? bearer(key) : {}), ...headers },
    });
  };
  const uploaded = async (key: string, on = api) => {
    const r = await upload(on, key);
    assert.equal(r.statusCode, 200, r.body);
    return r.json().event_id as string;
  };
  /** Ends a job as the runner would: started (its record keeps the event's payload as input), then failed. */
  const finish = async (id: string) => {
    const event = (await outboxDb.outboxEvents.get(id))!;
    await runnerDb.jobRecords.start({ _id: id, created_at: event.created_at, expected_frames: 1, parameters: { sample_every: 5 }, input: event.payload });
    assert.equal(await runnerDb.frameCollection.markFailed(id, 'ended by the test', new Date()), true);
  };

  test('without a key every /api route answers 401 with the error shape and WWW-Authenticate; a wrong key is told apart', async () => {
    const id = randomUUID();
    const routes: Array<{ method: 'GET' | 'POST' | 'DELETE' | 'HEAD'; url: string; payload?: object }> = [
      { method: 'POST', url: '/api/upload_video' },
      { method: 'POST', url: '/api/request', payload: { object: `input/${id}.mp4` } },
      { method: 'GET', url: `/api/result_video/${id}` },
      { method: 'GET', url: `/api/status/${id}` },
      { method: 'GET', url: `/api/status/${id}/events` },
      { method: 'GET', url: '/api/status/all' },
      { method: 'GET', url: `/api/video/${id}` },
      { method: 'HEAD', url: `/api/video/${id}` },
      { method: 'GET', url: `/api/result_video/${id}/annotated.mp4` },
      { method: 'GET', url: '/api/models' },
      { method: 'GET', url: '/api/session' },
      { method: 'DELETE', url: '/api/cleanup/all' },
      { method: 'GET', url: '/api/admin/dead_letters' },
      { method: 'POST', url: `/api/admin/dead_letters/jobs/${id}/replay` },
    ];
    for (const r of routes) {
      for (const [headers, code] of [
        [{}, 'ERR_AUTH_REQUIRED'],
        [{ authorization: `Basic ${KEYS.alice}` }, 'ERR_AUTH_REQUIRED'],
        [bearer('not-a-configured-key-at-all'), 'ERR_AUTH_KEY_INVALID'],
        [bearer(`${KEYS.alice}x`), 'ERR_AUTH_KEY_INVALID'],
      ] as const) {
        const res = await api.inject({ ...r, headers });
        assert.equal(res.statusCode, 401, `${r.method} ${r.url} ${JSON.stringify(headers)}`);
        assert.match(String(res.headers['www-authenticate']), /^Bearer /);
        if (r.method !== 'HEAD') assert.deepEqual(Object.keys(res.json().error).sort(), ['code', 'message']);
        if (r.method !== 'HEAD') assert.equal(res.json().error.code, code, `${r.method} ${r.url}`);
      }
    }
    assert.equal((await outboxDb.outboxEvents.list()).length, 0, 'nothing was created');
  });

  test('probes, the API description, the docs and the web page answer without a key', async () => {
    for (const url of ['/api', '/api/', '/api/health', '/openapi.json', '/docs/']) {
      const res = await api.inject({ url });
      assert.equal(res.statusCode, 200, url);
    }
    const page = await api.inject({ url: '/' });
    assert.notEqual(page.statusCode, 401, 'the web page (200 when built, else 503)');
    // /openapi.json documents the key and the 401 of protected routes.
    const doc = (await api.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>>;
    };
    for (const [path, method] of [
      ['/api/status/all', 'get'],
      ['/api/upload_video', 'post'],
      ['/api/video/{event_id}', 'get'],
    ] as const) {
      const op = doc.paths[path]![method]!;
      assert.ok(op.responses['401'], `${path}: 401`);
      assert.deepEqual(op.security, [{ apiKey: [] }], `${path}: security`);
    }
    assert.ok(!doc.paths['/api/health']!.get!.responses['401']);
    assert.equal(doc.paths['/api/health']!.get!.security, undefined);
  });

  test('a key configured by its SHA-256 only authenticates; every key is compared, in constant time, on digests', async () => {
    const spy = mock.method(crypto, 'timingSafeEqual');
    try {
      const ok = await api.inject({ url: '/api/session', headers: bearer(KEYS.bob) });
      assert.equal(ok.statusCode, 200);
      assert.deepEqual(ok.json(), { authenticated: true, key_id: 'bob', role: 'client' });
      assert.equal(spy.mock.callCount(), 3, 'the presented key against each of the three keys');
      for (const call of spy.mock.calls) {
        const [a, b] = call.arguments as [Buffer, Buffer];
        assert.equal(a.length, 32, 'a SHA-256 digest, whatever the presented key’s length');
        assert.equal(b.length, 32);
      }
      spy.mock.resetCalls();
      // The first key matches: the others are still compared (no early exit).
      assert.equal((await api.inject({ url: '/api/session', headers: bearer(KEYS.alice) })).json().key_id, 'alice');
      assert.equal(spy.mock.callCount(), 3);
    } finally {
      spy.mock.restore();
    }
    const ring = new KeyRing(
      apiKeys({ apiKeys: [{ id: 'h', role: 'admin', sha256: createHash('sha256').update('a-key-only-hashed-here').digest('hex').toUpperCase() }] }),
    );
    assert.equal(ring.find('a-key-only-hashed-here')?.id, 'h', 'hex digests in either case');
    assert.equal(ring.find('a-key-only-hashed-her'), undefined);
  });

  test('a client gets 403 on admin routes; an admin passes', async () => {
    for (const [method, url] of [
      ['DELETE', '/api/cleanup/all'],
      ['GET', '/api/admin/dead_letters'],
      ['DELETE', `/api/admin/dead_letters/jobs/${randomUUID()}`],
    ] as const) {
      const res = await api.inject({ method, url, headers: bearer(KEYS.alice) });
      assert.equal(res.statusCode, 403, url);
      assert.equal(res.json().error.code, 'ERR_AUTH_FORBIDDEN');
      assert.match(res.json().error.message, /alice/);
    }
    const list = await api.inject({ url: '/api/admin/dead_letters', headers: bearer(KEYS.root), remoteAddress: '203.0.113.9' });
    assert.equal(list.statusCode, 200, 'an admin key works from any address');
  });

  test('a job is visible to the key that created it and to admins only; to another key it does not exist (404), on every route', async () => {
    const mine = await uploaded(KEYS.alice);
    assert.equal((await outboxDb.outboxEvents.get(mine))?.payload.owner, 'alice', 'the owner is recorded with the job');
    // Ended, so that an event stream wrongly opened to bob would end too (and fail the test, not hang it).
    await finish(mine);
    const missing = randomUUID();
    const reads = (id: string) => [
      { url: `/api/result_video/${id}` },
      { url: `/api/status/${id}` },
      { url: `/api/status/${id}/events` },
      { url: `/api/video/${id}` },
      { url: `/api/video/${id}`, method: 'HEAD' as const },
      { url: `/api/result_video/${id}/annotated.mp4` },
      { url: `/api/result_video/${id}/annotated.mp4`, method: 'HEAD' as const },
    ];
    for (const r of reads(mine)) {
      const theirs = await api.inject({ ...r, headers: bearer(KEYS.bob) });
      assert.equal(theirs.statusCode, 404, `bob: ${r.method ?? 'GET'} ${r.url}`);
      const none = await api.inject({ ...r, url: r.url.replace(mine, missing), headers: bearer(KEYS.bob) });
      assert.equal(none.statusCode, 404);
      if (r.method !== 'HEAD') {
        assert.equal(theirs.json().error.code, 'ERR_JOB_NOT_FOUND');
        assert.equal(
          theirs.json().error.message.replace(mine, '<id>'),
          none.json().error.message.replace(missing, '<id>'),
          'told exactly as a job that does not exist',
        );
      }
    }
    for (const key of [KEYS.alice, KEYS.root]) {
      assert.equal((await api.inject({ url: `/api/status/${mine}`, headers: bearer(key) })).statusCode, 200);
      assert.equal((await api.inject({ url: `/api/result_video/${mine}`, headers: bearer(key) })).json().status, 'failed');
      const stored = await api.inject({ url: `/api/video/${mine}`, headers: { ...bearer(key), range: 'bytes=0-99' } });
      assert.equal(stored.statusCode, 206);
      assert.ok(stored.rawPayload.equals(video.subarray(0, 100)), 'the first 100 bytes of the video');
      const annotated = await api.inject({ url: `/api/result_video/${mine}/annotated.mp4`, headers: bearer(key) });
      assert.equal(annotated.json().error.code, 'ERR_ANNOTATION_NOT_FOUND', 'the owner learns why there is none');
    }
    // The event stream: the owner's ends after the final status; bob's was refused before it opened.
    const stream = await api.inject({ url: `/api/status/${mine}/events`, headers: { ...bearer(KEYS.alice), accept: 'text/event-stream' } });
    assert.equal(stream.statusCode, 200);
    assert.match(stream.body, /event: status/);
    assert.match(stream.body, /"status":"failed"/);
  });

  test('/api/status/all lists the caller’s jobs only; an admin’s lists every job', async () => {
    const [a, b] = [await uploaded(KEYS.alice), await uploaded(KEYS.bob)];
    const listed = async (key: string) =>
      (
        (await api.inject({ url: '/api/status/all', headers: bearer(key) })).json() as { operations: Array<{ video_id: string }>; total: number }
      ).operations.map((o) => o.video_id);
    const alice = await listed(KEYS.alice);
    const bob = await listed(KEYS.bob);
    assert.ok(alice.includes(a) && !alice.includes(b), 'alice: her job, not bob’s');
    assert.ok(bob.includes(b) && !bob.includes(a), 'bob: his job, not alice’s');
    assert.ok(
      bob.every((id) => !alice.includes(id)),
      'no job in both lists',
    );
    const all = await listed(KEYS.root);
    assert.ok(all.includes(a) && all.includes(b), 'the admin: both');
    assert.equal(all.length, (await outboxDb.outboxEvents.list()).length);
  });

  test('ownership outlives the sent event: the bus message and the runner record carry the owner', async () => {
    const id = await uploaded(KEYS.alice);
    const event = (await outboxDb.outboxEvents.get(id))!;
    // What the runner records as the job's input is the event's payload as it travelled on the bus.
    const travelled = decodeOutboxEvent(encodeOutboxEvent(event).value);
    assert.equal(travelled.payload.owner, 'alice');
    await runnerDb.jobRecords.start({ _id: id, created_at: event.created_at, expected_frames: 1, parameters: { sample_every: 5 }, input: travelled.payload });
    await outboxDb.jobsOutbox.markSent([id], new Date(Date.now() - 10_000));
    await outboxDb.jobsDeadLetters.purge(new Date(Date.now() - 5000), new Date(0));
    assert.equal(await outboxDb.outboxEvents.get(id), undefined, 'the sent event is gone');
    assert.equal((await api.inject({ url: `/api/status/${id}`, headers: bearer(KEYS.alice) })).json().status, 'processing');
    assert.equal((await api.inject({ url: `/api/status/${id}`, headers: bearer(KEYS.bob) })).statusCode, 404);
    const bobs = (await api.inject({ url: '/api/status/all', headers: bearer(KEYS.bob) })).json().operations.map((o: { video_id: string }) => o.video_id);
    assert.ok(!bobs.includes(id), 'not in bob’s list');
  });

  test('Idempotency-Key is scoped per key: the same value from two keys makes two jobs; a retry gets its own', async () => {
    const key = { 'idempotency-key': `shared-${randomUUID()}` };
    const a1 = (await upload(api, KEYS.alice, key)).json().event_id;
    const b1 = (await upload(api, KEYS.bob, key)).json().event_id;
    const a2 = (await upload(api, KEYS.alice, key)).json().event_id;
    const b2 = (await upload(api, KEYS.bob, key)).json().event_id;
    assert.notEqual(a1, b1, 'bob does not get alice’s job');
    assert.equal(a2, a1);
    assert.equal(b2, b1);
    assert.equal((await outboxDb.outboxEvents.get(b1))?.payload.owner, 'bob');
  });

  test('the web page’s session: POST /api/session sets an HttpOnly, SameSite=Strict, signed cookie honoured on reads only', async () => {
    const mine = await uploaded(KEYS.alice);
    await finish(mine);
    const started = await api.inject({ method: 'POST', url: '/api/session', headers: bearer(KEYS.alice) });
    assert.equal(started.statusCode, 200);
    assert.equal(started.json().key_id, 'alice');
    assert.ok(Date.parse(started.json().expires_at) > Date.now(), 'expires later');
    const setCookie = String(started.headers['set-cookie']);
    assert.match(setCookie, /^framewise_session=/);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Strict/i);
    assert.match(setCookie, /Path=\/api/);
    assert.doesNotMatch(setCookie, new RegExp(KEYS.alice), 'the cookie never holds the key');
    const cookie = setCookie.split(';')[0]!;
    const withCookie = (url: string, method: 'GET' | 'HEAD' | 'POST' = 'GET') => api.inject({ method, url, headers: { cookie } });
    assert.equal((await withCookie('/api/session')).json().key_id, 'alice');
    assert.ok(
      (await withCookie('/api/status/all')).json().operations.some((o: { video_id: string }) => o.video_id === mine),
      'her job, by the cookie',
    );
    const events = await api.inject({ url: `/api/status/${mine}/events`, headers: { cookie, accept: 'text/event-stream' } });
    assert.equal(events.statusCode, 200, 'EventSource sends the cookie');
    assert.equal((await withCookie(`/api/video/${mine}`)).statusCode, 200, '<video src> sends the cookie');
    assert.equal((await withCookie(`/api/video/${mine}`, 'HEAD')).statusCode, 200);
    // State changes need the Authorization header: a cross-site form could send the cookie.
    const body = multipart('file', 'clip.mp4', video);
    const post = await api.inject({ method: 'POST', url: '/api/upload_video', payload: body.payload, headers: { ...body.headers, cookie } });
    assert.equal(post.statusCode, 401);
    assert.equal(post.json().error.code, 'ERR_AUTH_REQUIRED');
    // A session gives the key's rights, no more.
    const theirs = await uploaded(KEYS.bob);
    assert.equal((await withCookie(`/api/status/${theirs}`)).statusCode, 404);
    assert.equal((await api.inject({ url: '/api/admin/dead_letters', headers: { cookie } })).statusCode, 403);
    // Tampered, foreign (another secret) and expired cookies are refused.
    const [name, value] = cookie.split('=') as [string, string];
    const tampered = decodeURIComponent(value).replace(/^alice\./, 'root.');
    for (const bad of [`${name}=${encodeURIComponent(tampered)}`, `${name}=alice.${Date.now() + 60_000}.x`]) {
      const r = await api.inject({ url: '/api/status/all', headers: { cookie: bad } });
      assert.equal(r.statusCode, 401);
      assert.equal(r.json().error.code, 'ERR_AUTH_SESSION_INVALID');
    }
    const other = await make({
      auth: { keys: apiKeys({ apiKeys: [{ id: 'alice', role: 'client', key: KEYS.alice }] }), sessionSecret: 'another-secret-another-secret-another-secret' },
    });
    assert.equal((await other.inject({ url: '/api/status/all', headers: { cookie } })).statusCode, 401, 'signed with another secret');
    const brief = await make({ auth: { keys: apiKeys({ apiKeys: [{ id: 'alice', role: 'client', key: KEYS.alice }] }), sessionTtlMs: 50 } });
    const short = String((await brief.inject({ method: 'POST', url: '/api/session', headers: bearer(KEYS.alice) })).headers['set-cookie']).split(';')[0]!;
    assert.equal((await brief.inject({ url: '/api/status/all', headers: { cookie: short } })).statusCode, 200);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal((await brief.inject({ url: '/api/status/all', headers: { cookie: short } })).json().error.code, 'ERR_AUTH_SESSION_INVALID', 'expired');
    // A replaced key ends its sessions (same id, new key).
    const rotated = await make({
      auth: {
        keys: apiKeys({ apiKeys: [{ id: 'alice', role: 'client', key: 'alice-new-key-0123456789' }] }),
        sessionSecret: 'a-shared-secret-a-shared-secret-a-shared',
      },
    });
    const again = await make({
      auth: { keys: apiKeys({ apiKeys: [{ id: 'alice', role: 'client', key: KEYS.alice }] }), sessionSecret: 'a-shared-secret-a-shared-secret-a-shared' },
    });
    const old = String((await again.inject({ method: 'POST', url: '/api/session', headers: bearer(KEYS.alice) })).headers['set-cookie']).split(';')[0]!;
    assert.equal((await again.inject({ url: '/api/session', headers: { cookie: old } })).statusCode, 200, 'one secret: any replica reads it');
    assert.equal((await rotated.inject({ url: '/api/session', headers: { cookie: old } })).statusCode, 401);
    // Logging out clears the cookie.
    const out = await api.inject({ method: 'DELETE', url: '/api/session', headers: { cookie } });
    assert.equal(out.statusCode, 200);
    assert.match(String(out.headers['set-cookie']), /framewise_session=;.*Expires=Thu, 01 Jan 1970/i);
  });

  test('a key at its limit of unfinished jobs gets 429 with Retry-After naming the limit; other keys and retries are unaffected', async () => {
    const cutoff = new Date();
    await runnerDb.jobRecords.clearBefore(cutoff);
    await outboxDb.outboxEvents.clearBefore(cutoff);
    const limited = await make({ maxActiveJobsPerKey: 2 });
    const first = await uploaded(KEYS.alice, limited);
    const retryKey = { 'idempotency-key': `at-limit-${randomUUID()}` };
    const second = (await upload(limited, KEYS.alice, retryKey)).json().event_id as string;
    const refused = await upload(limited, KEYS.alice);
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().error.code, 'ERR_LIMIT_ACTIVE_JOBS');
    assert.match(refused.json().error.message, /the limit is 2 \(FRAMEWISE_MAX_ACTIVE_JOBS_PER_KEY\)/);
    assert.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After in seconds');
    const request = await limited.inject({ method: 'POST', url: '/api/request', payload: { object: `input/${first}.mp4` }, headers: bearer(KEYS.alice) });
    assert.equal(request.statusCode, 429, '/api/request counts too');
    assert.equal((await upload(limited, KEYS.alice, retryKey)).json().event_id, second, 'a retry of an accepted upload still gets its job');
    assert.equal((await upload(limited, KEYS.bob)).statusCode, 200, 'another key has its own count');
    // A job that ends frees a place, whether it is still in the outbox or only in the job records.
    await finish(first);
    assert.equal((await upload(limited, KEYS.alice)).statusCode, 200);
    assert.equal((await upload(limited, KEYS.alice)).statusCode, 429);
    // Without a limit (0) nothing is counted.
    const unlimited = await make({ maxActiveJobsPerKey: 0 });
    assert.equal((await upload(unlimited, KEYS.alice)).statusCode, 200);
  });

  test('/api/request: only allowed buckets, only keys the server made, only the caller’s own uploads', async () => {
    const mine = await uploaded(KEYS.alice);
    const theirs = await uploaded(KEYS.bob);
    const request = (key: string, payload: object, on = api) => on.inject({ method: 'POST', url: '/api/request', payload, headers: bearer(key) });
    const ok = await request(KEYS.alice, { object: `input/${mine}.mp4` });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((await outboxDb.outboxEvents.get(ok.json().event_id))?.payload.owner, 'alice');
    for (const object of [
      `input/${theirs}.mp4`,
      `input/${mine.toUpperCase()}.mp4`,
      `input/${mine}.webm`,
      'input/../../etc/passwd',
      `input/../input/${mine}.mp4`,
      `detection/${mine}.json`,
      'input/not-a-uuid.mp4',
      `input/${mine}.mp4/`,
    ]) {
      const r = await request(KEYS.alice, { object });
      assert.equal(r.statusCode, 404, object);
      assert.equal(r.json().error.code, 'ERR_OBJECT_NOT_FOUND', object);
    }
    assert.equal((await request(KEYS.root, { object: `input/${theirs}.mp4` })).statusCode, 200, 'an admin may request any stored upload');
    const bucket = await request(KEYS.alice, { bucket: 'other-bucket', object: `input/${mine}.mp4` });
    assert.equal(bucket.statusCode, 400);
    assert.equal(bucket.json().error.code, 'ERR_BUCKET_UNKNOWN');
    assert.match(bucket.json().error.message, /requests may name videos/);
    const closed = await make({ requestBuckets: [] });
    const none = await request(KEYS.alice, { object: `input/${mine}.mp4` }, closed);
    assert.equal(none.statusCode, 400, 'an empty allow-list refuses every request');
    assert.equal(none.json().error.code, 'ERR_BUCKET_UNKNOWN');
  });

  test('with no key configured authentication is off: anonymous callers do what clients do; admin routes answer loopback only', async () => {
    const open = await buildApi({
      ...apiStores(outboxDb, runnerDb),
      objects,
      log: pino({ level: 'silent' }),
      maxUploadBytes: 10_000_000,
      models: MODELS,
      maxActiveJobsPerKey: 1,
    });
    apis.push(open);
    const a = await uploaded(KEYS.alice, open); // a bearer header is ignored: there is no key to check it against
    assert.equal((await outboxDb.outboxEvents.get(a))?.payload.owner, undefined, 'no owner recorded');
    assert.equal((await uploaded(KEYS.alice, open)) !== a, true, 'no per-key limit without keys');
    assert.equal((await open.inject({ url: `/api/status/${a}` })).statusCode, 200);
    assert.deepEqual((await open.inject({ method: 'POST', url: '/api/session' })).json(), { authenticated: false, key_id: 'anonymous', role: 'client' });
    for (const [method, url] of [
      ['DELETE', '/api/cleanup/all'],
      ['GET', '/api/admin/dead_letters'],
    ] as const) {
      const remote = await open.inject({ method, url, remoteAddress: '198.51.100.7' });
      assert.equal(remote.statusCode, 403, url);
      assert.equal(remote.json().error.code, 'ERR_AUTH_ADMIN_ONLY');
    }
    // Jobs made without keys are admins' (and no client's) once keys are configured.
    assert.equal((await api.inject({ url: `/api/status/${a}`, headers: bearer(KEYS.alice) })).statusCode, 404);
    assert.equal((await api.inject({ url: `/api/status/${a}`, headers: bearer(KEYS.root) })).statusCode, 200);
  });
});
