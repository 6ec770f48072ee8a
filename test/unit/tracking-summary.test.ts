import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResultSummary, type SummaryFrame } from '../../src/core/tracking/summary.js';
import { ByteTracker } from '../../src/core/tracking/byte-tracker.js';
import type { Box, TrackedObject } from '../../src/core/types.js';
import { scene } from '../support/tracking-scene.js';

const obj = (cls: string, track_id: number | null, conf: number, box: Box = [0, 0, 10, 10]): TrackedObject => ({ class: cls, box, conf, track_id });

function summarize(frames: readonly SummaryFrame[], durationMs: number | null) {
  const s = new ResultSummary();
  for (const f of frames) s.add(f);
  return s.finish(durationMs);
}

// Six sampled frames (every 5th decoded frame) at irregular times (variable frame rate).
const ts = [0, 200, 450, 600, 1000, 1200] as const;
const A1: Box = [10, 10, 60, 130];
const frames: SummaryFrame[] = [
  { frame: 0, timestamp_ms: ts[0], objects: [obj('person', 1, 0.7), obj('person', 2, 0.8)] },
  { frame: 5, timestamp_ms: ts[1], objects: [obj('person', 1, 0.9, A1), obj('car', 3, 0.6)] },
  { frame: 10, timestamp_ms: ts[2], objects: [] },
  { frame: 15, timestamp_ms: ts[3], objects: [obj('person', 1, 0.5), obj('person', null, 0.3), obj('person', null, 0.2), obj('car', 3, 0.7, [5, 5, 50, 40])] },
  { frame: 20, timestamp_ms: ts[4], objects: [obj('car', 3, 0.65), obj('car', 4, 0.62), obj('person', 1, 0.9)] },
  { frame: 25, timestamp_ms: ts[5], objects: [obj('car', 4, 0.7, [1, 2, 3, 4])] },
];

test('per-track summaries: first and last sighting, frames seen, the best (earliest of equals) detection', () => {
  const { tracks } = summarize(frames, null);
  assert.deepEqual(tracks, [
    // Track 1: frames 0, 5, 15, 20; its best conf 0.9 first at frame 5 (again at 20: the earliest kept).
    {
      track_id: 1,
      class: 'person',
      first_frame: 0,
      last_frame: 20,
      first_ms: ts[0],
      last_ms: ts[4],
      frames_seen: 4,
      best_conf: 0.9,
      best_box: A1,
      best_frame: 5,
    },
    {
      track_id: 2,
      class: 'person',
      first_frame: 0,
      last_frame: 0,
      first_ms: ts[0],
      last_ms: ts[0],
      frames_seen: 1,
      best_conf: 0.8,
      best_box: [0, 0, 10, 10],
      best_frame: 0,
    },
    {
      track_id: 3,
      class: 'car',
      first_frame: 5,
      last_frame: 20,
      first_ms: ts[1],
      last_ms: ts[4],
      frames_seen: 3,
      best_conf: 0.7,
      best_box: [5, 5, 50, 40],
      best_frame: 15,
    },
    {
      track_id: 4,
      class: 'car',
      first_frame: 20,
      last_frame: 25,
      first_ms: ts[4],
      last_ms: ts[5],
      frames_seen: 2,
      best_conf: 0.7,
      best_box: [1, 2, 3, 4],
      best_frame: 25,
    },
  ]);
});

test('per-class summaries: distinct tracks, all detections (untracked too), most at once, first and last time', () => {
  const { classes } = summarize(frames, null);
  const count = (cls: string, f: SummaryFrame) => f.objects.filter((o) => o.class === cls).length;
  const present = (cls: string) => frames.filter((f) => count(cls, f) > 0);
  assert.deepEqual(classes, [
    {
      class: 'car',
      tracks: 2, // ids 3 and 4
      detections: frames.reduce((n, f) => n + count('car', f), 0), // 1 + 1 + 2 + 1
      max_at_once: 2, // frame 20
      first_ms: present('car')[0]!.timestamp_ms,
      last_ms: present('car').at(-1)!.timestamp_ms,
    },
    {
      class: 'person',
      tracks: 2, // ids 1 and 2; the untracked detection adds no track
      detections: 2 + 1 + 3 + 1,
      max_at_once: 3, // frame 15, two of them untracked
      first_ms: ts[0],
      last_ms: ts[4],
    },
  ]);
  assert.equal(
    classes[1]!.detections,
    frames.reduce((n, f) => n + count('person', f), 0),
  );
});

test('segments: runs of present samples, ending at the next absent sample; the last one at the duration or one interval on', () => {
  // person: present at ts0, ts1 → absent at ts2 → present at ts3, ts4 → absent at ts5.
  // car: present at ts1 → absent at ts2 → present at ts3, ts4, ts5 → still open at the end.
  const closed = [
    { class: 'car', start_ms: ts[1], end_ms: ts[2], duration_ms: ts[2] - ts[1] },
    { class: 'person', start_ms: ts[0], end_ms: ts[2], duration_ms: ts[2] - ts[0] },
    { class: 'person', start_ms: ts[3], end_ms: ts[5], duration_ms: ts[5] - ts[3] },
  ];
  const withEnd = (end: number) => [closed[0], { class: 'car', start_ms: ts[3], end_ms: end, duration_ms: end - ts[3] }, closed[1], closed[2]];

  const duration = 1500; // the video runs on after its last sampled frame
  assert.deepEqual(summarize(frames, duration).segments, withEnd(duration));
  const oneIntervalOn = ts[5] + (ts[5] - ts[4]); // duration unknown: the last interval between samples
  assert.deepEqual(summarize(frames, null).segments, withEnd(oneIntervalOn));
  assert.deepEqual(summarize(frames, ts[5] - 1).segments, withEnd(oneIntervalOn), 'a duration before the last sample is ignored');
  assert.deepEqual(summarize(frames, ts[5]).segments, withEnd(ts[5]), 'a duration equal to the last sample is used');
});

