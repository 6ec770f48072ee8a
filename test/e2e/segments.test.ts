import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getResult, isFinished, startServer, uploadFile, waitForResult } from './server.js';
import { loopOfFixture } from '../support/derived-videos.js';

/**
 * One long video in segments, end to end in `framewise serve`: the fixture 4 times over (40 s, a
 * keyframe every 10 s) with 10 s segments is extracted as 4 segments, and its result — frame
 * numbers, timestamps, boxes, tracks, summaries — deep-equals the same video's unsplit run's
 * (FRAMEWISE_SEGMENT_SECONDS=0). The cluster's version, on 2 runners: test/cluster/segments.test.ts.
 */
describe('segments, embedded: a 40 s video in 4 segments gives exactly the unsplit result', () => {
  let dir: string;
  let video: Buffer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-e2e-segments-'));
    video = await readFile(await loopOfFixture(dir, 'loop4.mp4', 4));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function resultWith(segmentSeconds: string, name: string): Promise<{ result: any; log: string }> {
    const server = await startServer(join(dir, name), { FRAMEWISE_SEGMENT_SECONDS: segmentSeconds });
    try {
      const up = await uploadFile(server.url, video, 'loop4.mp4');
      assert.equal(up.status, 200, JSON.stringify(up.body));
      const r = await waitForResult(server.url, up.body.event_id, isFinished, 300_000);
      assert.equal(r.status, 'ready', JSON.stringify(r).slice(0, 300));
      return { result: await getResult(server.url, up.body.event_id), log: server.log.join('\n') };
    } finally {
      await server.stop();
    }
  }

  test('split in 4 at its keyframes and unsplit: the same frames, times, boxes, tracks and summaries', async () => {
    const split = await resultWith('10', 'split');
    const whole = await resultWith('0', 'whole');
    assert.match(split.log, /"segments":4[,}].*video split into segments/);
    assert.doesNotMatch(whole.log, /video split into segments/);
    const { prediction, tracks, classes, segments, video: meta, parameters } = split.result;
    assert.equal(prediction.length, 80);
    assert.deepEqual(
      prediction.map((f: { frame: number }) => f.frame),
      Array.from({ length: 80 }, (_, i) => i * 5),
    );
    assert.deepEqual(
      { prediction, tracks, classes, segments, video: meta, parameters },
      {
        prediction: whole.result.prediction,
        tracks: whole.result.tracks,
        classes: whole.result.classes,
        segments: whole.result.segments,
        video: whole.result.video,
        parameters: whole.result.parameters,
      },
    );
  });
});
