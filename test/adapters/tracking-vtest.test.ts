// The tracker on real detections: the bundled CenterNet detector (≈ 250 ms a frame) over every 2nd
// frame of the first 6 s of the pedestrian fixture (10 fps → 30 sampled frames, 200 ms apart; ≈ 10 s in all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCenternetDetector } from '../../src/adapters/detector/tfjs-centernet.js';
import { FfmpegFrameSource } from '../../src/adapters/frame-source/ffmpeg.js';
import { ByteTracker } from '../../src/core/tracking/byte-tracker.js';
import { ResultSummary } from '../../src/core/tracking/summary.js';
import type { DetectedObject } from '../../src/core/types.js';

const VIDEO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/vtest-10s.mp4');
const EVERY = 2;
const FPS = 10;
const SAMPLES = 30;

test('pedestrians in vtest keep their ids: most person tracks last many frames, and two passes agree', async (t) => {
  // Confidence 0.1, so that ByteTrack's second stage has low-confidence detections to use.
  const detector = await createCenternetDetector({ confidence: 0.1, iou: 0.5 });
  const frames: Array<{ frame: number; timestamp_ms: number; objects: DetectedObject[] }> = [];
  try {
    for await (const f of new FfmpegFrameSource({ decodeErrors: 'fail' }).frames(VIDEO, EVERY)) {
      const [objects] = await detector.detect([f.image]);
      const ms = (f as { timestampMs?: number }).timestampMs ?? (f.frame * 1000) / FPS;
      frames.push({ frame: f.frame, timestamp_ms: ms, objects: objects! });
      if (frames.length === SAMPLES) break;
    }
  } finally {
    await detector.close();
  }
  assert.equal(frames.length, SAMPLES);

  const pass = () => {
    const tracker = new ByteTracker();
    return frames.map((f) => tracker.update(f.objects, f.timestamp_ms));
  };
  const ids = pass();
  assert.deepEqual(pass(), ids, 'the publisher’s two passes give the same ids');

  const summary = new ResultSummary();
  frames.forEach((f, k) => summary.add({ ...f, objects: f.objects.map((o, i) => ({ ...o, track_id: ids[k]![i]! })) }));
  const { tracks, classes, segments } = summary.finish(null);
  const end = frames.at(-1)!.timestamp_ms + (frames.at(-1)!.timestamp_ms - frames.at(-2)!.timestamp_ms);
  const people = tracks.filter((t) => t.class === 'person');
  const seen = people.map((t) => t.frames_seen).sort((a, b) => b - a);
  const tracked = seen.reduce((a, b) => a + b, 0);
  const inLong = seen.filter((n) => n >= 5).reduce((a, b) => a + b, 0);
  const mostAtOnce = Math.max(...ids.map((f, k) => f.filter((id, i) => id !== null && frames[k]!.objects[i]!.class === 'person').length));
  const report = `person tracks (frames seen): ${seen.join(' ')}; most tracked at once ${mostAtOnce}`;

  t.diagnostic(report);
  assert.ok(people.length >= 3, report);
  // Id switches are rare: nearly all tracked person detections belong to tracks seen in ≥ 5 of the
  // samples (1 s), and there are not many more tracks than people tracked at once.
  assert.ok(inLong >= 0.9 * tracked, report);
  assert.ok(people.length <= 2 * mostAtOnce, report);
  assert.ok(seen.filter((n) => n >= 5).length >= seen.length / 2, report);
  // People are in view the whole time.
  const person = classes.find((c) => c.class === 'person');
  assert.ok(person && person.tracks === people.length);
  assert.deepEqual(
    segments.filter((s) => s.class === 'person').map((s) => [s.start_ms, s.end_ms]),
    [[0, end]],
  );
});
