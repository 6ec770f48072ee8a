import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectionDocument, PREDICTION_OPENER } from '../../src/core/result-document.js';
import type { Box, FrameResult } from '../../src/core/types.js';

async function* frames(list: FrameResult[]) {
  yield* list;
}
const VIDEO = { width: 768, height: 576, fps: 10, duration_ms: 10_000, frame_count: 100, codec: 'h264', rotation: 0 };

async function text(total: number, list: FrameResult[], video?: typeof VIDEO): Promise<string> {
  let out = '';
  for await (const chunk of detectionDocument({ event_id: 'e1', total_frames: total, parameters: { sample_every: 5 }, ...(video ? { video } : {}) }, () =>
    frames(list),
  ))
    out += chunk;
  return out;
}
const assemble = async (total: number, list: FrameResult[], video?: typeof VIDEO) => JSON.parse(await text(total, list, video));
const person = (box: Box = [1, 2, 3, 4], conf = 0.9) => ({ class: 'person', box, conf });

test('assembles a JSON document with the frames ascending, each object with its track', async () => {
  const doc = await assemble(3, [
    { frame: 0, objects: [person()] },
    { frame: 5, objects: [] },
    { frame: 10, objects: [person(), person([100, 100, 200, 300])] },
  ]);
  assert.equal(doc.event_id, 'e1');
  assert.equal(doc.total_frames, 3);
  assert.deepEqual(doc.parameters, { sample_every: 5 });
  assert.deepEqual(
    doc.prediction.map((f: FrameResult) => f.frame),
    [0, 5, 10],
  );
  assert.deepEqual(
    doc.prediction[2].objects.map((o: { class: string; box: Box; conf: number }) => ({ class: o.class, box: o.box, conf: o.conf })),
    [person(), person([100, 100, 200, 300])],
  );
  for (const f of doc.prediction) for (const o of f.objects) assert.ok(typeof o.track_id === 'number' || o.track_id === null);
});

test('the head is one line ending the summaries; then one frame per line (readers page by lines)', async () => {
  const lines = (
    await text(2, [
      { frame: 0, objects: [person()] },
      { frame: 5, objects: [] },
    ])
  ).split('\n');
  assert.ok(lines[0]!.endsWith(PREDICTION_OPENER));
  assert.deepEqual(Object.keys(JSON.parse(lines[0]!.slice(0, -PREDICTION_OPENER.length) + '}')), [
    'event_id',
    'total_frames',
    'parameters',
    'tracks',
    'classes',
    'segments',
  ]);
  assert.equal(JSON.parse(lines[1]!.replace(/,$/, '')).frame, 0);
  assert.equal(JSON.parse(lines[2]!).frame, 5);
  assert.equal(lines[3], ']}');
});

test('records the model of its frames (name and weights hash) in the head, never per frame', async () => {
  const model = { name: 'yolov8n', sha256: 'ab'.repeat(32) };
  const doc = await assemble(2, [
    { frame: 0, objects: [], model },
    { frame: 5, objects: [], model },
  ]);
  assert.deepEqual(doc.model, model);
  assert.deepEqual(doc.prediction, [
    { frame: 0, objects: [] },
    { frame: 5, objects: [] },
  ]);
  assert.equal((await assemble(1, [{ frame: 0, objects: [] }])).model, undefined, 'results of version 0.1 have none');
});

test('with the video metadata, every object also gets box_norm (fractions of the displayed frame)', async () => {
  const doc = await assemble(1, [{ frame: 0, objects: [person([76.8, 57.6, 384, 576])] }], VIDEO);
  assert.deepEqual(doc.video, VIDEO);
  assert.deepEqual(doc.prediction[0].objects[0].box_norm, [0.1, 0.1, 0.5, 1]);
});

test('timestamp_ms: the stream’s own when stored; else frame / fps; absent when neither is known', async () => {
  const stored = await assemble(
    2,
    [
      { frame: 0, timestamp_ms: 0, objects: [] },
      { frame: 5, timestamp_ms: 2600, objects: [] },
    ],
    VIDEO,
  );
  assert.deepEqual(
    stored.prediction.map((f: { timestamp_ms: number }) => f.timestamp_ms),
    [0, 2600],
  );
  const derived = await assemble(
    2,
    [
      { frame: 0, objects: [] },
      { frame: 5, objects: [] },
    ],
    VIDEO,
  );
  assert.deepEqual(
    derived.prediction.map((f: { timestamp_ms: number }) => f.timestamp_ms),
    [0, 500],
  );
  const unknown = await assemble(1, [{ frame: 5, objects: [] }]);
  assert.equal(unknown.prediction[0].timestamp_ms, undefined);
});

test('a person walking across 5 frames is one track; the summaries count it once, with its class segment', async () => {
  const walk = Array.from({ length: 5 }, (_, i) => ({
    frame: i * 5,
    timestamp_ms: i * 500,
    objects: [person([100 + i * 10, 100, 200 + i * 10, 300], 0.8 + i * 0.02)],
  }));
  const doc = await assemble(5, [...walk, { frame: 25, timestamp_ms: 2500, objects: [] }].slice(0, 5), VIDEO);
  const ids = new Set(doc.prediction.map((f: { objects: Array<{ track_id: number }> }) => f.objects[0]!.track_id));
  assert.equal(ids.size, 1, 'one identity across the frames');
  const [id] = [...ids];
  assert.equal(doc.tracks.length, 1);
  assert.deepEqual(
    {
      track_id: doc.tracks[0].track_id,
      class: doc.tracks[0].class,
      frames_seen: doc.tracks[0].frames_seen,
      first_ms: doc.tracks[0].first_ms,
      last_ms: doc.tracks[0].last_ms,
      best_frame: doc.tracks[0].best_frame,
    },
    { track_id: id, class: 'person', frames_seen: 5, first_ms: 0, last_ms: 2000, best_frame: 20 },
  );
  assert.deepEqual(
    doc.classes.map((c: { class: string; tracks: number; detections: number; max_at_once: number }) => [c.class, c.tracks, c.detections, c.max_at_once]),
    [['person', 1, 5, 1]],
  );
  assert.deepEqual(doc.segments, [{ class: 'person', start_ms: 0, end_ms: VIDEO.duration_ms, duration_ms: VIDEO.duration_ms }]);
});

test('an empty job still makes valid JSON', async () => {
  const doc = await assemble(0, []);
  assert.deepEqual([doc.prediction, doc.tracks, doc.classes, doc.segments], [[], [], [], []]);
});

test('refuses frames out of order, repeated, or a count that differs from the total', async () => {
  await assert.rejects(
    text(2, [
      { frame: 5, objects: [] },
      { frame: 0, objects: [] },
    ]),
    /out of order/,
  );
  await assert.rejects(
    text(2, [
      { frame: 5, objects: [] },
      { frame: 5, objects: [] },
    ]),
    /out of order/,
  );
  await assert.rejects(text(3, [{ frame: 0, objects: [] }]), /expected 3/);
});
