import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeInferenceTask, inferenceTaskHeaders, MalformedMessageError, type InferenceTask } from '../../src/core/messages.js';

const roundTrip = (t: InferenceTask): InferenceTask => decodeInferenceTask(inferenceTaskHeaders(t, 640, 360));

test('a task’s detection options round-trip through its headers', () => {
  const task: InferenceTask = {
    eventId: 'e1',
    frame: 10,
    model: 'yolo',
    timestampMs: 400,
    // Custom models' class names may hold commas, quotes and any script.
    options: { confidence: 0.1, iou: 0.7, classes: ['person', 'traffic light', 'bolt, M6', 'say "hi"', 'château'] },
  };
  const headers = inferenceTaskHeaders(task, 640, 360);
  assert.equal(headers.confidence, '0.1');
  assert.equal(headers.iou, '0.7');
  assert.deepEqual(JSON.parse(headers.classes!), task.options!.classes);
  assert.deepEqual(decodeInferenceTask(headers), { ...task, width: 640, height: 360 });

  // Each option alone, and the bounds 0 and 1.
  assert.deepEqual(roundTrip({ eventId: 'e1', frame: 0, options: { confidence: 0 } }).options, { confidence: 0 });
  assert.deepEqual(roundTrip({ eventId: 'e1', frame: 0, options: { iou: 1 } }).options, { iou: 1 });
  assert.deepEqual(roundTrip({ eventId: 'e1', frame: 0, options: { classes: ['cat'] } }).options, { classes: ['cat'] });
});

test('a task without options decodes without them (and without option headers)', () => {
  const headers = inferenceTaskHeaders({ eventId: 'e1', frame: 5, timestampMs: 200 }, 64, 32);
  for (const h of ['confidence', 'iou', 'classes']) assert.equal(headers[h], undefined, h);
  const t = decodeInferenceTask(headers);
  assert.equal('options' in t, false);
  assert.equal(t.timestampMs, 200);
  assert.equal('options' in decodeInferenceTask(inferenceTaskHeaders({ eventId: 'e1', frame: 5, options: {} }, 64, 32)), false);
});

test('malformed option headers make the task malformed (dead-lettered, never retried)', () => {
  const base = inferenceTaskHeaders({ eventId: 'e1', frame: 5 }, 64, 32);
  const bad: Record<string, string>[] = [
    { confidence: '1.5' },
    { confidence: '-0.1' },
    { confidence: 'high' },
    { confidence: '' },
    { confidence: 'NaN' },
    { confidence: 'Infinity' },
    { iou: '2' },
    { iou: ' ' },
    { classes: 'person,car' },
    { classes: '"person"' },
    { classes: '{"0":"person"}' },
    { classes: '[1]' },
    { classes: '["person", ""]' },
    { classes: '["person", null]' },
    { classes: '' },
    { class_agnostic_nms: 'yes' },
    { class_agnostic_nms: '1' },
  ];
  for (const extra of bad) {
    assert.throws(() => decodeInferenceTask({ ...base, ...extra }), MalformedMessageError, JSON.stringify(extra));
  }
  assert.throws(() => decodeInferenceTask({ ...base, classes: 'person,car' }), /classes header is not JSON/);
  assert.throws(() => decodeInferenceTask({ ...base, confidence: '1.5' }), /confidence header must be a number from 0 to 1/);
  assert.deepEqual(decodeInferenceTask({ ...base, confidence: '0.35', classes: '[]' }).options, { confidence: 0.35, classes: [] });
  assert.deepEqual(decodeInferenceTask({ ...base, class_agnostic_nms: 'true' }).options, { class_agnostic_nms: true });
  assert.equal(decodeInferenceTask({ ...base, class_agnostic_nms: 'false' }).options, undefined);
});
