import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, getResult, isFinished, startServer, uploadFile, uploadFixture, waitForResult, type Server } from './server.js';

/**
 * The whole pipeline in one `framewise serve` process, driven over HTTP like a user would:
 * real ffmpeg, the real detector, the real video fixture (see test/fixtures/README.md).
 */
describe('embedded mode end to end', () => {
  let dir: string;
  let server: Server;
  /** The uninterrupted run's prediction, for the crash tests to compare against. */
  let reference: Array<{ frame: number; objects: Array<{ class: string; box: number[]; conf: number }> }>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-e2e-'));
    server = await startServer(join(dir, 'main'));
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the fixture becomes ready with people detected in (nearly) every sampled frame', async () => {
    const up = await uploadFixture(server.url);
    assert.equal(up.status, 200);
    assert.equal(up.body.status, 'ok');
    const id = up.body.event_id;
    const result = await waitForResult(server.url, id, isFinished);
    assert.equal(result.status, 'ready', JSON.stringify(result).slice(0, 300));
    assert.equal(result.event_id, id);
    assert.ok(result.processing_time_seconds > 0);
    assert.equal(typeof result.processing_time_formatted, 'string');
    const frames = result.prediction.map((f: { frame: number }) => f.frame);
    assert.deepEqual(frames, Array.from({ length: 20 }, (_, i) => i * 5), 'frames 0, 5, …, 95 ascending');
    for (const f of result.prediction) {
      for (const o of f.objects) {
        const [x1, y1, x2, y2] = o.box;
        assert.ok(0 <= x1 && x1 < x2 && x2 <= 768 && 0 <= y1 && y1 < y2 && y2 <= 576, `box inside 768×576: ${o.box}`);
        assert.ok(o.conf >= 0.25 && o.conf <= 1, `confidence above the threshold: ${o.conf}`);
        assert.equal(typeof o.class, 'string');
      }
    }
    const withPerson = result.prediction.filter((f: { objects: Array<{ class: string }> }) => f.objects.some((o) => o.class === 'person'));
    assert.ok(withPerson.length >= 0.8 * frames.length, `person in ${withPerson.length}/${frames.length} frames`);
    reference = result.prediction;

    const all: any = await (await fetch(`${server.url}/api/status/all`)).json();
    const op = all.operations.find((o: { video_id: string }) => o.video_id === id);
    assert.equal(op.status_code, 'ready');
    assert.equal(op.status_description, 'Detections ready');
  });

  test('undecodable videos end failed with a reason; the server keeps serving', async () => {
    const video = await readFile(FIXTURE);
    const truncated = video.subarray(0, Math.floor(video.length * 0.6));
    const damaged = Buffer.from(video);
    for (let i = Math.floor(video.length / 2); i < video.length / 2 + 20_000; i += 7) damaged[i] = (i * 13) & 255;
    // An MP4 whose index ('moov') is gone: recognisably MP4 at upload, unreadable at decode.
    const headerless = Buffer.from(video);
    const moov = headerless.indexOf('moov');
    headerless.write('free', moov, 'latin1');

    const cases = { truncated, damaged, headerless };
    const ids: Record<string, string> = {};
    for (const [name, content] of Object.entries(cases)) {
      const up = await uploadFile(server.url, content, `${name}.mp4`);
      assert.equal(up.status, 200, `${name} looks like an MP4 at upload`);
      ids[name] = up.body.event_id;
    }
    for (const [name, id] of Object.entries(ids)) {
      const r = await waitForResult(server.url, id, isFinished);
      assert.equal(r.status, 'failed', `${name}: ${JSON.stringify(r).slice(0, 200)}`);
      assert.ok(typeof r.reason === 'string' && r.reason.length > 10, `${name} has a reason: ${r.reason}`);
      assert.doesNotMatch(r.reason, /0x[0-9a-f]{6,}/, 'no memory addresses in reasons');
    }
    assert.match((await getResult(server.url, ids.damaged!)).reason, /damaged/);
    const all: any = await (await fetch(`${server.url}/api/status/all`)).json();
    for (const id of Object.values(ids)) {
      const op = all.operations.find((o: { video_id: string }) => o.video_id === id);
      assert.equal(op.status_code, 'failed');
      assert.ok(op.reason.length > 10);
    }
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
    assert.equal(server.proc.exitCode, null, 'process still running');
  });

  for (const [how, when] of [
    ['kill -9', 'right after the upload was accepted'],
    ['kill -9', 'in the middle of detection'],
    ['SIGTERM', 'in the middle of detection'],
  ] as const) {
    test(`${how} ${when}, then restart: same result, no frame counted twice`, async () => {
      assert.ok(reference, 'needs the uninterrupted run');
      const data = join(dir, `crash-${how}-${when.length}`);
      let s = await startServer(data);
      const up = await uploadFixture(s.url);
      assert.equal(up.status, 200);
      const id = up.body.event_id;
      if (when === 'in the middle of detection') {
        const mid = await waitForResult(s.url, id, (r) => (r.progress?.frames_done ?? 0) >= 4 || isFinished(r));
        assert.equal(mid.status, 'processing', 'killed mid-job');
      }
      if (how === 'kill -9') await s.kill9();
      else {
        const started = Date.now();
        assert.equal(await s.stop(), 0, 'clean exit on SIGTERM');
        assert.ok(Date.now() - started < 30_000, 'within 30 s');
      }
      s = await startServer(data);
      try {
        const result = await waitForResult(s.url, id, isFinished);
        assert.equal(result.status, 'ready');
        const frames = result.prediction.map((f: { frame: number }) => f.frame);
        assert.equal(new Set(frames).size, frames.length, 'each frame once');
        assert.deepEqual(result.prediction, reference, 'identical to the uninterrupted run');
      } finally {
        await s.stop();
      }
    });
  }
});
