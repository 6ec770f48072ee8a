import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { LocalDirObjectStore } from '../../src/adapters/object-store/local-dir.js';
import { FfmpegFrameSource } from '../../src/adapters/frame-source/ffmpeg.js';
import { buildApi, type Api } from '../../src/stages/api/app.js';
import { clientKey, type RateLimits } from '../../src/stages/api/rate-limit.js';
import { Metrics } from '../../src/observability/metrics.js';
import { apiKeys } from '../../src/stages/api/auth.js';
import type { VideoLimits } from '../../src/core/video-limits.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import { multipart } from '../support/multipart.js';
import { clipOfFixture, FIXTURE } from '../support/derived-videos.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';
import { modelDefaults } from '../../src/core/model-defaults.js';
import { apiStores } from '../../src/modes/api-stores.js';

const log = pino({ level: 'silent' });
const MODELS = { names: ['centernet-coco'], defaultModel: 'centernet-coco', defaults: (m: string) => modelDefaults({ models: [] }, m) };
const LAX: VideoLimits = { maxDurationSeconds: 3 * 3600, maxWidth: 3840, maxHeight: 2160, maxFrames: 1_000_000 };
const ffprobe = new FfmpegFrameSource({ decodeErrors: 'fail' });

/** The same store seen as a remote one (S3): no local path, so the API must tee uploads and copy objects to probe them. */
function remote(store: ObjectStore): ObjectStore {
  return new Proxy(store, { get: (target, prop) => (prop === 'localPath' ? () => undefined : Reflect.get(target, prop, target)) });
}

/** Temp copies the API tees remote uploads to, for probing. */
const probeTemps = async () => new Set((await readdir(tmpdir())).filter((n) => n.startsWith('framewise-upload-')));

