import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import pino from 'pino';
import { S3ObjectStore } from '../../src/adapters/object-store/s3.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { sqliteOutboxDatabase } from '../../src/adapters/sqlite/outbox-database.js';
import { sqliteRunnerDatabase } from '../../src/adapters/sqlite/runner-database.js';
import { apiStores } from '../../src/modes/api-stores.js';
import { FfmpegFrameSource } from '../../src/adapters/frame-source/ffmpeg.js';
import { buildApi, type Api } from '../../src/stages/api/app.js';
import type { VideoLimits } from '../../src/core/video-limits.js';
import { multipart } from '../support/multipart.js';
import { clipOfFixture } from '../support/derived-videos.js';
import { ENDPOINTS, infraUp } from './infra.js';
import { modelDefaults } from '../../src/core/model-defaults.js';

/**
 * The video limits on a remote store, as cluster mode's API meets them: the upload streams to MinIO
 * while a copy goes to a temp file for ffprobe. (The job stores are SQLite's: they are not under test.)
 */
describe('video limits with an S3 store (MinIO): probed through the teed temp copy', () => {
  let dir: string;
  let db: SqliteDatabase;
  let store: S3ObjectStore;
  let clip: Buffer;
  const put: string[] = [];
  const apis: Api[] = [];

  before(
    async () => {
      await infraUp();
      dir = await mkdtemp(join(tmpdir(), 'fw-s3-limits-'));
      db = openDatabase(join(dir, 'db.sqlite'));
      store = new S3ObjectStore({
        endpoint: ENDPOINTS.minio,
        secure: false,
        accessKey: 'minioadmin',
        secretKey: 'minioadmin',
        region: 'us-east-1',
        bucket: `limits-${randomUUID().slice(0, 8)}`,
        forcePathStyle: true,
      });
      await store.ensureBucket();
      clip = await readFile(await clipOfFixture(dir, 'one-second.mp4'));
    },
    { timeout: 45 * 60_000 },
  );
  after(async () => {
    for (const api of apis) await api.close();
    await store?.deletePrefix('');
    await store?.close();
    db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (limits: Partial<VideoLimits>) => {
    const ffprobe = new FfmpegFrameSource({ decodeErrors: 'fail' });
    // Records the keys the API stores, to look for them afterwards.
    const recording = new Proxy(store, {
      get: (target, prop) =>
        prop === 'put' ? (key: string, body: Readable, type?: string) => (put.push(key), target.put(key, body, type)) : Reflect.get(target, prop, target),
    });
    const api = await buildApi({
      ...apiStores(sqliteOutboxDatabase(db), sqliteRunnerDatabase(db)),
      objects: recording,
      log: pino({ level: 'silent' }),
      maxUploadBytes: 50_000_000,
      models: { names: ['centernet-coco'], defaultModel: 'centernet-coco', defaults: (m: string) => modelDefaults({ models: [] }, m) },
      probe: (p) => ffprobe.probe(p),
      videoLimits: { maxDurationSeconds: 3600, maxWidth: 3840, maxHeight: 2160, maxFrames: 1_000_000, ...limits },
    });
    apis.push(api);
    const r = await api.inject({ method: 'POST', url: '/api/upload_video', ...multipart('file', 'clip.mp4', clip) });
    return { r, key: put.at(-1)! };
  };
  const tempCopies = async () => (await readdir(tmpdir())).filter((n) => n.startsWith('framewise-upload-'));

  test('over the limit: 422, and the object is deleted from the bucket', async () => {
    const before = new Set(await tempCopies());
    const { r, key } = await upload({ maxDurationSeconds: 0.5 });
    assert.equal(r.statusCode, 422, r.body);
    assert.equal(r.json().error.code, 'ERR_VIDEO_TOO_LONG');
    assert.match(key, /^input\//);
    assert.equal(await store.exists(key), false);
    assert.deepEqual(
      (await tempCopies()).filter((n) => !before.has(n)),
      [],
      'the temp copy is removed',
    );
  });

  test('within the limits: accepted, and the object in the bucket is the whole upload', async () => {
    const { r, key } = await upload({ maxDurationSeconds: 1, maxWidth: 768, maxHeight: 576, maxFrames: 10 });
    assert.equal(r.statusCode, 200, r.body);
    const chunks: Buffer[] = [];
    for await (const c of await store.get(key)) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(clip));
  });
});
