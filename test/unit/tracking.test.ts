import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoxKalman } from '../../src/core/tracking/kalman.js';
import { ByteTracker, DEFAULT_TRACKER_OPTIONS, iou } from '../../src/core/tracking/byte-tracker.js';
import type { Box, DetectedObject } from '../../src/core/types.js';
import { det, person, scene } from '../support/tracking-scene.js';

const { maxLostMs, highThreshold, lowThreshold, newTrackThreshold } = DEFAULT_TRACKER_OPTIONS;

/** Runs a tracker over frames given as [timestamp, objects]; returns each frame's ids. */
function track(frames: ReadonlyArray<readonly [number, DetectedObject[]]>, tracker = new ByteTracker()): Array<Array<number | null>> {
  return frames.map(([ms, objects]) => tracker.update(objects, ms));
}

test('kalman: a still box stays put and grows surer; predict(0) changes nothing', () => {
  const box: Box = [100, 50, 160, 170];
  const kf = new BoxKalman(box);
  assert.deepEqual(kf.box(), box);
  kf.predict(0);
  assert.deepEqual(kf.box(), box);
  for (let i = 0; i < 5; i++) {
    kf.predict(0.2);
    kf.update(box);
  }
  kf.box().forEach((v, i) => assert.ok(Math.abs(v - box[i]!) < 1e-9));
  assert.deepEqual(kf.velocity(), [0, 0]);
  kf.predict(-1);
  kf.box().forEach((v, i) => assert.ok(Math.abs(v - box[i]!) < 1e-9, 'negative dt is 0'));
});

test('kalman: learns a constant velocity in px/s and extrapolates by the time given', () => {
  const speed = 150; // px/s to the right, 30 px/s down
  const at = (s: number) => person(100 + speed * s, 100 + 30 * s);
  const kf = new BoxKalman(at(0));
  let s = 0;
  for (const dt of [0.2, 0.2, 0.1, 0.3, 0.2, 0.2, 0.2, 0.2]) {
    s += dt;
    kf.predict(dt);
    kf.update(at(s));
  }
  const [vx, vy] = kf.velocity();
  assert.ok(Math.abs(vx - speed) < 0.05 * speed, `vx ${vx}`);
  assert.ok(Math.abs(vy - 30) < 0.1 * 30, `vy ${vy}`);
  kf.predict(1); // a whole second ahead, no update
  const predicted = kf.box();
  const truth = at(s + 1);
  assert.ok(Math.abs(predicted[0] - truth[0]) < 10, `${predicted} vs ${truth}`);
  assert.ok(Math.abs(predicted[2] - predicted[0] - 50) < 1 && Math.abs(predicted[3] - predicted[1] - 120) < 1, 'size kept');
  // An update pulls the estimate towards the measurement but not all the way.
  const z = person(predicted[0] + 20, predicted[1]);
  kf.update(z);
  const after = kf.box()[0];
  assert.ok(after > predicted[0] && after < z[0], `${after} between ${predicted[0]} and ${z[0]}`);
});

test('two people crossing paths keep their ids', () => {
  // Sampled every 200 ms; A walks right, B left, 100 px/s each (2 widths/s); they pass at t ≈ 2.05 s,
  // B 10 px lower (slightly nearer the camera). Near the crossing their boxes overlap with IoU > 0.5.
  const frames: Array<[number, DetectedObject[]]> = [];
  for (let k = 0; k <= 20; k++) {
    const s = k * 0.2;
    frames.push([k * 200, [det(person(100 + 100 * s)), det(person(510 - 100 * s, 110))]]);
  }
  assert.ok(iou(frames[10]![1][0]!.box, frames[10]![1][1]!.box) > 0.5, 'the boxes really overlap');
  const ids = track(frames);
  assert.deepEqual(ids[0], [1, 2]);
  for (const f of ids) assert.deepEqual(f, [1, 2]);

  // The same, but B is hidden behind A around the crossing (3 samples): B's track coasts on its
  // velocity, A's detection stays with A, and B comes out with its own id.
  const hidden = frames.map(([ms, objs], k): [number, DetectedObject[]] => [ms, k >= 9 && k <= 11 ? [objs[0]!] : objs]);
  const ids2 = track(hidden);
  hidden.forEach(([, objs], k) => assert.deepEqual(ids2[k], objs.length === 2 ? [1, 2] : [1], `frame ${k}`));
});