describe('video limits: the API probes what it stored and refuses a video over a limit (422, no job)', () => {
  // The fixture gives the stores and the lax deps (`fx.deps`); each test builds an API with the limits it tests (`apiWith`), not `fx.api`.
  let fx: ApiFixture;
  let dir: string;
  let outboxDb: OutboxDatabase;
  let objects: LocalDirObjectStore;
  const apis: Api[] = [];
  const clips: Record<'short' | 'wide' | 'tall', Buffer> = {} as never;

  before(async () => {
    fx = await startApiFixture('limits', { maxUploadBytes: 50_000_000, models: MODELS, probe: (p) => ffprobe.probe(p), videoLimits: LAX });
    ({ dir, outboxDb, objects } = fx);
    clips.short = await readFile(await clipOfFixture(dir, 'short.mp4')); // 768×576, 1 s, 10 frames
    clips.wide = await readFile(await clipOfFixture(dir, 'wide.mp4', '1280x720'));
    clips.tall = await readFile(await clipOfFixture(dir, 'tall.mp4', '720x1280'));
  });
  after(async () => {
    for (const api of apis) await api.close();
    await fx.close();
  });

  const apiWith = async (videoLimits: Partial<VideoLimits>, store: ObjectStore = objects) => {
    const api = await buildApi({ ...fx.deps, objects: store, videoLimits: { ...LAX, ...videoLimits } });
    apis.push(api);
    return api;
  };
  const upload = (api: Api, content: Buffer) => api.inject({ method: 'POST', url: '/api/upload_video', ...multipart('file', 'clip.mp4', content) });
  const jobCount = async (api: Api) => (await api.inject({ url: '/api/status/all' })).json().total as number;
  const storedInputs = async () => (await readdir(join(dir, 'objects', 'videos', 'input')).catch(() => [] as string[])).sort();

  /** Uploads `content` to `api` and checks the refusal: status, code, the limit named, no job, nothing stored. */
  async function assertRefused(api: Api, content: Buffer, code: string, limitText: RegExp) {
    const [jobsBefore, storedBefore] = [await jobCount(api), await storedInputs()];
    const r = await upload(api, content);
    assert.equal(r.statusCode, 422, r.body);
    assert.equal(r.json().error.code, code);
    assert.match(r.json().error.message, limitText);
    assert.equal(await jobCount(api), jobsBefore, 'no job was created');
    assert.deepEqual(await storedInputs(), storedBefore, 'the stored upload was deleted');
  }

  test('a 1-second video under a 0.5-second limit: ERR_VIDEO_TOO_LONG naming the limit', async () => {
    await assertRefused(await apiWith({ maxDurationSeconds: 0.5 }), clips.short, 'ERR_VIDEO_TOO_LONG', /lasts 1 s, over the limit of 0\.5 s/);
  });

  test('1280×720 under a 640×480 limit: ERR_VIDEO_RESOLUTION_TOO_HIGH, in either orientation', async () => {
    const api = await apiWith({ maxWidth: 640, maxHeight: 480 });
    await assertRefused(api, clips.wide, 'ERR_VIDEO_RESOLUTION_TOO_HIGH', /1280×720 pixels, over the limit of 640×480/);
    await assertRefused(api, clips.tall, 'ERR_VIDEO_RESOLUTION_TOO_HIGH', /720×1280 pixels, over the limit of 640×480/);
  });

  test('a 1280×720 limit admits 1280×720 and its portrait 720×1280', async () => {
    const api = await apiWith({ maxWidth: 1280, maxHeight: 720 });
    for (const clip of [clips.wide, clips.tall]) {
      const r = await upload(api, clip);
      assert.equal(r.statusCode, 200, r.body);
      const job = await outboxDb.outboxEvents.get(r.json().event_id);
      assert.equal(job?.status, 'new');
      assert.ok((await readFile(objects.localPath(job!.payload.object))).equals(clip), 'stored whole');
    }
  });

  test('10 frames under a 5-frame limit: ERR_VIDEO_TOO_MANY_FRAMES naming the limit', async () => {
    await assertRefused(await apiWith({ maxFrames: 5 }), clips.short, 'ERR_VIDEO_TOO_MANY_FRAMES', /has 10 frames, over the limit of 5/);
  });

  test('a video within every limit is accepted (the limits are inclusive)', async () => {
    const api = await apiWith({ maxDurationSeconds: 1, maxFrames: 10, maxWidth: 768, maxHeight: 576 });
    const r = await upload(api, clips.short);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((await outboxDb.outboxEvents.get(r.json().event_id))?.status, 'new');
  });

  test('a video ffprobe cannot read is still accepted: the runner fails its job with the reason', async () => {
    const api = await apiWith({ maxDurationSeconds: 0.5 });
    const junk = Buffer.concat([Buffer.from([0, 0, 0, 0x18, 0x71, 0x77, 0x65, 0x72]), Buffer.alloc(20_000, 0x9d)]);
    const r = await upload(api, junk);
    assert.equal(r.statusCode, 200, r.body);
  });

  test('a remote store: the upload is teed to a temp file as it streams, probed, and the temp file removed', async () => {
    const temps = await probeTemps();
    const api = await apiWith({ maxDurationSeconds: 0.5 }, remote(objects));
    await assertRefused(api, clips.short, 'ERR_VIDEO_TOO_LONG', /over the limit of 0\.5 s/);
    const lax = await apiWith({}, remote(objects));
    const video = await readFile(FIXTURE);
    const r = await upload(lax, video);
    assert.equal(r.statusCode, 200, r.body);
    assert.ok(
      (await readFile(objects.localPath((await outboxDb.outboxEvents.get(r.json().event_id))!.payload.object))).equals(video),
      'stored whole through the tee',
    );
    const left = [...(await probeTemps())].filter((n) => !temps.has(n));
    assert.deepEqual(left, [], 'no temp copy left behind');
  });

  for (const [where, store] of [
    ['a local store', () => objects],
    ['a remote store (temp copy)', () => remote(objects)],
  ] as const) {
    test(`/api/request on ${where}: an object over a limit gets 422 and no job; the object is left alone`, async () => {
      // An earlier upload, accepted under laxer limits: /api/request takes only the server's own input keys.
      const uploaded = await upload(await apiWith({}), clips.wide);
      assert.equal(uploaded.statusCode, 200, uploaded.body);
      const object = (await outboxDb.outboxEvents.get(uploaded.json().event_id))!.payload.object;
      const api = await apiWith({ maxWidth: 640, maxHeight: 480 }, store());
      const jobs = await jobCount(api);
      const r = await api.inject({ method: 'POST', url: '/api/request', payload: { bucket: 'videos', object } });
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'ERR_VIDEO_RESOLUTION_TOO_HIGH');
      assert.match(r.json().error.message, /over the limit of 640×480/);
      assert.equal(await jobCount(api), jobs, 'no job was created');
      assert.ok(await objects.exists(object), 'the request did not store it, so it does not delete it');
      const ok = await (await apiWith({ maxWidth: 1280, maxHeight: 720 }, store())).inject({ method: 'POST', url: '/api/request', payload: { object } });
      assert.equal(ok.statusCode, 200, ok.body);
    });
  }
});

