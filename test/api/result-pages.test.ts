import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Api } from '../../src/stages/api/app.js';
import { detectionDocument } from '../../src/core/result-document.js';
import type { Box, FrameResult } from '../../src/core/types.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';
import { modelDefaults } from '../../src/core/model-defaults.js';

const VIDEO = { width: 1000, height: 500, fps: 10, duration_ms: 250_000, frame_count: 2500, codec: 'h264', rotation: 0 };
const FRAMES = 2500;

/** A long job: 2500 sampled frames, a person walking throughout, a car in frames 1000–1999 with rising confidence. */
function frameResult(i: number): FrameResult {
  const x = (i % 500) + 10;
  const objects = [{ class: 'person', box: [x, 10, x + 50, 200] as Box, conf: 0.9 }];
  if (i >= 1000 && i < 2000) objects.push({ class: 'car', box: [600, 300, 900, 480] as Box, conf: 0.65 + (i - 1000) / 4000 });
  return { frame: i, timestamp_ms: i * 100, objects };
}

interface Page {
  status: string;
  prediction: Array<{ frame: number; timestamp_ms: number; objects: Array<{ class: string; conf: number; track_id: number | null }> }>;
  next_cursor: string | null;
  video: typeof VIDEO;
  tracks: unknown[];
  classes: Array<{ class: string }>;
  segments: Array<{ class: string; start_ms: number; end_ms: number }>;
  total_frames: number;
}

// The same answers whether the result is held in memory (indexed), over the cache's limit for one
// result (a sixteenth of it: this one is about 1 MB), or the cache is off (both streamed).
for (const [how, resultCacheBytes] of [
  ['held in memory', 64 * 1024 ** 2],
  ['too large to hold', 1024 ** 2],
  ['no cache', 0],
] as const)
  describe(`GET /api/result_video/{id}: pages and filters over a published result (${how})`, () => {
    let fx: ApiFixture;
    let api: Api;
    const id = randomUUID();

    before(async () => {
      fx = await startApiFixture('pages', {
        maxUploadBytes: 1000,
        models: { names: ['m'], defaultModel: 'm', defaults: (m: string) => modelDefaults({ models: [] }, m) },
        resultCacheBytes,
      });
      api = fx.api;
      const { runnerDb, objects } = fx;
      await runnerDb.jobRecords.start({ _id: id, created_at: new Date(), expected_frames: FRAMES, parameters: { sample_every: 1 }, video: VIDEO });
      for (let i = 0; i < FRAMES; i++) await runnerDb.frameCollection.addFrameResult(id, frameResult(i));
      await runnerDb.frameCollection.setTotalFrames(id, FRAMES);
      await runnerDb.frameCollection.markPredictable(id);
      const doc = detectionDocument({ event_id: id, total_frames: FRAMES, parameters: { sample_every: 1 }, video: VIDEO }, () =>
        runnerDb.frameCollection.frameResults(id),
      );
      await objects.put(`detection/${id}.json`, Readable.from(doc));
      await runnerDb.resultsOutbox.markReady(id, new Date(), { bucket: 'videos', object: `detection/${id}.json` });
    });
    after(() => fx.close());

    const get = async (query: string) => {
      const r = await api.inject({ url: `/api/result_video/${id}${query}` });
      return { status: r.statusCode, body: r.json() as Page & { error: { code: string; message: string } } };
    };

    test('without a query, the whole result (as before paging existed), with the metadata and summaries', async () => {
      const { status, body } = await get('');
      assert.equal(status, 200);
      assert.equal(body.status, 'ready');
      assert.equal(body.prediction.length, FRAMES);
      assert.deepEqual(body.video, VIDEO);
      assert.equal(body.next_cursor, undefined);
      assert.deepEqual(
        body.classes.map((c) => c.class),
        ['car', 'person'],
      );
      assert.deepEqual(
        body.segments.find((s) => s.class === 'car'),
        { class: 'car', start_ms: 100_000, end_ms: 200_000, duration_ms: 100_000 },
      );
    });

    test('pages of `limit` frames follow each other through next_cursor to the end; every page carries the metadata', async () => {
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const { status, body }: { status: number; body: Page } = await get(`?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(status, 200);
        pages++;
        assert.deepEqual(body.video, VIDEO, 'video metadata on every page');
        assert.equal(body.total_frames, FRAMES);
        assert.equal(body.classes.length, 2, 'summaries on every page');
        assert.ok(body.prediction.length <= 1000);
        seen.push(...body.prediction.map((f) => f.frame));
        cursor = body.next_cursor;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(
        seen,
        Array.from({ length: FRAMES }, (_, i) => i),
        'every frame once, in order',
      );
    });

    test('filters: class, min_conf, track_id and a time range', async () => {
      const cars = (await get('?limit=1000&class=car&from_ms=100000&to_ms=100900')).body;
      assert.deepEqual(
        cars.prediction.map((f) => f.frame),
        [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009],
      );
      assert.ok(cars.prediction.every((f) => f.objects.length === 1 && f.objects[0]!.class === 'car'));
      const confident = (await get('?limit=1000&class=car,truck&min_conf=0.8&from_ms=100000')).body;
      const kept = confident.prediction.filter((f) => f.objects.length > 0).map((f) => f.frame);
      const expected = Array.from({ length: FRAMES }, (_, i) => frameResult(i))
        .filter((f) => f.objects.some((o) => o.class === 'car' && o.conf >= 0.8))
        .map((f) => f.frame);
      assert.ok(expected.length > 100 && expected.length < 900, 'the threshold splits the car frames');
      assert.deepEqual(kept, expected, 'frames 1000–1999 are the page; objects below min_conf or of other classes are dropped');
      const carTrack = cars.prediction[0]!.objects[0]!.track_id!;
      const trackAnswer = await get(`?from_ms=0&to_ms=250000&track_id=${carTrack}`);
      assert.equal(trackAnswer.status, 200, JSON.stringify(trackAnswer.body).slice(0, 300));
      const track = trackAnswer.body;
      assert.equal(track.prediction.filter((f) => f.objects.length > 0).length, 1000, 'the parked car is one track for its 1000 frames');
    });

    test('a filtered page still pages: the cursor continues after the last frame it held', async () => {
      const first = (await get('?limit=10&from_ms=500')).body;
      assert.deepEqual(
        first.prediction.map((f) => f.frame),
        [5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
      );
      const second = (await get(`?limit=10&from_ms=500&cursor=${first.next_cursor}`)).body;
      assert.equal(second.prediction[0]!.frame, 15);
      const last = (await get('?limit=10&from_ms=249000')).body;
      assert.equal(last.next_cursor, null);
    });

    const refused: Array<[string, string, string]> = [
      ['limit above 1000', '?limit=1001', 'ERR_REQUEST_INVALID'],
      ['limit 0', '?limit=0', 'ERR_REQUEST_INVALID'],
      ['min_conf above 1', '?min_conf=2', 'ERR_REQUEST_INVALID'],
      ['a cursor this server did not give', '?limit=5&cursor=bm9wZQ', 'ERR_RESULT_QUERY_INVALID'],
      ['from_ms after to_ms', '?from_ms=500&to_ms=100', 'ERR_RESULT_QUERY_INVALID'],
    ];
    for (const [what, query, code] of refused) {
      test(`400 ${code} for ${what}`, async () => {
        const { status, body } = await get(query);
        assert.equal(status, 400);
        assert.equal(body.error.code, code);
      });
    }
  });
