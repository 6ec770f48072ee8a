import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getResult, isFinished, startServer, uploadFile, waitForResult, type Server } from './server.js';
import { DAMAGED, damagedCopy, damagedFixture, loopOfFixture, truncatedCopy } from '../support/derived-videos.js';

/**
 * A partly damaged video end to end (embedded mode, real ffmpeg, the real detector): the damaged
 * fixture (`damagedFixture`: frames 20–50, 2.0–5.0 s, never decode) becomes `ready` with the
 * detections of the frames that decode and a warning naming the damaged range; on a server that
 * allows a smaller share of damage than its 6 of 20 sampled frames, it is `failed`, the reason
 * naming the share and the range.
 */
describe('a partly damaged video, end to end', () => {
  let dir: string;
  let lenient: Server;
  let strict: Server;
  let video: Buffer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-e2e-damaged-'));
    video = await readFile(await damagedFixture(dir));
    [lenient, strict] = await Promise.all([startServer(join(dir, 'lenient')), startServer(join(dir, 'strict'), { FRAMEWISE_MAX_DAMAGED_SHARE: '0.25' })]);
  });
  after(async () => {
    await Promise.all([lenient?.stop(), strict?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  test('ready: detections on the frames that decode, a warning naming 2.0–5.0 s', async () => {
    const up = await uploadFile(lenient.url, video, 'damaged.mp4');
    assert.equal(up.status, 200);
    const r = await waitForResult(lenient.url, up.body.event_id, isFinished);
    assert.equal(r.status, 'ready', JSON.stringify(r).slice(0, 500));
    const frames: number[] = r.prediction.map((f: { frame: number }) => f.frame);
    assert.equal(r.total_frames, frames.length);
    assert.deepEqual(
      frames.filter((f) => f < DAMAGED.firstBad),
      [0, 5, 10, 15],
    );
    assert.ok(
      frames.every((f) => f < DAMAGED.firstBad || f > DAMAGED.lastBad),
      `no result inside the damaged range: ${frames.join(',')}`,
    );
    assert.ok(frames.filter((f) => f > DAMAGED.lastBad).length >= 9, `the frames after it: ${frames.join(',')}`);
    const people = r.prediction.filter((f: { objects: Array<{ class: string }> }) => f.objects.some((o) => o.class === 'person')).length;
    assert.ok(people >= frames.length - 1, `people in ${people} of ${frames.length} frames`);
    const detections = r.prediction.reduce((n: number, f: { objects: unknown[] }) => n + f.objects.length, 0);
    console.log(
      `# damaged fixture: ${frames.length} frames with results (${frames.join(',')}), ${detections} detections; warnings ${JSON.stringify(r.warnings)}`,
    );
    assert.equal(r.warnings.length, 1);
    const [w] = r.warnings;
    assert.equal(w.code, 'damaged_frames');
    assert.deepEqual([w.from_ms, w.to_ms, w.frames], [DAMAGED.fromMs, DAMAGED.toMs, DAMAGED.lastBad - DAMAGED.firstBad + 1]);
    assert.match(w.message, /31 frames at 2\.0 s–5\.0 s could not be decoded/);
    // Paged, the warnings come with every page (they are part of the head).
    const page: any = await (await fetch(`${lenient.url}/api/result_video/${up.body.event_id}?limit=2`)).json();
    assert.deepEqual(page.warnings, r.warnings);
    // The job's status says so too, without reading the result.
    const status: any = await (await fetch(`${lenient.url}/api/status/${up.body.event_id}`)).json();
    assert.deepEqual(status.warnings, r.warnings);
  });

  test('in segments: the damaged segment’s ranges become the result’s warnings', async () => {
    // The fixture 4 times over (40 s), damaged at 13.1–14.8 s: in the second of 4 segments of 10 s.
    const long = await damagedCopy(dir, 'loop4-damaged.mp4', await loopOfFixture(dir, 'loop4.mp4', 4), 714_432, 60_000);
    const server = await startServer(join(dir, 'segments'), { FRAMEWISE_SEGMENT_SECONDS: '10' });
    try {
      const up = await uploadFile(server.url, await readFile(long), 'loop4-damaged.mp4');
      const r = await waitForResult(server.url, up.body.event_id, isFinished, 300_000);
      assert.equal(r.status, 'ready', JSON.stringify(r).slice(0, 500));
      assert.match(server.log.join('\n'), /"segments":4[,}].*video split into segments/);
      const frames: number[] = r.prediction.map((f: { frame: number }) => f.frame);
      console.log(
        `# damaged loop in segments: ${frames.length} frames with results; warnings ${JSON.stringify(r.warnings.map((w: any) => [w.from_ms, w.to_ms, w.frames]))}`,
      );
      assert.equal(frames.length, 77);
      assert.ok(
        r.warnings.length >= 1 && r.warnings.every((w: any) => w.code === 'damaged_frames' && w.from_ms >= 13_000 && w.to_ms <= 15_000),
        JSON.stringify(r.warnings),
      );
      for (const w of r.warnings)
        assert.ok(!r.prediction.some((f: any) => f.timestamp_ms >= w.from_ms && f.timestamp_ms <= w.to_ms), `no result inside ${w.from_ms}–${w.to_ms} ms`);
    } finally {
      await server.stop();
    }
  });

  test('a truncated video: the frames lost after its end are a warning, read whole or in segments alike', async () => {
    // The fixture 4 times over (40 s, 400 frames), its last ~30 % of bytes cut off.
    const cut = await readFile(await truncatedCopy(dir, 'loop4-truncated.mp4', await loopOfFixture(dir, 'loop4-whole.mp4', 4), 0.7));
    const server = await startServer(join(dir, 'truncated-segments'), { FRAMEWISE_SEGMENT_SECONDS: '10' });
    try {
      const [whole, split] = await Promise.all(
        [lenient, server].map(async (s) => {
          const up = await uploadFile(s.url, cut, 'loop4-truncated.mp4');
          return waitForResult(s.url, up.body.event_id, isFinished, 300_000);
        }),
      );
      for (const r of [whole, split]) assert.equal(r.status, 'ready', JSON.stringify(r).slice(0, 500));
      assert.match(server.log.join('\n'), /video split into segments/);
      const tailOf = (r: any) => r.warnings?.find((w: any) => w.code === 'damaged_frames' && w.to_ms >= 39_000);
      console.log(
        `# truncated loop: whole ${whole.prediction.length} frames, tail ${JSON.stringify(tailOf(whole))}; in segments ${split.prediction.length} frames, tail ${JSON.stringify(tailOf(split))}`,
      );
      assert.ok(tailOf(whole), `read whole, the lost tail is named: ${JSON.stringify(whole.warnings)}`);
      assert.ok(tailOf(split), `in segments, the lost tail is named too: ${JSON.stringify(split.warnings)}`);
      assert.deepEqual(tailOf(split), tailOf(whole), 'the same range either way');
      assert.ok(tailOf(split).from_ms > 20_000 && tailOf(split).frames > 50, JSON.stringify(tailOf(split)));
      assert.ok(!split.prediction.some((f: any) => f.timestamp_ms >= tailOf(split).from_ms), 'no result after the file ends');
    } finally {
      await server.stop();
    }
  });

  test('more than the allowed share damaged: failed, the reason naming the share and the range', async () => {
    const up = await uploadFile(strict.url, video, 'damaged.mp4');
    const r = await waitForResult(strict.url, up.body.event_id, isFinished);
    assert.equal(r.status, 'failed', JSON.stringify(r).slice(0, 500));
    assert.match(
      r.reason,
      /^the video is too damaged: 6 of 20 sampled frames \(30 %\) could not be decoded, more than the allowed share of 0\.25 \(FRAMEWISE_MAX_DAMAGED_SHARE\): damaged at 2\.0 s–5\.0 s$/,
    );
    const status: any = await (await fetch(`${strict.url}/api/status/${up.body.event_id}`)).json();
    assert.equal(status.reason, r.reason);
    assert.equal((await getResult(strict.url, up.body.event_id)).warnings, undefined);
  });
});