describe('rate limits: per API key (else per client IP), 429 with Retry-After', () => {
  let fx: ApiFixture;
  /** Authentication off: every client is its address. */
  let open: Api;
  /** Authentication on: a known key is its own client. */
  let keyed: Api;
  let video: Buffer;
  const LIMITS: RateLimits = { perMinute: 5, uploadsPerMinute: 2 };
  const KEYS = { one: 'client-one-key-0123456789', two: 'client-two-key-0123456789', three: 'client-three-key-0123456789' };

  before(async () => {
    fx = await startApiFixture('rate', { maxUploadBytes: 50_000_000, models: MODELS, metrics: new Metrics('test'), rateLimits: LIMITS });
    open = fx.api;
    keyed = await buildApi({
      ...fx.deps,
      metrics: new Metrics('test'),
      auth: { keys: apiKeys({ apiKeys: Object.entries(KEYS).map(([id, key]) => ({ id, role: 'client' as const, key })) }) },
    });
    video = await readFile(FIXTURE);
  });
  after(async () => {
    await keyed.close();
    await fx.close();
  });

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const statusAll = (api: Api, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
    api.inject({ url: '/api/status/all', headers, remoteAddress });
  const uploadFrom = (remoteAddress: string) => {
    const form = multipart('file', 'clip.mp4', video);
    return open.inject({ method: 'POST', url: '/api/upload_video', payload: form.payload, headers: form.headers, remoteAddress });
  };
  const requestFrom = (remoteAddress: string) => open.inject({ method: 'POST', url: '/api/request', payload: { object: 'input/none.mp4' }, remoteAddress });

  test('the request after the limit gets 429 ERR_RATE_LIMITED with Retry-After, in the one error shape', async () => {
    for (let i = 0; i < LIMITS.perMinute; i++) assert.equal((await statusAll(keyed, bearer(KEYS.one))).statusCode, 200, `request ${i + 1}`);
    const r = await statusAll(keyed, bearer(KEYS.one));
    assert.equal(r.statusCode, 429);
    const retryAfter = Number(r.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${r.headers['retry-after']}`);
    assert.deepEqual(Object.keys(r.json()), ['error']);
    assert.equal(r.json().error.code, 'ERR_RATE_LIMITED');
    assert.match(r.json().error.message, new RegExp(`limit is ${LIMITS.perMinute} per minute; retry in ${retryAfter} s`));
  });

  test('two keys have separate budgets, even from one address', async () => {
    for (let i = 0; i < LIMITS.perMinute; i++) await statusAll(keyed, bearer(KEYS.two));
    assert.equal((await statusAll(keyed, bearer(KEYS.two))).statusCode, 429);
    assert.equal((await statusAll(keyed, bearer(KEYS.three))).statusCode, 200, 'another key is not limited');
  });

  test('refused requests count too: a flood of wrong keys, or of unknown routes, is limited by address', async () => {
    const wrong = [];
    for (let i = 0; i <= LIMITS.perMinute; i++) wrong.push((await statusAll(keyed, bearer(`made-up-key-${i}-0123456789`), '10.0.0.50')).statusCode);
    assert.deepEqual(wrong, [...Array(LIMITS.perMinute).fill(401), 429]);
    const scan = [];
    for (let i = 0; i <= LIMITS.perMinute; i++) scan.push((await open.inject({ url: `/wp-admin/${i}.php`, remoteAddress: '10.0.0.51' })).statusCode);
    assert.deepEqual(scan, [...Array(LIMITS.perMinute).fill(404), 429]);
  });

  test('without a key, two addresses have separate budgets', async () => {
    for (let i = 0; i < LIMITS.perMinute; i++) assert.equal((await statusAll(open, {}, '10.0.0.7')).statusCode, 200);
    assert.equal((await statusAll(open, {}, '10.0.0.7')).statusCode, 429);
    assert.equal((await statusAll(open, {}, '10.0.0.8')).statusCode, 200, 'another address is not limited');
  });

  test('health probes, metrics and the web page are never limited', async () => {
    for (let i = 0; i <= LIMITS.perMinute; i++) await statusAll(open, {}, '10.0.0.9');
    assert.equal((await statusAll(open, {}, '10.0.0.9')).statusCode, 429, 'the client is over its limit');
    for (let i = 0; i < 3; i++) {
      for (const url of ['/api', '/api/', '/api/health', '/metrics']) {
        const r = await open.inject({ url, remoteAddress: '10.0.0.9' });
        assert.equal(r.statusCode, 200, `${url}: ${r.body.slice(0, 200)}`);
      }
      const page = await open.inject({ url: '/', remoteAddress: '10.0.0.9' });
      assert.notEqual(page.statusCode, 429, 'the web page');
    }
  });

  test('the job-creating routes share a stricter budget of their own', async () => {
    for (let i = 0; i < LIMITS.uploadsPerMinute; i++) {
      const r = await uploadFrom('10.0.0.20');
      assert.equal(r.statusCode, 200, r.body);
    }
    const request = await requestFrom('10.0.0.20');
    assert.equal(request.statusCode, 429, '/api/request draws on the same budget as uploads');
    assert.equal(request.json().error.code, 'ERR_RATE_LIMITED');
    assert.match(request.json().error.message, new RegExp(`limit is ${LIMITS.uploadsPerMinute} per minute`));
    assert.ok(Number(request.headers['retry-after']) >= 1);
    assert.equal((await uploadFrom('10.0.0.20')).statusCode, 429);
    assert.equal((await statusAll(open, {}, '10.0.0.20')).statusCode, 200, 'reads keep their own budget');
    assert.equal((await requestFrom('10.0.0.21')).statusCode, 404, 'another client may still create jobs (this object does not exist)');
  });

  test('/openapi.json documents the 429 of limited routes, and only of those', async () => {
    const doc = (await open.inject({ url: '/openapi.json', remoteAddress: '10.0.0.30' })).json();
    for (const [path, method] of [
      ['/api/status/all', 'get'],
      ['/api/upload_video', 'post'],
      ['/api/request', 'post'],
    ] as const) {
      assert.ok(doc.paths[path][method].responses['429'], `${method} ${path} documents 429`);
    }
    assert.equal(doc.paths['/api/health'].get.responses['429'], undefined, 'health is not limited');
  });

  test('a bucket is named by a digest of the key, never the key; unknown keys count by address', () => {
    const req = (authorization?: string) => ({ headers: authorization ? { authorization } : {}, ip: '192.0.2.1' });
    const a = clientKey(req('Bearer secret-key-aaaa'));
    assert.ok(!a.includes('secret-key-aaaa'));
    assert.match(a, /^key:[A-Za-z0-9_-]{43}$/);
    assert.equal(clientKey(req('bearer secret-key-aaaa')), a, 'the scheme is case-insensitive');
    assert.notEqual(clientKey(req('Bearer secret-key-bbbb')), a);
    assert.equal(clientKey(req()), 'ip:192.0.2.1');
    assert.equal(clientKey(req('Basic dXNlcjpwdw==')), 'ip:192.0.2.1');
    assert.equal(
      clientKey(req('Bearer made-up'), (t) => t === 'secret-key-aaaa'),
      'ip:192.0.2.1',
    );
    assert.equal(
      clientKey(req('Bearer secret-key-aaaa'), (t) => t === 'secret-key-aaaa'),
      a,
    );
  });

  test('0 turns the limits off', async () => {
    const unlimited = await buildApi({
      ...apiStores(fx.outboxDb, fx.runnerDb),
      objects: fx.objects,
      log,
      maxUploadBytes: 1000,
      models: MODELS,
      rateLimits: { perMinute: 0, uploadsPerMinute: 0 },
    });
    try {
      for (let i = 0; i < 20; i++) assert.equal((await unlimited.inject({ url: '/api/status/all' })).statusCode, 200);
    } finally {
      await unlimited.close();
    }
  });
});
