import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { RunnerDatabase } from '../../src/ports/runner-database.js';
import type { LocalDirObjectStore } from '../../src/adapters/object-store/local-dir.js';
import type { Api } from '../../src/stages/api/app.js';
import { detectionDocument } from '../../src/core/result-document.js';
import { multipart } from '../support/multipart.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';
import { modelDefaults } from '../../src/core/model-defaults.js';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const fixture = (name: string) => readFile(new URL(name, FIXTURES));

const MODELS = { names: ['centernet-coco', 'yolo-test'], defaultModel: 'centernet-coco', defaults: (m: string) => modelDefaults({ models: [] }, m) };

describe('HTTP API (inject, embedded stores)', () => {
  let fx: ApiFixture;
  let dir: string;
  let api: Api;
  let outboxDb: OutboxDatabase;
  let runnerDb: RunnerDatabase;
  let objects: LocalDirObjectStore;
  let accepted = 0;
  const MAX = 600_000;

  before(async () => {
    fx = await startApiFixture('api', { maxUploadBytes: MAX, onAccepted: () => accepted++, models: MODELS });
    ({ dir, api, outboxDb, runnerDb, objects } = fx);
  });
  after(() => fx.close());

  const upload = async (content: Buffer, filename = 'clip.mp4', field = 'file') =>
    api.inject({ method: 'POST', url: '/api/upload_video', ...multipart(field, filename, content) });

  test('health answers on /api, /api/ and /api/health', async () => {
    for (const url of ['/api', '/api/', '/api/health']) {
      const r = await api.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.equal(r.json().status, 'ok');
    }
  });

  test('an upload is stored as input/{id}.{ext} and recorded as a new outbox event', async () => {
    const video = await fixture('vtest-10s.mp4');
    const before = accepted;
    const r = await upload(video);
    assert.equal(r.statusCode, 200);
    const { status, event_id } = r.json();
    assert.equal(status, 'ok');
    assert.match(event_id, /^[0-9a-f-]{36}$/);
    const event = await outboxDb.outboxEvents.get(event_id);
    assert.equal(event?.status, 'new');
    assert.deepEqual(event?.payload, { bucket: 'videos', object: `input/${event_id}.mp4`, media_type: 'video/mp4', model: 'centernet-coco' });
    assert.ok((await readFile(objects.localPath(`input/${event_id}.mp4`))).equals(video));
    assert.equal(accepted, before + 1, 'the relay was woken');
    const result = await api.inject({ url: `/api/result_video/${event_id}` });
    assert.equal(result.statusCode, 200);
    assert.equal(result.json().status, 'new');
  });

  for (const [name, make, status, code] of [
    ['an empty file', async () => Buffer.alloc(0), 400, 'ERR_UPLOAD_EMPTY'],
    ['not a video (text)', async () => Buffer.from('hello, this is certainly not a video\n'.repeat(50)), 415, 'ERR_UPLOAD_NOT_VIDEO'],
    ['a still image', () => fixture('messi5.jpg'), 415, 'ERR_UPLOAD_NOT_VIDEO'],
    ['audio only', () => fixture('megamind-audio-3s.m4a'), 415, 'ERR_UPLOAD_NOT_VIDEO'],
    ['a PDF', async () => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(200, 7)]), 415, 'ERR_UPLOAD_NOT_VIDEO'],
  ] as const) {
    test(`${name} is refused with ${status} ${code}, storing nothing`, async () => {
      const jobs = (await outboxDb.outboxEvents.list()).length;
      const r = await upload(await make());
      assert.equal(r.statusCode, status);
      assert.equal(r.json().error.code, code);
      assert.ok(r.json().error.message.length > 0);
      assert.equal((await outboxDb.outboxEvents.list()).length, jobs);
    });
  }

  test('an upload over the size limit gets 413 and leaves no object and no job', async () => {
    const big = Buffer.concat([await fixture('vtest-10s.mp4'), Buffer.alloc(MAX)]);
    const jobs = (await outboxDb.outboxEvents.list()).length;
    const r = await upload(big);
    assert.equal(r.statusCode, 413);
    assert.equal(r.json().error.code, 'ERR_UPLOAD_TOO_LARGE');
    assert.match(r.json().error.message, /600000/);
    assert.equal((await outboxDb.outboxEvents.list()).length, jobs);
    const stored = await readdir(join(dir, 'objects', 'videos', 'input'));
    assert.equal(stored.length, jobs, 'no partial object left');
    assert.deepEqual(await readdir(join(dir, 'objects', '.incoming')), []);
  });

  test('an upload without a file part, or not multipart, is a 400', async () => {
    const wrongField = await upload(await fixture('vtest-10s.mp4'), 'a.mp4', 'video');
    assert.equal(wrongField.statusCode, 400);
    assert.equal(wrongField.json().error.code, 'ERR_UPLOAD_NO_FILE');
    const json = await api.inject({ method: 'POST', url: '/api/upload_video', payload: { file: 'x' } });
    assert.equal(json.statusCode, 400);
    assert.equal(json.json().error.code, 'ERR_UPLOAD_NO_FILE');
  });

  test('malformed ids are 400, unknown ids 404, unknown routes 404 — all in the one error shape', async () => {
    const bad = await api.inject({ url: '/api/result_video/not-a-uuid' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'ERR_JOB_ID_MALFORMED');
    const unknown = await api.inject({ url: '/api/result_video/3f2b8c1e-4a5d-4e6f-8a7b-9c0d1e2f3a4b' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'ERR_JOB_NOT_FOUND');
    const route = await api.inject({ url: '/api/nothing-here' });
    assert.equal(route.statusCode, 404);
    assert.equal(route.json().error.code, 'ERR_ROUTE_NOT_FOUND');
  });

  test('GET /api/status/{id}: stage, frames done of the total or estimate, percent and ETA; 400/404 like result_video', async () => {
    const up = await upload(await fixture('vtest-10s.mp4'));
    const id = up.json().event_id as string;
    const queued = await api.inject({ url: `/api/status/${id}` });
    assert.equal(queued.statusCode, 200);
    assert.deepEqual(
      { ...(queued.json() as Record<string, unknown>), processing_time_seconds: 0, processing_time_formatted: '' },
      {
        event_id: id,
        status: 'new',
        status_description: 'Accepted; waiting to be dispatched',
        stage: 'queued',
        frames_done: 0,
        frames_total: null,
        frames_expected: null,
        percent: null,
        eta_seconds: null,
        processing_time_seconds: 0,
        processing_time_formatted: '',
      },
    );
    await runnerDb.jobRecords.start({ _id: id, created_at: new Date(Date.now() - 10_000), expected_frames: 20, parameters: { sample_every: 5 } });
    for (let f = 0; f < 5; f++) await runnerDb.frameCollection.addFrameResult(id, { frame: f * 5, objects: [] });
    // The rate is frames over time since the upload (kept to 0.01 s): let some time pass, or an
    // answer within 5 ms of the upload has no rate yet.
    await new Promise((r) => setTimeout(r, 20));
    const busy = (await api.inject({ url: `/api/status/${id}` })).json();
    assert.equal(busy.status, 'processing');
    assert.equal(busy.stage, 'detecting');
    assert.equal(busy.frames_done, 5);
    assert.equal(busy.frames_expected, 20);
    assert.equal(busy.percent, 25);
    assert.ok(busy.eta_seconds > 0, `an ETA: ${busy.eta_seconds}`);
    assert.equal((await api.inject({ url: '/api/status/not-a-uuid' })).json().error.code, 'ERR_JOB_ID_MALFORMED');
    const unknown = await api.inject({ url: '/api/status/3f2b8c1e-4a5d-4e6f-8a7b-9c0d1e2f3a4b' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'ERR_JOB_NOT_FOUND');
    assert.equal((await api.inject({ url: '/api/status/all' })).statusCode, 200, 'status/all still answers');
  });

  test('a job chooses its model by name (query or form field before the file); an unknown model is a 400 that stores nothing', async () => {
    const models = await api.inject({ url: '/api/models' });
    // Each model with its defaults: the bundled CenterNet's measured ones, the design's for a YOLO model.
    assert.deepEqual(models.json(), {
      default: 'centernet-coco',
      models: [
        { name: 'centernet-coco', defaults: { confidence: 0.35, iou: 0.45, class_agnostic_nms: true } },
        { name: 'yolo-test', defaults: { confidence: 0.25, iou: 0.45, class_agnostic_nms: false } },
      ],
    });
    const video = await fixture('vtest-10s.mp4');
    const byField = await api.inject({
      method: 'POST',
      url: '/api/upload_video',
      ...multipart('file', 'clip.mp4', video, 'video/mp4', { model: 'yolo-test' }),
    });
    assert.equal(byField.statusCode, 200);
    assert.equal((await outboxDb.outboxEvents.get(byField.json().event_id))?.payload.model, 'yolo-test');
    const byQuery = await api.inject({ method: 'POST', url: '/api/upload_video?model=yolo-test', ...multipart('file', 'clip.mp4', video) });
    assert.equal((await outboxDb.outboxEvents.get(byQuery.json().event_id))?.payload.model, 'yolo-test');
    const jobs = (await outboxDb.outboxEvents.list()).length;
    for (const r of [
      await api.inject({ method: 'POST', url: '/api/upload_video', ...multipart('file', 'clip.mp4', video, 'video/mp4', { model: 'yolov99' }) }),
      await api.inject({ method: 'POST', url: '/api/upload_video?model=yolov99', ...multipart('file', 'clip.mp4', video) }),
      await api.inject({ method: 'POST', url: '/api/request', payload: { object: `input/${byField.json().event_id}.mp4`, model: 'yolov99' } }),
    ]) {
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error.code, 'ERR_MODEL_UNKNOWN');
      assert.match(r.json().error.message, /yolov99.*centernet-coco, yolo-test/);
    }
    assert.equal((await outboxDb.outboxEvents.list()).length, jobs, 'no job for an unknown model');
  });

  test('POST /api/request creates a job for a stored video, and refuses unknown objects and buckets', async () => {
    const first = (await upload(await fixture('vtest-10s.mp4'))).json().event_id as string;
    const object = `input/${first}.mp4`;
    const ok = await api.inject({ method: 'POST', url: '/api/request', payload: { bucket: 'videos', object, media_type: 'video/mp4' } });
    assert.equal(ok.statusCode, 200);
    const id = ok.json().event_id;
    assert.notEqual(id, first);
    assert.equal((await outboxDb.outboxEvents.get(id))?.payload.object, object);
    const missing = await api.inject({ method: 'POST', url: '/api/request', payload: { object: 'input/nope.mp4' } });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'ERR_OBJECT_NOT_FOUND');
    const escape = await api.inject({ method: 'POST', url: '/api/request', payload: { object: 'input/../../../etc/passwd' } });
    assert.equal(escape.statusCode, 404);
    const bucket = await api.inject({ method: 'POST', url: '/api/request', payload: { bucket: 'other', object } });
    assert.equal(bucket.statusCode, 400);
    assert.equal(bucket.json().error.code, 'ERR_BUCKET_UNKNOWN');
    const invalid = await api.inject({ method: 'POST', url: '/api/request', payload: { objekt: object } });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().error.code, 'ERR_REQUEST_INVALID');
    const notJson = await api.inject({ method: 'POST', url: '/api/request', headers: { 'content-type': 'application/json' }, payload: '{"object":' });
    assert.equal(notJson.statusCode, 400);
    const csv = await api.inject({ method: 'POST', url: '/api/request', headers: { 'content-type': 'text/csv' }, payload: 'a,b' });
    assert.equal(csv.statusCode, 415);
    assert.equal(csv.json().error.code, 'ERR_REQUEST_MEDIA_TYPE');
  });

  test('results: ready from detection/{id}.json; failed with its reason; status/all lists every job with counts', async () => {
    const readyId = (await upload(await fixture('vtest-10s.mp4'))).json().event_id as string;
    const failedId = (await upload(await fixture('vtest-10s.mp4'))).json().event_id as string;
    await runnerDb.jobRecords.start({ _id: readyId, created_at: new Date(Date.now() - 3000), expected_frames: 2, parameters: { sample_every: 5 } });
    const person = { class: 'person', box: [1, 2, 3, 4] as [number, number, number, number], conf: 0.9 };
    await runnerDb.frameCollection.addFrameResult(readyId, { frame: 0, objects: [person] });
    await runnerDb.frameCollection.addFrameResult(readyId, { frame: 5, objects: [] });
    await runnerDb.frameCollection.setTotalFrames(readyId, 2);
    assert.ok(await runnerDb.frameCollection.markPredictable(readyId));
    const doc = detectionDocument({ event_id: readyId, total_frames: 2, parameters: { sample_every: 5 } }, () =>
      runnerDb.frameCollection.frameResults(readyId),
    );
    await objects.put(`detection/${readyId}.json`, Readable.from(doc));
    await runnerDb.resultsOutbox.markReady(readyId, new Date(), { bucket: 'videos', object: `detection/${readyId}.json` });
    await runnerDb.frameCollection.markFailed(failedId, 'the video is damaged: invalid NAL unit', new Date(), {
      created_at: new Date(),
      input: { bucket: 'videos', object: `input/${failedId}.mp4`, media_type: 'video/mp4' },
    });

    const ready = (await api.inject({ url: `/api/result_video/${readyId}` })).json();
    assert.equal(ready.status, 'ready');
    assert.deepEqual(ready.prediction, [
      { frame: 0, objects: [{ ...person, track_id: 1 }] },
      { frame: 5, objects: [] },
    ]);
    assert.ok(ready.processing_time_seconds >= 0);
    assert.match(ready.processing_time_formatted, /s$/);

    const failed = (await api.inject({ url: `/api/result_video/${failedId}` })).json();
    assert.equal(failed.status, 'failed');
    assert.match(failed.reason, /damaged/);

    const all = (await api.inject({ url: '/api/status/all' })).json();
    assert.equal(all.total, all.operations.length);
    const byId = new Map(all.operations.map((o: { video_id: string }) => [o.video_id, o]));
    assert.equal((byId.get(readyId) as { status_code: string }).status_code, 'ready');
    assert.equal((byId.get(failedId) as { status_code: string; reason: string }).reason, 'the video is damaged: invalid NAL unit');
    assert.equal(all.counts.ready, 1);
    assert.equal(all.counts.failed, 1);
    for (const o of all.operations)
      for (const k of ['video_id', 'status_code', 'status_description', 'processing_time_seconds', 'processing_time_formatted']) assert.ok(k in o, k);
  });

  test('DELETE /api/cleanup/all removes jobs, records and objects', async () => {
    const r = await api.inject({ method: 'DELETE', url: '/api/cleanup/all' });
    assert.equal(r.statusCode, 200);
    assert.ok(r.json().deleted_jobs > 0);
    assert.equal((await api.inject({ url: '/api/status/all' })).json().total, 0);
    assert.equal((await runnerDb.jobRecords.list()).length, 0);
    const left = await readdir(join(dir, 'objects', 'videos'), { recursive: true, withFileTypes: true }).catch(() => []);
    assert.deepEqual(
      left.filter((e) => e.isFile()).map((e) => e.name),
      [],
      'no stored object is left',
    );
  });
});