test(`a gap up to maxLostMs (${maxLostMs} ms) keeps the id; a longer one gets a new id`, () => {
  const tracker = new ByteTracker();
  const at = (ms: number, x = 300) => tracker.update([det(person(x))], ms)[0];
  assert.equal(at(0), 1);
  assert.equal(at(200), 1);
  const back = 200 + maxLostMs; // exactly maxLostMs after it was last seen
  assert.equal(tracker.update([], 400).length, 0);
  assert.equal(tracker.liveTracks, 1, 'lost, not forgotten');
  assert.equal(at(back), 1);
  assert.equal(at(back + 200), 1);
  const later = back + 200 + maxLostMs + 1;
  assert.equal(at(later), 2, 'more than maxLostMs: a new track');
  // Forgotten tracks leave memory: only live tracks are held.
  tracker.update([], later + maxLostMs + 1);
  assert.equal(tracker.liveTracks, 0);
  assert.equal(at(later + maxLostMs + 2), 3);
});

test('low-confidence detections continue a tracked track (stage 2) but never start or revive one', () => {
  const low = (highThreshold + lowThreshold) / 2;
  const tracker = new ByteTracker();
  const box = person(300);
  assert.deepEqual(tracker.update([det(box)], 0), [1]);
  // The same person, detected weakly: stage 2 keeps the id. A weak detection elsewhere, one below
  // lowThreshold and a high one below newTrackThreshold start nothing.
  const elsewhere = person(800);
  const midHigh = (highThreshold + newTrackThreshold) / 2;
  assert.deepEqual(tracker.update([det(box, low), det(elsewhere, low), det(person(1200), lowThreshold / 2), det(person(1600), midHigh)], 200), [
    1,
    null,
    null,
    null,
  ]);
  assert.deepEqual(tracker.update([det(elsewhere, low)], 400), [null], 'repeated weak detections never become a track');
  // Track 1 is now lost (not detected at 400 ms): a weak detection on it does not revive it …
  assert.deepEqual(tracker.update([det(box, low)], 600), [null]);
  // … but a confident one does (stage 1 includes lost tracks), and then weak ones continue it.
  assert.deepEqual(tracker.update([det(box, 0.8)], 800), [1]);
  assert.deepEqual(tracker.update([det(box, low)], 1000), [1]);
  // A high detection between highThreshold and newTrackThreshold continues a track too.
  assert.deepEqual(tracker.update([det(box, midHigh)], 1200), [1]);
});

/** A confidence between the low and high thresholds: a stage-2 detection. */
const WEAK = (DEFAULT_TRACKER_OPTIONS.lowThreshold + DEFAULT_TRACKER_OPTIONS.highThreshold) / 2;

test('a track goes to its best match: a confident detection is matched before a weak one', () => {
  const tracker = new ByteTracker();
  tracker.update([det(person(300))], 0);
  // The weak detection overlaps the track more, but stage 1 (confident) goes first; the weak one is left over.
  assert.deepEqual(tracker.update([det(person(300), WEAK), det(person(315), 0.9)], 200), [null, 1]);
});

