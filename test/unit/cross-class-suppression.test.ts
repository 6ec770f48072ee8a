import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suppressAcrossClasses } from '../../src/core/cross-class-suppression.js';
import type { DetectedObject } from '../../src/core/types.js';

const box = (cls: string, conf: number, b: [number, number, number, number]): DetectedObject => ({ class: cls, conf, box: b });

test('one object boxed as two classes keeps its most confident class; separate objects stay', () => {
  const person = box('person', 0.8, [10, 10, 50, 110]);
  const skis = box('skis', 0.5, [11, 12, 50, 108]); // the same box, another class: CenterNet's duplicate
  const car = box('car', 0.3, [200, 50, 300, 120]); // elsewhere
  const bag = box('handbag', 0.6, [40, 60, 60, 90]); // overlaps the person a little (IoU ≈ 0.1)
  const kept = suppressAcrossClasses([skis, car, person, bag], 0.45);
  assert.deepEqual(kept, [person, bag, car]);
});

test('the threshold is the IoU: at 1 nothing is suppressed, and the input is not changed', () => {
  const a = box('person', 0.9, [0, 0, 10, 10]);
  const b = box('dog', 0.4, [0, 0, 10, 10]);
  const input = [b, a];
  assert.deepEqual(suppressAcrossClasses(input, 1), [a, b]);
  assert.deepEqual(suppressAcrossClasses(input, 0.99), [a]);
  assert.deepEqual(input, [b, a]);
});

test('a suppressed box suppresses nothing (greedy, highest first, as NMS)', () => {
  const a = box('person', 0.9, [0, 0, 10, 10]);
  const b = box('skis', 0.8, [0, 0, 10, 14]); // IoU with a: 100/140 ≈ 0.71 → suppressed
  const c = box('dog', 0.7, [0, 8, 10, 18]); // IoU with b ≈ 0.43·…, with a: 20/180 ≈ 0.11 → kept
  assert.deepEqual(suppressAcrossClasses([a, b, c], 0.45), [a, c]);
});
