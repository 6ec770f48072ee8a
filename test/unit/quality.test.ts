import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atThreshold, perClass, quality, SWEEP } from '../../bench/quality.js';
import type { FrameBoxes } from '../../bench/agreement.js';
import type { DetectedObject } from '../../src/core/types.js';

const o = (cls: string, conf: number, x: number): DetectedObject => ({ class: cls, conf, box: [x, 0, x + 10, 10] });

/** A reference of two people and a car per frame; the tested side finds them with falling scores, plus false alarms. */
const reference: FrameBoxes[] = [0, 5].map((frame) => ({ frame, objects: [o('person', 0.9, 0), o('person', 0.9, 20), o('car', 0.9, 40)] }));
const found: FrameBoxes[] = [0, 5].map((frame) => ({
  frame,
  objects: [
    o('person', 0.8, 0),
    o('person', 0.3, 20),
    o('car', 0.6, 40),
    o('dog', 0.2, 60), // a false alarm at low confidence, where nothing is
    o('skis', 0.7, 0), // the person's box as another class: suppressed across classes
  ],
}));

test('a threshold keeps the boxes of at least that confidence', () => {
  assert.deepEqual(
    atThreshold(found, 0.6).map((f) => f.objects.map((x) => x.class)),
    [
      ['person', 'car', 'skis'],
      ['person', 'car', 'skis'],
    ],
  );
  assert.equal(SWEEP[0], 0.05);
  assert.equal(SWEEP.at(-1), 0.95);
  assert.equal(SWEEP.length, 91);
});

test('precision, recall and F1 per threshold, the F1-best, and cross-class suppression measured both ways', () => {
  const q = quality('t', found, reference, { confidence: 0.25, iou: 0.45, agnostic: true });
  // At 0.25 with cross-class suppression: 3 of 3 matched per frame, the skis box gone, the dog (0.2) out.
  assert.deepEqual([q.at_default.precision, q.at_default.recall, q.at_default.boxes], [1, 1, 6]);
  // Best: F1 1 from just above the dog (0.2) to the second person (0.3); the lowest such threshold.
  assert.equal(q.best.f1, 1);
  assert.equal(q.best.confidence, 0.21);
  // Without suppression the skis box is a false alarm: precision 3/4 at 0.25.
  assert.equal(q.other_suppression.class_agnostic_nms, false);
  assert.equal(q.other_suppression.at_default.precision, 0.75);
  // The design's 0.25, class-wise only: the same as that.
  assert.equal(q.at_design_default.precision, 0.75);
  // At 0.5 the second person is lost: recall 2/3.
  const half = q.sweep.find((p) => p.confidence === 0.5)!;
  assert.ok(Math.abs(half.recall - 2 / 3) < 1e-12);
  assert.equal(half.precision, 1);
});

test("per class: the reference's classes and the detector's false alarms, each with its own figures", () => {
  const rows = perClass(atThreshold(found, 0.1), reference);
  const byClass = Object.fromEntries(rows.map((r) => [r.class, r]));
  assert.deepEqual(Object.keys(byClass).sort(), ['car', 'dog', 'person', 'skis']);
  assert.deepEqual([byClass.person!.found, byClass.person!.reference, byClass.person!.f1], [4, 4, 1]);
  assert.deepEqual([byClass.dog!.found, byClass.dog!.reference, byClass.dog!.precision], [2, 0, 0]);
  assert.equal(byClass.car!.f1, 1);
});