test('assignment is optimal, not greedy: two neighbours who both step left keep their ids', () => {
  // 100×120 boxes: P1 at x=200, P2 at x=260 (overlapping). Both move left (P1 by 30 px, P2 by 40 px).
  // Detection a (P2, now at 220) overlaps P1's old box most (IoU 0.67), so a greedy matcher would give
  // it id 1 and leave b (P1, now at 170) without a track (IoU 0.05 with P2's box).
  // Maximising Σ(IoU − matchIou) pairs a–P2 (IoU 0.43) and b–P1 (IoU 0.54) instead.
  const wide = (x: number) => person(x, 100, 100, 120);
  const tracker = new ByteTracker();
  assert.deepEqual(tracker.update([det(wide(200)), det(wide(260))], 0), [1, 2]);
  const a = wide(220);
  const b = wide(170);
  assert.ok(iou(a, wide(200)) > iou(a, wide(260)) && iou(b, wide(260)) < DEFAULT_TRACKER_OPTIONS.matchIou, 'greedy would go wrong');
  assert.deepEqual(tracker.update([det(a), det(b)], 200), [2, 1]);
});

test('association stays within a class', () => {
  const box = person(300);
  const tracker = new ByteTracker();
  assert.deepEqual(tracker.update([det(box, 0.9, 'person'), det(box, 0.9, 'car')], 0), [1, 2], 'same box, two classes, two tracks');
  assert.deepEqual(tracker.update([det(box, 0.9, 'car')], 200), [2]);
  assert.deepEqual(tracker.update([det(box, 0.9, 'person')], 400), [1], 'the person’s track was lost, not taken by the car');
  assert.deepEqual(tracker.update([det(box, 0.9, 'dog')], 600), [3], 'a dog never continues a person or a car');
  assert.deepEqual(tracker.update([det(box, WEAK, 'dog'), det(box, WEAK, 'cat')], 800), [3, null], 'nor in stage 2');
});

test('deterministic: the same frames give the same ids; ids are unique per frame and born 1, 2, 3, …', () => {
  const frames = scene(7, 300, 30);
  const a = track(frames);
  const b = track(frames);
  assert.deepEqual(a, b);
  let born = 0;
  for (const ids of a) {
    const present = ids.filter((id): id is number => id !== null);
    assert.equal(new Set(present).size, present.length, 'no id twice in one frame');
    for (const id of present) {
      assert.ok(id <= born + 1, `id ${id} after ${born}`);
      born = Math.max(born, id);
    }
  }
  assert.ok(born >= 30 && born < 90, `${born} tracks for 30 objects`);
});

test('variable frame rate: prediction by timestamps tracks a fast object that frame counts would lose', () => {
  // 500 px/s (10 widths per second) to the right; samples at irregular times: 40 ms apart at first,
  // then gaps of 200–400 ms, in which the object moves 2–4 box widths.
  const times = [0, 40, 80, 120, 160, 360, 400, 800, 840, 880, 1280, 1320, 1720];
  const at = (ms: number) => [det(person(100 + 0.5 * ms))];
  const byTime = track(times.map((ms) => [ms, at(ms)] as const));
  assert.ok(
    byTime.every((ids) => ids[0] === 1),
    JSON.stringify(byTime),
  );
  // The same detections fed with evenly spaced timestamps (what counting frames amounts to) lose the
  // object at each long gap: the time-based prediction is what keeps it.
  const mean = times.at(-1)! / (times.length - 1);
  const byCount = track(times.map((ms, k) => [k * mean, at(ms)] as const));
  assert.ok(new Set(byCount.map((ids) => ids[0])).size > 2, JSON.stringify(byCount));
});

test('fast: 3000 frames × 40 objects take well under a second of CPU', () => {
  const frames = scene(11, 3000, 40);
  const tracker = new ByteTracker();
  // CPU time of this process, not wall time: test files run in parallel and share the cores.
  const t0 = process.cpuUsage();
  for (const [ms, objs] of frames) tracker.update(objs, ms);
  const { user, system } = process.cpuUsage(t0);
  const took = (user + system) / 1000;
  assert.ok(took < 1000, `${took.toFixed(0)} ms`);
  assert.ok(tracker.liveTracks < 80, `${tracker.liveTracks} live tracks`);
});
