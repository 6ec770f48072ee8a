import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectionDocument } from '../../src/core/result-document.js';
import type { FrameResult } from '../../src/core/types.js';

async function* frames(list: FrameResult[]) {
  yield* list;
}
async function assemble(total: number, list: FrameResult[]): Promise<string> {
  let out = '';
  for await (const chunk of detectionDocument({ event_id: 'e1', total_frames: total, parameters: { sample_every: 5 } }, frames(list))) out += chunk;
  return out;
}

test('assembles a JSON document with the frames ascending', async () => {
  const person = { class: 'person', box: [1, 2, 3, 4] as [number, number, number, number], conf: 0.9 };
  const doc = JSON.parse(await assemble(3, [{ frame: 0, objects: [person] }, { frame: 5, objects: [] }, { frame: 10, objects: [person, person] }]));
  assert.equal(doc.event_id, 'e1');
  assert.equal(doc.total_frames, 3);
  assert.deepEqual(doc.parameters, { sample_every: 5 });
  assert.deepEqual(doc.prediction.map((f: FrameResult) => f.frame), [0, 5, 10]);
  assert.deepEqual(doc.prediction[2].objects, [person, person]);
});

test('records the model of its frames (name and weights hash) in the head, never per frame', async () => {
  const model = { name: 'yolov8n', sha256: 'ab'.repeat(32) };
  const doc = JSON.parse(await assemble(2, [{ frame: 0, objects: [], model }, { frame: 5, objects: [], model }]));
  assert.deepEqual(doc.model, model);
  assert.deepEqual(doc.prediction, [{ frame: 0, objects: [] }, { frame: 5, objects: [] }]);
  assert.equal(JSON.parse(await assemble(1, [{ frame: 0, objects: [] }])).model, undefined, 'results of version 0.1 have none');
});

test('with the video metadata in the head, every object also gets box_norm (fractions of the displayed frame)', async () => {
  const video = { width: 768, height: 576, fps: 10, duration_ms: 10_000, frame_count: 100, codec: 'h264', rotation: 0 };
  const person = { class: 'person', box: [76.8, 57.6, 384, 576] as [number, number, number, number], conf: 0.9 };
  let out = '';
  for await (const chunk of detectionDocument({ event_id: 'e1', total_frames: 1, parameters: { sample_every: 5 }, video }, frames([{ frame: 0, objects: [person] }]))) out += chunk;
  const doc = JSON.parse(out);
  assert.deepEqual(doc.video, video);
  assert.deepEqual(doc.prediction[0].objects, [{ ...person, box_norm: [0.1, 0.1, 0.5, 1] }]);
});

test('an empty job still makes valid JSON', async () => {
  assert.deepEqual(JSON.parse(await assemble(0, [])).prediction, []);
});

test('refuses frames out of order, repeated, or a count that differs from the total', async () => {
  await assert.rejects(assemble(2, [{ frame: 5, objects: [] }, { frame: 0, objects: [] }]), /out of order/);
  await assert.rejects(assemble(2, [{ frame: 5, objects: [] }, { frame: 5, objects: [] }]), /out of order/);
  await assert.rejects(assemble(3, [{ frame: 0, objects: [] }]), /expected 3/);
});
