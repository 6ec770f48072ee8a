import type { DetectedObject } from './types.js';
import { iou } from './tracking/byte-tracker.js';

/**
 * Class-agnostic suppression, after a model's class-wise NMS: highest confidence first, a box is
 * dropped when it overlaps a kept box *of any class* by more than `iouThreshold`. For models that
 * give one object boxes of two classes (the bundled CenterNet's person + skis on one pedestrian):
 * the object keeps its most confident class. Boxes of one class were already at most
 * `iouThreshold` apart, so among them this removes nothing. Returns a new array, confidence
 * descending; the input is not changed.
 */
export function suppressAcrossClasses(objects: readonly DetectedObject[], iouThreshold: number): DetectedObject[] {
  const sorted = [...objects].sort((a, b) => b.conf - a.conf);
  const kept: DetectedObject[] = [];
  for (const o of sorted) if (!kept.some((k) => iou(k.box, o.box) > iouThreshold)) kept.push(o);
  return kept;
}
