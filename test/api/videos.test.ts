import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { RunnerDatabase } from '../../src/ports/runner-database.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import type { Api } from '../../src/stages/api/app.js';
import { annotatedKey, inputKey, newEventId } from '../../src/core/ids.js';
import { videoSubmitted, type JobOptions } from '../../src/core/job.js';
import { TOPICS } from '../../src/core/topics.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';

const FIXTURE = new URL('../fixtures/vtest-10s.mp4', import.meta.url);

describe('GET /api/video/{id} and /api/result_video/{id}/annotated.mp4 (range requests)', () => {
  let fx: ApiFixture;
  let api: Api;
  let outboxDb: OutboxDatabase;
  let runnerDb: RunnerDatabase;
  let objects: ObjectStore;
  let video: Buffer;

  before(async () => {
    fx = await startApiFixture('videos', { maxUploadBytes: 1_000_000 });
    ({ api, outboxDb, runnerDb, objects } = fx);
    video = await readFile(FIXTURE);
  });
  after(() => fx.close());

  /** A job whose video is stored and whose event is in the outbox (as an upload leaves it). */
  const job = async (options?: JobOptions, mediaType = 'video/mp4') => {
    const id = newEventId();
    const key = inputKey(id, 'mp4');
    await objects.put(key, Readable.from([video]), mediaType);
    await outboxDb.jobsOutbox.insert(
      videoSubmitted(id, { bucket: 'videos', object: key, media_type: mediaType, ...(options ? { options } : {}) }, TOPICS.outboxEvents, undefined),
    );
    return id;
  };

  test('no Range: 200 with the whole stored video, its media type, length and Accept-Ranges', async () => {
    const id = await job(undefined, 'video/quicktime');
    const r = await api.inject({ url: `/api/video/${id}` });
    assert.equal(r.statusCode, 200);
    assert.ok(r.rawPayload.equals(video));
    assert.equal(r.headers['content-type'], 'video/quicktime');
    assert.equal(r.headers['content-length'], String(video.length));
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.ok(r.headers.etag);
    assert.equal(r.headers['content-range'], undefined);
  });

  test('one range: 206 with Content-Range and exactly that slice (closed, open, suffix, past-the-end end)', async () => {
    const id = await job();
    const n = video.length;
    const cases: Array<[string, number, number]> = [
      ['bytes=0-0', 0, 0],
      ['bytes=0-1023', 0, 1023],
      ['bytes=1000-2999', 1000, 2999],
      ['bytes=100-', 100, n - 1],
      ['bytes=-100', n - 100, n - 1],
      [`bytes=${n - 1}-${n - 1}`, n - 1, n - 1],
      [`bytes=${n - 10}-${n + 5000}`, n - 10, n - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await api.inject({ url: `/api/video/${id}`, headers: { range } });
      assert.equal(r.statusCode, 206, range);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${n}`, range);
      assert.equal(r.headers['content-length'], String(end - start + 1), range);
      assert.equal(r.headers['content-type'], 'video/mp4', range);
      assert.ok(r.rawPayload.equals(video.subarray(start, end + 1)), `${range}: the stored bytes' slice`);
    }
  });

  test('unsatisfiable: 416 with Content-Range bytes */size and a JSON error; malformed or multiple ranges: 200 whole', async () => {
    const id = await job();
    const n = video.length;
    const r = await api.inject({ url: `/api/video/${id}`, headers: { range: `bytes=${n}-${n + 10}` } });
    assert.equal(r.statusCode, 416);
    assert.equal(r.headers['content-range'], `bytes */${n}`);
    assert.equal(r.json().error.code, 'ERR_RANGE_NOT_SATISFIABLE');
    for (const range of ['bytes=abc', 'items=0-5', 'bytes=0-9,100-199']) {
      const whole = await api.inject({ url: `/api/video/${id}`, headers: { range } });
      assert.equal(whole.statusCode, 200, range);
      assert.ok(whole.rawPayload.equals(video), range);
    }
  });

  test('If-Range: the range is honoured while the ETag matches, the whole video is sent once it does not', async () => {
    const id = await job();
    const etag = (await api.inject({ method: 'HEAD', url: `/api/video/${id}` })).headers.etag as string;
    const same = await api.inject({ url: `/api/video/${id}`, headers: { range: 'bytes=0-9', 'if-range': etag } });
    assert.equal(same.statusCode, 206);
    const changed = await api.inject({ url: `/api/video/${id}`, headers: { range: 'bytes=0-9', 'if-range': '"an-older-version"' } });
    assert.equal(changed.statusCode, 200);
    assert.equal(changed.rawPayload.length, video.length);
  });

  test('HEAD: the same status and headers, no body', async () => {
    const id = await job();
    const whole = await api.inject({ method: 'HEAD', url: `/api/video/${id}` });
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.headers['content-length'], String(video.length));
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.equal(whole.rawPayload.length, 0);
    const part = await api.inject({ method: 'HEAD', url: `/api/video/${id}`, headers: { range: 'bytes=10-19' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-length'], '10');
    assert.equal(part.headers['content-range'], `bytes 10-19/${video.length}`);
  });

  test('an unknown job is 404, a malformed id 400, a removed video 404 ERR_VIDEO_NOT_FOUND', async () => {
    const unknown = await api.inject({ url: `/api/video/${newEventId()}` });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'ERR_JOB_NOT_FOUND');
    for (const bad of ['not-a-uuid', '..%2F..%2Fetc%2Fpasswd']) {
      const r = await api.inject({ url: `/api/video/${bad}` });
      assert.equal(r.statusCode, 400, bad);
      assert.equal(r.json().error.code, 'ERR_JOB_ID_MALFORMED', bad);
      const a = await api.inject({ url: `/api/result_video/${bad}/annotated.mp4` });
      assert.equal(a.statusCode, 400, bad);
    }
    const id = await job();
    await objects.delete(inputKey(id, 'mp4'));
    const gone = await api.inject({ url: `/api/video/${id}` });
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json().error.code, 'ERR_VIDEO_NOT_FOUND');
  });

  test('a job whose event is gone is served from its runner record', async () => {
    const id = newEventId();
    const key = inputKey(id, 'mp4');
    await objects.put(key, Readable.from([video]));
    await runnerDb.jobRecords.start({
      _id: id,
      created_at: new Date(),
      expected_frames: 20,
      parameters: { sample_every: 5 },
      input: { bucket: 'videos', object: key, media_type: 'video/mp4' },
    });
    const r = await api.inject({ url: `/api/video/${id}`, headers: { range: 'bytes=-4' } });
    assert.equal(r.statusCode, 206);
    assert.ok(r.rawPayload.equals(video.subarray(video.length - 4)));
  });

  test('annotated.mp4: 404 with a reason until rendered (not asked, not yet), then served as video/mp4 with ranges', async () => {
    const plain = await job();
    const notAsked = await api.inject({ url: `/api/result_video/${plain}/annotated.mp4` });
    assert.equal(notAsked.statusCode, 404);
    assert.equal(notAsked.json().error.code, 'ERR_ANNOTATION_NOT_FOUND');
    assert.match(notAsked.json().error.message, /did not ask/);

    const id = await job({ annotate: true });
    const pending = await api.inject({ url: `/api/result_video/${id}/annotated.mp4` });
    assert.equal(pending.statusCode, 404);
    assert.equal(pending.json().error.code, 'ERR_ANNOTATION_NOT_FOUND');
    assert.match(pending.json().error.message, /not rendered yet \(job new\)/);
    assert.equal((await api.inject({ url: `/api/result_video/${newEventId()}/annotated.mp4` })).json().error.code, 'ERR_JOB_NOT_FOUND');

    // Any bytes stand in for the rendered video: this route only serves what the renderer stored.
    const rendered = Buffer.from(video.subarray(0, 50_000)).reverse();
    await objects.put(annotatedKey(id), Readable.from([rendered]), 'video/mp4');
    const whole = await api.inject({ url: `/api/result_video/${id}/annotated.mp4` });
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.headers['content-type'], 'video/mp4');
    assert.ok(whole.rawPayload.equals(rendered));
    const part = await api.inject({ url: `/api/result_video/${id}/annotated.mp4`, headers: { range: 'bytes=40000-' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 40000-49999/50000`);
    assert.ok(part.rawPayload.equals(rendered.subarray(40_000)));
    const head = await api.inject({ method: 'HEAD', url: `/api/result_video/${id}/annotated.mp4` });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], '50000');
  });

  test('over real HTTP: a range arrives with its Content-Length and exactly its bytes', async () => {
    const id = await job();
    await api.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.server.address() as AddressInfo;
    const got = await new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/api/video/${id}`, headers: { range: 'bytes=5000-5999' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(got.status, 206);
    assert.equal(got.headers['content-length'], '1000');
    assert.ok(got.body.equals(video.subarray(5000, 6000)));
  });
});
