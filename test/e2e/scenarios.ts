import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, getResult, isFinished, uploadFile, uploadFixture, waitForResult } from './server.js';
import { loopOfFixture } from '../support/derived-videos.js';
import { iou } from '../../src/core/tracking/byte-tracker.js';

export type Prediction = Array<{ frame: number; objects: Array<{ class: string; box: number[]; conf: number }> }>;

/**
 * The end-to-end scenarios every mode must pass, driven over HTTP only: `target()` gives the API's
 * URL. Returns a getter for the fixture's prediction (for comparisons across runs and modes).
 */
export function endToEndScenarios(target: () => string): { reference: () => Prediction | undefined } {
  let reference: Prediction | undefined;

  test('the fixture becomes ready with people detected in (nearly) every sampled frame', async () => {
    const url = target();
    const up = await uploadFixture(url);
    assert.equal(up.status, 200);
    assert.equal(up.body.status, 'ok');
    const id = up.body.event_id;
    const result = await waitForResult(url, id, isFinished);
    assert.equal(result.status, 'ready', JSON.stringify(result).slice(0, 300));
    assert.equal(result.event_id, id);
    assert.ok(result.processing_time_seconds > 0);
    assert.equal(typeof result.processing_time_formatted, 'string');
    const frames = result.prediction.map((f: { frame: number }) => f.frame);
    assert.deepEqual(
      frames,
      Array.from({ length: 20 }, (_, i) => i * 5),
      'frames 0, 5, …, 95 ascending',
    );
    for (const f of result.prediction) {
      for (const o of f.objects) {
        const [x1, y1, x2, y2] = o.box;
        assert.ok(0 <= x1 && x1 < x2 && x2 <= 768 && 0 <= y1 && y1 < y2 && y2 <= 576, `box inside 768×576: ${o.box}`);
        assert.ok(o.conf >= 0.45 && o.conf <= 1, `confidence above the default model's own threshold: ${o.conf}`);
        assert.equal(typeof o.class, 'string');
        const expected = [x1 / 768, y1 / 576, x2 / 768, y2 / 576];
        o.box_norm.forEach((v: number, k: number) => assert.ok(Math.abs(v - expected[k]!) < 1e-6, `box_norm ${o.box_norm} of ${o.box}`));
      }
    }
    // The default model's own defaults (`core/model-defaults.ts`), recorded with the result.
    assert.deepEqual(result.parameters, { sample_every: 5, model: 'nanodet-coco', confidence: 0.45, iou: 0.45 });
    for (const f of result.prediction) {
      for (const [i, a] of f.objects.entries()) {
        // 0.46: boxes were compared before they were rounded to 0.01 px.
        for (const b of f.objects.slice(i + 1))
          if (a.class === b.class)
            assert.ok(iou(a.box, b.box) <= 0.46, `frame ${f.frame}: two ${a.class} boxes overlap by ${iou(a.box, b.box).toFixed(2)}: NMS keeps one`);
      }
    }
    // Times from the stream (10 frames/s), and one identity per walking person across frames.
    assert.deepEqual(
      result.prediction.map((f: { timestamp_ms: number }) => f.timestamp_ms),
      frames.map((n: number) => n * 100),
    );
    const tracked = result.prediction
      .flatMap((f: { objects: Array<{ track_id: number | null }> }) => f.objects.map((o) => o.track_id))
      .filter((t: number | null) => t !== null);
    assert.ok(tracked.length > 0, 'detections carry track ids');
    const people = result.tracks.filter((t: { class: string }) => t.class === 'person');
    const longLived = people.filter((t: { frames_seen: number }) => t.frames_seen >= 5);
    assert.ok(longLived.length >= 2, `people followed over ≥ 5 sampled frames: ${people.map((t: { frames_seen: number }) => t.frames_seen)}`);
    for (const t of result.tracks)
      assert.equal(tracked.filter((id: number) => id === t.track_id).length, t.frames_seen, `track ${t.track_id}: frames_seen counts its detections`);
    const person = result.classes.find((c: { class: string }) => c.class === 'person');
    assert.equal(person.tracks, people.length);
    assert.ok(person.max_at_once >= 2 && person.max_at_once <= Math.max(...result.prediction.map((f: { objects: unknown[] }) => f.objects.length)));
    assert.ok(
      result.segments.some((s: { class: string; start_ms: number }) => s.class === 'person' && s.start_ms === 0),
      'people from the first frame',
    );
    const { duration_ms, ...video } = result.video;
    assert.deepEqual(video, { width: 768, height: 576, fps: 10, frame_count: 100, codec: 'h264', rotation: 0 });
    assert.ok(Math.abs(duration_ms - 10_000) <= 100, `duration ${duration_ms} ms`);
    const withPerson = result.prediction.filter((f: { objects: Array<{ class: string }> }) => f.objects.some((o) => o.class === 'person'));
    assert.ok(withPerson.length >= 0.8 * frames.length, `person in ${withPerson.length}/${frames.length} frames`);
    reference = result.prediction;

    const all: any = await (await fetch(`${url}/api/status/all`)).json();
    const op = all.operations.find((o: { video_id: string }) => o.video_id === id);
    assert.equal(op.status_code, 'ready');
    assert.equal(op.status_description, 'Detections ready');
  });

  test('per-job options: sampling, confidence and classes are applied and recorded', async () => {
    const url = target();
    const bad = await uploadFixture(url, { confidence: '7' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'ERR_OPTION_INVALID');
    const up = await uploadFixture(url, { sample_every: '10', confidence: '0.5', iou: '0.3', classes: 'person', annotate: 'true' });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    const result = await waitForResult(url, up.body.event_id, isFinished);
    assert.equal(result.status, 'ready', JSON.stringify(result).slice(0, 300));
    assert.deepEqual(result.parameters, { sample_every: 10, model: 'nanodet-coco', confidence: 0.5, iou: 0.3, classes: ['person'], annotate: true });
    // The annotated MP4 is there when the job is ready, served with ranges.
    const mp4 = `${url}/api/result_video/${up.body.event_id}/annotated.mp4`;
    const head = await fetch(mp4, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'video/mp4');
    const size = Number(head.headers.get('content-length'));
    assert.ok(size > 10_000, `annotated video of ${size} bytes`);
    const part = await fetch(mp4, { headers: { range: 'bytes=4-11' } });
    assert.equal(part.status, 206);
    assert.equal(Buffer.from(await part.arrayBuffer()).toString('latin1'), 'ftypisom', 'an MP4 (ISO base media) file');
    assert.equal(part.headers.get('content-range'), `bytes 4-11/${size}`);
    assert.deepEqual(
      result.prediction.map((f: { frame: number }) => f.frame),
      Array.from({ length: 10 }, (_, i) => i * 10),
    );
    const objects = result.prediction.flatMap((f: { objects: Array<{ class: string; conf: number }> }) => f.objects);
    assert.ok(objects.length > 10, 'people found');
    assert.ok(
      objects.every((o: { class: string; conf: number }) => o.class === 'person' && o.conf >= 0.5),
      'only confident people',
    );
    // The same frames of the default job (every 5th, confidence 0.45) hold more, less confident detections.
    const sameFrames = (reference ?? []).filter((f) => f.frame % 10 === 0).flatMap((f) => f.objects);
    if (reference)
      assert.ok(
        sameFrames.some((o) => o.conf < 0.5),
        'the default threshold keeps less confident ones',
      );
  });

  test('undecodable videos end failed with a reason, partly damaged ones ready with warnings; the service keeps serving', async () => {
    const url = target();
    const video = await readFile(FIXTURE);
    const truncated = video.subarray(0, Math.floor(video.length * 0.6));
    const damaged = Buffer.from(video);
    for (let i = Math.floor(video.length / 2); i < video.length / 2 + 20_000; i += 7) damaged[i] = (i * 13) & 255;
    // An MP4 whose index ('moov') is renamed away: ffmpeg finds it all the same ("Detected moov
    // in a free or hoov atom", an error line), and every frame decodes.
    const headerless = Buffer.from(video);
    headerless.write('free', headerless.indexOf('moov'), 'latin1');
    // Its index whole, every frame's data overwritten (from the first packet, at byte 1921): no frame decodes.
    const ruined = Buffer.from(video);
    for (let i = 1921; i < ruined.length; i++) ruined[i] = (i * 13) & 255;

    const partly: Record<string, string> = {};
    for (const [name, content] of Object.entries({ damaged, headerless })) {
      const up = await uploadFile(url, content, `${name}.mp4`);
      assert.equal(up.status, 200, `${name} looks like an MP4 at upload`);
      partly[name] = up.body.event_id;
    }
    const ids: Record<string, string> = {};
    for (const [name, content] of Object.entries({ truncated, ruined })) {
      const up = await uploadFile(url, content, `${name}.mp4`);
      assert.equal(up.status, 200, `${name} looks like an MP4 at upload`);
      ids[name] = up.body.event_id;
    }
    for (const [name, id] of Object.entries(ids)) {
      const r = await waitForResult(url, id, isFinished);
      assert.equal(r.status, 'failed', `${name}: ${JSON.stringify(r).slice(0, 200)}`);
      assert.ok(typeof r.reason === 'string' && r.reason.length > 10, `${name} has a reason: ${r.reason}`);
      assert.doesNotMatch(r.reason, /0x[0-9a-f]{6,}/, 'no memory addresses in reasons');
      assert.doesNotMatch(r.reason, /file:|\/objects\/|\binput\/|\/tmp\//, `${name}: no server path in the reason: ${r.reason}`);
    }
    assert.match((await getResult(url, ids.ruined!)).reason, /^no frame of the video could be decoded/);
    // Cut at 60 %: the frames after 4.3 s are lost, 11 of its 20 sampled frames, over the default share of 0.5.
    assert.match(
      (await getResult(url, ids.truncated!)).reason,
      /^the video is too damaged: 11 of 20 sampled frames \(55 %\) could not be decoded, more than the allowed share of 0\.5 \(FRAMEWISE_MAX_DAMAGED_SHARE\): damaged at 4\.3 s, 4\.4 s–9\.9 s$/,
    );
    for (const [name, id] of Object.entries(partly)) {
      const r = await waitForResult(url, id, isFinished);
      assert.equal(r.status, 'ready', `${name}: ${JSON.stringify(r).slice(0, 300)}`);
      assert.ok(r.prediction.length >= 9, `${name}: the frames that decode have results`);
      // The renamed index loses no frame: its warning says the decoder reported errors, without a range.
      const code = name === 'headerless' ? 'decode_errors' : 'damaged_frames';
      assert.ok(r.warnings.length >= 1 && r.warnings.every((w: { code: string }) => w.code === code), `${name}: ${JSON.stringify(r.warnings)}`);
    }
    assert.equal((await getResult(url, partly.headerless!)).prediction.length, 20);
    const all: any = await (await fetch(`${url}/api/status/all`)).json();
    for (const id of Object.values(ids)) {
      const op = all.operations.find((o: { video_id: string }) => o.video_id === id);
      assert.equal(op.status_code, 'failed');
      assert.ok(op.reason.length > 10);
    }
    assert.equal((await fetch(`${url}/api/health`)).status, 200);
  });

  test('bad uploads are refused with 4xx JSON errors, unknown and malformed ids too', async () => {
    const url = target();
    const empty = await uploadFile(url, Buffer.alloc(0));
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'ERR_UPLOAD_EMPTY');
    const image = await uploadFile(url, await readFile(new URL('../fixtures/messi5.jpg', import.meta.url)), 'messi5.jpg');
    assert.equal(image.status, 415);
    const audio = await uploadFile(url, await readFile(new URL('../fixtures/megamind-audio-3s.m4a', import.meta.url)), 'a.m4a');
    assert.equal(audio.status, 415);
    const text = await uploadFile(url, Buffer.from('not a video\n'.repeat(100)), 'a.mp4');
    assert.equal(text.status, 415);
    assert.equal((await fetch(`${url}/api/result_video/nope`)).status, 400);
    assert.equal((await fetch(`${url}/api/result_video/3f2b8c1e-4a5d-4e6f-8a7b-9c0d1e2f3a4b`)).status, 404);
  });

  test('a long video, then a short one: the short one is ready first (jobs share the detector round-robin)', async () => {
    const url = target();
    const dir = await mkdtemp(join(tmpdir(), 'fw-fair-'));
    try {
      // 60 s at every 2nd frame: 300 frames; then the 10 s fixture at every 10th: 10 frames.
      const long = await uploadFile(url, await readFile(await loopOfFixture(dir, 'long.mp4', 6)), 'long.mp4', { sample_every: '2' });
      assert.equal(long.status, 200, JSON.stringify(long.body));
      // The short one arrives once the long one holds the detector.
      for (const until = Date.now() + 60_000; ;) {
        const s: any = await (await fetch(`${url}/api/status/${long.body.event_id}`)).json();
        if (s.frames_done > 0) break;
        assert.ok(Date.now() < until, `the long job did not start: ${JSON.stringify(s)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const short = await uploadFile(url, await readFile(FIXTURE), 'short.mp4', { sample_every: '10' });
      assert.equal(short.status, 200, JSON.stringify(short.body));
      const readyAt: Record<string, number> = {};
      await Promise.all(
        [long.body.event_id, short.body.event_id].map(async (id: string) => {
          const r = await waitForResult(url, id, isFinished, 300_000);
          assert.equal(r.status, 'ready', JSON.stringify(r).slice(0, 300));
          readyAt[id] = Date.now();
        }),
      );
      const longResult = await getResult(url, long.body.event_id);
      assert.equal(longResult.prediction.length, 300);
      assert.ok(
        readyAt[short.body.event_id]! < readyAt[long.body.event_id]!,
        `the short job was ready ${(readyAt[short.body.event_id]! - readyAt[long.body.event_id]!) / 1000} s after the long one`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  return { reference: () => reference };
}