test('edge cases: no frames, a single frame, frames without objects; finish can be called again', () => {
  assert.deepEqual(summarize([], null), { tracks: [], classes: [], segments: [] });
  assert.deepEqual(summarize([], 5000), { tracks: [], classes: [], segments: [] });
  const single: SummaryFrame[] = [{ frame: 0, timestamp_ms: 40, objects: [obj('dog', 1, 0.8)] }];
  assert.deepEqual(summarize(single, null).segments, [{ class: 'dog', start_ms: 40, end_ms: 40, duration_ms: 0 }], 'one frame: + 0');
  assert.deepEqual(summarize(single, 1000).segments, [{ class: 'dog', start_ms: 40, end_ms: 1000, duration_ms: 960 }]);
  const empty: SummaryFrame[] = [0, 100, 200].map((ms, k) => ({ frame: k, timestamp_ms: ms, objects: [] }));
  assert.deepEqual(summarize(empty, 300), { tracks: [], classes: [], segments: [] });

  const s = new ResultSummary();
  s.add(single[0]!);
  const first = s.finish(null);
  s.add({ frame: 1, timestamp_ms: 100, objects: [] });
  assert.deepEqual(first.segments, [{ class: 'dog', start_ms: 40, end_ms: 40, duration_ms: 0 }], 'an earlier answer is not changed');
  assert.deepEqual(s.finish(null).segments, [{ class: 'dog', start_ms: 40, end_ms: 100, duration_ms: 60 }]);
});

test('over a tracked busy scene the summaries agree with the frames they summarise', () => {
  const tracker = new ByteTracker();
  const tracked: SummaryFrame[] = scene(3, 400, 24).map(([ms, objs], k) => {
    const ids = tracker.update(objs, ms);
    return { frame: k * 5, timestamp_ms: ms, objects: objs.map((o, i) => ({ ...o, track_id: ids[i]! })) };
  });
  const lastMs = tracked.at(-1)!.timestamp_ms;
  const { tracks, classes, segments } = summarize(tracked, lastMs + 100);
  const all = tracked.flatMap((f) => f.objects.map((o) => ({ ...o, f })));

  assert.equal(
    classes.reduce((n, c) => n + c.detections, 0),
    all.length,
  );
  assert.equal(
    tracks.reduce((n, t) => n + t.frames_seen, 0),
    all.filter((o) => o.track_id !== null).length,
  );
  assert.deepEqual(
    tracks.map((t) => t.track_id),
    Array.from({ length: tracks.length }, (_, i) => i + 1),
  );
  for (const c of classes) {
    assert.equal(c.tracks, tracks.filter((t) => t.class === c.class).length);
    assert.equal(c.max_at_once, Math.max(...tracked.map((f) => f.objects.filter((o) => o.class === c.class).length)));
  }
  for (const t of tracks) {
    const mine = all.filter((o) => o.track_id === t.track_id);
    assert.equal(t.first_frame, mine[0]!.f.frame);
    assert.equal(t.last_ms, mine.at(-1)!.f.timestamp_ms);
    assert.equal(t.best_conf, Math.max(...mine.map((o) => o.conf)));
  }
  // Segments: sorted; a class is present on a sample exactly when the sample's time lies in one of
  // its segments [start, end); the last segments end at the duration.
  const sorted = [...segments].sort((a, b) => (a.class < b.class ? -1 : a.class > b.class ? 1 : a.start_ms - b.start_ms));
  assert.deepEqual(segments, sorted);
  for (const c of classes) {
    const mine = segments.filter((s) => s.class === c.class);
    for (const f of tracked) {
      const present = f.objects.some((o) => o.class === c.class);
      const inside = mine.some((s) => s.start_ms <= f.timestamp_ms && f.timestamp_ms < s.end_ms);
      assert.equal(inside, present, `${c.class} at ${f.timestamp_ms}`);
    }
    for (const s of mine) assert.equal(s.duration_ms, s.end_ms - s.start_ms);
    if (tracked.at(-1)!.objects.some((o) => o.class === c.class)) assert.equal(mine.at(-1)!.end_ms, lastMs + 100);
  }
});

test('fast: summarising 5000 frames × 40 objects takes well under a second of CPU', () => {
  const objects = Array.from({ length: 40 }, (_, i) => obj(['person', 'car', 'dog'][i % 3]!, i + 1, 0.5 + (i % 7) / 20));
  const s = new ResultSummary();
  const t0 = process.cpuUsage(); // not wall time: test files run in parallel and share the cores
  for (let k = 0; k < 5000; k++) s.add({ frame: k * 5, timestamp_ms: k * 200, objects: k % 10 === 0 ? [] : objects });
  const out = s.finish(null);
  const { user, system } = process.cpuUsage(t0);
  assert.ok((user + system) / 1000 < 500, `${(user + system) / 1000} ms`);
  assert.equal(out.tracks.length, 40);
  assert.equal(out.segments.length, 3 * 500);
});
