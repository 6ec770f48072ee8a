import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameTimeMs, planSegments, sampledFrames, type VideoIndex } from '../../src/core/segments.js';

/** 10 fps (time base 1/10), `frames` frames, a keyframe every `gop` frames. */
const index = (frames: number, gop: number, ptsOffset = 0): VideoIndex => ({
  timeBase: { num: 1, den: 10 },
  ptsOffset,
  pts: Float64Array.from({ length: frames }, (_, i) => i),
  keyframes: Array.from({ length: Math.ceil(frames / gop) }, (_, k) => k * gop),
});

test('segments start at the first keyframe at or after each multiple of the length, and cover every frame once', () => {
  // 80 s, keyframes every 25 s (vtest.avi's layout), 20 s segments: cuts at 25, 50, 75 s.
  const plan = planSegments(index(800, 250), 5, 20);
  assert.deepEqual(
    plan.map((p) => [p.firstFrame, p.fromPts, p.toPts]),
    [
      [0, 0, 250],
      [250, 250, 500],
      [500, 500, 750],
      [750, 750, null],
    ],
  );
  assert.deepEqual(
    plan.map((p) => p.segments),
    [4, 4, 4, 4],
  );
  assert.deepEqual(
    plan.map((p) => p.seekSeconds),
    [0, 25.000001, 50.000001, 75.000001],
  );
  const frames = plan.flatMap((p) => sampledFrames(p, 5));
  assert.deepEqual(
    frames,
    Array.from({ length: 160 }, (_, i) => i * 5),
    'every 5th frame once, in order',
  );
  assert.deepEqual(
    plan.flatMap((p) => p.sampledPts),
    frames,
    'their timestamps',
  );
});

test('a segment starting off the sampling grid samples on from the next multiple', () => {
  const plan = planSegments(index(400, 100), 3, 10);
  assert.equal(plan.length, 4);
  assert.deepEqual(sampledFrames(plan[1]!, 3).slice(0, 3), [102, 105, 108]);
  assert.deepEqual(
    plan.flatMap((p) => sampledFrames(p, 3)),
    Array.from({ length: 134 }, (_, i) => i * 3),
  );
});

test('one segment when the video is short, splitting is off, or there is no keyframe to cut at', () => {
  assert.equal(planSegments(index(500, 100), 5, 30).length, 1, '50 s < 2 × 30 s');
  assert.equal(planSegments(index(800, 100), 5, 0).length, 1, 'off');
  assert.equal(planSegments(index(800, 10_000), 5, 20).length, 1, 'only the first keyframe');
  const [whole] = planSegments(index(37, 10), 5, 0);
  assert.deepEqual([whole!.firstFrame, whole!.toPts, whole!.seekSeconds, whole!.sampledPts], [0, null, 0, [0, 5, 10, 15, 20, 25, 30, 35]]);
});

test('times are those of an unsplit decode: the start shift added, microsecond precision', () => {
  assert.equal(frameTimeMs(index(10, 5), 7), 700);
  assert.equal(frameTimeMs({ timeBase: { num: 1, den: 90_000 }, ptsOffset: -126_000 }, 129_003), 33.367);
  // The seek is counted from the video's start, as ffmpeg's -ss is.
  assert.deepEqual(
    planSegments(index(800, 250, -30), 5, 20).map((p) => p.seekSeconds),
    [0, 22.000001, 47.000001, 72.000001],
  );
});
